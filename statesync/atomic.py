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
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Temp file, fsync, rename, fsync the directory. Raises ``OSError`` as the OS
    does (a full disk, a file-size limit, a read-only directory); the target is then
    untouched and no temp file stays behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


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
