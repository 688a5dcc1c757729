"""A real OpenAI-protocol HTTP server on loopback, for tests that must not mock the client.

Speaks ``POST /v1/chat/completions``, ``GET /v1/models`` and ``POST /v1/embeddings``.
Every request is recorded (method, path, headers, parsed JSON body) so tests assert on what
was actually sent. Chat replies come from a queue of scripted replies consumed in order,
then from ``responder(request_json) -> content`` when the queue is empty::

    def test_x(fake_llm):
        fake_llm.script('{"a": 1}', rate_limited(retry_after=0.01), Reply(content="..."))
        fake_llm.responder = lambda req: json.dumps({...})
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Iterator

import pytest
from feedserver import QuietServer

Responder = Callable[[dict[str, Any]], "str | dict[str, Any] | Reply"]


def _has_tag(body: Any, tag: str) -> bool:
    messages = body.get("messages", []) if isinstance(body, dict) else []
    return any(isinstance(m, dict) and tag in str(m.get("content", "")) for m in messages)


def _is_story_call(body: Any) -> bool:
    return _has_tag(body, "<pairs>")


def _is_judge_call(body: Any) -> bool:
    return _has_tag(body, "<articles>")


@dataclass
class Reply:
    """One scripted reply: content (str, or a dict JSON-encoded) or an HTTP error."""

    content: str | dict[str, Any] | None = None
    finish_reason: str = "stop"
    usage: dict[str, int] | None = None  # None = computed; {} = omit "usage" entirely
    status: int = 200
    body: dict[str, Any] | None = None  # error body when status != 200
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection with a TCP reset instead of answering
    trickle: float = 0.0  # seconds between the body's bytes (a server that never quite finishes)
    refusal: str | None = None  # OpenAI's structured-output refusal (content null)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any
    at: float


def error_body(message: str, type_: str, code: str | None = None) -> dict[str, Any]:
    """The OpenAI error envelope."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def rate_limited(retry_after: float | None = 0.01, message: str = "Rate limit reached") -> Reply:
    """HTTP 429 as OpenAI sends it (optionally with Retry-After, seconds)."""
    return Reply(status=429, body=error_body(message, "requests", "rate_limit_exceeded"), retry_after=retry_after)


def server_error(message: str = "The server had an error while processing your request.") -> Reply:
    """HTTP 500 with the OpenAI error envelope."""
    return Reply(status=500, body=error_body(message, "server_error"))


def bad_request(message: str = "Invalid request", status: int = 400) -> Reply:
    """HTTP 400 (or another 4xx) invalid_request_error."""
    return Reply(status=status, body=error_body(message, "invalid_request_error"))


def format_rejected() -> Reply:
    """llama-cpp-python's server refusing a json_schema response_format (it answers HTTP 500)."""
    message = (
        "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
        "  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema', "
        "input_type=str]"
    )
    return Reply(status=500, body=error_body(message, "internal_server_error"))


def connection_reset() -> Reply:
    """The connection is reset before any reply (a crashed or restarted server)."""
    return Reply(drop=True)


def hang(seconds: float) -> Reply:
    """No reply for ``seconds`` (longer than the client's timeout)."""
    return Reply(delay=seconds, content="{}")


def _estimate_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4)) if text else 0


def hashed_embedding(text: str, dims: int = 64) -> list[float]:
    """Deterministic bag-of-words vector (unit length): equal word sets give equal vectors."""
    vec = [0.0] * dims
    for word in re.findall(r"\w+", text.casefold()):
        h = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big")
        vec[h % dims] += 1.0 if (h >> 31) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


