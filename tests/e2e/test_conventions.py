"""The habits people bring from other tools: -h, --no-color, NO_COLOR, FORCE_COLOR,
shell completion."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from statesync.cli import cli
from tests.e2e.conftest import Project

MANIFEST = 'page: "104510075301234"\nposts:\n  hello: {message: Hello.}\n'
ANSI = "\x1b["


@pytest.mark.parametrize(
    "command", [[], *[[name] for name in sorted(cli.commands)], ["emulator"]]
)
def test_dash_h_is_help_on_every_command(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "-h"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    assert "-h, --help" in result.output


@pytest.mark.parametrize(
    ("flags", "environ", "coloured"),
    [
        ([], {}, False),  # a pipe: plain
        ([], {"FORCE_COLOR": "1"}, True),  # force-color.org, even in a pipe
        (["--no-color"], {"FORCE_COLOR": "1"}, False),  # the flag wins
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # no-color.org wins
    ],
)
def test_colour_follows_the_flag_and_the_two_standards(
    project: Project, emulator, monkeypatch, flags, environ, coloured
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, [*flags, "plan", "."], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 to push" in result.output
    assert (ANSI in result.output) is coloured


def test_validate_counts_agree_with_their_nouns(project: Project) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    result = CliRunner().invoke(cli, ["validate"], catch_exceptions=False)
    assert result.output == "Valid: 1 page, 1 post.\n"
