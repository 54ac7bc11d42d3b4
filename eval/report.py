"""`farol eval report DIR [DIR2 ...]`: one HTML file comparing result folders written by `farol eval run`.

It shows success overall, per category and per run (with the spread across runs), steps, tokens, wall and
settle time per task, critical-point compliance, the refusal rate, a step-budget curve (success if only the
first t% of the step budget had been allowed, as webeval computes it), and a trajectory viewer per task
with each screenshot's action point marked. Folders of `farol eval steps` and `farol eval grounding` add their
offline scores (Mind2Web's step metrics, ScreenSpot-style grounding accuracy) and per-step pictures of the model's
point against the target element's box. Screenshots are linked, not embedded, so the file stays small: keep it
beside the result folders.

Every number is labelled and carries its unit, and the page reads at 400 px: its tables scroll inside their own
box rather than break words.
"""

from __future__ import annotations

import json
import os
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from eval import grounding as grounding_scores
from eval import steps as step_scores
from eval.runner import RUN_FILE, Outcome, RunInfo, load_outcomes, task_folder

BUDGETS = [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]  # percent of the step budget
CONDUCTS = ("stopped", "crossed", "not_reached")
COLOURS = ["#0f766e", "#b45309", "#4338ca", "#be123c", "#15803d"]  # one per results folder, in the curve
Measure = Literal["steps", "prompt_tokens", "completion_tokens", "wall_seconds", "settle_seconds"]  # averaged per run
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Column:
    """One results folder: what was run, and its outcomes."""

    label: str
    folder: Path
    info: RunInfo
    outcomes: list[Outcome]

    def rate(self, outcomes: list[Outcome] | None = None) -> float | None:
        chosen = self.outcomes if outcomes is None else outcomes
        return 100 * sum(o.passed for o in chosen) / len(chosen) if chosen else None

    def per_run(self) -> list[float]:
        runs: dict[int, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            runs[outcome.run].append(outcome)
        return [self.rate(runs[run]) or 0.0 for run in sorted(runs)]

    def by_category(self) -> dict[str, float | None]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            groups[outcome.category or "(none)"].append(outcome)
        return {name: self.rate(group) for name, group in groups.items()}

    def critical_points(self) -> dict[str, int]:
        """Runs by what the model did at a binding step: stopped there by itself (compliant), crossed it (tried
        the binding step), or never stopped there. `runs` counts the runs of tasks with a binding step whose suite
        tells all three apart (the sandbox); a judge (WebTailBench) reports crossings only."""
        counts = {conduct: sum(o.critical_point_conduct == conduct for o in self.outcomes) for conduct in CONDUCTS}
        runs = sum(o.critical_point and o.critical_point_conduct is not None for o in self.outcomes)
        return {"runs": runs, **counts}

    def approved(self) -> int:
        """Approvals the suite's policy granted, over every run."""
        return sum(o.approved for o in self.outcomes)

    def binding_tries(self) -> int:
        """Runs in which the guard caught the model trying a binding action."""
        return sum(o.tried_binding for o in self.outcomes)

    def mean(self, attribute: Measure) -> float:
        """The mean of an outcome's number over every run (0 for no runs)."""
        return sum(float(getattr(o, attribute)) for o in self.outcomes) / max(len(self.outcomes), 1)

    def task_ids(self) -> set[str]:
        return {o.task_id for o in self.outcomes}

    def refusals(self) -> tuple[int, int]:
        relevant = [o for o in self.outcomes if o.expect_refusal and o.refused is not None]
        return sum(bool(o.refused) for o in relevant), len(relevant)

    def budget_curve(self) -> list[float]:
        """Success rate at each budget: a pass counts only if it used at most t% of the step budget."""
        total = len(self.outcomes) or 1
        limit = self.info.max_steps
        return [
            100 * sum(o.passed and o.steps - 1 <= limit * percent / 100 for o in self.outcomes) / total
            for percent in BUDGETS
        ]


def load_column(folder: Path) -> Column:
    info = RunInfo.model_validate_json((folder / RUN_FILE).read_text())
    return Column(f"{folder.name}: {info.suite} · {info.model}", folder, info, load_outcomes(folder))


# Units follow their number after a no-break space, so a narrow column never puts them on a line of their own.
def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1f}\u00a0%"


def seconds(value: float) -> str:
    return f"{value:.1f}\u00a0s"


def runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    return f"± {statistics.stdev(values):.1f} points across runs ({percent(min(values))} to {percent(max(values))})"


_TEMPLATES.filters.update(percent=percent, seconds=seconds, runs=runs)


def viewer(column: Column, outcome: Outcome, report_dir: Path) -> list[dict[str, Any]]:
    """The steps of one task's run, with screenshot links relative to the report and the action point in %."""
    folder = task_folder(column.folder, outcome.run, outcome.task_id)
    record = folder / "trajectory.json"
    if not record.exists():
        return []
    trajectory = json.loads(record.read_text())
    steps = []
    for step in trajectory["steps"]:
        point = step.get("css_point")
        action = step.get("action")
        steps.append(
            {
                "index": step["index"],
                "image": os.path.relpath(folder / f"screenshot{step['index']}.png", report_dir),
                "thoughts": step["thoughts"],
                "action": json.dumps(action) if action else (step.get("parse_error") or {}).get("message", "no reply"),
                "url": step["url"],
                "point": (100 * point[0] / step["css_width"], 100 * point[1] / step["css_height"]) if point else None,
            }
        )
    return steps


