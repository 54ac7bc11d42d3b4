"""The command-line options several `farol` commands take, each declared once with its environment variable.

Each is an `Annotated` type a command gives its parameter (`model_url: ModelUrl = DEFAULT_MODEL_URL`), so the
flag, the `FAROL_*` variable and the help read the same in every command. Options one command alone takes are
declared in that command's module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.fanout import ClusterUnreachable, check_reachable
from agent.geometry import TRAINING_WINDOW, check_window
from agent.settle import SettleMode

ModelUrl = Annotated[str, typer.Option(envvar="FAROL_MODEL_URL", help="The model's OpenAI-compatible base URL.")]
ModelName = Annotated[str, typer.Option(envvar="FAROL_MODEL", help="Model name at that endpoint.")]
ApiKey = Annotated[str | None, typer.Option(envvar="FAROL_API_KEY", help="API key, if the endpoint needs one.")]
Db = Annotated[
    Path | None, typer.Option(envvar="FAROL_DB", help="SQLite store.", show_default="~/.local/share/farol/farol.db")
]
# A checkpoint run in this process instead of a model server (`agent.cli.in_process_policy`).
ModelPath = Annotated[
    Path | None,
    typer.Option(
        help="Run this checkpoint in-process with transformers instead of --model-url (e.g. `farol train sft`'s "
        "output)."
    ),
]
Settle = Annotated[
    SettleMode,
    typer.Option(
        help="After each action: 'smart' (load + quiet network and DOM) or 'fixed' (load + 3 s, as the reference)."
    ),
]
Device = Annotated[
    str,
    typer.Option(help="With --model-path: where it runs (cpu, cuda, cuda:1).", show_default="cuda if any, else cpu"),
]
MaxSteps = Annotated[int, typer.Option(min=1, help="Stop a task after this many steps.")]
Viewport = Annotated[
    str | None,
    typer.Option(
        help="The browser window, WIDTHxHEIGHT: screenshots, the prompt and the model's points are in its pixels.",
        show_default="x".join(map(str, TRAINING_WINDOW)),
    ),
]


def parse_viewport(value: str | None) -> tuple[int, int]:
    """`--viewport`'s WIDTHxHEIGHT (None: the training window), or a usage error that says what is wrong."""
    if value is None:
        return TRAINING_WINDOW
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise typer.BadParameter("use WIDTHxHEIGHT, e.g. 1440x900") from None
    try:
        return check_window(width, height)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _reachable_cluster(address: str | None) -> str | None:
    """`--ray`: a cluster that does not answer is a usage error now, not minutes of Ray's own retries."""
    if address is not None:
        try:
            check_reachable(address)
        except ClusterUnreachable as error:
            raise typer.BadParameter(str(error)) from None
    return address


Ray = Annotated[
    str | None,
    typer.Option(
        "--ray",
        help="Fan out over Ray: a cluster's address (HOST:PORT, ray://HOST:PORT, auto), or `local` for one on this "
        "machine.",
        callback=_reachable_cluster,
    ),
]
