"""The Orchestrator's ledgers: the task ledger before the first step, then after each step the progress ledger
decides the directive, by precedence: a critical point or a question for the user, a finished task, stalls
(re-plan, then stop when re-plans run out), else the ledger's instruction."""

from __future__ import annotations

import pytest

from agent.policy import OpenAIPolicy
from agent.screenshot import Screenshot
from datagen.orchestrator import Orchestrator
from tests.conftest import run_async
from tests.datagen.team import Team, ledger, says
from tests.eval.trajectories import images
from tests.support.records import make_trajectory
from tests.support.responder import Request, user_text

pytestmark = pytest.mark.unit


def test_the_progress_ledger_steers_by_precedence():
    ledgers = [
        ledger(instruction="Open the Sales department."),
        ledger(progress=False),
        ledger(progress=False),  # two stalls in a row: re-plan (max_stalls 2)
        ledger(satisfied=True, user=True, instruction="Which city do you prefer?"),  # the user outranks "done"
        ledger(satisfied=True, critical=True),  # a critical point outranks both
        ledger(satisfied=True),
        ledger(progress=False),
        ledger(progress=False),  # stalled again, and no re-plan left: stop
        "not json at all",  # unreadable: the course stays as it was
        "still not json",
        "nor this",
    ]
    asked: list[Request] = []

    def progress(request: Request) -> str:
        asked.append(request)
        return ledgers.pop(0)

    team = Team(progress=progress, replan=lambda r: says(facts="Sales is a department.", plan="- Use the chips."))
    trajectory, shots = make_trajectory("red", "green")
    steps = trajectory.steps
    steps[-1].image = Screenshot(shots[steps[-1].screenshot])

    async def drive(orchestrator: Orchestrator) -> list[tuple[str | None, str | None, bool]]:
        await orchestrator.on_round_start(trajectory)
        seen = [(orchestrator.directive().instruction, None, False)]
        for _ in range(9):
            await orchestrator.on_step(trajectory, steps[-1])
            directive = orchestrator.directive()
            seen.append((directive.instruction, directive.stop, directive.critical_point))
        await orchestrator.on_end(trajectory)
        await orchestrator.model.close()
        return seen

    orchestrator = Orchestrator(OpenAIPolicy(team.model.url, "scripted", retries=0), max_stalls=2, max_replans=1)
    try:
        seen = run_async(drive(orchestrator))
    finally:
        team.close()
    assert seen[0][0] == "Follow this plan:\n- Find what the task asks for on the site."
    assert seen[1] == ("Open the Sales department.", None, False)
    assert seen[2] == ("Carry on with the plan.", None, False)
    assert seen[3] == ("We start over with a new plan:\n- Use the chips.", None, False)
    assert seen[4] == (None, "Which city do you prefer?", True)
    assert seen[5] == (None, "as scripted", True)
    assert seen[6] == (None, "the task is done: as scripted", False)
    assert seen[7][0] == "Carry on with the plan."
    assert seen[8][1].startswith("no progress after 1 new plans") and not seen[8][2]
    assert seen[9] == seen[8]  # three unreadable replies (the first and two retries) change nothing
    assert orchestrator.plan == "- Use the chips." and len(team.asked("replan")) == 1
    assert orchestrator.targets == ["https://a.test/1"]
    assert "Step 2 on https://a.test/1" in user_text(asked[0]) and len(images(asked[0])) == 1
