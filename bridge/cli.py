"""`farol serve`, `farol browser` and `farol sessions`: the bridge's commands."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from playwright.async_api import async_playwright
from rich.markup import escape
from rich.table import Table

from agent.approval import Decision
from agent.cli import ask_person
from agent.contribution import share_preview
from agent.export import export_webeval
from agent.gate import is_loopback_host
from agent.options import ApiKey, Db, ModelName, ModelUrl, Settle
from agent.policy import DEFAULT_MODEL, DEFAULT_MODEL_URL, OpenAIPolicy, endpoint_reachable, vllm_hint
from agent.settle import SettleRule
from agent.store import Store, TrajectoryNotFound
from agent.terminal import console, errors, print_step, printable
from agent.trajectory import Trajectory
from bridge.browser import EXTENSION_DIR, TaskRefused, launch_with_extension, pair, run_in_panel
from bridge.model_server import ManagedModelServer, ModelServerUnavailable, ServeOptions, check_machine, local_port
from bridge.pairing import UnsafeToken
from bridge.profiles import persistent_profile, throwaway_profile
from bridge.protocol import ErrorMessage
from bridge.server import bridge_running, build_server, running_bridge
from bridge.sessions import set_consent
from bridge.uploads import KEY_REFUSED, Backoff, KeyRing, Outcome, Uploader, UploadQueue, UploadStatus, collector_url

DEFAULT_PORT = 8765

Port = Annotated[int, typer.Option(help="Bridge port on 127.0.0.1.")]
CollectorUrl = Annotated[
    str | None, typer.Option(envvar="FAROL_COLLECTOR_URL", help="A collector for shared sessions.")
]
CollectorKey = Annotated[
    str | None, typer.Option(envvar="FAROL_COLLECTOR_KEY", help="Your contributor key there (kept in the data folder).")
]


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind; loopback only.")] = "127.0.0.1",
    port: Port = DEFAULT_PORT,
    db: Db = None,
    model_url: ModelUrl = DEFAULT_MODEL_URL,
    model: ModelName = DEFAULT_MODEL,
    api_key: ApiKey = None,
    settle: Settle = "smart",
    serve_model: Annotated[
        str | None,
        typer.Option(
            help="If no model answers at --model-url, run this one (a hub name or a checkpoint folder) with vLLM "
            "here, served as --model.",
            metavar="MODEL_OR_PATH",
        ),
    ] = None,
    max_model_len: Annotated[int, typer.Option(min=15000, help="vLLM context length.")] = 16384,
    gpu_memory_utilization: Annotated[float, typer.Option(min=0.05, max=1.0, help="vLLM's GPU memory share.")] = 0.9,
    tensor_parallel_size: Annotated[int | None, typer.Option(help="GPUs per model [default: all].")] = None,
    dtype: Annotated[str, typer.Option(help="vLLM dtype.")] = "auto",
    vllm_arg: Annotated[list[str] | None, typer.Option(help="Any other `vllm serve` argument (repeatable).")] = None,
    collector_url: CollectorUrl = None,
    collector_key: CollectorKey = None,
) -> None:
    """Start the bridge for the Chrome extension and print the pairing token."""
    if not is_loopback_host(host):
        errors.print(f"[red]Farol binds loopback only (127.0.0.1); {escape(host)} would expose your browser.[/red]")
        raise typer.Exit(2)
    store = Store(db)
    policy = OpenAIPolicy(model_url, model, api_key)
    keys = KeyRing(store.path.parent)
    uploader = Uploader(store, keys, auto=_collector(keys, collector_url, collector_key))
    with _refusing_unsafe_token():
        bridge = build_server(store, policy, port, SettleRule(mode=settle), uploader)
    model_server = None
    if serve_model is not None and not endpoint_reachable(model_url, api_key):
        try:
            options = ServeOptions(
                model=serve_model,
                served_name=model,
                port=local_port(model_url),
                max_model_len=max_model_len,
                dtype=dtype,
                gpu_memory_utilization=gpu_memory_utilization,
                tensor_parallel_size=tensor_parallel_size,
                extra_args=vllm_arg or [],
            )
            check_machine()
        except ModelServerUnavailable as error:
            errors.print(f"[red]Cannot serve the model here: {escape(str(error))}[/red]")
            raise typer.Exit(2) from None
        manager = bridge.manager

        async def notify(text: str) -> None:
            errors.print(f"WARNING: {escape(text)}")
            await manager.link.send(ErrorMessage(message=text))

        model_server = ManagedModelServer(options, store.path.parent / "model-server.log", notify=notify)
    console.print(
        f"[bold]Farol bridge[/bold] on http://127.0.0.1:{port}  (model {escape(model)} at {escape(model_url)})"
    )
    console.print(f"Pairing token: [bold]{bridge.token}[/bold]")
    console.print(
        f"Load the extension once: chrome://extensions -> Developer mode -> Load unpacked -> {EXTENSION_DIR}\n"
        "Then open Farol's side panel (its toolbar icon), paste the token and press Pair."
    )
    if uploader.auto:
        console.print(f"Shared sessions are uploaded to {escape(uploader.auto)}.")
    if model_server is None and not endpoint_reachable(model_url, api_key):
        hint = vllm_hint(model_url, model)
        console.print(f"[yellow]The model does not answer at {escape(model_url)} yet; {hint}[/yellow]")
    # SIGTERM ends the bridge like Ctrl-C does, so the model server it started is stopped with it.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        asyncio.run(_serve(bridge.server, model_server))
    except ModelServerUnavailable as error:
        errors.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


async def _serve(server: uvicorn.Server, model_server: ManagedModelServer | None) -> None:
    """The bridge, and the model server it runs (if any): started, ready, watched, and stopped with it."""
    if model_server is None:
        await server.serve()
        return
    console.print(f"Starting vLLM for {escape(model_server.options.model)}; its log: {model_server.log_path}")
    try:
        model_server.start()
        with console.status("Loading the model...") as status:
            await model_server.wait_ready(
                lambda elapsed, line: status.update(f"Loading the model ({elapsed:.0f} s): {escape(line[-100:])}")
            )
        console.print(f"The model answers at {model_server.url}.")
        watching = asyncio.create_task(model_server.supervise())
        await server.serve()
        watching.cancel()
    finally:
        model_server.stop()


def browser(
    task: Annotated[
        str | None, typer.Option(help="Run this task through the extension, then exit like `farol run`.")
    ] = None,
    start_url: Annotated[str | None, typer.Option(help="Page the task starts on.")] = None,
    model_url: ModelUrl = DEFAULT_MODEL_URL,
    model: ModelName = DEFAULT_MODEL,
    api_key: ApiKey = None,
    port: Port = DEFAULT_PORT,
    db: Db = None,
    headless: Annotated[
        bool | None, typer.Option("--headless/--headed", help="[default: headless with --task]")
    ] = None,
) -> None:
    """Launch Chromium with the extension loaded and paired (starting the bridge if none runs)."""
    if task is not None and start_url is None:
        raise typer.BadParameter("--task needs --start-url", param_hint="--start-url")
    store = Store(db)
    policy = OpenAIPolicy(model_url, model, api_key)
    with _refusing_unsafe_token():
        code = asyncio.run(
            _browser(store, policy, port, task, start_url, headless if headless is not None else task is not None)
        )
    raise typer.Exit(code)


@contextlib.contextmanager
def _refusing_unsafe_token() -> Iterator[None]:
    try:
        yield
    except UnsafeToken as error:
        errors.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None


async def _browser(
    store: Store, policy: OpenAIPolicy, port: int, task: str | None, start_url: str | None, headless: bool
) -> int:
    if bridge_running(port):
        console.print(f"Using the bridge already running on port {port}.")
    async with running_bridge(store, policy, port, SettleRule()) as token, async_playwright() as playwright:
        if task is None:
            context = await launch_with_extension(playwright, persistent_profile(store.path.parent), headless=headless)
            await pair(context, token, port)
            console.print("Chromium is open with Farol paired. Close the browser to stop.")
            await context.wait_for_event("close", timeout=0)
            return 0
        # A task's browser profile holds what was typed during it (session restore): it is removed afterwards.
        with throwaway_profile(store.path.parent) as profile:
            context = await launch_with_extension(playwright, profile, headless=headless)
            try:
                await pair(context, token, port)
                session = await run_in_panel(context, task, start_url or "", _decide, _print_step)
            except TaskRefused as refusal:
                errors.print(f"[red]{escape(str(refusal))}[/red]")
                return 2
            finally:
                with contextlib.suppress(Exception):
                    await context.close()
            return _report(session)


def _print_step(step: dict[str, Any]) -> None:
    """A step as the panel shows it (numbered from 1)."""
    print_step(step["index"] + 1, escape(f"{step['verb']} {step['detail']}".strip()), step["url"], step["thoughts"])


async def _decide(card: dict[str, Any]) -> Decision:
    if sys.stdin.isatty():
        return await ask_person(card["reason"], card["thoughts"])
    console.print(f"[yellow]Approval needed ({escape(card['reason'])}); no terminal to ask, so: denied.[/yellow]")
    return Decision("deny")


def _report(session: dict[str, Any]) -> int:
    if session["status"] == "error":
        errors.print(f"[red]Error: {escape(session.get('reason') or 'unknown')}[/red]")
        return 2
    if session.get("final_answer") is not None:
        console.print(
            f"[bold]Final answer ({session.get('terminate_status')}):[/bold] {escape(session['final_answer'])}"
        )
    if session["status"] != "awaiting_user":
        console.print(f"[yellow]Stopped: {escape(session.get('reason') or '')}[/yellow]")
    return 0 if session["status"] == "awaiting_user" and session.get("terminate_status") == "success" else 1


# -- farol sessions ----------------------------------------------------------------------------

sessions = typer.Typer(
    help="Your recorded sessions: list, show, delete, share, export or upload the shared ones.", no_args_is_help=True
)


@sessions.command("list")
def list_sessions(db: Db = None, limit: Annotated[int, typer.Option(help="Newest N.")] = 50) -> None:
    """List sessions, newest first."""
    store = Store(db)
    uploads = UploadQueue(store).statuses()
    table = Table()
    table.add_column("id", no_wrap=True, min_width=32)  # whole, whatever the terminal's width
    table.add_column("created", overflow="fold")
    table.add_column("status", no_wrap=True, min_width=11)  # "interrupted", never cut short
    table.add_column("steps", no_wrap=True)
    table.add_column("shared", no_wrap=True)
    for column in ("upload", "task"):
        table.add_column(column, overflow="fold")
    for row in store.list(limit=limit):
        table.add_row(
            row["id"],
            row["created_at"][:19],
            row["status"],
            str(row["steps"]),
            "yes" if row["shared"] else "",
            _upload_cell(uploads.get(row["id"])),
            printable(row["task"][:60]),
        )
    console.print(table)


def _upload_cell(upload: UploadStatus | None) -> str:
    """The state, and for a refusal its reason (a refused key says what to do)."""
    if upload is None:
        return ""
    if upload.state == "refused" and upload.error:
        return f"refused: {printable(upload.error)}"
    return upload.state


@sessions.command("show")
def show(session_id: str, db: Db = None) -> None:
    """Print one session's steps and outcome."""
    trajectory = _load(Store(db), session_id)
    console.print(f"[bold]{escape(trajectory.task)}[/bold]  ({trajectory.status}, shared: {trajectory.consent.shared})")
    for step in trajectory.steps:
        action = (
            step.action.action
            if step.action
            else f"parse error: {step.parse_error.kind if step.parse_error else 'no reply'}"
        )
        console.print(
            f"{step.index:>3}  {action:<24} {escape(step.url)}\n     [italic]{escape(step.thoughts[:300])}[/italic]"
        )
    if trajectory.final_answer is not None:
        console.print(f"Final answer: {escape(trajectory.final_answer)}")


