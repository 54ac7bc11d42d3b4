"""`farol`: one command, a subcommand per job. The agent core owns `farol run`."""

from __future__ import annotations

import asyncio
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel

from agent import __version__
from agent.approval import ApprovalRequest, Approver, Decision, deny_all
from agent.environment import BrowserError
from agent.export import export_webeval
from agent.guard import UrlPolicy
from agent.loop import Agent
from agent.options import ApiKey, Db, Device, MaxSteps, ModelName, ModelPath, ModelUrl, Settle, Viewport, parse_viewport
from agent.playwright_env import PlaywrightEnv
from agent.policy import DEFAULT_MODEL, DEFAULT_MODEL_URL, OpenAIPolicy, Policy
from agent.recorder import StoreRecorder
from agent.settle import SettleRule
from agent.store import Store
from agent.terminal import StepPrinter, console, errors
from agent.trajectory import Provenance, Trajectory

app = typer.Typer(
    help="Delegate web tasks to Fara-7B.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
EXIT_SUCCESS, EXIT_FAILURE, EXIT_ERROR, EXIT_CANCELLED = 0, 1, 2, 130


@app.callback()
def farol(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Farol: Fara-7B in your own browser."""
    if version:
        console.print(f"farol {__version__}")
        raise typer.Exit()


async def ask_in_terminal(request: ApprovalRequest) -> Decision:
    return await ask_person(request.reason, request.step.thoughts)


async def ask_person(reason: str, thoughts: str) -> Decision:
    """Show what needs approval and read the person's decision: yes, no, or a reply for the model."""
    console.print(Panel(escape(f"{reason}\n\n{thoughts}"), title="Approval needed", border_style="yellow"))
    answer = (await asyncio.to_thread(input, "Approve? [y]es / [n]o / type a reply: ")).strip()
    if answer.lower() in {"y", "yes"}:
        return Decision("approve")
    if answer.lower() in {"", "n", "no"}:
        return Decision("deny")
    return Decision("reply", answer)


@app.command()
def run(
    task: Annotated[str, typer.Argument(help="What to do, as you would ask a person.")],
    start_url: Annotated[str, typer.Option("--start-url", help="Page to start on.")],
    model_url: ModelUrl = DEFAULT_MODEL_URL,
    model: ModelName = DEFAULT_MODEL,
    api_key: ApiKey = None,
    viewport: Viewport = None,
    max_steps: MaxSteps = 100,
    out: Annotated[Path | None, typer.Option(help="Also export the run to this folder (webeval layout).")] = None,
    db: Db = None,
    settle: Settle = "smart",
    allow: Annotated[
        list[str] | None, typer.Option("--allow-host", help="Only act on these hosts (wildcards allowed).")
    ] = None,
    deny: Annotated[list[str] | None, typer.Option("--deny-host", help="Never act on these hosts.")] = None,
    model_path: ModelPath = None,
    device: Device = "auto",
    no_ask: Annotated[
        bool,
        typer.Option(
            "--no-ask",
            help="Ask nothing: stop at a critical point and report it (as the reference); refuse guard hits.",
        ),
    ] = False,
) -> None:
    """Run one task in headless Chromium and print the final answer."""
    size = parse_viewport(viewport)
    url_policy = UrlPolicy(allow=tuple(allow or ()), deny=tuple(deny or ()))
    if refusal := url_policy.refusal(start_url):
        errors.print(f"[red]Refusing to start on {escape(start_url)}: {refusal}[/red]")
        raise typer.Exit(EXIT_ERROR)
    store = Store(db)
    policy = (
        in_process_policy(model_path, device)
        if model_path
        else OpenAIPolicy(model_url, model, api_key, retries=3, backoff=0.5)
    )
    try:
        trajectory = asyncio.run(
            _run_task(
                task,
                start_url,
                policy,
                store,
                size,
                max_steps,
                SettleRule(mode=settle),
                url_policy,
                _approver(no_ask),
            )
        )
    except BrowserError as error:  # Chromium did not start, or the start page did not load
        errors.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(EXIT_ERROR) from None
    except KeyboardInterrupt:
        errors.print("[yellow]Cancelled; the steps so far are in the store.[/yellow]")
        raise typer.Exit(EXIT_CANCELLED) from None
    if out is not None:
        export_webeval(store, trajectory, out)
    raise typer.Exit(_report(trajectory, store))


async def _run_task(
    task: str,
    start_url: str,
    policy: Policy,
    store: Store,
    viewport: tuple[int, int],
    max_steps: int,
    settle: SettleRule,
    url_policy: UrlPolicy,
    approver: Approver | None,
) -> Trajectory:
    try:
        env = await PlaywrightEnv.launch(start_url, viewport=viewport, settle=settle, url_policy=url_policy)
    except BrowserError:
        await policy.close()
        raise
    provenance = Provenance(source="cli", model=policy.name, environment="playwright", farol_version=__version__)
    agent = Agent(
        env,
        policy,
        max_steps=max_steps,
        url_policy=url_policy,
        hooks=[StoreRecorder(store), StepPrinter()],
        approver=approver,
        provenance=provenance,
    )
    try:
        return await agent.run(task, start_url)
    finally:
        await env.close()
        await policy.close()


def in_process_policy(model_path: Path, device: str = "auto") -> Policy:
    """A checkpoint run in this process with transformers (no model server) on `device`; a clear error if it is
    not a checkpoint or the device does not exist."""
    if not (model_path / "config.json").exists():
        raise typer.BadParameter(f"{model_path} has no config.json: not a model checkpoint", param_hint="--model-path")
    from agent.hf_policy import TransformersPolicy, resolve_device  # torch loads only when it is needed

    try:
        device = resolve_device(device)
    except (RuntimeError, ValueError) as error:
        raise typer.BadParameter(str(error), param_hint="--device") from None
    return TransformersPolicy(model_path, device=device)


def _approver(no_ask: bool) -> Approver | None:
    """Who answers approvals: the person at the terminal; without one, nobody may approve (all refused)."""
    if no_ask:
        return None
    return ask_in_terminal if sys.stdin.isatty() else deny_all


def _report(trajectory: Trajectory, store: Store) -> int:
    console.print(f"[dim]Saved as {trajectory.id} in {store.path}[/dim]")
    if trajectory.status == "error":
        errors.print(f"[red]Error: {escape(trajectory.reason or 'unknown')}[/red]")
        return EXIT_ERROR
    if trajectory.final_answer is not None:
        console.print(Panel(escape(trajectory.final_answer), title=f"Final answer ({trajectory.terminate_status})"))
    if trajectory.status != "awaiting_user":
        console.print(f"[yellow]Stopped: {escape(trajectory.reason or '')}[/yellow]")
    return EXIT_SUCCESS if trajectory.succeeded else EXIT_FAILURE


def _add_package_commands() -> None:
    """Each package owns its subcommands and declares them under the `farol.commands` entry points:
    a Typer app becomes a command group (`farol eval ...`), a function a single command (`farol serve`).
    The agent core thus never imports the packages built on it."""
    for entry in sorted(entry_points(group="farol.commands"), key=lambda e: e.name):
        command = entry.load()
        if isinstance(command, typer.Typer):
            app.add_typer(command, name=entry.name)
        else:
            app.command(entry.name)(command)


def main() -> None:
    # Warnings (a browser recovered, a retried attempt) go to stderr as one line each, before any error.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    _add_package_commands()
    app()
