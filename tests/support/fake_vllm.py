"""A stand-in `vllm` for tests of the managed model server: it serves the scripted model on the port it is
given, or fails the way vLLM fails, as FAKE_VLLM_MODE says. Every start is recorded in FAKE_VLLM_STATE.

    serve            load for a moment, then answer (one scripted reply a request, FAKE_VLLM_REPLY)
    crash_once       the first start dies with an engine error; later starts serve
    serve_then_oom   serve for two seconds, then die out of GPU memory (every start)
    oom | port       die at once: out of GPU memory | the port is taken
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from doubles.scripted_model import ScriptedModel


def main() -> None:
    arguments = sys.argv[1:]
    state = Path(os.environ["FAKE_VLLM_STATE"])
    state.mkdir(parents=True, exist_ok=True)
    with (state / "starts.jsonl").open("a") as starts:
        starts.write(json.dumps({"pid": os.getpid(), "argv": arguments}) + "\n")
    count = len((state / "starts.jsonl").read_text().splitlines())
    mode = os.environ.get("FAKE_VLLM_MODE", "serve")
    print("INFO Loading weights...", flush=True)
    if mode == "oom" or (mode == "crash_once" and count == 1):
        words = "torch.OutOfMemoryError: CUDA out of memory." if mode == "oom" else "RuntimeError: Engine core died"
        print(words, file=sys.stderr, flush=True)
        sys.exit(1)
    if mode == "port":
        print("OSError: [Errno 98] Address already in use", file=sys.stderr, flush=True)
        sys.exit(1)
    time.sleep(1)
    port = int(arguments[arguments.index("--port") + 1])
    reply = os.environ.get("FAKE_VLLM_REPLY", "Done.")
    model = ScriptedModel([reply] * 100, port=port)
    print(f"INFO Uvicorn running on http://127.0.0.1:{port}", flush=True)
    if mode == "serve_then_oom":
        time.sleep(2)
        model.close()
        print("torch.OutOfMemoryError: CUDA out of memory.", file=sys.stderr, flush=True)
        sys.exit(1)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
