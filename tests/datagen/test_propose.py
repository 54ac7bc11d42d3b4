"""Proposing: seed variations of generator tasks, duplicates, a model's variations and its reviewer, seed files,
the config file, and the clear errors the command gives."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.policy import OpenAIPolicy
from datagen.cli import app
from datagen.config import EXAMPLE, ConfigError, load_config
from datagen.llm_propose import mutation_source
from datagen.propose import Deduplicator, by_category, from_task, generator_source, take, variant_source
from datagen.records import Proposal
from datagen.sites import SitesError, read_seed_file
from sandbox.splits import TRAIN_SEEDS, train_tasks
from sandbox.taskspec import load_suite
from tests.conftest import run_async
from tests.datagen.team import Team, says
from tests.support.responder import Request, user_text

SUITE = {task.id: task for task in load_suite()}
TRAIN = {task.id: task for task in train_tasks(TRAIN_SEEDS[0])}


async def drain(source, most: int = 100) -> list:
    """The items of a proposal source's batches, at most `most` of them."""
    items = []
    async for batch in source:
        items += batch
        if len(items) >= most:
            break
    return items[:most]


def test_a_generator_task_varies_as_the_same_template_in_the_training_seeds():
    parent = from_task(TRAIN["information_seeking-012"])
    variants = run_async(drain(variant_source([parent]), most=2))
    assert [v.check.seed for v in variants] == [4, 6] and {v.check.id for v in variants} == {parent.check.id}
    assert all(v.source == "mutation" and v.parent == parent.id and v.task != parent.task for v in variants)
    assert variants[0].task == "How many remote jobs in Data are on Hireline right now?"
    first = by_category(list(SUITE.values()))[:11]
    assert len({task.category for task in first}) == 11  # any first N covers the categories evenly


@pytest.mark.unit
def test_only_the_training_split_is_proposed_and_held_out_tasks_are_refused():
    drawn = run_async(drain(generator_source(), most=40))
    assert all(p.seed == TRAIN_SEEDS[0] and p.contamination() is None for p in drawn)

    async def offered(batch):
        yield batch

    held = from_task(SUITE["information_seeking-012"])  # an eval task
    accepted, rejected = run_async(take([offered([held])], 1, Deduplicator([])))
    assert accepted == [] and rejected[0].reason == (
        "held out: the task text of eval task information_seeking-012 (seed 0)"
    )


def test_duplicates_are_turned_away():
    generated = from_task(SUITE["information_seeking-012"])
    dedupe = Deduplicator([generated])
    same = Proposal(
        task=generated.task.upper() + "!!",
        start_url=generated.start_url,
        site="sandbox",
        source="targeted",
        check=generated.check,
    )
    assert dedupe.reason(same).startswith("duplicate: the same task as proposal")
    paraphrase = Proposal(
        task="How many remote jobs in Sales are on Hireline now?", start_url="/jobs/", site="sandbox", source="targeted"
    )
    assert dedupe.reason(paraphrase).startswith("near duplicate: reads like proposal")
    (variant,) = run_async(drain(variant_source([generated]), most=1))
    assert dedupe.reason(variant) is None  # its own data and checker: a variation, not a repeat


@pytest.mark.unit
def test_a_models_variations_are_reviewed():
    parent = from_task(SUITE["information_seeking-012"])

    def mutation(request: Request) -> str:
        assert parent.task in user_text(request) and "not a rewording" in user_text(request)
        return says(
            tasks=[
                {"task": "How many hybrid jobs in Marketing are on Hireline right now?", "hidden": {"city": "Austin"}},
                {"task": "Log in to Hireline and list my applications.", "hidden": {}},
                {"hidden": {}},
            ]
        )

    def review(request: Request) -> str:
        return says(reviews=[{"index": 1, "accept": True}, {"index": 2, "accept": False, "reason": "needs a login"}])

    team = Team(mutation=mutation, review=review)
    try:
        model = OpenAIPolicy(team.model.url, "scripted", retries=0)
        items = run_async(drain(mutation_source(model, [parent], 3)))
    finally:
        team.close()
    accepted = [item for item in items if isinstance(item, Proposal)]
    assert [(p.task, p.source, p.parent, p.hidden) for p in accepted] == [
        ("How many hybrid jobs in Marketing are on Hireline right now?", "mutation", parent.id, {"city": "Austin"})
    ]
    assert sorted(item.reason.split(":")[0] for item in items if not isinstance(item, Proposal)) == [
        "malformed",
        "reviewer",
    ]


