"""`farol train`: build a dataset from stores, fine-tune on it, export it for LLaMA-Factory."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agent.store import Store, default_db_path
from agent.terminal import console, errors


class ReportTo(StrEnum):
    none = "none"
    tensorboard = "tensorboard"
    wandb = "wandb"


app = typer.Typer(help="Fine-tune Fara-7B on shared sessions and synthetic trajectories.", no_args_is_help=True)


@app.command("build-data")
def build_data(
    out: Annotated[Path, typer.Option(help="Folder to write the dataset into.")],
    db: Annotated[
        list[Path] | None, typer.Option(help="Stores to read (repeatable) [default: your own store].")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option(help="Sources to use (repeatable) [default: shared, synthetic, auxiliary].")
    ] = None,
    weight: Annotated[
        list[str] | None, typer.Option(help="SOURCE=WEIGHT: repeat (>1) or thin (<1) a source's samples.")
    ] = None,
    contributor: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=WEIGHT: only these contributors' sessions from a collector's store, each weighted (repeatable)."
        ),
    ] = None,
    eval_fraction: Annotated[float, typer.Option(min=0.0, max=0.9, help="Share of tasks held out.")] = 0.05,
    seed: int = 0,
) -> None:
    """One sample per model call from the sessions people shared and the trajectories the verifiers kept."""
    from training.dataset import BuildOptions, NoSamples, build_dataset  # `datasets` loads only for this command

    stores = [Store(path) for path in db or [default_db_path()]]
    options = BuildOptions(
        eval_fraction=eval_fraction,
        weights=_weights(weight or []),
        contributors=_weights(contributor, "--contributor") if contributor else None,
        seed=seed,
        **({"sources": source} if source else {}),
    )
    try:
        manifest = build_dataset(stores, out, options)
    except NoSamples as error:
        errors.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(1) from None
    table = Table("split", "source", "samples")
    for split, counts in manifest.samples.items():
        for name, count in sorted(counts.items()):
            table.add_row(split, name, str(count))
    console.print(table)
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(manifest.outcomes.items())) or "none"
    console.print(f"Trajectories by outcome: {kinds}")
    console.print(f"Refused for contamination (held-out tasks): {manifest.contaminated}")
    for reason, count in sorted(manifest.left_out.items()):
        console.print(f"[dim]left out: {count} ({escape(reason)})[/dim]")
    console.print(f"Wrote {out} (manifest: {out / 'manifest.json'})")


@app.command()
def sft(
    config: Annotated[Path, typer.Option(help="A TOML file (see training/configs/example.toml).")],
    resume: Annotated[
        str | None, typer.Option(help="Resume: 'last' for the newest checkpoint in output_dir, or a checkpoint folder.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Override the config's data.")] = None,
    output_dir: Annotated[Path | None, typer.Option(help="Override the config's output_dir.")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Override the config's max_steps.")] = None,
    report_to: Annotated[
        ReportTo | None, typer.Option(help="Where to log metrics (overrides the config's report_to) [default: none].")
    ] = None,
    merge: Annotated[
        bool, typer.Option(help="LoRA: also fold the adapters into a full model in output_dir/merged (for vLLM).")
    ] = False,
) -> None:
    """Supervised fine-tuning with transformers and DeepSpeed; the result serves with vLLM or --model-path."""
    from training.collator import ImageSizeConflict
    from training.sft import SFTConfig, resume_from, train  # torch and DeepSpeed load only for this command

    if not config.exists():
        errors.print(f"[red]No config file {escape(str(config))}.[/red]")
        raise typer.Exit(2)
    settings = SFTConfig.load(
        config, data=data, output_dir=output_dir, max_steps=max_steps, report_to=report_to and report_to.value
    )
    if not (settings.data / "dataset_dict.json").exists():
        errors.print(f"[red]{escape(str(settings.data))} is not a dataset from `farol train build-data`.[/red]")
        raise typer.Exit(2)
    try:
        trained = train(settings, resume=resume_from(resume), merge=merge)
    except ImageSizeConflict as error:
        errors.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    for split, count in trained.skipped.items():
        console.print(f"[yellow]Left out {count} {split} samples over max_length {settings.max_length}.[/yellow]")
    if settings.lora is not None and not merge:
        console.print(f"Saved LoRA adapters in {trained.folder}; `farol train merge {trained.folder} OUT` merges them.")
    else:
        console.print(f"Saved {trained.folder}; serve it with `vllm serve {trained.folder}` or use --model-path.")


@app.command()
def merge(
    adapter: Annotated[Path, typer.Argument(help="A LoRA run's final/ or checkpoint-N folder.")],
    out: Annotated[Path, typer.Argument(help="Folder for the merged model.")],
) -> None:
    """Fold LoRA adapters into their base model: a plain checkpoint for vLLM and --model-path."""
    from training.sft import merge_adapter

    if not (adapter / "adapter_config.json").exists():
        errors.print(f"[red]{escape(str(adapter))} has no adapter_config.json: not LoRA adapters.[/red]")
        raise typer.Exit(2)
    console.print(f"Saved {merge_adapter(adapter, out)}; serve it with `vllm serve {out}`.")


@app.command("export-llamafactory")
def export(
    dataset: Annotated[Path, typer.Argument(help="A dataset from `farol train build-data`.")],
    out: Annotated[Path, typer.Argument(help="Folder for LLaMA-Factory (dataset_info.json, JSON, images, YAML).")],
) -> None:
    """The dataset in LLaMA-Factory's multimodal ShareGPT layout."""
    from training.llamafactory import export_llamafactory

    counts = export_llamafactory(dataset, out)
    console.print(f"Wrote {', '.join(f'{n} {split}' for split, n in counts.items())} examples to {out}.")
    console.print(f"Train with `llamafactory-cli train {out / 'farol_sft.yaml'}` (its settings: see the README).")


def _weights(pairs: list[str], option: str = "--weight") -> dict[str, float]:
    weights = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            weights[name] = float(value)
        except ValueError:
            raise typer.BadParameter(f"use NAME=WEIGHT, e.g. datagen=0.5 (got {pair!r})", param_hint=option) from None
    return weights
