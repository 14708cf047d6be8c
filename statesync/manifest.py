"""Manifests: one YAML file per page, loaded into ``Desired`` or refused with every error.

A manifest names a page and the posts it should carry::

    page: "104510075301234"
    name: Acme Coffee
    posts:
      spring-menu:
        message: Our spring menu is here!
        link: https://acme.example/spring

Validation happens here, before anything touches the network, and reports every problem
of every manifest at once as ``FILE:LINE: message`` (one ``ManifestError``), so that one
edit fixes them all. This module finds the manifests and checks what spans files (a
stem or a page used twice); ``statesync.manifest_check`` checks each file's fields.
"""

from __future__ import annotations

import os
from pathlib import Path

from statesync.errors import ConfigError, Location, ManifestError
from statesync.manifest_check import MAX_MESSAGE_LENGTH, Loaded, ManifestChecker
from statesync.model import Desired, PageManifest
from statesync.targets import LABEL_SEPARATOR, target_of
from statesync.times import DEFAULT_ZONE
from statesync.yamlcheck import Problems, display_path
from statesync.yamlnodes import gc_paused

# MAX_MESSAGE_LENGTH: where callers have always found it (manifest_check checks it)
__all__ = ["MANIFEST_SUFFIXES", "MAX_MESSAGE_LENGTH", "load_desired"]

MANIFEST_SUFFIXES = (".yaml", ".yml")


def load_desired(
    manifests_dir: Path,
    *,
    display_base: Path | None = None,
    media_root: Path | None = None,
    allow_empty: bool = False,
    timezone: str = DEFAULT_ZONE,
) -> Desired:
    """Every manifest in ``manifests_dir``, validated; one in a subfolder is a problem.
    Attached files are relative to ``media_root`` (the project's directory; default:
    the manifests directory's parent); local date-times are read in ``timezone``.
    ``allow_empty``: for import, which writes
    a project's first manifest, an empty directory is no error.

    Raises ``ConfigError`` when the directory is missing or holds no manifest (an
    empty desired state would plan the deletion of every recorded post), and one
    ``ManifestError`` listing every problem of every manifest otherwise.
    """
    files, nested = _manifest_files(manifests_dir, allow_empty=allow_empty)
    base = Path.cwd() if display_base is None else display_base
    folder = display_path(manifests_dir, base)
    problems: Problems = [
        (Location(display_path(path, base), 1), _nested_message(folder))
        for path in nested
    ]
    with gc_paused():
        root = manifests_dir.parent if media_root is None else media_root
        pages = _load_pages(files, base, root, problems, timezone)
    if problems:
        raise ManifestError(problems)
    return Desired(pages=pages)


def _load_pages(
    files: list[Path], base: Path, media_root: Path, problems: Problems, timezone: str
) -> dict[str, PageManifest]:
    pages: dict[str, PageManifest] = {}
    seen: dict[str, Location] = {}  # page id -> its first ``page:``, valid or not
    stems: dict[str, str] = {}
    for path in files:
        display = display_path(path, base)
        if path.stem in stems:
            problems.append(
                (
                    Location(display, 1),
                    f"{stems[path.stem]} has the same stem {path.stem!r}: the posts "
                    f"of both would be addressed {path.stem}/<key>; rename one",
                )
            )
            continue
        stems[path.stem] = display
        if LABEL_SEPARATOR in path.stem:
            problems.append(
                (
                    Location(display, 1),
                    f"a manifest's file name cannot hold {LABEL_SEPARATOR!r}, which "
                    "separates a manifest from its target in addresses; rename it",
                )
            )
            continue
        for loaded in _load_manifest(path, display, media_root, problems, timezone):
            first = seen.get(loaded.page_id)
            if first is not None:
                problems.append(
                    (
                        loaded.location,
                        f"{target_of(loaded.page_id)} is already managed by {first}",
                    )
                )
                continue
            seen[loaded.page_id] = loaded.location
            if loaded.manifest is not None:
                pages[loaded.page_id] = loaded.manifest
    return pages


def _manifest_files(
    manifests_dir: Path, *, allow_empty: bool = False
) -> tuple[list[Path], list[Path]]:
    """The manifests directly in ``manifests_dir``, and those in its subfolders."""
    if not manifests_dir.exists():
        raise ConfigError(
            f"manifests directory {manifests_dir} does not exist: create it with one "
            "YAML file per page, or point 'manifests:' in statesync.yaml at it"
        )
    if not manifests_dir.is_dir():
        raise ConfigError(f"manifests directory {manifests_dir} is not a directory")
    files = sorted(
        path
        for path in manifests_dir.iterdir()
        if _is_manifest_name(path.name) and path.is_file()
    )
    nested = _nested_manifests(manifests_dir)
    if not files and not nested and not allow_empty:
        raise ConfigError(
            f"no manifests in {manifests_dir}: add one YAML file (*.yaml) per page; "
            "statesync refuses an empty directory rather than delete every post"
        )
    return files, nested


def _is_manifest_name(name: str) -> bool:
    """A YAML file, not a hidden one (editor backups and lock files start with ".")."""
    return name.endswith(MANIFEST_SUFFIXES) and not name.startswith(".")


def _nested_manifests(manifests_dir: Path) -> list[Path]:
    """YAML files in subfolders of ``manifests_dir`` (hidden folders aside), sorted.

    They are reported, not read. A manifest's stem is its name everywhere: the first
    half of every address (``<stem>/<key>``, where the "/" is the separator), the
    ``manifest`` of its lockfile page and the ``{manifest}`` of a per-manifest lockfile
    name (where a "/" would be a folder), and what ``--only`` matches as a file name or
    as ``<manifests dir>/<file name>``. A relative stem such as ``brands/acme`` would
    break each of those; silently skipping the file would plan the deletion of every
    post it records. So the file is named, and the user moves it.
    """
    nested: list[Path] = []
    for folder, subfolders, names in os.walk(manifests_dir):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        here = Path(folder)
        if here == manifests_dir:
            continue
        nested.extend(
            here / name
            for name in names
            if _is_manifest_name(name) and (here / name).is_file()
        )
    return sorted(nested)


def _nested_message(folder: str) -> str:
    where = "the manifests directory" if folder == "." else f"{folder}/"
    return (
        "manifests in subfolders are not read: statesync names a manifest by its "
        "file name alone (in addresses, the lockfile and --only); move it up into "
        f"{where}, or out of it if it is not a manifest"
    )


def _load_manifest(
    path: Path, display: str, media_root: Path, problems: Problems, timezone: str
) -> list[Loaded]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append((Location(display, 1), f"cannot read: {exc.strerror}"))
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append((Location(display, line), "not UTF-8 text"))
        return []
    checker = ManifestChecker(
        display, problems, media_root=media_root, timezone=timezone
    )
    return checker.manifest(text, path.stem)
