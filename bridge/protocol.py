"""The WebSocket protocol between the extension's service worker and the bridge, defined once.

Every message is a JSON object with `v` (protocol version) and `type`. The extension is the client:
it sends `hello` first, then the panel's commands (`start_task`, `follow_up`, `control`, `approval`,
`consent`) and `result`s for the bridge's `request`s (the agent's observe / cdp / evaluate / ...).
The bridge sends `welcome`, `request`s, and events (`session`, `step`, `approval_request`, `error`).
`python -m bridge.protocol` writes the JSON Schema to `extension/protocol.schema.json` and the same types as JSDoc to
`extension/protocol_types.js`; a test fails on drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agent.cdp_actions import ACTION_METHODS
from agent.trajectory import ApprovalKind
from bridge.jsdoc import module_text

# 2: `observe` carries the bridge's two page readings and returns them as read (issue 23). 3: `observe` carries
# only the reading before the capture; `evaluate` (which replaces `element_at`) reads the page after it. Bumped on
# every change to a message's shape, so an extension and a bridge from different Farols say so instead of failing
# mid-task.
PROTOCOL_VERSION: Literal[3] = 3
MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # a 2x HiDPI PNG screenshot in base64 fits comfortably
HEARTBEAT_SECONDS = 20

SessionStatus = Literal[
    "running",  # the agent is working
    "paused",  # the person paused it, or the agent's tab is hidden
    "taken_over",  # the person is acting; "hand_back" continues with a fresh screenshot
    "awaiting_approval",  # an approval card is waiting (guard hit or the model's critical point)
    "awaiting_user",  # the model finished; a follow-up message continues the same session
    "stopped",
    "error",
    "cancelled",
    "interrupted",  # the bridge restarted mid-task; a follow-up continues it
]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    v: Literal[3] = PROTOCOL_VERSION


# -- extension -> bridge -----------------------------------------------------------------------


class Hello(_Message):
    type: Literal["hello"] = "hello"
    extension_version: str
    session_id: str | None = None  # the session the extension was running before it restarted
    last_step: int | None = None  # its newest timeline step with none missing before it: later ones are re-sent


class StartTask(_Message):
    type: Literal["start_task"] = "start_task"
    task: str = Field(min_length=1, max_length=10_000)
    start_url: str | None = None  # open this in a new agent tab; otherwise act in `tab_id`
    tab_id: int | None = None


class FollowUp(_Message):
    type: Literal["follow_up"] = "follow_up"
    session_id: str
    text: str = Field(min_length=1, max_length=10_000)
    tab_id: int | None = None  # the agent's tab, to continue a session the bridge no longer holds


class Control(_Message):
    type: Literal["control"] = "control"
    session_id: str
    # retry: after an error (the model was down, say), try the same task again from a fresh screenshot.
    command: Literal["pause", "resume", "stop", "take_over", "hand_back", "retry"]


class ApprovalReply(_Message):
    type: Literal["approval"] = "approval"
    session_id: str
    request_id: str
    decision: Literal["approve", "deny", "reply"]
    text: str | None = Field(default=None, max_length=10_000)


class SetConsent(_Message):
    type: Literal["consent"] = "consent"
    session_id: str
    shared: bool


class Result(_Message):
    """The extension's answer to a bridge `request`."""

    type: Literal["result"] = "result"
    id: str
    ok: bool
    data: dict[str, Any] | None = None
    error: str | None = None
    error_kind: Literal["tab_hidden", "tab_closed", "detached", "refused", "failed"] | None = None


class Ping(_Message):
    type: Literal["ping"] = "ping"


class Pong(_Message):
    type: Literal["pong"] = "pong"


ExtensionMessage = Annotated[
    Hello | StartTask | FollowUp | Control | ApprovalReply | SetConsent | Result | Ping | Pong,
    Field(discriminator="type"),
]
EXTENSION_MESSAGE: TypeAdapter[ExtensionMessage] = TypeAdapter(ExtensionMessage)


# -- bridge -> extension -----------------------------------------------------------------------


class PersonTurn(BaseModel):
    """The person's side of the conversation, as the timeline shows it, after the steps before it."""

    before_step: int
    kind: Literal["task", "message", "approve", "deny", "reply"]
    text: str
    at: str  # ISO 8601


class SessionView(BaseModel):
    id: str
    task: str
    status: SessionStatus
    tab_id: int | None = None
    final_answer: str | None = None
    terminate_status: Literal["success", "failure"] | None = None
    reason: str | None = None
    steps: int = 0
    shared: bool = False
    turns: list[PersonTurn] = Field(default_factory=list)
    notice: str | None = None  # a passing problem the agent is handling ("Can't reach the model …, retrying (2/4)")
    model: str | None = None  # the model and endpoint the session uses, for messages that name them


class Welcome(_Message):
    type: Literal["welcome"] = "welcome"
    bridge_version: str
    session: SessionView | None = None  # the session this extension was running, if any


RequestMethod = Literal[
    "open", "observe", "cdp", "probe", "evaluate", "opened_tabs", "adopt_tab", "close_tab", "release"
]


