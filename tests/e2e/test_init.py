"""`statesync init`: a new project that works as written, and overwrites nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from statesync import scaffold
from statesync.cli import cli

REPO = Path(__file__).resolve().parents[2]
SHA = "3b54f75007363cab143bb8e33ef8ca5017f874e4"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_init_then_a_sandbox_apply_works_at_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    created = run("init", "new", "--sandbox")
    assert created.exit_code == 0, created.output
    assert created.output.splitlines()[-1].startswith("Next: statesync apply new")
    assert run("validate", "new").output == "Valid: 1 page, 1 post.\n"
    applied = run("apply", "--auto-approve", "new")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 1 pushed" in applied.output
    assert "No changes." in run("plan", "new").output
    ignored = (tmp_path / "new" / ".gitignore").read_text().splitlines()
    assert ".statesync/" in ignored  # the sandbox state written just now
    assert "statesync.lock" not in ignored  # the lockfile is committed


def test_init_without_sandbox_says_what_to_set_up(tmp_path: Path) -> None:
    result = run("init", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "export FACEBOOK_ACCESS_TOKEN" in result.output
    config = (tmp_path / "statesync.yaml").read_text()
    assert "\n# sandbox: true" in config
    assert run("validate", str(tmp_path)).exit_code == 0


def test_init_overwrites_nothing_and_writes_nothing_when_refusing(
    tmp_path: Path,
) -> None:
    (tmp_path / "statesync.yaml").write_text("mine\n")
    result = run("init", str(tmp_path), "--github", "--ref", SHA)
    assert result.exit_code == 1
    assert "statesync.yaml: already there" in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "statesync.yaml").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["statesync.yaml"]


def test_an_existing_gitignore_only_gains_the_lines_it_lacks(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n.statesync/")  # no newline
    assert run("init", str(tmp_path)).exit_code == 0
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["node_modules/", ".statesync/"]
    assert lines.count(".statesync/") == 1
    assert "*.lock.lock" in lines


def test_github_workflow_is_the_documented_example_pinned_to_the_commit(
    tmp_path: Path,
) -> None:
    result = run("init", str(tmp_path), "--github", "--ref", SHA)
    assert result.exit_code == 0, result.output
    written = (tmp_path / ".github/workflows/statesync.yml").read_text()
    example = (REPO / "examples/github/statesync.yml").read_text()
    assert "0" * 40 not in written
    assert written.count(SHA) == 2  # the workflow and the package, the same commit
    assert (
        written.replace(SHA, "0" * 40).replace(f"# v{scaffold.__version__}", "# v0.1.0")
        == example
    )


def test_the_packaged_template_is_the_example_users_copy() -> None:
    packaged = (REPO / "statesync/templates/github-workflow.yml").read_text()
    assert packaged == (REPO / "examples/github/statesync.yml").read_text()


@pytest.mark.parametrize("ref", ["main", "3b54f75", "Z" * 40])
def test_a_ref_that_is_not_a_full_commit_is_refused(tmp_path: Path, ref: str) -> None:
    result = run("init", str(tmp_path), "--github", "--ref", ref)
    assert result.exit_code == 1
    assert "full 40-character commit sha" in result.output
    assert not (tmp_path / "statesync.yaml").exists()


def test_ref_without_github_is_a_usage_error(tmp_path: Path) -> None:
    assert run("init", str(tmp_path), "--ref", SHA).exit_code == 2


class _Dist:
    def __init__(self, direct: dict | None) -> None:
        self.direct = direct

    def read_text(self, name: str) -> str | None:
        return None if self.direct is None else json.dumps(self.direct)


def test_the_pinned_commit_is_the_one_pip_installed_from_git(monkeypatch) -> None:
    direct = {
        "url": "https://github.com/statesync/statesync",
        "vcs_info": {"vcs": "git", "commit_id": SHA},
    }
    monkeypatch.setattr(scaffold.metadata, "distribution", lambda name: _Dist(direct))
    assert scaffold.release_commit() == SHA


def test_without_a_known_commit_init_asks_for_ref(monkeypatch, tmp_path: Path) -> None:
    not_git = {"url": f"file://{tmp_path}", "dir_info": {}}  # no git checkout there
    monkeypatch.setattr(scaffold.metadata, "distribution", lambda name: _Dist(not_git))
    with pytest.raises(scaffold.InitError, match="pass --ref"):
        scaffold.release_commit()


def test_a_directory_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder\n")
    result = run("init", str(tmp_path / "a-file" / "new"))
    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert "Traceback" not in result.output
