"""The agent loop: observe -> ask the model -> check -> act, until the model terminates.

This is the only loop in Farol; the CLI, the bridge, data generation and evaluation all drive it.
One `Agent` holds one conversation: `run` starts it with a task, `proceed` continues it after a
`terminate` (the reference multi-round convention: a new user turn [fresh screenshot, text] on
the same history).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from PIL import Image

from agent.actions import Action, PauseAndMemorizeFact, Terminate, Type, action_point
from agent.approval import (
    APPROVED_TEXT,
    CRITICAL_POINT_REASON,
    ApprovalRequest,
    Approver,
    Decision,
    is_critical_point,
)
from agent.environment import BrowserError, ElementInfo, Environment, Observation, PageClosed, PageReading
from agent.geometry import MAX_PIXELS, ScreenGeometry, png_size
from agent.guard import UrlPolicy, is_secret_field, sensitive_reason
from agent.history import Turn, build_messages, model_image_url, turns_from_trajectory
from agent.navigation import navigation_target
from agent.parser import ParseError, parse_reply
from agent.png import decode_png
from agent.policy import ModelUnavailable, Policy
from agent.redact import screenshot_to_keep
from agent.screenshot import Screenshot
from agent.secrets import SecretScrubber
from agent.trajectory import (
    Approval,
    ApprovalKind,
    ParseFailure,
    Provenance,
    Status,
    Step,
    StepResult,
    Trajectory,
    UserTurn,
    utcnow,
)

T = TypeVar("T")


class Hooks:
    """Per-step callbacks (UI, logging, the store). Override what you need."""

    async def on_round_start(self, trajectory: Trajectory) -> None:
        """A round begins (the task, or a follow-up): the status is running and the new user turn is on it."""

    async def on_step(self, trajectory: Trajectory, step: Step) -> None:
        """A step is finished; its kept screenshot is `step.image`."""

    async def on_end(self, trajectory: Trajectory) -> None: ...


class _Stop(Exception):
    """Ends the round with a status and a reason."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class _Held(Exception):
    """The person paused or took over after the model chose its action: the action is not run."""


