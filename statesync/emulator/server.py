"""Run the emulator: uvicorn in a background thread, for tests, the sandbox and the CLI."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from statesync.emulator.app import EmulatorApp
from statesync.emulator.context import Context
from statesync.emulator.seed import parse_seed
from statesync.emulator.store import Store

_START_TIMEOUT_S = 10.0


class RunningEmulator:
    """A started emulator; `url` has no trailing slash."""

    def __init__(
        self, url: str, server: uvicorn.Server, thread: threading.Thread, ctx: Context
    ) -> None:
        self.url = url
        self._server = server
        self._thread = thread
        self._ctx = ctx

    def _control(self, method: str, route: str, body: Any = None) -> Any:
        # Through HTTP, so that a reset is ordered with requests the loop is handling;
        # http.client because an httpx.Client costs ~25 ms (its SSL context) per call.
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(
            parts.hostname or "", parts.port, timeout=10
        )
        try:
            sent = json.dumps(body or {}).encode() if method == "POST" else None
            connection.request(
                method,
                f"/_emulator/{route}",
                body=sent,
                headers={"content-type": "application/json"},
            )
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(
                f"emulator control {route}: HTTP {response.status}: {payload!r}"
            )
        return json.loads(payload)

    def reset(self) -> None:
        """Back to the seed; clears faults, latency, rate limits and stats."""
        self._control("POST", "reset")

    def set_clock(self, now: str | None) -> str:
        """Move the API's clock to `now` (RFC 3339, with an offset) and let it run on
        from there; None: real time again. Returns the emulator's time, in UTC."""
        reply: dict[str, Any] = self._control("POST", "clock", {"now": now})
        return str(reply["now"])

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._control("GET", "stats")
        return stats

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the thread that serves every request: the
        emulator's own work, apart from whatever else runs in this process."""
        ident = self._thread.ident
        if ident is None or not hasattr(time, "pthread_getcpuclockid"):
            return time.process_time()  # pragma: no cover - not Linux or macOS
        return time.clock_gettime(time.pthread_getcpuclockid(ident))

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=_START_TIMEOUT_S)
        self._ctx.store.close()


def start_emulator(
    *,
    seed: Mapping[str, Any] | None = None,
    state: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    access_log: bool = False,
) -> RunningEmulator:
    """Start serving and return once connections are accepted.

    With `state`, pages and posts survive a restart: the seed's users, tokens, pages
    and media are upserted, and its posts are created only on pages that are new.
    Raises `SeedError` for a bad seed and `OSError` when the port is taken.
    """
    parsed = parse_seed(seed)
    store = Store(state)
    store.apply_seed(parsed)
    ctx = Context(store=store, seed=parsed)
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it every reply waits ~40 ms for a delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        store.close()
        raise
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        EmulatorApp(ctx),
        log_config=None,
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name="statesync-emulator",
        daemon=True,
    )
    thread.start()
    started = threading.Event()

    def wait() -> None:
        while not server.started and thread.is_alive():
            started.wait(0.01)

    wait()
    if not server.started:
        sock.close()
        store.close()
        raise RuntimeError("the emulator did not start")
    url_host = f"[{host}]" if ":" in host else host
    return RunningEmulator(f"http://{url_host}:{bound_port}", server, thread, ctx)


@contextmanager
def run_emulator(
    *,
    seed: Mapping[str, Any] | None = None,
    state: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    access_log: bool = False,
) -> Iterator[RunningEmulator]:
    """`start_emulator` as a context manager that always stops the server."""
    emulator = start_emulator(
        seed=seed, state=state, host=host, port=port, access_log=access_log
    )
    try:
        yield emulator
    finally:
        emulator.stop()
