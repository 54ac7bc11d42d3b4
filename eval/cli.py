"""`farol eval`: evaluation suites, the offline sandbox web, reports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import typer
from rich.markup import escape

from agent.geometry import TRAINING_WINDOW
from agent.options import (
    ApiKey,
    Db,
    Device,
    MaxSteps,
    ModelName,
    ModelPath,
    ModelUrl,
    Ray,
    Viewport,
    parse_viewport,
)
from agent.policy import DEFAULT_MODEL, DEFAULT_MODEL_URL, Policy
from agent.terminal import console

if TYPE_CHECKING:
    from eval.runner import Outcome
    from eval.suites.adapters import SuiteAdapter
    from sandbox.episode import Episode, Sandbox
    from sandbox.taskspec import Task

app = typer.Typer(help="Evaluate Fara-7B: the offline sandbox web, benchmark suites, reports.", no_args_is_help=True)
sandbox = typer.Typer(help="The offline sandbox web: realistic sites with checkable tasks.", no_args_is_help=True)
app.add_typer(sandbox, name="sandbox")


@sandbox.command()
def serve(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 8600,
    seed: Annotated[int, typer.Option(help="Data seed: the same seed serves the same web.")] = 0,
    secret: Annotated[
        str | None, typer.Option(envvar="FAROL_SANDBOX_SECRET", help="State API secret [default: random].")
    ] = None,
) -> None:
    """Serve every sandbox site on 127.0.0.1 until interrupted."""
    import uvicorn

    from sandbox.app import SECRET_HEADER, create_app

    application = create_app(seed, secret)
    console.print(f"Sandbox web (seed {seed}): [bold]http://127.0.0.1:{port}/[/bold]")
    console.print(f"State API: /__sandbox/state?visitor=ID with header {SECRET_HEADER}: {application.state.secret}")
    uvicorn.run(application, host="127.0.0.1", port=port, log_level="warning")


Concurrency = Annotated[int, typer.Option(min=1, help="Tasks at once, each in its own browser.")]
SEED_HELP = "Data seed: seed 0 is the committed suite; any other seed generates that web's own suite."
SPLIT_HELP = (
    "A named split (sandbox/splits.py): eval (the default suite), train (what `farol datagen` draws from), "
    "test_task, test_template, test_website (held out)."
)


@sandbox.command("tasks")
def list_tasks(
    names: Annotated[
        list[str] | None, typer.Argument(help="Task ids, id prefixes or categories [default: all].")
    ] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    seed: Annotated[int | None, typer.Option(help=SEED_HELP)] = None,
    split: Annotated[str | None, typer.Option(help=SPLIT_HELP)] = None,
) -> None:
    """List the suite's tasks (a seed's, or a named split's)."""
    narrowed = [*(names or []), *([category] if category else [])]
    tasks = _split_tasks(split, narrowed, seed) if split else _sandbox_tasks(seed or 0, narrowed)
    for task in tasks:
        critical = task.critical_point
        flag = (
            ""
            if critical is None
            else " (approved at its critical point)"
            if critical.approved
            else (" (stops at a critical point)")
        )
        where = f" seed {task.seed}" if split else ""
        console.print(f"[bold]{task.id}[/bold]{where} {task.start_url}{flag}\n  {escape(task.task)}")


def _split_tasks(split: str, names: list[str], seed: int | None) -> list[Task]:
    """A named split's tasks, narrowed to `names`; a clear error (exit 2) for a split or name that gives nothing,
    or a seed given beside it."""
    from sandbox.splits import split_tasks
    from sandbox.taskspec import select

    if seed is not None:
        raise typer.BadParameter("a split fixes its own data seeds: give --split or --seed", param_hint="--seed")
    try:
        return select(split_tasks(split), names)
    except ValueError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None


def _sandbox_tasks(seed: int, names: list[str]) -> list[Task]:
    """The seed's suite, narrowed to `names`; a clear error (exit 2) for a seed or a name that gives nothing."""
    from sandbox.taskgen import suite_for
    from sandbox.taskspec import select

    try:
        return select(suite_for(seed), names)
    except ValueError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None


