"""Companies and their job listings (Hireline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.data.common import CITIES, TODAY, City, pick_ordered, rng, word_list

DEPARTMENTS = {  # department -> titles with a mid-level salary in thousands
    department: tuple((title, int(salary)) for title, salary in (pair.split("=") for pair in word_list(titles)))
    for department, titles in (
        ("Engineering", "Software Engineer=120|Data Engineer=125|DevOps Engineer=130|QA Engineer=95"),
        ("Data", "Data Analyst=85|Data Scientist=135|Machine Learning Engineer=150"),
        ("Design", "Product Designer=115|UX Researcher=110|Graphic Designer=70"),
        ("Marketing", "Marketing Manager=105|Content Strategist=80|SEO Specialist=72"),
        ("Sales", "Account Executive=90|Sales Development Representative=62"),
        ("Operations", "Project Manager=100|Operations Coordinator=58|Supply Chain Analyst=78"),
        ("Finance", "Financial Analyst=88|Accountant=76"),
        ("Customer Support", "Customer Success Manager=84|Support Specialist=52"),
        ("People", "Recruiter=74|HR Generalist=70"),
    )
}
LEVELS = {"Entry": 0.75, "Mid": 1.0, "Senior": 1.3, "Lead": 1.55}
WORKPLACES = ("Remote", "Hybrid", "On-site")
JOB_TYPES = ("Full-time", "Part-time", "Contract", "Internship")
_COMPANY_FIRST = word_list(
    "Blue|Bright|Clear|Cloud|Evergreen|Granite|Harbor|Iron|Kite|Maple|North|Open|Pine|Quantum|River|"
    "Silver|Summit|True|Vertex|Wave"
)
_COMPANY_LAST = word_list("Labs|Systems|Health|Logistics|Analytics|Foods|Energy|Robotics|Media|Bank")
INDUSTRY = dict(
    pair.split("=")
    for pair in word_list(
        "Labs=Software|Systems=Software|Health=Healthcare|Logistics=Logistics|Analytics=Software"
        "|Foods=Consumer goods|Energy=Energy|Robotics=Manufacturing|Media=Media|Bank=Financial services"
    )
)
COMPANY_SIZES = ("11-50 employees", "51-200 employees", "201-1,000 employees", "1,001-5,000 employees")
RESUMES = ("Alex_Morgan_Resume_2026.pdf", "Alex_Morgan_Resume_Data.pdf")


@dataclass(frozen=True)
class Company:
    name: str
    industry: str
    size: str
    rating: float
    founded: int
    headquarters: City


@dataclass(frozen=True)
class Job:
    id: str
    title: str
    department: str
    level: str
    company: Company
    city: City
    workplace: str
    type: str
    salary: tuple[int, int]  # yearly, in dollars
    posted: date
    description: str
    requirements: tuple[str, ...]
    benefits: tuple[str, ...]

    @property
    def full_title(self) -> str:
        return (
            self.title if self.level == "Mid" else f"{'Junior' if self.level == 'Entry' else self.level} {self.title}"
        )

    @property
    def salary_text(self) -> str:
        if self.type in ("Part-time", "Contract", "Internship"):
            return f"${self.salary[0] / 2080:.0f}–${self.salary[1] / 2080:.0f} an hour"
        return f"${self.salary[0]:,}–${self.salary[1]:,} a year"

    @property
    def location_text(self) -> str:
        return f"{self.city.label} ({self.workplace})"


_BENEFITS = word_list(
    "Health, dental and vision insurance|401(k) with 4% match|Flexible hours|Home office stipend|"
    "20 days paid time off|Parental leave|Learning budget of $1,500 a year|Commuter benefits"
)
_SKILLS = {
    "Engineering": word_list("Python|Go|TypeScript|Kubernetes|PostgreSQL|AWS"),
    "Data": word_list("SQL|Python|dbt|Tableau|statistics|PyTorch"),
    "Design": word_list("Figma|user research|prototyping|design systems"),
    "Marketing": word_list("SEO|copywriting|Google Analytics|campaign planning"),
    "Sales": word_list("Salesforce|negotiation|pipeline management"),
    "Operations": word_list("Excel|Jira|vendor management|process improvement"),
    "Finance": word_list("Excel|financial modelling|GAAP|NetSuite"),
    "Customer Support": word_list("Zendesk|written communication|troubleshooting"),
    "People": word_list("Greenhouse|interviewing|employment law basics"),
}


def build_companies(seed: int) -> list[Company]:
    r = rng(seed, "companies")
    names: list[str] = []
    while len(names) < 40:
        first, last = r.choice(_COMPANY_FIRST), r.choice(_COMPANY_LAST)
        name = f"{first}{last.lower()}" if r.random() < 0.3 else f"{first} {last}"
        if name not in names:
            names.append(name)
    return [
        Company(
            name=name,
            industry=INDUSTRY.get(name.split()[-1], "Software"),
            size=r.choice(COMPANY_SIZES),
            rating=round(r.uniform(3.1, 4.8), 1),
            founded=r.randint(1985, 2021),
            headquarters=r.choice(CITIES),
        )
        for name in names
    ]


def build_jobs(seed: int, companies: list[Company]) -> list[Job]:
    r = rng(seed, "jobs")
    jobs = []
    for n in range(240):
        department = r.choice(list(DEPARTMENTS))
        title, salary_k = r.choice(DEPARTMENTS[department])
        level = r.choices(list(LEVELS), (2, 4, 3, 1))[0]
        company = r.choice(companies)
        job_type = r.choices(JOB_TYPES, (16, 2, 3, 1))[0]
        mid = salary_k * 1000 * LEVELS[level] * r.uniform(0.85, 1.2) * (0.55 if job_type == "Internship" else 1)
        low, high = int(round(mid * 0.88, -3)), int(round(mid * 1.15, -3))
        skills = pick_ordered(r, list(_SKILLS[department]), 3)
        years = {"Entry": 0, "Mid": 2, "Senior": 5, "Lead": 8}[level]
        jobs.append(
            Job(
                id=f"J{6001 + n}",
                title=title,
                department=department,
                level=level,
                company=company,
                city=r.choice(CITIES),
                workplace=r.choices(WORKPLACES, (3, 4, 4))[0],
                type=job_type,
                salary=(low, high),
                posted=TODAY - timedelta(days=r.randint(0, 30)),
                description=(
                    f"{company.name} is hiring a {title} to join our {department} team. You will work with "
                    f"{', '.join(skills[:2])} and partner with teams across the company."
                ),
                requirements=(
                    f"{years}+ years of relevant experience" if years else "No prior experience required",
                    f"Working knowledge of {skills[0]} and {skills[1]}",
                    f"Experience with {skills[2]} is a plus",
                ),
                benefits=tuple(pick_ordered(r, list(_BENEFITS), 4)),
            )
        )
    return jobs
