"""Batch mode (``--batch``): the summarize calls through the OpenAI Batch API, at half price.

The batch only fills the LLM cache; the pipeline then runs as usual and finds every answer
there. So a reply is validated with the same pydantic model as any other, and a line that
failed or does not validate simply misses the cache: the normal path asks it again (with its
repair attempt), or lists the article as failed.

1. the calls not yet cached are written as JSONL (``custom_id`` = the call's cache key, the
   body exactly what a direct call sends) and uploaded to ``/v1/files`` (purpose ``batch``);
2. ``/v1/batches`` creates the job; its id is stored in the state file at once;
3. it is polled every ``batch_poll_s`` with progress, until completed, failed, expired or
   cancelled; then the output file is downloaded and joined on ``custom_id``.

Resumable: an interrupted run (Ctrl-C, a kill) leaves the batch id in the state file; the
next run with the same missing calls polls that batch instead of paying for a new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final, Protocol

import openai
from pydantic import BaseModel, ValidationError

from briefgen.errors import LLMError
from briefgen.llm.client import LLMClient, Prepared, _strip_fences
from briefgen.models import CallRecord

if TYPE_CHECKING:
    from briefgen.store import Store

log = logging.getLogger(__name__)

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
ENDPOINT: Final = "/v1/chat/completions"


class Progress(Protocol):
    def note(self, message: str) -> None: ...


@dataclass
class BatchReport:
    """What one batch brought: replies stored, lines that failed (asked again the normal way)."""

    batch_id: str | None = None
    status: str = "none"
    stored: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # cache key -> why
    resumed: bool = False


def calls_id(calls: list[Prepared]) -> str:
    """Identity of a set of calls: a re-run with the same missing calls finds its batch again."""
    return hashlib.sha256("\n".join(sorted(c.key for c in calls)).encode()).hexdigest()


def jsonl(client: LLMClient, calls: list[Prepared]) -> bytes:
    """The batch input file: one request line per call, joined back on ``custom_id`` (the cache key)."""
    lines = [json.dumps({"custom_id": c.key, "method": "POST", "url": ENDPOINT,
                         "body": client.request_body(c.messages, c.response_format, c.temperature, c.max_tokens)},
                        ensure_ascii=False) for c in calls]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _save(store: Store, batch_id: str, group: str, status: str, info: dict[str, Any]) -> None:
    store.query("INSERT OR REPLACE INTO batches (id, calls, status, info, updated) VALUES (?, ?, ?, ?, ?)",
                (batch_id, group, status, json.dumps(info), datetime.now(timezone.utc).isoformat(timespec="seconds")))


def _open_batch(store: Store, group: str) -> str | None:
    rows = store.query("SELECT id FROM batches WHERE calls = ? AND status NOT IN ('completed', 'failed', 'expired',"
                       " 'cancelled', 'joined') ORDER BY updated DESC LIMIT 1", (group,))
    return rows[0][0] if rows else None


def run_batch(client: LLMClient, store: Store, calls: list[Prepared], progress: Progress, *,
              schema: type[BaseModel], task: str = "summarize", articles: dict[str, str] | None = None,
              poll_s: float | None = None, sleep: Any = time.sleep) -> BatchReport:
    """Answer ``calls`` through the Batch API into the cache; see the module docstring."""
    report = BatchReport()
    if not calls:
        return report
    sdk = client._client()
    poll = poll_s if poll_s is not None else client.settings.batch_poll_s
    group = calls_id(calls)
    try:
        batch_id = _open_batch(store, group)
        if batch_id is not None:
            report.resumed = True
            progress.note(f"batch: resuming {batch_id} ({len(calls)} calls) from an earlier run")
        else:
            uploaded = sdk.files.create(file=("briefgen-batch.jsonl", jsonl(client, calls)), purpose="batch")
            batch = sdk.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h",
                                       metadata={"briefgen": group[:16]})
            batch_id = batch.id
            _save(store, batch_id, group, batch.status, {"input_file": uploaded.id, "calls": len(calls)})
            progress.note(f"batch: {batch_id} created with {len(calls)} calls; polling every {poll:g}s")
        report.batch_id = batch_id
        while True:
            batch = sdk.batches.retrieve(batch_id)
            counts = batch.request_counts
            done = f"{counts.completed + counts.failed}/{counts.total}" if counts else "?"
            progress.note(f"batch: {batch_id} {batch.status} ({done})")
            if batch.status in TERMINAL:
                break
            _save(store, batch_id, group, batch.status, {"calls": len(calls)})
            sleep(poll)
        report.status = batch.status
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                _join(client, store, sdk.files.content(file_id).text, schema, task, articles or {}, report)
    except openai.APIError as exc:
        # The direct path still works: every call the batch did not answer is asked one by one.
        log.warning("batch failed (%s); asking the calls directly", exc)
        progress.note(f"batch: {exc.__class__.__name__}: {exc}; asking the calls directly")
        report.status = "error"
        return report
    _save(store, batch_id, group, "joined", {"status": report.status, "stored": report.stored,
                                             "failed": len(report.failed)})
    missing = {c.key for c in calls} - client.prefilled - set(report.failed)
    for key in missing:
        report.failed[key] = f"not in the batch's output ({report.status})"
    if report.failed:
        progress.note(f"batch: {len(report.failed)} of {len(calls)} calls not answered; asking them directly")
    return report


def _join(client: LLMClient, store: Store, text: str, schema: type[BaseModel], task: str,
          articles: dict[str, str], report: BatchReport) -> None:
    """Validate each output line with ``schema`` and store it under its ``custom_id`` (the cache key)."""
    model = client.backend.model
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key = str(item["custom_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("batch: an output line that is not JSON with a custom_id: %.80s", line)
            continue
        response = item.get("response") or {}
        body = response.get("body") or {}
        usage = body.get("usage") or {}
        rec = CallRecord(task=task, model=model, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                         completion_tokens=int(usage.get("completion_tokens") or 0), batch=True,
                         article_id=articles.get(key))
        choices = body.get("choices") or []
        if item.get("error") or response.get("status_code") != 200 or not choices:
            why = (item.get("error") or {}).get("message") or f"HTTP {response.get('status_code')}"
            report.failed[key] = str(why)[:200]
            client._record(rec.model_copy(update={"outcome": "error"}))
            continue
        choice = choices[0]
        content = (choice.get("message") or {}).get("content") or ""
        try:
            if choice.get("finish_reason") == "length":
                raise LLMError("cut off at max_tokens")
            value = schema.model_validate_json(_strip_fences(content))
        except (ValidationError, LLMError) as exc:
            report.failed[key] = str(exc).splitlines()[0][:200]
            client._record(rec.model_copy(update={"outcome": "invalid"}))
            continue
        store.cache_put(key, task=task, model=model, response=value.model_dump_json(),
                        prompt_tokens=rec.prompt_tokens, completion_tokens=rec.completion_tokens)
        client._record(rec)
        client.prefilled.add(key)
        report.stored += 1


__all__ = ["BatchReport", "calls_id", "jsonl", "run_batch"]
