"""A policy that runs a Qwen2.5-VL checkpoint (Fara-7B or the tiny test model) in-process with transformers.

It takes the same OpenAI-style messages as `OpenAIPolicy` and decodes greedily, like the reference's
temperature 0, so CPU tests and GPU smoke runs exercise the real request layout without a server.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from transformers import (
    AutoImageProcessor,
    AutoModelForImageTextToText,
    AutoProcessor,
    AutoTokenizer,
    BatchFeature,
    ProcessorMixin,
    Qwen2_5_VLProcessor,
)

from agent.history import split_images
from agent.policy import ModelReply
from agent.trajectory import TokenUsage

log = logging.getLogger(__name__)

_END_MARKERS = ("<|im_end|>", "<|endoftext|>")


class ImageOnlyQwen2_5_VLProcessor(Qwen2_5_VLProcessor):  # type: ignore[misc]  # transformers is Any to mypy
    """Qwen2.5-VL's processor without the video processor, which cannot be built without torchvision."""

    def check_argument_for_proper_class(self, argument_name: str, argument: Any) -> Any:
        if argument_name == "video_processor" and argument is None:
            return None
        return super().check_argument_for_proper_class(argument_name, argument)


class TransformersPolicy:
    def __init__(
        self,
        model_dir: str | Path,
        max_new_tokens: int | None = None,
        max_pixels: int | None = None,
        device: str = "cpu",
    ) -> None:
        """`max_new_tokens`: the reply's token budget [default: the checkpoint's generation config's, else 256]."""
        model_dir = Path(model_dir)
        self.name = model_dir.name
        self.device = resolve_device(device)
        self.processor = load_processor(model_dir, max_pixels)
        self.tokenizer = self.processor.tokenizer
        self.image_processor = self.processor.image_processor
        self.model = AutoModelForImageTextToText.from_pretrained(model_dir, dtype="auto").to(self.device).eval()
        self.max_new_tokens = max_new_tokens or getattr(self.model.generation_config, "max_new_tokens", None) or 256
        self._lock = threading.Lock()  # one generate at a time: concurrent runs would share the model

    def render(self, messages: list[dict[str, Any]]) -> tuple[str, list[Image.Image]]:
        """The prompt text (one image pad per image, expanded later by the processor) and the images in order."""
        conversation, images = split_images(messages)
        return render_prompt(self.processor, conversation), images

    def encode(self, messages: list[dict[str, Any]]) -> BatchFeature:
        """The model inputs for `messages`: token ids with image pads expanded, pixel values and image grids."""
        prompt, images = self.render(messages)
        return self.processor(text=[prompt], images=images or None, return_tensors="pt")

    async def complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        return await asyncio.to_thread(self._complete, messages)

    async def close(self) -> None:
        """Nothing to release (as `OpenAIPolicy.close`, so callers treat both alike)."""

    def _complete(self, messages: list[dict[str, Any]]) -> ModelReply:
        inputs = self.encode(messages).to(self.device)
        prompt_tokens = inputs["input_ids"].shape[1]
        with self._lock, torch.inference_mode():
            output = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        new_tokens = output[0, prompt_tokens:]
        # The raw turn as the model wrote it (`<tool_call>` tags included), cut where the turn ends.
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=False)
        for marker in _END_MARKERS:
            text = text.split(marker, 1)[0]
        return ModelReply(text, TokenUsage(prompt_tokens=prompt_tokens, completion_tokens=len(new_tokens)))


def resolve_device(device: str) -> str:
    """`auto` -> the first GPU if there is one, else the CPU; anything else must name a device torch has."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    parsed = torch.device(device)  # RuntimeError on a malformed name
    if parsed.type == "cuda" and (parsed.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"no CUDA device {device} here ({torch.cuda.device_count()} found)")
    return device


def load_processor(model_dir: str | Path, max_pixels: int | None = None) -> ProcessorMixin:
    """The checkpoint's processor (tokenizer, image processor, chat template); `max_pixels` caps image size."""
    model_dir = Path(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    overrides = {} if max_pixels is None else {"max_pixels": max_pixels}
    image_processor = AutoImageProcessor.from_pretrained(model_dir, **overrides)
    try:
        processor = AutoProcessor.from_pretrained(model_dir)
    except ImportError as error:  # the video processor needs torchvision
        log.info("AutoProcessor failed (%s); using the image-only processor", str(error).strip().split("\n")[0])
        processor = None
    # Without a processor_config.json AutoProcessor quietly returns just the tokenizer.
    if isinstance(processor, ProcessorMixin) and getattr(processor, "image_processor", None) is not None:
        processor.image_processor = image_processor  # honours max_pixels
        return processor
    return ImageOnlyQwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=None,
        chat_template=tokenizer.chat_template,
    )


def render_prompt(processor: ProcessorMixin, conversation: list[dict[str, Any]]) -> str:
    """A conversation (images as `{"type": "image"}` parts) through the model's chat template, ready for the
    assistant's turn: the text the model continues, at inference and in training alike."""
    tokenizer = processor.tokenizer
    template = getattr(processor, "chat_template", None) or tokenizer.chat_template
    text: str = tokenizer.apply_chat_template(
        conversation, chat_template=template, tokenize=False, add_generation_prompt=True
    )
    return text
