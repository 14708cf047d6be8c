"""A misbehaving HTTP proxy in front of the emulator, on 127.0.0.1 (issue 19).

The emulator answers like the real APIs; the servers users meet are not always so
kind. This proxy forwards requests to the emulator over real TCP and can spoil the
answer the client gets, the way load balancers, captive portals and broken networks
do: after a write really happened upstream, answer a redirect, an HTML error page, a
body cut in the middle, nothing at all, or the real answer one byte a second. It can
also refuse a request without forwarding it, with an API error that echoes the
request's secrets in encoded forms.

A ``Rule`` says what to do and from which request on: ``start="now"`` spoils every
request, ``start="push"`` forwards faithfully until the first push (Graph
``POST /{page-id}/feed``, OneAll ``POST .../page/post.json``), then spoils it and every
request after it, so that the recovery's listing cannot settle the push either.

Every answer says ``Connection: close``: one request per connection keeps the proxy
simple, and httpx opens a new connection for the next request.
"""

from __future__ import annotations

import base64
import enum
import http.client
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

PUSH_PATH = re.compile(r"/feed$|/page/post\.json$")
_HOP_BY_HOP = frozenset(
    {"connection", "content-length", "transfer-encoding", "keep-alive"}
)
HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
    b"</body></html>"
)


class Act(enum.Enum):
    FORWARD = "forward"
    REDIRECT_301 = "301"  # forward, then answer 301 with the real body
    REDIRECT_307 = "307"  # forward, then answer 307 with the real body
    DRIP = "drip"  # forward, then send the real answer one byte per interval
    TRUNCATE = "truncate"  # forward, then send half the body and hang up
    HTML_502 = "html-502"  # forward, then answer a load balancer's HTML 502 page
    DROP = "drop"  # forward, then hang up without a word
    ECHO = "echo"  # do not forward: refuse, echoing the request's secrets encoded


@dataclass(frozen=True, slots=True)
class Rule:
    act: Act
    start: str = "now"  # "now" | "push": from which request on
    only_pushes: bool = False  # spoil pushes only, forward everything else


@dataclass(slots=True)
class Request:
    method: str
    target: str  # path and query
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name), "")

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass(slots=True)
class Seen:
    """What happened to one request, for the tests' assertions."""

    method: str
    path: str
    act: Act
    sent: int = 0  # bytes of the answer written before the client left or it ended
    planned: int = 0  # bytes of the answer in all
    client_left: bool = False  # the client closed the connection first


