"""`farol datagen`: propose, solve and verify web tasks (FaraGen), resumably, into one output folder."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.markup import escape

from agent.options import Ray
from agent.terminal import console

if TYPE_CHECKING:
    from datagen.pipeline import Workspace
    from datagen.report import DatagenReport

app = typer.Typer(
    help="FaraGen: propose web tasks, solve them with a multi-agent team, verify and keep the good trajectories.",
    no_args_is_help=True,
)

Out = Annotated[
    Path, typer.Option(envvar="FAROL_DATAGEN_OUT", help="Output folder (its farol.db holds everything; resumable).")
]
ConfigPath = Annotated[
    Path | None,
    typer.Option("--config", envvar="FAROL_DATAGEN_CONFIG", help="TOML config: role endpoints, prices, settings."),
]
Sites = Annotated[str, typer.Option(help="`sandbox`, or a file of seed URLs with categories (`URL CATEGORY` lines).")]
Count = Annotated[int, typer.Option("--n", min=1, help="How many accepted proposals (and trajectories) in all.")]
Tasks = Annotated[
    str | None,
    typer.Option(help="Sandbox only: draw from these task ids, id prefixes or categories (comma-separated)."),
]
Parallel = Annotated[int | None, typer.Option(min=1, help="Browsers at once [default: the config's solve.parallel].")]
DEFAULT_OUT = Path("farol-datagen")

T = TypeVar("T")


def _workspace(out: Path, config: Path | None, parallel: int | None = None, *, uses_models: bool = True) -> Workspace:
    """The output folder with the config loaded and checked: a bad keep rule, a missing key or (for stages that
    call models) an endpoint that does not answer is one red line and exit status 2, before any work."""
    from agent.policy import endpoint_reachable
    from datagen.config import ROLES, ConfigError, load_config
    from datagen.pipeline import Workspace

    try:
        loaded = load_config(config)
        if parallel is not None:
            loaded.solve.parallel = parallel
        loaded.check()
        endpoints = {e.url: (role, e) for role in (ROLES if uses_models else ()) if (e := loaded.role(role))}
        for url, (role, endpoint) in endpoints.items():
            if not endpoint_reachable(str(url), endpoint.key()):
                raise ConfigError(f"cannot reach the {role} model at {url}")
    except ConfigError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    return Workspace.open(out, loaded)


def _run(ws: Workspace, stage: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a stage; a config, seed-file or task-name problem is one red line and exit status 2."""
    from datagen.config import ConfigError
    from datagen.sites import SitesError

    try:
        return asyncio.run(stage())
    except (ConfigError, SitesError, ValueError) as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    finally:
        ws.close()


def _names(tasks: str | None) -> list[str]:
    return [name for name in (tasks or "").split(",") if name.strip()]


@app.command()
def propose(
    sites: Sites = "sandbox", n: Count = 20, tasks: Tasks = None, out: Out = DEFAULT_OUT, config: ConfigPath = None
) -> None:
    """Propose tasks until N are accepted (rejected ones are kept with their reasons)."""
    from datagen.pipeline import proposals_short
    from datagen.pipeline import propose as stage

    ws = _workspace(out, config)

    async def proposed() -> tuple[tuple[int, int], str | None]:
        return await stage(ws, sites, n, _names(tasks)), proposals_short(ws, n)

    (accepted, rejected), short = _run(ws, proposed)
    console.print(f"{accepted} proposals accepted, {rejected} rejected; in {out}")
    _stop_if_short(short)


@app.command()
def solve(
    limit: Annotated[int | None, typer.Option(min=1, help="Solve at most this many now.")] = None,
    ray: Ray = None,
    parallel: Parallel = None,
    out: Out = DEFAULT_OUT,
    config: ConfigPath = None,
) -> None:
    """Solve the accepted proposals that have no trajectory yet."""
    from datagen.pipeline import solve as stage

    ws = _workspace(out, config, parallel)
    solved = _run(ws, lambda: stage(ws, limit=limit, ray_address=ray))
    console.print(f"{sum(s.trajectory is not None for s in solved)} of {len(solved)} solved; in {out}")


@app.command()
def verify(out: Out = DEFAULT_OUT, config: ConfigPath = None) -> None:
    """Verify the solved trajectories and decide which are kept."""
    from datagen.pipeline import verify as stage

    ws = _workspace(out, config)
    verified, kept = _run(ws, lambda: stage(ws))
    console.print(f"{verified} verified, {kept} kept; in {out}")


@app.command()
def aux(out: Out = DEFAULT_OUT, config: ConfigPath = None) -> None:
    """Add refusal samples (and, with an annotator model, written captions and questions)."""
    from datagen.pipeline import augment

    ws = _workspace(out, config)
    counts = _run(ws, lambda: augment(ws))
    console.print("Auxiliary samples: " + ", ".join(f"{kind} {count}" for kind, count in counts.items()))


@app.command()
def run(
    sites: Sites = "sandbox",
    n: Count = 20,
    tasks: Tasks = None,
    ray: Ray = None,
    parallel: Parallel = None,
    out: Out = DEFAULT_OUT,
    config: ConfigPath = None,
) -> None:
    """Propose, solve, verify, add auxiliary data and report: N trajectories in OUT (a killed run resumes)."""
    from datagen import pipeline
    from datagen.report import build_report, print_report

    ws = _workspace(out, config, parallel)

    async def chain() -> tuple[DatagenReport, str | None]:
        await pipeline.propose(ws, sites, n, _names(tasks))
        await pipeline.solve(ws, ray_address=ray)
        await pipeline.verify(ws)
        await pipeline.augment(ws)
        return build_report(ws), pipeline.shortfall(ws, n)

    report, short = _run(ws, chain)
    (out / "report.json").write_text(report.model_dump_json(indent=2))
    print_report(report, console)
    console.print(f"Trajectories in {out / 'farol.db'}; report in {out / 'report.json'}")
    _stop_if_short(short)


def _stop_if_short(short: str | None) -> None:
    """A run that made fewer than asked says why and exits 1 (what it made is kept)."""
    if short is not None:
        console.print(f"[red]Short of --n: {escape(short)}[/red]")
        raise typer.Exit(1)


@app.command()
def report(out: Out = DEFAULT_OUT, config: ConfigPath = None) -> None:
    """Proposed / solved / kept / rejected by reason, verifier agreement, cost per kept trajectory, steps."""
    from datagen.report import build_report, print_report

    if not (out / "farol.db").exists():
        console.print(f"[red]No data in {escape(str(out))}: run `farol datagen run` first.[/red]")
        raise typer.Exit(2)
    ws = _workspace(out, config, uses_models=False)
    try:
        built = build_report(ws)
    finally:
        ws.close()
    (out / "report.json").write_text(built.model_dump_json(indent=2))
    print_report(built, console)