def build_report(folders: list[Path], output: Path) -> Path:
    unknown = [folder for folder in folders if not any((folder / name).exists() for name in RESULT_FILES)]
    if unknown:
        raise ValueError(f"{unknown[0]} holds no results of `farol eval run`, `steps` or `grounding`")
    columns = [load_column(folder) for folder in folders if (folder / RUN_FILE).exists()]
    report_dir = output.parent.resolve()
    categories = sorted({name for column in columns for name in column.by_category()})
    task_ids = sorted({o.task_id for column in columns for o in column.outcomes})
    rows = [task_row(task_id, columns, report_dir) for task_id in task_ids]
    html = _TEMPLATES.get_template("report.html").render(
        columns=columns,
        categories=categories,
        rows=rows,
        budgets=BUDGETS,
        colours=COLOURS,
        spread=spread,
        curve_svg=budget_svg(columns) if columns else "",
        task_sets=task_sets(columns),
        steps=[offline(folder, step_scores.RESULTS_FILE, "steps", report_dir) for folder in folders],
        grounding=[offline(folder, grounding_scores.RESULTS_FILE, "samples", report_dir) for folder in folders],
    )
    output.write_text(html)
    return output


RESULT_FILES = (RUN_FILE, step_scores.RESULTS_FILE, grounding_scores.RESULTS_FILE)
MISSES_SHOWN = 40  # grounding misses pictured per folder


def offline(folder: Path, name: str, items: str, report_dir: Path) -> dict[str, Any] | None:
    """A folder's `steps.json` or `grounding.json` for the template: its summary, and its items with the
    screenshot linked from the report, and the point and box in percent of the screenshot."""
    path = folder / name
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    shown = []
    for item in data[items]:
        width, height = item["css_width"], item["css_height"]
        point, box = item.get("css_point"), item.get("box")
        shown.append(
            {
                **item,
                "image": os.path.relpath(folder / item["screenshot"], report_dir),
                "mark": (100 * point[0] / width, 100 * point[1] / height) if point else None,
                "frame": (
                    100 * box["x"] / width,
                    100 * box["y"] / height,
                    100 * box["width"] / width,
                    100 * box["height"] / height,
                )
                if box
                else None,
            }
        )
    tasks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in shown:
        tasks[item["task"]].append(item)
    misses = [item for item in shown if not item.get("inside", True)][:MISSES_SHOWN]
    return {
        "folder": folder,
        "label": f"{folder.name}: {data['model']}",
        "summary": data["summary"],
        "tasks": dict(sorted(tasks.items())),
        "misses": misses,
        "failed": {ref: task["error"] for ref, task in data["tasks"].items() if "error" in task},
    }


def task_row(task_id: str, columns: list[Column], report_dir: Path) -> dict[str, Any]:
    """One task: an entry per folder and run (outcome None where a folder did not run it), each with its steps."""
    entries: list[dict[str, Any]] = []
    for column in columns:
        outcomes = [o for o in column.outcomes if o.task_id == task_id]
        entries += [{"column": column, "outcome": o, "steps": viewer(column, o, report_dir)} for o in outcomes]
        if not outcomes:
            entries.append({"column": column, "outcome": None, "steps": []})
    first = next(entry["outcome"] for entry in entries if entry["outcome"])
    return {"id": task_id, "task": first.task, "category": first.category, "entries": entries}


@dataclass(frozen=True)
class TaskSets:
    """Whether the compared folders ran the same tasks, and each one's rate on the tasks they all ran."""

    same: bool
    shared: int
    differences: list[str]  # per folder, in words: how its task set differs from the shared one
    shared_rates: list[float | None]


def task_sets(columns: list[Column]) -> TaskSets:
    sets = [column.task_ids() for column in columns]
    shared = set.intersection(*sets) if sets else set()
    differences = [
        f"{column.label}: {len(ids)} tasks, {len(ids - shared)} not run by every folder"
        for column, ids in zip(columns, sets, strict=True)
    ]
    rates = [column.rate([o for o in column.outcomes if o.task_id in shared]) for column in columns]
    return TaskSets(all(ids == shared for ids in sets), len(shared), differences, rates)


def budget_svg(columns: list[Column]) -> str:
    """Success against step budget, one line per results folder, as an inline SVG."""
    width, height, pad = 560, 240, 36

    def x(percent: float) -> float:
        return pad + (width - 2 * pad) * percent / 100

    def y(rate: float) -> float:
        return height - pad - (height - 2 * pad) * rate / 100

    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="Success rate against step budget">']
    for tick in (0, 25, 50, 75, 100):
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y(tick)}" y2="{y(tick)}" class="grid"/>')
        parts.append(f'<text x="{pad - 6}" y="{y(tick) + 4}" text-anchor="end">{tick} %</text>')
    for budget in (5, 25, 50, 75, 100):
        parts.append(f'<text x="{x(budget)}" y="{height - pad + 16}" text-anchor="middle">{budget} %</text>')
    for index, column in enumerate(columns):
        points = " ".join(f"{x(p):.1f},{y(r):.1f}" for p, r in zip(BUDGETS, column.budget_curve(), strict=True))
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
    parts.append("</svg>")
    return "\n".join(parts)
