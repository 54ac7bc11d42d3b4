"""`farol train sft`: supervised fine-tuning of Qwen2.5-VL (Fara-7B) with transformers and DeepSpeed.

Config at the top (one TOML file, `SFTConfig`), then one `Trainer` run: ZeRO-2/3 from `training/configs/`,
bf16, gradient checkpointing, a frozen vision tower, optional LoRA, evaluation on the held-out split,
checkpoints to resume from, and a loss curve. The output is a checkpoint in the layout transformers and vLLM
read (weights, tokenizer, image processor, chat template): `vllm serve OUT`, `farol run --model-path OUT`.

Several GPUs or nodes: start it with the `deepspeed` launcher (see the README); each rank runs this same code.
"""

from __future__ import annotations

import csv
import os
import socket
import tomllib
from pathlib import Path
from typing import Any

import torch
from datasets import load_from_disk
from PIL import Image, ImageDraw
from pydantic import BaseModel, ConfigDict, Field
from transformers import AutoModelForImageTextToText, GenerationConfig, Trainer, TrainingArguments
from transformers.integrations.deepspeed import unset_hf_deepspeed_config

from agent.hf_policy import load_processor
from training.collator import Collator

CONFIGS = Path(__file__).parent / "configs"


class LoraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    r: int = 64
    alpha: int = 128
    dropout: float = 0.05
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])


class SFTConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str  # a hub name or a checkpoint folder
    data: Path  # a dataset written by `farol train build-data`
    output_dir: Path
    deepspeed: str = "zero2"  # zero2, zero3, a DeepSpeed JSON file, or "" for none
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    learning_rate: float = 1e-5
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    per_device_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    bf16: bool = True
    gradient_checkpointing: bool = True
    freeze_vision: bool = True
    lora: LoraSettings | None = None
    max_pixels: int | None = None  # a pixel budget per image
    max_length: int | None = None  # longer samples are refused, never cut
    group_by_length: bool = True
    dataloader_workers: int = 4  # collating screenshots is CPU work: keep the GPUs fed
    eval_steps: int = 200
    save_steps: int = 200
    save_total_limit: int = 2
    logging_steps: int = 10
    seed: int = 0

    @classmethod
    def load(cls, path: Path, **overrides: Any) -> SFTConfig:
        values = tomllib.loads(path.read_text()) | {key: value for key, value in overrides.items() if value is not None}
        base = path.parent
        for key in ("data", "output_dir"):  # relative paths are relative to the config file
            if key in values and not Path(values[key]).is_absolute():
                values[key] = str(base / values[key])
        return cls.model_validate(values)

    def deepspeed_config(self) -> str | None:
        if not self.deepspeed:
            return None
        shipped = CONFIGS / f"{self.deepspeed}.json"
        return str(shipped if shipped.exists() else Path(self.deepspeed))


