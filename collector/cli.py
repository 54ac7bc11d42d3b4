"""`farol collector`: run a collector of shared sessions, and look after it (contributors, list, stats, export,
deletions)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.markup import escape
from rich.table import Table

from agent.contribution import is_session_id
from agent.export import export_webeval
from agent.gate import is_loopback_host
from agent.store import default_db_path
from agent.terminal import console, errors, printable
from collector.app import DEFAULT_MAX_UPLOAD_MB, DEFAULT_UPLOADS_AT_ONCE, Limits, create_collector_app
from collector.collector import DEFAULT_QUOTA_MB, DEFAULT_QUOTA_SESSIONS, MB, Collector, Quota

DEFAULT_PORT = 8780

app = typer.Typer(
    help="Collect the sessions people share: serve, contributors (add, revoke), list, stats, export, delete, prune.",
    no_args_is_help=True,
)

CollectorDb = Annotated[
    Path | None,
    typer.Option(
        envvar="FAROL_COLLECTOR_DB",
        help="The collector's store.",
        show_default="collector/collector.db in the data folder",
    ),
]
ContributorName = Annotated[str | None, typer.Option("--contributor", help="Only this contributor's sessions.")]


def _table_with_ids(id_column: str, *columns: str) -> Table:
    """A table whose first column holds session ids, always whole (other columns wrap first)."""
    table = Table()
    table.add_column(id_column, no_wrap=True, min_width=32)
    for column in columns:
        table.add_column(column)
    return table


def _open(db: Path | None) -> Collector:
    return Collector(db or default_db_path().parent / "collector" / "collector.db")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (a reverse proxy in front adds TLS).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = DEFAULT_PORT,
    db: CollectorDb = None,
    max_upload_mb: Annotated[int, typer.Option(min=1, help="Largest upload taken, in MiB.")] = DEFAULT_MAX_UPLOAD_MB,
    uploads_at_once: Annotated[
        int, typer.Option(min=1, help="Uploads taken at the same time; more are asked to retry.")
    ] = DEFAULT_UPLOADS_AT_ONCE,
    quota_sessions: Annotated[
        int, typer.Option(min=1, help="Sessions one contributor may keep here.")
    ] = DEFAULT_QUOTA_SESSIONS,
    quota_mb: Annotated[
        int, typer.Option(min=1, help="MiB of uploads one contributor may keep here.")
    ] = DEFAULT_QUOTA_MB,
    retention_days: Annotated[
        int | None,
        typer.Option(
            min=1, help="Delete sessions received longer ago than this (checked hourly).", show_default="keep them"
        ),
    ] = None,
) -> None:
    """Receive shared sessions from contributors into a store that `farol train build-data --db` reads."""
    collector = _open(db)
    collector.tidy()
    limits = Limits(
        max_body=max_upload_mb * MB,
        at_once=uploads_at_once,
        quota=Quota(sessions=quota_sessions, bytes=quota_mb * MB),
        retention=timedelta(days=retention_days) if retention_days else None,
    )
    console.print(f"[bold]Farol collector[/bold] on http://{host}:{port}, storing into {collector.store.path}")
    if not is_loopback_host(host):
        console.print(
            "[yellow]Contributors send their key with every upload: put this behind a reverse proxy with TLS "
            "(https); they refuse plain http to another machine.[/yellow]"
        )
    uvicorn.run(create_collector_app(collector, limits), host=host, port=port, log_level="info")


@app.command("add-contributor")
def add_contributor(
    name: Annotated[str, typer.Argument(help="Who contributes (kept with each session they send).")],
    new_key: Annotated[
        bool, typer.Option(help="Replace a contributor's key, revoked or not (the old one stops).")
    ] = False,
    db: CollectorDb = None,
) -> None:
    """Add a contributor and print their key, once: only its hash is kept."""
    try:
        key = _open(db).add_contributor(name, new_key=new_key)
    except ValueError as error:
        errors.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Key for {escape(name)} (shown only now; give it to them for `farol sessions upload --key`):")
    console.print(key)


@app.command()
def revoke(
    name: Annotated[str, typer.Argument(help="The contributor whose key stops working.")], db: CollectorDb = None
) -> None:
    """Refuse a contributor's key from now on (their sessions stay: `delete --contributor` removes them)."""
    try:
        _open(db).revoke(name)
    except ValueError as error:
        errors.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    console.print(
        f"{escape(name)}'s key is refused from now on; `add-contributor {escape(name)} --new-key` issues one."
    )


