"""Scale benchmark (issue 8): plan and apply a large project against the emulator.

A script, not a test: it prints figures and compares each against a reference
measured in the same run, on the same in-process emulator (loopback only):

1. ``statesync plan`` with no changes: wall time, HTTP requests, the child's peak RSS;
2. the same reads done one GET per post, 10 in flight (the reference for 1);
3. ``statesync apply`` of P*M/10 changes spread over all pages, then the same changes
   applied one request at a time (``--parallelism 1``, the reference for 3);
4. an apply under a rate budget of 200 calls per page per minute: 80001 errors.

Every phase is also set against its floor, its requests ``--parallelism`` at a time,
each taking the configured latency: ``requests / 10 x latency`` for the reads of a
plan (and of the per-post reference), ``ceil(requests / 10) x latency`` for an apply.
Each phase shows the statesync child's CPU seconds (its rusage) and the emulator's:
the CPU clock of the one thread that serves every request (the emulator runs in this
process, on its own event-loop thread; ``RunningEmulator.cpu_seconds``), so that the
reference's client threads, also in this process, are not counted as the emulator's.
Issue 20 adds the emulator's CPU per 50-item batch read (measured directly, at no
latency, best of 5 rounds), the start time of ``statesync --version`` against
``python -c pass`` (best of 5), and ``--growth``: a no-change plan of 1k, 5k, 10k and
20k posts (100 per page), to show that time per post does not rise with the number
of pages.

Run it with the Python that has statesync installed::

    python benchmarks/scale.py --quick        # 20 pages x 100 posts, about a minute
    python benchmarks/scale.py                # 100 pages x 100 posts
    python benchmarks/scale.py --growth       # the growth table only

It ends with one summary line and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import yaml

from statesync.emulator.server import RunningEmulator, start_emulator
from statesync.lockfile import Lockfile
from statesync.model import PostFields, Record
from statesync.normalize import field_hashes

API = "v26.0"
USER_ID = "910000000000001"
USER_TOKEN = "bench-user-token"  # noqa: S105 - the emulator's test token
TASKS = ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]
MEDIA_PER_PAGE = 3
IN_FLIGHT = 10  # the per-post reference: how per-resource IaC providers read
RATE_BUDGET = {"page_calls_per_window": 200, "window_s": 60}
# Targets (issue 8, then issue 20, "Benchmark")
PLAN_SPEEDUP_MIN = 25.0
PLAN_FLOOR_RATIO_MAX = 2.0  # the no-change plan within 2x its network floor
POSTS_PER_REQUEST_MIN = 40  # at most 250 requests for 10,000 posts
APPLY_SPEEDUP_MIN = 8.0
RSS_MAX_MB = 200.0
START_OVER_PYTHON_MAX_S = 0.15  # `statesync --version` against `python -c pass`
GROWTH_POSTS = (1_000, 5_000, 10_000, 20_000)
GROWTH_PER_POST_MAX = 1.25  # time per post at 20k within 1.25x that at 5k
PARALLELISM = 10  # statesync's --parallelism in the timed phases
BATCH = 50  # PROTOCOL §5: items in one Graph batch
READ_FIELDS = (  # what statesync asks of each post (PROTOCOL §8)
    "id,message,attachments{type,media_type,unshimmed_url,url,target,subattachments}"
)


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- the project ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Post:
    message: str
    attachments: tuple[str, ...] = ()

    @property
    def fields(self) -> PostFields:
        return PostFields(message=self.message, attachments=self.attachments)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the benchmark: its ids, token and desired posts by key."""

    index: int
    posts: dict[str, Post] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"7{self.index:014d}"

    @property
    def stem(self) -> str:
        return f"page-{self.index:03d}"

    @property
    def token(self) -> str:
        return f"bench-page-token-{self.index:03d}"

    @property
    def media(self) -> list[str]:
        return [f"8{self.index:012d}{m:02d}" for m in range(MEDIA_PER_PAGE)]


def initial_pages(pages: int, posts: int) -> list[Page]:
    return [
        Page(
            index=p,
            posts={
                f"post-{i:03d}": Post(f"Page {p:03d}, post {i:03d}: benchmark message.")
                for i in range(posts)
            },
        )
        for p in range(pages)
    ]


