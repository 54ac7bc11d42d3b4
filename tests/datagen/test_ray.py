"""`--ray`: the same solve path fanned out over a (local) Ray instance, one trajectory per Ray task; the
trajectories come back to this process, which stores them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import ray

from agent.fanout import fan_out
from datagen.config import Config, SolveSettings
from datagen.pipeline import Workspace, propose, solve, verify
from eval.runner import RayTask, RunSettings, run_suite
from eval.suites.adapters import SandboxSuite
from tests.conftest import run_async
from tests.support.extension import free_port


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


async def square(number: int) -> tuple[int, int]:
    return number * number, os.getpid()


def test_fan_out_runs_each_item_in_a_ray_worker_and_reports_in_order(local_ray):
    seen: list[int] = []
    results = run_async(
        fan_out(square, [3, 1, 2], concurrency=2, ray_address="auto", on_result=lambda i, r: seen.append(i))
    )
    assert [value for value, _ in results] == [9, 1, 4]
    assert sorted(seen) == [1, 2, 3] and all(pid != os.getpid() for _, pid in results)


def test_datagen_solves_over_ray(tmp_path, local_ray):
    config = Config(solve=SolveSettings(parallel=2, quiet_seconds=0.15))
    ws = Workspace.open(tmp_path, config, show_progress=False)
    config.propose.mutation_share = 0
    run_async(propose(ws, "sandbox", 2, ["information_seeking-011", "information_seeking-012"]))
    solved = run_async(solve(ws, ray_address="auto"))
    assert len(solved) == 2 and all(s.trajectory is not None and s.checker.passed for s in solved)
    assert all(not s.worker.endswith(f":{os.getpid()}") for s in solved)  # solved in Ray's workers
    assert run_async(verify(ws)) == (2, 2)
    assert len(ws.store.list()) == 2 and ws.store.auxiliary.samples("grounding")
    ws.close()


def test_eval_runs_over_ray_through_the_same_fan_out(tmp_path, local_ray):
    """`farol eval run --ray`: each task runs on a worker, which rebuilds the suite there and writes the results."""
    ids = ["information_seeking-011", "information_seeking-012"]
    suite = partial(SandboxSuite, selection=ids, oracle=True)
    settings = RunSettings(out=tmp_path, model="oracle", concurrency=2, max_steps=20, ray_address="auto")
    here = suite()
    try:
        outcomes = run_async(
            run_suite(here, None, settings, show_progress=False, ray_task=RayTask(suite, None, settings))
        )
    finally:
        here.close()
    assert [(o.task_id, o.passed) for o in outcomes] == [(task_id, True) for task_id in ids]
    assert all((tmp_path / "run1" / task_id / "result.json").exists() for task_id in ids)


@pytest.mark.parametrize(
    "command",
    [["eval", "run", "--suite", "sandbox", "--oracle"], ["datagen", "run", "--sites", "sandbox", "--n", "1"]],
)
def test_a_cluster_that_does_not_answer_is_refused_at_once(command, tmp_path):
    """Ray would retry an unreachable head for minutes without a word; the option says what is wrong first."""
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    farol = Path(sys.executable).parent / "farol"
    args = [str(farol), *command, "--ray", address, "--out", str(tmp_path / "out")]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    shown = " ".join(result.stderr.replace("│", " ").split())
    assert f"cannot reach the Ray cluster at {address}" in shown and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
