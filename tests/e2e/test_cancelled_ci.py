"""Issue 19 from outside the process: a stopped apply, then a fresh checkout holding only
what the workflow commits, must publish no post twice and lose no id.

Each trial runs ``statesync apply`` as a real process against the emulator (with
latency, so that requests are in flight), stops it at a random instant the way users'
environments do, copies only the manifests, statesync.yaml and the lockfile into a new
directory (the next CI run's checkout: no journal, no temp files, no apply lock) and
applies there. The pages, read through the API's own feed, must then hold each desired
post exactly once, and the lockfile must record each of them.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import ACME, BETA, set_latency
from tests.e2e.test_crash_sweep import page_messages, writes_by_method

pytestmark = pytest.mark.slow

POSTS_PER_PAGE = 8
UNMANAGED = "Welcome to our page!"  # the seed's own post on ACME


def manifests(round_no: int, per_page: int = POSTS_PER_PAGE) -> dict[str, str]:
    """Two pages of new posts; ``round_no`` makes each trial's messages unique."""
    texts = {}
    for name, page in (("acme", ACME), ("beta", BETA)):
        posts = "".join(
            f"  p{n}: {{message: 'Trial {round_no} {name} post {n}.'}}\n"
            for n in range(per_page)
        )
        texts[f"{name}.yaml"] = f'page: "{page}"\nposts:\n{posts}'
    return texts


def new_project(root: Path, round_no: int, per_page: int = POSTS_PER_PAGE) -> Path:
    root.mkdir(parents=True)
    (root / "statesync.yaml").write_text(
        "provider: graph\nmanifests: pages/\nlockfile: statesync.lock\n"
        "retries: {attempts: 2, max_total_s: 1, max_wait_s: 0}\n"
    )
    (root / "pages").mkdir()
    for name, text in manifests(round_no, per_page).items():
        (root / "pages" / name).write_text(text)
    return root


def fresh_checkout(source: Path, target: Path) -> Path:
    """What `git add statesync.yaml pages statesync.lock` carries to the next run."""
    target.mkdir(parents=True)
    shutil.copy(source / "statesync.yaml", target / "statesync.yaml")
    shutil.copytree(source / "pages", target / "pages")
    if (source / "statesync.lock").exists():
        shutil.copy(source / "statesync.lock", target / "statesync.lock")
    return target


def start_apply(root: Path, **popen: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "statesync", "apply", "--auto-approve", "."],
        cwd=root,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,  # type: ignore[call-overload]
    )


def wait_for_calls(emulator, process, start: int, calls: int) -> None:
    deadline = time.monotonic() + 30
    while emulator.stats()["total"] - start < calls and process.poll() is None:
        assert time.monotonic() < deadline, "apply never reached its writes"
        time.sleep(0.005)


def signal_apply(
    emulator, root: Path, latency_ms: int, calls: int, signum: int
) -> tuple[subprocess.Popen[bytes], bytes, bytes]:
    """Apply with ``latency_ms`` per request, ``signum`` once ``calls`` requests came."""
    set_latency(emulator, latency_ms)
    start = emulator.stats()["total"]
    process = start_apply(root)
    try:
        wait_for_calls(emulator, process, start, calls)
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    finally:
        set_latency(emulator, 0)
        if process.poll() is None:
            process.kill()
            process.wait()
    return process, out, err


