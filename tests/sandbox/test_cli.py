"""`farol eval sandbox serve` starts the sites on 127.0.0.1 and says where."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.extension import free_port

FAROL = Path(sys.executable).parent / "farol"


def test_serve_prints_the_url_and_serves_every_site():
    port = free_port()
    process = subprocess.Popen(
        [str(FAROL), "eval", "sandbox", "serve", "--port", str(port), "--seed", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in banner
        deadline = time.monotonic() + 30
        while True:
            try:
                start = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "the server did not come up"
                time.sleep(0.1)
        assert start.status_code == 200
        for site in ("shop", "mart", "flights", "hotels", "dine", "tickets", "jobs", "homes"):
            assert f'href="/{site}/"' in start.text
            assert httpx.get(f"http://127.0.0.1:{port}/{site}/", timeout=5).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