@sessions.command("share")
def share(
    session_id: str,
    preview: Annotated[
        bool, typer.Option("--preview", help="Print exactly what sharing would hand over, and change nothing.")
    ] = False,
    db: Db = None,
) -> None:
    """Share a session ("Share this session to help improve Fara"), as the panel's switch does."""
    store = Store(db)
    trajectory = _load(store, session_id)
    if preview:
        console.print_json(json.dumps(share_preview(trajectory, lambda digest: str(store.screenshot_path(digest)))))
        return
    set_consent(store, trajectory, shared=True)
    console.print(f"Shared {session_id}.")


@sessions.command("unshare")
def unshare(session_id: str, db: Db = None) -> None:
    """Take back the share: the session stays on this machine only (and leaves any collector it went to)."""
    store = Store(db)
    set_consent(store, _load(store, session_id), shared=False)
    console.print(f"{session_id} is no longer shared.")
    _follow(store, session_id)


@sessions.command("delete")
def delete(session_id: str, db: Db = None) -> None:
    """Delete a session and its screenshot files (and from any collector it went to)."""
    store = Store(db)
    _load(store, session_id)
    store.delete(session_id)
    console.print(f"Deleted {session_id}.")
    _follow(store, session_id)


def _follow(store: Store, session_id: str) -> None:
    """Send the deletion to each collector that has the session now; what fails stays queued for later."""
    for collector, outcome in asyncio.run(Uploader(store, KeyRing(store.path.parent)).follow(session_id)).items():
        if outcome == "withdrawn":
            console.print(f"Removed from {escape(collector)}.")
        else:
            console.print(f"[yellow]{escape(collector)} has not confirmed the removal yet; {RETRIED}[/yellow]")