class Request(_Message):
    """The agent asks the extension to act on its tab.

    observe {before, capture} -> {png (base64), before, url, title, mac}: the tab's screenshot
        (`Page.captureScreenshot` with `capture`'s parameters) just after the expression `before`'s value
        (`agent/page_scripts.py`: carets hidden and the page read)
    evaluate {expression} -> {value}: an expression's value in the tab's top frame (`agent/page_scripts.py`: the
        element under a point, the focused element, the reading after a capture)
    open {url} or {tab_id}, {script} -> {tab_id}: act in a new agent tab or an existing one, `script` in its pages
    cdp {commands: [[method, params], ...]} -> {results}: an action's CDP commands, relayed in order
    probe {expression} -> {page, requests_in_flight, network_quiet_ms}: the facts the settle rule reads
    opened_tabs {} -> {tabs: [{tab_id, url}]}: tabs the agent's tab opened since its last commands
    adopt_tab {tab_id} / close_tab {tab_id} -> {}: follow an opened tab (it passed the URL policy), or close it
    release {} -> {}: detach the debugger, the task is over
    """

    type: Literal["request"] = "request"
    id: str
    session_id: str
    method: RequestMethod
    params: dict[str, Any] = Field(default_factory=dict)


class SessionEvent(_Message):
    type: Literal["session"] = "session"
    session: SessionView


class StepView(BaseModel):
    index: int
    thoughts: str
    verb: str  # what the agent did, in words (`bridge/words.py`): "Click"
    detail: str  # ...and to what: "the button “Place order · $51”"
    url: str
    thumbnail: str | None = None  # small JPEG data URL of the screenshot the model saw
    error: str | None = None  # what went wrong, in words
    not_run: bool = False  # the person paused, took over or stopped before it ran: shown greyed


class StepEvent(_Message):
    type: Literal["step"] = "step"
    session_id: str
    step: StepView


class ApprovalRequestEvent(_Message):
    type: Literal["approval_request"] = "approval_request"
    session_id: str
    request_id: str
    kind: ApprovalKind
    reason: str
    thoughts: str
    screenshot: str | None = None  # JPEG data URL
    target: str | None = None  # the element the action acts on, in words
    site: str = ""  # the site it acts on
    consequence: str = ""  # what approving will do, in plain words
    point: tuple[float, float] | None = None  # where it acts, in % of the screenshot's width and height


class SettingsEvent(_Message):
    """What the bridge is set to use: sent on connecting and whenever the panel's Settings change it."""

    type: Literal["settings"] = "settings"
    model: str
    model_url: str | None = None  # None: a model run in-process (`--model-path`), not an endpoint
    collector: str | None = None  # where shared sessions are uploaded; None: they stay on this computer
    collector_refused: str | None = None  # the collector refused this computer's key: why, in words


class ErrorMessage(_Message):
    type: Literal["error"] = "error"
    message: str
    id: str | None = None  # the request this answers, if any


BridgeMessage = Annotated[
    Welcome | Request | SessionEvent | StepEvent | ApprovalRequestEvent | SettingsEvent | ErrorMessage | Ping | Pong,
    Field(discriminator="type"),
]
BRIDGE_MESSAGE: TypeAdapter[BridgeMessage] = TypeAdapter(BridgeMessage)


def json_schema() -> dict[str, Any]:
    """Both directions, for the extension (`extension/protocol.schema.json`)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Farol extension <-> bridge protocol v{PROTOCOL_VERSION}",
        "x-protocol-version": PROTOCOL_VERSION,
        "x-max-message-bytes": MAX_MESSAGE_BYTES,
        "x-heartbeat-seconds": HEARTBEAT_SECONDS,
        "properties": {
            "extension_to_bridge": EXTENSION_MESSAGE.json_schema(),
            "bridge_to_extension": BRIDGE_MESSAGE.json_schema(),
        },
    }


SCHEMA_PATH = Path(__file__).resolve().parent.parent / "extension" / "protocol.schema.json"
RELAYED_PATH = SCHEMA_PATH.parent / "relayed_methods.js"
TYPES_PATH = SCHEMA_PATH.parent / "protocol_types.js"


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def protocol_types_text() -> str:
    """The messages as JSDoc typedefs, `ExtensionMessage` and `BridgeMessage` their unions."""
    return module_text(
        [
            (EXTENSION_MESSAGE.json_schema(), "ExtensionMessage", False),
            (BRIDGE_MESSAGE.json_schema(), "BridgeMessage", True),
        ],
        "bridge/protocol.py",
        {"PROTOCOL_VERSION": PROTOCOL_VERSION},
    )


def relayed_methods_text() -> str:
    """The extension's allow-list of CDP methods it relays for actions: generated from `ACTION_METHODS`."""
    methods = ", ".join(f"'{method}'" for method in sorted(ACTION_METHODS))
    return (
        "// Generated by `python -m bridge.protocol` from agent/cdp_actions.py ACTION_METHODS: do not edit.\n"
        "// The CDP methods the extension relays for actions; it refuses every other.\n"
        f"export const RELAYED_METHODS = Object.freeze([{methods}]);\n"
    )


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text())
    TYPES_PATH.write_text(protocol_types_text())
    RELAYED_PATH.write_text(relayed_methods_text())
    print(f"wrote {SCHEMA_PATH}, {TYPES_PATH} and {RELAYED_PATH}")
