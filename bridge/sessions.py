"""Sessions in the person's browser: one agent run at a time, started, continued and stopped from the side panel.

A session is one `Agent` conversation over an `ExtensionEnv`. Its trajectory is written to the store
step by step. The agent's approvals (guard hits, critical points) come here through its approver, which
shows them on the panel's inline card and waits. Pause, Take over and Stop hold the agent at once: an action
the model chose after the person pressed them is not run (`Agent.pause`, `Agent.cancel`). What the panel sends
reaches these sessions through `bridge/dispatcher.py`; what it is shown is built by `bridge/panel_views.py`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from agent import __version__
from agent.approval import ApprovalRequest, Decision
from agent.geometry import TRAINING_MAX_PIXELS
from agent.guard import UrlPolicy
from agent.loop import Agent, Hooks
from agent.policy import OpenAIPolicy, Policy
from agent.recorder import StoreRecorder
from agent.settle import SettleRule
from agent.store import Store
from agent.trajectory import Consent, Provenance, Step, Trajectory, utcnow
from bridge.extension_env import ExtensionEnv
from bridge.link import ExtensionLink
from bridge.panel_views import StepViews, approval_card, stored_view
from bridge.protocol import ApprovalRequestEvent, ErrorMessage, SessionEvent, SessionStatus, SessionView, StepEvent

log = logging.getLogger(__name__)


@dataclass
class PendingApproval:
    """A card on the panel and the future its answer resolves."""

    event: ApprovalRequestEvent
    answer: asyncio.Future[Decision]


@dataclass
class Session:
    env: ExtensionEnv
    agent: Agent = field(init=False)
    tab_id: int | None = None
    task: asyncio.Task[None] | None = None
    taken_over: bool = False
    approval: PendingApproval | None = None
    tab_visible: asyncio.Event = field(default_factory=asyncio.Event)
    hidden: bool = False
    notice: str | None = None  # a passing problem being retried, shown until the next step

    @property
    def trajectory(self) -> Trajectory:
        assert self.agent.trajectory is not None
        return self.agent.trajectory

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def pause(self) -> None:
        self.agent.pause("paused by you")

    def resume(self) -> None:
        self.agent.resume()
        self.tab_visible.set()

    def take_over(self) -> None:
        self.taken_over = True
        self.agent.pause("you took over")

    def hand_back(self) -> None:
        self.taken_over = False
        self.agent.resume()  # the next step starts from a fresh screenshot of what the person left

    def stop(self) -> None:
        self.agent.cancel()
        self.tab_visible.set()
        if self.approval is not None:
            self.approval.answer.set_result(Decision("deny"))

    def status(self) -> SessionStatus:
        if self.approval is not None:
            return "awaiting_approval"
        if self.running and self.taken_over:
            return "taken_over"
        if self.running and (self.agent.paused or self.hidden):
            return "paused"
        return self.trajectory.status

    def view(self) -> SessionView:
        trajectory = self.trajectory
        reason = trajectory.reason
        if self.hidden:
            reason = "The agent's tab is hidden. Show it, then press Resume."
        view = stored_view(trajectory)
        return view.model_copy(
            update={"status": self.status(), "tab_id": self.tab_id, "reason": reason, "notice": self.notice}
        )


def set_consent(store: Store, trajectory: Trajectory, *, shared: bool) -> None:
    """The person's choice to share a session (or not): the only way a session can leave the database."""
    trajectory.consent = Consent(shared=shared, at=utcnow() if shared else None)
    store.save_header(trajectory)


class _Publisher(Hooks):
    """Streams each round's start, each step and the end to the side panel."""

    def __init__(self, manager: SessionManager, session: Session) -> None:
        self.manager, self.session = manager, session

    async def on_round_start(self, trajectory: Trajectory) -> None:
        await self.manager.publish(self.session)

    async def on_step(self, trajectory: Trajectory, step: Step) -> None:
        self.session.notice = None
        await self.manager.publish(self.session)  # the session first: the extension files steps under it
        await self.manager.link.send(StepEvent(session_id=trajectory.id, step=self.manager.step_views.view(step)))

    async def on_end(self, trajectory: Trajectory) -> None:
        await self.manager.publish(self.session)


