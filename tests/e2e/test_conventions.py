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


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F"),
        ("zsh", "#compdef statesync"),
        ("fish", "complete --no-files --command statesync"),
    ],
)
def test_completion_scripts_for_the_three_shells(shell: str, marker: str) -> None:
    result = CliRunner().invoke(
        cli, [], prog_name="statesync", env={"_STATESYNC_COMPLETE": f"{shell}_source"}
    )
    assert result.exit_code == 0
    assert marker in result.output


def _bash_complete(words: str) -> list[str]:
    env = {
        "_STATESYNC_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    result = CliRunner().invoke(cli, [], prog_name="statesync", env=env)
    return [line.split(",", 1)[1] for line in result.output.splitlines()]


def test_completion_offers_commands_options_and_manifests_for_only(
    project: Project,
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    project.write("pages/beta.yaml", MANIFEST.replace("1234", "5678"))
    project.write("pages/.acme.yaml.swp", "")  # an editor's file: not a manifest
    assert "plan" in _bash_complete("statesync pl")
    assert "--only" in _bash_complete("statesync apply --")
    assert _bash_complete("statesync plan --only ") == [
        "pages/acme.yaml",
        "pages/beta.yaml",
    ]
    assert _bash_complete("statesync apply --only pages/b") == ["pages/beta.yaml"]


def test_validate_github_turns_config_problems_into_annotations(
    project: Project,
) -> None:
    project.write("pages/acme.yaml", MANIFEST)
    project.write(
        "statesync.yaml",
        "provider: graph\nmanifests: pages/\nsafety:\n  max_destroy_share: 2\nsandbx: true\n",
    )
    result = CliRunner().invoke(cli, ["validate", "--format", "github"])
    assert result.exit_code == 1
    annotations = result.stdout.splitlines()
    assert [line.split("::")[1] for line in annotations] == [
        "error file=statesync.yaml,line=4",
        "error file=statesync.yaml,line=5",
    ]
    assert "did you mean 'sandbox'" in annotations[1]
    assert result.stderr == "Error: 2 problems found; nothing was sent.\n"


@pytest.mark.parametrize("document", ["manifest", "config", "plan", "error"])
def test_schema_prints_each_shipped_schema(document: str) -> None:
    import json

    result = CliRunner().invoke(cli, ["schema", document], catch_exceptions=False)
    assert result.exit_code == 0
    parsed = json.loads(result.stdout)
    assert parsed["$schema"].startswith("https://json-schema.org/")
    if document != "error":
        assert parsed["$id"].endswith(f"{document}-v1.schema.json")