class Agent:
    def __init__(
        self,
        env: Environment,
        policy: Policy,
        *,
        max_steps: int = 100,
        loop_limit: int = 3,
        url_policy: UrlPolicy | None = None,
        hooks: Sequence[Hooks] = (),
        approver: Approver | None = None,
        max_pixels: int = MAX_PIXELS,
        provenance: Provenance | None = None,
    ) -> None:
        self.env, self.policy = env, policy
        self.max_steps, self.loop_limit = max_steps, loop_limit
        self.url_policy = url_policy or UrlPolicy()
        # With no approver nobody can be asked: guard hits are refused, and a critical point ends the run
        # as the model reported it (the reference harness's behaviour).
        self.hooks, self.approver, self.max_pixels = list(hooks), approver, max_pixels
        self.provenance = provenance or Provenance(model=policy.name)
        self.trajectory: Trajectory | None = None
        self._turns: list[Turn] = []
        self._secrets = SecretScrubber()  # what was typed into secret fields: in memory only, never stored
        self._cancel = asyncio.Event()
        self._unpaused = asyncio.Event()
        self._unpaused.set()
        self._pause_reason = ""
        self._capturing = asyncio.Lock()  # one capture of the page at a time: an early glance, or the observation
        self._glances: set[asyncio.Task[None]] = set()
        self._preview: _Preview | None = None  # the latest glance and its model image (`_glance`)

    def cancel(self) -> None:
        """Stop now: the model call in flight is abandoned, and an action it already chose is not run."""
        self._cancel.set()

    def pause(self, reason: str = "paused by the person") -> None:
        """Hold now: an action the model chose is not run, and no new step starts until `resume`; the model then
        decides again from a fresh screenshot. `reason` is what the held step records ("taken over", ...)."""
        self._pause_reason = reason
        self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    def fail(self, reason: str) -> Trajectory:
        """End the record with an error the loop did not see (its caller caught it), scrubbed like every record:
        an exception's text may quote what was typed."""
        if self.trajectory is None:
            raise RuntimeError("run() first")
        self.trajectory.status, self.trajectory.reason = "error", reason
        self.trajectory.updated_at = utcnow()
        self._scrub()
        return self.trajectory

    def restore(self, trajectory: Trajectory, read_screenshot: Callable[[str], bytes]) -> None:
        """Continue a stored trajectory (e.g. after a restart): `proceed` then picks up its conversation."""
        self.trajectory = trajectory
        self._turns = turns_from_trajectory(trajectory, read_screenshot)

    async def run(self, task: str, start_url: str | None = None, *, trajectory_id: str | None = None) -> Trajectory:
        self.trajectory = Trajectory(task=task, start_url=start_url, provenance=self.provenance)
        if trajectory_id is not None:
            self.trajectory.id = trajectory_id
        self._turns = []
        return await self._round(task)

    async def proceed(self, text: str | None) -> Trajectory:
        """Continue after `terminate` (or a stop) with the person's message; None retries after an error (a model
        outage, say) with no new message: the next step starts from a fresh screenshot."""
        if self.trajectory is None:
            raise RuntimeError("run() first")
        return await self._round(text)

    async def _round(self, user_text: str | None) -> Trajectory:
        trajectory = self.trajectory
        assert trajectory is not None
        trajectory.status, trajectory.reason, trajectory.final_answer = "running", None, None
        if user_text is not None:
            trajectory.user_turns.append(UserTurn(text=user_text, before_step=len(trajectory.steps)))
        trajectory.updated_at = utcnow()
        self._cancel.clear()
        self._scrub()
        await self._each(lambda hook: hook.on_round_start(trajectory))
        try:
            await self._steps(user_text)
        except _Stop as stop:
            trajectory.status, trajectory.reason = stop.status, stop.reason
        except asyncio.CancelledError:  # the process is shutting down, not the person cancelling (that is `cancel`)
            trajectory.status, trajectory.reason = "interrupted", "stopped before it finished: the process ended"
            await asyncio.shield(self._finish())
            raise
        await self._finish()
        return trajectory

    async def _finish(self) -> None:
        assert self.trajectory is not None
        for glance in self._glances:  # a round that ended during a settle: nothing will look at its glance
            glance.cancel()
        self.trajectory.updated_at = utcnow()
        self._scrub()
        trajectory = self.trajectory
        await self._each(lambda hook: hook.on_end(trajectory))

    async def _steps(self, user_text: str | None) -> None:
        trajectory = self.trajectory
        assert trajectory is not None
        last_key: tuple[str, str] | None = None
        repeats = 0
        retry: _Seen | None = None  # after a parse error: ask again on the same observation
        for _ in range(self.max_steps):
            if not self._unpaused.is_set():
                await self._cancellable(self._unpaused.wait())
            self._check_cancel()
            timing: dict[str, float] = {}
            if retry is None:
                with _timed(timing, "capture"):
                    observation, geometry = await self._observe()
                with _timed(timing, "encode"):
                    seen = await self._see(observation, geometry, user_text)
            else:
                seen = retry
            turn = seen.turn
            with _timed(timing, "build"):
                messages = build_messages([*self._turns, turn])
            unavailable: ModelUnavailable | None = None
            with _timed(timing, "model"):
                try:
                    reply = await self._cancellable(self.policy.complete(messages))
                except ModelUnavailable as error:
                    unavailable = error
            with _timed(timing, "keep"):
                kept = await seen.kept  # made while the model was thinking; usually done by now
            step = _new_step(len(trajectory.steps), seen, kept)
            if unavailable is not None:
                step.result = StepResult(ok=False, error=str(unavailable))
                await self._record(step, timing)
                raise _Stop("error", str(unavailable)) from unavailable
            step.raw_text, step.tokens = reply.text, reply.usage
            with _timed(timing, "parse"):
                parsed = parse_reply(reply.text)
            if isinstance(parsed, ParseError):
                step.thoughts = parsed.thoughts
                step.parse_error = ParseFailure(kind=parsed.kind, message=parsed.message)
                await self._record(step, timing)
                if retry is not None:
                    raise _Stop("error", f"the model's reply could not be parsed twice: {parsed.message}")
                retry = seen
                continue
            retry, user_text = None, None
            turn.reply = reply.text
            self._turns.append(turn)
            step.thoughts, step.action = parsed.thoughts, parsed.action

            if isinstance(parsed.action, Terminate):
                step.result = StepResult(observation=parsed.thoughts)
                await self._record(step, timing)
                trajectory.terminate_status = parsed.action.status
                trajectory.final_answer = parsed.thoughts
                if not (is_critical_point(parsed.thoughts) and self.approver is not None):
                    raise _Stop("awaiting_user", f"the model terminated with status {parsed.action.status}")
                # The person answers the critical point; the same conversation goes on with their words.
                decision = await self._ask("critical_point", CRITICAL_POINT_REASON, step)
                user_text = (decision.text or "") if decision.decision == "reply" else APPROVED_TEXT
                trajectory.terminate_status = trajectory.final_answer = None
                trajectory.user_turns.append(
                    UserTurn(text=user_text, before_step=len(trajectory.steps), from_approval=True)
                )
                self._scrub()  # the person's words may repeat a secret, and the panel shows them at once
                continue

            key = (step.screenshot, parsed.action.model_dump_json())
            repeats = repeats + 1 if key == last_key else 1
            last_key = key
            if repeats >= self.loop_limit:
                step.result = StepResult(ok=False, error="not executed: loop detected")
                await self._record(step, timing)
                raise _Stop("stopped", f"the model repeated the same action {repeats} times on an unchanged screen")

            try:
                reply_text = await self._act(step, parsed.action, turn.geometry, timing)
            except _Held:
                # Not run, so not part of the conversation: the next step asks again, with the same user text.
                self._turns.remove(turn)
                user_text, last_key = turn.user_text, None
                continue
            finally:
                await self._record(step, timing)
            if reply_text is not None:
                user_text = reply_text
                trajectory.user_turns.append(
                    UserTurn(text=reply_text, before_step=len(trajectory.steps), from_approval=True)
                )
                self._scrub()
        raise _Stop("stopped", f"reached the step limit ({self.max_steps}) without terminate")

    async def _observe(self) -> tuple[Observation, ScreenGeometry]:
        try:
            async with self._capturing:
                observation = await self.env.observe()
        except PageClosed as error:
            raise _Stop("stopped", f"Stopped because the agent's tab was closed ({error}).") from error
        except BrowserError as error:
            raise _Stop("error", f"the browser failed: {error}") from error
        refusal = self.url_policy.refusal(observation.url)
        if refusal:
            raise _Stop("stopped", f"refusing to act on {observation.url}: {refusal}")
        width, height = png_size(observation.screenshot)
        geometry = ScreenGeometry.for_screenshot(
            width, height, observation.css_width, observation.css_height, max_pixels=self.max_pixels
        )
        return observation, geometry

    async def _see(self, observation: Observation, geometry: ScreenGeometry, user_text: str | None) -> _Seen:
        """The model's image, made now (the step waits for it) unless a glance at the same bytes made it while the
        page settled, and the kept copy, started in the background (it is only needed once the model has answered).
        One decode of the capture serves both; both run in threads, so the event loop stays free. The kept copy
        waits for the page's reading after the capture (`Observation.page`); the model's image does not. The
        unmasked capture never leaves memory."""
        seen_at = utcnow()
        preview, self._preview = self._preview, None
        if preview is not None and preview.screenshot == observation.screenshot:
            pixels, image_url = await preview.made
        else:
            pixels, image_url = await asyncio.to_thread(_model_image, observation.screenshot, geometry)
        turn = Turn(observation.screenshot, geometry, observation.url, user_text, _image_url=image_url)
        keeping = asyncio.ensure_future(_keep(observation, pixels))
        return _Seen(observation, seen_at, turn, keeping)

    def _glance(self) -> None:
        """The settle rule says the page has gone quiet: capture it now and make its model image while the rule
        waits out its window. `_see` uses it only if the observation after the settle is the same bytes, so the
        model sees what it would have seen anyway, sooner."""
        task = asyncio.ensure_future(self._look_ahead())
        self._glances.add(task)
        task.add_done_callback(self._glances.discard)

    async def _look_ahead(self) -> None:
        async with self._capturing:
            screenshot = await self.env.glance()
            if screenshot is None:
                return
            width, height = png_size(screenshot)
            # The model image depends on the capture's size alone (the CSS size only maps points back).
            geometry = ScreenGeometry.for_screenshot(width, height, width, height, max_pixels=self.max_pixels)
            made = asyncio.ensure_future(asyncio.to_thread(_model_image, screenshot, geometry))
            self._preview = _Preview(screenshot, made)

    async def _act(self, step: Step, action: Action, geometry: ScreenGeometry, timing: dict[str, float]) -> str | None:
        """Check and execute one action; returns the person's reply text if they answered instead."""
        trajectory = self.trajectory
        assert trajectory is not None
        result = StepResult()
        point = action_point(action)
        if point is not None:
            step.css_point, result.clamped = geometry.to_css(*point)
            action = action.model_copy(update={"coordinate": step.css_point})
        target = navigation_target(action)
        if target is not None and (refusal := self.url_policy.refusal(target)):
            step.result = StepResult(ok=False, blocked=refusal)
            raise _Stop("stopped", f"refused to open {target}: {refusal}")
        with _timed(timing, "execute"):  # the guard's lookup is part of acting
            element = await self._target(action, step.css_point)
        step.target = element.describe() if element else None
        if isinstance(action, Type) and element and is_secret_field(element):
            self._secrets.remember(action.text)  # before the guard asks: its request is scrubbed too
        self._hold_point(step)  # held before the guard asks: nothing is asked, or run, while the person holds it
        if isinstance(action, PauseAndMemorizeFact):
            trajectory.memorized_facts.append(action.fact)
        return await self._check_and_execute(step, action, element, result, timing)

    async def _check_and_execute(
        self, step: Step, action: Action, element: ElementInfo | None, result: StepResult, timing: dict[str, float]
    ) -> str | None:
        trajectory = self.trajectory
        assert trajectory is not None
        reason = sensitive_reason(action, element)
        if reason:
            decision = await self._ask("guard", reason, step)
            if decision.decision == "reply":
                step.result = StepResult(ok=False, blocked=f"you answered instead: {reason}")
                return decision.text or ""

        self._hold_point(step)  # the last moment the person can still hold the action back
        try:
            with _timed(timing, "execute"):
                outcome = await self.env.execute(action, self._glance)
        except PageClosed as error:
            step.result = StepResult(ok=False, error=str(error))
            raise _Stop("stopped", f"Stopped because the agent's tab was closed ({error}).") from error
        except BrowserError as error:
            step.result = StepResult(ok=False, error=str(error))
            raise _Stop("error", f"the browser failed: {error}") from error
        timing["settle"] = outcome.settle_seconds
        timing["execute"] -= outcome.settle_seconds
        result.observation = outcome.observation
        step.result = result
        return None

    async def _target(self, action: Action, css_point: tuple[float, float] | None) -> ElementInfo | None:
        """The element an action lands on: under its point, or for `type` without one, the focused element."""
        if css_point is not None:
            return await self.env.element_at(*css_point)
        if isinstance(action, Type):
            return await self.env.focused_element()
        return None

    async def _ask(self, kind: ApprovalKind, reason: str, step: Step) -> Decision:
        """Ask the person and record the answer; a refusal (or nobody to ask) ends the round."""
        trajectory = self.trajectory
        assert trajectory is not None and step.image is not None
        self._scrub(step)  # the request carries the step (the panel's card shows its thoughts) and the reason
        reason = self._secrets.text(reason)
        if self.approver is None:
            decision, refused = Decision("deny"), f"refused, with nobody to approve it: {reason}"
        else:
            decision = await self.approver(ApprovalRequest(kind, reason, step, step.image))
            refused = f"you declined: {reason}"
        trajectory.approvals.append(
            Approval(step=step.index, kind=kind, reason=reason, decision=decision.decision, text=decision.text)
        )
        if decision.decision != "deny":
            return decision
        if kind == "critical_point":
            raise _Stop("stopped", "You declined at the critical point.")
        step.result = StepResult(ok=False, blocked=refused)
        raise _Stop("stopped", refused)

    async def _record(self, step: Step, timing: dict[str, float]) -> None:
        assert self.trajectory is not None
        step.timing = timing
        self.trajectory.steps.append(step)
        self.trajectory.updated_at = utcnow()
        self._scrub()
        trajectory = self.trajectory
        await self._each(lambda hook: hook.on_step(trajectory, step))

    def _scrub(self, step: Step | None = None) -> None:
        """The one place typed secrets are masked in the record (`agent/secrets.py`): before any hook, approver or
        caller sees it. Only the record: the model's history (`_turns`) keeps what was said."""
        assert self.trajectory is not None
        self._secrets.trajectory(self.trajectory)
        if step is not None:
            self._secrets.step(step)

    async def _cancellable(self, awaitable: Awaitable[T]) -> T:
        task = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self._cancel.wait())
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if task not in done:
            task.cancel()
            raise _Stop("cancelled", "You stopped the task.")
        stopper.cancel()
        return task.result()

    def _hold_point(self, step: Step) -> None:
        """Before anything acts on the page: a stop or pause that came in since the model was asked wins."""
        if self._cancel.is_set():
            step.result = StepResult(ok=False, not_run="you stopped the task")
            raise _Stop("cancelled", "You stopped the task.")
        if not self._unpaused.is_set():
            step.result = StepResult(ok=False, not_run=self._pause_reason)
            raise _Held

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise _Stop("cancelled", "You stopped the task.")

    async def _each(self, call: Callable[[Hooks], Awaitable[None]]) -> None:
        for hook in self.hooks:
            await call(hook)


