"""The SQLite state file: migrations, cache, run/call log, articles and stories."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from briefgen import store as store_mod
from briefgen.config import load_settings
from briefgen.errors import StateError
from briefgen.models import Article, CallRecord, SourceRef, Story
from briefgen.store import MIGRATIONS, Store


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "state.sqlite3"  # parent dirs are created
    with Store(path) as st:
        assert st.applied_migrations() == [fn.__name__ for fn in MIGRATIONS]
    assert {"migrations", "llm_cache", "runs", "calls", "articles_seen", "stories_published"} <= _tables(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    # Reopening applies nothing again (a second CREATE TABLE would raise) and keeps data.
    with Store(path) as st:
        st.cache_put("k", task="t", model="m", response="{}")
    with Store(path) as st:
        assert st.applied_migrations() == [fn.__name__ for fn in MIGRATIONS]
        assert st.cache_get("k") == "{}"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)


def test_a_new_migration_runs_on_an_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.sqlite3"
    Store(path).close()
    calls: list[str] = []

    def m999_outbox(db: sqlite3.Connection) -> None:
        calls.append("ran")
        db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, body TEXT)")

    monkeypatch.setattr(store_mod, "MIGRATIONS", [*MIGRATIONS, m999_outbox])
    with Store(path) as st:
        assert st.applied_migrations()[-1] == "m999_outbox"
    Store(path).close()
    assert calls == ["ran"]
    assert "outbox" in _tables(path)


def test_a_failing_migration_leaves_nothing_half_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.sqlite3"
    Store(path).close()

    def m999_broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half (x)")
        db.execute("THIS IS NOT SQL")

    monkeypatch.setattr(store_mod, "MIGRATIONS", [*MIGRATIONS, m999_broken])
    with pytest.raises(StateError, match=str(path)):
        Store(path)
    assert "half" not in _tables(path)


def test_cache_round_trip(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as st:
        assert st.cache_get("missing") is None
        st.cache_put("k1", task="summarize", model="m", response='{"a": 1}', prompt_tokens=10, completion_tokens=5)
        assert st.cache_get("k1") == '{"a": 1}'
        st.cache_put("k1", task="summarize", model="m", response='{"a": 2}')
        assert st.cache_get("k1") == '{"a": 2}'


def test_runs_and_calls_are_logged(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as st:
        run = st.start_run({"argv": ["build", "seeds"], "path": tmp_path})
        st.log_call(run, CallRecord(task="summarize", model="m", prompt_tokens=100, completion_tokens=20,
                                    latency_s=1.5, outcome="invalid", article_id="a1"))
        st.log_call(run, CallRecord(task="summarize", model="m", outcome="cached", cached=True))
        other = st.start_run({})
        st.log_call(other, CallRecord(task="x", model="m"))
        st.finish_run(run, {"llm_calls": 1}, "ok")
        calls = st.calls(run)
        assert [(c.outcome, c.cached, c.prompt_tokens, c.latency_s, c.article_id) for c in calls] == [
            ("invalid", False, 100, 1.5, "a1"), ("cached", True, 0, 0.0, None)]
        info = st.get_run(run)
        assert info is not None
        assert info["info"]["argv"] == ["build", "seeds"] and info["stats"] == {"llm_calls": 1}
        assert info["outcome"] == "ok" and info["finished"]
        assert st.get_run(other)["finished"] is None  # type: ignore[index]
        assert len(st.calls()) == 3


def test_stories_published(tmp_path: Path) -> None:
    a = Article.create(source="a.txt", title="A", body="Alpha body.")
    b = Article.create(source="b.txt", title="B", body="Beta body.")
    with Store(tmp_path / "s.db") as st:
        story = Story(id=Story.make_id([a.id, b.id]), headline="h", summary="s",
                      articles=[SourceRef(id=a.id, title="A", source="a.txt"), SourceRef(id=b.id, title="B", source="b.txt")])
        st.record_stories([story], date(2025, 1, 2))
        st.record_stories([story], date(2025, 1, 2))  # re-recording the same brief is harmless
        st.record_stories([story], date(2025, 1, 3))
        assert st.published_stories() == [(story.id, sorted([a.id, b.id]), date(2025, 1, 3)),
                                          (story.id, sorted([a.id, b.id]), date(2025, 1, 2))]
        assert [d for _, _, d in st.published_stories(before=date(2025, 1, 3))] == [date(2025, 1, 2)]


def test_corrupt_file_is_a_state_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    path.write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(StateError) as info:
        Store(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_unwritable_location_is_a_state_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StateError, match=str(blocker)):
        Store(blocker / "sub" / "state.sqlite3")  # a parent that is a file


def test_default_path_comes_from_settings(isolated_env: Path) -> None:
    settings, _ = load_settings(env={"BRIEFGEN_HOME": str(isolated_env)})
    with Store(settings.state_file()) as st:
        assert st.path == isolated_env / "state.sqlite3"
    assert (isolated_env / "state.sqlite3").is_file()


def test_fetch_cache_keeps_bodies_and_each_sources_state(tmp_path: Path) -> None:
    from briefgen.store import FetchCache

    with Store(tmp_path / "s.sqlite3") as store:
        cache = FetchCache(store)
        cache.put("http://a/feed", final_url="http://a/feed", etag='"x"', last_modified=None,
                  content_type="application/rss+xml", body=b"<rss/>")
        assert cache.get("http://a/feed")["body"] == b"<rss/>" and cache.get("http://b") is None
        cache.record("http://a/feed", items=4)
        cache.record("http://a/feed", items=4, not_modified=True)
        cache.record("http://a/feed", error="HTTP 500")
        state = cache.state("http://a/feed")
        assert state is not None
        assert (state["items"], state["fetches"], state["not_modified"], state["last_error"]) == (4, 3, 1, "HTTP 500")
        assert state["last_ok"] and "m004_fetch_cache_and_source_state" in store.applied_migrations()
