"""Batches for Qwen2.5-VL: the model's own processor and chat template, loss on the reply only.

Each sample's prompt is rendered exactly as at inference (`agent.hf_policy.render_prompt`, image pads expanded
by the processor) and the target is tokenized on its own and appended, as the model generates it after the
prompt; then `<|im_end|>`, which ends the turn. Labels are -100 everywhere else. `mm_token_type_ids` marks the
image tokens, which transformers needs to compute Qwen2.5-VL's 3-D rotary positions.

Screenshots reach the model at the size they were stored, the size the prompt states and the actions' pixels
are in: `check_size` refuses a processor (its `max_pixels`/`min_pixels`) that would resize them.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from transformers import ProcessorMixin

from agent.geometry import png_size, smart_resize
from agent.hf_policy import render_prompt

IGNORE = -100
END_OF_TURN = "<|im_end|>"


class ImageSizeConflict(ValueError):
    """The processor would resize a screenshot whose coordinates the prompt and the actions fix."""


class Collator:
    def __init__(self, processor: ProcessorMixin, images: Path | None = None) -> None:
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.image_processor = processor.image_processor
        self.images = images  # the dataset's images/ folder, where rows name screenshots by digest
        self.image_token_id = self.tokenizer.convert_tokens_to_ids(self.tokenizer.image_token)
        self.pad_id = self.tokenizer.pad_token_id
        self._sizes: dict[str, tuple[int, int]] = {}  # digest -> (width, height); steps share screenshots

    def encode(self, row: dict[str, Any]) -> dict[str, torch.Tensor]:
        """One sample: prompt ids (images expanded) + target ids + end of turn, labels on the last two only."""
        images = [self._image(image) for image in row["images"]]
        prompt = render_prompt(self.processor, json.loads(row["messages"]))
        inputs = self.processor(text=[prompt], images=images or None, return_tensors="pt")
        prompt_ids = inputs["input_ids"][0]
        target_ids = torch.tensor(self._target_ids(row))
        encoded = {
            "input_ids": torch.cat([prompt_ids, target_ids]),
            "labels": torch.cat([torch.full_like(prompt_ids, IGNORE), target_ids]),
        }
        if images:
            encoded["pixel_values"] = inputs["pixel_values"]
            encoded["image_grid_thw"] = inputs["image_grid_thw"]
        return encoded

    def length(self, row: dict[str, Any]) -> int:
        """`len(encode(row)["input_ids"])` without decoding a pixel: each image pad becomes its image's tokens."""
        prompt = render_prompt(self.processor, json.loads(row["messages"]))
        merge = self.image_processor.merge_size**2
        image_tokens: int = sum(
            self.image_processor.get_number_of_image_patches(height, width) // merge
            for width, height in map(self.image_size, row["images"])
        )
        pads = len(row["images"])
        return len(self.tokenizer(prompt)["input_ids"]) - pads + image_tokens + len(self._target_ids(row))

    def check_size(self, width: int, height: int) -> None:
        """Refuse a screenshot size the processor would change: the model would see another image than the one
        the prompt's "screen's resolution" and the actions' coordinates describe."""
        size = self.image_processor.size
        factor = self.image_processor.patch_size * self.image_processor.merge_size
        resized_height, resized_width = smart_resize(
            height, width, factor, min_pixels=size.shortest_edge, max_pixels=size.longest_edge
        )
        if (resized_width, resized_height) != (width, height):
            raise ImageSizeConflict(
                f"the processor (min_pixels {size.shortest_edge}, max_pixels {size.longest_edge}) would resize "
                f"{width}x{height} screenshots to {resized_width}x{resized_height}, but their prompts and actions "
                f"are in {width}x{height} pixels: set max_pixels to at least {width * height} (or leave it unset), "
                "or build the data from a smaller window"
            )

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

    def _target_ids(self, row: dict[str, Any]) -> list[int]:
        ids: list[int] = self.tokenizer(row["target"] + END_OF_TURN, add_special_tokens=False)["input_ids"]
        return ids

    def image_size(self, digest: str) -> tuple[int, int]:
        """(width, height) of a stored screenshot, from its PNG header."""
        if digest not in self._sizes:
            with self._path(digest).open("rb") as file:
                self._sizes[digest] = png_size(file.read(24))
        return self._sizes[digest]

    def _image(self, image: str | dict[str, bytes]) -> Image.Image:
        """A row's image as RGB: a digest in the dataset's images/ folder, or {"bytes": PNG}."""
        source = self._path(image) if isinstance(image, str) else io.BytesIO(image["bytes"])
        return Image.open(source).convert("RGB")

    def _path(self, digest: str) -> Path:
        if self.images is None:
            raise ValueError("rows name their images by digest: give the Collator the dataset's images folder")
        return self.images / f"{digest}.png"


def _pad(values: torch.Tensor, length: int, fill: int) -> torch.Tensor:
    return torch.cat([values, torch.full((length - len(values),), fill, dtype=values.dtype)])
