"""`farol collector`: run a collector of shared sessions, and look after it (contributors, list, stats, export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.markup import escape
from rich.table import Table

from agent.cli import console, errors
from agent.export import export_webeval
from agent.store import default_db_path
from bridge.collector import DEFAULT_MAX_UPLOAD_MB, Collector, create_collector_app
from bridge.pairing import is_loopback_host

DEFAULT_PORT = 8780

app = typer.Typer(
    help="Collect the sessions people share: serve, add contributors, list, stats, export.", no_args_is_help=True
)

CollectorDb = Annotated[
    Path | None,
    typer.Option(
        envvar="FAROL_COLLECTOR_DB",
        help="The collector's store [default: collector/collector.db in the data folder].",
        show_default=False,
    ),
]
ContributorName = Annotated[str | None, typer.Option("--contributor", help="Only this contributor's sessions.")]


def _open(db: Path | None) -> Collector:
    return Collector(db or default_db_path().parent / "collector" / "collector.db")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (a reverse proxy in front adds TLS).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = DEFAULT_PORT,
    db: CollectorDb = None,
    max_upload_mb: Annotated[int, typer.Option(min=1, help="Largest upload taken, in MiB.")] = DEFAULT_MAX_UPLOAD_MB,
) -> None:
    """Receive shared sessions from contributors into a store that `farol train build-data --db` reads."""
    collector = _open(db)
    collector.remove_partial()
    console.print(f"[bold]Farol collector[/bold] on http://{host}:{port}, storing into {collector.store.path}")
    if not is_loopback_host(host):
        console.print(
            "[yellow]Contributors send their key with every upload: put this behind a reverse proxy with TLS "
            "(https); they refuse plain http to another machine.[/yellow]"
        )
    uvicorn.run(create_collector_app(collector, max_upload_mb * 1024 * 1024), host=host, port=port, log_level="info")


@app.command("add-contributor")
def add_contributor(
    name: Annotated[str, typer.Argument(help="Who contributes (kept with each session they send).")],
    new_key: Annotated[bool, typer.Option(help="Replace an existing contributor's key (the old one stops).")] = False,
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


@app.command("list")
def list_sessions(contributor: ContributorName = None, db: CollectorDb = None) -> None:
    """The sessions received, newest first."""
    table = Table("id", "contributor", "received", "status", "steps", "task")
    for row in _open(db).contributed(contributor):
        table.add_row(
            row["id"],
            escape(row["contributor"]),
            row["received_at"][:19],
            row["status"],
            str(row["steps"]),
            escape(row["task"][:60]),
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
    """Export the sessions received, in the webeval layout (`farol sessions export` writes the same)."""
    collector = _open(db)
    rows = collector.contributed(contributor)
    for row in rows:
        export_webeval(collector.store, collector.store.load(row["id"]), out / row["id"])
    console.print(f"Exported {len(rows)} session(s) to {out}.")