@sandbox.command("answers")
def show_answers(
    task_id: Annotated[str, typer.Option("--task", help="A task that checks the final answer.")],
    answer: Annotated[str | None, typer.Option(help="Read this answer [default: the task's corpus cases].")] = None,
) -> None:
    """Show how final answers are read for a task: what they assert, the values and hedges read, the verdict."""
    from sandbox.answer_corpus import Case, checks_answers, explain, read
    from sandbox.taskspec import load_suite

    task = next((task for task in load_suite() if task.id == task_id), None)
    if task is None or not checks_answers(task):
        console.print(f"[red]{escape(task_id)} is not a suite task that checks an answer.[/red]")
        raise typer.Exit(2)
    cases = [Case(task=task.id, kind="hard", answer=answer, passes=True)] if answer else read()
    for case in (case for case in cases if case.task == task.id):
        reading = explain(task, case.answer)
        verdict = "[green]passes[/green]" if reading["passes"] else "[red]fails[/red]"
        expected = "" if answer else f"  ({case.kind}, expected to {'pass' if case.passes else 'fail'})"
        console.print(f"{verdict}{expected}: {escape(case.answer)}")
        console.print(f"  asserts: {escape(reading['asserted'])}")
        values = ", ".join(f"{kind} {values}" for kind, values in reading["values"].items()) or "none"
        console.print(f"  values read: {escape(values)}")
        if reading["hedges"]:
            console.print(f"  hedges: {escape(', '.join(reading['hedges']))}")
        for why in reading["why"]:
            console.print(f"  why: {escape(why)}")


@sandbox.command()
def oracle(
    names: Annotated[
        list[str] | None, typer.Argument(help="Task ids, id prefixes or categories [default: every task].")
    ] = None,
    db: Db = None,
    seed: Annotated[int, typer.Option(help=SEED_HELP)] = 0,
) -> None:
    """Run the oracle on tasks and store its trajectories (correct demonstrations for data generation)."""
    from agent.recorder import StoreRecorder
    from agent.retry import retry_aborted
    from agent.store import Store
    from sandbox.episode import Sandbox, run_oracle
    from sandbox.server import SandboxServer

    tasks = _sandbox_tasks(seed, names or [])
    store = Store(db)

    async def solve(task: Task, sandbox: Sandbox) -> Episode | None:
        episode, _ = await retry_aborted(
            lambda: run_oracle(task, sandbox, hooks=[StoreRecorder(store)]),
            label=task.id,
            attempts=3,
            discard=lambda superseded: store.delete(superseded.trajectory.id),
        )
        return episode

    async def solve_all(server: SandboxServer) -> int:
        failed = 0
        sandbox = Sandbox(server.url, server.secret)
        for task in tasks:
            episode = await solve(task, sandbox)
            if episode is None:
                failed += 1
                console.print(f"{task.id}: [red]FAIL[/red] every attempt failed before the agent started")
                continue
            failed += not episode.result.passed
            failures = escape("; ".join(episode.result.failures))
            verdict = "[green]pass[/green]" if episode.result.passed else f"[red]FAIL[/red] {failures}"
            steps = len(episode.trajectory.steps)
            console.print(f"{task.id}: {verdict} ({steps} steps, trajectory {episode.trajectory.id})")
        return failed

    with SandboxServer(seed=seed) as server:
        failed = asyncio.run(solve_all(server))
    store.close()
    console.print(f"{len(tasks) - failed} of {len(tasks)} passed; trajectories in {store.path}")
    raise typer.Exit(1 if failed else 0)


Suite = Literal["sandbox", "miniwob", "webvoyager", "om2w", "webtailbench", "refusals"]
SUITES: tuple[Suite, ...] = get_args(Suite)


