"""Batches for Qwen2.5-VL: the model's own processor and chat template, loss on the reply only.

Each sample's prompt is rendered exactly as at inference (`agent.hf_policy.render_prompt`, image pads expanded
by the processor) and the target is tokenized on its own and appended, as the model generates it after the
prompt; then `<|im_end|>`, which ends the turn. Labels are -100 everywhere else. `mm_token_type_ids` marks the
image tokens, which transformers needs to compute Qwen2.5-VL's 3-D rotary positions.
"""

from __future__ import annotations

import io
import json
from typing import Any

import torch
from PIL import Image
from transformers import ProcessorMixin

from agent.hf_policy import render_prompt

IGNORE = -100
END_OF_TURN = "<|im_end|>"


class Collator:
    def __init__(self, processor: ProcessorMixin, max_length: int | None = None) -> None:
        self.processor = processor
        self.tokenizer = processor.tokenizer  # type: ignore[attr-defined]
        self.max_length = max_length
        self.image_token_id = self.tokenizer.convert_tokens_to_ids(self.tokenizer.image_token)
        self.pad_id = self.tokenizer.pad_token_id

    def encode(self, row: dict[str, Any]) -> dict[str, torch.Tensor]:
        """One sample: prompt ids (images expanded) + target ids + end of turn, labels on the last two only."""
        images = [_image(image) for image in row["images"]]
        prompt = render_prompt(self.processor, json.loads(row["messages"]))
        inputs = self.processor(text=[prompt], images=images or None, return_tensors="pt")
        prompt_ids = inputs["input_ids"][0]
        target_ids = torch.tensor(self.tokenizer(row["target"] + END_OF_TURN, add_special_tokens=False)["input_ids"])
        input_ids = torch.cat([prompt_ids, target_ids])
        if self.max_length is not None and len(input_ids) > self.max_length:
            # Cutting a sample would cut image tokens or the answer: refuse rather than train on a broken one.
            raise ValueError(f"sample {row.get('id')} has {len(input_ids)} tokens, over max_length {self.max_length}")
        encoded = {
            "input_ids": input_ids,
            "labels": torch.cat([torch.full_like(prompt_ids, IGNORE), target_ids]),
        }
        if images:
            encoded["pixel_values"] = inputs["pixel_values"]
            encoded["image_grid_thw"] = inputs["image_grid_thw"]
        return encoded

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        encoded = [self.encode(row) for row in rows]
        longest = max(len(item["input_ids"]) for item in encoded)
        batch: dict[str, Any] = {
            "input_ids": torch.stack([_pad(item["input_ids"], longest, self.pad_id) for item in encoded]),
            "labels": torch.stack([_pad(item["labels"], longest, IGNORE) for item in encoded]),
            "attention_mask": torch.stack([_pad(torch.ones_like(item["input_ids"]), longest, 0) for item in encoded]),
        }
        batch["mm_token_type_ids"] = (batch["input_ids"] == self.image_token_id).long()
        with_images = [item for item in encoded if "pixel_values" in item]
        if with_images:
            batch["pixel_values"] = torch.cat([item["pixel_values"] for item in with_images])
            batch["image_grid_thw"] = torch.cat([item["image_grid_thw"] for item in with_images])
        return batch


def _pad(values: torch.Tensor, length: int, fill: int) -> torch.Tensor:
    return torch.cat([values, torch.full((length - len(values),), fill, dtype=values.dtype)])


def _image(image: Any) -> Image.Image:
    """A dataset image (PIL already, or {"bytes": ...}) as RGB."""
    if isinstance(image, dict):
        image = Image.open(io.BytesIO(image["bytes"]))
    return image.convert("RGB")