@app.command("list")
def list_sessions(contributor: ContributorName = None, db: CollectorDb = None) -> None:
    """The sessions received, newest first."""
    table = _table_with_ids("id", "contributor", "received", "status", "steps", "task")
    for row in _open(db).contributed(contributor):
        table.add_row(
            printable(row["id"]),
            printable(row["contributor"]),
            row["received_at"][:19],
            printable(row["status"]),
            str(row["steps"]),
            printable(row["task"][:60]),
        )
    console.print(table)


@app.command()
def stats(db: CollectorDb = None) -> None:
    """Sessions, steps and deletions per contributor; screenshot files on disk."""
    summary = _open(db).stats()
    table = Table("contributor", "sessions", "steps", "deleted")
    for name, counts in summary["contributors"].items():
        table.add_row(escape(name), str(counts["sessions"]), str(counts["steps"]), str(counts["deleted"]))
    console.print(table)
    console.print(
        f"{summary['sessions']} session(s), {summary['steps']} step(s), {summary['screenshots']} screenshot file(s) "
        f"({summary['screenshot_bytes'] / 1e6:.1f} MB)"
    )


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="Folder to write one sub-folder per session into.")],
    contributor: ContributorName = None,
    db: CollectorDb = None,
) -> None:
    """Export the sessions received, in the webeval layout (`farol sessions export` writes the same). Deleting a
    session later removes its export too."""
    collector = _open(db)
    rows = collector.contributed(contributor)
    exported = 0
    for row in rows:
        if not is_session_id(row["id"]):  # only a session id may name a folder: nothing is written outside `out`
            errors.print(f"[yellow]Skipped {printable(row['id'])!r}: not a session id.[/yellow]")
            continue
        folder = out / row["id"]
        export_webeval(collector.store, collector.store.load(row["id"]), folder)
        collector.ledger.add_export(row["id"], folder)
        exported += 1
    console.print(f"Exported {exported} session(s) to {escape(str(out))}.")


@app.command()
def delete(
    contributor: Annotated[str, typer.Option("--contributor", help="Whose sessions to delete.")],
    reason: Annotated[
        str, typer.Option(help="Why, for the deletion log.")
    ] = "asked by the people who run the collector",
    db: CollectorDb = None,
) -> None:
    """Delete every session a contributor sent, the screenshot files no other session uses, and their exports."""
    removed = _open(db).delete_contributor(contributor, reason)
    console.print(f"Deleted {removed} session(s) {escape(contributor)} sent.")


@app.command()
def prune(
    days: Annotated[int, typer.Option(min=1, help="Delete sessions received longer ago than this many days.")],
    db: CollectorDb = None,
) -> None:
    """Delete the sessions past a retention period now (`serve --retention-days` does it while it serves)."""
    removed = _open(db).prune(timedelta(days=days))
    console.print(f"Deleted {removed} session(s) received more than {days} day(s) ago.")


@app.command()
def deletions(db: CollectorDb = None) -> None:
    """The deletion log, newest first: what was removed, by whom, and why."""
    table = _table_with_ids("session", "when", "by", "contributor", "removed", "reason")
    for row in _open(db).ledger.deletions():
        table.add_row(
            printable(row["trajectory_id"] or ""),
            row["requested_at"][:19],
            printable(row["by"] or ""),
            printable(row["contributor"] or ""),
            "yes" if row["removed"] else "no",
            printable(row["reason"] or ""),
        )
    console.print(table)