@dataclass
class HostileProxy:
    upstream: str  # http://127.0.0.1:port of the emulator
    drip_interval_s: float = 1.0
    rule: Rule = Rule(Act.FORWARD)
    seen: list[Seen] = field(default_factory=list)
    echoed: list[str] = field(default_factory=list)  # every encoded secret sent back
    # What of the echoes must never be shown: each whole echo, and of a secret echoed
    # inside longer base64 data, the characters that encode the secret's bytes alone.
    forbidden: list[str] = field(default_factory=list)
    _pushed: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listener: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self._listener is not None
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def misbehave(
        self, act: Act, *, start: str = "now", only_pushes: bool = False
    ) -> None:
        with self._lock:
            self.rule, self._pushed = Rule(act, start, only_pushes), False

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self._spawn(self._serve, conn)

    def _act_for(self, request: Request) -> Act:
        is_push = request.method == "POST" and bool(PUSH_PATH.search(request.path))
        with self._lock:
            self._pushed = self._pushed or is_push
            if self.rule.start == "push" and not self._pushed:
                return Act.FORWARD
            if self.rule.only_pushes and not is_push:
                return Act.FORWARD
            return self.rule.act

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            request = _read_request(conn)
            if request is None:
                return
            act = self._act_for(request)
            seen = Seen(request.method, request.path, act)
            with self._lock:
                self.seen.append(seen)
            if act is Act.ECHO:
                self._send(conn, seen, self._echo(request))
                return
            status, reason, headers, body = self._forward(request)
            self._answer(conn, seen, act, status, reason, headers, body)

    def _forward(
        self, request: Request
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        parts = urlsplit(self.upstream)
        upstream = http.client.HTTPConnection(parts.hostname or "", parts.port, 10)
        try:
            upstream.putrequest(
                request.method,
                request.target,
                skip_host=True,
                skip_accept_encoding=True,
            )
            for name, value in request.headers:
                if name.lower() not in _HOP_BY_HOP:
                    upstream.putheader(name, value)
            upstream.putheader("Content-Length", str(len(request.body)))
            upstream.endheaders(request.body)
            reply = upstream.getresponse()
            body = reply.read()
            headers = [
                (k, v) for k, v in reply.getheaders() if k.lower() not in _HOP_BY_HOP
            ]
            return reply.status, reply.reason, headers, body
        finally:
            upstream.close()

    def _answer(
        self,
        conn: socket.socket,
        seen: Seen,
        act: Act,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> None:
        if act is Act.DROP:
            return
        if act in (Act.REDIRECT_301, Act.REDIRECT_307):
            code = int(act.value)
            moved = [("Location", "http://127.0.0.1:9/elsewhere"), *headers]
            self._send(conn, seen, _reply(code, "Moved", moved, body))
        elif act is Act.HTML_502:
            page = [("Content-Type", "text/html")]
            self._send(conn, seen, _reply(502, "Bad Gateway", page, HTML_502))
        elif act is Act.TRUNCATE:
            whole = _reply(status, reason, headers, body)
            self._send(conn, seen, whole[: len(whole) - len(body) // 2 - 1])
        elif act is Act.DRIP:
            self._drip(conn, seen, _reply(status, reason, headers, body))
        else:
            self._send(conn, seen, _reply(status, reason, headers, body))

    def _send(self, conn: socket.socket, seen: Seen, data: bytes) -> None:
        seen.planned = len(data)
        try:
            conn.sendall(data)
            seen.sent = len(data)
        except OSError:
            seen.client_left = True

    def _drip(self, conn: socket.socket, seen: Seen, data: bytes) -> None:
        seen.planned = len(data)
        for index in range(len(data)):
            if self._stop.is_set():
                return
            try:
                conn.sendall(data[index : index + 1])
            except OSError:
                seen.client_left = True
                return
            seen.sent = index + 1
            if self._stop.wait(self.drip_interval_s):
                return
            if _closed_by_peer(conn):
                seen.client_left = True
                return

    def _echo(self, request: Request) -> bytes:
        """An API refusal whose message holds the request's secrets, encoded."""
        secrets = _secrets_of(request)
        forms = [form for secret in secrets for form in encoded_echoes(secret)]
        with self._lock:
            self.echoed.extend(forms)
            self.forbidden.extend(forms)
            self.forbidden.extend(embedded_core(secret) for secret in secrets)
        text = "echo: " + " | ".join(forms)
        if request.path.startswith(("/push/", "/pull/", "/update/")):
            envelope = {
                "response": {
                    "request": {
                        "date": "Thu, 21 Sep 2017 15:56:59  0200",
                        "resource": request.path,
                        "status": {"flag": "error", "code": 400, "info": text},
                    }
                }
            }
        else:
            envelope = {
                "error": {
                    "message": f"(#100) Invalid parameter {text}",
                    "type": "OAuthException",
                    "code": 100,
                    "error_user_msg": text,
                    "fbtrace_id": "AbCdEfGhIjK",
                }
            }
        body = json.dumps(envelope).encode()
        return _reply(400, "Bad Request", [("Content-Type", "application/json")], body)


EMBED_BEFORE = b"user=x;token="  # 13 bytes: the secret starts at offset 1 mod 3
EMBED_AFTER = b";tail"


def encoded_echoes(secret: str) -> list[str]:
    """How a careless server may echo ``secret``: base64 (both alphabets, padded or
    not, and inside longer data at an odd offset), percent-encoded, JSON-escaped."""
    raw = secret.encode()
    return [
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        base64.b64encode(EMBED_BEFORE + raw + EMBED_AFTER).decode(),
        quote(secret, safe=""),
        quote(secret, safe="").replace("-", "%2D"),  # over-eager percent-encoding
        json.dumps(secret)[1:-1],
    ]


def embedded_core(secret: str) -> str:
    """The characters of the embedded echo that only the secret's bytes determine:
    base64 character i stands for bits [6i, 6i + 6) of the data."""
    start = len(EMBED_BEFORE) * 8
    end = start + len(secret.encode()) * 8
    text = base64.b64encode(EMBED_BEFORE + secret.encode() + EMBED_AFTER).decode()
    return text[-(-start // 6) : end // 6]


def _secrets_of(request: Request) -> list[str]:
    """The secrets a request carries: a Bearer token, Basic credentials (each half),
    and OneAll's identity token in the path."""
    found: list[str] = []
    scheme, _, credentials = request.header("authorization").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        found.append(credentials)
    elif scheme.lower() == "basic" and credentials:
        public, _, private = base64.b64decode(credentials).decode().partition(":")
        found += [public, private]
    identity = re.search(r"/identities/([^/]+)/", request.path)
    if identity:
        found.append(identity.group(1))
    return found


def _reply(
    status: int, reason: str, headers: list[tuple[str, str]], body: bytes
) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def _read_request(conn: socket.socket) -> Request | None:
    conn.settimeout(10)
    reader = conn.makefile("rb")
    try:
        start = reader.readline().decode("latin-1").rstrip("\r\n")
        if not start:
            return None
        method, target, _ = start.split(" ", 2)
        headers: list[tuple[str, str]] = []
        while True:
            line = reader.readline().decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        request = Request(method, target, headers, b"")
        length = int(request.header("content-length") or 0)
        request.body = reader.read(length) if length else b""
        return request
    except (OSError, ValueError):
        return None
    finally:
        reader.close()


def _closed_by_peer(conn: socket.socket) -> bool:
    """Whether the client has hung up (a readable socket with nothing to read)."""
    try:
        conn.setblocking(False)
        try:
            return conn.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        finally:
            conn.setblocking(True)
    except OSError:
        return True


@contextmanager
def hostile_proxy(
    upstream: str, *, drip_interval_s: float = 1.0
) -> Iterator[HostileProxy]:
    proxy = HostileProxy(upstream=upstream, drip_interval_s=drip_interval_s)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
