"""A real HTTP server on loopback that serves feeds and pages, for the sources tests.

Routes are set per test (``server.route("/feed.xml", body, content_type=...)``); every
request is recorded with its headers, so tests assert on what briefgen actually asked
(conditional headers, how many bodies were sent). Each route serves an ETag and a
Last-Modified and answers 304 to a matching conditional request, like a real feed host.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

LAST_MODIFIED = "Tue, 01 Dec 2026 06:00:00 GMT"


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-request (a timeout, a redirect it stopped following) is no
    error of the server: socketserver would print a traceback to stderr, where a test of the
    CLI's own output (no traceback, ever) found it (test_catalog, CI 2026-12-02)."""

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the first byte
    conditional: bool = True  # ETag / Last-Modified, 304 when they match
    stream: int = 0  # send this many filler bytes, chunked and without a length (a huge page)
    compress: bool = True  # gzip when the client accepts it


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    status: int = 0


class FeedServer:
    """Threaded loopback server; see the module docstring."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = QuietServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, body: bytes | str = b"", **kwargs: Any) -> str:
        """Serve ``body`` at ``path``; returns the full URL."""
        self.routes[path] = Route(body.encode("utf-8") if isinstance(body, str) else body, **kwargs)
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def bodies_sent(self) -> int:
        """Responses that carried a body (200s): a fully conditional run sends none."""
        return sum(1 for r in self.requests if r.status == 200)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
                with server._lock:
                    server.requests.append(seen)
                route = server.routes.get(self.path)
                if route is None:
                    seen.status = 404
                    self._reply(404, b"<h1>Not found</h1>", {"Content-Type": "text/html"})
                    return
                if route.delay:
                    end = time.monotonic() + route.delay
                    while time.monotonic() < end:
                        time.sleep(0.02)
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                headers = {"Content-Type": route.content_type, **route.headers}
                if route.conditional and route.status == 200:
                    headers.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
                    if self.headers.get("If-None-Match") == etag:
                        seen.status = 304
                        self._reply(304, b"", {"ETag": etag})
                        return
                seen.status = route.status
                if route.stream:
                    self._stream(route, headers)
                    return
                body = route.body
                if (route.compress and "gzip" in self.headers.get("Accept-Encoding", "") and route.status == 200
                        and len(body) > 200):
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                self._reply(route.status, body, headers)

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _stream(self, route: Route, headers: dict[str, str]) -> None:
                self.send_response(200)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"<p>" + b"filler text " * 5000 + b"</p>\n"
                sent = 0
                try:
                    while sent < route.stream:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        sent += len(chunk)
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

        return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()
