"""A real HTTP server for the fixture sites in tests/sites/ (first path segment = live host), with fault injection."""

from __future__ import annotations

import email.parser
import email.policy
import fnmatch
import hashlib
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

SITES = Path(__file__).resolve().parent
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".json": "application/json", ".zip": "application/zip",
    ".pdf": "application/pdf", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
}
# For fixture files named exactly like a live URL without a suffix (e.g. an export endpoint).
MAGIC = [(b"PK\x03\x04", "application/zip"), (b"%PDF", "application/pdf"), (b"{", "application/json"),
         (b"[", "application/json"), (b"<?xml", "application/xml"), (b"<", "text/html; charset=utf-8")]
FAULT_KINDS = frozenset({"500", "429", "slow", "truncated", "replace", "empty"})


@dataclass
class Logged:
    """One request as the server saw it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic() on arrival
    status: int = 0

    def parts(self) -> dict[str, bytes]:
        """The fields of a multipart/form-data body by name (e.g. the EU search API's ``query`` part)."""
        head = f"Content-Type: {self.headers.get('content-type', '')}\r\n\r\n".encode()
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        return {str(p.get_param("name", header="content-disposition")): bytes(p.get_payload(decode=True))
                for p in msg.iter_parts()}  # type: ignore[attr-defined]


@dataclass
class Fault:
    pattern: str  # fnmatch pattern on the request path, e.g. "/skew.engagement-global.de/*.html"
    kind: str
    times: int | None  # only the first N matching requests; None = all
    options: dict[str, Any] = field(default_factory=dict)
    hits: int = 0


class FixtureServer:
    """Serves ``root/<host>/<path>`` at ``/<host>/<path>`` on 127.0.0.1; see ``serve_sites``."""

    def __init__(self, root: Path = SITES) -> None:
        self.root = root.resolve()
        self.log: list[Logged] = []
        self.faults: list[Fault] = []
        self.max_in_flight: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fixture = self
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        # A short poll interval keeps shutdown (and so every test's teardown) quick.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fixture-sites", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers sleeping in a "slow" fault
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def rewrite_for(self, hosts: Iterable[str]) -> dict[str, str]:
        """The ``Fetcher(rewrite=...)`` map sending the live hosts' URLs here."""
        return {f"{scheme}://{h}/": f"{self.url}/{h}/" for h in hosts for scheme in ("https", "http")}

    def fault(self, path_pattern: str, kind: str, *, times: int | None = None, **options: Any) -> None:
        """Misbehave on matching paths: "500", "429" (retry_after=N), "slow" (seconds=S, then serve),
        "truncated", "replace" (with_path="/host/other.html"), "empty"."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self.faults.append(Fault(path_pattern, kind, times, options))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def requests(self, path_pattern: str = "*", method: str | None = None) -> list[Logged]:
        with self._lock:
            return [r for r in self.log if fnmatch.fnmatchcase(r.path, path_pattern)
                    and (method is None or r.method == method)]

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if fnmatch.fnmatchcase(path, f.pattern) and (f.times is None or f.hits < f.times):
                    f.hits += 1
                    return f
        return None

    def resolve(self, path: str) -> Path | None:
        """The file for a request path, never outside root; a directory means its index.html."""
        candidate = (self.root / path.lstrip("/")).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_relative_to(self.root) and candidate.is_file() else None

    def enter(self, host: str) -> None:
        with self._lock:
            self._in_flight[host] = self._in_flight.get(host, 0) + 1
            self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), self._in_flight[host])

    def leave(self, host: str, entry: Logged) -> None:
        with self._lock:
            self._in_flight[host] -= 1
            self.log.append(entry)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fixture: FixtureServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or gave up closes its socket; that is the point of some faults, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the fixture keeps its own log
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._handle(b"")

    def do_POST(self) -> None:  # noqa: N802
        self._handle(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _handle(self, body: bytes) -> None:
        fx, split = self.server.fixture, urlsplit(self.path)
        self._status = 0  # one handler serves all requests of a keep-alive connection
        path = unquote(split.path)
        host = path.strip("/").split("/", 1)[0]
        entry = Logged(self.command, path, split.query, {k.lower(): v for k, v in self.headers.items()},
                       body, time.monotonic())
        fx.enter(host)
        try:
            self._respond(fx, path)
        finally:
            entry.status = self._status
            fx.leave(host, entry)

    def _respond(self, fx: FixtureServer, path: str) -> None:
        fault = fx.take_fault(path)
        kind, opts = (fault.kind, fault.options) if fault else ("", {})
        if kind == "500":
            return self._send(500, b"injected failure", "text/plain")
        if kind == "429":
            return self._send(429, b"slow down", "text/plain", {"Retry-After": str(opts.get("retry_after", 1))})
        if kind == "slow" and fx.stopping.wait(float(opts.get("seconds", 10.0))):
            return self._send(503, b"shutting down", "text/plain")
        file = fx.resolve(opts["with_path"] if kind == "replace" else path + (".POST.json" * (self.command == "POST")))
        if file is None:
            return self._send(404, b"not found", "text/plain")
        data = file.read_bytes()
        ctype = _content_type(file, data)
        if kind == "empty":
            return self._send(200, b"", ctype)
        if kind == "truncated":
            return self._truncated(data, ctype)
        if self.command == "GET":
            return self._send_conditional(file, data, ctype)
        return self._send(200, data, ctype)

    def _send_conditional(self, file: Path, data: bytes, ctype: str) -> None:
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        mtime = int(file.stat().st_mtime)
        headers = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True)}
        if _not_modified(self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), etag, mtime):
            return self._send(304, b"", None, headers)
        return self._send(200, data, ctype, headers)

    def _send(self, status: int, body: bytes, ctype: str | None, headers: dict[str, str] | None = None) -> None:
        self._status = status
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _truncated(self, data: bytes, ctype: str) -> None:
        """Promise more than is sent, then hang up: what a dropped connection looks like to the client."""
        self._status = 200
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data) + 1024))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True


def _content_type(file: Path, data: bytes) -> str:
    if file.suffix in CONTENT_TYPES:
        return CONTENT_TYPES[file.suffix]
    return next((ctype for magic, ctype in MAGIC if data.lstrip().startswith(magic)), "application/octet-stream")


def _not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str, mtime: int) -> bool:
    # RFC 9110 13.2.2: If-None-Match decides when present; If-Modified-Since only otherwise.
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if not if_modified_since:
        return False
    try:
        return mtime <= parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError):
        return False


@contextmanager
def serve_sites(root: Path | str = SITES) -> Iterator[FixtureServer]:
    """A started FixtureServer for the ``with`` block: ``.url``, ``.rewrite_for(hosts)``, ``.fault(...)``, ``.log``."""
    server = FixtureServer(Path(root))
    server.start()
    try:
        yield server
    finally:
        server.stop()
