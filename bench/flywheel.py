"""Does training help? Farol's own loop, end to end from `farol` commands: generate training-split data offline,
build the dataset, train a small Qwen2.5-VL built from a config, and score it untrained and trained on held-out
splits with `farol eval steps` and `farol eval grounding`, over several training-set sizes (a learning curve),
with 95 % bootstrap intervals over tasks. Not a test: nothing here asserts; it prints and writes what it measured.

    .venv/bin/python bench/flywheel.py [--sizes 6,12,24] [--steps 400] [--out bench/results/flywheel] [--quick]

Every stage is a `farol` subprocess (the bench only writes their config files, builds the untrained model and reads
the results):

1. `farol datagen run --sites sandbox --tasks TEMPLATES --n N`, N growing through `--sizes` in one folder, so each
   training set holds the smaller ones (the oracle solves, the checker verifies; a `--viewport` window, 784x504 by
   default, keeps screenshots small enough to train on a CPU);
2. `farol train build-data` after each N: the trajectories' steps and the grounding samples data generation wrote;
3. a small Qwen2.5-VL from a config (`build_model`: the tiny test model's layout, sized up, 28-pixel patches so a
   784x504 screenshot is 126 image tokens, and a tokenizer trained on the smallest training set's text), then
   `farol train sft` on each training set for the same `--steps`;
4. `farol eval steps` and `farol eval grounding` on `test_task` (the same templates, unseen data) and
   `test_template` (templates never trained on), for the oracle (calibration: 100 %), the untrained model and each
   trained one, all on the same recorded replays;
5. optionally (`--episodes K`) `farol eval run` on K tasks of the `eval` split with the largest trained model;
6. `flywheel.json`, `flywheel.md` (the table) and `flywheel.png` (the learning curve) into `--report` (docs/).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from PIL import Image, ImageDraw, ImageFont
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    PreTrainedTokenizerFast,
    Qwen2VLImageProcessorPil,
)

from agent.geometry import smart_resize
from agent.options import parse_viewport
from doubles.tiny_qwen import qwen_tokenizer, save_random_qwen
from eval.steps import StepScore, rates
from training.datafiles import load_splits

ROOT = Path(__file__).resolve().parent.parent
FAROL = str(Path(sys.executable).with_name("farol"))
# Short templates of three categories (plans of 7 or 8 steps) that the training split poses at several seeds;
# `test_task` holds each one at seed 1, with data training never sees.
TEMPLATES = ("shopping-004", "tickets-001", "tickets-002", "tickets-007", "shopping-008", "price_comparison-001")
HELD_OUT_TEMPLATES = ("tickets-005", "price_comparison-005")  # test_template: the same sites, never trained on
PATCH = 28  # this model's vision patch: with Qwen's 2x2 merge, one image token per 56x56 pixels
VOCAB = 4096


# -- the model, from a config -------------------------------------------------------------------------------


def model_sizes(quick: bool) -> dict[str, Any]:
    """The text and vision towers. head_dim = hidden / heads; the M-RoPE sections sum to head_dim / 2."""
    if quick:
        text = dict(
            hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2
        )
        return {
            "text": text,
            "mrope": [2, 3, 3],
            "vision": dict(depth=1, hidden_size=64, intermediate_size=128, num_heads=4),
        }
    text = dict(
        hidden_size=192, intermediate_size=512, num_hidden_layers=4, num_attention_heads=6, num_key_value_heads=2
    )
    vision = dict(depth=2, hidden_size=128, intermediate_size=256, num_heads=4)
    return {"text": text, "mrope": [4, 6, 6], "vision": vision}


def train_tokenizer(corpus: Sequence[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Byte-level BPE without the word split (so the system prompt and the tool-call frame compress to a few
    tokens), digits one by one (coordinates stay learnable), Qwen's special tokens appended as in `tiny_qwen`."""
    bpe = Tokenizer(models.BPE())
    digits = pre_tokenizers.Digits(individual_digits=True)
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [digits, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    )
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
        max_token_length=32,
    )
    bpe.train_from_iterator(corpus, trainer)
    return qwen_tokenizer(bpe)


