"""Safety checks made before the agent acts: where it may go, and which actions need the person.

`UrlPolicy` is consulted before a navigation, after every action (redirects) and for new tabs.
`sensitive_reason` looks at the element under the point an action targets.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from agent.actions import Action, LeftClick, Type
from agent.environment import ElementInfo

_FORBIDDEN_SCHEMES = {
    "chrome",
    "chrome-extension",
    "chrome-untrusted",
    "devtools",
    "file",
    "data",
    "javascript",
    "view-source",
    "edge",
    "about",
}
# Chromium's page for a failed load (refused connection, DNS failure). The model sees it, as in the reference
# harness, and can go back or elsewhere; it holds nothing a click could harm.
NETWORK_ERROR_PAGE = "chrome-error://chromewebdata/"
_ALWAYS_ALLOWED = {"about:blank", NETWORK_ERROR_PAGE}
_WEB_STORE_HOSTS = {"chromewebstore.google.com"}
_WEB_STORE_PREFIX = ("chrome.google.com", "/webstore")


@dataclass(frozen=True)
class UrlPolicy:
    """Host patterns use shell wildcards (`*.example.com`); an empty allow list allows every host."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    def refusal(self, url: str) -> str | None:
        """Why the agent must not act on `url`, or None when it may."""
        if url in _ALWAYS_ALLOWED:
            return None
        try:
            parts = urlsplit(url)
        except ValueError:
            return f"malformed URL {url!r}"
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        if scheme in _FORBIDDEN_SCHEMES:
            return f"the agent never acts on {scheme}: pages"
        if scheme not in {"http", "https"}:
            return f"unsupported URL scheme {scheme!r}"
        if host in _WEB_STORE_HOSTS or (host == _WEB_STORE_PREFIX[0] and parts.path.startswith(_WEB_STORE_PREFIX[1])):
            return "the agent never acts on the Chrome Web Store"
        if any(_host_matches(host, pattern) for pattern in self.deny):
            return f"{host} is on the deny list"
        if self.allow and not any(_host_matches(host, pattern) for pattern in self.allow):
            return f"{host} is not on the allow list"
        return None


def _host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.lower()
    return fnmatch.fnmatchcase(host, pattern) or (pattern.startswith("*.") and host == pattern[2:])


# What marks a secret field, by kind: its autocomplete token, or words in its name, id or label (aria-label,
# placeholder). A show-password toggle makes a password field type="text": its autocomplete and name still say so.
_SECRET_AUTOCOMPLETE = {
    "password": re.compile(r"\b(current|new)-password\b"),
    "payment": re.compile(r"\bcc-(number|csc|exp|exp-month|exp-year|name|type)\b"),
    "one-time code": re.compile(r"\bone-time-code\b"),
}
_SECRET_WORDS = {
    "password": re.compile(r"passw(or)?d|(?<![a-z])pwd|passphrase", re.I),
    "payment": re.compile(
        r"card.?(number|num|no|code|verification)|cc.?(num|number)|cvv|cvc|csc|cvn|security.?code|iban|expir", re.I
    ),
    "one-time code": re.compile(
        r"(?<![a-z])(otp|totp|mfa|2fa)|one.?time.?(code|pass|pin)|verification.?code|auth(entication)?.?code"
        r"|two.?factor|passcode",
        re.I,
    ),
}
# Inputs that take no typed text: their names may mention a password ("show_password") without holding one.
_NOT_TEXT = {"checkbox", "radio", "submit", "button", "reset", "image", "file", "hidden", "range", "color"}
# Labels that can only mean committing: a click on any control reading like this needs the person.
_COMMIT_PHRASES = re.compile(
    r"\b(place (your )?order|pay now|confirm (order|booking|purchase|payment|reservation)|"
    r"submit (application|order|payment)|complete (purchase|booking|order|reservation))\b",
    re.I,
)
# Words that also name navigation ("Buy" homes, a "Book" tab, the "Checkout" link): they need the person only
# on a control that acts (a script button, a form sent with POST), not on one that merely leads somewhere.
_BINDING_WORDS = re.compile(r"\b(buy|pay|purchase|order now|book|reserve|checkout|check out|apply now)\b", re.I)


def _is_frame(element: ElementInfo) -> bool:
    """The element at a point is a frame only when the page script could not look inside it (cross-origin)."""
    return element.tag in ("iframe", "frame")


def is_secret_field(element: ElementInfo) -> bool:
    """A password, payment-card (number, CVC, expiry) or one-time code field: its typed value must never be
    stored. A cross-origin frame (its inside cannot be read) counts as one, since card forms are embedded that way."""
    return _is_frame(element) or secret_field_kind(element) is not None


def secret_field_kind(element: ElementInfo) -> str | None:
    """The kind of secret a text field holds ("password", "payment", "one-time code"); None for any other element."""
    if element.tag not in ("input", "textarea") or element.input_type in _NOT_TEXT:
        return None
    if element.input_type == "password":
        return "password"
    words = f"{element.name} {element.id} {element.text}"
    for kind, autocomplete in _SECRET_AUTOCOMPLETE.items():
        if autocomplete.search(element.autocomplete) or _SECRET_WORDS[kind].search(words):
            return kind
    return None


SECRET_TYPING = "typing into "  # how every reason for typing into a secret field begins


def is_secret_typing(reason: str) -> bool:
    """Whether a guard reason says the action typed into a secret field (so its recorded text is masked)."""
    return reason.startswith(SECRET_TYPING)


def sensitive_reason(action: Action, element: ElementInfo | None) -> str | None:
    """Why this action needs the person's approval before it runs, or None."""
    if element is None:
        return None
    if isinstance(action, Type) and is_secret_field(element):
        if _is_frame(element):
            return f"{SECRET_TYPING}an embedded frame Farol cannot see into (card forms are embedded this way)"
        return f"{SECRET_TYPING}a {secret_field_kind(element)} field"
    if isinstance(action, LeftClick) and _is_button_like(element) and _is_binding_label(element):
        return f"clicking {element.text[:60]!r}, which looks like a binding step"
    return None


def _is_binding_label(element: ElementInfo) -> bool:
    if _COMMIT_PHRASES.search(element.text):
        return True
    return bool(_BINDING_WORDS.search(element.text)) and not _only_navigates(element)


def _only_navigates(element: ElementInfo) -> bool:
    """A click that only leads somewhere and commits nothing: a link to a page, a tab, a disclosure, or a form
    sent with GET (a search, a filter). A button run by a script or a form sent with POST may commit."""
    if element.role == "tab" or element.tag == "summary":
        return True
    if element.form_method:
        return element.form_method == "get"
    href = element.href.strip().lower()
    return bool(href) and not href.startswith(("#", "javascript:"))


def _is_button_like(element: ElementInfo) -> bool:
    return (
        element.tag in {"button", "a", "summary"}
        or element.role in {"button", "link", "menuitem"}
        or element.input_type in {"submit", "button", "image"}
    )
