"""Sessions in the person's browser: one agent run at a time, driven by the side panel's commands.

A session is one `Agent` conversation over an `ExtensionEnv`. Its trajectory is written to the store
step by step. The agent's approvals (guard hits, critical points) come here through its approver, which
shows them on the panel's inline card and waits. Pause, Take over and Stop hold the agent at once: an action
the model chose after the person pressed them is not run (`Agent.pause`, `Agent.cancel`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from agent import __version__
from agent.approval import ApprovalRequest, Decision
from agent.geometry import TRAINING_MAX_PIXELS
from agent.guard import UrlPolicy
from agent.loop import Agent, Hooks
from agent.policy import OpenAIPolicy, Policy
from agent.recorder import StoreRecorder
from agent.screenshot import Screenshot
from agent.settle import SettleRule
from agent.store import Store
from agent.trajectory import Consent, Provenance, Step, Trajectory, utcnow
from bridge.extension_env import ExtensionEnv
from bridge.link import ExtensionLink
from bridge.protocol import (
    ApprovalReply,
    ApprovalRequestEvent,
    Control,
    ErrorMessage,
    FollowUp,
    PersonTurn,
    SessionEvent,
    SessionStatus,
    SessionView,
    SetConsent,
    StartTask,
    StepEvent,
    StepView,
)
from bridge.words import consequence, person_turns, site_of, step_problem, step_words

log = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 320
CARD_WIDTH = 720
KEPT_THUMBNAILS = 512  # the timeline's previews, by screenshot digest (about 15 KB each)
RESENT_STEPS = 60  # a reconnecting extension keeps this many timeline entries


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


def stored_view(trajectory: Trajectory) -> SessionView:
    return SessionView(
        id=trajectory.id,
        task=trajectory.task,
        status=trajectory.status,
        final_answer=trajectory.final_answer,
        terminate_status=trajectory.terminate_status,
        reason=trajectory.reason,
        steps=len(trajectory.steps),
        shared=trajectory.consent.shared,
        turns=[PersonTurn(before_step=b, kind=k, text=t, at=at) for b, k, t, at in person_turns(trajectory)],  # type: ignore[arg-type]
        model=trajectory.provenance.model,
    )


def set_consent(store: Store, trajectory: Trajectory, *, shared: bool) -> None:
    """The person's choice to share a session (or not): the only way a session can leave the database."""
    trajectory.consent = Consent(shared=shared, at=utcnow() if shared else None)
    store.save_header(trajectory)


def step_view(step: Step, thumbnail: str | None) -> StepView:
    verb, detail = step_words(step)
    return StepView(
        index=step.index,
        thoughts=step.thoughts,
        verb=verb,
        detail=detail,
        url=step.url,
        thumbnail=thumbnail,
        error=step_problem(step),
        not_run=bool(step.result and step.result.not_run),
    )