def build_model(out_dir: Path, corpus: Sequence[str], reply_tokens: int, quick: bool) -> dict[str, Any]:
    """A randomly initialised Qwen2.5-VL (model, tokenizer, image processor) in `out_dir`; returns its config."""
    torch.manual_seed(0)
    tokenizer = train_tokenizer(corpus, 1024 if quick else VOCAB)
    sizes = model_sizes(quick)
    mrope = {"rope_type": "default", "rope_theta": 1e6, "mrope_section": sizes["mrope"]}
    patching = dict(
        patch_size=PATCH,
        spatial_merge_size=2,
        temporal_patch_size=2,
        window_size=2 * 2 * PATCH,
        fullatt_block_indexes=[sizes["vision"]["depth"] - 1],
    )
    vision = sizes["vision"] | patching | {"out_hidden_size": sizes["text"]["hidden_size"]}
    # A reply budget a little over the longest training reply, so an untrained model's noise ends too.
    model = save_random_qwen(
        out_dir, tokenizer, text_sizes=sizes["text"], mrope=mrope, vision=vision, max_new_tokens=reply_tokens
    )
    # Images pass at their own size (no resize: the prompts and actions are in their pixels), in 28-pixel patches.
    Qwen2VLImageProcessorPil(
        patch_size=PATCH, merge_size=2, temporal_patch_size=2, min_pixels=(2 * PATCH) ** 2, max_pixels=1428 * 896
    ).save_pretrained(out_dir)
    parameters = sum(p.numel() for p in model.parameters())
    return {
        "parameters": parameters,
        "vocab": len(tokenizer),
        "text": sizes["text"],
        "vision": vision,
        "max_new_tokens": reply_tokens,
    }


def dataset_texts(data: Path) -> tuple[list[str], list[str]]:
    """The prompt texts and the replies of a built dataset (its train split)."""
    rows = load_splits(data)["train"]
    prompts: list[str] = []
    for messages in rows["messages"]:
        for message in json.loads(messages):
            content = message["content"]
            parts = [content] if isinstance(content, str) else [p["text"] for p in content if p["type"] == "text"]
            prompts.extend(parts)
    return prompts, list(rows["target"])


# -- statistics ------------------------------------------------------------------------------------------------


