"""`farol train build-data`: the store's shareable trajectories -> a dataset on disk, split by task.

What goes in: sessions the person chose to share (`extension`, `cli`) and synthetic trajectories the
verifiers kept (`datagen`), each only when its outcome is right (`outcome_of`: answered, stopped at a critical
point that should stop it, or approved and completed; the manifest counts each kind); from them, the trainable
model calls (see `samples.py`); then the auxiliary sets data generation wrote. Nothing that a held-out guard
names (the `farol.held_out` entry points: the sandbox's eval and test splits, by task text, template and seed,
or answer) goes in: the manifest counts what was refused for contamination, normally 0. Nothing else leaves
the store: a session unshared or deleted is simply not there at the next build. Equal samples count once. A
task is wholly in train or wholly in eval. Each source can be weighted (repeated or thinned), and so can each
contributor of the sessions a collector received (`collector/`). `manifest.json` says what went in and
what was left out, and why.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from pathlib import Path

from pydantic import BaseModel, Field

from agent import __version__
from agent.auxiliary_sample import AUXILIARY_KINDS
from agent.store import Store
from agent.trajectory import KEPT_SCORE, Outcome, Trajectory, utcnow
from training.auxiliary import auxiliary_samples
from training.datafiles import DatasetWriter
from training.samples import Sample, step_samples, trainable

USER_SOURCES = ("extension", "cli", "shared")  # a person's sessions (here or at a collector): only with consent
SYNTHETIC_SOURCES = ("datagen",)  # generated: only when the verifiers kept it


HELD_OUT_GUARDS = "farol.held_out"  # entry points: (task, task_ref, answer) -> why it is held out, or None
HeldOutGuard = Callable[[str, str | None, str | None], str | None]
CONTAMINATED = "held out for evaluation (contamination)"


class NoSamples(Exception):
    """No trainable sample passed the filters."""


class BuildOptions(BaseModel):
    sources: tuple[str, ...] = USER_SOURCES + SYNTHETIC_SOURCES + AUXILIARY_KINDS  # each auxiliary set, by its kind
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
    outcomes: dict[str, int] = Field(default_factory=dict)  # outcome kind -> trajectories used
    contaminated: int = 0  # candidate samples refused because a held-out guard named their trajectory


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
    if outcome_of(trajectory) is None:
        return "no right outcome (neither answered, nor stopped at a critical point, nor approved and completed)"
    return None


def outcome_of(trajectory: Trajectory) -> Outcome | None:
    """The kind of right outcome: as recorded where it was verified (data generation), else from how it ended
    (a person's session: they saw it and shared it)."""
    if trajectory.outcome is not None:
        return trajectory.outcome
    approvals = trajectory.approvals
    if trajectory.succeeded:
        went_on = any(a.kind == "critical_point" and a.decision != "deny" for a in approvals)
        return "approved_and_completed" if went_on else "answered"
    declined = bool(approvals) and approvals[-1].kind == "critical_point" and approvals[-1].decision == "deny"
    return "stopped_at_critical_point" if trajectory.status == "stopped" and declined else None


def held_out_guards() -> list[HeldOutGuard]:
    return [entry.load() for entry in entry_points(group=HELD_OUT_GUARDS)]


def contamination(trajectory: Trajectory, guards: list[HeldOutGuard]) -> str | None:
    """Why a held-out guard refuses the trajectory (its task, its generated task's template and seed, its
    answer), or None."""
    for guard in guards:
        if (why := guard(trajectory.task, trajectory.provenance.task_ref, trajectory.final_answer)) is not None:
            return why
    return None


def split_of(task: str, eval_fraction: float) -> str:
    """train or eval, decided by the task text alone: the same task always lands in the same split."""
    bucket = int(hashlib.sha256(" ".join(task.lower().split()).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "eval" if bucket < eval_fraction else "train"


def collect(stores: list[Store], options: BuildOptions, keep: Callable[[Sample, float], None]) -> Manifest:
    """Every sample the options allow, deduplicated, passed to `keep` with its trajectory's weight as it is
    made (one trajectory in memory at a time); returns the manifest of what was used and left out."""
    left_out: Counter[str] = Counter()
    used: Counter[str] = Counter()
    contributed: Counter[str] = Counter()
    trajectory_weights: dict[str, float] = {}
    seen: set[str] = set()
    outcomes: Counter[str] = Counter()
    guards = held_out_guards()
    refused: set[str] = set()  # trajectories a guard named: their auxiliary samples are refused too

    def add(candidates: Iterable[Sample]) -> None:
        for sample in candidates:
            if sample.id in seen:
                left_out["duplicate sample"] += 1
                continue
            seen.add(sample.id)
            keep(sample, trajectory_weights.get(sample.trajectory_id, 1.0))

    for store in stores:
        for row in store.list():
            trajectory = store.load(row["id"])
            reason = eligibility(trajectory, options.sources, options.contributors)
            if reason is not None:
                left_out[reason] += 1
                continue
            if contamination(trajectory, guards) is not None:
                refused.add(trajectory.id)
                left_out[CONTAMINATED] += sum(trainable(step) for step in trajectory.steps)
                continue
            used[trajectory.provenance.source] += 1
            outcomes[outcome_of(trajectory) or ""] += 1
            if (contributor := trajectory.provenance.contributor) is not None:
                contributed[contributor] += 1
                trajectory_weights[trajectory.id] = (options.contributors or {}).get(contributor, 1.0)
            left_out["step not trainable (unparsed, refused or failed)"] += sum(
                not trainable(step) and not step.detour for step in trajectory.steps
            )
            left_out["detour step (a deliberate wrong turn, never trained on)"] += sum(
                step.detour for step in trajectory.steps
            )
            add(step_samples(trajectory, store.read_screenshot, trajectory.provenance.source))
        for sample in auxiliary_samples(store):
            if sample.trajectory_id in refused:
                left_out[CONTAMINATED] += 1
            elif sample.source in options.sources:
                add([sample])
    manifest = Manifest(
        created_at=utcnow().isoformat(),
        stores=[str(store.path) for store in stores],
        options=options,
        trajectories=dict(used),
        contributors=dict(contributed),
        trajectory_weights=trajectory_weights,
        samples={},
        left_out={reason: count for reason, count in left_out.items() if count},
        outcomes=dict(outcomes),
        contaminated=left_out[CONTAMINATED],
    )
    return manifest


def copies(weight: float, chance: random.Random) -> int:
    """How many times a sample of this weight goes in: 2.5 -> twice, and a third time with probability 0.5."""
    return int(weight) + (chance.random() < weight - int(weight))


def build_dataset(stores: list[Store], out: Path, options: BuildOptions) -> Manifest:
    """Write the dataset (train and eval, see `training/datafiles.py`) and its manifest into `out`, streaming:
    each sample is written as it is made, each repeated by its source's weight times its trajectory's."""
    chance = random.Random(options.seed)
    counts: dict[str, Counter[str]] = {"train": Counter(), "eval": Counter()}
    with DatasetWriter(out) as writer:

        def keep(sample: Sample, trajectory_weight: float) -> None:
            split = split_of(sample.task, options.eval_fraction)
            for _ in range(copies(options.weights.get(sample.source, 1.0) * trajectory_weight, chance)):
                writer.add(split, sample)
                counts[split][sample.source] += 1

        manifest = collect(stores, options, keep)
        manifest.samples = {name: dict(counter) for name, counter in counts.items()}
        if not counts["train"]:
            raise NoSamples(f"nothing to train on; left out: {manifest.left_out or 'nothing found'}")
    (out / "manifest.json").write_text(manifest.model_dump_json(indent=2))
    return manifest
