"""Manifests in subfolders of the manifests directory are reported, never ignored.

A file there used to be skipped without a word: moving ``acme.yaml`` into ``brands/``
then planned the deletion of every post it records. See ``_nested_manifests`` for why
such a file is reported rather than read as ``brands/acme``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from statesync.errors import ConfigError, ManifestError
from statesync.manifest import load_desired

VALID = 'page: "1"\nposts:\n  a: {message: Hi}\n'
NESTED = (
    "manifests in subfolders are not read: statesync names a manifest by its file "
    "name alone (in addresses, the lockfile and --only); move it up into {where}, or "
    "out of it if it is not a manifest"
)


def write(path: Path, text: str = VALID) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def problems(pages: Path, base: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_desired(pages, display_base=base)
    return str(caught.value).splitlines()


def test_a_manifest_in_a_subfolder_is_a_problem_naming_its_file(
    tmp_path: Path,
) -> None:
    pages = tmp_path / "pages"
    write(pages / "acme.yaml")
    write(pages / "brands" / "beta.yaml", 'page: "2"\nposts: {}\n')
    assert problems(pages, tmp_path) == [
        "pages/brands/beta.yaml:1: " + NESTED.format(where="pages/")
    ]


def test_seen_from_the_manifests_directory_it_says_so_in_words(tmp_path: Path) -> None:
    write(tmp_path / "acme.yaml")
    write(tmp_path / "brands" / "beta.yml")
    assert problems(tmp_path, tmp_path) == [
        "brands/beta.yml:1: " + NESTED.format(where="the manifests directory")
    ]


def test_every_depth_is_reported_with_the_other_problems_sorted(
    tmp_path: Path,
) -> None:
    write(tmp_path / "a" / "b" / "c.yaml")
    write(tmp_path / "a" / "z.yaml")
    write(tmp_path / "bad.yaml", 'page: "1"\nposts: []\n')
    nested = NESTED.format(where="the manifests directory")
    assert problems(tmp_path, tmp_path) == [
        f"a/b/c.yaml:1: {nested}",
        f"a/z.yaml:1: {nested}",
        "bad.yaml:2: posts must be a mapping from post keys to posts (write "
        "'posts: {}' for none), got a list",
    ]


def test_only_subfolder_manifests_is_not_called_empty(tmp_path: Path) -> None:
    """Saying "no manifests" would send the user looking in the wrong place."""
    write(tmp_path / "brands" / "acme.yaml")
    assert problems(tmp_path, tmp_path) == [
        "brands/acme.yaml:1: " + NESTED.format(where="the manifests directory")
    ]


def test_hidden_folders_and_other_files_in_subfolders_are_left_alone(
    tmp_path: Path,
) -> None:
    write(tmp_path / "acme.yaml")
    write(tmp_path / ".git" / "config.yaml", "not: a manifest")
    write(tmp_path / ".github" / "workflows" / "plan.yml", "on: push")
    write(tmp_path / "media" / "photo.jpg", "jpeg")
    write(tmp_path / "brands" / ".#acme.yaml", "an editor's lock file")
    desired = load_desired(tmp_path, display_base=tmp_path)
    assert [page.stem for page in desired.pages.values()] == ["acme"]


def test_an_empty_directory_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "brands").mkdir()
    write(tmp_path / "brands" / "notes.txt", "no manifest here")
    with pytest.raises(ConfigError, match="no manifests in"):
        load_desired(tmp_path)
