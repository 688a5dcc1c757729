"""The loopback OpenAI-protocol server with the Files and Batches endpoints (the Batch API).

Speaks everything :class:`fakeserver.FakeOpenAI` does, plus ``POST /v1/files`` (multipart
upload), ``GET /v1/files/{id}/content``, ``POST /v1/batches`` and ``GET /v1/batches/{id}``.
A batch is ``validating``, then ``in_progress`` for ``polls_to_finish`` retrieves, then
``completed``: each input line is answered by the same scripted queue / responder as a chat
call (a ``Reply`` with a status other than 200 becomes an error line), and the output and
error files are written. ``fail_batch`` makes the next batch end ``failed``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, Iterator

import pytest
from fakeserver import FakeOpenAI, Reply, error_body

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')


def _multipart_file(content_type: str, raw: bytes) -> tuple[str, bytes, dict[str, str]]:
    """(filename, file bytes, other form fields) of a multipart/form-data body."""
    m = _BOUNDARY.search(content_type)
    assert m, content_type
    boundary = b"--" + m.group(1).encode()
    name, data, fields = "upload", b"", {}
    for part in raw.split(boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, body = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        body = body[:-2] if body.endswith(b"\r\n") else body
        disposition = head.decode("utf-8", "replace")
        field = re.search(r'name="([^"]+)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if filename:
            name, data = filename.group(1), body
        elif field:
            fields[field.group(1)] = body.decode("utf-8", "replace")
    return name, data, fields


class FakeBatchOpenAI(FakeOpenAI):
    """FakeOpenAI plus the Batch API; see the module docstring."""

    def __init__(self, polls_to_finish: int = 2) -> None:
        super().__init__()
        self.polls_to_finish = polls_to_finish
        self.files: dict[str, tuple[str, bytes, str]] = {}  # id -> (filename, bytes, purpose)
        self.batches: dict[str, dict[str, Any]] = {}
        self.fail_batch = False
        self._polls: dict[str, int] = {}
        self._batch_lock = threading.Lock()

    # ---- routes ---------------------------------------------------------------------------
    def _handler_class(self) -> type:
        base = super()._handler_class()
        server = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                path = self.path.rstrip("/")
                if path.endswith("/files"):
                    length = int(self.headers.get("Content-Length") or 0)
                    raw = self.rfile.read(length)
                    with server._lock:  # multipart: recorded without a parsed body
                        server.requests.append(_recorded(self.command, self.path, self.headers))
                    self._send(200, server._upload(self.headers.get("Content-Type", ""), raw))
                elif path.endswith("/batches"):
                    body = self._record()
                    self._send(200, server._create(body if isinstance(body, dict) else {}))
                else:
                    super().do_POST()

            def do_GET(self) -> None:
                path = self.path.rstrip("/")
                m = re.search(r"/files/([^/]+)/content$", path)
                b = re.search(r"/batches/([^/]+)$", path)
                if m:
                    self._record()
                    if m.group(1) not in server.files:
                        self._send(404, error_body("no such file", "invalid_request_error"))
                        return
                    data = server.files[m.group(1)][1]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif b:
                    self._record()
                    batch = server._retrieve(b.group(1))
                    if batch is None:
                        self._send(404, error_body("no such batch", "invalid_request_error"))
                    else:
                        self._send(200, batch)
                else:
                    super().do_GET()

        return Handler

    # ---- the Batch API --------------------------------------------------------------------
    def _upload(self, content_type: str, raw: bytes) -> dict[str, Any]:
        name, data, fields = _multipart_file(content_type, raw)
        with self._batch_lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = (name, data, fields.get("purpose", ""))
        return {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                "filename": name, "purpose": fields.get("purpose", "batch"), "status": "processed"}

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._batch_lock:
            batch_id = f"batch_{len(self.batches) + 1}"
            lines = [line for line in self.files[body["input_file_id"]][1].decode().splitlines() if line.strip()]
            batch = {"id": batch_id, "object": "batch", "endpoint": body.get("endpoint"),
                     "input_file_id": body["input_file_id"], "completion_window": body.get("completion_window"),
                     "status": "validating", "created_at": int(time.time()), "metadata": body.get("metadata"),
                     "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                     "_fail": self.fail_batch}
            self.fail_batch = False
            self.batches[batch_id] = batch
            self._polls[batch_id] = 0
        return {k: v for k, v in batch.items() if not k.startswith("_")}

    def _retrieve(self, batch_id: str) -> dict[str, Any] | None:
        with self._batch_lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            self._polls[batch_id] += 1
            if batch["status"] == "validating":
                batch["status"] = "in_progress"
            elif batch["status"] == "in_progress" and self._polls[batch_id] > self.polls_to_finish:
                self._finish(batch)
            return {k: v for k, v in batch.items() if not k.startswith("_")}

    def _finish(self, batch: dict[str, Any]) -> None:
        if batch["_fail"]:
            batch["status"] = "failed"
            batch["errors"] = {"object": "list", "data": [{"code": "x", "message": "the batch failed"}]}
            return
        out, err = [], []
        for line in self.files[batch["input_file_id"]][1].decode().splitlines():
            if not line.strip():
                continue
            request = json.loads(line)
            reply = self._next_reply(request["body"])
            if reply.status != 200:
                err.append({"id": f"r-{len(err)}", "custom_id": request["custom_id"], "response": None,
                            "error": {"code": str(reply.status), "message": "scripted failure"}})
                continue
            content = reply.content if isinstance(reply.content, str) or reply.content is None \
                else json.dumps(reply.content)
            body = {"id": "chatcmpl-b", "object": "chat.completion", "created": int(time.time()),
                    "model": request["body"].get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                 "finish_reason": reply.finish_reason}],
                    "usage": {"prompt_tokens": len(json.dumps(request["body"]["messages"])) // 4,
                              "completion_tokens": len(content or "") // 4}}
            out.append({"id": f"r-{len(out)}", "custom_id": request["custom_id"],
                        "response": {"status_code": 200, "request_id": "req", "body": body}, "error": None})
        for kind, lines in (("output_file_id", out), ("error_file_id", err)):
            if lines:
                file_id = f"file-{len(self.files) + 1}"
                self.files[file_id] = (f"{kind}.jsonl", "\n".join(json.dumps(x) for x in lines).encode(), "batch_output")
                batch[kind] = file_id
        batch["status"] = "completed"
        batch["request_counts"] = {"total": len(out) + len(err), "completed": len(out), "failed": len(err)}

    @property
    def batch_polls(self) -> int:
        return sum(self._polls.values())


def _recorded(method: str, path: str, headers: Any) -> Any:
    from fakeserver import RecordedRequest

    return RecordedRequest(method, path, {k.lower(): v for k, v in headers.items()}, None, time.monotonic())


@pytest.fixture
def fake_batch_llm() -> Iterator[FakeBatchOpenAI]:
    """A started FakeBatchOpenAI on a free loopback port, stopped at teardown."""
    server = FakeBatchOpenAI().start()
    try:
        yield server
    finally:
        server.stop()


__all__ = ["FakeBatchOpenAI", "Reply", "fake_batch_llm"]
