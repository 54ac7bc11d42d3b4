"""The guard on every sandbox site, in real Chromium: of the controls that read like Buy, Book, Checkout or
Reserve, only the binding one (place order, confirm booking, ...) needs the person; navigation links, tabs and
steps that only lead on pass."""

from __future__ import annotations

import uuid
from typing import Any

from agent.actions import LeftClick
from agent.guard import sensitive_reason
from agent.playwright_env import PlaywrightEnv
from sandbox.state import VISITOR_COOKIE
from sandbox.taskspec import Task
from tests.conftest import run_async
from tests.sandbox.test_tasks import oracle_evidence

SITES = ("shop", "mart", "flights", "hotels", "dine", "tickets", "jobs", "homes")
# Beyond each site's home and its binding page, the pages that hold its other binding-worded controls.
MORE_PAGES = {"shop": ["/shop/cart"], "mart": ["/mart/cart"], "jobs": ["/jobs/j/J6001"], "homes": ["/homes/search"]}

# Every visible control whose words a binding step could use, with its centre (scrolled into view) and
# whether it is the task's binding control.
_CONTROLS = """
([binding]) => {
  const words = /\\b(buy|pay|purchase|order|book|reserve|checkout|check out|apply|confirm|submit|complete)\\b/i;
  const found = [];
  const all = document.querySelectorAll('a, button, summary, input[type=submit], input[type=button], '
    + '[role=button], [role=tab], [role=link], [role=menuitem]');
  for (const el of all) {
    const label = (el.getAttribute('aria-label') || el.innerText || el.value || '').trim().replace(/\\s+/g, ' ');
    const box = el.getBoundingClientRect();
    if (!words.test(label) || box.width === 0 || box.height === 0) continue;
    found.push({el, label, binding: el.matches(binding)});
  }
  return found.map(({el, label, binding}) => {
    el.scrollIntoView({block: 'center'});
    const box = el.getBoundingClientRect();
    return {label, binding, x: box.left + box.width / 2, y: box.top + box.height / 2};
  });
}
"""


def binding_task(suite: list[Task], site: str) -> Task:
    """The site's shortest task that stops at a critical point on that site."""
    tasks = [t for t in suite if t.critical_point and t.critical_point.page.startswith(f"/{site}/")]
    return min(tasks, key=lambda t: (len(t.plan), t.id))


def prepare_visitor(server: Any, task: Task) -> str:
    """A visitor whose state is what the task's oracle leaves at its critical point (cookie banners accepted)."""
    visitor = uuid.uuid4().hex
    state = server.app.state.visitors.get(visitor)
    for site, value in oracle_evidence(task).state.items():
        setattr(state, site, type(getattr(state, site)).model_validate(value))
    state.consent.update(dict.fromkeys(SITES, "accepted"))
    return visitor


async def guard_verdicts(server: Any, visitors: dict[str, str], pages: dict[str, list[str]], suite: list[Task]):
    env = await PlaywrightEnv.launch()
    verdicts = []
    try:
        for site, paths in pages.items():
            await env.page.context.clear_cookies()
            await env.page.context.add_cookies([{"name": VISITOR_COOKIE, "value": visitors[site], "url": server.url}])
            button = binding_task(suite, site).critical_point.button
            for path in paths:
                await env.page.goto(server.url + path, wait_until="load")
                assert env.page.url == server.url + path, f"{path} redirected to {env.page.url}"
                for control in await env.page.evaluate(_CONTROLS, [button]):
                    element = await env.element_at(control["x"], control["y"])
                    reason = sensitive_reason(LeftClick(coordinate=(control["x"], control["y"])), element)
                    verdicts.append((site, path, control["label"], control["binding"], reason))
    finally:
        await env.close()
    return verdicts


def test_only_binding_controls_stop_on_every_site(server, suite):
    visitors = {site: prepare_visitor(server, binding_task(suite, site)) for site in SITES}
    pages = {
        site: [f"/{site}/", binding_task(suite, site).critical_point.page, *MORE_PAGES.get(site, [])] for site in SITES
    }
    verdicts = run_async(guard_verdicts(server, visitors, pages, suite))
    for site in SITES:
        mine = [v for v in verdicts if v[0] == site]
        stopped = [(path, label) for _, path, label, binding, reason in mine if binding and reason]
        assert stopped, f"{site}: the binding control did not stop: {mine}"
        assert [v for v in mine if not v[3] and not v[4]], f"{site}: nothing binding-worded to let pass"
    wrong = [(site, path, label, reason) for site, path, label, binding, reason in verdicts if binding != bool(reason)]
    assert wrong == []
    passed = {label.split(" ")[0] for _, _, label, binding, _ in verdicts if not binding}
    assert {"Buy", "Book", "Proceed", "Apply"} <= passed, passed  # "Buy" homes, "Book a stay", "Proceed to checkout"
