"""A built dataset in LLaMA-Factory's multimodal ShareGPT layout, for people who train with it.

Writes `images/<sha256>.png`, one JSON file per split (`farol_train.json`, `farol_eval.json`), the
`dataset_info.json` entries that name them, and `farol_sft.yaml`, a training config with the settings our samples
need (`llamafactory-cli train OUT/farol_sft.yaml`):

- `mask_history: true`: an example is one model call, its history included; only the last reply is its target
  (LLaMA-Factory's default trains every assistant turn, which would teach the pruned history's replies again).
- `cutoff_len` above the longest example: LLaMA-Factory truncates longer ones, cutting image tokens or the answer.
- `image_max_pixels` at least the largest screenshot: a smaller budget shrinks the image while the prompt still
  states its size and the actions stay in its pixels (LLaMA-Factory's default is 768*768).

Each example holds the system prompt, the history and the reply, with `<image>` where each screenshot was.
LLaMA-Factory wants user and assistant turns to alternate, and Fara's pruned history can hold assistant turns in a
row (their screenshots were dropped): those are joined into one assistant turn, a small difference from the layout
`farol train sft` trains on. Nothing else is written: no cache, in the export or beside the dataset.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from agent.geometry import png_size
from training.datafiles import images_dir, load_splits

IMAGE_TAG = "<image>"
CONFIG = "farol_sft.yaml"
CUTOFF_MARGIN = 1.25  # over the longest example's estimated tokens (`length`: text is counted roughly)


def export_llamafactory(dataset_dir: Path, out: Path) -> dict[str, int]:
    """Write the export into `out`; returns the number of examples per split."""
    (out / "images").mkdir(parents=True, exist_ok=True)
    info: dict[str, Any] = {}
    counts: dict[str, int] = {}
    longest, pixels = 0, 0
    for split, rows in load_splits(dataset_dir).items():
        name = f"farol_{split}"
        with (out / f"{name}.json").open("w") as file:  # one example at a time: the split never sits in memory
            file.write("[\n")
            for number, row in enumerate(rows):
                for digest in row["images"]:
                    pixels = max(pixels, _copy_image(dataset_dir, out, digest))
                longest = max(longest, row["length"])
                file.write((",\n" if number else "") + json.dumps(_example(row), ensure_ascii=False))
            file.write("\n]\n")
        info[name] = _dataset_entry(name)
        counts[split] = len(rows)
    (out / "dataset_info.json").write_text(json.dumps(info, indent=2))
    cutoff = 1024 * math.ceil(longest * CUTOFF_MARGIN / 1024)
    (out / CONFIG).write_text(_training_config(out, "eval" in counts, cutoff, pixels))
    return counts


def _dataset_entry(name: str) -> dict[str, Any]:
    return {
        "file_name": f"{name}.json",
        "formatting": "sharegpt",
        "columns": {"messages": "messages", "images": "images", "system": "system"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
    }


def _training_config(out: Path, has_eval: bool, cutoff_len: int, image_max_pixels: int) -> str:
    evaluation = "eval_dataset: farol_eval\neval_strategy: steps\neval_steps: 200\n" if has_eval else ""
    return f"""\
# Written by `farol train export-llamafactory`: llamafactory-cli train {out.resolve() / CONFIG}
# The three settings marked * are what farol's samples need; the rest is a starting point (see the README).
model_name_or_path: microsoft/Fara-7B
template: qwen2_vl
stage: sft
do_train: true
finetuning_type: full
freeze_vision_tower: true

dataset_dir: {out.resolve()}
dataset: farol_train
{evaluation}mask_history: true  # * train the last reply only: the earlier ones are history
cutoff_len: {cutoff_len}  # * over the longest example: a truncated one loses image tokens or its answer
image_max_pixels: {image_max_pixels}  # * the largest screenshot: smaller would shrink images the prompts size
overwrite_cache: true
preprocessing_num_workers: 8

output_dir: saves/fara-7b/farol-sft
logging_steps: 10
save_steps: 500
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
learning_rate: 1.0e-5
num_train_epochs: 1.0
lr_scheduler_type: cosine
warmup_ratio: 0.03
bf16: true
deepspeed: examples/deepspeed/ds_z3_config.json
"""


def _copy_image(dataset_dir: Path, out: Path, digest: str) -> int:
    """The screenshot into the export's images/ (once); returns its pixel count."""
    target = out / "images" / f"{digest}.png"
    if not target.exists():
        shutil.copyfile(images_dir(dataset_dir) / f"{digest}.png", target)
    with target.open("rb") as file:
        width, height = png_size(file.read(24))
    return width * height


def _example(row: dict[str, Any]) -> dict[str, Any]:
    system = ""
    messages: list[dict[str, str]] = []
    for message in json.loads(row["messages"]):
        text = _text(message["content"])
        if message["role"] == "system":
            system = text
        elif messages and messages[-1]["role"] == message["role"]:
            messages[-1]["content"] += "\n" + text
        else:
            messages.append({"role": message["role"], "content": text})
    messages.append({"role": "assistant", "content": row["target"]})
    images = [f"images/{digest}.png" for digest in row["images"]]
    return {"system": system, "messages": messages, "images": images}


def _text(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "".join(IMAGE_TAG if part["type"] == "image" else part["text"] for part in content)
