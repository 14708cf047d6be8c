"""A fake GitHub Actions runner for the scripts of .github/workflows/statesync.yml.

Each test gets a local bare repository as the "remote" (file:// only, no network), a shallow
clone of it checked out on `main` as the job's workspace (as actions/checkout leaves it),
the files a runner provides (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, a GITHUB_EVENT_PATH
payload) and, for the plan and apply scripts, a stub `statesync` on PATH that plays the CLI
contract: it records its arguments and prints what the test asks for.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / ".github" / "scripts"
BASH = shutil.which("bash") or "/bin/bash"
GIT = shutil.which("git") or "/usr/bin/git"

STUB = r"""#!/usr/bin/env bash
# A stand-in for the statesync CLI: records each call, then plays $STUB_* back.
printf '%s\n' "$*" >>"$STUB_LOG"
printf 'FACEBOOK_ACCESS_TOKEN=%s\n' "${FACEBOOK_ACCESS_TOKEN-<unset>}" >>"$STUB_LOG"
printf 'FACEBOOK_APP_SECRET=%s\n' "${FACEBOOK_APP_SECRET-<unset>}" >>"$STUB_LOG"
if [ -n "${FACEBOOK_ACCESS_TOKEN:-}" ]; then
  echo "debug: a careless log line with $FACEBOOK_ACCESS_TOKEN" >&2
fi
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = --out ]; then echo '{"saved": "plan"}' >"${args[$((i + 1))]}"; fi
done
if [ -n "${STUB_STDOUT:-}" ]; then cat "$STUB_STDOUT"; fi
exit "${STUB_RC:-0}"
"""


def run(
    argv: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed programs, test-made arguments
        argv, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = run([GIT, *args], cwd, env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@dataclass
class Runner:
    """The job's workspace, the remote and the runner's files."""

    tmp: Path
    remote: Path
    workspace: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def output_file(self) -> Path:
        return Path(self.env["GITHUB_OUTPUT"])

    @property
    def summary(self) -> str:
        return Path(self.env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")

    def outputs(self) -> dict[str, str]:
        lines = self.output_file.read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines)

    def script(self, name: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run([BASH, str(SCRIPTS / name)], self.workspace, {**self.env, **env})

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return git(cwd or self.workspace, self.setup_env, *args)

    @property
    def setup_env(self) -> dict[str, str]:
        """For the tests' own commits (the scripts must bring their own identity)."""
        return {
            **self.env,
            "GIT_AUTHOR_NAME": "Alice",
            "GIT_AUTHOR_EMAIL": "alice@example.com",
            "GIT_COMMITTER_NAME": "Alice",
            "GIT_COMMITTER_EMAIL": "alice@example.com",
        }

    def clone(self, name: str) -> Path:
        path = self.tmp / name
        self.git(
            "clone",
            "--quiet",
            "--depth=1",
            "--branch=main",
            self.remote.as_uri(),
            str(path),
            cwd=self.tmp,
        )
        return path

    def push_from_elsewhere(self, files: dict[str, str], message: str) -> str:
        """Another job (a shard, a merge) pushes to main after our checkout."""
        other = self.clone(f"other-{len(list(self.tmp.glob('other-*')))}")
        for name, text in files.items():
            (other / name).parent.mkdir(parents=True, exist_ok=True)
            (other / name).write_text(text, encoding="utf-8")
        self.git("add", "-A", cwd=other)
        self.git("commit", "--quiet", "-m", message, cwd=other)
        self.git("push", "--quiet", "origin", "HEAD:main", cwd=other)
        return self.git("rev-parse", "HEAD", cwd=other)

    def remote_head(self) -> str:
        return self.git("rev-parse", "main", cwd=self.remote)

    def remote_log(self) -> list[str]:
        return self.git("log", "--format=%an|%s", "main", cwd=self.remote).splitlines()

    def stub(self, stdout: str = "", rc: int = 0) -> None:
        """Make the stub statesync print `stdout` and exit with `rc`."""
        out = self.tmp / "stub-stdout"
        out.write_text(stdout, encoding="utf-8")
        self.env["STUB_STDOUT"] = str(out)
        self.env["STUB_RC"] = str(rc)

    def statesync_calls(self) -> str:
        log = Path(self.env["STUB_LOG"])
        return log.read_text(encoding="utf-8") if log.exists() else ""


INITIAL = {
    "statesync.yaml": "provider: graph\nmanifests: pages/\nlockfile: statesync.lock\n",
    "pages/acme-coffee.yaml": 'page: "104510075301234"\nposts: {}\n',
    "statesync.lock": '{"serial": 1}\n',
    "locks/acme-coffee.lock": '{"serial": 1}\n',
    "locks/beta-books.lock": '{"serial": 1}\n',
}


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "statesync"
    stub.write_text(STUB, encoding="utf-8")
    stub.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "pull_request": {
                    "number": 7,
                    "head": {
                        "sha": "5ca1ab1e0000000000000000000000000000beef",
                        "repo": {"full_name": "acme/posts"},
                    },
                    "base": {"ref": "main"},
                },
                "repository": {"default_branch": "main", "full_name": "acme/posts"},
            }
        ),
        encoding="utf-8",
    )
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_OUTPUT": str(tmp_path / "github-output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REF_TYPE": "branch",
        "GITHUB_REPOSITORY": "acme/posts",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_SHA": "c0ffee0000000000000000000000000000000000",
        "RUNNER_TEMP": str(runner_temp),
        "STUB_LOG": str(tmp_path / "statesync-calls.log"),
        "STATESYNC_RETRY_DELAY": "0",
    }
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        Path(env[name]).touch()

    remote = tmp_path / "remote.git"
    r = Runner(tmp=tmp_path, remote=remote, workspace=tmp_path / "workspace", env=env)
    git(
        tmp_path, env, "init", "--quiet", "--bare", "--initial-branch=main", str(remote)
    )
    seed = tmp_path / "seed"
    git(tmp_path, env, "init", "--quiet", "--initial-branch=main", str(seed))
    for name, text in INITIAL.items():
        (seed / name).parent.mkdir(parents=True, exist_ok=True)
        (seed / name).write_text(text, encoding="utf-8")
    r.git("add", "-A", cwd=seed)
    r.git("commit", "--quiet", "-m", "initial", cwd=seed)
    r.git("push", "--quiet", remote.as_uri(), "HEAD:main", cwd=seed)
    r.workspace = r.clone("workspace")
    return r
