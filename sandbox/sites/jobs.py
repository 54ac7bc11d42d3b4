"""Hireline (/jobs): job search by keyword and location with auto-suggest; filters, sort, pagination;
job pages with tabs and "Save job"; a four-step application (contact, resume, questions, review).
"Submit application" on the review step is the binding step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams

from sandbox.checkout import CheckoutFlow, Stage
from sandbox.data.common import CITIES, TODAY, city_named
from sandbox.data.jobs import DEPARTMENTS, JOB_TYPES, LEVELS, RESUMES, WORKPLACES, Job
from sandbox.data.world import World
from sandbox.state import Application, ApplicationDraft
from sandbox.web import (
    SITES,
    Sort,
    Web,
    apply_sort,
    check_facet,
    count_by,
    paginate,
    parse_date,
    parse_int,
    radio_facet,
    read_form,
    redirect,
    sort_options,
    toggle,
)

SITE = SITES["jobs"]
PER_PAGE = 15
EXPERIENCE = [(v, v) for v in ("Less than 1 year", "1-2 years", "3-5 years", "6-9 years", "10+ years")]
SORTS = (
    Sort("relevance", "Most relevant", lambda j: (j.id,)),
    Sort("date", "Newest", lambda j: (-j.posted.toordinal(), j.id)),
    Sort("salary", "Highest salary", lambda j: (-j.salary[1], j.id)),
)
POSTED = [("", "Any time"), ("1", "Last 24 hours"), ("3", "Last 3 days"), ("7", "Last 7 days"), ("14", "Last 14 days")]
SALARIES = [
    ("", "Any salary"),
    ("60000", "$60,000+"),
    ("80000", "$80,000+"),
    ("100000", "$100,000+"),
    ("120000", "$120,000+"),
    ("150000", "$150,000+"),
]


def _matches(job: Job, query: str) -> bool:
    haystack = f"{job.full_title} {job.department} {job.company.name}".lower()
    return all(token in haystack for token in query.lower().split())


def filtered(world: World, params: QueryParams, skip: str | None = None) -> list[Job]:
    jobs = list(world.jobs)
    if query := params.get("q", "").strip():
        jobs = [j for j in jobs if _matches(j, query)]
    if location := params.get("location", "").strip():
        city = city_named(location.split(",")[0])
        jobs = [
            j
            for j in jobs
            if (city is not None and j.city == city) or (location.lower() == "remote" and j.workplace == "Remote")
        ]
    facets: tuple[tuple[str, Callable[[Job], str]], ...] = (
        ("workplace", lambda j: j.workplace),
        ("type", lambda j: j.type),
        ("level", lambda j: j.level),
        ("department", lambda j: j.department),
    )
    for key, value_of in facets:
        if (wanted := params.getlist(key)) and skip != key:
            jobs = [j for j in jobs if value_of(j) in wanted]
    if salary := parse_int(params.get("salary"), 0):
        jobs = [j for j in jobs if j.salary[1] >= salary]
    if days := parse_int(params.get("posted"), 0):
        jobs = [j for j in jobs if j.posted >= TODAY - timedelta(days=days - 1)]
    return jobs


def results(world: World, params: QueryParams) -> list[Job]:
    """The jobs a results page lists, in order."""
    return apply_sort(filtered(world, params), SORTS, params.get("sort"))[0]


def posted_text(job: Job) -> str:
    days = (TODAY - job.posted).days
    return "Posted today" if days == 0 else "Posted yesterday" if days == 1 else f"Posted {days} days ago"


def fill_contact(draft: ApplicationDraft, form: dict[str, str]) -> str | None:
    first, last, email, phone = (form.get(k, "") for k in ("first", "last", "email", "phone"))
    if not (first and last and email and phone):
        return "missing"
    draft.first, draft.last, draft.email, draft.phone = first, last, email, phone
    return None


def fill_resume(draft: ApplicationDraft, form: dict[str, str]) -> str | None:
    if form.get("resume") not in RESUMES:
        return "missing"
    draft.resume, draft.cover_letter = form["resume"], form.get("cover_letter", "")
    return None


def fill_questions(draft: ApplicationDraft, form: dict[str, str]) -> str | None:
    start_date = parse_date(form.get("start_date"))
    if form.get("experience") not in dict(EXPERIENCE) or form.get("authorized") not in ("yes", "no") or not start_date:
        return "missing"
    draft.experience, draft.authorized = form["experience"], form["authorized"] == "yes"
    draft.start_date = start_date.isoformat()
    return None


def routers(web: Web) -> list[APIRouter]:
    router = APIRouter(prefix="/jobs")
    world = web.world

    def page(request: Request, template: str, **context: Any) -> Response:
        return web.render(request, SITE, f"jobs/{template}", posted_text=posted_text, **context)

    @router.get("/")
    async def home(request: Request) -> Response:
        recent = sorted(world.jobs, key=SORTS[1].order)[:6]
        return page(
            request, "home.html", recent=recent, departments=list(DEPARTMENTS), saved=web.state(request).jobs.saved
        )

    @router.get("/api/suggest")
    async def suggest(q: str = "") -> Response:
        needle = q.strip().lower()
        titles = sorted({t for titles in DEPARTMENTS.values() for t, _ in titles if needle in t.lower()})[:5]
        companies = sorted({j.company.name for j in world.jobs if needle in j.company.name.lower()})[:3]
        return JSONResponse(
            [{"label": t, "value": t, "hint": "Job title"} for t in titles]
            + [{"label": c, "value": c, "hint": "Company"} for c in companies]
        )

    @router.get("/api/locations")
    async def locations(q: str = "") -> Response:
        needle = q.strip().lower()
        out = [{"label": c.label, "value": c.label} for c in CITIES if needle in c.name.lower()]
        if needle in "remote":
            out.append({"label": "Remote", "value": "Remote"})
        return JSONResponse(out[:8])

    @router.get("/search")
    async def search(request: Request) -> Response:
        params = request.query_params
        path = "/jobs/search"
        ordered, chosen = apply_sort(filtered(world, params), SORTS, params.get("sort"))
        facets = [
            check_facet(
                path,
                params,
                "workplace",
                "Workplace",
                [(w, w) for w in WORKPLACES],
                count_by(filtered(world, params, "workplace"), lambda j: [j.workplace]),
            ),
            check_facet(
                path,
                params,
                "type",
                "Job type",
                [(t, t) for t in JOB_TYPES],
                count_by(filtered(world, params, "type"), lambda j: [j.type]),
            ),
            check_facet(
                path,
                params,
                "level",
                "Experience level",
                [(lv, lv) for lv in LEVELS],
                count_by(filtered(world, params, "level"), lambda j: [j.level]),
            ),
            radio_facet(path, params, "salary", "Salary", SALARIES),
            radio_facet(path, params, "posted", "Date posted", POSTED),
            check_facet(
                path,
                params,
                "department",
                "Department",
                [(d, d) for d in DEPARTMENTS],
                count_by(filtered(world, params, "department"), lambda j: [j.department]),
            ),
        ]
        return page(
            request,
            "results.html",
            params=params,
            query=params.get("q", ""),
            facets=facets,
            sorts=sort_options(path, params, SORTS, chosen),
            pager=paginate(ordered, params, path, PER_PAGE),
            saved=web.state(request).jobs.saved,
        )

    @router.get("/j/{job_id}")
    async def job(request: Request, job_id: str) -> Response:
        found = world.job.get(job_id)
        if found is None:
            return web.render(request, SITE, "missing.html", status=404)
        state = web.state(request).jobs
        applied = any(a.job == found.id for a in state.applications)
        return page(request, "job.html", j=found, saved=found.id in state.saved, applied=applied)

    @router.post("/save")
    async def save(request: Request) -> Response:
        form = await read_form(request)
        job_id = str(form.get("job", ""))
        saved = web.state(request).jobs.saved
        if job_id in world.job:
            toggle(saved, job_id)
        return redirect(f"/jobs/j/{job_id}")

    @router.get("/saved")
    async def saved_jobs(request: Request) -> Response:
        saved = web.state(request).jobs.saved
        return page(request, "saved.html", jobs=[world.job[i] for i in saved], saved=saved)

    @router.get("/companies")
    async def companies(request: Request) -> Response:
        counts = count_by(world.jobs, lambda j: [j.company.name])
        return page(request, "companies.html", companies=sorted(world.companies, key=lambda c: c.name), counts=counts)

    @router.get("/apply/{job_id}")
    async def start(request: Request, job_id: str) -> Response:
        if job_id not in world.job:
            return redirect("/jobs/")
        state = web.state(request).jobs
        if state.draft is None or state.draft.job != job_id:
            state.draft = ApplicationDraft(stage="contact", job=job_id)
        return redirect("/jobs/apply/step/contact")

    CheckoutFlow(
        SITE.root,
        page,
        stages=(
            Stage("contact", "apply/step/contact", "apply_contact.html", fill_contact),
            Stage("resume", "apply/step/resume", "apply_resume.html", fill_resume),
            Stage("questions", "apply/step/questions", "apply_questions.html", fill_questions),
            Stage("review", "apply/step/review", "apply_review.html"),
        ),
        draft=lambda request: web.state(request).jobs.draft,
        shows=lambda request, draft: {"j": world.job[draft.job], "resumes": RESUMES, "experience": EXPERIENCE},
    ).mount(router)

    @router.post("/apply/submit")
    async def submit(request: Request) -> Response:
        state = web.state(request).jobs
        application = web.commit_draft(state, "review", state.applications, Application, "APP")
        if application is None:
            return redirect("/jobs/")
        return redirect(f"/jobs/j/{application.job}?submitted={application.confirmation}")

    return [router]
