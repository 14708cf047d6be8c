"""What a person sees: an interactive apply under a pseudo-terminal, read back as a
terminal would show it (pyte), keeps its result lines and no fragment of the bar."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import sys
import termios
from pathlib import Path

import httpx
import pyte
import pytest

from tests.e2e.conftest import Project

COLUMNS, LINES = 100, 60
BAR = "━"


def _screen_of(
    argv: list[str], cwd: Path, env: dict[str, str]
) -> tuple[list[str], bytes]:
    """Run ``argv`` on a pseudo-terminal; the final screen's lines and the raw bytes."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdout and stderr are the terminal
        os.chdir(cwd)
        os.execve(argv[0], argv, env)  # noqa: S606 (our own CLI)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    screen = pyte.Screen(COLUMNS, LINES)
    stream = pyte.ByteStream(screen)
    raw = b""
    while select.select([fd], [], [], 60)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        raw += data
        stream.feed(data)
    os.waitpid(pid, 0)
    os.close(fd)
    return [line.rstrip() for line in screen.display if line.strip()], raw


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_an_interactive_apply_prints_results_above_the_bar_never_glued_to_it(
    project: Project, emulator, seed
) -> None:
    posts = "".join(f"  p{i:02}: {{message: Post number {i}.}}\n" for i in range(8))
    project.write("pages/acme.yaml", 'page: "104510075301234"\nposts:\n' + posts)
    httpx.post(f"{emulator.url}/_emulator/latency", json={"ms": 150}).raise_for_status()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CI", "NO_COLOR", "FORCE_COLOR")
    }
    env.update(TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES))
    statesync = str(Path(sys.executable).with_name("statesync"))
    argv = [statesync, "apply", "--auto-approve", "--parallelism", "1", "."]

    lines, raw = _screen_of(argv, project.root, env)

    assert b"Applying" in raw  # a bar was drawn while the apply ran...
    assert not [line for line in lines if BAR in line or "Applying" in line]  # ...gone
    results = [line for line in lines if ": pushed (" in line]
    assert [line.split(":")[0] for line in results] == [
        f"acme/p{i:02}" for i in range(8)
    ]
    assert all(line.endswith(")") for line in results)  # each line whole
    assert lines[-1] == "Apply complete: 8 pushed, 0 updated, 0 replaced, 0 deleted."
