"""Progress bars for long plans and applies, only where a person is watching.

A bar (rich: counts, rate, time left) is drawn on stderr when stderr is a terminal;
never when it is not (CI logs, pipes), nor when ``NO_COLOR`` or ``CI`` is set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import TextIO

Advance = Callable[[int], None]
# (description, total) -> a context that yields the function advancing the bar.
ProgressFactory = Callable[[str, int], AbstractContextManager[Advance]]


def wants_progress(stream: TextIO, environ: Mapping[str, str]) -> bool:
    if environ.get("NO_COLOR") or environ.get("CI"):
        return False
    return stream.isatty()


def wants_color(
    stream: TextIO, environ: Mapping[str, str], *, no_color: bool = False
) -> bool:
    """``--no-color``, then NO_COLOR (no-color.org), then FORCE_COLOR (force-color.org:
    any non-empty value colours even a pipe, as CI logs that render ANSI want), then
    whether ``stream`` is a terminal."""
    if no_color or environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


@contextmanager
def no_progress(description: str, total: int) -> Iterator[Advance]:
    yield lambda count: None


def terminal_progress(stream: TextIO) -> ProgressFactory:
    """A factory of rich progress bars on ``stream``, cleared when done."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "-/s")

    @contextmanager
    def bar(description: str, total: int) -> Iterator[Advance]:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeRemainingColumn(),
        )
        console = Console(file=stream)
        # Lines printed with print() while the bar is drawn go above it (rich's
        # FileProxy), never glued to it; stdout only when it is this same terminal,
        # or a piped stdout would end up on the terminal.
        with Progress(
            *columns,
            console=console,
            transient=True,
            redirect_stdout=_same_terminal(sys.stdout, stream),
            redirect_stderr=_same_terminal(sys.stderr, stream),
        ) as progress:
            task = progress.add_task(description, total=total)
            yield lambda count: progress.advance(task, count)

    return bar


def _same_terminal(one: TextIO, other: TextIO) -> bool:
    """Both streams are the terminal the bar is drawn on (same device)."""
    try:
        if not (one.isatty() and other.isatty()):
            return False
        return os.path.samestat(os.fstat(one.fileno()), os.fstat(other.fileno()))
    except (OSError, ValueError):  # closed, or a stream with no file descriptor
        return False
