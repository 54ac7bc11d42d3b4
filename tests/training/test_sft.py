"""`farol train sft` on CPU with the tiny Qwen2.5-VL: the collator's labels, DeepSpeed ZeRO-2 and ZeRO-3 steps and
loadable checkpoints, partitioned loading, over-long samples, image sizes, resuming, and an overfit that the model
then reproduces, action for action; LoRA adapters that reload to the trained weights, and merge."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForImageTextToText

from agent.actions import LeftClick, Scroll, Terminate, Type
from agent.geometry import ScreenGeometry
from agent.hf_policy import TransformersPolicy, load_processor
from agent.history import Turn, build_messages, data_url_bytes, split_images
from agent.parser import format_reply, parse_reply
from tests.support.extension import free_port
from training.collator import IGNORE, Collator, ImageSizeConflict
from training.datafiles import DatasetWriter, images_dir, load_splits
from training.samples import make_sample
from training.sft import SFTConfig, merge_adapter, save_final, session, train, training_arguments

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
    with DatasetWriter(folder, shard_size=3) as writer:
        for number, (request, action) in enumerate(zip(requests, ACTIONS, strict=True)):
            conversation, images = split_images(request, decode=data_url_bytes)
            target = format_reply(f"Step {number}.", action)
            sample = make_sample(f"t{number}", 0, "datagen", f"task {number}", conversation, images, target)
            writer.add("train", sample)
            if number < 2:
                writer.add("eval", sample)
    return folder


def config(tiny_model, dataset, out, **overrides) -> SFTConfig:
    settings = dict(
        model=str(tiny_model),
        data=dataset,
        output_dir=out,
        max_steps=4,
        learning_rate=5e-3,
        logging_steps=1,
        eval_steps=2,
        save_steps=2,
        bf16=False,
        per_device_batch_size=2,
        warmup_ratio=0.0,
        dataloader_workers=0,
    )
    return SFTConfig(**(settings | overrides))


def losses(out: Path) -> list[float]:
    state = json.loads(max(out.glob("checkpoint-*/trainer_state.json"), key=lambda p: p.stat().st_mtime).read_text())
    return [entry["loss"] for entry in state["log_history"] if "loss" in entry]


def test_the_collator_supervises_the_reply_and_end_of_turn_only(tiny_model, dataset):
    processor = load_processor(tiny_model)
    rows = list(load_splits(dataset)["train"])[:2]
    collator = Collator(processor, images_dir(dataset))
    batch = collator(rows)
    tokenizer = processor.tokenizer
    for row, ids, labels in zip(rows, batch["input_ids"], batch["labels"], strict=True):
        supervised = tokenizer.decode(ids[labels != IGNORE], skip_special_tokens=False)
        assert supervised == row["target"] + "<|im_end|>"
        assert collator.length(row) == len(collator.encode(row)["input_ids"])  # what max_length is checked on
    image_tokens = (batch["input_ids"] == tokenizer.convert_tokens_to_ids("<|image_pad|>")).sum()
    assert int(batch["mm_token_type_ids"].sum()) == int(image_tokens) == 2 * (448 // 28) * (336 // 28)
    assert batch["image_grid_thw"].tolist() == [[1, 24, 32], [1, 24, 32]]  # 336/14 x 448/14 patches each
    assert (batch["attention_mask"].sum(dim=1) == (batch["input_ids"] != tokenizer.pad_token_id).sum(dim=1)).all()


@pytest.mark.parametrize("stage", ["zero2", "zero3"])
def test_deepspeed_steps_lower_the_loss_and_save_loadable_checkpoints(tiny_model, dataset, tmp_path, stage):
    final = train(config(tiny_model, dataset, tmp_path / "out", deepspeed=stage, max_steps=6)).folder
    assert list((tmp_path / "out").glob("checkpoint-*/global_step*/*optim_states.pt"))  # DeepSpeed's own checkpoint
    history = losses(tmp_path / "out")
    assert len(history) == 6 and sum(history[-2:]) < sum(history[:2])
    assert (tmp_path / "out" / "loss.csv").read_text().startswith("step,loss,eval_loss")
    assert (tmp_path / "out" / "loss.png").exists()
    checkpoints = sorted((tmp_path / "out").glob("checkpoint-*"))
    assert [folder.name for folder in checkpoints] == ["checkpoint-4", "checkpoint-6"]  # save_total_limit 2
    for folder in [*checkpoints, final]:  # each one as transformers (and vLLM) load a checkpoint
        TransformersPolicy(folder, max_new_tokens=4)
    reply = asyncio.run(TransformersPolicy(final, max_new_tokens=4).complete(build_messages([_turn()])))
    assert reply.usage.completion_tokens > 0


def test_zero3_loads_the_model_partitioned(tiny_model, dataset, tmp_path):
    with session(config(tiny_model, dataset, tmp_path / "out", deepspeed="zero3")) as run:
        parameters = list(run.trainer.model.parameters())
        assert parameters and all(hasattr(parameter, "ds_id") for parameter in parameters)  # zero.Init at load
    with session(config(tiny_model, dataset, tmp_path / "out", deepspeed="zero2")) as run:
        assert not any(hasattr(parameter, "ds_id") for parameter in run.trainer.model.parameters())


def test_samples_over_max_length_are_left_out_and_counted(tiny_model, dataset, tmp_path):
    collator = Collator(load_processor(tiny_model), images_dir(dataset))
    lengths = [collator.length(row) for row in load_splits(dataset)["train"]]
    longest = max(lengths)
    assert lengths.count(longest) == 1  # "Type lisbon weather": one sample longer than the rest
    trained = train(config(tiny_model, dataset, tmp_path / "out", deepspeed="", max_steps=2, max_length=longest - 1))
    assert trained.skipped == {"train": 1} and (trained.folder / "model.safetensors").exists()


def test_a_processor_that_would_resize_the_screenshots_is_refused(tiny_model, dataset, tmp_path):
    with pytest.raises(ImageSizeConflict, match=r"resize 448x336 screenshots to .*set max_pixels to at least 150528"):
        train(config(tiny_model, dataset, tmp_path / "out", max_pixels=100_000))
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_report_to_reaches_the_training_arguments(tiny_model, dataset, tmp_path):
    assert training_arguments(config(tiny_model, dataset, tmp_path, deepspeed=""), False).report_to == []
    settings = config(tiny_model, dataset, tmp_path, deepspeed="", report_to="tensorboard")
    assert training_arguments(settings, False).report_to == ["tensorboard"]
    with pytest.raises(ValueError, match="report_to"):
        config(tiny_model, dataset, tmp_path, report_to="mlflow")
    (tmp_path / "sft.toml").write_text(f'model = "{tiny_model}"\ndata = "{dataset}"\noutput_dir = "out"\n')
    assert SFTConfig.load(tmp_path / "sft.toml", report_to="wandb").report_to == "wandb"  # --report-to


def test_a_resumed_run_continues_from_its_checkpoint(tiny_model, dataset, tmp_path):
    train(config(tiny_model, dataset, tmp_path / "out", deepspeed="zero2", max_steps=4))
    shutil.rmtree(tmp_path / "out" / "final")
    train(config(tiny_model, dataset, tmp_path / "out", deepspeed="zero2", max_steps=6), resume=True)
    state = json.loads((tmp_path / "out" / "checkpoint-6" / "trainer_state.json").read_text())
    steps = [entry["step"] for entry in state["log_history"] if "loss" in entry]
    assert state["global_step"] == 6 and steps == [1, 2, 3, 4, 5, 6]  # 1-4 from the first run, 5-6 resumed


@pytest.mark.full
def test_after_overfitting_eight_samples_the_model_replies_with_their_actions(tiny_model, dataset, requests, tmp_path):
    final = train(
        config(
            tiny_model,
            dataset,
            tmp_path / "out",
            deepspeed="",
            max_steps=120,
            learning_rate=1e-2,
            per_device_batch_size=8,
            eval_steps=1000,
            save_steps=1000,
            freeze_vision=True,
            gradient_checkpointing=False,
        )
    ).folder
    policy = TransformersPolicy(final, max_new_tokens=80)
    for request, action in zip(requests, ACTIONS, strict=True):
        reply = asyncio.run(policy.complete(request)).text
        assert getattr(parse_reply(reply), "action", None) == action, reply


def _turn() -> Turn:
    return Turn(png("white"), GEOMETRY, "http://shop.test/", user_text="Task 0: step 0")


LORA = {"r": 4, "alpha": 8, "dropout": 0.0}


def logits(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(**batch).logits


def same(actual: torch.Tensor, expected: torch.Tensor) -> None:
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=1e-4)


def batch_of(tiny_model: Path, dataset: Path) -> dict[str, torch.Tensor]:
    return Collator(load_processor(tiny_model), images_dir(dataset))(list(load_splits(dataset)["train"])[:2])


@pytest.mark.parametrize("stage", ["zero2", "zero3"])
def test_lora_adapters_reload_to_the_trained_weights_and_merge(tiny_model, dataset, tmp_path, stage):
    batch = batch_of(tiny_model, dataset)
    before = logits(AutoModelForImageTextToText.from_pretrained(tiny_model), batch)
    settings = config(tiny_model, dataset, tmp_path / "out", deepspeed=stage, lora=LORA, max_steps=3)
    with session(settings) as run:
        run.trainer.train()
        trained = logits(run.trainer.model_wrapped, batch)  # the DeepSpeed engine: ZeRO-3 gathers the weights
        final = save_final(run, settings)
    assert not torch.allclose(trained, before, atol=1e-3)  # training moved the adapters

    assert (final / "adapter_model.safetensors").exists() and not (final / "model.safetensors").exists()
    reloaded = PeftModel.from_pretrained(AutoModelForImageTextToText.from_pretrained(tiny_model), final)
    same(logits(reloaded, batch), trained)
    # transformers' own loader reads the adapter folder too (its adapter_config names the base model)
    same(logits(AutoModelForImageTextToText.from_pretrained(final), batch), trained)

    merged = merge_adapter(final, tmp_path / "merged")
    assert not list(merged.glob("adapter_*"))
    plain = AutoModelForImageTextToText.from_pretrained(merged)
    assert plain.config.model_type == "qwen2_5_vl"
    same(logits(plain, batch), trained)
    load_processor(merged)  # served whole: weights, tokenizer, image processor
    checkpoint = tmp_path / "out" / "checkpoint-2"  # mid-run adapters load the same way
    assert (checkpoint / "adapter_model.safetensors").exists() and load_processor(checkpoint)
    assert AutoModelForImageTextToText.from_pretrained(checkpoint).config.model_type == "qwen2_5_vl"


# ZeRO-3 on two ranks (about 20 s) stays in the default tier: one rank cannot show partitions sized by the world.
@pytest.mark.parametrize("stage", [pytest.param("zero2", marks=pytest.mark.full), "zero3"])
@pytest.mark.serial
def test_the_deepspeed_launcher_trains_lora_on_two_ranks_and_merges(tiny_model, dataset, tmp_path, stage):
    """The multi-GPU command line, with two CPU ranks over gloo: both ranks train, rank 0 saves and merges."""
    (tmp_path / "sft.toml").write_text(
        f'model = "{tiny_model}"\ndata = "{dataset}"\noutput_dir = "{tmp_path / "out"}"\ndeepspeed = "{stage}"\n'
        "max_steps = 2\nper_device_batch_size = 2\nbf16 = false\nsave_steps = 100\ndataloader_workers = 0\n"
        "learning_rate = 5e-3\n[lora]\nr = 4\nalpha = 8\n"
    )
    launcher = Path(sys.executable).parent / "deepspeed"
    # A port of its own: the launcher's default (29500) is taken by any other run on this machine.
    command = [str(launcher), "--num_gpus", "2", "--master_port", str(free_port()), "--module", "training.run"]
    command += ["--config", str(tmp_path / "sft.toml")]
    result = subprocess.run([*command, "--merge"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (result.stdout + result.stderr).count("exits successfully") == 2
    assert (tmp_path / "out" / "final" / "adapter_model.safetensors").exists()
    batch = batch_of(tiny_model, dataset)
    before = logits(AutoModelForImageTextToText.from_pretrained(tiny_model), batch)
    base = AutoModelForImageTextToText.from_pretrained(tiny_model)
    adapted = logits(PeftModel.from_pretrained(base, tmp_path / "out" / "final"), batch)
    assert not torch.allclose(adapted, before, atol=1e-3)  # the saved adapters are the trained ones
    same(logits(AutoModelForImageTextToText.from_pretrained(tmp_path / "out" / "merged"), batch), adapted)
