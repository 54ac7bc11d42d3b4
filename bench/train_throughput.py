"""Is training bound by its data pipeline or by its step? Samples per second of each, side by side in one run.

The data pipeline is everything before the model: rebuilding samples from a store (`step_samples`: the agent's
request layout, screenshots resized to model space) and collating them (the processor, image pads, labels).
The step is one optimizer step of the model on collated batches. The pipeline should run at least 3x the
step's rate, or the GPUs wait. CPU with the tiny Qwen2.5-VL by default; `--model DIR --device cuda` on a GPU
machine measures a real checkpoint (e.g. the 7B architecture with random weights). Not a test.

    .venv/bin/python bench/train_throughput.py [--samples 32] [--batch 4] [--steps 8]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from PIL import Image, ImageDraw
from transformers import AutoModelForImageTextToText

from agent.actions import LeftClick, Terminate
from agent.hf_policy import load_processor
from agent.parser import format_reply
from agent.screenshot import digest_of
from agent.store import Store
from agent.trajectory import Provenance, Step, StepResult, Trajectory, UserTurn
from doubles.tiny_qwen import build_tiny_qwen
from training.collator import Collator
from training.dataset import _row
from training.samples import step_samples


def synthetic_store(folder: Path, trajectories: int, steps: int) -> Store:
    """Trajectories shaped like real ones: 1440x900 screenshots, clicks, then terminate."""
    store = Store(folder / "farol.db")
    for number in range(trajectories):
        shots, recorded = {}, []
        for index in range(steps):
            image = Image.new("RGB", (1440, 900), (20 * index % 255, 90, 160))
            ImageDraw.Draw(image).text((100, 100 + 20 * index), f"page {number}.{index}", fill="white")
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            png = buffer.getvalue()
            shots[digest_of(png)] = png
            action = Terminate(status="success") if index == steps - 1 else LeftClick(coordinate=(700, 400))
            recorded.append(
                Step(index=index, screenshot=digest_of(png), url=f"http://site.test/{index}", css_width=1440,
                     css_height=900, model_width=1428, model_height=896, raw_text=format_reply("Next.", action),
                     thoughts="Next.", action=action, result=StepResult())
            )  # fmt: skip
        task = f"Benchmark task {number}"
        trajectory = Trajectory(task=task, steps=recorded, user_turns=[UserTurn(text=task, before_step=0)])
        trajectory.provenance = Provenance(source="datagen")
        store.save(trajectory, shots)
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps measured")
    parser.add_argument("--model", type=Path, help="a checkpoint folder [default: a tiny random Qwen2.5-VL]")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        model_dir = args.model or build_tiny_qwen(Path(folder) / "model")
        steps_per_trajectory = 4
        store = synthetic_store(Path(folder), -(-args.samples // steps_per_trajectory), steps_per_trajectory)
        processor = load_processor(model_dir)
        collate = Collator(processor)

        started = time.perf_counter()
        rows = []
        for summary in store.list():
            trajectory = store.load(summary["id"])
            rows += [_row(sample) for sample in step_samples(trajectory, store.read_screenshot, "datagen")]
        rows = rows[: args.samples]
        built = time.perf_counter() - started
        started = time.perf_counter()
        batches = [collate(rows[i : i + args.batch]) for i in range(0, len(rows), args.batch)]
        collated = time.perf_counter() - started

        model = AutoModelForImageTextToText.from_pretrained(model_dir).to(args.device).train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
        timings = []
        for step in range(args.steps + 1):  # the first step warms up and is not counted
            batch = {key: value.to(args.device) for key, value in batches[step % len(batches)].items()}
            started = time.perf_counter()
            model(**batch).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if args.device == "cuda":
                torch.cuda.synchronize()
            timings.append(time.perf_counter() - started)
    pipeline = len(rows) / (built + collated)
    training = args.batch * args.steps / sum(timings[1:])
    print(f"{len(rows)} samples of 1428x896 screenshots, batch {args.batch}, {args.device}, model {model_dir.name}")
    print(f"{'stage':<28}{'samples/s':>12}")
    print(f"{'build (store -> samples)':<28}{len(rows) / built:>12.1f}")
    print(f"{'collate (processor)':<28}{len(rows) / collated:>12.1f}")
    print(f"{'data pipeline (both)':<28}{pipeline:>12.1f}")
    print(f"{'training step':<28}{training:>12.1f}")
    bound = "the training step" if pipeline >= training else "the data pipeline"
    print(f"pipeline / step: {pipeline / training:.1f}x (goal >= 3x); training is bound by {bound}")


if __name__ == "__main__":
    main()
