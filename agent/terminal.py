"""What Farol's commands show on a terminal: the two consoles, text others sent made safe to print, a run's steps
as they happen, and the progress bar of a command that runs many jobs (evaluation, offline scores, data
generation). Every command prints through it, so they all look and wrap alike."""

from __future__ import annotations

import re
import sys
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent.loop import Hooks
from agent.trajectory import Step, Trajectory

# Piped or logged, a line stays whole: rich wraps only on a terminal.
console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
errors = Console(stderr=True, highlight=False, soft_wrap=not sys.stderr.isatty())
# C0 and C1 controls and DEL: a sender's text must not move the cursor, recolour or retitle the terminal.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text someone else sent, safe to print: no control characters, no rich markup."""
    return escape(CONTROL_CHARACTERS.sub("", text))


def print_step(number: int, action: str, url: str, thoughts: str = "", note: str | None = None) -> None:
    """One step of a run: its number, what it did (rich markup), where, the model's thoughts and what went wrong."""
    console.print(f"[bold]Step {number}[/bold]  {action}  [dim]{escape(url)}[/dim]")
    if thoughts:
        console.print(f"  [italic]{escape(thoughts[:500])}[/italic]")
    if note:
        console.print(f"  [yellow]{escape(note)}[/yellow]")


class StepPrinter(Hooks):
    """Prints each step of an `Agent` run as it is recorded."""

    async def on_step(self, trajectory: Trajectory, step: Step) -> None:
        if step.action is not None:
            action = escape(step.action.summary())
        elif step.parse_error is not None:
            action = f"[red]unparseable reply ({step.parse_error.kind})[/red]"
        else:
            action = "[red]no reply from the model[/red]"
        note = None
        if step.raw_text is not None and step.result:
            clamped = "the point lay outside the screenshot and was clamped" if step.result.clamped else None
            note = step.result.error or step.result.blocked or clamped
        print_step(step.index, action, step.url, step.thoughts, note)


class ProgressBar:
    """A bar on stderr for many jobs: the label, jobs done of all, a note (a tally, the job just done), the time
    taken. `done`: jobs a run before this one finished (the note then says it resumes). `show=False` shows nothing
    (tests, callers with their own output)."""

    def __init__(self, label: str, total: int, *, done: int = 0, show: bool = True) -> None:
        self._progress = Progress(
            TextColumn(f"[bold]{escape(label)}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}", markup=False),
            TimeElapsedColumn(),
            console=errors,
            disable=not show,
        )
        self._bar = self._progress.add_task(label, total=total, completed=done, note="resuming" if done else "")

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.stop()

    def advance(self, note: str) -> None:
        """One more job done; `note` replaces the note."""
        self._progress.update(self._bar, advance=1, note=note)