class SessionManager:
    def __init__(
        self,
        store: Store,
        link: ExtensionLink,
        policy: Policy,
        *,
        settle: SettleRule | None = None,
        url_policy: UrlPolicy | None = None,
        max_steps: int = 100,
    ) -> None:
        self.store, self.link, self.policy = store, link, policy
        self.settle = settle or SettleRule()
        self.url_policy = url_policy or UrlPolicy()
        self.max_steps = max_steps
        self.current: Session | None = None
        self.step_views = StepViews(store.read_screenshot)
        self._reopening: asyncio.Task[None] | None = None
        self._mark_interrupted()
        self.use_policy(policy)

    def use_policy(self, policy: Policy) -> None:
        """The model for the next session (one running keeps its own)."""
        self.policy = policy
        if isinstance(policy, OpenAIPolicy):
            policy.on_retry = self._model_retrying

    async def _model_retrying(self, attempt: int, retries: int, problem: str) -> None:
        """Say on the panel, while it happens, that the model is being retried (and which model)."""
        session = self.current
        if session is None or not session.running:
            return
        where = getattr(self.policy, "base_url", self.policy.name)
        trouble = "Can't reach" if problem.startswith("Cannot reach") else "Trouble with"
        session.notice = f"{trouble} the model at {where}; retrying ({attempt}/{retries})…"
        await self.publish(session)

    def _mark_interrupted(self) -> None:
        """A session still `running` in the store was cut off by a restart of the bridge."""
        for row in self.store.list():
            if row["status"] == "running" and row["source"] == "extension":
                trajectory = self.store.load(row["id"])
                trajectory.status = "interrupted"
                trajectory.reason = "The bridge restarted during this task. Send a message to continue."
                trajectory.updated_at = utcnow()
                self.store.save_header(trajectory)

    # -- a session's life (never waiting for the extension: the caller is the reader of its replies) -----------

    async def start(self, task: str, start_url: str | None, tab_id: int | None) -> None:
        """A new session on `task`, in a new tab at `start_url` or else in the person's tab `tab_id`."""
        if self.current is not None and self.current.running:
            await self.link.send(ErrorMessage(message="A task is already running; stop it first."))
            return
        if start_url and (refusal := self.url_policy.refusal(start_url)):
            await self.link.send(ErrorMessage(message=f"Refusing to open {start_url}: {refusal}"))
            return
        if start_url is None and tab_id is None:
            await self.link.send(ErrorMessage(message="No tab to act in: give a start URL or use the current tab."))
            return
        session = self._new_session(uuid.uuid4().hex)
        self.current = session
        session.task = asyncio.create_task(self._run(session, task, start_url, tab_id))

    async def follow_up(self, session_id: str, text: str, tab_id: int | None) -> None:
        """The person's next message in a session that has ended its round; `tab_id` is the agent's tab, for a
        session this process does not hold."""
        session = self.live(session_id)
        if session is not None and session.running:
            await self.link.send(ErrorMessage(message="The agent is still working; wait for it or stop it."))
            return
        if session is None:  # a session this process does not hold: reopen it from the store, in its own task
            self._reopening = asyncio.create_task(self._reopen_and_continue(session_id, text, tab_id))
            return
        session.task = asyncio.create_task(self._drive(session, session.agent.proceed(text)))

    async def retry(self, session: Session) -> None:
        """Try again after an error or a restart, from a fresh screenshot, with no new message."""
        if session.running or session.trajectory.status not in ("error", "interrupted"):
            await self.link.send(ErrorMessage(message="Only a task that ended with an error can be retried."))
            return
        session.task = asyncio.create_task(self._drive(session, session.agent.proceed(None)))

    def _new_session(self, session_id: str) -> Session:
        env = ExtensionEnv(
            self.link,
            session_id,
            self.settle,
            on_tab_hidden=lambda: self._tab_hidden(session),
            url_policy=self.url_policy,
        )
        provenance = Provenance(
            source="extension", model=self.policy.name, environment="chrome-extension", farol_version=__version__
        )
        session = Session(env)
        session.agent = Agent(
            env,
            self.policy,
            max_steps=self.max_steps,
            url_policy=self.url_policy,
            hooks=[StoreRecorder(self.store), _Publisher(self, session)],
            approver=lambda request: self._ask(session, request),
            max_pixels=TRAINING_MAX_PIXELS,
            provenance=provenance,
        )
        return session

    async def _run(self, session: Session, task: str, start_url: str | None, tab_id: int | None) -> None:
        try:
            session.tab_id = await session.env.open(start_url) if start_url else tab_id
            if not start_url:
                await session.env.use_tab(tab_id)  # type: ignore[arg-type]
        except Exception as error:  # the tab could not be opened: say so, keep nothing half-made
            await self.link.send(ErrorMessage(message=f"Could not open the agent's tab: {error}"))
            self.current = None
            return
        await self._drive(session, session.agent.run(task, start_url, trajectory_id=session.env.session_id))

    async def _drive(self, session: Session, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run a round to its end (approvals happen inside it, through `_ask`), then let the tab go."""
        try:
            await coroutine
        except Exception as error:  # never lose the session to an unexpected failure: record it
            log.exception("session failed")
            self.store.save_header(session.agent.fail(f"Unexpected failure: {error!r}"))
        await session.env.close()
        await self.publish(session)

    async def _ask(self, session: Session, request: ApprovalRequest) -> Decision:
        """The agent's approver: show the card on the panel and wait for the person's answer."""
        event = approval_card(session.trajectory.id, request)
        session.approval = PendingApproval(event, asyncio.get_running_loop().create_future())
        await self.publish(session)
        await self.link.send(event)
        try:
            return await session.approval.answer
        finally:
            session.approval = None
            await self.publish(session)

    async def _tab_hidden(self, session: Session) -> None:
        session.hidden = True
        session.tab_visible.clear()
        await self.publish(session)
        await session.tab_visible.wait()
        session.hidden = False
        await self.publish(session)

    async def _reopen_and_continue(self, session_id: str, text: str, tab_id: int | None) -> None:
        """Continue a session this process does not hold (e.g. after a bridge restart) from the store."""
        try:
            stored = self.store.load(session_id)
        except KeyError:
            await self.link.send(ErrorMessage(message="Unknown session."))
            return
        if tab_id is None:
            await self.link.send(ErrorMessage(message="The agent's tab is gone; start a new task."))
            return
        session = self._new_session(stored.id)
        session.tab_id = tab_id
        session.agent.restore(stored, self.store.read_screenshot)
        session.task = asyncio.current_task()
        self.current = session
        try:
            await session.env.use_tab(tab_id)
        except Exception as error:  # the tab was closed, or the extension is gone: say so
            self.current = None
            await self.link.send(ErrorMessage(message=f"Cannot use the agent's tab: {error}"))
            return
        await self._drive(session, session.agent.proceed(text))

    # -- what the panel is shown -------------------------------------------------------------

    def live(self, session_id: str) -> Session | None:
        """The session this process runs, if it is that one."""
        session = self.current
        return session if session is not None and session.trajectory.id == session_id else None

    def view_of(self, trajectory: Trajectory) -> SessionView:
        """A session as the panel shows it: the live view if this process runs it, else its stored record's."""
        live = self.live(trajectory.id)
        return live.view() if live else stored_view(trajectory)

    async def share(self, session_id: str, shared: bool) -> SessionView:
        """Set the person's choice to share a session (`set_consent`), and show it on the panel."""
        live = self.live(session_id)
        trajectory = live.trajectory if live else self.store.load(session_id)
        set_consent(self.store, trajectory, shared=shared)
        view = self.view_of(trajectory)
        await self.link.send(SessionEvent(session=view))
        return view

    async def publish(self, session: Session) -> None:
        if session.agent.trajectory is not None:
            await self.link.send(SessionEvent(session=session.view()))
