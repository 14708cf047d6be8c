"""Kill-point and fault sweeps: whatever instant apply dies at, the next apply
converges to exactly the desired posts, with no duplicate and every id recorded.

The kill sweep runs apply as a real process against the emulator with latency, and
SIGKILLs it while its k-th API call is in flight (the emulator still carries the call
out, as a real server would), for every k. The fault sweep hits the k-th write with
each of the emulator's fault kinds. Both then run apply again to completion and check
the pages through the API's own feed listing.
"""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from statesync.providers.graph import GraphProvider
from statesync.providers.oneall import OneAllProvider
from tests.e2e.conftest import ACME, BETA, kill_apply_at_call

pytestmark = pytest.mark.slow

PAGE_TOKENS = {ACME: "test-page-token-acme", BETA: "test-page-token-beta"}

BEFORE = {
    "acme.yaml": """
        page: "104510075301234"
        posts:
          keep: {message: Unchanged post.}
          edit: {message: Old opening hours.}
          relink: {message: Spring menu., link: "https://acme.example/spring"}
          drop: {message: To be deleted.}
    """,
    "beta.yaml": """
        page: "104510075305678"
        posts:
          edit: {message: Old reading hours.}
          drop: {message: Beta post to delete.}
    """,
}
AFTER = {
    "acme.yaml": """
        page: "104510075301234"
        posts:
          keep: {message: Unchanged post.}
          edit: {message: New opening hours.}
          relink: {message: Spring menu., link: "https://acme.example/summer"}
          new-one: {message: Brand new post.}
          new-two: {message: Another new post., attachments: ["10213097336001811"]}
    """,
    "beta.yaml": """
        page: "104510075305678"
        posts:
          edit: {message: New reading hours.}
          new-one: {message: Beta news.}
    """,
}
ONEALL_CONFIG = """
    provider: oneall
    oneall:
      site: https://acme.api.oneall.com
    retries: {attempts: 2, max_total_s: 1, max_wait_s: 0}
"""
UNMANAGED = "Welcome to our page!"  # the seed's own post, never touched


def write(project, manifests: dict[str, str]) -> None:
    for name, text in manifests.items():
        project.write(f"pages/{name}", text)


def page_messages(emulator, page: str) -> Counter[str]:
    """Every post on the page, read through the Graph API's feed listing."""
    messages: Counter[str] = Counter()
    params = {"fields": "id,message", "limit": "100"}
    headers = {"Authorization": f"Bearer {PAGE_TOKENS[page]}"}
    url = f"{emulator.url}/v26.0/{page}/feed"
    while url:
        reply = httpx.get(url, params=params, headers=headers).json()
        messages.update(post.get("message", "") for post in reply["data"])
        url = reply.get("paging", {}).get("next")
        params = {}
    return messages


def assert_converged(project, run, emulator) -> None:
    final = run("apply", "--auto-approve", ".")
    assert final.exit_code == 0, final.output
    assert run("plan", ".").stdout.endswith("No changes.\n")
    acme = page_messages(emulator, ACME)
    assert acme == Counter(
        {
            UNMANAGED: 1,
            "Unchanged post.": 1,
            "New opening hours.": 1,
            "Spring menu.": 1,
            "Brand new post.": 1,
            "Another new post.": 1,
        }
    )
    assert page_messages(emulator, BETA) == Counter(
        {"New reading hours.": 1, "Beta news.": 1}
    )
    lock = project.lock()
    assert sorted(lock["pages"][ACME]["posts"]) == sorted(
        ["keep", "edit", "relink", "new-one", "new-two"]
    )
    assert sorted(lock["pages"][BETA]["posts"]) == ["edit", "new-one"]
    assert all("intents" not in page for page in lock["pages"].values())


@pytest.fixture(params=["graph", "oneall"])
def sweep_project(request, project, run, emulator, monkeypatch):
    # The emulator's slowest request (150 ms latency) is far below the real client's
    # 10 s timeout: recovery need not wait that long for a push in flight to land.
    monkeypatch.setattr(GraphProvider, "settle_window_s", 0.5)
    monkeypatch.setattr(OneAllProvider, "settle_window_s", 0.5)
    if request.param == "oneall":
        project.write("statesync.yaml", ONEALL_CONFIG)
    return project


def prepare(project, run, emulator) -> int:
    """Reset, apply BEFORE, write AFTER; the API calls made so far."""
    emulator.reset()
    write(project, BEFORE)
    (project.root / "statesync.lock").unlink(missing_ok=True)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    write(project, AFTER)
    return emulator.stats()["total"]


def test_kill_at_every_api_call_converges_without_duplicates(
    sweep_project, run, emulator
) -> None:
    project = sweep_project
    start = prepare(project, run, emulator)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    calls = emulator.stats()["total"] - start
    assert calls >= 10
    survived = 0
    for k in range(1, calls + 1):
        start = prepare(project, run, emulator)
        kill_apply_at_call(emulator, project.root, k, start)
        assert_converged(project, run, emulator)
        survived += 1
    assert survived == calls


FAULTS = ["error", "drop", "commit_then_error", "commit_then_drop"]
WRITES = r"^/(push|update)/|^/\d+/feed$|^/\d+_\d+$"  # never a read, never a batch


def writes_by_method(emulator) -> Counter[str]:
    counts: Counter[str] = Counter()
    for route in emulator.stats()["routes"]:
        if route["method"] in ("POST", "PUT", "DELETE") and route["route"] != "/":
            counts[route["method"]] += route["count"]
    return counts


@pytest.mark.parametrize("fault", FAULTS)
def test_every_fault_on_every_write_converges_without_duplicates(
    sweep_project, run, emulator, fault
) -> None:
    project = sweep_project
    prepare(project, run, emulator)
    before = writes_by_method(emulator)
    assert run("apply", "--auto-approve", ".").exit_code == 0
    writes = writes_by_method(emulator) - before
    assert sum(writes.values()) >= 8
    for method, count in sorted(writes.items()):
        for k in range(count):
            prepare(project, run, emulator)
            rule = {
                "method": method,
                "path": WRITES,
                "action": fault,
                "skip": k,
                "times": 1,
            }
            faults = f"{emulator.url}/_emulator/faults"
            httpx.post(faults, json={"rules": [rule]}).raise_for_status()
            run("apply", "--auto-approve", ".")  # may fail: the fault is the point
            httpx.post(faults, json={"rules": []}).raise_for_status()
            assert_converged(project, run, emulator)


def test_rate_limited_applies_converge_without_duplicates(
    sweep_project, run, emulator
) -> None:
    """80001 at every point of an apply: it stops at once (retries.max_wait_s: 0)
    with the time access returns, and the next apply finishes the job. (The Graph
    API's page budgets do not bind OneAll's own writes: on oneall only the Graph
    reads can be refused.)"""
    project = sweep_project
    limits = f"{emulator.url}/_emulator/rate-limit"
    refused = 0
    for budget in range(3, 13):
        prepare(project, run, emulator)
        httpx.post(limits, json={"page_calls_per_window": budget, "window_s": 3600})
        result = run("apply", "--auto-approve", ".")
        if result.exit_code != 0:
            refused += 1
            assert "code 80001" in result.stderr
            assert "access returns in about" in result.stderr
        httpx.post(limits, json={"page_calls_per_window": None}).raise_for_status()
        assert_converged(project, run, emulator)
    if "provider: oneall" not in (project.root / "statesync.yaml").read_text():
        assert refused >= 5  # the budgets really cut applies short
