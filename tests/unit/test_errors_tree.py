"""The error model: errors.py draws every exception class statesync has, and every
problem with a place renders the same way in text, JSON and GitHub annotations."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import pytest

import statesync
from statesync import errors
from statesync.error_report import UserError
from statesync.errors import (
    ConfigError,
    Location,
    ManifestError,
    Problem,
    StatesyncError,
)


def _client_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(statesync.__path__, "statesync.")
        if not info.name.startswith(("statesync.emulator", "statesync.__main__"))
    ]


def _classes_of(base: type[BaseException]) -> set[str]:
    """The subclasses of ``base`` that statesync's modules define (not the emulator)."""
    classes = set()
    for name in _client_modules():
        module = importlib.import_module(name)
        classes.update(
            cls.__name__
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, base) and cls.__module__ == name
        )
    return classes


def test_the_tree_in_errors_py_names_every_error_class() -> None:
    classes = _classes_of(StatesyncError)
    assert len(classes) > 20
    tree = errors.__doc__ or ""
    assert sorted(c for c in classes if c not in tree) == []


def test_the_tree_names_the_exceptions_outside_it_too() -> None:
    """Every exception class, the root's or not (a click exception, a BaseException),
    is named, so a new one is placed on purpose."""
    classes = _classes_of(BaseException)
    assert {"UserError", "Interrupted", "StatesyncError"} <= classes
    tree = errors.__doc__ or ""
    assert sorted(c for c in classes if c not in tree) == []


def test_statesync_never_raises_the_bare_root() -> None:
    for name in _client_modules():
        source = inspect.getsource(importlib.import_module(name))
        assert "raise StatesyncError(" not in source, name


def _shown(error: StatesyncError, **flags: bool) -> tuple[str, str]:
    import click.testing

    runner = click.testing.CliRunner()

    @click.command()
    def boom() -> None:
        raise UserError(error, **flags)

    result = runner.invoke(boom)
    assert result.exit_code == 1
    return result.stdout, result.stderr


def test_config_problems_render_like_manifest_problems() -> None:
    config = ConfigError(
        [
            Problem("unknown setting 'provder'", "statesync.yaml", 3),
            Problem("x", "statesync.yaml", 1),
        ]
    )
    manifest = ManifestError(
        [
            (Location("statesync.yaml", 3), "unknown setting 'provder'"),
            (Location("statesync.yaml", 1), "x"),
        ]
    )
    assert _shown(config) == _shown(manifest)
    out, err = _shown(config, github=True)
    assert out.splitlines() == [
        "::error file=statesync.yaml,line=1::x",
        "::error file=statesync.yaml,line=3::unknown setting 'provder'",
    ]
    assert err == "Error: 2 problems found; nothing was sent.\n"
    document = json.loads(_shown(config, json_document=True)[0])
    assert document["errors"][0] == {
        "file": "statesync.yaml",
        "line": 1,
        "message": "x",
    }


@pytest.mark.parametrize("github", [False, True])
def test_one_problem_without_a_place_is_one_line(github: bool) -> None:
    out, err = _shown(ConfigError("FACEBOOK_ACCESS_TOKEN is not set"), github=github)
    assert (out, err) == ("", "Error: FACEBOOK_ACCESS_TOKEN is not set\n")
