import pytest

from agent.actions import LeftClick, Type, VisitUrl, WebSearch
from agent.environment import ElementInfo
from agent.guard import UrlPolicy, is_secret_field, sensitive_reason
from agent.navigation import navigation_target

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "url",
    [
        "chrome://settings",
        "chrome-extension://abcdef/panel.html",
        "file:///etc/passwd",
        "data:text/html,<h1>hi</h1>",
        "javascript:alert(1)",
        "https://chromewebstore.google.com/detail/x",
        "https://chrome.google.com/webstore/category/extensions",
        "ftp://files.example.com/",
    ],
)
def test_forbidden_pages(url):
    assert UrlPolicy().refusal(url)


@pytest.mark.parametrize(
    "url", ["https://www.bing.com/search?q=x", "http://127.0.0.1:8000/", "about:blank", "chrome-error://chromewebdata/"]
)
def test_ordinary_pages_are_allowed(url):
    assert UrlPolicy().refusal(url) is None


def test_allow_and_deny_lists():
    policy = UrlPolicy(allow=("*.shop.test", "127.0.0.1"), deny=("admin.shop.test",))
    assert policy.refusal("https://shop.test/cart") is None  # *.x also matches x itself
    assert policy.refusal("https://www.shop.test/") is None
    assert policy.refusal("http://127.0.0.1:9000/") is None
    assert "deny list" in policy.refusal("https://admin.shop.test/")
    assert "allow list" in policy.refusal("https://evil.test/")


def test_navigation_targets_follow_the_reference_rules(monkeypatch):
    monkeypatch.delenv("FAROL_SEARCH_URL", raising=False)
    assert navigation_target(VisitUrl(url="https://a.test/x")) == "https://a.test/x"
    assert navigation_target(VisitUrl(url="about:blank")) == "about:blank"
    assert navigation_target(VisitUrl(url="a.test/x")) == "https://a.test/x"
    assert navigation_target(VisitUrl(url="cheap flights lisbon")) == (
        "https://www.bing.com/search?q=cheap+flights+lisbon&FORM=QBLH"
    )
    assert navigation_target(WebSearch(query="a&b c")) == "https://www.bing.com/search?q=a%26b+c&FORM=QBLH"
    monkeypatch.setenv("FAROL_SEARCH_URL", "http://127.0.0.1:9/search?q={query}")
    assert navigation_target(WebSearch(query="x y")) == "http://127.0.0.1:9/search?q=x+y"


PASSWORD = ElementInfo(tag="input", input_type="password", name="pw")
CARD = ElementInfo(tag="input", input_type="text", autocomplete="cc-number")
CVV = ElementInfo(tag="input", name="cvv")
NAME = ElementInfo(tag="input", input_type="text", name="full_name")


def test_secret_fields():
    assert is_secret_field(PASSWORD) and is_secret_field(CARD) and is_secret_field(CVV)
    assert not is_secret_field(NAME)
    assert not is_secret_field(ElementInfo(tag="div", name="cvv"))
    # A cross-origin frame, which no script can see into (the element at the point is the frame itself).
    assert is_secret_field(ElementInfo(tag="iframe")) and is_secret_field(ElementInfo(tag="frame"))


def test_typing_into_secret_fields_needs_approval():
    typing = Type(text="hunter2", coordinate=(1, 1))
    assert "password" in sensitive_reason(typing, PASSWORD)
    assert "payment" in sensitive_reason(typing, CARD)
    assert sensitive_reason(typing, NAME) is None
    assert sensitive_reason(typing, None) is None
    for frame in ("iframe", "frame"):
        assert "embedded frame" in sensitive_reason(typing, ElementInfo(tag=frame))


@pytest.mark.parametrize(
    ("element", "needs"),
    [
        (ElementInfo(tag="button", text="Place order"), True),
        (ElementInfo(tag="button", text="Buy now"), True),
        (ElementInfo(tag="a", role="button", text="Book this room"), True),
        (ElementInfo(tag="input", input_type="submit", text="Pay $42.00"), True),
        (ElementInfo(tag="button", text="Submit application"), True),
        (ElementInfo(tag="button", text="Add to cart"), False),
        (ElementInfo(tag="button", text="Search flights"), False),
        (ElementInfo(tag="a", text="Booking policy"), False),
        (ElementInfo(tag="div", text="Buy now"), False),  # plain text, not a control
    ],
)
def test_binding_clicks_need_approval(element, needs):
    assert (sensitive_reason(LeftClick(coordinate=(1, 1)), element) is not None) is needs