def bootstrap(
    groups: dict[str, list[Any]], statistic: Callable[[list[Any]], float], rounds: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """The statistic over all items, and its 95 % percentile interval resampling the groups (tasks) with
    replacement: steps of one task are not independent, so tasks are the unit."""
    names = sorted(groups)
    point = statistic([item for name in names for item in groups[name]])
    if not names:
        return point, point, point
    chance = random.Random(seed)
    values = sorted(
        statistic([item for name in chance.choices(names, k=len(names)) for item in groups[name]])
        for _ in range(rounds)
    )
    return point, values[int(0.025 * rounds)], values[min(rounds - 1, int(0.975 * rounds))]


def by_task(items: list[Any], key: Callable[[Any], str]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return dict(groups)


def step_scores(folder: Path) -> dict[str, dict[str, Any]]:
    """Per split: Mind2Web's rates of `farol eval steps` (`eval.steps.rates`, the command's own definition) and a
    bootstrap interval of the step success rate and the element accuracy over tasks."""
    path = folder / "steps.json"
    if not path.exists():
        return {}
    steps = [StepScore.model_validate(step) for step in json.loads(path.read_text())["steps"]]
    out: dict[str, dict[str, Any]] = {}
    for split in sorted({step.split for step in steps}):
        chosen = [step for step in steps if step.split == split]
        groups = by_task(chosen, lambda step: step.task)
        overall = rates(chosen, tasks=True)
        success = bootstrap(groups, lambda group: rates(group).step_success_rate)
        element = bootstrap(groups, lambda group: rates(group).element_accuracy or 0.0)
        out[split] = overall.model_dump() | {"step_success_ci": success[1:], "element_accuracy_ci": element[1:]}
    return out


def grounding_scores(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / "grounding.json"
    if not path.exists():
        return {}
    samples = json.loads(path.read_text())["samples"]
    out: dict[str, dict[str, Any]] = {}
    for split in sorted({sample["split"] for sample in samples}):
        chosen = [sample for sample in samples if sample["split"] == split]
        accuracy = bootstrap(
            by_task(chosen, lambda sample: sample["task"]),
            lambda group: 100 * sum(sample["inside"] for sample in group) / len(group) if group else 0.0,
        )
        out[split] = {"samples": len(chosen), "accuracy": accuracy[0], "accuracy_ci": accuracy[1:]}
    return out


def last_loss(path: Path) -> dict[str, float] | None:
    """The first and last logged training loss of a run (`loss.csv`, written by `farol train sft`)."""
    if not path.exists():
        return None
    losses = [float(row["loss"]) for row in csv.DictReader(path.open()) if row["loss"]]
    return {"first": losses[0], "last": losses[-1]} if losses else None


# -- running farol -------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.stages: dict[str, float] = {}

    def say(self, text: str) -> None:
        elapsed = int(time.monotonic() - self.started)
        print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {text}", flush=True)

    def farol(self, stage: str, *arguments: str, check: bool = True, threads: int | None = None) -> int:
        """Run one `farol` command, its output streamed; time it under `stage`. OpenMP threads wait passively:
        on a machine shared with other jobs, spinning threads slow everyone down (`threads` caps them)."""
        command = [FAROL, *arguments]
        self.say("$ farol " + " ".join(arguments))
        started = time.monotonic()
        env = os.environ | {"OMP_WAIT_POLICY": "PASSIVE"} | ({"OMP_NUM_THREADS": str(threads)} if threads else {})
        result = subprocess.run(command, cwd=ROOT, env=env, check=False)
        self.stages[stage] = self.stages.get(stage, 0.0) + time.monotonic() - started
        if check and result.returncode != 0:
            raise SystemExit(f"farol {arguments[0]} {arguments[1]} failed (exit {result.returncode})")
        return result.returncode


def share_replays(source: Path, target: Path) -> None:
    """The oracle's recorded episodes, so every model is scored on the same screens without running them again."""
    for name in ("replays", "screens"):
        if (source / name).exists():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)


def no_replay(replays: Path) -> set[str]:
    """Templates whose oracle episode failed (reported by the oracle's run): no model is scored on them."""
    path = replays / "steps.json"
    tasks = json.loads(path.read_text())["tasks"] if path.exists() else {}
    return {ref.split("@")[0] for ref, task in tasks.items() if "error" in task}


def sft_config(path: Path, model: Path, data: Path, output: Path, args: argparse.Namespace) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'model = "{model}"\ndata = "{data}"\noutput_dir = "{output}"\n'
        'deepspeed = ""\nbf16 = false\ngradient_checkpointing = false\nfreeze_vision = false\n'
        f"max_steps = {args.steps}\nlearning_rate = {args.lr}\nwarmup_ratio = 0.05\nweight_decay = 0.01\n"
        f"per_device_batch_size = {args.batch}\ngradient_accumulation_steps = 1\n"
        "group_by_length = false\ndataloader_workers = 0\n"
        f"eval_steps = {args.steps}\nsave_steps = {args.steps}\nsave_total_limit = 1\n"
        f"logging_steps = {max(1, min(10, args.steps // 5))}\n"
    )


def score(clock: Clock, name: str, out: Path, policy: list[str], args: argparse.Namespace, replays: Path) -> None:
    """`farol eval steps` and `farol eval grounding` for one policy on the chosen held-out tasks."""
    folder = out / "eval" / name
    unreplayable: set[str] = set()
    if folder != replays:
        share_replays(replays, folder)
        unreplayable = no_replay(replays)
    common = ["--out", str(folder), "--concurrency", "1", "--viewport", args.viewport, *policy]
    # One thread: decoding a small model is many tiny steps, and a second thread only waits on a shared machine.
    for split, chosen in (("test_task", args.templates), ("test_template", args.held_out)):
        if tasks := [task for task in chosen if task not in unreplayable]:
            clock.farol(f"eval {name}", "eval", "steps", "--split", split, "--tasks", ",".join(tasks), *common,
                        check=False, threads=1)  # fmt: skip
    grounding = args.templates[: args.grounding_tasks]
    clock.farol(f"eval {name}", "eval", "grounding", "--split", "test_task", "--tasks", ",".join(grounding), *common,
                check=False, threads=1)  # fmt: skip


# -- report ----------------------------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def interval(value: float, ci: Sequence[float]) -> str:
    return f"{value:.1f} [{ci[0]:.1f}, {ci[1]:.1f}]"


def losses(loss: dict[str, float] | None) -> str:
    return f"{loss['first']:.2f} → {loss['last']:.2f}" if loss else "–"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| model | trajectories | samples | test_task step success % [95% CI] | element acc. % | operation F1 % "
        "| task success % | test_template step success % [95% CI] | grounding acc. % [95% CI] | train loss |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["models"]:
        steps, grounding = row["steps"], row["grounding"]
        seen, unseen, ground = steps.get("test_task"), steps.get("test_template"), grounding.get("test_task")
        lines.append(
            f"| {row['name']} | {row.get('trajectories', '–')} | {row.get('samples', '–')} "
            f"| {interval(seen['step_success_rate'], seen['step_success_ci']) if seen else '–'} "
            f"| {percent(seen['element_accuracy']) if seen else '–'} "
            f"| {percent(seen['operation_f1']) if seen else '–'} "
            f"| {percent(seen['success_rate']) if seen else '–'} "
            f"| {interval(unseen['step_success_rate'], unseen['step_success_ci']) if unseen else '–'} "
            f"| {interval(ground['accuracy'], ground['accuracy_ci']) if ground else '–'} "
            f"| {losses(row.get('train_loss'))} |"
        )
    return "\n".join(lines) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    """The learning curve: step success (test_task, test_template) and grounding accuracy against training-set size,
    each point with its 95 % interval; the untrained model at 0."""
    width, height, left, right, top, bottom = 900, 560, 70, 30, 100, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    small = ImageFont.load_default(size=12)
    rows = [row for row in results["models"] if row["name"] != "oracle"]
    sizes = [row.get("trajectories", 0) for row in rows]
    top_size = max(sizes) or 1

    def at(size: float, value: float) -> tuple[float, float]:
        x = left + (width - left - right) * size / top_size
        return x, top + (height - top - bottom) * (1 - value / 100)

    for value in range(0, 101, 20):  # axes and grid
        _, y = at(0, value)
        draw.line([(left, y), (width - right, y)], fill=(225, 225, 225))
        draw.text((left - 8, y), f"{value}%", fill="black", font=small, anchor="rm")
    for size in sorted(set(sizes)):
        x, _ = at(size, 0)
        draw.line([(x, top), (x, height - bottom)], fill=(235, 235, 235))
        draw.text((x, height - bottom + 8), str(size), fill="black", font=small, anchor="mt")
    draw.line([(left, top), (left, height - bottom), (width - right, height - bottom)], fill="black", width=1)
    draw.text((width / 2, height - 22), "training trajectories (0 = untrained)", fill="black", font=font, anchor="mm")
    draw.text((left, 12), results["title"], fill="black", font=font)
    series = (  # label, colour, then where the point is: the scores, their split, the measure
        ("test_task step success (unseen data)", (37, 99, 235), "steps", "test_task", "step_success"),
        ("test_template step success (unseen template)", (217, 119, 6), "steps", "test_template", "step_success"),
        ("test_task element accuracy", (147, 51, 234), "steps", "test_task", "element_accuracy"),
        ("grounding accuracy (test_task)", (22, 163, 74), "grounding", "test_task", "accuracy"),
    )
    for number, (label, colour, scores, split, kind) in enumerate(series):
        points = []
        for row in rows:
            found = row[scores].get(split)
            if not found:
                continue
            value, ci = found[f"{kind}_rate" if kind == "step_success" else kind], found[f"{kind}_ci"]
            if value is None:
                continue
            x, y = at(row.get("trajectories", 0), value)
            x += (number - 1.5) * 6  # side by side, so the intervals do not hide each other
            low, high = at(0, ci[0])[1], at(0, ci[1])[1]
            draw.line([(x, low), (x, high)], fill=colour, width=2)
            draw.line([(x - 4, low), (x + 4, low)], fill=colour, width=2)
            draw.line([(x - 4, high), (x + 4, high)], fill=colour, width=2)
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
            points.append((x, y))
        if len(points) >= 2:
            draw.line(points, fill=colour, width=2)
        legend_x, legend_y = left + 10, 34 + 17 * number
        draw.line([(legend_x, legend_y + 7), (legend_x + 20, legend_y + 7)], fill=colour, width=3)
        draw.text((legend_x + 26, legend_y), label, fill="black", font=small)
    image.save(path)


# -- the run ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="6,12,24", help="training-set sizes, in trajectories (comma-separated)")
    parser.add_argument("--steps", type=int, default=400, help="optimizer steps of each training run")
    parser.add_argument("--batch", type=int, default=4, help="samples per optimizer step")
    parser.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (from scratch: high)")
    parser.add_argument(
        "--out", type=Path, default=Path("bench/results/flywheel"), help="working folder (resumable; git ignores it)"
    )
    parser.add_argument("--report", type=Path, help="where flywheel.json/.md/.png go [default: docs/; --quick: OUT]")
    parser.add_argument("--viewport", default="784x504", help="the browser window of generation and scoring")
    parser.add_argument("--templates", default=",".join(TEMPLATES), help="task templates trained and scored")
    parser.add_argument("--held-out", default=",".join(HELD_OUT_TEMPLATES), help="test_template tasks scored")
    parser.add_argument("--grounding-tasks", type=int, default=1, help="test_task tasks whose screens ground")
    parser.add_argument("--grounding-weight", type=float, default=0.1, help="share of grounding samples trained")
    parser.add_argument("--episodes", type=int, default=0, help="eval-split episodes with the largest model")
    parser.add_argument("--quick", action="store_true", help="a few minutes end to end: checks the pipeline")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.steps, args.batch = "2,3,4", 6, 2
        args.templates, args.held_out, args.grounding_tasks = "shopping-004,tickets-001", "", 1
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    args.templates = [name for name in args.templates.split(",") if name]
    args.held_out = [name for name in args.held_out.split(",") if name]
    out: Path = args.out.resolve()
    report: Path = (args.report or (out if args.quick else ROOT / "docs")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    report.mkdir(parents=True, exist_ok=True)
    width, height = parse_viewport(args.viewport)
    model_h, model_w = smart_resize(height, width)
    clock = Clock()
    clock.say(
        f"flywheel: sizes {sizes} trajectories, {args.steps} steps x {args.batch} samples each, viewport "
        f"{args.viewport} (model images {model_w}x{model_h}), templates {', '.join(args.templates)}"
    )

    # 1-2. Data: one datagen folder grown size by size; a dataset built at each size.
    datagen = out / "datagen"
    (out / "datagen.toml").write_text(f"[solve]\nviewport = [{width}, {height}]\nparallel = 2\n")
    manifests: dict[int, dict[str, Any]] = {}
    for size in sizes:
        data = out / f"data-{size}"
        if not (data / "manifest.json").exists():
            clock.farol("datagen", "datagen", "run", "--sites", "sandbox", "--n", str(size), "--tasks",
                        ",".join(args.templates), "--out", str(datagen), "--config", str(out / "datagen.toml"),
                        check=False)  # fmt: skip  # fewer than N solved exits 1; what was made is kept
            shutil.rmtree(data, ignore_errors=True)
            clock.farol("build-data", "train", "build-data", "--out", str(data), "--db", str(datagen / "farol.db"),
                        "--source", "datagen", "--source", "grounding", "--weight",
                        f"grounding={args.grounding_weight}", "--eval-fraction", "0")  # fmt: skip
        manifests[size] = json.loads((data / "manifest.json").read_text())
        clock.say(f"data-{size}: {manifests[size]['trajectories']} trajectories, samples {manifests[size]['samples']}")

    # 3. The untrained model: a config, and a tokenizer from the smallest training set's text.
    untrained = out / "model-untrained"
    model_info_path = out / "model.json"
    if not model_info_path.exists():
        prompts, replies = dataset_texts(out / f"data-{sizes[0]}")
        probe = train_tokenizer(prompts + replies, 1024 if args.quick else VOCAB)
        longest = max(len(probe(reply)["input_ids"]) for reply in replies)
        info = build_model(untrained, prompts + replies, longest + 24, args.quick)
        model_info_path.write_text(json.dumps(info, indent=1))
    model_info = json.loads(model_info_path.read_text())
    clock.say(f"model: {model_info['parameters'] / 1e6:.1f} M parameters, vocabulary {model_info['vocab']}")

    # 4. Scores: the oracle records the replays (and must score 100 %), then every model on the same screens.
    replays = out / "eval" / "oracle"
    score(clock, "oracle", out, ["--policy", "oracle"], args, replays)
    score(clock, "untrained", out, ["--model-path", str(untrained), "--device", "cpu"], args, replays)
    for size in sizes:
        trained = out / f"train-{size}"
        if not (trained / "final" / "config.json").exists():
            sft_config(trained / "sft.toml", untrained, out / f"data-{size}", trained, args)
            clock.farol(f"train {size}", "train", "sft", "--config", str(trained / "sft.toml"))
        score(clock, f"trained-{size}", out, ["--model-path", str(trained / "final"), "--device", "cpu"], args, replays)

    # 5. Optional: whole episodes with the largest trained model.
    episodes = None
    if args.episodes:
        folder = out / "episodes"
        model = out / f"train-{sizes[-1]}" / "final"
        clock.farol("episodes", "eval", "run", "--suite", "sandbox", "--split", "eval", "--tasks",
                    ",".join(args.templates), "--limit", str(args.episodes), "--out", str(folder), "--model-path",
                    str(model), "--device", "cpu", "--viewport", args.viewport, "--max-steps", "30",
                    "--concurrency", "1", check=False)  # fmt: skip
        runs = [json.loads(path.read_text()) for path in sorted(folder.glob("run*/*/result.json"))]
        episodes = {"tasks": len(runs), "passed": sum(bool(run.get("passed")) for run in runs)}

    # 6. Results.
    rows = []
    for name in ["oracle", "untrained", *(f"trained-{size}" for size in sizes)]:
        folder = out / "eval" / name
        row: dict[str, Any] = {"name": name, "steps": step_scores(folder), "grounding": grounding_scores(folder)}
        if name.startswith("trained-"):
            size = int(name.split("-")[1])
            manifest = manifests[size]
            row |= {
                "trajectories": sum(manifest["trajectories"].values()),
                "samples": sum(manifest["samples"].get("train", {}).values()),
                "train_loss": last_loss(out / f"train-{size}" / "loss.csv"),
            }
        elif name == "untrained":
            row |= {"trajectories": 0, "samples": 0}
        rows.append(row)
    command = "python bench/flywheel.py " + " ".join(sys.argv[1:])
    results = {
        "title": f"Flywheel: {model_info['parameters'] / 1e6:.1f} M-parameter Qwen2.5-VL, {args.steps} steps x "
        f"{args.batch}, CPU",
        "command": command.strip(),
        "sizes": sizes,
        "steps": args.steps,
        "batch": args.batch,
        "learning_rate": args.lr,
        "viewport": args.viewport,
        "templates": args.templates,
        "held_out_templates": args.held_out,
        "model": model_info,
        "manifests": {str(size): manifest for size, manifest in manifests.items()},
        "models": rows,
        "episodes": episodes,
        "seconds": {stage: round(seconds, 1) for stage, seconds in clock.stages.items()},
        "total_seconds": round(time.monotonic() - clock.started, 1),
    }
    (report / "flywheel.json").write_text(json.dumps(results, indent=1))
    table = markdown(results)
    (report / "flywheel.md").write_text(f"`{results['command']}`\n\n{table}")
    plot(results, report / "flywheel.png")
    print(table)
    if episodes is not None:
        print(f"episodes (eval split, {sizes[-1]} trajectories' model): {episodes['passed']} of {episodes['tasks']}")
    clock.say(f"done: {report / 'flywheel.json'}, {report / 'flywheel.md'}, {report / 'flywheel.png'}")


if __name__ == "__main__":
    main()
