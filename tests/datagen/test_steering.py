"""Who decides when a trajectory stops: critical point > Orchestrator stop > WebSurfer stop. The Orchestrator
turns down a premature stop, stops the surfer by taking its actions away (the surfer still says why in its
own words), and cannot override a critical point, which goes to the UserSimulator."""

from __future__ import annotations

import pytest

from agent.actions import LeftClick, Terminate
from datagen.config import load_config
from datagen.records import SANDBOX, Proposal
from datagen.solve import SolveJob
from datagen.steering import Directive, ruling
from sandbox.taskspec import load_suite
from tests.conftest import run_async
from tests.datagen.team import Team, ledger, says, surfer
from tests.support.responder import Request, mark_named, page_url, user_text

ANSWER = "There are 8 remote Sales jobs on Hireline."
NOT_YET = "You have not counted the jobs yet: open the Sales department."
FORCED = "Only `terminate` is left to you."


def test_the_ruling_on_a_chosen_action():
    click, done = LeftClick(coordinate=(1, 2)), Terminate(status="success")
    stopped = Directive(stop="the task is done")
    assert ruling(click, "This is a critical point.", stopped) == "act"
    assert ruling(done, "All done.", Directive()) == "surfer_stop"
    assert ruling(done, "All done.", stopped) == "orchestrator_stop"
    assert ruling(done, "A critical point: your go-ahead, please.", stopped) == "critical_point"
    assert ruling(done, "This is a Critical Point.", Directive()) == "critical_point"


def solve_with(team: Team, tmp_path, proposal: Proposal):
    config = load_config(team.config(tmp_path, solve="parallel = 1\nquiet_seconds = 0.15"))
    return run_async(SolveJob(config)(proposal))


@pytest.fixture
def sales_task() -> Proposal:
    task = next(task for task in load_suite() if task.id == "information_seeking-012")
    return Proposal(task=task.task, start_url=task.start_url, site=SANDBOX, source="generator", check=task)


def test_the_orchestrator_turns_down_a_premature_stop_and_later_stops_the_surfer(tmp_path, sales_task):
    def surfing(request: Request) -> str:
        text, url = user_text(request), page_url(request)
        if FORCED in text:
            if "is not available now" not in text:  # it tries to go on: the tool is not there
                return surfer("I open the first job.", "click", mark=1)
            return surfer(ANSWER, "terminate", status="success")
        if "workplace=Remote" in url:
            raise AssertionError("the surfer was not stopped")
        if "department=Sales" in url:
            return surfer("I filter to remote jobs.", "click", mark=mark_named(request, r'link "Remote'))
        if "does not accept stopping yet" not in text:
            return surfer("I think I am done.", "terminate", status="success")
        return surfer("I open the Sales department.", "click", mark=mark_named(request, r'link "Sales"'))

    def progress(request: Request) -> str:
        return ledger(satisfied=True) if "Step 2 " in user_text(request) else ledger(instruction="Filter to remote.")

    team = Team(
        surfer=surfing, progress=progress, stop_review=lambda r: says(accept=False, reason="no", instruction=NOT_YET)
    )
    try:
        solved = solve_with(team, tmp_path, sales_task)
    finally:
        team.close()
    trajectory = solved.trajectory
    assert [step.action.action for step in trajectory.steps] == ["left_click", "left_click", "terminate"]
    assert trajectory.final_answer == ANSWER and solved.checker.passed
    assert len(team.asked("stop_review")) == 1  # only the surfer's own stop is reviewed, not the forced one
    asks = team.asked("surfer")
    assert f"The Orchestrator does not accept stopping yet: {NOT_YET}" in user_text(asks[1])
    assert "The Orchestrator's instruction: Filter to remote." in user_text(asks[2])
    forced = [request for request in asks if FORCED in user_text(request)]
    assert len(forced) == 2
    for request in forced:
        assert user_text(request).split("Available tools:\n")[1].startswith("- terminate ")
        assert "- click " not in user_text(request)
    assert "'click' is not available now" in user_text(forced[1])
    assert len(team.asked("progress")) == 2 and solved.targets == [trajectory.steps[-1].url]


def test_a_critical_point_goes_to_the_user_whatever_the_orchestrator_wants(tmp_path):
    proposal = Proposal(
        task="Apply for a Sales job on Hireline for me.", start_url="/jobs/", site=SANDBOX, source="targeted"
    )

    def surfing(request: Request) -> str:
        if FORCED in user_text(request):
            assert "The Orchestrator says this is a critical point" in user_text(request)
            return surfer("Applying sends your details: this is a critical point, I need your go-ahead.", "terminate")
        return surfer("I open the Sales department.", "click", mark=mark_named(request, r'link "Sales"'))

    team = Team(
        surfer=surfing,
        progress=lambda r: ledger(critical=True),
        stop_review=lambda r: says(accept=False, reason="keep going", instruction="Apply."),
    )
    try:
        solved = solve_with(team, tmp_path, proposal)
    finally:
        team.close()
    trajectory = solved.trajectory
    assert [step.action.action for step in trajectory.steps] == ["left_click", "terminate"]
    assert team.asked("stop_review") == []
    assert [(a.kind, a.decision) for a in trajectory.approvals] == [("critical_point", "deny")]
    assert trajectory.status == "stopped" and "critical point" in trajectory.final_answer
