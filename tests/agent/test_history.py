import io

import pytest
from PIL import Image

from agent.geometry import ScreenGeometry
from agent.history import Turn, build_messages, display_url

pytestmark = pytest.mark.unit

GEOMETRY = ScreenGeometry.for_screenshot(1440, 900, 1440, 900)


def png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1440, 900), (shade, shade, shade)).save(buffer, format="PNG")
    return buffer.getvalue()


def turns(count: int, task: str = "Find the answer") -> list[Turn]:
    made = [
        Turn(png(i), GEOMETRY, f"http://site.test/page{i}?q=secret", user_text=task if i == 0 else None)
        for i in range(count)
    ]
    for i, turn in enumerate(made[:-1]):
        turn.reply = f"reply {i}"
    return made


def layout(messages):
    """U(task) / U(img,url) / A style summary of a request."""
    out = []
    for message in messages[1:]:
        if message["role"] == "assistant":
            out.append(message["content"].replace("reply ", "A"))
            continue
        kinds = [part["type"] for part in message["content"]]
        texts = [part["text"] for part in message["content"] if part["type"] == "text"]
        if kinds == ["text"]:
            out.append("U(task)")
        elif texts[0].startswith("Current URL: "):
            out.append("U(img,url" + texts[0].split("page")[1][0] + ")")
        else:
            out.append("U(img,task)")
    return " ".join(out)


def test_history_at_step_five_has_the_reference_layout():
    messages = build_messages(turns(6))
    assert layout(messages) == "U(task) A0 A1 A2 U(img,url3) A3 U(img,url4) A4 U(img,url5)"
    assert messages[0]["role"] == "system" and isinstance(messages[0]["content"], str)
    assert messages[1]["content"] == [{"type": "text", "text": "Find the answer"}]


def test_first_turn_is_image_then_task():
    messages = build_messages(turns(1))
    content = messages[1]["content"]
    assert [part["type"] for part in content] == ["image_url", "text"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert content[1]["text"] == "Find the answer"


def test_later_turns_carry_the_current_url_without_query():
    messages = build_messages(turns(2))
    assert messages[3]["content"][1]["text"] == (
        "Current URL: http://site.test/page1\nHere is the next screenshot. Think about what to do next."
    )


def test_assistant_replies_are_sent_verbatim():
    history = turns(3)
    history[0].reply = "  odd spacing\n<tool_call>{'action': 'wait'}  "
    messages = build_messages(history)
    assert messages[2] == {"role": "assistant", "content": "  odd spacing\n<tool_call>{'action': 'wait'}  "}


def test_a_follow_up_round_keeps_its_text_when_its_image_is_pruned():
    history = turns(7)
    history[2].user_text = "Now book it"
    messages = build_messages(history)
    texts = [m["content"] for m in messages if m["role"] == "user" and len(m["content"]) == 1]
    assert texts == [[{"type": "text", "text": "Find the answer"}], [{"type": "text", "text": "Now book it"}]]
    assert sum(1 for m in messages if m["role"] == "user" and len(m["content"]) == 2) == 3


def test_display_url_truncation():
    assert display_url("https://a.test/x?y=1#z") == "https://a.test/x"
    assert display_url("https://a.test/x#frag") == "https://a.test/x#frag"
    long = "https://a.test/" + "p" * 200
    assert display_url(long) == long[:100] + " ..."