@app.command()
def run(
    suite: Annotated[str, typer.Option(help=f"One of: {', '.join(SUITES)}.")],
    out: Annotated[Path, typer.Option(help="Results folder (resumable: finished tasks are skipped).")],
    model_url: ModelUrl = DEFAULT_MODEL_URL,
    model: ModelName = DEFAULT_MODEL,
    api_key: ApiKey = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N tasks.")] = None,
    concurrency: Concurrency = 2,
    runs: Annotated[int, typer.Option(min=1, help="Runs per task (results report the spread).")] = 1,
    max_steps: MaxSteps = 100,
    tasks: Annotated[
        str | None,
        typer.Option(
            help="webtailbench, refusals: the task file. sandbox: task ids, id prefixes or categories, comma-separated."
        ),
    ] = None,
    judge_url: Annotated[
        str | None, typer.Option(envvar="FAROL_JUDGE_URL", help="Judge endpoint (live-web suites).")
    ] = None,
    judge_model: Annotated[str | None, typer.Option(envvar="FAROL_JUDGE_MODEL", help="Judge model name.")] = None,
    judge_api_key: Annotated[
        str | None, typer.Option(envvar="FAROL_JUDGE_API_KEY", help="Judge endpoint's key.")
    ] = None,
    judge_variant: Annotated[
        str | None, typer.Option(help="Which judge scores the suite (default: the published protocol; see the README).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Sandbox data seed (its own generated suite) / MiniWoB episode seed.")] = 0,
    split: Annotated[
        str | None, typer.Option(help="Sandbox only: the named split to score [default: eval]. " + SPLIT_HELP)
    ] = None,
    oracle: Annotated[bool, typer.Option(help="Sandbox only: run the scripted oracle instead of a model.")] = False,
    model_path: ModelPath = None,
    device: Device = "auto",
    ray: Ray = None,
    viewport: Viewport = None,
) -> None:
    """Run a suite against a model and write per-task results (webeval layout) and a store. With --ray the workers
    write into OUT themselves, so they must share it."""
    from agent.cli import in_process_policy
    from agent.policy import OpenAIPolicy, endpoint_reachable, vllm_hint
    from eval.runner import RayTask, RunSettings, run_suite, summary_line

    if suite not in SUITES:
        raise typer.BadParameter(f"choose one of {', '.join(SUITES)}", param_hint="--suite")
    if oracle and suite != "sandbox":
        raise typer.BadParameter("only the sandbox has an oracle", param_hint="--oracle")
    if not oracle and model_path is None and not endpoint_reachable(model_url, api_key):
        console.print(f"[red]Cannot reach the model at {escape(model_url)}; {vllm_hint(model_url, model)}[/red]")
        raise typer.Exit(2)
    if tasks is not None and suite not in ("sandbox", "webtailbench", "refusals"):
        raise typer.BadParameter("only sandbox, webtailbench and refusals take --tasks", param_hint="--tasks")
    task_file = Path(tasks) if tasks and suite != "sandbox" else None
    selection = tasks.split(",") if tasks and suite == "sandbox" else []
    scored = ""  # which sandbox split is scored, for the summary
    if split is not None and suite != "sandbox":
        raise typer.BadParameter("only the sandbox has named splits", param_hint="--split")
    size = parse_viewport(viewport)
    if size != TRAINING_WINDOW and suite != "sandbox":
        raise typer.BadParameter("only the sandbox takes another viewport", param_hint="--viewport")
    if suite == "sandbox":
        seed, selection, scored = _scored_split(split, seed, selection)
    # The suite and the policy as recipes: over Ray each worker rebuilds them (picklable, unlike the live ones).
    make_suite = partial(
        _adapter,
        suite,
        task_file,
        seed,
        judge_url,
        judge_model,
        judge_api_key,
        oracle,
        judge_variant=judge_variant,
        selection=selection,
        viewport=size,
    )
    make_policy: Callable[[], Policy] | None = (
        None
        if oracle
        else partial(in_process_policy, model_path, device)
        if model_path
        else partial(OpenAIPolicy, model_url, model, api_key)
    )
    adapter = make_suite()
    label = "oracle" if oracle else model_path.name if model_path else model
    settings = RunSettings(
        out=out, model=label, runs=runs, concurrency=concurrency, max_steps=max_steps, limit=limit, ray_address=ray
    )
    ray_task = RayTask(make_suite, make_policy, settings)

    async def go() -> list[Outcome]:
        policy = make_policy() if make_policy else None
        try:
            return await run_suite(adapter, policy, settings, ray_task=ray_task)
        finally:
            if policy is not None:
                await policy.close()

    try:
        outcomes = asyncio.run(go())
    finally:
        getattr(adapter, "close", lambda: None)()
    console.print(
        f"{suite}{scored}: {summary_line(outcomes)}. Results in {out}; `farol eval report {out}` makes the report."
    )


