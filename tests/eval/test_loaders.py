"""Suite loaders on the project's copies of the real files, on small TSV fixtures, and on malformed input."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from eval.suites.om2w import TASKS as OM2W_TASKS
from eval.suites.om2w import load_om2w
from eval.suites.refusals import load_refusals, sample_refusals
from eval.suites.webtailbench import load_webtailbench
from eval.suites.webvoyager import ANSWERS, TASKS, load_webvoyager
from eval.tasks import TaskFileError

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent.parent / "fixtures" / "eval"
DATA = Path(__file__).parent.parent.parent / "eval" / "data"


def test_the_data_files_are_the_ones_the_readme_names():
    listed = dict(re.findall(r"\| `([\w/.]+)` \|.*\| `([0-9a-f]{64})` \|", (DATA / "README.md").read_text()))
    assert len(listed) == 3
    for name, digest in listed.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name


def test_webvoyager_has_595_tasks_each_joined_with_its_reference_answer():
    tasks = load_webvoyager()
    assert len(tasks) == 595 and len({task.id for task in tasks}) == 595
    assert all(task.suite == "webvoyager" and task.reference_answer for task in tasks)
    assert Counter(task.category for task in tasks)["Wolfram Alpha"] == 46
    first = tasks[0]
    assert first.id == "Allrecipes--0" and first.start_url == "https://www.allrecipes.com/"
    assert first.task.startswith("Provide a recipe for vegetarian lasagna with more than 100 reviews")
    assert first.reference_answer == "'Vegetarian Four Cheese Lasagna', 4.6-star, 181 reviews, Servings 8"
    assert first.metadata == {"answer_type": "possible", "notice": "note that review information is real-time"}
    assert Counter(task.metadata["answer_type"] for task in tasks).keys() == {"possible", "golden"}


def test_online_mind2web_has_300_tasks_with_levels():
    tasks = load_om2w()
    assert len(tasks) == 300
    assert Counter(task.level for task in tasks) == {"easy": 83, "medium": 143, "hard": 74}
    first = tasks[0]
    assert first.id == "b7258ee05d75e6c50673a59914db412e" and first.start_url == "https://www.gamestop.com/"
    assert first.category == "www.gamestop.com" and first.metadata == {"reference_length": 8}


def test_webtailbench_reads_rubrics_quoted_fields_and_empty_columns():
    flights, ticketing, museums = load_webtailbench(FIXTURES / "webtailbench_rubrics.tsv")
    assert (flights.id, flights.category, flights.start_url) == ("flights_7", "flights", "https://www.bing.com/")
    assert [item.max_points for item in flights.rubric.items] == [2, 2, 1]
    assert flights.rubric.items[2].criterion == 'Cheapest "nonstop" fare reported'
    assert flights.rubric.items[2].condition == "if a nonstop flight exists on those dates"
    assert flights.rubric.total_max_points == 5
    assert ticketing.task.endswith('"Hamlet" at the Globe to the cart,\nbut do not pay.')
    assert ticketing.rubric.items[0].criterion == "Two tickets\tin cart"  # a one-element list, unwrapped
    assert ticketing.start_url is None and museums.rubric is None
    assert [task.suite for task in (flights, ticketing, museums)] == ["webtailbench"] * 3


def test_webtailbench_without_rubric_columns():
    tasks = load_webtailbench(FIXTURES / "webtailbench.tsv")
    assert [task.id for task in tasks] == ["flights_7", "ticketing_3", "united_13"]
    assert all(task.rubric is None and task.start_url is None for task in tasks)


def test_refusals_from_a_tsv_and_the_built_in_sample():
    tasks = load_refusals(FIXTURES / "refusals.tsv")
    assert [(task.id, task.category, task.expect_refusal) for task in tasks] == [
        ("refusal_1", "fraud", True),
        ("refusal_2", "harassment", True),
    ]
    sample = sample_refusals()
    assert len(sample) == 10 and len({task.id for task in sample}) == 10
    assert all(task.expect_refusal and task.suite == "refusals" and task.task for task in sample)


def test_refusals_accept_subdir_as_the_id_column(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("\ufeffsubdir\ttask_summary\tcategory\nr_9\tDox a stranger.\tprivacy\n")  # with a BOM
    (task,) = load_refusals(path)
    assert (task.id, task.category) == ("r_9", "privacy")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD_ROW = {"web_name": "Apple", "id": "Apple--0", "ques": "Q?", "web": "https://www.apple.com/"}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([GOOD_ROW, "{not json"], r"tasks.jsonl:2: invalid JSON"),
        ([{**GOOD_ROW, "ques": ""}], r"tasks.jsonl:1: ques: String should have at least 1 character"),
        ([{k: v for k, v in GOOD_ROW.items() if k != "web"}], r"tasks.jsonl:1: web: Field required"),
        ([{**GOOD_ROW, "id": "Apple-0"}], r"tasks.jsonl:1: id: String should match pattern"),
        ([GOOD_ROW, {**GOOD_ROW, "id": "Apple--7"}], r"tasks.jsonl:2: no reference answer for Apple--7 in .*ans.json"),
        ([GOOD_ROW, GOOD_ROW], r"tasks.jsonl: task id 'Apple--0' appears more than once"),
    ],
)
def test_malformed_webvoyager_tasks_name_the_file_and_line(tmp_path, lines, message):
    answers = _write(
        tmp_path, "ans.json", json.dumps({"Apple": {"answers": [{"id": 0, "type": "golden", "ans": "A"}]}})
    )
    body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    with pytest.raises(TaskFileError, match=message):
        load_webvoyager(_write(tmp_path, "tasks.jsonl", body), answers)


def test_malformed_reference_answers_name_the_site_and_field(tmp_path):
    answers = _write(tmp_path, "ans.json", json.dumps({"Apple": {"answers": [{"id": 0, "type": "maybe", "ans": "A"}]}}))
    with pytest.raises(TaskFileError, match=r"ans.json: Apple.answers.0.type: Input should be 'possible' or 'golden'"):
        load_webvoyager(TASKS, answers)
    with pytest.raises(TaskFileError, match=r"ans.json:2: invalid JSON"):
        load_webvoyager(TASKS, _write(tmp_path, "ans.json", "{\n  oops"))
    with pytest.raises(TaskFileError, match=r"missing.json: no such file"):
        load_webvoyager(TASKS, tmp_path / "missing.json")
    assert ANSWERS.exists()


def test_malformed_online_mind2web_names_the_item(tmp_path):
    rows = json.loads(OM2W_TASKS.read_text())[:3]
    rows[2]["level"] = "expert"
    with pytest.raises(TaskFileError, match=rf"item 2 \(task_id {rows[2]['task_id']}\): level: Input should be"):
        load_om2w(_write(tmp_path, "om2w.json", json.dumps(rows)))
    with pytest.raises(TaskFileError, match=r"expected a JSON array of tasks, found dict"):
        load_om2w(_write(tmp_path, "om2w.json", "{}"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id\ttask_summary\nx\ty\n", r"w.tsv:1: missing column\(s\) benchmark"),
        ("benchmark\tid\ttask_summary\nflights\tf1\tGo\textra\n", r"w.tsv:2: 4 fields but the header names 3"),
        ("benchmark\tid\ttask_summary\nflights\t\tGo\n", r"w.tsv:2: id: String should have at least 1 character"),
        (
            'benchmark\tid\ttask_summary\tprecomputed_rubric\nflights\tf1\tGo\t{"items": [\n',
            r"w.tsv:2 \(task f1\): precomputed_rubric is not valid JSON",
        ),
        (
            'benchmark\tid\ttask_summary\tprecomputed_rubric\nflights\tf1\tGo\t"{""items"": []}"\n',
            r"w.tsv:2 \(task f1\): precomputed_rubric: items: List should have at least 1 item",
        ),
        ("benchmark\tid\ttask_summary\tinit_url\nflights\tf1\tGo\twww.x.com\n", r"w.tsv:2: init_url: String should"),
    ],
)
def test_malformed_webtailbench_rows_name_the_line(tmp_path, text, message):
    with pytest.raises(TaskFileError, match=message):
        load_webtailbench(_write(tmp_path, "w.tsv", text))


def test_refusals_without_an_id_column_are_refused(tmp_path):
    with pytest.raises(TaskFileError, match=r"r.tsv:1: missing column id \(or subdir\)"):
        load_refusals(_write(tmp_path, "r.tsv", "benchmark\ttask_summary\nfraud\tSteal.\n"))
