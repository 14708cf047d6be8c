"""End-to-end helpers: run the real CLI in-process against the emulator over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from statesync.cli import cli
from statesync.providers.graph import GraphProvider
from statesync.providers.oneall import OneAllProvider

USER_TOKEN = "test-user-token-canary-5f2a"
ACME = "104510075301234"
BETA = "104510075305678"
ACME_PAGE_TOKEN = "test-page-token-acme"


@dataclass
class Project:
    root: Path

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def lock(self) -> dict:
        return json.loads((self.root / "statesync.lock").read_text())

    def post_ids(self, page: str = ACME) -> dict[str, str]:
        posts = self.lock()["pages"].get(page, {}).get("posts", {})
        return {key: entry["id"] for key, entry in posts.items()}


@pytest.fixture(autouse=True)
def _short_settle_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process emulator answers at once: recovery need not wait the real
    client timeout for a lost push to land before it lists the page."""
    monkeypatch.setattr(GraphProvider, "settle_window_s", 0.2)
    monkeypatch.setattr(OneAllProvider, "settle_window_s", 0.2)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    proj = Project(tmp_path)
    proj.write(
        "statesync.yaml",
        """
        provider: graph
        manifests: pages/
        lockfile: statesync.lock
        retries: {attempts: 2, max_total_s: 1, max_wait_s: 0}  # tests: fail fast
        """,
    )
    return proj


@pytest.fixture
def run() -> Callable[..., Result]:
    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def graph(emulator) -> httpx.Client:
    """Raw Graph access as someone editing the page by hand, outside statesync."""
    with httpx.Client(
        base_url=f"{emulator.url}/v26.0",
        headers={"Authorization": f"Bearer {ACME_PAGE_TOKEN}"},
    ) as client:
        yield client


def configure_oneall(project: Project, read: str = "auto") -> None:
    """A OneAll project reading through ``read`` (pull, graph, auto or none)."""
    project.write(
        "statesync.yaml",
        f"""
        provider: oneall
        oneall:
          site: https://acme.api.oneall.com
          read: {read}
        retries: {{attempts: 2, max_total_s: 1}}
        """,
    )


@pytest.fixture
def at(emulator, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Move both clocks, statesync's (STATESYNC_NOW) and the emulator's, to an
    RFC 3339 instant: time is moved, never waited for."""

    def move(instant: str) -> None:
        monkeypatch.setenv("STATESYNC_NOW", instant)
        emulator.set_clock(instant)

    return move


def write_requests(emulator) -> int:
    """Requests that could change a page: POST, PUT and DELETE, batch reads excepted."""
    return sum(
        route["count"]
        for route in emulator.stats()["routes"]
        if route["method"] in ("POST", "PUT", "DELETE") and route["route"] != "/"
    )


def set_latency(emulator, ms: int) -> None:
    httpx.post(f"{emulator.url}/_emulator/latency", json={"ms": ms}).raise_for_status()


def kill_apply_at_call(emulator, root: Path, k: int, start: int) -> None:
    """Run `statesync apply` as a real process and SIGKILL it while its k-th API call
    (counted from ``start`` requests) is in flight; the emulator, 150 ms slow meanwhile,
    still carries that call out, as a real server would."""
    set_latency(emulator, 150)
    process = subprocess.Popen(
        [sys.executable, "-m", "statesync", "apply", "--auto-approve", "."],
        cwd=root,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Polling: the event is in another process.
        deadline = time.monotonic() + 60
        while emulator.stats()["total"] - start < k and process.poll() is None:
            assert time.monotonic() < deadline, f"apply never made call {k}"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
        set_latency(emulator, 0)
