"""Where `visit_url` and `web_search` go, by the reference harness's rules (shared by every environment)."""

from __future__ import annotations

import os
from urllib.parse import quote_plus

from agent.actions import Action, VisitUrl, WebSearch

# The reference searches Bing; FAROL_SEARCH_URL points `web_search` elsewhere (an offline sandbox).
BING_SEARCH_URL = "https://www.bing.com/search?q={query}&FORM=QBLH"
_ABSOLUTE_PREFIXES = ("https://", "http://", "file://", "about:")


def search_url(query: str) -> str:
    template = os.environ.get("FAROL_SEARCH_URL") or BING_SEARCH_URL
    return template.replace("{query}", quote_plus(query))


def navigation_target(action: Action) -> str | None:
    """The URL an action navigates to, or None if it does not navigate by URL."""
    if isinstance(action, WebSearch):
        return search_url(action.query)
    if isinstance(action, VisitUrl):
        url = action.url.strip()
        if url.startswith(_ABSOLUTE_PREFIXES):
            return url
        if " " in url:
            return search_url(url)
        return "https://" + url
    return None
