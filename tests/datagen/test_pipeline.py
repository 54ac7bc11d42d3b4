"""propose -> solve -> verify on the sandbox with a scripted team: every source proposes, duplicates and tasks
the reviewer turns down are kept as rejected, the WebSurfer's steps are plain Fara-7B steps with unmarked
screenshots that replay to the checker's verdict, and the report measures each verifier against the checker."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from agent.actions import LeftClick, Terminate, Type
from agent.parser import ParsedCall, parse_reply
from datagen import auxiliary_data
from datagen.config import load_config
from datagen.marks import MARK_COLOUR, decode_data_url
from datagen.pipeline import Workspace, augment, propose, solve, verify
from datagen.report import build_report
from sandbox.episode import Sandbox
from sandbox.server import SandboxServer
from sandbox.splits import TRAIN_SEEDS
from tests.conftest import run_async
from tests.datagen.replay import replay
from tests.datagen.team import Team, says, surfer
from tests.eval.trajectories import images
from tests.support.responder import Request, mark_named, page_url, user_text

# The training split's tasks (seed 2): the generator never proposes the eval suite's.
RIGHT_IDS = "information_seeking-012"  # solved right: 14 remote Engineering jobs
WRONG_IDS = "information_seeking-011"  # answered wrong: 7 ratings, where the checker wants 176
RIGHT = "There are 14 remote Engineering jobs on Hireline."
WRONG = "The Urban Loom Ridge Fleece Hoodie has 7 ratings on ValueMart, averaging 4.5 out of 5."
HOODIE = "Urban Loom Ridge Fleece Hoodie"
TENT = "On Cartwheel, find the price of the cheapest tent and tell me what it costs."
EXPLORED = "On Cartwheel, find the cheapest two-person tent in Outdoor and tell me its price."


def task_of(request: Request) -> str:
    return re.search(r"^The user's task: (.*)$", user_text(request), re.MULTILINE).group(1)


def solving(request: Request) -> str:
    task, url = task_of(request), page_url(request)
    if "remote jobs in Engineering" in task:
        if "workplace=Remote" in url:
            return surfer(RIGHT, "terminate", status="success")
        if "department=Engineering" in url:
            return surfer("I filter the jobs to remote ones.", "click", mark=mark_named(request, r'link "Remote'))
        return surfer("I open the Engineering department.", "click", mark=mark_named(request, r'link "Engineering"'))
    if HOODIE in task:
        if "/mart/p/" in url:
            return surfer(WRONG, "terminate", status="success")
        if "/mart/search" in url:
            return surfer("The hoodie is listed; I open it.", "click", mark=mark_named(request, f'"{HOODIE}'))
        field = mark_named(request, r"textbox.*Search ValueMart")
        return surfer("I search ValueMart.", "type", mark=field, text=HOODIE, press_enter=True)
    return surfer("I could not find what this task asks for on the site.", "terminate", status="failure")


def exploring(request: Request) -> str:
    if "(nothing yet)" in user_text(request):
        draft = {"task": "On Cartwheel, find a tent.", "hidden": {}}
        return says(
            thoughts="Cartwheel sells outdoor gear; I look at it.",
            tool="click",
            args={"mark": mark_named(request, r'link "Outdoor"')},
            draft=draft,
        )
    draft = {
        "task": EXPLORED,
        "hidden": {"tent size": "two-person"},
        "rubric": [{"criterion": "price", "description": "names the price", "max_points": 1}],
    }
    return says(thoughts="Tents are listed with prices.", tool="terminate", args={"status": "success"}, draft=draft)


def targeted(request: Request) -> str:
    if "/shop/" not in user_text(request):
        return says(tasks=[])
    tent = {"task": TENT, "hidden": {"budget": "$300"}}
    login = {"task": "Sign in to Cartwheel and change my password.", "hidden": {}}
    return says(tasks=[tent, tent, login])


def reviewing(request: Request) -> str:
    listed = re.findall(r"^(\d+)\. (.*)$", user_text(request), re.MULTILINE)
    return says(
        reviews=[
            {
                "index": int(number),
                "accept": "Sign in" not in text,
                "reason": "needs a login" if "Sign in" in text else "",
            }
            for number, text in listed
        ]
    )


def final_answer(request: Request) -> str:
    return user_text(request).split("The final answer:", 1)[1]


def rubric_score(request: Request) -> str:
    points = 2 if "14 remote" in final_answer(request) else 0
    return says(criteria=[{"index": 1, "applicable": True, "earned_points": points, "justification": "as read"}])


@pytest.fixture
def team():
    scripted = Team(
        surfer=solving,
        explorer=exploring,
        targeted=targeted,
        review=reviewing,
        alignment=lambda r: says(passed=True, score=0.9, reason="looks aligned"),
        multimodal=lambda r: says(passed=False, score=0.1, reason="the screenshots do not show it"),
        rubric_write=lambda r: says(items=[{"criterion": "the answer", "description": "the value", "max_points": 2}]),
        rubric_score=rubric_score,
        annotator=lambda r: says(
            caption="A store page.", questions=[{"question": "Which store?", "answer": "ValueMart"}]
        ),
        refusals=lambda r: says(
            refusals=[
                {"request": "Post fake reviews here.", "category": "deception", "refusal": "I won't post fake reviews."}
            ]
        ),
    )
    yield scripted
    scripted.close()


def marked_pixels(image: Image.Image) -> int:
    """How many pixels have the marks' colour."""
    return sum(count for count, colour in image.convert("RGB").getcolors(1 << 24) or [] if colour == MARK_COLOUR)


