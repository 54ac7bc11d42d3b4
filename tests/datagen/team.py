"""The scripted FaraGen team for the tests: one endpoint that answers each role's requests from their content."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datagen import prompts
from eval.judges.rubric import RUBRIC_SYSTEM
from tests.support.responder import Request, RespondingModel, system_text, user_text

Handler = Callable[[Request], str]

SYSTEMS = {
    prompts.SURFER_SYSTEM: "surfer",
    prompts.EXPLORER_SYSTEM: "explorer",
    prompts.USER_SIMULATOR_SYSTEM: "user",
    prompts.ALIGNMENT_SYSTEM: "alignment",
    prompts.MULTIMODAL_SYSTEM: "multimodal",
    RUBRIC_SYSTEM: "rubric_write",
    prompts.RUBRIC_SCORING_SYSTEM: "rubric_score",
    prompts.ANNOTATOR_SYSTEM: "annotator",
}
# The Orchestrator's requests and the proposer's, by a phrase of their prompt.
PHRASES = {
    "survey what we know": "facts",
    "Write a short bullet-point plan": "plan",
    "is_request_satisfied": "progress",
    "wants to stop": "stop_review",
    "Which of these pages show": "targets",
    "not making progress": "replan",
    "different tasks a person could ask": "targeted",
    "variations of it": "mutation",
    "Review these proposed web tasks": "review",
    "must refuse": "refusals",
}


def role_of(request: Request) -> str:
    system = system_text(request)
    if system in SYSTEMS:
        return SYSTEMS[system]
    text = user_text(request)
    for phrase, role in PHRASES.items():
        if phrase in text:
            return role
    raise AssertionError(f"a request no role makes: {text[:200]!r}")


def says(**fields: Any) -> str:
    return json.dumps(fields)


def surfer(thoughts: str, tool: str, **args: Any) -> str:
    return says(thoughts=thoughts, tool=tool, args=args)


def ledger(
    satisfied: bool = False,
    progress: bool = True,
    critical: bool = False,
    user: bool = False,
    instruction: str = "Carry on with the plan.",
) -> str:
    def entry(answer: Any) -> dict[str, Any]:
        return {"reason": "as scripted", "answer": answer}

    return says(
        is_request_satisfied=entry(satisfied),
        is_in_loop=entry(False),
        is_progress_being_made=entry(progress),
        last_action_successful=entry(True),
        critical_point_reached=entry(critical),
        needs_user_input=entry(user),
        next_speaker=entry("UserSimulator" if user else "WebSurfer"),
        instruction_or_question=entry(instruction),
    )


def last_listed_url(request: Request) -> str:
    return re.findall(r"^(http\S+)$", user_text(request), re.MULTILINE)[-1]


ORCHESTRATOR_DEFAULTS: dict[str, Handler] = {
    "facts": lambda r: says(facts="1. FACTS GIVEN IN THE TASK: the task itself."),
    "plan": lambda r: says(plan="- Find what the task asks for on the site."),
    "progress": lambda r: ledger(),
    "stop_review": lambda r: says(accept=True, reason="done"),
    "targets": lambda r: says(targets=[last_listed_url(r)]),
}


class Team:
    """`Team(surfer=..., alignment=...)`: handlers by role (the Orchestrator's have defaults); `model` is the
    endpoint; `asked(role)` the requests a role got."""

    def __init__(self, **handlers: Handler) -> None:
        self.handlers = {**ORCHESTRATOR_DEFAULTS, **handlers}
        self.model = RespondingModel(self._respond)

    def _respond(self, request: Request) -> str:
        role = role_of(request)
        if role not in self.handlers:
            raise AssertionError(f"the {role} role was not expected to be asked")
        return self.handlers[role](request)

    def asked(self, role: str) -> list[Request]:
        return [request for request in self.model.requests if role_of(request) == role]

    def config(self, folder: Path, **sections: str) -> Path:
        """A config file with every role on this endpoint (with prices, for the cost report); `sections` adds
        or replaces tables by name (their TOML body)."""
        endpoint = f'url = "{self.model.url}"\nmodel = "scripted"\nprompt_price = 1.0\ncompletion_price = 2.0'
        tables = {
            "roles.default": endpoint,
            "solve": "parallel = 2\nquiet_seconds = 0.15",
            **sections,
        }
        path = folder / "datagen.toml"
        path.write_text("".join(f"[{name}]\n{body}\n\n" for name, body in tables.items()))
        return path

    def close(self) -> None:
        self.model.close()