RETRIED = "it is retried while `farol serve` runs, and by `farol sessions upload`."


@sessions.command("upload")
def upload(
    session_ids: Annotated[
        list[str] | None, typer.Argument(help="Sessions to upload.", show_default="every shared session")
    ] = None,
    to: CollectorUrl = None,
    key: CollectorKey = None,
    auto: Annotated[
        bool | None,
        typer.Option(
            "--auto/--no-auto",
            help="From now on the bridge uploads the sessions you share there (or stops).",
            show_default="unchanged",
        ),
    ] = None,
    include_earlier: Annotated[
        bool,
        typer.Option(help="With --auto: also upload the sessions shared before, now and by the bridge."),
    ] = False,
    tries: Annotated[int, typer.Option(min=1, help="Tries per session before it is left queued.")] = 4,
    db: Db = None,
) -> None:
    """Upload shared sessions to a collector, exactly as the share preview shows them, and send the deletions
    that un-sharing or deleting uploaded sessions left queued. Without --to: the collector the bridge uploads to,
    or the only one you have a key for."""
    store = Store(db)
    keys = KeyRing(store.path.parent)
    if to is None and keys.auto is None and len(known := keys.known()) == 1:
        to = known[0]  # the one collector this data folder has a key for
    collector = _collector(keys, to, key)
    if collector is None:
        errors.print("[red]Which collector? Pass --to URL (or set FAROL_COLLECTOR_URL).[/red]")
        raise typer.Exit(2)
    if collector in keys.refused():
        errors.print(f"[red]{escape(KEY_REFUSED)}.[/red]")
        raise typer.Exit(1)
    if auto is not None:
        keys.set_auto(collector if auto else None, include_earlier=include_earlier)
    chosen = [_load(store, session_id) for session_id in session_ids or []]
    if unshared := [trajectory.id for trajectory in chosen if not trajectory.consent.shared]:
        errors.print(
            f"[red]Not shared: {', '.join(unshared)}. Only shared sessions are uploaded; share one first with "
            "`farol sessions share ID` (its --preview shows what would leave).[/red]"
        )
        raise typer.Exit(2)
    rows = store.list(shared=True)
    if auto and not include_earlier and not chosen:  # turning automatic uploads on sends nothing shared before
        rows = []
        console.print(
            f"Sessions you share from now on are uploaded to {escape(collector)} by the bridge; those shared "
            "before stay here (--include-earlier sends them, or name them)."
        )
    wanted = {trajectory.id for trajectory in chosen} or {row["id"] for row in rows}
    ended = [row["id"] for row in rows if row["id"] in wanted and row["status"] != "running"]
    if running := sorted(wanted - set(ended)):
        console.print(f"[yellow]Still running, left for later: {', '.join(running)}[/yellow]")
    uploader = Uploader(store, keys, backoff=Backoff(first=1.0, cap=8.0))
    uploader.queue.plan(collector, ended)
    outcomes = asyncio.run(uploader.drain(collector, tries))
    statuses = uploader.queue.statuses()
    for session_id, outcome in sorted(outcomes.items()):
        console.print(
            _outcome_line(session_id, outcome, statuses[session_id].error if session_id in statuses else None)
        )
    if not outcomes:
        console.print(f"Nothing to send to {escape(collector)}: every shared session there is up to date.")
    raise typer.Exit(1 if any(outcome in ("refused", "failed", "waiting") for outcome in outcomes.values()) else 0)


