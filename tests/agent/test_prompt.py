import hashlib
import json

import pytest

from agent.geometry import ScreenGeometry
from agent.prompt import ACTION_NAMES, system_prompt, tool_schema

pytestmark = pytest.mark.unit

REFERENCE_SHA256 = "b1b3a25006d98cc1fc151cedec08e0b10a278dea1e462e91d434129ee4697d3a"


def test_prompt_for_1440x900_is_byte_exact():
    geometry = ScreenGeometry.for_screenshot(1440, 900, 1440, 900)
    prompt = system_prompt(geometry.model_width, geometry.model_height).encode()
    assert len(prompt) == 6093
    assert hashlib.sha256(prompt).hexdigest() == REFERENCE_SHA256
    assert not prompt.endswith(b"\n")


def test_screen_size_in_prompt_follows_the_resize():
    geometry = ScreenGeometry.for_screenshot(1920, 1080, 1920, 1080)
    prompt = system_prompt(geometry.model_width, geometry.model_height)
    assert "The screen's resolution is 1932x1092." in prompt
    assert "1428x896" not in prompt


def test_tool_schema_lists_the_eleven_actions_in_reference_order():
    schema = tool_schema(1428, 896)["function"]
    assert schema["name"] == "computer_use"
    assert schema["parameters"]["properties"]["action"]["enum"] == list(ACTION_NAMES)
    assert len(ACTION_NAMES) == 11
    assert list(schema["parameters"]) == ["properties", "required", "type"]
    assert list(schema["parameters"]["properties"]["status"]) == ["description", "type", "enum"]
    # The prompt embeds the schema as one json.dumps line.
    assert json.dumps(tool_schema(1428, 896), ensure_ascii=False) in system_prompt(1428, 896)