@pytest.mark.unit
def test_seed_files(tmp_path):
    good = tmp_path / "seeds.txt"
    good.write_text("# shops\nhttps://shop.example.com/ shopping\n\nhttps://fly.example.com/, flights  # airline\n")
    assert [(s.url, s.category) for s in read_seed_file(good)] == [
        ("https://shop.example.com/", "shopping"),
        ("https://fly.example.com/", "flights"),
    ]
    bad = tmp_path / "bad.txt"
    bad.write_text("https://shop.example.com/ shopping\nshop.example.com shopping\n")
    with pytest.raises(SitesError, match=r"bad.txt:2: expected `URL CATEGORY`"):
        read_seed_file(bad)


@pytest.mark.unit
def test_the_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    example = load_config(EXAMPLE)
    example.check()
    orchestrator, user = example.role("orchestrator"), example.role("user_simulator")
    assert (orchestrator.url, orchestrator.model, orchestrator.temperature) == (
        "https://api.openai.com/v1",
        "o4-mini",
        "default",
    )
    assert user.model == "gpt-4o-mini" and user.key() == "sk-test"
    assert example.keep_rule() == ["alignment", "rubric", "multimodal", "checker"]
    assert example.cost("user_simulator", 1_000_000, 2_000_000) == pytest.approx(0.15 + 1.20)
    offline = load_config(None)
    assert offline.role("surfer") is None and offline.keep_rule() == ["checker"]

    bad = tmp_path / "bad.toml"
    bad.write_text('[roles.surfer]\nurl = "http://x/v1"\nmodle = "typo"\n')
    with pytest.raises(ConfigError, match=r"roles.surfer.modle: Extra inputs are not permitted"):
        load_config(bad)
    bad.write_text('[verify]\nkeep = ["alignmnet"]\n')
    with pytest.raises(ConfigError, match=r"verify\.keep names no verifier: alignmnet"):
        load_config(bad).check()
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        example.check()


@pytest.mark.unit
def test_the_command_says_what_is_wrong(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["run", "--config", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "no config file at" in missing.output
    no_file = runner.invoke(app, ["propose", "--sites", str(tmp_path / "seeds.txt"), "--out", str(tmp_path / "o")])
    assert no_file.exit_code == 2 and "cannot read the seed file" in no_file.output
    unknown = runner.invoke(app, ["propose", "--tasks", "nosuch-001", "--out", str(tmp_path / "o")])
    assert unknown.exit_code == 2 and "no sandbox task matches 'nosuch-001'" in unknown.output
    dead = tmp_path / "dead.toml"
    dead.write_text('[roles.surfer]\nurl = "http://127.0.0.1:9/v1"\nmodel = "m"\n')
    unreachable = runner.invoke(app, ["solve", "--config", str(dead), "--out", str(tmp_path / "o")])
    assert unreachable.exit_code == 2 and "cannot reach the surfer model at http://127.0.0.1:9/v1" in unreachable.output
    empty = runner.invoke(app, ["report", "--out", str(tmp_path / "empty")])
    assert empty.exit_code == 2 and "No data in" in empty.output


def test_a_run_short_of_n_says_why_and_exits_non_zero(tmp_path):
    short = CliRunner().invoke(
        app, ["propose", "--tasks", "information_seeking-012", "--n", "30", "--out", str(tmp_path / "o")]
    )
    assert short.exit_code == 1, short.output
    assert "Short of --n: only 6 of 30 tasks could be proposed: every source ran dry" in short.output