class _Publisher(Hooks):
    """Streams each round's start, each step and the end to the side panel."""

    def __init__(self, manager: SessionManager, session: Session) -> None:
        self.manager, self.session = manager, session

    async def on_round_start(self, trajectory: Trajectory) -> None:
        await self.manager.publish(self.session)

    async def on_step(self, trajectory: Trajectory, step: Step) -> None:
        self.session.notice = None
        await self.manager.publish(self.session)  # the session first: the extension files steps under it
        await self.manager.link.send(StepEvent(session_id=trajectory.id, step=self.manager.step_view(step)))

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
        self._reopening: asyncio.Task[None] | None = None
        self._thumbnails: OrderedDict[str, str] = OrderedDict()
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

    # -- the panel's commands ----------------------------------------------------------------

    async def handle(self, message: Any) -> None:
        """Act on a panel command. Never wait for the extension here: the caller is the reader of its replies."""
        handlers = {
            StartTask: self.start,
            FollowUp: self.follow_up,
            Control: self.control,
            ApprovalReply: self.answer_approval,
            SetConsent: self.set_consent,
        }
        await handlers[type(message)](message)

    async def start(self, message: StartTask) -> None:
        if self.current is not None and self.current.running:
            await self.link.send(ErrorMessage(message="A task is already running; stop it first."))
            return
        if message.start_url and (refusal := self.url_policy.refusal(message.start_url)):
            await self.link.send(ErrorMessage(message=f"Refusing to open {message.start_url}: {refusal}"))
            return
        if message.start_url is None and message.tab_id is None:
            await self.link.send(ErrorMessage(message="No tab to act in: give a start URL or use the current tab."))
            return
        session = self._new_session(uuid.uuid4().hex)
        self.current = session
        session.task = asyncio.create_task(self._run(session, message))

    async def follow_up(self, message: FollowUp) -> None:
        session = self._live(message.session_id)
        if session is not None and session.running:
            await self.link.send(ErrorMessage(message="The agent is still working; wait for it or stop it."))
            return
        if session is None:  # a session this process does not hold: reopen it from the store, in its own task
            self._reopening = asyncio.create_task(self._reopen_and_continue(message))
            return
        session.task = asyncio.create_task(self._drive(session, session.agent.proceed(message.text)))

    async def control(self, message: Control) -> None:
        session = self._live(message.session_id)
        if session is None:
            return
        if message.command == "retry":
            await self._retry(session)
            return
        if message.command == "pause":
            session.agent.pause("paused by you")
        elif message.command == "resume":
            session.agent.resume()
            session.tab_visible.set()
        elif message.command == "take_over":
            session.taken_over = True
            session.agent.pause("you took over")
        elif message.command == "hand_back":
            session.taken_over = False
            session.agent.resume()  # the next step starts from a fresh screenshot of what the person left
        elif message.command == "stop":
            session.agent.cancel()
            session.tab_visible.set()
            if session.approval is not None:
                session.approval.answer.set_result(Decision("deny"))
        await self.publish(session)

    async def _retry(self, session: Session) -> None:
        """Try again after an error or a restart, from a fresh screenshot, with no new message."""
        if session.running or session.trajectory.status not in ("error", "interrupted"):
            await self.link.send(ErrorMessage(message="Only a task that ended with an error can be retried."))
            return
        session.task = asyncio.create_task(self._drive(session, session.agent.proceed(None)))

    async def answer_approval(self, message: ApprovalReply) -> None:
        session = self._live(message.session_id)
        if session is None or session.approval is None or session.approval.event.request_id != message.request_id:
            await self.link.send(ErrorMessage(message="That approval is no longer pending."))
            return
        if message.decision == "reply" and not (message.text or "").strip():
            await self.link.send(ErrorMessage(message="A reply needs some text."))
            return
        session.approval.answer.set_result(Decision(message.decision, message.text))

    async def set_consent(self, message: SetConsent) -> None:
        live = self.current if self.current and self.current.trajectory.id == message.session_id else None
        trajectory = live.trajectory if live else self.store.load(message.session_id)
        set_consent(self.store, trajectory, shared=message.shared)
        await self.link.send(SessionEvent(session=live.view() if live else stored_view(trajectory)))

    # -- running -----------------------------------------------------------------------------

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

    async def _run(self, session: Session, message: StartTask) -> None:
        try:
            session.tab_id = await session.env.open(message.start_url) if message.start_url else message.tab_id
            if not message.start_url:
                await session.env.use_tab(message.tab_id)  # type: ignore[arg-type]
        except Exception as error:  # the tab could not be opened: say so, keep nothing half-made
            await self.link.send(ErrorMessage(message=f"Could not open the agent's tab: {error}"))
            self.current = None
            return
        run = session.agent.run(message.task, message.start_url, trajectory_id=session.env.session_id)
        await self._drive(session, run)

    async def _drive(self, session: Session, coroutine: Any) -> None:
        """Run a round to its end (approvals happen inside it, through `_ask`), then let the tab go."""
        try:
            await coroutine
        except Exception as error:  # never lose the session to an unexpected failure: record it
            log.exception("session failed")
            trajectory = session.trajectory
            trajectory.status, trajectory.reason = "error", f"Unexpected failure: {error!r}"
            self.store.save_header(trajectory)
        await session.env.close()
        await self.publish(session)

    async def _ask(self, session: Session, request: ApprovalRequest) -> Decision:
        """The agent's approver: show the card on the panel and wait for the person's answer."""
        step = request.step
        point = None
        if step.css_point is not None and request.kind == "guard":
            point = (100 * step.css_point[0] / step.css_width, 100 * step.css_point[1] / step.css_height)
        event = ApprovalRequestEvent(
            session_id=session.trajectory.id,
            request_id=uuid.uuid4().hex,
            kind=request.kind,
            reason=request.reason,
            thoughts=step.thoughts,
            screenshot=request.screenshot.jpeg_data_url(CARD_WIDTH),
            target=step.target,
            site=site_of(step.url),
            consequence=consequence(request),
            point=point,
        )
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

    async def _reopen_and_continue(self, message: FollowUp) -> None:
        """Continue a session this process does not hold (e.g. after a bridge restart) from the store."""
        try:
            stored = self.store.load(message.session_id)
        except KeyError:
            await self.link.send(ErrorMessage(message="Unknown session."))
            return
        if message.tab_id is None:
            await self.link.send(ErrorMessage(message="The agent's tab is gone; start a new task."))
            return
        session = self._new_session(stored.id)
        session.tab_id = message.tab_id
        session.agent.restore(stored, self.store.read_screenshot)
        session.task = asyncio.current_task()  # type: ignore[assignment]
        self.current = session
        try:
            await session.env.use_tab(message.tab_id)
        except Exception as error:  # the tab was closed, or the extension is gone: say so
            self.current = None
            await self.link.send(ErrorMessage(message=f"Cannot use the agent's tab: {error}"))
            return
        await self._drive(session, session.agent.proceed(message.text))

    def _live(self, session_id: str) -> Session | None:
        session = self.current
        return session if session is not None and session.trajectory.id == session_id else None

    def step_view(self, step: Step) -> StepView:
        """A step as the timeline shows it; its preview is made once per screenshot and kept."""
        digest = step.screenshot
        if digest not in self._thumbnails:
            image = step.image or Screenshot(self.store.read_screenshot(digest))
            self._thumbnails[digest] = image.jpeg_data_url(THUMBNAIL_WIDTH)
            if len(self._thumbnails) > KEPT_THUMBNAILS:
                self._thumbnails.popitem(last=False)
        self._thumbnails.move_to_end(digest)
        return step_view(step, self._thumbnails[digest])

    async def resend_steps(self, session_id: str, after: int | None) -> None:
        """A reconnecting extension missed the steps recorded while it was away: send those after `after`."""
        live = self._live(session_id)
        try:
            trajectory = live.trajectory if live else self.store.load(session_id)
        except KeyError:
            return
        missed = [step for step in trajectory.steps if after is None or step.index > after]
        for step in missed[-RESENT_STEPS:]:
            await self.link.send(StepEvent(session_id=session_id, step=self.step_view(step)))

    async def publish(self, session: Session) -> None:
        if session.agent.trajectory is not None:
            await self.link.send(SessionEvent(session=session.view()))

    def view_for(self, session_id: str | None) -> SessionView | None:
        """What a (re)connecting extension should show for the session it remembers."""
        current = self.current
        if current is not None and current.agent.trajectory is not None and session_id in {None, current.trajectory.id}:
            return current.view()
        if session_id is None:
            return None
        try:
            return stored_view(self.store.load(session_id))
        except KeyError:
            return None
