"""`statesync emulator`: serve both APIs until SIGINT or SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import click

from statesync.emulator.seed import SeedError, load_seed_file
from statesync.emulator.server import start_emulator


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", default=8790, show_default=True, type=int, help="0 picks a free port."
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file that keeps pages and posts across restarts (default: in memory).",
)
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML seed: users, tokens, pages, media and posts.",
)
@click.option("--access-log", is_flag=True, help="Log every request to stderr.")
def emulator_command(
    host: str, port: int, state: Path | None, seed_file: Path | None, access_log: bool
) -> None:
    """Run the local Graph API and OneAll emulator."""
    seed: dict[str, Any] | None = None
    if seed_file is not None:
        try:
            seed = load_seed_file(seed_file)
        except SeedError as exc:
            raise click.ClickException(str(exc)) from exc
    if access_log:
        # stdout carries the ready line alone; logs go to stderr.
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        for name in ("uvicorn.access", "uvicorn.error"):
            log = logging.getLogger(name)
            log.addHandler(handler)
            log.setLevel(logging.INFO)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        emulator = start_emulator(
            seed=seed, state=state, host=host, port=port, access_log=access_log
        )
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc
    click.echo(f"statesync emulator listening on {emulator.url}")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
