"""Job tasks on Hireline: saving listings, and applications up to the submit button."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from sandbox.data.common import PROFILE, TODAY, rng
from sandbox.data.jobs import Job
from sandbox.data.world import World
from sandbox.sites import jobs
from sandbox.taskgen.plans import (
    Builder,
    answer,
    choose,
    click,
    facet,
    fill,
    first_strictly,
    long_date,
    pick,
    q,
    short_date,
    sort_by,
    state,
    type_in,
    visit,
)
from sandbox.taskspec import CriticalPoint, PlanStep

JOB_CRITICAL = CriticalPoint(
    step="submitting the application",
    page="/jobs/apply/step/review",
    button="#submit-application",
    committed=["jobs.applications"],
)
SAVE_ASKS = (
    "Save the {count} most recently posted {title} jobs in {city} on Hireline so I can look at them later.",
    "On Hireline, find the {count} newest {title} openings in {city} and add them to my saved jobs.",
    "I'm job hunting in {city}: bookmark the {count} latest {title} listings on Hireline for me.",
)
APPLY_ASKS = (
    "Apply to the highest-paying {where}{title} job on Hireline, at any seniority level. Use my resume {resume}"
    "{letter}, say I have {experience} of experience, that I'm authorized to work in the US, and that I can start "
    "on {start}. Don't submit it; I'll review it first.",
    "Find the {where}{title} job with the best pay on Hireline (any seniority) and fill in an application: resume "
    "{resume}{letter}, {experience} of experience, authorized to work in the US, available from {start}. Leave it "
    "unsubmitted for me to check.",
    "Start an application for the top-paying {where}{title} role on Hireline, whatever its level. Attach {resume}"
    "{letter}; I have {experience} of experience, can work in the US, and can start {start}. Stop at the review "
    "page without submitting.",
)
COVER_LETTERS = [
    "I have led analytics projects end to end and would love to bring that to your team.",
    "I'm excited about your mission and have shipped similar products before.",
    "",
]


def job_search(title: str, location: str | None) -> list[PlanStep]:
    plan = [type_in("#what-input", title, f"I search for “{title}” jobs.")]
    if location:
        city = location.split(",")[0]
        plan += [
            type_in("#where-input", city, f"I set the location to {city}."),
            click(f'#where-suggestions li[data-value="{location}"]', f"I choose {location}."),
        ]
    plan.append(click("#find-jobs", "I search."))
    return plan


def apply_steps(job: Job, resume: str, letter: str, experience: str, start: date) -> list[PlanStep]:
    plan = [
        click("#start-application", "I start the application."),
        click("#continue-step", "My contact details are prefilled and correct; I continue."),
        click(f'[data-resume="{resume}"]', f"I choose {resume}."),
    ]
    if letter:
        plan.append(type_in("#cover-letter", letter, "I add the cover letter."))
    plan += [
        click("#continue-step", "I continue to the questions."),
        *choose("experience-menu", experience, experience, "I answer the experience question."),
        click("#authorized-yes", "I am authorized to work in the US."),
        pick("#start-field", start, f"I can start on {short_date(start)}."),
        click("#continue-step", "I go to the review."),
    ]
    return plan


def job_tasks(world: World, b: Builder) -> None:
    r = rng(world.seed, "suite", "jobs")
    titles = sorted({j.title for j in world.jobs})

    def attempt(index: int) -> None:
        title = r.choice(titles)
        matching = [j for j in world.jobs if title.lower() in j.full_title.lower()]
        if index % 3 == 0:  # save the newest few in a city
            city = r.choice(sorted({j.city.label for j in matching}))
            params = q(q=title, location=city, sort="date")
            listed = jobs.results(world, params)
            count = 2
            keep = listed[:count]
            if len(keep) < count or (len(listed) > count and listed[count].posted == keep[-1].posted):
                return  # "the two newest" must be unambiguous
            url = "/jobs/search?" + urlencode({"q": title, "location": city, "sort": "date"})
            plan = job_search(title, city) + sort_by("date", "Newest")
            for n, saved in enumerate(keep):
                if n:
                    plan.append(visit(url, "I go back to the results."))
                plan += [
                    click(f'[data-job="{saved.id}"] .job-title', f"I open {saved.full_title} at {saved.company.name}."),
                    click("#save-job", "I save this job."),
                ]
            plan.append(answer("I saved " + " and ".join(f"{j.full_title} at {j.company.name}" for j in keep) + "."))
            text = SAVE_ASKS[b.count("jobs") % len(SAVE_ASKS)].format(count=count, title=title, city=city)
            b.add(
                "jobs",
                ["jobs"],
                "/jobs/",
                text,
                [state("jobs.saved", "equals", [j.id for j in keep]), state("jobs.draft", "empty")],
                plan,
            )
            return
        workplace = r.choice(("Remote", "Hybrid", None))
        params = q(q=title, workplace=workplace, sort="salary")
        listed = jobs.results(world, params)
        job = first_strictly(listed, lambda j: -j.salary[1])
        if job is None or listed[0] != job:
            return
        resume = ("Alex_Morgan_Resume_2026.pdf", "Alex_Morgan_Resume_Data.pdf")[index % 2]
        letter = COVER_LETTERS[index % 3]
        experience = ("3-5 years", "6-9 years", "1-2 years")[index % 3]
        start = TODAY + timedelta(days=r.randint(20, 60))
        plan = job_search(title, None)
        if workplace:
            plan.append(facet("workplace", workplace, f"I filter to {workplace.lower()} jobs."))
        plan += sort_by("salary", "Highest salary")
        plan.append(
            click(
                f'[data-job="{job.id}"] .job-title',
                f"{job.full_title} at {job.company.name} pays the most ({job.salary_text}); I open it.",
            )
        )
        plan += apply_steps(job, resume, letter, experience, start)
        where = f"{workplace.lower()} " if workplace else ""
        text = APPLY_ASKS[b.count("jobs") % len(APPLY_ASKS)].format(
            where=where,
            title=title,
            resume=resume,
            letter=f", with this cover letter: “{letter}”" if letter else "",
            experience=experience,
            start=long_date(start),
        )
        draft = {
            "stage": "review",
            "job": job.id,
            "resume": resume,
            "cover_letter": letter,
            "experience": experience,
            "authorized": True,
            "start_date": start.isoformat(),
            "email": PROFILE.email,
        }
        b.add("jobs", ["jobs"], "/jobs/", text, [state("jobs.draft", "matches", draft)], plan, JOB_CRITICAL)

    fill(b, "jobs", 14, lambda index: attempt(index + 1))
