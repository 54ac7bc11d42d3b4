"""The verifiers: alignment (do the steps and the answer do what the task asked?), rubric (a rubric of the
task's requirements, scored with partial credit) and multimodal (do the screenshots show what the answer
claims?), each an LLM judge through the `openai` client; on the sandbox the checker's verdict stands beside
them. The keep rule decides from the verdicts it names (default: every configured verifier must pass).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from agent.json_reply import json_object
from agent.policy import Policy
from agent.trajectory import Outcome, Trajectory
from datagen import prompts
from datagen.config import CHECKER, VerifySettings
from datagen.marks import shrink_png
from datagen.models import RoleModels
from datagen.narrative import narrate
from datagen.records import CheckerVerdict, Proposal, VerifierVerdict
from eval.judges.base import aborted, image_part, no_answer, screenshot_digests
from eval.judges.rubric import RUBRIC_SYSTEM, parse_rubric, process_score, rubric_text

ScreenshotReader = Callable[[str], bytes]


class _Judgement(BaseModel):
    passed: bool
    score: float = Field(ge=0.0, le=1.0)
    reason: str = ""


def checker_verdict(checker: CheckerVerdict) -> VerifierVerdict:
    reason = "; ".join(checker.failures) or "every check passed"
    return VerifierVerdict(name=CHECKER, passed=checker.passed, score=float(checker.passed), reason=reason)


def keeps(verdicts: list[VerifierVerdict], names: list[str], rule: Literal["all", "majority", "any"]) -> bool:
    """Whether the verdicts the keep rule names let the trajectory in; none of them given means no."""
    passes = [verdict.passed for verdict in verdicts if verdict.name in names]
    if not passes:
        return False
    if rule == "all":
        return all(passes)
    if rule == "any":
        return any(passes)
    return sum(passes) * 2 > len(passes)


def outcome_kind(trajectory: Trajectory) -> Outcome | None:
    """How the run ended, when that can be a right ending: it answered; it went on after the user's approval
    (or answer) to an end; it stopped where the user declined (at a critical point, or the guard's question).
    The verifiers decide whether it was right."""
    approvals = trajectory.approvals
    if trajectory.status == "awaiting_user" and trajectory.terminate_status == "success":
        went_on = any(a.kind == "critical_point" and a.decision != "deny" for a in approvals)
        return "approved_and_completed" if went_on else "answered"
    if trajectory.status == "stopped" and approvals and approvals[-1].decision == "deny":
        return "stopped_at_critical_point"
    return None


class Verifiers:
    """The configured LLM verifiers of one job (their models come metered from `models`)."""

    def __init__(self, models: RoleModels, settings: VerifySettings, read_screenshot: ScreenshotReader) -> None:
        self.models, self.settings, self.read = models, settings, read_screenshot

    async def verify(self, proposal: Proposal, trajectory: Trajectory, targets: list[str]) -> list[VerifierVerdict]:
        checks = [
            ("alignment", self._alignment),
            ("rubric", self._rubric),
            ("multimodal", lambda model, p, t: self._multimodal(model, p, t, targets)),
        ]
        verdicts = []
        for name, judge in checks:
            model = self.models.get(name)  # type: ignore[arg-type]
            if model is None:
                continue
            failed = aborted(trajectory) or no_answer(trajectory)
            if failed is not None:  # nothing to judge: a run that aborted or never answered has failed
                verdicts.append(VerifierVerdict(name=name, passed=False, score=0.0, reason=failed.reason))
            else:
                verdicts.append(await judge(model, proposal, trajectory))
        return verdicts

    async def _alignment(self, model: Policy, proposal: Proposal, trajectory: Trajectory) -> VerifierVerdict:
        return await _judge(model, "alignment", prompts.ALIGNMENT_SYSTEM, _evidence(proposal, trajectory))

    async def _multimodal(
        self, model: Policy, proposal: Proposal, trajectory: Trajectory, targets: list[str]
    ) -> VerifierVerdict:
        content: list[dict[str, Any]] = [{"type": "text", "text": _evidence(proposal, trajectory)}]
        content += [image_part(shrink_png(self.read(digest))) for digest in self._evidence_shots(trajectory, targets)]
        return await _judge(model, "multimodal", prompts.MULTIMODAL_SYSTEM, content)

    def _evidence_shots(self, trajectory: Trajectory, targets: list[str]) -> list[str]:
        """The screenshots of the target pages and the last one, oldest first, at most `screenshots` of them."""
        on_target = {step.screenshot for step in trajectory.steps if step.url in targets}
        chosen = [digest for digest in screenshot_digests(trajectory) if digest in on_target]
        last = trajectory.steps[-1].screenshot
        chosen = [digest for digest in chosen if digest != last] + [last]
        return chosen[-self.settings.screenshots :]

    async def _rubric(self, model: Policy, proposal: Proposal, trajectory: Trajectory) -> VerifierVerdict:
        rubric = proposal.rubric
        if rubric is None:
            reply = await model.complete(
                [{"role": "system", "content": RUBRIC_SYSTEM}, {"role": "user", "content": f"Task: {proposal.task}"}]
            )
            rubric = parse_rubric(reply.text)
            if rubric is None:
                return VerifierVerdict(name="rubric", passed=False, score=0.0, reason="no rubric could be written")
        prompt = f"Rubric:\n{rubric_text(rubric)}\n\n{_evidence(proposal, trajectory)}"
        reply = await model.complete(
            [{"role": "system", "content": prompts.RUBRIC_SCORING_SYSTEM}, {"role": "user", "content": prompt}]
        )
        score = process_score(rubric, reply.text)
        if score is None:
            return VerifierVerdict(name="rubric", passed=False, score=0.0, reason="the rubric scores could not be read")
        threshold = self.settings.rubric_threshold
        return VerifierVerdict(
            name="rubric", passed=score.fraction >= threshold, score=round(score.fraction, 4),
            reason=score.describe(threshold),
        )  # fmt: skip


def _evidence(proposal: Proposal, trajectory: Trajectory) -> str:
    return prompts.VERIFY_PROMPT.format(
        task=proposal.task, history=narrate(trajectory), answer=trajectory.final_answer or "(none)"
    )


async def _judge(model: Policy, name: str, system: str, content: str | list[dict[str, Any]]) -> VerifierVerdict:
    reply = await model.complete([{"role": "system", "content": system}, {"role": "user", "content": content}])
    try:
        judgement = _Judgement.model_validate(json_object(reply.text))
    except ValidationError:
        return VerifierVerdict(name=name, passed=False, score=0.0, reason=f"unreadable verdict: {reply.text[:200]!r}")
    return VerifierVerdict(name=name, passed=judgement.passed, score=judgement.score, reason=judgement.reason)