def build_seed(pages: Sequence[Page]) -> dict[str, Any]:
    """One user administering every page; each page holds its posts already."""
    return {
        "users": [
            {
                "id": USER_ID,
                "name": "Bench User",
                "token": USER_TOKEN,
                "pages": [
                    {"id": page.id, "token": page.token, "tasks": TASKS}
                    for page in pages
                ],
            }
        ],
        "pages": [
            {
                "id": page.id,
                "name": f"Bench Page {page.index:03d}",
                "category": "Media",
                "media": page.media,
                "posts": [{"message": post.message} for post in page.posts.values()],
            }
            for page in pages
        ],
    }


def write_project(root: Path, pages: Sequence[Page]) -> None:
    """statesync.yaml and one manifest per page, describing exactly ``pages``."""
    config = {
        "provider": "graph",
        "manifests": "pages/",
        "lockfile": "statesync.lock",
        "sandbox": False,
        "graph": {"api_version": API, "token_env": "FACEBOOK_ACCESS_TOKEN"},
    }
    (root / "statesync.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    manifests = root / "pages"
    manifests.mkdir(exist_ok=True)
    for stale in manifests.glob("*.yaml"):
        stale.unlink()
    for page in pages:
        (manifests / f"{page.stem}.yaml").write_text(_manifest(page))


def _manifest(page: Page) -> str:
    posts: dict[str, dict[str, Any]] = {}
    for key, post in page.posts.items():
        entry: dict[str, Any] = {"message": post.message}
        if post.attachments:
            entry["attachments"] = list(post.attachments)
        posts[key] = entry
    document = {"page": page.id, "name": f"Bench Page {page.index:03d}", "posts": posts}
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=200)


def read_feed_ids(client: httpx.Client, page: Page) -> dict[str, str]:
    """Message -> post id, from the page's feed (``limit=100``, following paging)."""
    ids: dict[str, str] = {}
    url: str | None = f"/{API}/{page.id}/feed"
    params: dict[str, Any] | None = {"fields": "id,message", "limit": 100}
    headers = {"Authorization": f"Bearer {page.token}"}
    while url:
        reply = client.get(url, params=params, headers=headers).raise_for_status()
        feed = reply.json()
        for post in feed["data"]:
            ids[post.get("message", "")] = post["id"]
        url = feed.get("paging", {}).get("next") if feed["data"] else None
        params = None  # paging.next carries the query
    return ids


def write_lockfile(root: Path, url: str, pages: Sequence[Page]) -> dict[str, str]:
    """The lockfile of a project already applied; returns post id by address."""
    for stale in ("statesync.lock", "statesync.lock.journal"):
        (root / stale).unlink(missing_ok=True)
    lock = Lockfile(path=root / "statesync.lock")
    post_ids: dict[str, str] = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for page in pages:
            feed = read_feed_ids(client, page)
            for key, post in page.posts.items():
                post_id = feed[post.message]
                lock.record(
                    page.id, page.stem, key, Record(post_id, field_hashes(post.fields))
                )
                post_ids[f"{page.stem}/{key}"] = post_id
    lock.save()
    return post_ids


