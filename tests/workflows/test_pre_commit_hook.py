"""The pre-commit hook, run by the real pre-commit against a local clone of this
repository (no network beyond the package index pip already uses)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
BROKEN = 'page: "104510075301234"\nposts:\n  hello: {mesage: Hello.}\n'
FIXED = 'page: "104510075301234"\nposts:\n  hello: {message: Hello.}\n'

pytestmark = [
    pytest.mark.slow,  # installs statesync into pre-commit's own virtualenv
    pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is a test dependency"),
]


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        ["git", *args],  # noqa: S607 - git from PATH, as developers run it
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def hook_repository(tmp_path: Path) -> tuple[Path, str]:
    """This working tree's package and hook definition, committed in a fresh repo (what
    pre-commit clones): uncommitted changes are tested too."""
    repo = tmp_path / "statesync-hook"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(REPO / name, repo / name)
    shutil.copytree(
        REPO / "statesync",
        repo / "statesync",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "hook")
    return repo, git(repo, "rev-parse", "HEAD")


def test_the_hook_fails_a_commit_with_a_broken_manifest_at_its_line(
    tmp_path: Path,
) -> None:
    hook, sha = hook_repository(tmp_path)
    user = tmp_path / "posts-repo"
    (user / "pages").mkdir(parents=True)
    (user / "statesync.yaml").write_text("provider: graph\nmanifests: pages/\n")
    (user / "pages" / "acme.yaml").write_text(BROKEN)
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hook}\n  rev: {sha}\n  hooks:\n  - id: statesync-validate\n"
    )
    git(user, "init", "-q")
    git(user, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    env.pop("VIRTUAL_ENV", None)

    def run_hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed argv, no shell
            [str(PRE_COMMIT), "run", "--all-files", "--color", "never"],
            cwd=user,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    failed = run_hook()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "statesync validate" in failed.stdout
    assert "pages/acme.yaml:3: " in failed.stdout  # FILE:LINE, as editors link it
    assert "did you mean 'message'" in failed.stdout
    assert "Traceback" not in failed.stdout

    (user / "pages" / "acme.yaml").write_text(FIXED)
    git(user, "add", ".")
    passed = run_hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