def stop(process: subprocess.Popen[bytes], how: str, rng: random.Random) -> None:
    """Stop as the environment would: Ctrl-C, a kill, or GitHub's cancellation
    (SIGINT, SIGTERM after a grace period, SIGKILL after another; scaled down)."""
    sequences = {
        "sigint": [signal.SIGINT],
        "sigterm": [signal.SIGTERM],
        "sigkill": [signal.SIGKILL],
        "github-cancel": [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
        "double-ctrl-c": [signal.SIGINT, signal.SIGINT],
    }
    for number, signum in enumerate(sequences[how]):
        if number:
            try:
                process.wait(timeout=rng.uniform(0.05, 0.4))
                return
            except subprocess.TimeoutExpired:
                pass
        if process.poll() is None:
            process.send_signal(signum)


def converged(
    emulator, root: Path, run, round_no: int, per_page: int = POSTS_PER_PAGE
) -> None:
    result = run("apply", "--auto-approve", str(root))
    assert result.exit_code == 0, result.output
    lock = json.loads((root / "statesync.lock").read_text())
    for name, page in (("acme", ACME), ("beta", BETA)):
        expected = Counter(
            f"Trial {round_no} {name} post {n}." for n in range(per_page)
        )
        live = page_messages(emulator, page)
        mine = Counter({m: c for m, c in live.items() if m.startswith("Trial ")})
        assert mine == expected, f"duplicates or losses on {name}: {mine}"
        recorded = lock["pages"][page]
        assert sorted(recorded["posts"]) == sorted(f"p{n}" for n in range(per_page))
        assert "intents" not in recorded
    assert page_messages(emulator, ACME)[UNMANAGED] == 1


HOW = ["sigint", "sigterm", "sigkill", "github-cancel", "double-ctrl-c"]
TRIALS_PER_WAY = 20  # 100 trials in all


@pytest.mark.parametrize("how", HOW)
def test_a_stopped_apply_then_a_fresh_checkout_never_duplicates(
    how, tmp_path, run, emulator
) -> None:
    rng = random.Random(f"issue-19-{how}")  # reproducible instants
    writes = 2 * POSTS_PER_PAGE  # the apply's pushes, after its few reads
    cut_short = 0
    for trial in range(TRIALS_PER_WAY):
        emulator.reset()
        root = new_project(tmp_path / f"run-{trial}", trial)
        set_latency(emulator, 60)
        start = emulator.stats()["total"]
        process = start_apply(root)
        try:
            # A random instant between the first request and the last write.
            wait_for_calls(emulator, process, start, rng.randint(1, writes))
            stop(process, how, rng)
            out, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        set_latency(emulator, 0)
        cut_short += process.returncode != 0
        stderr = err.decode()
        assert "Traceback" not in stderr, stderr
        if process.returncode in (130, 143):  # stopped by statesync, not killed
            assert "Apply interrupted by" in out.decode() or (
                "nothing was sent" in stderr or "exiting at once" in stderr
            ), (out.decode(), stderr)
        checkout = fresh_checkout(root, tmp_path / f"checkout-{trial}")
        converged(emulator, checkout, run, trial)
    assert cut_short >= TRIALS_PER_WAY // 2  # the instants really fell mid-apply


def test_a_first_signal_stops_new_actions_and_tells_what_did_not_start(
    tmp_path, run, emulator
) -> None:
    """SIGINT during a 30-action apply at the default parallelism."""
    per_page = 15
    root = new_project(tmp_path / "project", 0, per_page)
    process, out, err = signal_apply(emulator, root, 150, 6, signal.SIGINT)
    assert process.returncode == 130, err.decode()
    text = out.decode()
    assert "Apply interrupted by SIGINT:" in text
    assert "Not started (" in text
    assert "Run `statesync apply` again to finish" in text
    assert "SIGINT: stopping; no new action starts" in err.decode()
    pushed = text.count(": pushed")
    not_started = int(text.split("Not started (")[1].split(")")[0])
    assert pushed + not_started == 2 * per_page
    assert not_started >= per_page  # stopped at once, not after the queue ran
    checkout = fresh_checkout(root, tmp_path / "checkout")
    converged(emulator, checkout, run, 0, per_page)


def test_a_signal_while_reading_sends_nothing(tmp_path, run, emulator) -> None:
    root = new_project(tmp_path / "project", 0)
    assert run("apply", "--auto-approve", str(root)).exit_code == 0
    for name, text in manifests(1).items():  # every post changes: updates planned
        (root / "pages" / name).write_text(text)
    before = writes_by_method(emulator)
    lock_before = (root / "statesync.lock").read_bytes()
    # 2 s per request: the plan's first read is in flight when the signal comes.
    process, _, err = signal_apply(emulator, root, 2000, 1, signal.SIGTERM)
    assert process.returncode == 143, err.decode()
    assert "SIGTERM: interrupted before any change; nothing was sent." in err.decode()
    assert "Traceback" not in err.decode()
    assert writes_by_method(emulator) - before == Counter()
    assert (root / "statesync.lock").read_bytes() == lock_before


def test_a_file_size_limit_mid_apply_is_a_clear_error_and_loses_no_id(
    tmp_path, run, emulator
) -> None:
    """RLIMIT_FSIZE (as a quota or a full disk would) stops the lockfile from growing
    part-way through the apply."""
    for trial, room in enumerate((200, 700, 1500, 2600)):
        emulator.reset()
        root = new_project(tmp_path / f"run-{trial}", trial)

        def limit_file_size(room: int = room) -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

        process = start_apply(root, preexec_fn=limit_file_size)
        _, err = process.communicate(timeout=120)
        stderr = err.decode()
        assert process.returncode == 1, stderr
        assert "Traceback" not in stderr
        assert "cannot write the lockfile (File too large)" in stderr
        assert "records every action completed before" in stderr
        converged(emulator, fresh_checkout(root, tmp_path / f"co-{trial}"), run, trial)


def test_a_plan_cannot_be_saved_while_an_apply_runs(tmp_path, run, emulator) -> None:
    root = new_project(tmp_path / "project", 0)
    set_latency(emulator, 100)
    start = emulator.stats()["total"]
    process = start_apply(root)
    try:
        wait_for_calls(emulator, process, start, 4)
        saved = run("plan", str(root), "--out", str(tmp_path / "plan.json"))
        shown = run("plan", str(root))
    finally:
        process.communicate(timeout=60)
        set_latency(emulator, 0)
    assert process.returncode == 0
    assert saved.exit_code == 1
    assert "another apply or plan is running on this project" in saved.stderr
    assert not (tmp_path / "plan.json").exists()
    assert shown.exit_code == 0
    assert "an apply is running on this project" in shown.stderr
    converged(emulator, root, run, 0)


def test_a_saved_plan_binds_to_the_recorded_state_not_the_serial(
    tmp_path, run, emulator
) -> None:
    """Two different states with the same lineage and serial: the plan made from one
    is refused on the other, whatever the serial arithmetic says."""
    root = new_project(tmp_path / "project", 0)
    assert run("apply", "--auto-approve", str(root)).exit_code == 0
    (root / "pages" / "acme.yaml").write_text(
        (root / "pages" / "acme.yaml").read_text() + "  extra: {message: One more.}\n"
    )
    plan_file = tmp_path / "plan.json"
    assert run("plan", str(root), "--out", str(plan_file)).exit_code == 0
    lock_path = root / "statesync.lock"
    text = lock_path.read_text()
    # Same serial and lineage, another recorded post id (a restore, a bad merge).
    lock_path.write_text(text.replace(f'"{ACME}_', f'"{ACME}_9', 1))
    before = writes_by_method(emulator)
    result = run("apply", str(plan_file), "--project", str(root))
    assert result.exit_code == 1
    assert "the lockfile records other posts than when the plan was made" in (
        result.stderr
    )
    assert writes_by_method(emulator) - before == Counter()  # nothing was sent
