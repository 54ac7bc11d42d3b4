"""A tiny random Qwen2.5-VL checkpoint, laid out like a real one, for tests and CPU smoke runs.

It is saved with `save_pretrained`, so the code that loads Fara-7B (`AutoModelForImageTextToText`,
`AutoTokenizer`, `AutoImageProcessor`) loads it unchanged. The weights are random: replies are noise,
but shapes, special tokens, the chat template and image-token accounting behave as in the real model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AddedToken,
    GenerationConfig,
    PreTrainedTokenizerFast,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2VLImageProcessorPil,
)

from agent.geometry import MIN_PIXELS, TRAINING_MAX_PIXELS
from agent.prompt import system_prompt

# Qwen's own special tokens; `<tool_call>` tags are plain added tokens there (decoding keeps them).
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SPECIAL_TOKENS += ["<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
TOOL_TOKENS = ["<tool_call>", "</tool_call>"]

# Qwen2-VL's template without video and vision ids: images become one pad token that the processor expands.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] in ('image', 'image_url') %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# head_dim = 64 / 4 = 16; the M-RoPE sections (time, height, width) must sum to head_dim / 2.
TEXT_SIZES = dict(
    hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2
)
MROPE = {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [2, 3, 3]}
VISION_SIZES = dict(depth=2, hidden_size=64, intermediate_size=128, num_heads=4, out_hidden_size=64)
# Qwen2.5-VL's real patching (14 px patches, 2x2 merge, 2 frames), so image-token counts match Fara-7B's.
PATCHING = dict(patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=112, fullatt_block_indexes=[1])

# English, JSON and tool-call text, plus the agent's own system prompt so prompts stay short (fast tests).
_CORPUS = [
    system_prompt(1428, 896),
    "You are a helpful assistant that operates a web browser to complete the user's task.",
    "Current URL: https://www.example.com/search\nHere is the next screenshot. Think about what to do next.",
    "I will click the search box, type the query and press Enter to see the results.",
    '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [6, 3]}}\n</tool_call>',
    '<tool_call>\n{"name": "computer_use", "arguments": {"action": "type", "text": "weather today"}}\n</tool_call>',
    '{"action": "terminate", "status": "success"} {"action": "scroll", "pixels": -300} {"url": "https://"}',
    "The page shows a list of products with prices. The first result is the cheapest one, so I open it.",
    "0123456789 ,.;:!?()[]{}<>\"'/-_=+*&%$#@ the of and to in is that for on with as it by this be are",
]


def qwen_tokenizer(bpe: Tokenizer) -> PreTrainedTokenizerFast:
    """A trained byte-level BPE as Qwen's fast tokenizer: its chat template and eos/pad, with Qwen's special and
    tool tokens appended after the BPE vocabulary, as in Qwen, so ids stay stable across corpus changes."""
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_special_tokens={
            "image_token": "<|image_pad|>",
            "video_token": "<|video_pad|>",
            "vision_bos_token": "<|vision_start|>",
            "vision_eos_token": "<|vision_end|>",
        },
        chat_template=CHAT_TEMPLATE,
        model_max_length=32768,
    )
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS}, replace_extra_special_tokens=False)
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in TOOL_TOKENS])
    return tokenizer


def save_random_qwen(
    out_dir: Path,
    tokenizer: PreTrainedTokenizerFast,
    *,
    text_sizes: dict[str, Any],
    mrope: dict[str, Any],
    vision: dict[str, Any],
    **generation: Any,
) -> Qwen2_5_VLForConditionalGeneration:
    """A randomly initialised Qwen2.5-VL of these sizes, wired to `tokenizer`'s special tokens, saved with it into
    `out_dir`. Like Qwen's instruct checkpoints: a turn ends at <|im_end|>, greedy decoding by default
    (`generation` adds to that, e.g. `max_new_tokens`)."""
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    end_of_text, im_end = ids["<|endoftext|>"], ids["<|im_end|>"]
    text = {"vocab_size": len(tokenizer), **text_sizes, "rope_parameters": mrope, "max_position_embeddings": 32768}
    text |= {"bos_token_id": end_of_text, "eos_token_id": im_end, "pad_token_id": end_of_text}
    config = Qwen2_5_VLConfig(
        text_config=text,
        vision_config=vision,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(
        eos_token_id=[im_end, end_of_text], pad_token_id=end_of_text, do_sample=False, **generation
    )
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return model


def _train_tokenizer() -> PreTrainedTokenizerFast:
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()  # every byte stays encodable
    trainer = trainers.BpeTrainer(vocab_size=1024, initial_alphabet=alphabet, show_progress=False)
    bpe.train_from_iterator(_CORPUS * 4, trainer)
    return qwen_tokenizer(bpe)


def build_tiny_qwen(out_dir: Path) -> Path:
    """Write a tiny random Qwen2.5-VL (model, tokenizer, image processor) into `out_dir` and return it."""
    out_dir = Path(out_dir)
    torch.manual_seed(0)
    save_random_qwen(out_dir, _train_tokenizer(), text_sizes=TEXT_SIZES, mrope=MROPE, vision=VISION_SIZES | PATCHING)
    # The PIL backend saves the same config as the torchvision one; AutoImageProcessor picks whichever is installed.
    # The cap lets a 1440x900 window through unresized while keeping odd huge images cheap.
    Qwen2VLImageProcessorPil(min_pixels=MIN_PIXELS, max_pixels=TRAINING_MAX_PIXELS).save_pretrained(out_dir)
    return out_dir