def _outcome_line(session_id: str, outcome: Outcome, error: str | None) -> str:
    said = {
        "uploaded": "uploaded",
        "unchanged": "already there, unchanged",
        "withdrawn": "removed from the collector (un-shared or deleted here)",
        "refused": f"[red]refused: {escape(error or '')}[/red]",
        "failed": f"[yellow]not sent yet ({escape(error or '')}); {RETRIED}[/yellow]",
        "waiting": "[yellow]running again: sent when it ends[/yellow]",
    }
    return f"{session_id}  {said[outcome]}"


def _collector(keys: KeyRing, url: str | None, key: str | None) -> str | None:
    """The collector named (else the data folder's automatic one), its key remembered for later deletions."""
    try:
        collector = collector_url(url) if url else keys.auto
        if collector is None:
            if key:
                raise ValueError("a contributor key needs its collector's URL too")
            return None
        if key:
            keys.remember(collector, key)
        elif keys.key_for(collector) is None:
            raise ValueError(
                f"no contributor key for {collector}: pass --key (or set FAROL_COLLECTOR_KEY); "
                "the people who run the collector give you one"
            )
    except ValueError as error:
        errors.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    return collector


@sessions.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="Folder to write one sub-folder per session into.")],
    consented: Annotated[
        bool, typer.Option("--consented", help="Required: only shared sessions are exported.")
    ] = False,
    db: Db = None,
) -> None:
    """Export the sessions you chose to share, in the webeval layout. Nothing else leaves the database."""
    if not consented:
        errors.print("[red]Only sessions you chose to share can be exported: pass --consented.[/red]")
        raise typer.Exit(2)
    store = Store(db)
    shared = [store.load(row["id"]) for row in store.list(shared=True)]
    for trajectory in shared:
        export_webeval(store, trajectory, out / trajectory.id)
    console.print(f"Exported {len(shared)} shared session(s) to {out}.")


def _load(store: Store, session_id: str) -> Trajectory:
    try:
        return store.load(session_id)
    except TrajectoryNotFound:
        errors.print(f"[red]No session {escape(session_id)}.[/red]")
        raise typer.Exit(2) from None