def _model_image(screenshot: bytes, geometry: ScreenGeometry) -> tuple[Image.Image, str]:
    """A capture's pixels (for the kept copy too) and the model's image made from them."""
    pixels = decode_png(screenshot)
    return pixels, model_image_url(pixels, geometry)


class _Kept(NamedTuple):
    """An observation's copy to keep (secret fields painted over), and the reading of the page it was made by."""

    image: Screenshot
    page: PageReading


async def _keep(observation: Observation, pixels: Image.Image) -> _Kept:
    page = await observation.page
    return _Kept(await asyncio.to_thread(_kept_copy, observation, page, pixels), page)


def _kept_copy(observation: Observation, page: PageReading, pixels: Image.Image) -> Screenshot:
    kept = screenshot_to_keep(observation.screenshot, page, observation.device_pixel_ratio, pixels)
    _ = kept.digest  # hashed here, off the event loop
    return kept


class _Preview(NamedTuple):
    """A glance at the page while it settled, and its pixels and model image, being made."""

    screenshot: bytes
    made: asyncio.Future[tuple[Image.Image, str]]


class _Seen(NamedTuple):
    """One observation on its way to the model: the turn it asks with, and its kept copy (being made)."""

    observation: Observation
    at: datetime
    turn: Turn
    kept: asyncio.Future[_Kept]


def _new_step(index: int, seen: _Seen, kept: _Kept) -> Step:
    observation, geometry = seen.observation, seen.turn.geometry
    return Step(
        index=index,
        started_at=seen.at,
        screenshot=kept.image.digest,
        screenshot_withheld=kept.image.withheld,
        image=kept.image,
        url=observation.url,
        title=kept.page.title,
        css_width=observation.css_width,
        css_height=observation.css_height,
        device_pixel_ratio=observation.device_pixel_ratio,
        model_width=geometry.model_width,
        model_height=geometry.model_height,
    )


class _timed:
    def __init__(self, timing: dict[str, float], name: str) -> None:
        self._timing, self._name = timing, name

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._timing[self._name] = self._timing.get(self._name, 0.0) + time.perf_counter() - self._start


async def run(task: str, env: Environment, policy: Policy, start_url: str | None = None, **options: Any) -> Trajectory:
    """Run one task to its end and return the trajectory."""
    return await Agent(env, policy, **options).run(task, start_url)
