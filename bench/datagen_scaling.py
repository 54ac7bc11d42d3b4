"""FaraGen's throughput: verified trajectories per minute with 1 and 2 browsers in parallel, side by side.

The offline path of `farol datagen run` (the sandbox's generator, the oracle as the WebSurfer, the checker as
the verifier), through the same code: propose, solve (stored), verify. The same tasks run at each parallelism,
alternating between them round by round so that drift on a shared machine hits both alike. Prints the rate
at each, the speed-up, and its share of linear scaling. Not a test: nothing here asserts on time.

    .venv/bin/python bench/datagen_scaling.py [--tasks 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datagen.config import Config, ProposeSettings, SolveSettings
from datagen.pipeline import Workspace, propose, solve, verify
from datagen.propose import by_category
from sandbox.splits import TRAIN_SEEDS, train_tasks

PARALLEL = (1, 2)


def chosen_tasks(count: int) -> list[str]:
    """Short tasks, one category after another (the same list at every parallelism)."""
    short = [task for task in train_tasks(TRAIN_SEEDS[0]) if len(task.plan) <= 8]  # datagen draws from train
    return [task.id for task in by_category(short)[:count]]


async def one_run(tasks: list[str], parallel: int, folder: Path) -> tuple[float, int]:
    """Seconds to propose, solve and verify `tasks` with `parallel` browsers, and how many were kept."""
    config = Config(propose=ProposeSettings(mutation_share=0), solve=SolveSettings(parallel=parallel))
    ws = Workspace.open(folder, config, show_progress=False)
    started = time.perf_counter()
    await propose(ws, "sandbox", len(tasks), tasks)
    await solve(ws)
    _, kept = await verify(ws)
    elapsed = time.perf_counter() - started
    ws.close()
    return elapsed, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    tasks = chosen_tasks(args.tasks)
    seconds: dict[int, float] = dict.fromkeys(PARALLEL, 0.0)
    kept: dict[int, int] = dict.fromkeys(PARALLEL, 0)
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(args.rounds):
            for parallel in PARALLEL:
                elapsed, count = asyncio.run(one_run(tasks, parallel, Path(scratch) / f"r{round_number}p{parallel}"))
                seconds[parallel] += elapsed
                kept[parallel] += count
                print(f"round {round_number + 1}, {parallel} browser(s): {count} kept in {elapsed:.1f} s", flush=True)
    rate = {parallel: 60 * kept[parallel] / seconds[parallel] for parallel in PARALLEL}
    speedup = rate[2] / rate[1]
    print(f"\n{len(tasks)} sandbox tasks x {args.rounds} rounds, oracle surfer, {os.cpu_count()} cores")
    print("| browsers | trajectories kept | seconds | trajectories per minute |")
    print("|---|---|---|---|")
    for parallel in PARALLEL:
        print(f"| {parallel} | {kept[parallel]} | {seconds[parallel]:.1f} | {rate[parallel]:.1f} |")
    print(f"\nSpeed-up with 2 browsers: {speedup:.2f}x ({100 * speedup / 2:.0f}% of linear)")


if __name__ == "__main__":
    main()
