"""``statesync init``: a new project that validates, plans and (with the sandbox)
applies as written, so that a newcomer's first command works.

The files come from ``statesync/templates/``; the GitHub workflow template is the very
file the README tells users to copy (examples/github/statesync.yml, a test keeps the
two equal), with the commit of this statesync filled in.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from statesync import __version__
from statesync.atomic import os_reason
from statesync.errors import StatesyncError

SANDBOX_PAGE = "104510075301234"  # any digits do on the sandbox: it creates the page
PLACEHOLDER_SHA = "0" * 40
COMMIT = re.compile(r"[0-9a-f]{40}")
WORKFLOW = Path(".github/workflows/statesync.yml")


class InitError(StatesyncError):
    """``init`` would overwrite a file, or cannot tell which statesync to pin."""


@dataclass(frozen=True, slots=True)
class Scaffold:
    root: Path
    written: tuple[Path, ...]  # relative to root, in the order they were written
    gitignore_extended: bool  # an existing .gitignore got statesync's lines appended

    def next_steps(self, sandbox: bool) -> str:
        where = "" if self.root == Path(".") else f" {self.root}"
        if sandbox:
            return f"Next: statesync apply{where}   (on the sandbox: no account needed)"
        return (
            f"Next: put your page's id in {self.root / 'pages' / 'example-page.yaml'}, "
            "export FACEBOOK_ACCESS_TOKEN (a page or user token), then run "
            f"statesync plan{where}"
        )


def init_project(
    root: Path, *, sandbox: bool = False, github: bool = False, ref: str | None = None
) -> Scaffold:
    """Write a new project into ``root``; refuses, writing nothing, if any of its files
    exists already (an existing .gitignore is extended, never replaced)."""
    files = {
        Path("statesync.yaml"): _config(sandbox),
        Path("pages/example-page.yaml"): _manifest(sandbox),
    }
    if github:
        files[WORKFLOW] = workflow(ref or release_commit())
    taken = [path for path in files if (root / path).exists()]
    if taken:
        names = ", ".join(str(root / path) for path in taken)
        raise InitError(
            f"{names}: already there; init writes a new project and overwrites "
            "nothing. Pick an empty directory, or move these files away."
        )
    try:
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("x", encoding="utf-8") as out:  # "x": never overwrite
                out.write(text)
        extended = _ignore_local_files(root / ".gitignore")
    except OSError as exc:  # a read-only or full disk, a file where a folder goes
        where = exc.filename or root
        raise InitError(f"{where}: cannot write ({os_reason(exc)})") from None
    written = (*files, Path(".gitignore")) if not extended else tuple(files)
    return Scaffold(root, tuple(written), extended)


def workflow(commit: str) -> str:
    """The caller workflow of examples/github/statesync.yml, pinned to ``commit``."""
    if not COMMIT.fullmatch(commit):
        raise InitError(
            f"--ref {commit!r}: give the full 40-character commit sha of the statesync "
            "release (GitHub Actions pins reusable workflows by commit)"
        )
    text = _template("github-workflow.yml").replace(PLACEHOLDER_SHA, commit)
    return text.replace(f"{commit} # v0.1.0", f"{commit} # v{__version__}")


def release_commit() -> str:
    """The commit this statesync was installed from: pip records it for a git install
    (direct_url.json, PEP 610); an install from a local checkout uses its HEAD."""
    try:
        direct = json.loads(
            metadata.distribution("statesync").read_text("direct_url.json") or "{}"
        )
    except metadata.PackageNotFoundError:
        direct = {}
    commit = direct.get("vcs_info", {}).get("commit_id")
    if isinstance(commit, str) and COMMIT.fullmatch(commit):
        return commit
    url = direct.get("url", "")
    if url.startswith("file://"):
        head = _git_head(Path(url.removeprefix("file://")))
        if head:
            return head
    raise InitError(
        "cannot tell which statesync commit to pin in the workflow (this statesync "
        "was not installed from git); pass --ref <commit sha> of the release you use"
    )


def _git_head(directory: Path) -> str | None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(directory), "rev-parse", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    head = result.stdout.strip()
    return head if result.returncode == 0 and COMMIT.fullmatch(head) else None


def _config(sandbox: bool) -> str:
    line = (
        "sandbox: true             # the embedded emulator: remove this line for real pages"
        if sandbox
        else "# sandbox: true           # try everything on the embedded emulator first"
    )
    return _template("statesync.yaml").replace("{sandbox_line}", line)


def _manifest(sandbox: bool) -> str:
    comment = (
        "the sandbox creates this page; use your page's id for real"
        if sandbox
        else "your page's id (Page settings, or the Graph API's /me/accounts)"
    )
    return (
        _template("page.yaml")
        .replace("{page_id}", SANDBOX_PAGE)
        .replace("{page_comment}", comment)
        .replace("{stem}", "example-page")
    )


def _ignore_local_files(path: Path) -> bool:
    """Create .gitignore, or append the lines it lacks; True if it existed."""
    wanted = _template("gitignore")
    if not path.exists():
        with path.open("x", encoding="utf-8") as out:
            out.write(wanted)
        return False
    present = set(path.read_text(encoding="utf-8").splitlines())
    missing = [line for line in wanted.splitlines() if line and line not in present]
    if missing:
        current = path.read_text(encoding="utf-8")
        separator = "" if current.endswith("\n") or not current else "\n"
        path.write_text(current + separator + "\n".join(missing) + "\n", "utf-8")
    return True


def _template(name: str) -> str:
    return resources.files("statesync").joinpath("templates", name).read_text("utf-8")