class FakeOpenAI:
    """Threaded loopback server; see the module docstring."""

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[RecordedRequest] = []
        self.responder: Responder | None = None
        self._queue: deque[str | dict[str, Any] | Reply] = deque()
        self._lock = threading.Lock()
        self._httpd = QuietServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        # A short poll interval keeps teardown fast (shutdown() waits for one poll).
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-openai", daemon=True)

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- scripting ----------------------------------------------------------------------
    def script(self, *replies: str | dict[str, Any] | Reply) -> None:
        """Queue replies for the next chat completions, consumed in order."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Recorded POST /v1/chat/completions requests."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def article_requests(self) -> list[RecordedRequest]:
        """Chat requests about one article (summarize), not a story's cross-check."""
        return [r for r in self.chat_requests if not _is_story_call(r.json) and not _is_judge_call(r.json)]

    @property
    def story_requests(self) -> list[RecordedRequest]:
        """Chat requests cross-checking one story of several outlets (prompt crosscheck)."""
        return [r for r in self.chat_requests if _is_story_call(r.json)]

    @property
    def judge_requests(self) -> list[RecordedRequest]:
        """Chat requests asking whether two articles report one event (prompt judge)."""
        return [r for r in self.chat_requests if _is_judge_call(r.json)]

    @property
    def pending(self) -> int:
        """Scripted replies not yet consumed."""
        return len(self._queue)

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            item = self._queue.popleft() if self._queue else None
        if item is None:
            if self.responder is None:
                return Reply(status=500, body=error_body("fake server: no scripted reply and no responder", "server_error"))
            item = self.responder(body)
        return item if isinstance(item, Reply) else Reply(content=item)

    # ---- HTTP ---------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm on, the client's
            # delayed ACK stalls every reply by ~40 ms (measured: 46 ms a call, 500 calls 23 s).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
                pass

            def _record(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if len(raw) < length:  # the client hung up mid-request (killed): nothing was asked
                    raise ConnectionResetError("request body cut short")
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = raw.decode("utf-8", "replace")
                with server._lock:
                    server.requests.append(
                        RecordedRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, parsed, time.monotonic())
                    )
                return parsed

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None,
                      trickle: float = 0.0) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                try:
                    self.end_headers()
                    if not trickle:
                        self.wfile.write(data)
                        return
                    for i in range(len(data)):
                        self.wfile.write(data[i:i + 1])
                        time.sleep(trickle)
                except OSError:  # the client gave up (a timeout test): nothing to report
                    self.close_connection = True

            def reset(self) -> None:
                # SO_LINGER 0: close() sends RST, as a crashed server's kernel does.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True

            def do_GET(self) -> None:
                server._record_get(self)

            def do_POST(self) -> None:
                body = self._record()
                if self.path.rstrip("/").endswith("/chat/completions"):
                    server._chat(self, body if isinstance(body, dict) else {})
                elif self.path.rstrip("/").endswith("/embeddings"):
                    server._embeddings(self, body if isinstance(body, dict) else {})
                else:
                    self._send(404, error_body(f"no route {self.path}", "not_found_error"))

        return Handler

    def _record_get(self, h: Any) -> None:
        h._record()
        if h.path.rstrip("/").endswith("/models"):
            h._send(200, {"object": "list", "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}]})
        else:
            h._send(404, error_body(f"no route {h.path}", "not_found_error"))

    def _chat(self, h: Any, body: dict[str, Any]) -> None:
        reply = self._next_reply(body)
        if reply.drop:
            h.reset()
            return
        if reply.delay:
            time.sleep(reply.delay)
        headers = dict(reply.headers)
        if reply.retry_after is not None:
            headers["Retry-After"] = f"{reply.retry_after:g}"
        if reply.status != 200:
            h._send(reply.status, reply.body or error_body("error", "server_error"), headers)
            return
        content = reply.content if isinstance(reply.content, str) or reply.content is None else json.dumps(reply.content)
        prompt_text = " ".join(str(m.get("content", "")) for m in body.get("messages", []) if isinstance(m, dict))
        usage = reply.usage
        if usage is None:
            p, c = _estimate_tokens(prompt_text), _estimate_tokens(content or "")
            usage = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
        payload: dict[str, Any] = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None if reply.refusal else content,
                                "refusal": reply.refusal},
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
        }
        if usage:
            payload["usage"] = usage
        h._send(200, payload, headers, trickle=reply.trickle)

    def _embeddings(self, h: Any, body: dict[str, Any]) -> None:
        inputs = body.get("input", [])
        if isinstance(inputs, str):
            inputs = [inputs]
        data = [{"object": "embedding", "index": i, "embedding": hashed_embedding(str(t))} for i, t in enumerate(inputs)]
        tokens = sum(_estimate_tokens(str(t)) for t in inputs)
        h._send(200, {"object": "list", "data": data, "model": body.get("model") or self.model,
                      "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAI]:
    """A started FakeOpenAI on a free loopback port, stopped at teardown."""
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
