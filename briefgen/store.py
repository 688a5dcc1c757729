"""briefgen's state: one SQLite file (LLM cache, run and call log, stories published, outbox, fetch cache).

Schema changes are ordered migrations (simonw/llm style): each is one function decorated
with ``@migration``, applied once, in order, and recorded by name in the ``migrations``
table. To change the schema, append a new function at the end of this module's migration
list; never edit one that has shipped. WAL mode lets a reader (another briefgen, `sqlite3`) run while
a build writes.

Every sqlite3 error is translated to :class:`StateError` naming the file.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from briefgen.config import PRIVATE_FILE, private_dir
from briefgen.errors import StateError
from briefgen.models import CallRecord, Story

log = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]
# How long a write waits for another process's lock (another briefgen, a `sqlite3` shell)
# before it is a StateError naming the file.
BUSY_TIMEOUT_S = 10.0
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register a schema migration; they run in definition order, each once."""
    MIGRATIONS.append(fn)
    return fn


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE llm_cache (
            key TEXT PRIMARY KEY,
            task TEXT NOT NULL,
            model TEXT NOT NULL,
            response TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started TEXT NOT NULL,
            finished TEXT,
            info TEXT NOT NULL DEFAULT '{}',
            stats TEXT,
            outcome TEXT)"""
    )
    db.execute(
        """CREATE TABLE calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER REFERENCES runs(id),
            task TEXT NOT NULL,
            model TEXT NOT NULL,
            article_id TEXT,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            latency_s REAL NOT NULL DEFAULT 0,
            outcome TEXT NOT NULL,
            cached INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL)"""
    )
    db.execute("CREATE INDEX calls_run ON calls(run_id)")
    db.execute(
        """CREATE TABLE articles_seen (
            content_hash TEXT PRIMARY KEY,
            article_id TEXT NOT NULL,
            source TEXT NOT NULL,
            first_seen TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE stories_published (
            story_id TEXT NOT NULL,
            member_ids TEXT NOT NULL,
            brief_date TEXT NOT NULL,
            published_at TEXT NOT NULL,
            PRIMARY KEY (story_id, brief_date))"""
    )


class Store:
    """The SQLite state file; safe to share between threads of one process."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            private_dir(self.path.parent)
            if not self.path.exists():
                # Created owner-only before SQLite opens it; its -wal and -shm files copy this mode.
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))
            # Autocommit: single statements commit at once; migrations open their own transaction.
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"{self.path}: cannot open state file: {exc}") from exc
        try:
            self._wal()
            # In WAL mode NORMAL never corrupts the file and loses nothing when the process is
            # killed (the WAL is in the OS's cache); only a power cut may drop the last commits.
            # FULL fsyncs every autocommitted call log and cache row: ~10 ms each.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise StateError(f"{self.path}: cannot use state file: {exc}") from exc

    # ---- lifecycle ----------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error:  # closing a broken connection must not mask the real error
                log.debug("closing %s failed", self.path, exc_info=True)

    def _wal(self) -> None:
        # Switching a new file to WAL takes an exclusive lock and SQLite does not wait for it
        # (no busy handler): two briefgens opening a fresh state at once got "database is
        # locked". Retried until the busy timeout; once either has switched it, it is WAL.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
        done = {row[0] for row in db.execute("SELECT name FROM migrations")}
        for fn in MIGRATIONS:
            if fn.__name__ in done:
                continue
            log.info("state %s: applying migration %s", self.path, fn.__name__)
            db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while we waited for the write lock.
                if db.execute("SELECT 1 FROM migrations WHERE name = ?", (fn.__name__,)).fetchone():
                    db.execute("COMMIT")
                    continue
                fn(db)
                db.execute("INSERT INTO migrations (name, applied) VALUES (?, ?)", (fn.__name__, _now()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, params)
            except sqlite3.Error as exc:
                raise StateError(f"{self.path}: {exc}") from exc

    def applied_migrations(self) -> list[str]:
        """Names of applied migrations, in the order they were applied."""
        return [r[0] for r in self._exec("SELECT name FROM migrations ORDER BY rowid").fetchall()]

    # ---- LLM cache ----------------------------------------------------------------------
    def cache_get(self, key: str) -> str | None:
        """The cached response for a key, or None."""
        with self._lock:  # fetched under the lock too: worker threads share this connection
            row = self._exec("SELECT response FROM llm_cache WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def cache_put(
        self, key: str, *, task: str, model: str, response: str, prompt_tokens: int = 0, completion_tokens: int = 0
    ) -> None:
        """Store (or replace) a validated response."""
        self._exec(
            "INSERT OR REPLACE INTO llm_cache (key, task, model, response, prompt_tokens, completion_tokens, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, task, model, response, prompt_tokens, completion_tokens, _now()),
        )

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement, fetched under the lock (for a stage's own table, e.g. llm/batch.py's)."""
        with self._lock:
            return self._exec(sql, params).fetchall()

    # ---- runs and calls -----------------------------------------------------------------
    def start_run(self, info: dict[str, Any]) -> int:
        """Open a run (argv, settings...) and return its id."""
        cur = self._exec("INSERT INTO runs (started, info) VALUES (?, ?)", (_now(), json.dumps(info, default=str)))
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, stats: dict[str, Any], outcome: str) -> None:
        """Close a run with its stats and outcome (ok, partial, error...)."""
        self._exec(
            "UPDATE runs SET finished = ?, stats = ?, outcome = ? WHERE id = ?",
            (_now(), json.dumps(stats, default=str), outcome, run_id),
        )

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """One run as a dict (info and stats decoded), or None."""
        row = self._exec("SELECT id, started, finished, info, stats, outcome FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        return {
            "id": row[0], "started": row[1], "finished": row[2], "info": json.loads(row[3] or "{}"),
            "stats": json.loads(row[4]) if row[4] else None, "outcome": row[5],
        }

    def log_call(self, run_id: int | None, record: CallRecord) -> None:
        """Log one LLM call attempt."""
        self._exec(
            "INSERT INTO calls (run_id, task, model, article_id, prompt_tokens, completion_tokens, latency_s,"
            " outcome, cached, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id, record.task, record.model, record.article_id, record.prompt_tokens,
                record.completion_tokens, record.latency_s, record.outcome, int(record.cached), _now(),
            ),
        )

    def calls(self, run_id: int | None = None) -> list[CallRecord]:
        """Logged call attempts, oldest first (of one run when given)."""
        sql = ("SELECT task, model, article_id, prompt_tokens, completion_tokens, latency_s, outcome, cached"
               " FROM calls")
        rows = (self._exec(sql + " WHERE run_id = ? ORDER BY id", (run_id,)) if run_id is not None
                else self._exec(sql + " ORDER BY id")).fetchall()
        return [
            CallRecord(task=r[0], model=r[1], article_id=r[2], prompt_tokens=r[3], completion_tokens=r[4],
                       latency_s=r[5], outcome=r[6], cached=bool(r[7]))
            for r in rows
        ]

    # ---- articles and stories -----------------------------------------------------------
    def record_stories(self, stories: Iterable[Story], brief_date: date) -> None:
        """Record the stories published in the brief of ``brief_date`` (re-recording replaces)."""
        now = _now()
        with self._lock:
            for story in stories:
                members = sorted(ref.id for ref in story.articles)
                # By content too (SPEC: Identity): the same article re-read from another file matches.
                hashes = sorted({ref.content_hash or ref.id for ref in story.articles})
                self._exec(
                    "INSERT OR REPLACE INTO stories_published (story_id, member_ids, member_hashes, brief_date,"
                    " published_at) VALUES (?, ?, ?, ?, ?)",
                    (story.id, json.dumps(members), json.dumps(hashes), brief_date.isoformat(), now),
                )

    def published_stories(self, before: date | None = None) -> list[tuple[str, list[str], date]]:
        """Published (story_id, member_ids, brief_date), newest first; only briefs before ``before`` if given."""
        return self._published("member_ids", before)

    def published_members(self, before: date | None = None) -> list[tuple[str, list[str], date]]:
        """Published (story_id, member content hashes, brief_date), newest first; only before ``before`` if given.

        Rows recorded before hashes were kept give their member ids instead.
        """
        return self._published("coalesce(member_hashes, member_ids)", before)

    def _published(self, members: str, before: date | None) -> list[tuple[str, list[str], date]]:
        # ``members`` is one of the two fixed column expressions above, never user input.
        sql = f"SELECT story_id, {members}, brief_date FROM stories_published"
        params: tuple[Any, ...] = ()
        if before is not None:
            sql += " WHERE brief_date < ?"
            params = (before.isoformat(),)
        rows = self._exec(sql + " ORDER BY brief_date DESC, story_id", params).fetchall()
        return [(r[0], json.loads(r[1]), date.fromisoformat(r[2])) for r in rows]

    # ---- email outbox and sends log (deliver.py) ----------------------------------------
    def outbox_get(self, brief_name: str, brief_date: date) -> dict[str, Any] | None:
        """The stored message of one brief (message_id, path, recipients, created), or None."""
        row = self._exec(
            "SELECT message_id, path, recipients, created FROM outbox_messages WHERE brief_name = ? AND brief_date = ?",
            (brief_name, brief_date.isoformat()),
        ).fetchone()
        if row is None:
            return None
        return {"message_id": row[0], "path": row[1], "recipients": json.loads(row[2]), "created": row[3]}

    def outbox_put(self, brief_name: str, brief_date: date, *, message_id: str, path: str, recipients: list[str]) -> None:
        """Record the message stored on disk for one brief (replacing an earlier one)."""
        self._exec(
            "INSERT OR REPLACE INTO outbox_messages (brief_name, brief_date, message_id, path, recipients, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (brief_name, brief_date.isoformat(), message_id, path, json.dumps(recipients), _now()),
        )

    def log_send(self, brief_name: str, brief_date: date, recipient: str, message_id: str, outcome: str,
                 detail: str = "") -> None:
        """Log one delivery attempt to one recipient (outcome: sent, deferred, refused, failed)."""
        self._exec(
            "INSERT INTO sends (brief_name, brief_date, recipient, message_id, at, outcome, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (brief_name, brief_date.isoformat(), recipient.casefold(), message_id, _now(), outcome, detail),
        )

    def delivered_to(self, brief_name: str, brief_date: date) -> set[str]:
        """Recipients (casefolded) that already got this brief."""
        rows = self._exec(
            "SELECT DISTINCT recipient FROM sends WHERE brief_name = ? AND brief_date = ? AND outcome = 'sent'",
            (brief_name, brief_date.isoformat()),
        ).fetchall()
        return {r[0] for r in rows}

    def sends(self, brief_name: str | None = None, brief_date: date | None = None) -> list[dict[str, Any]]:
        """The sends log, oldest first (of one brief when given)."""
        sql = "SELECT brief_name, brief_date, recipient, message_id, at, outcome, detail FROM sends"
        params: tuple[Any, ...] = ()
        if brief_name is not None and brief_date is not None:
            sql += " WHERE brief_name = ? AND brief_date = ?"
            params = (brief_name, brief_date.isoformat())
        keys = ("brief_name", "brief_date", "recipient", "message_id", "at", "outcome", "detail")
        return [dict(zip(keys, r)) for r in self._exec(sql + " ORDER BY id", params).fetchall()]


@migration
def m002_outbox_and_sends(db: sqlite3.Connection) -> None:
    # The message is stored before it is sent: a re-run resends these bytes, never a rebuilt brief.
    db.execute(
        """CREATE TABLE outbox_messages (
            brief_name TEXT NOT NULL,
            brief_date TEXT NOT NULL,
            message_id TEXT NOT NULL,
            path TEXT NOT NULL,
            recipients TEXT NOT NULL,
            created TEXT NOT NULL,
            PRIMARY KEY (brief_name, brief_date))"""
    )
    db.execute(
        """CREATE TABLE sends (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            brief_name TEXT NOT NULL,
            brief_date TEXT NOT NULL,
            recipient TEXT NOT NULL,
            message_id TEXT NOT NULL,
            at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '')"""
    )
    db.execute("CREATE INDEX sends_key ON sends(brief_name, brief_date, recipient)")


@migration
def m003_published_member_hashes(db: sqlite3.Connection) -> None:
    # --since-last matches today's stories with published ones by article content, so a
    # re-read (or re-fetched) article matches; NULL in rows recorded before (ids are used).
    db.execute("ALTER TABLE stories_published ADD COLUMN member_hashes TEXT")


@migration
def m004_fetch_cache_and_source_state(db: sqlite3.Connection) -> None:
    # The last good body of every fetched URL with its validators: a 304 (or a page already
    # read) yields the very same bytes, so the same articles and the same LLM cache keys.
    db.execute(
        """CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,
            final_url TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            content_type TEXT,
            body BLOB NOT NULL,
            fetched TEXT NOT NULL)"""
    )
    # What `briefgen sources list|check` shows about each remote source.
    db.execute(
        """CREATE TABLE source_state (
            source TEXT PRIMARY KEY,
            last_fetched TEXT,
            last_ok TEXT,
            items INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            fetches INTEGER NOT NULL DEFAULT 0,
            not_modified INTEGER NOT NULL DEFAULT 0)"""
    )


class FetchCache:
    """The http_cache and source_state tables of a Store (sources/fetch.py and catalog.py use them)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, url: str) -> dict[str, Any] | None:
        """The stored response of ``url`` (final_url, etag, last_modified, content_type, body, fetched)."""
        row = self.store._exec("SELECT final_url, etag, last_modified, content_type, body, fetched FROM http_cache"
                               " WHERE url = ?", (url,)).fetchone()
        keys = ("final_url", "etag", "last_modified", "content_type", "body", "fetched")
        return dict(zip(keys, row)) if row else None

    def put(self, url: str, *, final_url: str, etag: str | None, last_modified: str | None,
            content_type: str | None, body: bytes) -> None:
        """Store (or replace) the last good response of ``url``."""
        self.store._exec("INSERT OR REPLACE INTO http_cache (url, final_url, etag, last_modified, content_type, body,"
                         " fetched) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (url, final_url, etag, last_modified, content_type, body, _now()))

    def record(self, source: str, *, items: int = 0, error: str | None = None, not_modified: bool = False) -> None:
        """One fetch of a source: its items, or the one-line reason it failed."""
        now = _now()
        self.store._exec(
            "INSERT INTO source_state (source, last_fetched, last_ok, items, last_error, fetches, not_modified)"
            " VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT(source) DO UPDATE SET last_fetched = excluded.last_fetched,"
            " last_ok = coalesce(excluded.last_ok, last_ok), items = CASE WHEN excluded.last_error IS NULL"
            " THEN excluded.items ELSE items END, last_error = excluded.last_error, fetches = fetches + 1,"
            " not_modified = not_modified + excluded.not_modified",
            (source, now, None if error else now, items, error, int(not_modified)))

    def state(self, source: str) -> dict[str, Any] | None:
        """What is known of one source (last_fetched, last_ok, items, last_error, fetches, not_modified)."""
        row = self.store._exec("SELECT last_fetched, last_ok, items, last_error, fetches, not_modified"
                               " FROM source_state WHERE source = ?", (source,)).fetchone()
        keys = ("last_fetched", "last_ok", "items", "last_error", "fetches", "not_modified")
        return dict(zip(keys, row)) if row else None


@migration
def m005_batches(db: sqlite3.Connection) -> None:
    # Batch API jobs (llm/batch.py): an interrupted run finds its batch again by the calls it holds.
    db.execute("CREATE TABLE batches (id TEXT PRIMARY KEY, calls TEXT NOT NULL, status TEXT NOT NULL,"
               " info TEXT NOT NULL DEFAULT '{}', updated TEXT NOT NULL)")
