"""`farol datagen report`: what a folder holds. Proposed (and the realised mix of sources), solved, kept (by
outcome kind) and rejected (by reason); each verifier's agreement with the sandbox checker; tokens and cost per
role (at the config's prices) and per kept trajectory; steps per trajectory; the auxiliary samples."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from datagen.agreement import Agreement, agreement
from datagen.config import CHECKER, ROLES, Config
from datagen.pipeline import Workspace


class RoleCost(BaseModel):
    role: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost: float


class Steps(BaseModel):
    trajectories: int
    mean: float | None
    median: float | None
    min: int | None
    max: int | None


class DatagenReport(BaseModel):
    proposed: int
    accepted: int
    proposals_by_source: dict[str, int]
    mix: dict[str, float | None]  # realised shares beside the configured ones (`propose.mutation_share`, ...)
    rejected_proposals: dict[str, int]  # by reason
    solved: int
    solve_failed: int
    verified: int
    kept: int
    kept_by_outcome: dict[str, int]  # answered, stopped_at_critical_point, approved_and_completed
    discarded: dict[str, int]  # verified but not kept, by the verifiers that failed them
    agreement: list[Agreement]
    costs: list[RoleCost]
    total_cost: float
    cost_per_kept: float | None
    steps_solved: Steps
    steps_kept: Steps
    auxiliary: dict[str, int]


def _steps(counts: list[int]) -> Steps:
    if not counts:
        return Steps(trajectories=0, mean=None, median=None, min=None, max=None)
    return Steps(
        trajectories=len(counts), mean=round(statistics.mean(counts), 2), median=statistics.median(counts),
        min=min(counts), max=max(counts),
    )  # fmt: skip


def build_report(ws: Workspace) -> DatagenReport:
    db, config = ws.db, ws.config
    accepted, rejections = db.proposals(), db.rejections()
    jobs = db.jobs()
    solved = [job for job in jobs if job["state"] in ("solved", "verified")]
    verified = [job for job in jobs if job["state"] == "verified"]
    kept = [job for job in verified if job["kept"]]
    names = config.keep_rule()
    discarded: Counter[str] = Counter()
    for job in verified:
        if not job["kept"]:
            failed = [v["name"] for v in job["data"]["verdicts"] if v["name"] in names and not v["passed"]]
            discarded["failed: " + ", ".join(failed) if failed else "no verifier of the keep rule judged it"] += 1
    steps = {row["id"]: row["steps"] for row in ws.store.list()}
    costs = _costs(db.usage(), config)
    sources = Counter(proposal.source for proposal in accepted)
    total = round(sum(cost.cost for cost in costs), 6)
    return DatagenReport(
        proposed=len(accepted) + len(rejections),
        accepted=len(accepted),
        proposals_by_source=dict(sources),
        mix=_mix(sources, config),
        rejected_proposals=dict(Counter(reason.split(":", 1)[0] for _, reason in rejections)),
        solved=len(solved),
        solve_failed=sum(job["state"] == "failed" for job in jobs),
        verified=len(verified),
        kept=len(kept),
        kept_by_outcome=dict(Counter(job["data"].get("outcome") or "unrecorded" for job in kept)),
        discarded=dict(discarded),
        agreement=_agreements(verified, names),
        costs=costs,
        total_cost=total,
        cost_per_kept=round(total / len(kept), 6) if kept else None,
        steps_solved=_steps([steps.get(job["trajectory_id"], 0) for job in solved]),
        steps_kept=_steps([steps.get(job["trajectory_id"], 0) for job in kept]),
        auxiliary=ws.store.auxiliary.counts(),
    )  # fmt: skip


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _mix(sources: Counter[str], config: Config) -> dict[str, float | None]:
    """The share of variations among the accepted proposals, and of explored ones among the fresh, beside the
    shares the config asks for."""
    fresh = sum(count for source, count in sources.items() if source != "mutation")
    return {
        "mutation_share": _share(sources["mutation"], sum(sources.values())),
        "mutation_share_configured": config.propose.mutation_share,
        "explore_share": _share(sources["exploratory"], fresh),
        "explore_share_configured": config.propose.explore_share,
    }


def _costs(usage: list[dict[str, Any]], config: Config) -> list[RoleCost]:
    totals: dict[tuple[str, str], list[int]] = {}
    for row in usage:
        calls, prompt, completion = totals.setdefault((row["role"], row["model"]), [0, 0, 0])
        totals[(row["role"], row["model"])] = [
            calls + row["calls"],
            prompt + row["prompt_tokens"],
            completion + row["completion_tokens"],
        ]
    return [
        RoleCost(role=role, model=model, calls=calls, prompt_tokens=prompt, completion_tokens=completion,
                 cost=round(config.cost(role, prompt, completion), 6) if role in ROLES else 0.0)  # type: ignore[arg-type]
        for (role, model), (calls, prompt, completion) in sorted(totals.items())
    ]  # fmt: skip


def _agreements(verified: list[dict[str, Any]], keep_names: list[str]) -> list[Agreement]:
    """Each verifier's (and the keep rule's) verdicts against the checker's, where the checker judged."""
    pairs: dict[str, list[tuple[bool, bool]]] = {}
    for job in verified:
        verdicts = {v["name"]: v["passed"] for v in job["data"]["verdicts"]}
        if CHECKER not in verdicts:
            continue
        truth = verdicts[CHECKER]
        for name, passed in verdicts.items():
            if name != CHECKER:
                pairs.setdefault(name, []).append((passed, truth))
        if keep_names != [CHECKER]:
            pairs.setdefault("keep rule", []).append((bool(job["kept"]), truth))
    return [agreement(name, found) for name, found in pairs.items()]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def print_report(report: DatagenReport, console: Console) -> None:
    rejected = ", ".join(f"{reason} {count}" for reason, count in report.rejected_proposals.items()) or "none"
    sources = ", ".join(f"{source} {count}" for source, count in report.proposals_by_source.items()) or "none"
    console.print(f"Proposed {report.proposed}: {report.accepted} accepted ({sources}); rejected: {rejected}.")
    mix = report.mix
    console.print(
        f"Mix: variations {_percent(mix['mutation_share'])} (asked {_percent(mix['mutation_share_configured'])}), "
        f"explored {_percent(mix['explore_share'])} of fresh (asked {_percent(mix['explore_share_configured'])})."
    )
    outcomes = ", ".join(f"{kind} {count}" for kind, count in sorted(report.kept_by_outcome.items())) or "none"
    console.print(
        f"Solved {report.solved} ({report.solve_failed} failed to start); verified {report.verified}; "
        f"kept {report.kept} ({outcomes})."
    )
    if report.discarded:
        console.print("Not kept: " + ", ".join(f"{reason} ({count})" for reason, count in report.discarded.items()))
    for label, steps in (("solved", report.steps_solved), ("kept", report.steps_kept)):
        if steps.trajectories:
            console.print(
                f"Steps per {label} trajectory: mean {steps.mean}, median {steps.median}, "
                f"min {steps.min}, max {steps.max}."
            )
    if report.agreement:
        table = Table("verifier", "judged", "agreement", "precision", "recall", "false positives", "false negatives",
                      title="Agreement with the sandbox checker")  # fmt: skip
        for row in report.agreement:
            table.add_row(row.verifier, str(row.judged), _percent(row.agreement), _percent(row.precision),
                          _percent(row.recall), str(row.false_positives), str(row.false_negatives))  # fmt: skip
        console.print(table)
    if report.costs:
        costs = Table("role", "model", "calls", "prompt tokens", "completion tokens", "cost (USD)", title="Cost")
        for cost in report.costs:
            costs.add_row(cost.role, cost.model, str(cost.calls), str(cost.prompt_tokens),
                          str(cost.completion_tokens), f"{cost.cost:.4f}")  # fmt: skip
        console.print(costs)
    else:
        console.print("No model calls (the offline defaults).")
    per_kept = "-" if report.cost_per_kept is None else f"${report.cost_per_kept:.4f}"
    console.print(f"Total ${report.total_cost:.4f}; per kept trajectory {per_kept}.")
    console.print("Auxiliary samples: " + ", ".join(f"{kind} {count}" for kind, count in report.auxiliary.items()))
