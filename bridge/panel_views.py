"""What the side panel is shown of a session: its record, its timeline's steps, its approval cards."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable

from agent.approval import ApprovalRequest
from agent.screenshot import TIMELINE_WIDTH, Screenshot
from agent.trajectory import Step, Trajectory
from bridge.protocol import ApprovalRequestEvent, SessionView, StepView
from bridge.words import consequence, person_turns, site_of, step_problem, step_words

CARD_WIDTH = 720
KEPT_THUMBNAILS = 512  # the timeline's previews, by screenshot digest (about 15 KB each)


def stored_view(trajectory: Trajectory) -> SessionView:
    """A session as its record says; a live one adds what only the running session knows (`Session.view`)."""
    return SessionView(
        id=trajectory.id,
        task=trajectory.task,
        status=trajectory.status,
        final_answer=trajectory.final_answer,
        terminate_status=trajectory.terminate_status,
        reason=trajectory.reason,
        steps=len(trajectory.steps),
        shared=trajectory.consent.shared,
        turns=person_turns(trajectory),
        model=trajectory.provenance.model,
    )


class StepViews:
    """Steps as the timeline shows them; each screenshot's preview is made once and kept."""

    def __init__(self, read_screenshot: Callable[[str], bytes]) -> None:
        self._read_screenshot = read_screenshot
        self._thumbnails: OrderedDict[str, str] = OrderedDict()

    def view(self, step: Step) -> StepView:
        verb, detail = step_words(step)
        return StepView(
            index=step.index,
            thoughts=step.thoughts,
            verb=verb,
            detail=detail,
            url=step.url,
            thumbnail=self._thumbnail(step),
            error=step_problem(step),
            not_run=bool(step.result and step.result.not_run),
        )

    def _thumbnail(self, step: Step) -> str:
        digest = step.screenshot
        if digest not in self._thumbnails:
            image = step.image or Screenshot(self._read_screenshot(digest))
            self._thumbnails[digest] = image.jpeg_data_url(TIMELINE_WIDTH)
            if len(self._thumbnails) > KEPT_THUMBNAILS:
                self._thumbnails.popitem(last=False)
        self._thumbnails.move_to_end(digest)
        return self._thumbnails[digest]


def approval_card(session_id: str, request: ApprovalRequest) -> ApprovalRequestEvent:
    """The inline card that asks the person: what the agent wants to do, where, and what approving will do."""
    step = request.step
    point = None
    if step.css_point is not None and request.kind == "guard":
        point = (100 * step.css_point[0] / step.css_width, 100 * step.css_point[1] / step.css_height)
    return ApprovalRequestEvent(
        session_id=session_id,
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
