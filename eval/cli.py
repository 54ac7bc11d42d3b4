"""`farol eval`: evaluation suites, the offline sandbox web, reports."""

from __future__ import annotations

import typer

app = typer.Typer(help="Evaluate Fara-7B: the offline sandbox web, benchmark suites, reports.", no_args_is_help=True)
