"""briefgen diff: stories matched by member overlap, what changed, terminal and HTML reports."""

from __future__ import annotations

import pytest

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_for

from briefgen.cli import main
from briefgen.editor.diff import diff_briefs, format_report, render_html
from briefgen.models import Brief, BriefStats, Evidence, KeyPoint, SourceRef, Story


@pytest.fixture(autouse=True)
def _summarize_calls_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count summarize calls; the story cross-check (one more call per story of
    several outlets, on for server backends) has its own tests in test_crosscheck.py."""
    monkeypatch.setenv("BRIEFGEN_CROSSCHECK", "false")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def run(*args: object) -> click.testing.Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def story(headline: str, members: list[str], points: list[tuple[str, bool]]) -> Story:
    refs = [SourceRef(id=m, title=f"title {m}", source=f"{m}.txt") for m in members]
    kps = [KeyPoint(text=t, verified=v, evidence=[Evidence(article_id=members[0], quote="q")]) for t, v in points]
    return Story(id=Story.make_id(members), headline=headline, summary="s", key_points=kps, articles=refs)


def brief(*stories: Story, tokens: tuple[int, int] = (100, 50)) -> Brief:
    return Brief(date=date(2025, 9, 3), title="T", generated_at=datetime(2025, 9, 3, tzinfo=timezone.utc),
                 stories=list(stories), stats=BriefStats(tokens_in=tokens[0], tokens_out=tokens[1]))


def test_changes_per_story_headline_points_verified_length() -> None:
    a = brief(story("Old headline", ["a1"], [("Kept point.", True), ("Dropped point.", True)]),
              story("Same", ["a2"], [("Unchanged.", True)]))
    b = brief(story("New headline", ["a1"], [("Kept point.", True), ("Added point with more words.", False)]),
              story("Same", ["a2"], [("Unchanged.", True)]), tokens=(300, 80))
    d = diff_briefs(a, b)
    first, second = d.stories
    assert first.status == "changed" and first.headline_changed
    assert first.points_added == ["Added point with more words."] and first.points_removed == ["Dropped point."]
    assert first.points_kept == 1 and first.verified_a == 1.0 and first.verified_b == 0.5
    assert first.words_b > first.words_a and first.tokens_b > first.tokens_a
    assert second.status == "same"
    report = format_report(d)
    assert "headline A: Old headline" in report and "headline B: New headline" in report
    assert "+ Added point with more words." in report and "- Dropped point." in report
    assert "verified 100% → 50%" in report
    assert "1 changed, 1 unchanged, 0 only in B, 0 only in A" in report
    tokens_row = next(line for line in report.splitlines() if "tokens in / out" in line)
    assert tokens_row.startswith("*") and "100 / 50" in tokens_row and "300 / 80" in tokens_row


def test_html_report_escapes_story_text() -> None:
    a = brief(story("H", ["a1"], [("Safe.", True)]))
    b = brief(story("H", ["a1"], [("Evil <script>alert(1)</script> point.", True)]))
    html = render_html(diff_briefs(a, b))
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert html.lstrip().lower().startswith("<!doctype html") and "Safe." in html


def test_diff_of_two_saved_briefs_cli(tmp_path: Path) -> None:
    a = brief(story("Old", ["a1"], [("P1.", True)]))
    b = brief(story("New", ["a1"], [("P1.", True), ("P2.", True)]), story("Extra", ["a9"], [("P9.", True)]))
    (tmp_path / "a.json").write_text(a.model_dump_json())
    (tmp_path / "b.json").write_text(b.model_dump_json())
    result = run("diff", "--briefs", tmp_path / "a.json", tmp_path / "b.json", "--html", tmp_path / "d.html")
    assert result.exit_code == 0, result.stderr
    assert "+ P2." in result.stdout and "+ Extra (only in B)" in result.stdout
    assert "only in B" in (tmp_path / "d.html").read_text()
    (tmp_path / "bad.json").write_text("{not json")
    bad = run("diff", "--briefs", tmp_path / "a.json", tmp_path / "bad.json")
    assert bad.exit_code == 1 and bad.stderr.startswith("error:") and "bad.json" in bad.stderr
    assert run("diff", "--briefs", tmp_path / "a.json", tmp_path / "b.json", "--a", tmp_path).exit_code == 2


def shouty(request: dict[str, Any]) -> str:
    """A model that follows the prompt: the edited prompt asks for headlines in capitals."""
    notes = notes_for(request)
    if "CAPITALS" in request["messages"][0]["content"]:
        notes["headline"] = notes["headline"].upper()
        notes["points"] = notes["points"][:2]
    return json.dumps(notes)


def test_diff_of_two_prompt_folders_builds_both_and_counts_cached_tokens(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = shouty
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        assert run("prompts", "init", folder, "--no-templates").exit_code == 0
    text = (b / "summarize.j2").read_text().replace("{#- system -#}\n", "{#- system -#}\nWrite headlines in CAPITALS.\n")
    (b / "summarize.j2").write_text(text)
    # A was built before: its calls are cached, and the diff must not make it look free.
    assert run("build", SEEDS, "--base-url", fake_llm.base_url, "--prompts-dir", a, "-q").exit_code == 0
    assert len(fake_llm.article_requests) == 5
    result = run("diff", SEEDS, "--a", a, "--b", b, "--base-url", fake_llm.base_url, "--html", tmp_path / "d.html")
    assert result.exit_code == 0, result.stderr
    resent = fake_llm.article_requests[5:]
    assert len(resent) == 5 and all("CAPITALS" in r.json["messages"][0]["content"] for r in resent)
    out = result.stdout
    stories = [line for line in out.splitlines() if line[:2] in ("~ ", "= ", "+ ", "- ") and not line.startswith("    ")]
    assert stories and all(line.startswith("~ ") for line in stories), out
    assert "headline A: Zelensky Presses Trump" in out and "headline B: ZELENSKY PRESSES TRUMP" in out
    assert f"stories: {len(stories)} changed, 0 unchanged, 0 only in B, 0 only in A" in out
    tokens_row = next(line for line in out.splitlines() if "tokens in / out" in line)
    a_in = int(tokens_row.split()[4].replace(",", ""))
    assert a_in > 1000, tokens_row  # the cached side's tokens are what its calls once cost
    calls_row = next(line for line in out.splitlines() if "LLM calls (cached)" in line)
    assert "0 (5)" in calls_row and "5 (0)" in calls_row
    assert "LLM tokens" in out
    assert "ZELENSKY PRESSES TRUMP" in (tmp_path / "d.html").read_text()
