from __future__ import annotations

import io

import pytest

from statesync.progress import no_progress, terminal_progress, wants_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "environ", "expected"),
    [
        (Terminal(), {}, True),
        (io.StringIO(), {}, False),  # a pipe or a CI log
        (Terminal(), {"NO_COLOR": "1"}, False),
        (Terminal(), {"CI": "true"}, False),
    ],
)
def test_bars_only_where_a_person_is_watching(stream, environ, expected) -> None:
    assert wants_progress(stream, environ) is expected


def test_a_terminal_bar_counts_and_clears_itself() -> None:
    terminal = Terminal()
    with terminal_progress(terminal)("Reading live posts", 120) as advance:
        advance(50)
        advance(70)
    drawn = terminal.getvalue()
    assert "Reading live posts" in drawn
    assert "120/120" in drawn


def test_no_progress_draws_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    advanced = []
    with no_progress("Applying", 3) as advance:
        advanced.append(advance(3))
    assert advanced == [None]  # callable like a bar's advance...
    assert capfd.readouterr() == ("", "")  # ...and nothing reaches either stream
