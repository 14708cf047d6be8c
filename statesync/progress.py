"""Progress bars for long plans and applies, only where a person is watching.

A bar (rich: counts, rate, time left) is drawn on stderr when stderr is a terminal;
never when it is not (CI logs, pipes), nor when ``NO_COLOR`` or ``CI`` is set.
"""

from __future__ import annotations

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
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(description, total=total)
            yield lambda count: progress.advance(task, count)

    return bar
