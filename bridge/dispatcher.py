"""Each message from the extension, turned into calls: its hello, the panel's commands, the answers to the bridge's
requests. Never wait for the extension here: the caller is the reader of its replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from agent import __version__
from agent.approval import Decision
from agent.store import TrajectoryNotFound
from bridge import settings
from bridge.panel_views import stored_view
from bridge.protocol import (
    ApprovalReply,
    Control,
    ErrorMessage,
    ExtensionMessage,
    FollowUp,
    Hello,
    Ping,
    Pong,
    Result,
    SessionView,
    SetConsent,
    StartTask,
    StepEvent,
    Welcome,
)
from bridge.sessions import SessionManager
from bridge.uploads import Uploader

RESENT_STEPS = 60  # a reconnecting extension keeps this many timeline entries

Reply = Callable[[BaseModel], Awaitable[None]]  # to the connection the message came on


class Dispatcher:
    def __init__(self, sessions: SessionManager, uploader: Uploader) -> None:
        self.sessions, self.uploader = sessions, uploader

    async def handle(self, message: ExtensionMessage, reply: Reply) -> None:
        sessions = self.sessions
        if isinstance(message, Pong):
            return  # the answer to the extension's heartbeat
        if isinstance(message, Hello):
            await self._hello(message, reply)
        elif isinstance(message, Ping):
            await reply(Pong())
        elif isinstance(message, Result):
            sessions.link.resolve(message)
        elif isinstance(message, StartTask):
            await sessions.start(message.task, message.start_url, message.tab_id)
        elif isinstance(message, FollowUp):
            await sessions.follow_up(message.session_id, message.text, message.tab_id)
        elif isinstance(message, Control):
            await self._control(message)
        elif isinstance(message, ApprovalReply):
            await self._answer_approval(message)
        elif isinstance(message, SetConsent):
            try:
                await sessions.share(message.session_id, message.shared)
            except TrajectoryNotFound:
                await reply(ErrorMessage(message="Unknown session."))

    async def _hello(self, message: Hello, reply: Reply) -> None:
        """A (re)connecting extension: the session it remembers, the settings, and the steps it missed."""
        await reply(Welcome(bridge_version=__version__, session=self._view_for(message.session_id)))
        await reply(settings.current(self.sessions, self.uploader))
        if message.session_id is not None:
            await self._resend_steps(message.session_id, message.last_step)

    def _view_for(self, session_id: str | None) -> SessionView | None:
        """What a (re)connecting extension should show for the session it remembers."""
        current = self.sessions.current
        if current is not None and current.agent.trajectory is not None and session_id in {None, current.trajectory.id}:
            return current.view()
        if session_id is None:
            return None
        try:
            return stored_view(self.sessions.store.load(session_id))
        except KeyError:
            return None

    async def _resend_steps(self, session_id: str, after: int | None) -> None:
        """The steps recorded while the extension was away: those after `after`."""
        live = self.sessions.live(session_id)
        try:
            trajectory = live.trajectory if live else self.sessions.store.load(session_id)
        except KeyError:
            return
        missed = [step for step in trajectory.steps if after is None or step.index > after]
        for step in missed[-RESENT_STEPS:]:
            await self.sessions.link.send(StepEvent(session_id=session_id, step=self.sessions.step_views.view(step)))

    async def _control(self, message: Control) -> None:
        session = self.sessions.live(message.session_id)
        if session is None:
            return
        if message.command == "retry":
            await self.sessions.retry(session)
            return
        controls = {
            "pause": session.pause,
            "resume": session.resume,
            "take_over": session.take_over,
            "hand_back": session.hand_back,
            "stop": session.stop,
        }
        controls[message.command]()
        await self.sessions.publish(session)

    async def _answer_approval(self, message: ApprovalReply) -> None:
        """The person's answer to the approval card the session waits on."""
        session = self.sessions.live(message.session_id)
        if session is None or session.approval is None or session.approval.event.request_id != message.request_id:
            await self.sessions.link.send(ErrorMessage(message="That approval is no longer pending."))
            return
        if message.decision == "reply" and not (message.text or "").strip():
            await self.sessions.link.send(ErrorMessage(message="A reply needs some text."))
            return
        session.approval.answer.set_result(Decision(message.decision, message.text))
