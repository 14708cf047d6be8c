"""Atomic file replacement: a reader, or a crash at any instant, sees the old file or
the new one, never a mix.

The temp file lives beside the target (``.{name}.{random}.tmp``) so that the rename
stays on one file system; a process killed between creating and renaming it leaves
such a file behind, which ``remove_stray_temps`` deletes under the apply lock.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

# writev takes at most IOV_MAX buffers per call (1024 on Linux and macOS).
_IOV_MAX = os.sysconf("SC_IOV_MAX") if hasattr(os, "sysconf") else 1024


def write_atomically(path: Path, data: str | Sequence[bytes]) -> None:
    """Temp file, fsync, rename, fsync the directory. Raises ``OSError`` as the OS
    does (a full disk, a file-size limit, a read-only directory); the target is then
    untouched and no temp file stays behind.

    ``data`` is text, or the file's bytes in pieces, written as they are (writev):
    a large file cached in parts is never joined into one copy first."""
    chunks = [data.encode("utf-8")] if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            _write_all(fd, chunks)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _write_all(fd: int, chunks: Sequence[bytes]) -> None:
    """writev until every byte is written: a short write (the disk filling up) is
    continued, and its error, if any, raised by the next call."""
    pending = [memoryview(chunk) for chunk in chunks if chunk]
    while pending:
        written = os.writev(fd, pending[:_IOV_MAX])
        while written and pending:
            first = pending[0]
            if written >= len(first):
                written -= len(first)
                pending.pop(0)
            else:
                pending[0] = first[written:]
                written = 0


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_stray_temps(path: Path) -> None:
    """Delete the temp files of writes to ``path`` that a killed process left.
    Only safe while holding the apply lock: a running apply's temp file is live."""
    for stray in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stray.unlink()


def os_reason(error: OSError) -> str:
    """What the OS said, in words, without the path (the caller names the file)."""
    return error.strerror or type(error).__name__
