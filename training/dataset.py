"""`farol train build-data`: the store's shareable trajectories -> a dataset on disk, split by task.

What goes in: sessions the person chose to share (`extension`, `cli`) and synthetic trajectories the
verifiers kept (`datagen`), each only when it succeeded; from them, the trainable model calls (see
`samples.py`); then the auxiliary sets data generation wrote. Nothing else leaves the store: a session
unshared or deleted is simply not there at the next build. Equal samples count once. A task is wholly in
train or wholly in eval. Each source can be weighted (repeated or thinned), and so can each contributor of the
sessions a collector received (`bridge/collector.py`). `manifest.json` says what went in and what was left out,
and why.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict, Features, Image, Sequence, Value
from pydantic import BaseModel, Field

from agent import __version__
from agent.store import Store
from agent.trajectory import KEPT_SCORE, Trajectory, utcnow
from training.auxiliary import auxiliary_samples
from training.samples import Sample, step_samples, trainable

USER_SOURCES = ("extension", "cli", "shared")  # a person's sessions (here or at a collector): only with consent
SYNTHETIC_SOURCES = ("datagen",)  # generated: only when the verifiers kept it
AUXILIARY_SOURCES = ("grounding", "question", "caption", "refusal")  # the auxiliary sets data generation writes

FEATURES = Features(
    {
        "id": Value("string"),
        "trajectory_id": Value("string"),
        "step": Value("int32"),
        "source": Value("string"),
        "task": Value("string"),
        "messages": Value("string"),  # the conversation as JSON, images as {"type": "image"}
        "images": Sequence(Image()),
        "target": Value("string"),
        "length": Value("int32"),
    }
)


class NoSamples(Exception):
    """No trainable sample passed the filters."""


class BuildOptions(BaseModel):
    sources: tuple[str, ...] = USER_SOURCES + SYNTHETIC_SOURCES + AUXILIARY_SOURCES
    eval_fraction: float = Field(default=0.05, ge=0, lt=1)
    weights: dict[str, float] = Field(default_factory=dict)  # source -> weight (default 1)
    # contributor -> weight, for sessions a collector received (`provenance.contributor`); when given, those of
    # anyone not named are left out
    contributors: dict[str, float] | None = None
    seed: int = 0


class Manifest(BaseModel):
    created_at: str
    farol_version: str = __version__
    stores: list[str]
    options: BuildOptions
    trajectories: dict[str, int]  # source -> trajectories used
    contributors: dict[str, int] = Field(default_factory=dict)  # contributor -> trajectories used
    trajectory_weights: dict[str, float] = Field(default_factory=dict, exclude=True)  # id -> its contributor's
    samples: dict[str, dict[str, int]]  # split -> source -> samples
    left_out: dict[str, int]  # why -> trajectories or samples left out


def eligibility(
    trajectory: Trajectory, sources: Iterable[str], contributors: Iterable[str] | None = None
) -> str | None:
    """Why a trajectory may not be trained on, or None when it may."""
    source, contributor = trajectory.provenance.source, trajectory.provenance.contributor
    if source not in sources:
        return f"source {source} not selected"
    if contributor is not None and contributors is not None and contributor not in contributors:
        return f"contributor {contributor} not selected"
    if source in USER_SOURCES and not trajectory.consent.shared:
        return "not shared by the person"
    if source in SYNTHETIC_SOURCES and trajectory.verifier_scores.get(KEPT_SCORE) != 1.0:
        return "not kept by the verifiers"
    if not trajectory.succeeded:
        return "did not succeed"
    return None


def split_of(task: str, eval_fraction: float) -> str:
    """train or eval, decided by the task text alone: the same task always lands in the same split."""
    bucket = int(hashlib.sha256(" ".join(task.lower().split()).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "eval" if bucket < eval_fraction else "train"


def collect(stores: list[Store], options: BuildOptions) -> tuple[list[Sample], Manifest]:
    """Every sample the options allow, deduplicated, with the manifest of what was used and left out."""
    left_out: Counter[str] = Counter()
    used: Counter[str] = Counter()
    contributed: Counter[str] = Counter()
    trajectory_weights: dict[str, float] = {}
    seen: set[str] = set()
    samples: list[Sample] = []

    def add(candidates: Iterable[Sample]) -> None:
        for sample in candidates:
            if sample.id in seen:
                left_out["duplicate sample"] += 1
                continue
            seen.add(sample.id)
            samples.append(sample)

    for store in stores:
        for row in store.list():
            trajectory = store.load(row["id"])
            reason = eligibility(trajectory, options.sources, options.contributors)
            if reason is not None:
                left_out[reason] += 1
                continue
            used[trajectory.provenance.source] += 1
            if (contributor := trajectory.provenance.contributor) is not None:
                contributed[contributor] += 1
                trajectory_weights[trajectory.id] = (options.contributors or {}).get(contributor, 1.0)
            left_out["step not trainable (unparsed, refused or failed)"] += sum(
                not trainable(step) for step in trajectory.steps
            )
            add(step_samples(trajectory, store.read_screenshot, trajectory.provenance.source))
        add(sample for sample in auxiliary_samples(store) if sample.source in options.sources)
    manifest = Manifest(
        created_at=utcnow().isoformat(),
        stores=[str(store.path) for store in stores],
        options=options,
        trajectories=dict(used),
        contributors=dict(contributed),
        trajectory_weights=trajectory_weights,
        samples={},
        left_out={reason: count for reason, count in left_out.items() if count},
    )
    return samples, manifest


def weighted(
    samples: list[Sample], weights: dict[str, float], seed: int, trajectory_weights: dict[str, float] | None = None
) -> list[Sample]:
    """Each sample repeated by its source's weight (times its trajectory's, if given): 2.5 -> twice, and a third
    time with probability 0.5."""
    chance = random.Random(seed)
    out: list[Sample] = []
    for sample in samples:
        weight = weights.get(sample.source, 1.0) * (trajectory_weights or {}).get(sample.trajectory_id, 1.0)
        copies = int(weight) + (chance.random() < weight - int(weight))
        out.extend([sample] * copies)
    return out


def build_dataset(stores: list[Store], out: Path, options: BuildOptions) -> Manifest:
    """Write the dataset (a `datasets.DatasetDict` with train and eval) and its manifest into `out`."""
    samples, manifest = collect(stores, options)
    splits: dict[str, list[Sample]] = {"train": [], "eval": []}
    for sample in samples:
        splits[split_of(sample.task, options.eval_fraction)].append(sample)
    splits = {
        name: weighted(rows, options.weights, options.seed, manifest.trajectory_weights)
        for name, rows in splits.items()
    }
    manifest.samples = {name: dict(Counter(sample.source for sample in rows)) for name, rows in splits.items()}
    if not splits["train"]:
        raise NoSamples(f"nothing to train on; left out: {manifest.left_out or 'nothing found'}")
    # An empty split is left out (`datasets` cannot read one back); sft then simply has no evaluation.
    DatasetDict({name: _to_dataset(rows) for name, rows in splits.items() if rows}).save_to_disk(str(out))
    (out / "manifest.json").write_text(manifest.model_dump_json(indent=2))
    return manifest


def _to_dataset(samples: list[Sample]) -> Dataset:
    rows = [_row(sample) for sample in samples]
    return Dataset.from_dict({column: [row[column] for row in rows] for column in FEATURES}, features=FEATURES)


def _row(sample: Sample) -> dict[str, Any]:
    return {
        "id": sample.id,
        "trajectory_id": sample.trajectory_id,
        "step": sample.step,
        "source": sample.source,
        "task": sample.task,
        "messages": json.dumps(sample.conversation),
        "images": [{"bytes": png, "path": None} for png in sample.images],
        "target": sample.target,
        "length": sample.length,
    }