@dataclass(frozen=True, slots=True)
class ChangeMix:
    pushes: int
    updates: int
    deletes: int

    @property
    def total(self) -> int:
        return self.pushes + self.updates + self.deletes

    @classmethod
    def per_page(cls, changes: int) -> ChangeMix:
        """About 40% pushes, 30% updates, 30% deletes."""
        updates = deletes = max(1, (changes * 3) // 10)
        return cls(max(1, changes - updates - deletes), updates, deletes)


def change_pages(pages: Sequence[Page], mix: ChangeMix, round_no: int) -> list[Page]:
    """Every page gets the same mix: edits of its first posts, deletion of its last
    ones and new keys (one of them with a photo attached)."""
    return [_change_page(page, mix, round_no) for page in pages]


def _change_page(page: Page, mix: ChangeMix, round_no: int) -> Page:
    keys = list(page.posts)
    edited = set(keys[: mix.updates])
    deleted = set(keys[len(keys) - mix.deletes :])
    posts = {
        key: replace(post, message=f"{post.message} Edited in round {round_no}.")
        if key in edited
        else post
        for key, post in page.posts.items()
        if key not in deleted
    }
    for n in range(mix.pushes):
        message = f"Page {page.index:03d}, round {round_no}, new post {n:02d}."
        attachments = (page.media[n % MEDIA_PER_PAGE],) if n == 0 else ()
        posts[f"new-r{round_no}-{n:02d}"] = Post(message, attachments)
    return replace(page, posts=posts)


# --- the emulator -----------------------------------------------------------------


def control(emulator: RunningEmulator, route: str, body: dict[str, Any]) -> None:
    reply = httpx.post(f"{emulator.url}/_emulator/{route}", json=body, timeout=10)
    reply.raise_for_status()


def requests_since_reset(emulator: RunningEmulator) -> int:
    total: int = emulator.stats()["total"]
    return total


class RefusalCounter:
    """Counts the emulator's rate-limit refusals (each one is an 80001 error).

    The stats route counts requests, not refusals, so the limiter of the in-process
    emulator is wrapped; a private attribute, acceptable in a benchmark.
    """

    def __init__(self, emulator: RunningEmulator) -> None:
        limiter = emulator._ctx.limiter
        admit: Callable[[str], bool] = limiter.admit
        self.count = 0
        self._lock = threading.Lock()

        def counting_admit(page_id: str) -> bool:
            admitted = admit(page_id)
            if not admitted:
                with self._lock:
                    self.count += 1
            return admitted

        limiter.admit = counting_admit  # type: ignore[method-assign]


# --- running statesync ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """One child statesync: its exit code, output, wall time and peak RSS."""

    code: int
    stdout: str
    stderr: str
    wall_s: float
    rss_mb: float
    cpu_s: float = 0.0  # the child's user + system CPU
    emulator_cpu_s: float = 0.0  # the emulator thread's CPU meanwhile

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass(slots=True)
class Cli:
    emulator: RunningEmulator
    has_parallelism: bool
    log_dir: Path | None = None
    runs: int = 0

    @property
    def url(self) -> str:
        return self.emulator.url

    def run(self, *args: str, parallelism: int | None = None) -> Run:
        argv = [sys.executable, "-m", "statesync"]
        if self.log_dir is not None:
            argv.append("-v")
        argv.extend(args)
        if parallelism is not None and self.has_parallelism:
            argv.extend(["--parallelism", str(parallelism)])
        env = {
            **os.environ,
            "STATESYNC_GRAPH_URL": self.url,
            "FACEBOOK_ACCESS_TOKEN": USER_TOKEN,
            "NO_COLOR": "1",
            "CI": "1",
        }
        result = run_child(argv, env, self.emulator.cpu_seconds)
        self.runs += 1
        if self.log_dir is not None:
            name = f"{self.runs:02d}-{args[0]}"
            (self.log_dir / f"{name}.out").write_text(result.stdout)
            (self.log_dir / f"{name}.err").write_text(result.stderr)
        return result


def run_child(
    argv: list[str], env: dict[str, str], emulator_cpu_s: Callable[[], float]
) -> Run:
    """Run to completion; peak RSS and CPU from the child's own rusage (wait4), the
    emulator's CPU from its thread's clock."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start, cpu = time.perf_counter(), emulator_cpu_s()
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env)  # noqa: S603
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        emulator_cpu = emulator_cpu_s() - cpu
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            code=child.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            wall_s=wall,
            rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
            cpu_s=usage.ru_utime + usage.ru_stime,
            emulator_cpu_s=emulator_cpu,
        )


def detect_parallelism() -> bool:
    argv = [sys.executable, "-m", "statesync", "plan", "--help"]
    shown = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    return "--parallelism" in shown.stdout


# --- the phases -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    phase: str
    wall_s: float
    requests: int
    extra: str
    ok: bool = True
    rss_mb: float | None = None
    floor_s: float | None = None  # the network floor: see read_floor_s, apply_floor_s
    client_cpu_s: float | None = None
    emulator_cpu_s: float | None = None
    batches: int | None = None  # Graph batch requests (`POST /`) among the requests

    @property
    def floor_ratio(self) -> float | None:
        return self.wall_s / self.floor_s if self.floor_s else None


def read_floor_s(requests: int, in_flight: int, ms: int) -> float:
    """A plan's reads: ``requests / in_flight x latency`` (the issue's 201 requests,
    10 in flight at 50 ms: about 1.0 s)."""
    return requests / in_flight * ms / 1000


def apply_floor_s(requests: int, in_flight: int, ms: int) -> float:
    """An apply's writes: ``ceil(requests / in_flight) x latency``."""
    return math.ceil(requests / in_flight) * ms / 1000