def _scored_split(split: str | None, seed: int, selection: list[str]) -> tuple[int, list[str], str]:
    """The seed and task ids `farol eval run` scores for a sandbox split (eval unless a seed is given), and how
    the summary names it."""
    from sandbox.splits import split_seed, split_tasks
    from sandbox.taskspec import select

    if split is None and seed != 0:
        return seed, selection, f" (seed {seed}, no named split)"
    split = split or "eval"
    try:
        if seed != 0 and seed != split_seed(split):
            raise typer.BadParameter("a split fixes its own data seed: give --split or --seed", param_hint="--seed")
        chosen = select(split_tasks(split), selection)
    except ValueError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    ids = [] if split == "eval" and not selection else [task.id for task in chosen]
    return split_seed(split), ids, f" (split {split})"


def _adapter(
    suite: Suite,
    tasks: Path | None,
    seed: int,
    judge_url: str | None,
    judge_model: str | None,
    judge_key: str | None,
    oracle: bool,
    judge_variant: str | None = None,
    selection: list[str] | None = None,
    viewport: tuple[int, int] = TRAINING_WINDOW,
) -> SuiteAdapter:
    from eval.suites.adapters import JudgedSuite, MiniWobSuite, SandboxSuite

    if judge_variant is not None and suite in ("sandbox", "miniwob"):
        raise typer.BadParameter(f"{suite} is scored without a judge", param_hint="--judge-variant")
    if suite == "sandbox":
        try:
            return SandboxSuite(seed=seed, selection=selection or [], oracle=oracle, viewport=viewport)
        except ValueError as error:  # a name that matches no task, or a seed whose data cannot give the suite
            console.print(f"[red]{escape(str(error))}[/red]")
            raise typer.Exit(2) from None
    if suite == "miniwob":
        return MiniWobSuite(seeds=(seed,))
    if suite == "webtailbench" and tasks is None:
        raise typer.BadParameter("webtailbench needs --tasks PATH (the WebTailBench TSV)", param_hint="--tasks")
    if not (judge_url and judge_model):
        raise typer.BadParameter(f"{suite} is scored by a judge model: give --judge-url and --judge-model")
    from eval.judges.variants import build_judge
    from eval.suites.om2w import load_om2w
    from eval.suites.refusals import load_refusals, sample_refusals
    from eval.suites.webtailbench import load_webtailbench
    from eval.suites.webvoyager import load_webvoyager
    from eval.tasks import TaskFileError

    try:
        judge = build_judge(suite, judge_variant, judge_url, judge_model, judge_key)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--judge-variant") from None
    try:
        match suite:
            case "webvoyager":
                loaded = load_webvoyager()
            case "om2w":
                loaded = load_om2w()
            case "webtailbench":
                assert tasks is not None  # checked before the judge was built
                loaded = load_webtailbench(tasks)
            case "refusals":
                loaded = load_refusals(tasks) if tasks else sample_refusals()
    except TaskFileError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    return JudgedSuite(suite, loaded, judge, refusal_suite=suite == "refusals")


@app.command()
def report(
    folders: Annotated[list[Path], typer.Argument(help="Results folders of `farol eval run`; several are compared.")],
    out: Annotated[Path | None, typer.Option(help="HTML file [default: FOLDER/report.html].")] = None,
) -> None:
    """Write one HTML report: success per category and run, budgets, compliance, trajectories."""
    from eval.report import build_report

    output = out or folders[0] / "report.html"
    try:
        build_report(folders, output)
    except ValueError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Report: {output}")


POLICIES = ("model", "oracle", "random")
OfflineKind = Literal["steps", "grounding"]
OFFLINE_SPLIT_HELP = "A named split to score; repeat for several (sandbox/splits.py) [default: eval]."