def train(config: SFTConfig, *, resume: bool | str = False) -> Path:
    """Run the fine-tuning and save the final checkpoint in `output_dir/final`; returns that folder."""
    _single_process_defaults()
    splits = load_from_disk(str(config.data))
    processor = load_processor(config.model, config.max_pixels)
    model = AutoModelForImageTextToText.from_pretrained(config.model, dtype=_dtype(config))
    if config.freeze_vision:
        for parameter in model.model.visual.parameters():
            parameter.requires_grad = False
    if config.lora is not None:
        model = _with_lora(model, config.lora)
    if config.gradient_checkpointing:
        model.enable_input_require_grads()  # frozen embeddings would otherwise cut the graph
    has_eval = "eval" in splits and len(splits["eval"]) > 0
    arguments = TrainingArguments(
        output_dir=str(config.output_dir),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,  # a float below 1: that share of the steps
        weight_decay=config.weight_decay,
        per_device_train_batch_size=config.per_device_batch_size,
        per_device_eval_batch_size=config.per_device_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        bf16=config.bf16,
        gradient_checkpointing=config.gradient_checkpointing,
        deepspeed=config.deepspeed_config(),
        eval_strategy="steps" if has_eval else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        logging_steps=config.logging_steps,
        train_sampling_strategy="group_by_length" if config.group_by_length else "random",
        length_column_name="length",
        remove_unused_columns=False,  # the collator reads the raw columns
        dataloader_num_workers=config.dataloader_workers,
        use_cpu=not torch.cuda.is_available(),
        seed=config.seed,
        report_to=[],
        disable_tqdm=False,
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=splits["train"],
        eval_dataset=splits["eval"] if has_eval else None,
        data_collator=Collator(processor, config.max_length),
    )
    try:
        trainer.train(resume_from_checkpoint=resume or None)
        final = config.output_dir / "final"
        _save(trainer, processor, final, config)
        if trainer.is_world_process_zero():
            _loss_curve(trainer.state.log_history, config.output_dir)
    finally:
        # ZeRO-3 registers itself globally; models loaded later in this process must load whole.
        unset_hf_deepspeed_config()
    return final


def resume_from(option: str | None) -> bool | str:
    """`--resume last` -> the newest checkpoint in output_dir; a folder -> that checkpoint; none -> a fresh start."""
    return True if option == "last" else option or False


def _save(trainer: Trainer, processor: Any, folder: Path, config: SFTConfig) -> None:
    """Weights, tokenizer, image processor and generation settings: what transformers and vLLM load."""
    if config.lora is not None:  # merged, so the checkpoint is a plain model anyone can serve
        trainer.model = trainer.model.merge_and_unload()
    trainer.save_model(str(folder))
    if trainer.is_world_process_zero():
        processor.tokenizer.save_pretrained(folder)
        processor.image_processor.save_pretrained(folder)
        generation = trainer.model.generation_config or GenerationConfig()
        generation.save_pretrained(folder)


def _with_lora(model: Any, lora: LoraSettings) -> Any:
    from peft import LoraConfig, get_peft_model

    settings = LoraConfig(
        r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=lora.target_modules
    )
    return get_peft_model(model, settings)


def _dtype(config: SFTConfig) -> torch.dtype:
    return torch.bfloat16 if config.bf16 else torch.float32


def _single_process_defaults() -> None:
    """Launched with plain `farol train sft` (no launcher): DeepSpeed still wants a one-process world."""
    if "RANK" in os.environ:
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))


def _loss_curve(history: list[dict[str, Any]], folder: Path) -> None:
    """`loss.csv` (step, train loss, eval loss) and `loss.png`, a plain line chart of both."""
    rows = [(entry["step"], entry.get("loss"), entry.get("eval_loss")) for entry in history if "step" in entry]
    rows = [row for row in rows if row[1] is not None or row[2] is not None]
    with (folder / "loss.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["step", "loss", "eval_loss"])
        writer.writerows(rows)
    image = Image.new("RGB", (640, 360), "white")
    draw = ImageDraw.Draw(image)
    values = [value for _, train_loss, eval_loss in rows for value in (train_loss, eval_loss) if value is not None]
    if len(rows) >= 2 and values:
        steps = [step for step, _, _ in rows]
        low, high, first, last = min(values), max(values), min(steps), max(steps)

        def point(step: float, value: float) -> tuple[float, float]:
            x = 40 + 580 * (step - first) / max(last - first, 1)
            return x, 330 - 300 * (value - low) / max(high - low, 1e-9)

        for column, colour in ((1, (37, 99, 235)), (2, (217, 119, 6))):
            line = [point(row[0], row[column]) for row in rows if row[column] is not None]
            if len(line) >= 2:
                draw.line(line, fill=colour, width=2)
        draw.text((40, 8), f"loss (blue: train, orange: eval)  {high:.3f} .. {low:.3f}", fill="black")
    image.save(folder / "loss.png")