@contextmanager
def latency(emulator: RunningEmulator, ms: int) -> Iterator[None]:
    control(emulator, "latency", {"ms": ms})
    try:
        yield
    finally:
        control(emulator, "latency", {"ms": 0})


def check_no_changes(cli: Cli, project: Path, what: str) -> str | None:
    """None when a plan (latency 0) says ``No changes.``; else why not."""
    result = cli.run("plan", str(project))
    if result.code == 0 and "No changes." in result.stdout:
        return None
    tail = "\n".join(result.output.strip().splitlines()[-15:])
    return f"{what}: plan exited {result.code} and did not say 'No changes.':\n{tail}"


def cli_row(
    label: str, result: Run, requests: int, floor: float, *, expect: str = ""
) -> Row:
    ok = result.code == 0 and expect in result.stdout
    extra = f"peak RSS {result.rss_mb:.0f} MB"
    if not ok:
        extra += f"; exit {result.code}: {_last_line(result)}"
    return Row(
        label,
        result.wall_s,
        requests,
        extra,
        ok,
        result.rss_mb,
        floor_s=floor,
        client_cpu_s=result.cpu_s,
        emulator_cpu_s=result.emulator_cpu_s,
    )


def _mentions_rate_limit(result: Run) -> bool:
    return "80001" in result.output or "rate limit" in result.output.lower()


def _last_line(result: Run) -> str:
    lines = result.output.strip().splitlines()
    return lines[-1][:120] if lines else "(no output)"


PLAN_RUNS = 3


def phase_plan(
    emulator: RunningEmulator, cli: Cli, project: Path, ms: int, runs: int = PLAN_RUNS
) -> Row:
    """The best of ``runs`` no-change plans, as ``--version`` and the batch CPU are
    measured: a shared machine adds time, never takes it away (every run's wall time
    is shown, so the spread is there to see)."""
    rows = [_one_plan(emulator, cli, project, ms) for _ in range(runs)]
    best = min(rows, key=lambda row: row.wall_s)
    if runs == 1:
        return best
    walls = " / ".join(f"{row.wall_s:.2f}" for row in rows)
    failed = [row.extra for row in rows if not row.ok]  # any failed run fails the phase
    extra = "; ".join([best.extra, f"best of {runs} plans: {walls} s", *failed])
    return replace(best, ok=not failed, extra=extra)


def _one_plan(emulator: RunningEmulator, cli: Cli, project: Path, ms: int) -> Row:
    emulator.reset()
    with latency(emulator, ms):
        result = cli.run("plan", str(project), parallelism=10)
    stats = emulator.stats()
    requests = int(stats["total"])
    batches = sum(
        route["count"]
        for route in stats["routes"]
        if (route["method"], route["route"]) == ("POST", "/")
        and not route.get("in_batch")
    )
    floor = read_floor_s(requests, PARALLELISM, ms)
    row = cli_row("1 plan, no changes", result, requests, floor, expect="No changes.")
    return replace(row, batches=batches)


