"""`farol run` end to end: the scripted model drives real Chromium on fixture pages that log what happened."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.store import Store
from tests.support.fara import ActionsPage, model_point, reply

FAROL = Path(sys.executable).parent / "farol"


def farol(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [str(FAROL), *args], capture_output=True, text=True, timeout=timeout, env=environment, stdin=subprocess.DEVNULL
    )


def test_each_action_has_its_effect(site, model, tmp_path):
    site.events.clear()
    model.add(
        reply("Click the target button.", "left_click", coordinate=model_point(*ActionsPage.TARGET)),
        reply("Type my name.", "type", text="hello fara", coordinate=model_point(*ActionsPage.NAME)),
        reply(
            "Replace it.",
            "type",
            text="replaced",
            coordinate=model_point(*ActionsPage.NAME),
            press_enter=False,
            delete_existing_text=True,
        ),
        reply("Select all with a chord.", "key", keys=["Control", "a"]),
        reply("Hover the zone.", "mouse_move", coordinate=model_point(*ActionsPage.HOVER_ZONE)),
        reply("Scroll down.", "scroll", pixels=-500),
        reply("Scroll back up.", "scroll", pixels=300),
        reply("Remember this.", "pause_and_memorize_fact", fact="the target is blue"),
        reply("Wait a moment.", "wait", time=0.2),
        reply("Go to page two.", "visit_url", url=site.url("page2.html")),
        reply("Go back.", "history_back"),
        reply("Open the link in a new tab.", "left_click", coordinate=model_point(*ActionsPage.NEW_TAB_LINK)),
        reply("Search.", "web_search", query="farol lighthouse"),
        reply("The answer is 42.", "terminate", status="success"),
    )
    db = tmp_path / "farol.db"
    out = tmp_path / "export"
    result = farol(
        "run",
        "Exercise every action",
        "--start-url",
        site.url("actions.html"),
        "--model-url",
        model.url,
        "--model",
        "fara-test",
        "--db",
        str(db),
        "--out",
        str(out),
        env={"FAROL_SEARCH_URL": site.url("search?q={query}")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The answer is 42." in result.stdout

    click = site.wait_for("click", target="target")[0]
    assert abs(click["x"] - 680) <= 2 and abs(click["y"] - 224) <= 2

    assert site.wait_for("input", value="replaced")
    values = [e["value"] for e in site.of_type("input")]
    assert "hello fara" in values and values[-1] == "replaced"
    keys = site.of_type("keydown", page="/actions.html")
    enter_index = next(i for i, e in enumerate(keys) if e["key"] == "Enter")
    assert keys[enter_index]["target"] == "name"
    assert any(e["key"] == "a" and e["ctrl"] for e in keys), keys
    assert not any(e["key"] == "Enter" for e in keys[enter_index + 1 :]), "press_enter=False still pressed Enter"

    hover = site.wait_for("hover", page="/actions.html")[0]
    assert abs(hover["x"] - 250) <= 2 and abs(hover["y"] - 450) <= 2
    scrolls = [e["y"] for e in site.wait_for("scroll", 2, page="/actions.html")]
    assert scrolls[0] == 400 and scrolls[-1] == 0  # one 400 px step down, then back up

    # The popup may report from its own tab before that tab is closed; count the agent's tab only.
    site.wait_for("load", page="/popup.html", tab="agent-tab")
    loads = [e["page"] for e in site.of_type("load", tab="agent-tab")]
    assert loads == ["/actions.html", "/page2.html", "/actions.html", "/popup.html"]
    assert site.wait_for("search")[0]["query"] == "farol lighthouse"

    trajectory = Store(db).load(Store(db).list()[0]["id"])
    assert trajectory.status == "awaiting_user" and trajectory.terminate_status == "success"
    assert trajectory.final_answer == "The answer is 42."
    assert trajectory.memorized_facts == ["the target is blue"]
    assert [s.action.action for s in trajectory.steps][-3:] == ["left_click", "web_search", "terminate"]
    assert trajectory.steps[12].url.endswith("/popup.html")  # the new tab was folded into the agent's page
    assert trajectory.steps[-1].url.startswith(site.url("search"))
    assert all(s.tokens and s.tokens.prompt_tokens > 0 for s in trajectory.steps)

    # The requests the model received have the reference layout.
    first, fifth, last = model.requests[0], model.requests[5], model.requests[-1]
    assert first["model"] == "fara-test" and first["temperature"] == 0
    assert "stop" not in first and "max_tokens" not in first
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert [p["type"] for p in first["messages"][1]["content"]] == ["image_url", "text"]
    assert first["messages"][1]["content"][1]["text"] == "Exercise every action"
    roles = [m["role"] for m in fifth["messages"]]
    assert roles == [
        "system",
        "user",
        "assistant",
        "assistant",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert fifth["messages"][-1]["content"][1]["text"].startswith(f"Current URL: {site.url('actions.html')}\n")
    assert sum(1 for m in last["messages"] if m["role"] == "user" and len(m["content"]) == 2) == 3
    assert fifth["messages"][2]["content"] == reply(
        "Click the target button.", "left_click", coordinate=model_point(*ActionsPage.TARGET)
    )

    answer = next(out.glob("*_final_answer.json")).read_text()
    assert '"final_answer": "The answer is 42."' in answer
    assert (out / "screenshot0.png").is_file() and (out / "screenshot13.png").is_file()
    assert len((out / "web_surfer.log").read_text().splitlines()) == 14 * 3


def test_unreachable_endpoint_exits_2_with_one_clear_line(site, tmp_path):
    db = tmp_path / "farol.db"
    result = farol(
        "run",
        "Anything",
        "--start-url",
        site.url("page2.html"),
        "--model-url",
        "http://127.0.0.1:9/v1",
        "--db",
        str(db),
    )
    assert result.returncode == 2
    error_lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("WARNING: ")]
    # The hint names the model and port that are configured, not an example.
    assert len(error_lines) == 1 and "vllm serve microsoft/Fara-7B --port 9 --dtype auto" in error_lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    trajectory = Store(db).load(Store(db).list()[0]["id"])  # nothing lost: the run is in the store
    assert trajectory.status == "error" and len(trajectory.steps) == 1


def test_an_unreachable_start_page_exits_2_before_the_model_is_asked(model, tmp_path):
    from tests.support.extension import free_port

    dead = f"http://127.0.0.1:{free_port()}/"
    result = farol("run", "Anything", "--start-url", dead, "--model-url", model.url, "--db", str(tmp_path / "f.db"))
    assert result.returncode == 2
    assert f"cannot load {dead}: net::ERR_CONNECTION_REFUSED" in result.stderr and "Traceback" not in result.stderr
    assert model.requests == []


def test_model_server_errors_are_retried_then_reported(site, model, tmp_path):
    from tests.support.servers import Fail

    model.add(Fail(503), Fail(502), reply("Done.", "terminate", status="failure"))
    result = farol(
        "run",
        "Anything",
        "--start-url",
        site.url("page2.html"),
        "--model-url",
        model.url,
        "--db",
        str(tmp_path / "f.db"),
    )
    assert result.returncode == 1, result.stderr  # terminate with status failure
    assert len(model.requests) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start-url", "file:///etc/passwd"], "never acts on file: pages"),
        (["--start-url", "chrome://settings"], "never acts on chrome: pages"),
        (["--start-url", "http://127.0.0.1/", "--viewport", "huge"], "WIDTHxHEIGHT"),
        (["--start-url", "http://127.0.0.1/", "--viewport", "1440x150"], "at least 200x200, not 1440x150"),
        (["--start-url", "http://127.0.0.1/", "--settle", "slow"], "'slow' is not one of"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(args, message, tmp_path):
    result = farol("run", "Anything", *args, "--db", str(tmp_path / "f.db"))
    assert result.returncode == 2
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


CRITICAL = reply("The cart is ready. This is a critical point: placing the order needs your approval.", "terminate")


@pytest.mark.parametrize(
    ("flags", "code", "expected"), [((), 1, "declined at the critical point"), (("--no-ask",), 0, "")]
)
def test_a_critical_point_is_refused_without_a_terminal_unless_asked_nothing(
    site, model, tmp_path, flags, code, expected
):
    model.add(CRITICAL)
    db = tmp_path / "farol.db"
    args = ("run", "Order it", "--start-url", site.url("actions.html"), "--model-url", model.url, "--db", str(db))
    result = farol(*args, *flags)
    assert result.returncode == code, result.stdout + result.stderr
    assert expected in result.stdout
    trajectory = Store(db).load(Store(db).list()[0]["id"])
    assert "critical point" in trajectory.final_answer
    assert [approval.decision for approval in trajectory.approvals] == ([] if flags else ["deny"])


def test_piped_output_keeps_each_step_on_one_line(site, model, tmp_path):
    model.add(
        reply("Type it.", "type", text="x" * 40, coordinate=model_point(*ActionsPage.NAME), press_enter=False),
        reply("The answer is 42.", "terminate", status="success"),
    )
    result = farol(
        "run",
        "Type",
        "--start-url",
        site.url("actions.html"),
        "--model-url",
        model.url,
        "--db",
        str(tmp_path / "f.db"),
        env={"COLUMNS": "80"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    step = next(line for line in result.stdout.splitlines() if line.startswith("Step 0"))
    assert "press_enter=False" in step and step.rstrip().endswith(site.url("actions.html"))
