"""A built dataset in LLaMA-Factory's multimodal ShareGPT layout, for people who train with it.

Writes `images/<sha256>.png`, one JSON file per split (`farol_train.json`, `farol_eval.json`) and the
`dataset_info.json` entries that name them. Each example is one model call: the system prompt, the history
and the reply, with `<image>` where each screenshot was. LLaMA-Factory wants user and assistant turns to
alternate, and Fara's pruned history can hold assistant turns in a row (their screenshots were dropped):
those are joined into one assistant turn, a small difference from the layout `farol train sft` trains on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datasets import Image, Sequence, load_from_disk

from agent.screenshot import digest_of

IMAGE_TAG = "<image>"


def export_llamafactory(dataset_dir: Path, out: Path) -> dict[str, int]:
    """Write the export into `out`; returns the number of examples per split."""
    (out / "images").mkdir(parents=True, exist_ok=True)
    splits = load_from_disk(str(dataset_dir))
    info: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for split, rows in splits.items():
        stored = rows.cast_column("images", Sequence(Image(decode=False)))  # the PNG bytes as built
        examples = [_example(row, out) for row in stored]
        name = f"farol_{split}"
        (out / f"{name}.json").write_text(json.dumps(examples, ensure_ascii=False, indent=1))
        info[name] = {
            "file_name": f"{name}.json",
            "formatting": "sharegpt",
            "columns": {"messages": "messages", "images": "images", "system": "system"},
            "tags": {
                "role_tag": "role",
                "content_tag": "content",
                "user_tag": "user",
                "assistant_tag": "assistant",
            },
        }
        counts[split] = len(examples)
    (out / "dataset_info.json").write_text(json.dumps(info, indent=2))
    return counts


def _example(row: dict[str, Any], out: Path) -> dict[str, Any]:
    paths = []
    for image in row["images"]:
        png = image["bytes"]
        path = out / "images" / f"{digest_of(png)}.png"
        if not path.exists():
            path.write_bytes(png)
        paths.append(str(path.relative_to(out)))
    system, messages = "", []
    for message in json.loads(row["messages"]):
        text = _text(message["content"])
        if message["role"] == "system":
            system = text
        elif messages and messages[-1]["role"] == message["role"]:
            messages[-1]["content"] += "\n" + text
        else:
            messages.append({"role": message["role"], "content": text})
    messages.append({"role": "assistant", "content": row["target"]})
    return {"system": system, "messages": messages, "images": paths}


def _text(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "".join(IMAGE_TAG if part["type"] == "image" else part["text"] for part in content)
