"""The multi-page flow every sandbox site books through (an order, a stay, flights, a table, tickets, a tour, a job
application), written once and parametrised per site.

A visitor's draft records the furthest stage it has reached. Each stage's page is shown once the draft has reached
it; a page the draft has not reached sends the visitor to the furthest one it has, and a visitor with no draft to
where the flow starts. Posting a stage's form fills the draft (a `Fill` says what was missing, shown on the page as
`error`) and moves on to the next stage, never back. The last stage's form is the binding step: the site's own
route commits it with `Web.commit_draft`, because what a booking becomes differs per site.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from starlette.responses import RedirectResponse

from sandbox.web import read_form, redirect

# Fills the draft from a stage's form (each value stripped); returns what was wrong, or None when it was complete.
Fill = Callable[[Any, dict[str, str]], str | None]
# What a stage's page shows of the draft, as template context.
Shows = Callable[[Any], Mapping[str, object]]
# What every page of the flow shows of the visitor's draft (and of their other state: a shop's cart).
ShowsAlways = Callable[[Request, Any], Mapping[str, object]]


class Page(Protocol):
    """A site's own page renderer: its templates folder and what every page of it shows."""

    def __call__(self, request: Request, template: str, **context: Any) -> Response: ...


class Draft(Protocol):
    stage: Any  # the furthest stage reached; None before the first (a shop's checkout)


@dataclass(frozen=True)
class Stage:
    name: str
    path: str  # under the site's root: "details", "apply/step/contact", "search?leg=return"
    template: str | None = None  # None: another route serves the page (a return flight is chosen from results)
    fill: Fill | None = None  # None: the page's form is the binding step, or another route's
    shows: Shows | None = None  # what this page alone shows


@dataclass
class CheckoutFlow:
    root: str  # the site's root: "/dine/"
    page: Page
    stages: Sequence[Stage]
    draft: Callable[[Request], Draft | None]  # the visitor's draft, None when there is none to go on with
    shows: ShowsAlways
    start: str | None = None  # where a visitor with no draft goes: the site's root, unless (a shop's cart) set
    _names: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self._names = [stage.name for stage in self.stages]

    def mount(self, router: APIRouter) -> None:
        """A page (GET) for every stage with a template, and a form (POST) for every stage with a `fill`."""
        for stage in self.stages:
            if stage.template is not None:
                router.add_api_route(f"/{stage.path}", self._page_route(stage), methods=["GET"])
            if stage.fill is not None:
                router.add_api_route(f"/{stage.path}", self._form_route(stage), methods=["POST"])

    def url(self, stage: str) -> str:
        return self.root + next(s.path for s in self.stages if s.name == stage)

    def _reached(self, draft: Draft) -> int:
        return 0 if draft.stage is None else self._names.index(draft.stage)

    def _gate(self, request: Request, stage: Stage) -> Draft | RedirectResponse:
        """The draft, when it has reached `stage`; otherwise where the visitor should be instead."""
        draft = self.draft(request)
        if draft is None:
            return redirect(self.start or self.root)
        reached = self._reached(draft)
        if self._names.index(stage.name) > reached:
            return redirect(self.url(self._names[reached]))
        return draft

    def _page_route(self, stage: Stage) -> Callable[[Request], Any]:
        template = stage.template
        assert template is not None

        async def show(request: Request) -> Response:
            draft = self._gate(request, stage)
            if isinstance(draft, RedirectResponse):
                return draft
            context = {**self.shows(request, draft), **(stage.shows(draft) if stage.shows else {})}
            step, error = self._names.index(stage.name), request.query_params.get("error")
            return self.page(request, template, draft=draft, step=step, error=error, **context)

        return show

    def _form_route(self, stage: Stage) -> Callable[[Request], Any]:
        assert stage.fill is not None
        fill, index = stage.fill, self._names.index(stage.name)

        async def save(request: Request) -> Response:
            form = await read_form(request)
            draft = self._gate(request, stage)
            if isinstance(draft, RedirectResponse):
                return draft
            if error := fill(draft, {key: str(value).strip() for key, value in form.items()}):
                return redirect(f"{self.url(stage.name)}?error={error}")
            following = self._names[index + 1]
            if index + 1 > self._reached(draft):
                draft.stage = following
            return redirect(self.url(following))

        return save
