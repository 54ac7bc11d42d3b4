"""`farol train sft`: supervised fine-tuning of Qwen2.5-VL (Fara-7B) with transformers and DeepSpeed.

Config at the top (one TOML file, `SFTConfig`), then one `Trainer` run: ZeRO-2/3 from `training/configs/`,
bf16, gradient checkpointing, a frozen vision tower, optional LoRA, evaluation on the held-out split,
checkpoints to resume from, and a loss curve. `output_dir/final` (and every `checkpoint-N`) loads with
`from_pretrained` and the processor: the full model, or with LoRA the adapters, which `--merge` folds into
`output_dir/merged`, the plain checkpoint vLLM serves (`vllm serve OUT`, `farol run --model-path OUT`).

Several GPUs or nodes: start it with the `deepspeed` launcher (see the README); each rank runs this same code.
"""

from __future__ import annotations

import csv
import logging
import os
import socket
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from datasets import DatasetDict
from PIL import Image, ImageDraw
from pydantic import BaseModel, ConfigDict, Field
from transformers import (
    AutoModelForImageTextToText,
    GenerationConfig,
    ProcessorMixin,
    Trainer,
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
)
from transformers.integrations.deepspeed import unset_hf_deepspeed_config

from agent.hf_policy import load_processor
from training.collator import Collator
from training.datafiles import images_dir, load_splits

log = logging.getLogger(__name__)

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
    max_length: int | None = None  # longer samples are left out (and counted), never cut
    group_by_length: bool = True
    dataloader_workers: int = 4  # collating screenshots is CPU work: keep the GPUs fed
    eval_steps: int = 200
    save_steps: int = 200
    save_total_limit: int = 2
    logging_steps: int = 10
    seed: int = 0
    report_to: Literal["none", "tensorboard", "wandb"] = "none"

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


@dataclass
class Run:
    """One prepared fine-tuning: the trainer, the processor it saves with, and what was left out."""

    trainer: Trainer
    processor: ProcessorMixin
    skipped: dict[str, int]  # split -> samples over max_length, left out


@dataclass
class Trained:
    folder: Path  # what to serve: the merged model with --merge, else output_dir/final
    skipped: dict[str, int]


def train(config: SFTConfig, *, resume: bool | str = False, merge: bool = False) -> Trained:
    """Run the fine-tuning and save `output_dir/final` (LoRA: the adapters; `merge`: also `output_dir/merged`)."""
    with session(config) as run:
        run.trainer.train(resume_from_checkpoint=resume or None)
        folder = save_final(run, config)
        is_main = run.trainer.is_world_process_zero()
        if is_main:
            _loss_curve(run.trainer.state.log_history, config.output_dir)
    if merge and config.lora is not None and is_main:  # after the session: the base must load whole
        folder = merge_adapter(folder, config.output_dir / "merged")
    for split, count in run.skipped.items():
        log.warning("%d %s samples were over max_length %s and left out", count, split, config.max_length)
    return Trained(folder, run.skipped)


@contextmanager
def session(config: SFTConfig) -> Iterator[Run]:
    """The trainer, ready to train; DeepSpeed's global ZeRO-3 setting is cleared on the way out."""
    _single_process_defaults()
    processor = load_processor(config.model, config.max_pixels)
    collator = Collator(processor, images_dir(config.data))
    splits, skipped = fitting(load_splits(config.data), collator, config.max_length)
    if not len(splits["train"]):
        raise ValueError(f"every training sample is over max_length {config.max_length}")
    has_eval = "eval" in splits and len(splits["eval"]) > 0
    try:
        # Before the model: with ZeRO-3 these arguments make `from_pretrained` load it partitioned (zero.Init).
        arguments = training_arguments(config, has_eval)
        if arguments.deepspeed:
            import deepspeed  # installed apart (it builds against the installed torch)

            deepspeed.init_distributed()  # zero.Init reads the world size before it would join the group itself
        trainer = Trainer(
            model=_model(config),
            args=arguments,
            train_dataset=splits["train"],
            eval_dataset=splits["eval"] if has_eval else None,
            data_collator=collator,
            callbacks=[SaveProcessor(processor)],
        )
        yield Run(trainer, processor, skipped)
    finally:
        # ZeRO-3 registers itself globally; models loaded later in this process must load whole.
        unset_hf_deepspeed_config()


