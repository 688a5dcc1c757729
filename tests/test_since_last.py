"""``--since-last``: tomorrow's brief skips the stories already sent, unless they have news.

Real pipeline against the loopback OpenAI-protocol server, real SQLite in the per-test
BRIEFGEN_HOME; the published stories are what ``build --since-last`` or ``send`` recorded.
"""

from __future__ import annotations

import os
import shutil
from email import message_from_bytes, policy
from pathlib import Path

import click
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_responder
from smtpserver import Server, smtp_server  # noqa: F401
from test_email import write_config

from briefgen.cli import main
from briefgen.publish.history import mark_since_last
from briefgen.models import Brief, SourceRef, Story
from briefgen.store import Store

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DAY1, DAY2, DAY3 = "2026-11-26", "2026-11-27", "2026-11-28"
# Two seeds about different events (000 and 004 are both about Zelensky in Copenhagen and may cluster).
OLD = ["001_4513ffad51d009ea.txt", "003_e09970fce74b3805.txt"]
NEW = "002_1e150fab5deb9903.txt"
EXTRA = ("\n\nLater on Thursday, officials confirmed a second round of talks for next week, "
         "with delegations from both sides expected to attend and observers invited to follow the meeting closely.\n")


def folder(tmp_path: Path, name: str, seeds: list[str]) -> Path:
    out = tmp_path / name
    out.mkdir()
    for seed in seeds:
        shutil.copy(SEEDS / seed, out / seed)
    return out


def build(fake_llm: FakeOpenAI, day: str, *sources: Path, since_last: bool = True) -> tuple[Brief, str]:
    args = ["build", *map(str, sources), "--base-url", fake_llm.base_url, "--date", day, "--format", "json"]
    result: click.testing.Result = CliRunner().invoke(main, args + (["--since-last"] if since_last else []),
                                                      catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return Brief.model_validate_json(result.stdout), " ".join(result.stderr.split())


def story_of(brief: Brief, source_name: str) -> Story:
    [story] = [s for s in brief.stories if any(r.source.endswith(source_name) for r in s.articles)]
    return story


def test_without_an_earlier_brief_it_is_a_normal_build(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    day1 = folder(tmp_path, "day1", OLD)
    plain, _ = build(fake_llm, DAY1, day1, since_last=False)
    first, stderr = build(fake_llm, DAY1, day1)
    assert [(s.id, s.shown) for s in first.stories] == [(s.id, s.shown) for s in plain.stories]
    assert not any(s.seen_before or s.update for s in first.stories)
    assert "0 skipped as already sent" in stderr


def test_the_same_articles_the_next_day_are_all_skipped(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    day1 = folder(tmp_path, "day1", OLD)
    first, _ = build(fake_llm, DAY1, day1)
    assert first.shown_stories
    # The same articles re-read from other files (a new download) match by content.
    second, stderr = build(fake_llm, DAY2, folder(tmp_path, "day2", OLD))
    assert second.stories and not second.shown_stories
    assert all(s.seen_before and not s.shown for s in second.stories)
    assert second.stats.already_sent == len(second.stories) and second.stats.stories_shown == 0
    assert f"{len(second.stories)} skipped as already sent" in stderr
    # Rebuilding day 1 compares only with earlier briefs: the same brief again.
    again, _ = build(fake_llm, DAY1, day1)
    assert [s.id for s in again.shown_stories] == [s.id for s in first.shown_stories]


def test_new_developments_make_an_update_and_a_new_story_is_shown(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    build(fake_llm, DAY1, folder(tmp_path, "day1", OLD))
    day2 = folder(tmp_path, "day2", [*OLD, NEW])
    # Another outlet's longer report of the story of OLD[0]: one extra paragraph, another file.
    (day2 / "later_report.txt").write_text((SEEDS / OLD[0]).read_text(encoding="utf-8").rstrip() + EXTRA,
                                           encoding="utf-8")
    second, stderr = build(fake_llm, DAY2, day2)

    updated = story_of(second, "later_report.txt")
    assert updated.shown and updated.update and not updated.seen_before
    assert any(r.source.endswith(OLD[0]) for r in updated.articles)  # the same story, matched by members
    fresh = story_of(second, NEW)
    assert fresh.shown and not fresh.update and not fresh.seen_before
    skipped = story_of(second, OLD[1])
    assert skipped.seen_before and not skipped.shown
    assert (second.stats.already_sent, second.stats.updates) == (1, 1)
    assert "1 skipped as already sent, 1 shown as updates" in stderr

    # The renderers say it is an update.
    result = CliRunner().invoke(main, ["build", str(day2), "--base-url", fake_llm.base_url, "--date", DAY2,
                                       "--since-last", "-q", "--format", "md"], catch_exceptions=False)
    assert f"Update: {updated.headline}" in result.stdout
    assert skipped.headline not in result.stdout and fresh.headline in result.stdout

    # Day 3, nothing new: the update was recorded too, so everything is skipped.
    third, _ = build(fake_llm, DAY3, day2)
    assert not third.shown_stories and third.stats.already_sent == len(third.stories)


def test_send_since_last_mails_only_what_is_new(fake_llm: FakeOpenAI, smtp_server: Server, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    day1 = folder(tmp_path, "day1", OLD)
    cfg = write_config(tmp_path, smtp_server.port, sources=[str(day1)])
    base = ["send", "--config", str(cfg), "--base-url", fake_llm.base_url, "-q"]
    assert CliRunner().invoke(main, [*base, "--date", DAY1], catch_exceptions=False).exit_code == 0
    day2 = folder(tmp_path, "day2", [*OLD, NEW])
    result = CliRunner().invoke(main, [*base, "--date", DAY2, "--since-last", str(day2)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "since last: 2 stories skipped as already sent, 1 shown (0 as updates)" in " ".join(result.stderr.split())
    text = message_from_bytes(smtp_server.recorder.messages[-1].data, policy=policy.default)
    body = text.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    brief, _ = build(fake_llm, DAY2, day2, since_last=False)
    assert " ".join(story_of(brief, NEW).headline.split()) in " ".join(body.split())
    for seed in OLD:
        assert " ".join(story_of(brief, seed).headline.split()) not in " ".join(body.split())
    with Store(Path(os.environ["BRIEFGEN_HOME"]) / "state.sqlite3") as store:
        days = {d.isoformat() for _, _, d in store.published_members()}
    assert days == {DAY1, DAY2}
