"""What the side panel says about steps, approvals and the person's turns, in words a person reads at a glance.

Every wording decision lives here, on the bridge's side of the socket; the extension shows these strings as they
are. Targets are named from the page (the element under the action's point), never by model-pixel coordinates.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from agent.actions import (
    HistoryBack,
    Key,
    LeftClick,
    MouseMove,
    PauseAndMemorizeFact,
    Scroll,
    Terminate,
    Type,
    VisitUrl,
    Wait,
    WebSearch,
)
from agent.approval import ApprovalRequest, is_critical_point
from agent.trajectory import Step, Trajectory
from bridge.protocol import PersonTurn

_KEY_NAMES = {"ctrl": "Ctrl", "control": "Ctrl", "alt": "Alt", "shift": "Shift", "meta": "Meta", "cmd": "Cmd"}


def site_of(url: str) -> str:
    """The site a URL belongs to, as people say it: `shop.example` for `https://www.shop.example/cart`."""
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def step_words(step: Step) -> tuple[str, str]:
    """(verb, detail) for the timeline: `("Click", "the button “Place order · $51”")`."""
    action = step.action
    if action is None:
        return ("", "Fara's reply could not be read" if step.parse_error else "No reply from the model")
    target = step.target or _where(step)
    match action:
        case LeftClick():
            return "Click", target
        case MouseMove():
            return "Point at", target
        case Type():
            into = f" into {step.target}" if step.target else ""
            extras = (" replacing the text" if action.delete_existing_text else "") + (
                ", then Enter" if action.press_enter else ""
            )
            return "Type", f"“{action.text}”{into}{extras}"
        case Key():
            return "Press", "+".join(_KEY_NAMES.get(key.lower(), key[:1].upper() + key[1:]) for key in action.keys)
        case Scroll():
            return "Scroll", "up" if action.pixels > 0 else "down"  # Fara's sign: positive scrolls up
        case VisitUrl():
            return "Open", action.url
        case WebSearch():
            return "Search for", f"“{action.query}”"
        case HistoryBack():
            return "Go back", ""
        case PauseAndMemorizeFact():
            return "Remember", f"“{action.fact}”"
        case Wait():
            return "Wait", f"{action.time:g} s"
        case Terminate():
            if is_critical_point(step.thoughts):
                return "Stop and ask", "this step needs your approval"
            return "Finish", "" if action.status == "success" else "without success"
    return action.action, ""


def _where(step: Step) -> str:
    """A point with no element under it: where on the page, in CSS pixels."""
    if step.css_point is None:
        return ""
    x, y = step.css_point
    return f"at ({round(x)}, {round(y)}) on the page"


def step_problem(step: Step) -> str | None:
    """What went wrong with a step, in words (None when nothing did)."""
    if step.parse_error is not None:
        return "Fara's reply could not be read, so it was asked again."
    result = step.result
    if result is None:
        return None
    if result.not_run:
        return f"Not run: {result.not_run}."
    if result.blocked:
        return f"Not run: {result.blocked}."
    if result.error:
        return result.error[:1].upper() + result.error[1:]
    if result.clamped:
        return "Fara pointed outside the page; the action went to the nearest edge."
    return None


def consequence(request: ApprovalRequest) -> str:
    """What approving will do, in plain words."""
    step = request.step
    site = site_of(step.url)
    if request.kind == "critical_point":
        return (
            f"Fara stopped on {site} before a step that may be binding. Approve lets it go ahead; Deny ends the task."
        )
    if isinstance(step.action, Type) and step.target:
        return f"If you approve, Fara types into {step.target} on {site}. What it types is not shown or kept."
    verb, detail = step_words(step)
    return " ".join(f"If you approve, Fara will {verb.lower()} {detail} on {site}.".split())


def person_turns(trajectory: Trajectory) -> list[PersonTurn]:
    """The person's side of the conversation, in order. The first message is the task; approvals say what was
    decided."""
    turns = [
        PersonTurn(
            before_step=turn.before_step,
            kind="task" if index == 0 else "message",
            text=turn.text,
            at=turn.at.isoformat(),
        )
        for index, turn in enumerate(trajectory.user_turns)
        if not turn.from_approval
    ]
    decided = {"approve": "You approved", "deny": "You declined", "reply": "You answered instead"}
    for approval in trajectory.approvals:
        text = decided[approval.decision] + (f": {approval.text}" if approval.text else "")
        turns.append(
            PersonTurn(before_step=approval.step + 1, kind=approval.decision, text=text, at=approval.at.isoformat())
        )
    return sorted(turns, key=lambda turn: (turn.before_step, turn.at))