def batch_read_cpu_ms(
    emulator: RunningEmulator,
    pages: Sequence[Page],
    post_ids: dict[str, str],
    rounds: int = 5,
) -> float:
    """The emulator thread's CPU per batch of ``BATCH`` post reads, as statesync sends
    them (each item asks ``READ_FIELDS``, usage headers included), one batch at a time
    at no latency over one raw connection; the best of ``rounds`` rounds of up to 100
    batches (a shared machine adds, never takes away)."""
    bodies: list[tuple[str, bytes]] = []
    for page in pages:
        ids = [post_ids[f"{page.stem}/{key}"] for key in page.posts]
        for start in range(0, len(ids), BATCH):
            items = [
                {"method": "GET", "relative_url": f"{post_id}?fields={READ_FIELDS}"}
                for post_id in ids[start : start + BATCH]
            ]
            form = {"batch": json.dumps(items), "include_headers": "true"}
            bodies.append((page.token, urlencode(form).encode()))
    bodies = bodies[:100]
    parts = urlsplit(emulator.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    best = math.inf
    try:
        for _ in range(rounds):
            cpu = emulator.cpu_seconds()
            for token, body in bodies:
                headers = {
                    "authorization": f"Bearer {token}",
                    "content-type": "application/x-www-form-urlencoded",
                }
                connection.request("POST", f"/{API}/", body=body, headers=headers)
                reply = connection.getresponse()
                if reply.status != 200:
                    raise RuntimeError(f"batch read: HTTP {reply.status}")
                reply.read()
            best = min(best, (emulator.cpu_seconds() - cpu) / len(bodies))
    finally:
        connection.close()
    return best * 1000


def phase_per_post_reads(
    emulator: RunningEmulator, pages: Sequence[Page], post_ids: dict[str, str], ms: int
) -> Row:
    """One GET per post, ``IN_FLIGHT`` threads over one shared client."""
    emulator.reset()
    reads = [
        (post_ids[f"{page.stem}/{key}"], page.token)
        for page in pages
        for key in page.posts
    ]
    limits = httpx.Limits(
        max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT
    )
    client = httpx.Client(base_url=emulator.url, timeout=60, limits=limits)

    def read(item: tuple[str, str]) -> bool:
        post_id, token = item
        reply = client.get(
            f"/{API}/{post_id}",
            params={"fields": "id,message,attachments"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return reply.status_code == 200 and reply.json().get("id") == post_id

    with client, latency(emulator, ms), ThreadPoolExecutor(IN_FLIGHT) as pool:
        start, cpu, emulator_cpu = (
            time.perf_counter(),
            time.process_time(),
            emulator.cpu_seconds(),
        )
        results = list(pool.map(read, reads))
        wall = time.perf_counter() - start
        emulator_cpu = emulator.cpu_seconds() - emulator_cpu
        client_cpu = time.process_time() - cpu - emulator_cpu  # the reading threads
    failed = results.count(False)
    extra = f"{len(reads)} GETs, {IN_FLIGHT} in flight"
    if failed:
        extra += f"; {failed} failed"
    requests = requests_since_reset(emulator)
    return Row(
        "2 per-post reads (ref)",
        wall,
        requests,
        extra,
        not failed,
        floor_s=read_floor_s(requests, IN_FLIGHT, ms),
        client_cpu_s=client_cpu,
        emulator_cpu_s=emulator_cpu,
    )


def phase_apply(
    emulator: RunningEmulator,
    cli: Cli,
    project: Path,
    ms: int,
    *,
    label: str,
    parallelism: int,
) -> tuple[Row, Run]:
    """Apply the manifests as they are; requests counted as a difference of stats."""
    before = requests_since_reset(emulator)
    with latency(emulator, ms):
        result = cli.run(
            "apply", str(project), "--auto-approve", parallelism=parallelism
        )
    requests = requests_since_reset(emulator) - before
    floor = apply_floor_s(requests, parallelism, ms)
    return cli_row(label, result, requests, floor), result


# --- the report -------------------------------------------------------------------


def print_table(rows: Sequence[Row]) -> None:
    say(
        f"{'phase':<30} {'wall s':>7} {'requests':>8} {'floor s':>7} {'x floor':>7} "
        f"{'cli cpu':>7} {'emu cpu':>7}  extra"
    )
    say("-" * 110)
    for row in rows:
        mark = "" if row.ok else "  [FAILED]"
        say(
            f"{row.phase:<30} {row.wall_s:>7.2f} {row.requests:>8} "
            f"{_num(row.floor_s):>7} {_num(row.floor_ratio, 'x'):>7} "
            f"{_num(row.client_cpu_s):>7} {_num(row.emulator_cpu_s):>7}  "
            f"{row.extra}{mark}"
        )


def _num(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.2f}{suffix}"


@dataclass(frozen=True, slots=True)
class Summary:
    posts: int
    changes: int
    plan: Row
    per_post: Row
    apply: Row
    sequential: Row
    refusals: int
    start_over_python_s: float

    @property
    def plan_speedup(self) -> float:
        return self.per_post.wall_s / self.plan.wall_s

    @property
    def apply_speedup(self) -> float:
        return self.sequential.wall_s / self.apply.wall_s

    def line(self) -> str:
        return (
            f"plan {self.posts} posts: {self.plan.wall_s:.2f} s, {self.plan.requests} "
            f"requests, {self.plan_speedup:.1f}x faster than per-post reads; "
            f"apply {self.changes}: {self.apply.wall_s:.2f} s, "
            f"{self.apply_speedup:.1f}x faster than sequential"
        )

    def targets(self) -> list[tuple[bool, str]]:
        """(met, description) for every target of issues 8 and 20."""
        max_requests = self.posts // POSTS_PER_REQUEST_MIN
        rss = self.plan.rss_mb or 0.0
        ratio = self.plan.floor_ratio or math.inf
        return [
            (
                ratio <= PLAN_FLOOR_RATIO_MAX,
                f"plan {ratio:.2f}x its network floor of {self.plan.floor_s or 0:.2f} s "
                f"(target <= {PLAN_FLOOR_RATIO_MAX:.0f}x)",
            ),
            (
                self.start_over_python_s <= START_OVER_PYTHON_MAX_S,
                f"`statesync --version` starts {self.start_over_python_s:.3f} s after "
                f"`python -c pass` (target <= {START_OVER_PYTHON_MAX_S} s)",
            ),
            (
                self.plan_speedup >= PLAN_SPEEDUP_MIN,
                f"plan {self.plan_speedup:.1f}x faster than per-post reads "
                f"(target >= {PLAN_SPEEDUP_MIN:.0f}x)",
            ),
            (
                self.plan.requests <= max_requests,
                f"plan {self.plan.requests} requests (target <= {max_requests})",
            ),
            (
                self.apply_speedup >= APPLY_SPEEDUP_MIN,
                f"apply {self.apply_speedup:.1f}x faster than sequential "
                f"(target >= {APPLY_SPEEDUP_MIN:.0f}x)",
            ),
            (
                rss < RSS_MAX_MB,
                f"plan peak RSS {rss:.0f} MB (target < {RSS_MAX_MB:.0f})",
            ),
            (
                self.refusals == 0,
                f"{self.refusals} rate-limit refusals (80001) under the budget "
                "(target 0)",
            ),
        ]


# --- main -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    pages: int
    posts: int
    latency_ms: int
    log_dir: Path | None
    growth: bool = False


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description="Scale benchmark of statesync.")
    parser.add_argument("--quick", action="store_true", help="20 pages x 100 posts")
    parser.add_argument("--pages", type=int, help="pages (default 100)")
    parser.add_argument("--posts", type=int, help="posts per page (default 100)")
    parser.add_argument("--latency-ms", type=int, default=50, help="per HTTP request")
    parser.add_argument(
        "--growth",
        action="store_true",
        help="only the growth table: no-change plans of 1k, 5k, 10k, 20k posts",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        help="run statesync with -v and keep each run's stdout/stderr here",
    )
    args = parser.parse_args(argv)
    pages = args.pages or (20 if args.quick else 100)
    posts = args.posts or 100
    if pages < 1 or posts < 10:
        parser.error("--pages must be >= 1 and --posts >= 10")
    return Options(pages, posts, args.latency_ms, args.log_dir, args.growth)


def compile_statesync() -> None:
    """Bytecode for statesync's own modules, as a regular install (``pip install .``)
    writes it: an editable install under ``PYTHONDONTWRITEBYTECODE`` (this machine
    sets it) would otherwise compile every module again in every child run, a cost
    no user's install pays."""
    import compileall

    import statesync

    compileall.compile_dir(Path(statesync.__file__).parent, quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    if options.log_dir is not None:
        options.log_dir.mkdir(parents=True, exist_ok=True)
    compile_statesync()
    if options.growth:
        return run_growth(options)
    pages = initial_pages(options.pages, options.posts)
    say(
        f"statesync scale benchmark: {options.pages} pages x {options.posts} posts, "
        f"{options.latency_ms} ms per HTTP request; {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}"
    )
    emulator = start_emulator(seed=build_seed(pages), port=0)
    try:
        with tempfile.TemporaryDirectory(prefix="statesync-bench-") as tmp:
            return run_benchmark(emulator, Path(tmp), pages, options)
    finally:
        emulator.stop()


def run_benchmark(
    emulator: RunningEmulator, project: Path, pages: list[Page], options: Options
) -> int:
    started = time.perf_counter()
    ms = options.latency_ms
    mix = ChangeMix.per_page(options.posts // 10)
    changes = mix.total * len(pages)
    cli = Cli(emulator, detect_parallelism(), options.log_dir)
    mode = (
        "--parallelism 10, reference --parallelism 1"
        if cli.has_parallelism
        else "the CLI has no --parallelism yet: every apply runs with its defaults"
    )
    say(f"mode: {mode}")
    say(
        f"changes per page: {mix.pushes} pushes, {mix.updates} updates, {mix.deletes} deletes"
    )

    write_project(project, pages)
    post_ids = write_lockfile(project, emulator.url, pages)
    if problem := check_no_changes(cli, project, "the generated project"):
        say(problem)
        return 1

    plan = phase_plan(emulator, cli, project, ms)
    per_post = phase_per_post_reads(emulator, pages, post_ids, ms)
    batch_cpu_ms = batch_read_cpu_ms(emulator, pages, post_ids)

    # Phase 3: the same changes in parallel, then one request at a time, each from the
    # seed and the same starting lockfile.
    changed = change_pages(pages, mix, round_no=1)
    problems: list[str] = []
    emulator.reset()
    write_project(project, changed)
    parallel, _ = phase_apply(
        emulator, cli, project, ms, label=f"3 apply {changes} changes", parallelism=10
    )
    problems.append(check_no_changes(cli, project, "after the parallel apply") or "")
    emulator.reset()
    write_lockfile(project, emulator.url, pages)
    sequential, _ = phase_apply(
        emulator, cli, project, ms, label="3 same, one at a time (ref)", parallelism=1
    )
    problems.append(check_no_changes(cli, project, "after the sequential apply") or "")

    # Phase 4: a further set of changes under a per-page rate budget.
    refusals = RefusalCounter(emulator)
    control(emulator, "rate-limit", RATE_BUDGET)
    write_project(project, change_pages(changed, mix, round_no=2))
    budget, budget_run = phase_apply(
        emulator, cli, project, ms, label="4 apply, 200 calls/page/min", parallelism=10
    )
    control(emulator, "rate-limit", {"page_calls_per_window": None})
    told = " (the CLI reported it)" if _mentions_rate_limit(budget_run) else ""
    budget = replace(
        budget,
        extra=f"{refusals.count} refused with 80001{told}; {budget.extra}",
        ok=budget.ok and refusals.count == 0,
    )
    problems.append(
        check_no_changes(cli, project, "after the apply under a budget") or ""
    )

    rows = [plan, per_post, parallel, sequential, budget]
    say()
    print_table(rows)
    if plan.batches and plan.emulator_cpu_s is not None:
        during_plan = plan.emulator_cpu_s / plan.batches * 1000
        say(
            f"emulator CPU per {BATCH}-item batch read: {batch_cpu_ms:.2f} ms measured "
            f"directly, {batch_cpu_ms / ms:.0%} of the {ms} ms latency (it keeps up "
            f"with {PARALLELISM} in flight below {ms / PARALLELISM:.1f} ms); "
            f"{during_plan:.2f} ms per batch during the plan ({plan.batches} batches, "
            "its other requests and the waits of the latency included)"
        )
    python_s, statesync_s = start_times()
    say(
        f"start: `python -c pass` {python_s:.3f} s, `statesync --version` "
        f"{statesync_s:.3f} s (best of 5)"
    )
    summary = Summary(
        posts=sum(len(p.posts) for p in pages),
        changes=changes,
        plan=plan,
        per_post=per_post,
        apply=parallel,
        sequential=sequential,
        refusals=refusals.count,
        start_over_python_s=statesync_s - python_s,
    )
    targets = summary.targets()
    targets += [(row.ok, f"phase '{row.phase}' succeeded") for row in rows]
    targets += [(False, problem) for problem in problems if problem]
    say()
    for met, text in targets:
        say(f"{'met   ' if met else 'MISSED'} {text}")
    say(f"(the benchmark took {time.perf_counter() - started:.0f} s)")
    say(summary.line())
    return 0 if all(met for met, _ in targets) else 1


def start_times(runs: int = 5) -> tuple[float, float]:
    """Best-of-``runs`` wall time of ``python -c pass`` and of ``statesync --version``
    (the console script beside this Python, as users run it)."""
    script = Path(sys.executable).with_name("statesync")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "statesync"]

    def best(argv: list[str]) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)  # noqa: S603
            times.append(time.perf_counter() - start)
        return min(times)

    return best([sys.executable, "-c", "pass"]), best([*command, "--version"])


def run_growth(options: Options) -> int:
    """No-change plans of growing projects (100 posts per page): time per post must
    not rise with the number of pages, neither the wall time nor the CPU (client and
    emulator), which the network floor would otherwise hide."""
    say(
        f"growth: no-change plans, 100 posts per page, {options.latency_ms} ms per "
        f"request, parallelism {PARALLELISM}; {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}"
    )
    say(
        f"{'posts':>7} {'pages':>6} {'wall s':>7} {'requests':>8} {'floor s':>7} "
        f"{'x floor':>7} {'cli cpu':>7} {'emu cpu':>7} {'RSS MB':>7} {'us/post':>8} "
        f"{'cpu us/post':>11}"
    )
    wall_per_post: dict[int, float] = {}
    cpu_per_post: dict[int, float] = {}
    failed = False
    for posts in GROWTH_POSTS:
        pages = initial_pages(posts // 100, 100)
        emulator = start_emulator(seed=build_seed(pages), port=0)
        try:
            with tempfile.TemporaryDirectory(prefix="statesync-growth-") as tmp:
                project = Path(tmp)
                write_project(project, pages)
                write_lockfile(project, emulator.url, pages)
                cli = Cli(emulator, True)
                row = phase_plan(emulator, cli, project, options.latency_ms)
        finally:
            emulator.stop()
        failed = failed or not row.ok
        cpu = (row.client_cpu_s or 0.0) + (row.emulator_cpu_s or 0.0)
        wall_per_post[posts] = row.wall_s / posts * 1e6
        cpu_per_post[posts] = cpu / posts * 1e6
        say(
            f"{posts:>7} {len(pages):>6} {row.wall_s:>7.2f} {row.requests:>8} "
            f"{_num(row.floor_s):>7} {_num(row.floor_ratio, 'x'):>7} "
            f"{_num(row.client_cpu_s):>7} {_num(row.emulator_cpu_s):>7} "
            f"{row.rss_mb or 0:>7.0f} {wall_per_post[posts]:>8.0f} "
            f"{cpu_per_post[posts]:>11.0f}" + ("" if row.ok else "  [FAILED]")
        )
    small, large = GROWTH_POSTS[1], GROWTH_POSTS[-1]
    targets = [
        (not failed, "every plan said 'No changes.'"),
    ]
    for what, per_post in (("time", wall_per_post), ("CPU", cpu_per_post)):
        ratio = per_post[large] / per_post[small]
        targets.append(
            (
                ratio <= GROWTH_PER_POST_MAX,
                f"{what} per post at {large:,} posts ({large // 100} pages) is "
                f"{ratio:.2f}x that at {small:,} ({small // 100} pages) (target <= "
                f"{GROWTH_PER_POST_MAX}x: linear in posts and pages)",
            )
        )
    say()
    for met, text in targets:
        say(f"{'met   ' if met else 'MISSED'} {text}")
    return 0 if all(met for met, _ in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