def training_arguments(config: SFTConfig, has_eval: bool) -> TrainingArguments:
    return TrainingArguments(
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
        report_to=config.report_to,
        disable_tqdm=False,
    )


def fitting(splits: DatasetDict, collator: Collator, max_length: int | None) -> tuple[DatasetDict, dict[str, int]]:
    """Each split without its samples over `max_length` (cutting one would cut image tokens or the answer), and
    how many were left out per split. Refuses screenshots the processor would resize (`Collator.check_size`)."""
    kept, skipped = {}, {}
    for name, rows in splits.items():
        for size in {collator.image_size(digest) for images in rows["images"] for digest in images}:
            collator.check_size(*size)
        if max_length is not None:
            fit = [index for index, row in enumerate(rows) if collator.length(row) <= max_length]
            if len(fit) < len(rows):
                skipped[name] = len(rows) - len(fit)
                rows = rows.select(fit)
        kept[name] = rows
    return DatasetDict(kept), skipped


def resume_from(option: str | None) -> bool | str:
    """`--resume last` -> the newest checkpoint in output_dir; a folder -> that checkpoint; none -> a fresh start."""
    return True if option == "last" else option or False


def save_final(run: Run, config: SFTConfig) -> Path:
    """`output_dir/final`: the model (or, with LoRA, its adapters) with the processor, as `from_pretrained` loads."""
    folder = config.output_dir / "final"
    # Under ZeRO the trainer gathers the weights itself; a PEFT model saves only its adapters' keys.
    run.trainer.save_model(str(folder))
    if run.trainer.is_world_process_zero():
        save_processor(run.processor, folder)
        (run.trainer.model.generation_config or GenerationConfig()).save_pretrained(folder)
    return folder


def merge_adapter(adapter: Path, out: Path) -> Path:
    """LoRA adapters folded into their base model: one plain checkpoint, what vLLM and `--model-path` load."""
    from peft import PeftConfig, PeftModel

    base = PeftConfig.from_pretrained(adapter).base_model_name_or_path
    model = AutoModelForImageTextToText.from_pretrained(base, dtype="auto")
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    merged.save_pretrained(out)
    save_processor(load_processor(adapter), out)
    return out


def save_processor(processor: ProcessorMixin, folder: Path) -> None:
    """Tokenizer (with the chat template) and image processor: the image-only processor cannot save itself."""
    processor.tokenizer.save_pretrained(folder)
    processor.image_processor.save_pretrained(folder)


class SaveProcessor(TrainerCallback):  # type: ignore[misc]  # transformers is Any to mypy (pyproject)
    """Puts the processor in every `checkpoint-N`, so each loads with `from_pretrained` like the final one."""

    def __init__(self, processor: ProcessorMixin) -> None:
        self.processor = processor

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        if state.is_world_process_zero:
            save_processor(self.processor, Path(args.output_dir) / f"checkpoint-{state.global_step}")


def _model(config: SFTConfig) -> Any:
    model = AutoModelForImageTextToText.from_pretrained(config.model, dtype=_dtype(config))
    if config.freeze_vision:
        for parameter in model.model.visual.parameters():
            parameter.requires_grad = False
    if config.lora is not None:
        model = _with_lora(model, config.lora)
    if config.gradient_checkpointing:
        model.enable_input_require_grads()  # frozen embeddings would otherwise cut the graph
    return model


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
            line = [point(row[0], value) for row in rows if (value := row[column]) is not None]
            if len(line) >= 2:
                draw.line(line, fill=colour, width=2)
        draw.text((40, 8), f"loss (blue: train, orange: eval)  {high:.3f} .. {low:.3f}", fill="black")
    image.save(folder / "loss.png")