def _offline(
    kind: OfflineKind,
    splits: list[str] | None,
    tasks: str | None,
    limit: int | None,
    out: Path,
    policy: str,
    seed: int,
    model_url: str,
    model: str,
    api_key: str | None,
    model_path: Path | None,
    device: str,
    concurrency: int,
    viewport: tuple[int, int],
) -> None:
    """`eval steps` and `eval grounding`: choose the tasks and the policy, score, print the headline numbers."""
    from agent.cli import in_process_policy
    from agent.policy import ModelUnavailable, OpenAIPolicy, endpoint_reachable, vllm_hint
    from eval.calibration import RandomClicker
    from eval.grounding import run_grounding
    from eval.offline import choose
    from eval.steps import run_steps
    from sandbox.oracle import NAME as ORACLE_NAME

    if policy not in POLICIES:
        raise typer.BadParameter(f"choose one of {', '.join(POLICIES)}", param_hint="--policy")
    try:
        chosen = choose(splits or ["eval"], tasks.split(",") if tasks else [], limit)
    except ValueError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    if policy == "model" and model_path is None and not endpoint_reachable(model_url, api_key):
        console.print(f"[red]Cannot reach the model at {escape(model_url)}; {vllm_hint(model_url, model)}[/red]")
        raise typer.Exit(2)
    chosen_policy: Policy | None = None
    if policy == "random":
        chosen_policy = RandomClicker(seed)
    elif policy == "model":
        chosen_policy = in_process_policy(model_path, device) if model_path else OpenAIPolicy(model_url, model, api_key)
    label = ORACLE_NAME if chosen_policy is None else str(model_path) if model_path else chosen_policy.name
    run = run_steps if kind == "steps" else run_grounding

    async def go() -> dict[str, Any]:
        try:
            return await run(chosen, out, chosen_policy, label, concurrency=concurrency, viewport=viewport)
        finally:
            if chosen_policy is not None:
                await chosen_policy.close()

    try:
        data = asyncio.run(go())
    except ValueError as error:  # a results folder of another model
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    except ModelUnavailable as error:  # what was scored is kept: the same command goes on from there
        console.print(f"[red]{escape(str(error))}[/red]\nThe tasks scored so far are in {out}; run again to go on.")
        raise typer.Exit(1) from None
    failed = {ref: task["error"] for ref, task in data["tasks"].items() if "error" in task}
    for ref, why in failed.items():
        console.print(f"[yellow]{ref}: not scored: {escape(why)}[/yellow]")
    summary = data["summary"] or {}
    if kind == "steps" and summary:
        overall = summary["overall"]
        element = overall["element_accuracy"]
        console.print(
            f"{label}: step success rate {overall['step_success_rate']:.1f} %, element accuracy "
            f"{'–' if element is None else f'{element:.1f} %'}, operation F1 {overall['operation_f1']:.1f} %, "
            f"task success rate {overall['success_rate']:.1f} % "
            f"over {overall['tasks']} tasks ({overall['steps']} steps)"
        )
    elif summary:
        kinds = ", ".join(f"{name} {acc['accuracy']:.1f} %" for name, acc in summary["by_kind"].items())
        overall = summary["overall"]
        console.print(f"{label}: grounding accuracy {overall['accuracy']:.1f} % of {overall['samples']} ({kinds})")
    console.print(f"Results in {out}; `farol eval report {out}` makes the report.")
    raise typer.Exit(1 if failed else 0)


def _offline_command(kind: OfflineKind, doc: str) -> Callable[..., None]:
    def command(
        out: Annotated[Path, typer.Option(help="Results folder (resumable: scored tasks are skipped).")],
        split: Annotated[list[str] | None, typer.Option(help=OFFLINE_SPLIT_HELP)] = None,
        tasks: Annotated[
            str | None, typer.Option(help="Task ids, id prefixes or categories, comma-separated [default: all].")
        ] = None,
        limit: Annotated[int | None, typer.Option(min=1, help="Only the first N tasks of each split.")] = None,
        policy: Annotated[
            str,
            typer.Option(help="model (--model-url or --model-path), oracle (must score 100 %), random (near 0)."),
        ] = "model",
        seed: Annotated[int, typer.Option(help="--policy random: its seed.")] = 0,
        model_url: ModelUrl = DEFAULT_MODEL_URL,
        model: ModelName = DEFAULT_MODEL,
        api_key: ApiKey = None,
        model_path: ModelPath = None,
        device: Device = "auto",
        concurrency: Concurrency = 2,
        viewport: Viewport = None,
    ) -> None:
        size = parse_viewport(viewport)
        _offline(
            kind,
            split,
            tasks,
            limit,
            out,
            policy,
            seed,
            model_url,
            model,
            api_key,
            model_path,
            device,
            concurrency,
            size,
        )

    command.__doc__ = doc
    return command


app.command("steps")(
    _offline_command(
        "steps",
        "Score a policy step by step on the oracle's replays (Mind2Web: element accuracy, operation F1, step and "
        "task success) into OUT/steps.json.",
    )
)
app.command("grounding")(
    _offline_command(
        "grounding",
        "Score a policy's grounding (ScreenSpot: the point inside the named element, by text, icon, input) on the "
        "split's pages into OUT/grounding.json.",
    )
)
