"""Export a trajectory in the reference harness's webeval folder layout.

`screenshot{n}.png` is what the model saw before step n; `{id}_final_answer.json` carries the
answer, the screenshot names, whether the run aborted and the token usage; `web_surfer.log` has
JSON lines "Thought #i", "Action #i", "Observation#i"; `times.json` the start and end; and
`trajectory.json` the full record.
"""

from __future__ import annotations

import json
from pathlib import Path

from agent.store import Store
from agent.trajectory import Trajectory

ABORTED = {"error", "cancelled", "running"}


def export_webeval(store: Store, trajectory: Trajectory, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for step in trajectory.steps:
        name = f"screenshot{step.index}.png"
        (folder / name).write_bytes(store.read_screenshot(step.screenshot))
        names.append(name)
    answer = {
        "final_answer": trajectory.final_answer if trajectory.final_answer is not None else "<no_answer>",
        "screenshots": names,
        "is_aborted": trajectory.status in ABORTED,
        "status": trajectory.status,
        "terminate_status": trajectory.terminate_status,
        "reason": trajectory.reason,
        "token_usage": trajectory.token_usage.model_dump(),
    }
    (folder / f"{trajectory.id}_final_answer.json").write_text(json.dumps(answer, indent=2))
    with (folder / "web_surfer.log").open("w") as log:
        for step in trajectory.steps:
            lines = [f"Thought #{step.index}: {step.thoughts}"]
            if step.action is not None:
                arguments = json.dumps(step.action.arguments())
                lines.append(f"Action #{step.index}: executing tool 'computer_use' with arguments {arguments}")
            if step.parse_error is not None:
                lines.append(
                    f"Observation#{step.index}: parse error ({step.parse_error.kind}): {step.parse_error.message}"
                )
            elif step.result is not None:
                lines.append(
                    f"Observation#{step.index}: {step.result.error or step.result.blocked or step.result.observation}"
                )
            for message in lines:
                log.write(json.dumps({"timestamp": step.started_at.isoformat(), "message": message}) + "\n")
    times = {
        "start": trajectory.created_at.timestamp(),
        "end": trajectory.updated_at.timestamp(),
        "duration": (trajectory.updated_at - trajectory.created_at).total_seconds(),
    }
    (folder / "times.json").write_text(json.dumps(times))
    (folder / "trajectory.json").write_text(trajectory.model_dump_json(indent=2))
    return folder
