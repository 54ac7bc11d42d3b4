"""The UserSimulator is the approver at critical points: it answers what the surfer asked from the task's hidden
details only, gives away nothing it was not asked, and ends the trajectory at a binding step."""

from __future__ import annotations

from agent.approval import ApprovalRequest
from agent.screenshot import Screenshot
from datagen.config import load_config
from datagen.records import SANDBOX, Proposal
from datagen.solve import SolveJob
from datagen.user_simulator import UserSimulator, asked_keys, plain_answer, volunteered
from tests.conftest import run_async
from tests.datagen.team import Team, says, surfer
from tests.support.records import bare_step
from tests.support.responder import Request, user_text

HIDDEN = {"shirt size": "M", "colour": "Plum", "name": "Alex Morgan"}
TASK = "Find a plain T-shirt on Cartwheel and add it to my cart, but don't check out."
ASK_SIZE = "I found a plain T-shirt. This is a critical point: which shirt size would you like?"
BINDING = "The shirt is in the cart. Checking out is binding, so this is a critical point: I stop here."


def test_asked_details_and_what_an_answer_gives_away():
    assert asked_keys(ASK_SIZE, HIDDEN) == ["shirt size"]
    assert asked_keys("What name should the order be under, and in which colour?", HIDDEN) == ["colour", "name"]
    assert plain_answer(["shirt size"], HIDDEN) == "My shirt size is M."
    assert plain_answer([], HIDDEN) is None
    assert volunteered("Size M, in Plum please.", ASK_SIZE, HIDDEN) == ["colour"]
    assert volunteered("M, please. I'm happy with any.", ASK_SIZE, HIDDEN) == []  # the lone "m" of "I'm" is no size


def test_a_guard_hit_is_never_approved():
    step = bare_step(0, "I place the order, my size is M.")
    request = ApprovalRequest("guard", "clicking 'Place order', which looks like a binding step", step, Screenshot(b""))
    assert run_async(UserSimulator(TASK, HIDDEN)(request)).decision == "deny"


def test_the_user_simulator_answers_a_critical_point_from_the_hidden_details(tmp_path):
    def surfing(request: Request) -> str:
        if "The user then said: My shirt size is M." in user_text(request):
            return surfer(BINDING, "terminate", status="success")
        return surfer(ASK_SIZE, "terminate", status="success")

    def user(request: Request) -> str:
        said = user_text(request)
        return says(reply="Size M, and make it Plum.") if "which shirt size" in said else says(reply=None)

    team = Team(surfer=surfing, user=user)
    config = load_config(team.config(tmp_path, solve="parallel = 1\nquiet_seconds = 0.15"))
    proposal = Proposal(task=TASK, start_url="/shop/", site=SANDBOX, source="targeted", hidden=HIDDEN)
    try:
        trajectory = run_async(SolveJob(config)(proposal)).trajectory
    finally:
        team.close()

    asked = team.asked("user")
    assert len(asked) == 2
    for request, question in zip(asked, (ASK_SIZE, BINDING), strict=True):
        said = user_text(request)
        assert TASK in said and question in said
        assert all(f"- {key}: {value}" in said for key, value in HIDDEN.items())
    # It volunteered the colour, so the plain answer went instead; the binding step ends the trajectory.
    assert [(a.kind, a.decision, a.text) for a in trajectory.approvals] == [
        ("critical_point", "reply", "My shirt size is M."),
        ("critical_point", "deny", None),
    ]
    assert [turn.text for turn in trajectory.user_turns] == [TASK, "My shirt size is M."]
    assert trajectory.status == "stopped" and trajectory.final_answer == BINDING
    assert "The user then said: My shirt size is M." in user_text(team.asked("surfer")[-1])
