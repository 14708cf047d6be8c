"""The newcomer's path: the examples on the embedded sandbox, no account, no env."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    target = tmp_path / "examples"
    shutil.copytree(
        EXAMPLES, target, ignore=shutil.ignore_patterns(".statesync", "*.lock")
    )
    return target


def test_examples_apply_then_plan_no_changes(examples: Path, run) -> None:
    first = run("apply", "--auto-approve", str(examples))
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[0].startswith(
        "Sandbox: running against the local emulator at http://127.0.0.1:"
    )
    assert "  + media/latte-art.jpg: upload (9 KB, image/jpeg, with alt text)" in lines
    # The launch manifest's announcement, on X (the photo goes with the tweet)
    # and LinkedIn.
    assert "launch@x/autumn-blend: pushed (" in first.stdout
    assert "launch@linkedin/autumn-blend: pushed (urn:li:share:" in first.stdout
    assert lines[-1] == (
        "Apply complete: 8 pushed, 0 updated, 0 replaced, 0 deleted; page details: 1 "
        "updated; media: 1 uploaded."
    )
    second = run("plan", str(examples), "--detailed-exitcode")
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines()[0].startswith("Sandbox: ")
    notes, last = second.stdout.splitlines()[1:-1], second.stdout.splitlines()[-1]
    assert last == "No changes."
    assert [line for line in notes if line] == [
        "Note: posts on LinkedIn company 2414183 cannot be read back through OneAll, "
        "so drift there cannot be seen; changes are found from the lockfile's "
        "recorded hashes.",
        "Note: posts on the X account cannot be read back through OneAll, so drift "
        "there cannot be seen; changes are found from the lockfile's recorded hashes.",
    ]
    assert (examples / ".statesync" / "sandbox.db").is_file()


def test_sandbox_flag_wins_over_the_environment(
    examples: Path, run, monkeypatch
) -> None:
    monkeypatch.setenv(
        "STATESYNC_GRAPH_URL", "http://127.0.0.1:9"
    )  # nothing listens there
    monkeypatch.setenv("FACEBOOK_ACCESS_TOKEN", "not-used")
    config = examples / "statesync.yaml"
    config.write_text(config.read_text().replace("sandbox: true", "sandbox: false"))
    result = run("plan", "--sandbox", str(examples))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Sandbox: ")


def test_no_sandbox_turns_it_off_for_one_run(examples: Path, run, monkeypatch) -> None:
    result = run("plan", "--no-sandbox", str(examples))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: FACEBOOK_ACCESS_TOKEN is not set")


def test_no_progress_bar_when_stderr_is_not_a_terminal(examples: Path, run) -> None:
    """CliRunner's stderr is not a terminal, as in CI: no bar, no escape codes."""
    for result in (
        run("apply", "--auto-approve", str(examples)),
        run("plan", str(examples)),
    ):
        assert result.exit_code == 0, result.output
        assert "Reading live posts" not in result.stderr
        assert "Applying" not in result.stderr
        assert "\x1b" not in result.output
