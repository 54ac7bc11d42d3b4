"""The in-process transformers policy against a tiny random Qwen2.5-VL built on the fly (CPU, no hub)."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from transformers import AutoModelForImageTextToText

from agent.geometry import ScreenGeometry
from agent.hf_policy import TransformersPolicy
from agent.history import Turn, build_messages
from doubles.tiny_qwen import build_tiny_qwen

TASK = "Find the weather forecast for Lisbon"
MAX_NEW_TOKENS = 16
GEOMETRY = ScreenGeometry.for_screenshot(1440, 900, 1440, 900, max_pixels=200704)


def screenshot(colour: str) -> bytes:
    image = Image.new("RGB", (1440, 900), colour)
    ImageDraw.Draw(image).rectangle((200, 150, 700, 450), fill="white", outline="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen"))


@pytest.fixture(scope="module")
def policy(model_dir: Path) -> TransformersPolicy:
    return TransformersPolicy(model_dir, max_new_tokens=MAX_NEW_TOKENS)


@pytest.fixture
def messages() -> list[dict]:
    action = '{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [100, 80]}}'
    reply = f"I will search.\n<tool_call>\n{action}\n</tool_call>"
    turns = [
        Turn(screenshot("navy"), GEOMETRY, "https://example.com/", user_text=TASK, reply=reply),
        Turn(screenshot("darkgreen"), GEOMETRY, "https://example.com/search?q=weather"),
    ]
    return build_messages(turns)


def test_complete_returns_text_and_token_usage(
    model_dir: Path, policy: TransformersPolicy, messages: list[dict]
) -> None:
    reply = asyncio.run(policy.complete(messages))

    assert isinstance(reply.text, str)
    assert "<|im_end|>" not in reply.text and "<|endoftext|>" not in reply.text
    assert reply.usage is not None
    assert 0 < reply.usage.completion_tokens <= MAX_NEW_TOKENS
    # Each image's pad expands to one token per 2x2 merge of 14-pixel patches of the model-sized screenshot.
    per_image = (GEOMETRY.model_height // 28) * (GEOMETRY.model_width // 28)
    prompt, images = policy.render(messages)
    assert len(images) == 2
    text_tokens = len(policy.tokenizer(prompt)["input_ids"])  # one <|image_pad|> per image before expansion
    assert reply.usage.prompt_tokens == text_tokens - len(images) + len(images) * per_image
    input_ids = policy.encode(messages)["input_ids"][0]
    assert reply.usage.prompt_tokens == len(input_ids)
    assert (input_ids == policy.tokenizer.convert_tokens_to_ids("<|image_pad|>")).sum().item() == 2 * per_image
    # Greedy decoding: the same request gives the same reply.
    assert asyncio.run(policy.complete(messages)) == reply
    assert policy.name == model_dir.name


def test_the_reply_budget_is_the_checkpoints_unless_given(
    model_dir: Path, policy: TransformersPolicy, messages: list[dict], tmp_path: Path
) -> None:
    """A checkpoint whose generation config caps replies (as the flywheel's small models do) is held to that cap; a
    budget given in code wins; a checkpoint without one gets 256 tokens."""
    capped = tmp_path / "capped"
    shutil.copytree(model_dir, capped)
    config = json.loads((capped / "generation_config.json").read_text())
    assert "max_new_tokens" not in config
    (capped / "generation_config.json").write_text(json.dumps(config | {"max_new_tokens": 3}))

    def completion_tokens(chosen: TransformersPolicy) -> int:
        usage = asyncio.run(chosen.complete(messages)).usage
        assert usage is not None
        return usage.completion_tokens

    assert TransformersPolicy(model_dir).max_new_tokens == 256
    assert completion_tokens(policy) == MAX_NEW_TOKENS  # random weights never end a turn this soon
    assert completion_tokens(TransformersPolicy(capped)) == 3
    assert completion_tokens(TransformersPolicy(capped, max_new_tokens=5)) == 5


def test_chat_template_renders_the_request(policy: TransformersPolicy, messages: list[dict]) -> None:
    prompt, _ = policy.render(messages)

    assert prompt.startswith("<|im_start|>system\n")
    assert f"<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>{TASK}<|im_end|>\n" in prompt
    assert '<|im_start|>assistant\nI will search.\n<tool_call>\n{"name": "computer_use"' in prompt
    assert prompt.count("<|vision_start|>") == 2
    assert prompt.endswith("Think about what to do next.<|im_end|>\n<|im_start|>assistant\n")
    tokens = policy.tokenizer.tokenize("<tool_call>\n{}\n</tool_call><|im_end|>")
    assert tokens[0] == "<tool_call>" and tokens[-2:] == ["</tool_call>", "<|im_end|>"]


def test_saved_checkpoint_reloads_with_auto_classes(model_dir: Path, policy: TransformersPolicy) -> None:
    model = AutoModelForImageTextToText.from_pretrained(model_dir)

    assert type(model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    tokenizer = policy.tokenizer
    assert model.config.image_token_id == tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert model.config.vision_start_token_id == tokenizer.convert_tokens_to_ids("<|vision_start|>")
    assert model.config.text_config.vocab_size == len(tokenizer)
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") in model.generation_config.eos_token_id
    assert policy.image_processor.merge_size == model.config.vision_config.spatial_merge_size


def test_the_loop_runs_a_real_step_with_the_tiny_model(policy: TransformersPolicy, site, tmp_path: Path) -> None:
    """Random weights reply with noise: the loop records the parse errors and the trajectory stays consistent."""
    from agent.loop import Agent
    from agent.playwright_env import PlaywrightEnv
    from agent.recorder import StoreRecorder
    from agent.store import Store

    store = Store(tmp_path / "farol.db")

    async def scenario():
        env = await PlaywrightEnv.launch(site.url("page2.html"))
        try:
            return await Agent(env, policy, hooks=[StoreRecorder(store)]).run(TASK)
        finally:
            await env.close()

    trajectory = asyncio.run(scenario())
    assert trajectory.status == "error" and "could not be parsed twice" in trajectory.reason
    assert [step.parse_error is not None for step in trajectory.steps] == [True, True]
    assert trajectory.steps[0].screenshot == trajectory.steps[1].screenshot  # asked again on the same screen
    first = trajectory.steps[0]
    assert first.raw_text is not None and first.tokens.completion_tokens <= MAX_NEW_TOKENS
    assert first.tokens.prompt_tokens > 1632  # the 1428x896 screenshot alone is 1632 tokens
    assert (first.model_width, first.model_height) == (1428, 896)
    assert store.load(trajectory.id) == trajectory