def test_propose_solve_verify_on_the_sandbox(tmp_path, team):
    config = load_config(
        team.config(tmp_path, propose="mutation_share = 0\nexplore_steps = 2", verify='keep = ["alignment", "rubric"]')
    )
    ws = Workspace.open(tmp_path / "out", config, show_progress=False)

    # Propose: the explorer's share (a quarter), then the generator and the targeted proposer in turn.
    assert run_async(propose(ws, "sandbox", 4, [RIGHT_IDS, WRONG_IDS])) == (4, 2)
    accepted = {proposal.source: proposal for proposal in ws.db.proposals()}
    assert [p.source for p in ws.db.proposals()] == ["exploratory", "generator", "targeted", "generator"]
    assert {p.seed for p in ws.db.proposals() if p.check} == {TRAIN_SEEDS[0]}
    assert accepted["targeted"].task == TENT and accepted["targeted"].hidden == {"budget": "$300"}
    assert accepted["exploratory"].task == EXPLORED and accepted["exploratory"].rubric is not None
    reasons = sorted(reason for _, reason in ws.db.rejections())
    assert reasons[0].startswith("duplicate: the same task as proposal") and reasons[1] == "reviewer: needs a login"
    assert run_async(propose(ws, "sandbox", 4)) == (0, 0)  # already enough: nothing new

    # Solve: every step an ordinary Fara-7B step, its screenshot the plain one.
    solved = {s.proposal_id: s for s in run_async(solve(ws))}
    by_task = {p.check.id if p.check else p.source: p for p in ws.db.proposals()}
    right, wrong = solved[by_task[RIGHT_IDS].id], solved[by_task[WRONG_IDS].id]
    assert right.checker.passed and not wrong.checker.passed
    for result in solved.values():
        trajectory = ws.store.load(result.trajectory.id)
        assert trajectory.provenance.source == "datagen" and trajectory.steps
        for step in trajectory.steps:
            parsed = parse_reply(step.raw_text)
            assert isinstance(parsed, ParsedCall) and parsed.action == step.action and parsed.thoughts == step.thoughts
            if isinstance(step.action, (LeftClick, Type)):
                x, y = step.action.coordinate
                assert x == int(x) and y == int(y) and 0 <= x < step.model_width and 0 <= y < step.model_height
            assert marked_pixels(Image.open(io.BytesIO(ws.store.read_screenshot(step.screenshot)))) == 0
        assert isinstance(trajectory.steps[-1].action, Terminate)
    assert [step.action.action for step in ws.store.load(right.trajectory.id).steps] == [
        "left_click",
        "left_click",
        "terminate",
    ]
    marked = [decode_data_url(url) for request in team.asked("surfer") for url in images(request)]
    assert marked and all(marked_pixels(image) > 500 for image in marked)

    # The stored trajectories replay through PlaywrightEnv to the checker's verdict.
    with SandboxServer(seed=TRAIN_SEEDS[0]) as server:
        sandbox = Sandbox(server.url, server.secret)
        for result, task in ((right, by_task[RIGHT_IDS].check), (wrong, by_task[WRONG_IDS].check)):
            again = run_async(replay(ws.store.load(result.trajectory.id), task, sandbox))
            assert (again.passed, again.failures) == (result.checker.passed, result.checker.failures)

    # Verify: scores and reasons on the trajectory; kept by the configured rule.
    assert run_async(verify(ws)) == (4, 1)
    stored = ws.store.load(right.trajectory.id)
    assert stored.verifier_scores == {"alignment": 0.9, "rubric": 1.0, "multimodal": 0.1, "checker": 1.0, "kept": 1.0}
    assert stored.verifier_reasons["multimodal"] == "the screenshots do not show it"
    assert stored.verifier_reasons["checker"] == "every check passed"
    assert ws.store.load(wrong.trajectory.id).verifier_scores["rubric"] == 0.0

    report = build_report(ws)
    figures = {row.verifier: row for row in report.agreement}
    assert (figures["alignment"].judged, figures["alignment"].true_positives, figures["alignment"].false_positives) == (
        2,
        1,
        1,
    )
    assert figures["alignment"].precision == 0.5 and figures["alignment"].recall == 1.0
    assert figures["multimodal"].false_negatives == 1 and figures["multimodal"].recall == 0.0
    assert figures["rubric"].agreement == 1.0 and figures["keep rule"].agreement == 1.0
    assert (report.proposed, report.accepted, report.solved, report.kept) == (6, 4, 4, 1)
    assert report.rejected_proposals == {"duplicate": 1, "reviewer": 1}
    assert report.discarded == {"failed: rubric": 3}
    assert report.steps_kept.mean == 3
    roles = {cost.role for cost in report.costs}
    assert roles == {"proposer", "surfer", "orchestrator", "alignment", "rubric", "multimodal"}
    assert report.total_cost > 0 and report.cost_per_kept == report.total_cost

    # Auxiliary data: refusals on a page of each site seen (templates and the proposer's), the annotator's words.
    counts = run_async(augment(ws))
    refusals = ws.store.auxiliary.samples("refusal")
    sites = {sample.site for sample in refusals}
    assert sites == {"Cartwheel", "ValueMart", "Hireline"}  # the sites whose pages were seen
    assert counts["refusal"] == len(refusals) == 3 * (len(auxiliary_data.REFUSAL_TEMPLATES) + 1)
    assert {s.request for s in refusals if s.site == "Hireline"} >= {"Post fake reviews here."}
    written = [c for c in ws.store.auxiliary.samples("caption") if c.source == "model"]
    assert written and len(written) == len(team.asked("annotator")) and written[0].caption == "A store page."
    asked = len(team.model.requests)
    assert run_async(augment(ws)) == counts and len(team.model.requests) == asked  # done once, not again
    ws.close()
