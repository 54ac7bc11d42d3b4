import pytest

from agent.actions import Key, LeftClick, Terminate, Type, Wait
from agent.parser import ParsedCall, ParseError, parse_reply

pytestmark = pytest.mark.unit

CALL = '{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [1074, 37]}}'


@pytest.mark.parametrize(
    "text",
    [
        f"I will click the search box.\n<tool_call>\n{CALL}\n</tool_call>",  # the exact format
        f"I will click the search box.<tool_call>{CALL}</tool_call>",  # newlines missing
        f"I will click the search box.\n<tool_call>\n{CALL}",  # closing tag missing
        f"I will click the search box.\n<tool_call>\n{CALL}\n</tool_call>\nLet me know.",  # text after the call
        # a second call after the first
        f"I will click the search box.\n<tool_call>\n{CALL}\n</tool_call>\n<tool_call>\n{{}}\n</tool_call>",
        "I will click the search box.\n<tool_call>\n{'name': 'computer_use', 'arguments': {'action': 'left_click', "
        "'coordinate': (1074, 37)}}\n</tool_call>",  # a Python literal
        'I will click the search box.\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "click", '
        '"coordinate": [1074, 37],}}\n</tool_call>',  # an alias and a trailing comma
        'I will click the search box.\n<tool_call>\n{"name": "computer_use", "arguments": '
        '"{\\"action\\": \\"left_click\\", \\"coordinate\\": [1074, 37]}"}\n</tool_call>',  # arguments as a string
        "I will click the search box.\n<tool_call>\n```json\n" + CALL + "\n```\n</tool_call>",  # fenced
    ],
)
def test_tolerated_forms_parse_to_the_same_click(text):
    parsed = parse_reply(text)
    assert isinstance(parsed, ParsedCall), parsed
    assert parsed.thoughts == "I will click the search box."
    assert parsed.action == LeftClick(coordinate=(1074, 37))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", "empty_output"),
        (None, "empty_output"),
        ("   \n ", "empty_output"),
        ("I am thinking but I never call a tool.", "no_tool_call"),
        ("Thoughts\n<tool_call>\nnot json at all\n</tool_call>", "invalid_json"),
        ('Thoughts\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_cl', "invalid_json"),
        ('Thoughts\n<tool_call>\n{"name": "computer_use", "arguments": {}}\n</tool_call>', "missing_action"),
        ('Thoughts\n<tool_call>\n{"name": "computer_use"}\n</tool_call>', "missing_action"),
        ("Thoughts\n<tool_call>\n[1, 2]\n</tool_call>", "invalid_json"),
        ('T\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "fly"}}\n</tool_call>', "invalid_action"),
        (
            'T\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click"}}\n</tool_call>',
            "invalid_action",
        ),
        (
            'T\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [1, 2, 3]}}'
            "\n</tool_call>",
            "invalid_action",
        ),
        (
            'T\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "key", "keys": []}}\n</tool_call>',
            "invalid_action",
        ),
        (
            'T\n<tool_call>\n{"name": "computer_use", "arguments": {"action": "terminate", "status": "maybe"}}'
            "\n</tool_call>",
            "invalid_action",
        ),
    ],
)
def test_malformed_replies_give_typed_errors(text, kind):
    parsed = parse_reply(text)
    assert isinstance(parsed, ParseError)
    assert parsed.kind == kind
    assert parsed.message


def test_empty_content_error_explains_the_server_setting():
    parsed = parse_reply("")
    assert isinstance(parsed, ParseError) and "reasoning-format none" in parsed.message


def test_thoughts_survive_a_parse_error():
    parsed = parse_reply("I should scroll.\n<tool_call>\n{broken\n</tool_call>")
    assert isinstance(parsed, ParseError) and parsed.thoughts == "I should scroll."


def test_each_action_and_its_defaults():
    def parse(arguments: str):
        parsed = parse_reply(f'x<tool_call>{{"name": "computer_use", "arguments": {arguments}}}</tool_call>')
        assert isinstance(parsed, ParsedCall), parsed
        return parsed.action

    typed = parse('{"action": "type", "text": "hi", "coordinate": [1, 2]}')
    assert typed == Type(text="hi", coordinate=(1, 2), press_enter=True, delete_existing_text=False)
    assert parse('{"action": "key", "keys": "Enter"}') == Key(keys=["Enter"])
    assert parse('{"action": "wait"}') == Wait(time=3.0)
    assert parse('{"action": "sleep", "duration": 2}') == Wait(time=2)
    assert parse('{"action": "input_text", "text_value": "x"}') == Type(text="x")
    assert parse('{"action": "stop"}') == Terminate(status="success")
    assert parse('{"action": "keypress", "keys": ["Control", "a"]}') == Key(keys=["Control", "a"])
    assert parse('{"action": "hover", "coordinate": [3, 4]}').action == "mouse_move"
    assert parse('{"action": "scroll", "pixels": -300, "coordinate": [5, 5]}').pixels == -300
    assert parse('{"action": "history_back"}').action == "history_back"
    assert parse('{"action": "visit_url", "url": "example.com"}').url == "example.com"
    assert parse('{"action": "web_search", "query": "q"}').query == "q"
    assert parse('{"action": "pause_and_memorize_fact", "fact": "f"}').fact == "f"


def test_parsing_never_changes_the_text_it_was_given():
    text = "Thoughts \n<tool_call>{'name': 'computer_use', 'arguments': {'action': 'wait'}}"
    before = str(text)
    parse_reply(text)
    assert text == before
