"""`farol train sft` on CPU with the tiny Qwen2.5-VL: the collator's labels, DeepSpeed ZeRO-2 and ZeRO-3 steps,
resuming, LoRA, and an overfit that the model then reproduces, action for action."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from datasets import DatasetDict

from agent.actions import LeftClick, Scroll, Terminate, Type
from agent.geometry import ScreenGeometry
from agent.hf_policy import TransformersPolicy, load_processor
from agent.history import Turn, build_messages, data_url_bytes, split_images
from agent.parser import format_reply, parse_reply
from training.collator import IGNORE, Collator
from training.dataset import _to_dataset
from training.samples import make_sample
from training.sft import SFTConfig, train

GEOMETRY = ScreenGeometry.for_screenshot(448, 336, 448, 336)
ACTIONS = [
    LeftClick(coordinate=(25, 20)),
    LeftClick(coordinate=(205, 40)),
    LeftClick(coordinate=(330, 210)),
    Type(text="lisbon weather", coordinate=(40, 30)),
    Type(text="cheap flights", coordinate=(120, 90), press_enter=False),
    Scroll(pixels=-300),
    Scroll(pixels=200),
    Terminate(status="success"),
]


def png(colour: str) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (448, 336), colour).save(buffer, format="PNG")
    return buffer.getvalue()


SCREENS = ["red", "green", "blue", "yellow", "purple", "orange", "black", "cyan"]


@pytest.fixture(scope="module")
def requests() -> list[list[dict]]:
    """Eight one-step requests as the agent builds them: a task and a screen each."""
    return [
        build_messages([Turn(png(colour), GEOMETRY, "http://shop.test/", user_text=f"Task {number}: step {number}")])
        for number, colour in enumerate(SCREENS)
    ]


@pytest.fixture(scope="module")
def dataset(requests, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sft-data")
    samples = []
    for number, (request, action) in enumerate(zip(requests, ACTIONS, strict=True)):
        conversation, images = split_images(request, decode=data_url_bytes)
        target = format_reply(f"Step {number}.", action)
        samples.append(make_sample(f"t{number}", 0, "datagen", f"task {number}", conversation, images, target))
    DatasetDict({"train": _to_dataset(samples), "eval": _to_dataset(samples[:2])}).save_to_disk(str(folder))
    return folder


def config(tiny_model, dataset, out, **overrides) -> SFTConfig:
    settings = dict(
        model=str(tiny_model), data=dataset, output_dir=out, max_steps=4, learning_rate=5e-3, logging_steps=1,
        eval_steps=2, save_steps=2, bf16=False, per_device_batch_size=2, warmup_ratio=0.0, dataloader_workers=0,
    )  # fmt: skip
    return SFTConfig(**(settings | overrides))


def losses(out: Path) -> list[float]:
    state = json.loads(max(out.glob("checkpoint-*/trainer_state.json"), key=lambda p: p.stat().st_mtime).read_text())
    return [entry["loss"] for entry in state["log_history"] if "loss" in entry]


def test_the_collator_supervises_the_reply_and_end_of_turn_only(tiny_model, dataset):
    from datasets import load_from_disk

    processor = load_processor(tiny_model)
    rows = list(load_from_disk(str(dataset))["train"])[:2]
    batch = Collator(processor)(rows)
    tokenizer = processor.tokenizer
    for row, ids, labels in zip(rows, batch["input_ids"], batch["labels"], strict=True):
        supervised = tokenizer.decode(ids[labels != IGNORE], skip_special_tokens=False)
        assert supervised == row["target"] + "<|im_end|>"
    image_tokens = (batch["input_ids"] == tokenizer.convert_tokens_to_ids("<|image_pad|>")).sum()
    assert int(batch["mm_token_type_ids"].sum()) == int(image_tokens) == 2 * (448 // 28) * (336 // 28)
    assert batch["image_grid_thw"].tolist() == [[1, 24, 32], [1, 24, 32]]  # 336/14 x 448/14 patches each
    assert (batch["attention_mask"].sum(dim=1) == (batch["input_ids"] != tokenizer.pad_token_id).sum(dim=1)).all()
    with pytest.raises(ValueError, match="over max_length"):
        Collator(processor, max_length=100).encode(rows[0])


@pytest.mark.parametrize("stage", ["zero2", "zero3"])
def test_deepspeed_steps_lower_the_loss_and_save_a_servable_checkpoint(tiny_model, dataset, tmp_path, stage):
    final = train(config(tiny_model, dataset, tmp_path / "out", deepspeed=stage, max_steps=6))
    assert list((tmp_path / "out").glob("checkpoint-*/global_step*/*optim_states.pt"))  # DeepSpeed's own checkpoint
    history = losses(tmp_path / "out")
    assert len(history) == 6 and sum(history[-2:]) < sum(history[:2])
    assert (tmp_path / "out" / "loss.csv").read_text().startswith("step,loss,eval_loss")
    assert (tmp_path / "out" / "loss.png").exists()
    reply = asyncio.run(TransformersPolicy(final, max_new_tokens=4).complete(build_messages([_turn()])))
    assert reply.usage.completion_tokens > 0  # transformers loads and runs it, as vLLM would serve it


def test_a_resumed_run_continues_from_its_checkpoint(tiny_model, dataset, tmp_path):
    train(config(tiny_model, dataset, tmp_path / "out", deepspeed="zero2", max_steps=4))
    shutil.rmtree(tmp_path / "out" / "final")
    train(config(tiny_model, dataset, tmp_path / "out", deepspeed="zero2", max_steps=6), resume=True)
    state = json.loads((tmp_path / "out" / "checkpoint-6" / "trainer_state.json").read_text())
    steps = [entry["step"] for entry in state["log_history"] if "loss" in entry]
    assert state["global_step"] == 6 and steps == [1, 2, 3, 4, 5, 6]  # 1-4 from the first run, 5-6 resumed


def test_lora_adapters_are_merged_into_a_plain_checkpoint(tiny_model, dataset, tmp_path):
    final = train(config(tiny_model, dataset, tmp_path / "out", deepspeed="", lora={"r": 4, "alpha": 8}))
    assert not list(final.glob("adapter_*"))  # no adapter files: a plain model anyone can serve
    assert TransformersPolicy(final).model.config.model_type == "qwen2_5_vl"  # an ordinary Qwen2.5-VL


@pytest.mark.full
def test_after_overfitting_eight_samples_the_model_replies_with_their_actions(tiny_model, dataset, requests, tmp_path):
    final = train(
        config(tiny_model, dataset, tmp_path / "out", deepspeed="", max_steps=120, learning_rate=1e-2,
               per_device_batch_size=8, eval_steps=1000, save_steps=1000, freeze_vision=True,
               gradient_checkpointing=False)
    )  # fmt: skip
    policy = TransformersPolicy(final, max_new_tokens=80)
    for request, action in zip(requests, ACTIONS, strict=True):
        reply = asyncio.run(policy.complete(request)).text
        assert getattr(parse_reply(reply), "action", None) == action, reply


def _turn() -> Turn:
    return Turn(png("white"), GEOMETRY, "http://shop.test/", user_text="Task 0: step 0")


@pytest.mark.full
def test_the_deepspeed_launcher_trains_on_two_ranks(tiny_model, dataset, tmp_path):
    """The multi-GPU command line, with two CPU ranks over gloo: both ranks train, rank 0 saves."""
    import subprocess
    import sys

    (tmp_path / "sft.toml").write_text(
        f'model = "{tiny_model}"\ndata = "{dataset}"\noutput_dir = "{tmp_path / "out"}"\ndeepspeed = "zero2"\n'
        "max_steps = 2\nper_device_batch_size = 2\nbf16 = false\nsave_steps = 100\ndataloader_workers = 0\n"
    )
    launcher = Path(sys.executable).parent / "deepspeed"
    result = subprocess.run(
        [str(launcher), "--num_gpus", "2", "--module", "training.run", "--config", str(tmp_path / "sft.toml")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (result.stdout + result.stderr).count("exits successfully") == 2
    assert (tmp_path / "out" / "final" / "model.safetensors").exists()
