"""Offline solving keeps the right signal: a user who agreed to the binding step approves it and the run goes on
to a checked end; a reply lifts the Orchestrator's stop; a detour is verified and its wrong steps are marked."""

from __future__ import annotations

import io

from PIL import Image

from agent.actions import LeftClick, Type
from agent.approval import ApprovalRequest
from agent.screenshot import Screenshot
from datagen.config import Config, SolveSettings
from datagen.orchestrator import Orchestrator
from datagen.propose import from_task
from datagen.solve import SolveJob
from datagen.steering import Directive
from datagen.user_simulator import UserSimulator
from datagen.verify import outcome_kind
from sandbox.splits import TRAIN_SEEDS, train_tasks
from sandbox.variety import Variety
from tests.conftest import run_async
from tests.support.records import bare_step
from training.samples import trainable

TRAIN = train_tasks(TRAIN_SEEDS[0])


def offline(detour_share: float = 0.0, viewport: tuple[int, int] = (1440, 900)) -> Config:
    return Config(solve=SolveSettings(parallel=1, quiet_seconds=0.15, detour_share=detour_share, viewport=viewport))


def asking(kind: str, thoughts: str, action=None) -> ApprovalRequest:
    return ApprovalRequest(kind, "a critical point", bare_step(3, thoughts, action), Screenshot(b""))


def test_a_reply_lifts_the_orchestrators_stop_and_only_the_agreed_click_is_approved():
    orchestrator = Orchestrator(model=None)  # never asked here
    orchestrator._directive = Directive(stop="the user must confirm", critical_point=True)
    user = UserSimulator("Buy it; I have agreed.", {}, approves=True, on_answer=orchestrator.user_answered)
    typing = asking("guard", "I type the card number.", Type(text="4111", coordinate=(1, 1)))
    assert run_async(user(typing)).decision == "deny"  # never a secret, agreed or not
    assert run_async(user(asking("critical_point", "This is a critical point."))).decision == "approve"
    directive = orchestrator.directive()
    assert directive.stop is None and "I approve. Go ahead." in (directive.instruction or "")
    assert run_async(user(asking("guard", "I place the order.", LeftClick(coordinate=(1, 1))))).decision == "approve"
    assert [e.decision for e in user.exchanges] == ["deny", "approve", "approve"]
    declining = UserSimulator("Stop before paying.", {})
    assert run_async(declining(asking("critical_point", "This is a critical point."))).decision == "deny"


def test_a_user_who_agreed_approves_and_the_run_goes_on_to_a_checked_end():
    task = min((t for t in TRAIN if t.critical_point and t.critical_point.approved), key=lambda t: len(t.plan))
    solved = run_async(SolveJob(offline())(from_task(task)))
    trajectory = solved.trajectory
    assert solved.checker is not None and solved.checker.passed, solved.checker
    assert [(a.kind, a.decision) for a in trajectory.approvals] == [("critical_point", "approve"), ("guard", "approve")]
    assert [turn.text for turn in trajectory.user_turns][1:] == ["I approve. Go ahead."]
    assert trajectory.status == "awaiting_user" and outcome_kind(trajectory) == "approved_and_completed"
    assert [e["decision"] for e in solved.exchanges] == ["approve", "approve"]
    assert solved.roles == {"surfer": "sandbox-oracle", "orchestrator": "none", "user_simulator": "rules"}
    assert trajectory.provenance.task_ref == f"{task.id}@{task.seed}"


def test_a_detour_is_verified_and_only_its_wrong_steps_are_marked():
    def refines(task) -> bool:
        first = task.plan[0]
        searches = first.do == "type" and first.press_enter and len((first.text or "").split()) > 1
        return searches and Variety.for_run(from_task(task).id, 1.0).detour == "refine"

    task = min((t for t in TRAIN if refines(t)), key=lambda t: len(t.plan))
    solved = run_async(SolveJob(offline(detour_share=1.0))(from_task(task)))
    assert solved.checker is not None and solved.checker.passed, solved.checker
    steps = solved.trajectory.steps
    marked = [step for step in steps if step.detour]
    assert len(marked) == 1 and isinstance(marked[0].action, Type) and not trainable(marked[0])
    recovery = steps[steps.index(marked[0]) + 1]
    assert isinstance(recovery.action, Type) and recovery.action.delete_existing_text and trainable(recovery)
    assert "refine" in recovery.thoughts


def test_a_solve_in_a_smaller_window_keeps_every_step_in_its_pixels():
    """`[solve] viewport` (the flywheel's 784x504): the kept screenshots, the model's size and its points are the
    window's."""
    task = min(TRAIN, key=lambda t: (len(t.plan), t.id))
    solved = run_async(SolveJob(offline(viewport=(784, 504)))(from_task(task)))
    assert solved.checker is not None and solved.checker.passed, solved.checker
    steps = solved.trajectory.steps
    assert {(s.css_width, s.css_height, s.model_width, s.model_height) for s in steps} == {(784, 504, 784, 504)}
    assert {Image.open(io.BytesIO(solved.screenshots[step.screenshot])).size for step in steps} == {(784, 504)}
    points = [step.action.coordinate for step in steps if isinstance(step.action, (LeftClick, Type))]
    assert points and all(0 <= x < 784 and 0 <= y < 504 for x, y in points)
