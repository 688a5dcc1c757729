"""briefgen eval: expectations in TOML, judged against a brief built with the current prompts."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from scripted import notes_for, notes_responder

from briefgen.cli import main
from briefgen.editor.evaluate import EvalFileError, check_brief, load_eval
from briefgen.models import Brief, BriefStats, GroundingStats, KeyPoint, SourceRef, Story
from briefgen.llm.prompts import load_prompt

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
S000, S001, S002, S003, S004 = sorted(p.name for p in SEEDS.glob("*.txt"))


def run(*args: object) -> click.testing.Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_eval(tmp_path: Path, body: str, articles: Path = SEEDS) -> Path:
    path = tmp_path / "e.toml"
    path.write_text(f'articles = "{articles}"\n' + body)
    return path


def story(headline: str, files: list[str], points: list[str]) -> Story:
    refs = [SourceRef(id=f.split("_")[0], title=f, source=str(SEEDS / f)) for f in files]
    return Story(id=Story.make_id([r.id for r in refs]), headline=headline, summary="s",
                 key_points=[KeyPoint(text=t, verified=True) for t in points], articles=refs)


def brief(*stories: Story, verified: tuple[int, int] = (9, 10)) -> Brief:
    stats = BriefStats(grounding=GroundingStats(verified=verified[0], generated=verified[1]))
    return Brief(date=date(2025, 9, 3), title="T", generated_at=datetime(2025, 9, 3, tzinfo=timezone.utc),
                 stories=list(stories), stats=stats)


EVERY_KIND = f"""
[[expect]]
kind = "same_story"
articles = ["{S000}", "{S004}"]
[[expect]]
kind = "separate_stories"
articles = ["{S000}", "{S001}", "{S003}"]
[[expect]]
kind = "point_mentions"
article = "{S004}"
text = "copenhagen"
[[expect]]
kind = "no_point_mentions"
article = "{S002}"
text = "James Carter"
[[expect]]
kind = "headline_max_chars"
max = 20
[[expect]]
kind = "min_verified_share"
min = 0.8
[[expect]]
kind = "no_story_text_matches"
article = "{S000}"
pattern = '\\bmeet(?:s|ing)?(?: with)? (?:president )?trump\\b[^.]{{0,40}}thursday'
"""


def test_every_kind_passes_and_fails_on_the_right_brief(tmp_path: Path) -> None:
    evalset = load_eval(write_eval(tmp_path, EVERY_KIND))
    good = brief(story("Copenhagen talks", [S000, S004], ["Zelensky spoke in Copenhagen.",
                                                         "He will speak with Trump on Thursday."]),
                 story("Talks", [S001], ["p"]), story("Thwarted", [S002], ["Zelensky accused Russia."]),
                 story("Sanctions", [S003], ["p"]))
    assert [o.passed for o in check_brief(good, evalset)] == [True] * 7
    bad = brief(story("Zelensky in Denmark, a long headline", [S000, S001], ["He will meet President Trump on Thursday."]),
                story("Other", [S004], ["Nothing about the city."]),
                story("Thwarted", [S002], ["James Carter wrote it."]), story("S", [S003], ["p"]), verified=(5, 10))
    outcomes = check_brief(bad, evalset)
    assert [o.passed for o in outcomes] == [False] * 7
    assert "split across 2 stories" in outcomes[0].detail
    assert "merged into one story" in outcomes[1].detail
    assert "36 chars" in outcomes[4].detail and "50%" in outcomes[5].detail
    assert "He will meet President Trump on Thursday" in outcomes[6].detail


def test_an_article_missing_from_the_brief_fails_not_crashes(tmp_path: Path) -> None:
    evalset = load_eval(write_eval(tmp_path, EVERY_KIND))
    outcomes = check_brief(brief(story("Only one", [S001], ["p"])), evalset)
    assert not outcomes[0].passed and "not in the brief" in outcomes[0].detail
    assert not outcomes[2].passed and "not in the brief" in outcomes[2].detail


@pytest.mark.parametrize("body, message", [
    ('[[expect]]\nkind = "same_storyy"\narticles = ["a", "b"]\n', "unknown kind 'same_storyy'"),
    (f'[[expect]]\nkind = "point_mentions"\narticle = "{S000}"\n', "needs 'text'"),
    ('[[expect]]\nkind = "same_story"\narticles = ["nope.txt", "nope2.txt"]\n', "article 'nope.txt' not found"),
    (f'[[expect]]\nkind = "same_story"\narticles = ["{S000}"]\n', "two or more"),
    ('[[expect]\n', "not valid TOML"),
    ('title = "no expectations"\n', "no [[expect]] entries"),
])
def test_malformed_eval_files_are_one_line_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(EvalFileError, match="e.toml") as info:
        load_eval(write_eval(tmp_path, body))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_shipped_seeds_eval_file_is_valid() -> None:
    evalset = load_eval(ROOT / "evals" / "seeds.toml")
    kinds = {e.kind for e in evalset.expectations}
    assert {"same_story", "separate_stories", "point_mentions", "no_point_mentions", "headline_max_chars"} <= kinds
    same = next(e for e in evalset.expectations if e.kind == "same_story")
    assert same.spec["articles"] == [S000, S004]
    assert {p.name for p in evalset.article_paths()} == {S000, S001, S002, S003, S004}


def test_eval_cli_builds_once_with_the_current_prompts_and_exits_by_outcome(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    passing = write_eval(tmp_path, f"""
[[expect]]
kind = "separate_stories"
articles = ["{S001}", "{S003}"]
[[expect]]
kind = "no_point_mentions"
article = "{S002}"
text = "James Carter"
""")
    result = run("eval", passing, "--base-url", fake_llm.base_url)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.count("PASS") == 2 and "2/2 passed" in result.stdout
    # Only the articles the expectations name are read: one call each.
    assert len(fake_llm.chat_requests) == 3

    failing = write_eval(tmp_path, f'[[expect]]\nkind = "point_mentions"\narticle = "{S001}"\ntext = "Atlantis"\n')
    result = run("eval", failing, "--base-url", fake_llm.base_url)
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL   1. point_mentions") and "0/1 passed (1 failed)" in result.stdout
    assert len(fake_llm.chat_requests) == 3, "the same article and prompt again: cached"


def test_eval_uses_the_prompts_dir(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    def follows_prompt(request: dict[str, Any]) -> str:
        notes = notes_for(request)
        if "MENTION ATLANTIS" in request["messages"][0]["content"]:
            notes["points"][0]["text"] = "Atlantis " + notes["points"][0]["text"]
        return json.dumps(notes)

    fake_llm.responder = follows_prompt
    my = tmp_path / "my"
    assert run("prompts", "init", my, "--no-templates").exit_code == 0
    prompt = my / "summarize.j2"
    prompt.write_text(prompt.read_text().replace("{#- system -#}\n", "{#- system -#}\nMENTION ATLANTIS.\n"))
    evalfile = write_eval(tmp_path, f'[[expect]]\nkind = "point_mentions"\narticle = "{S001}"\ntext = "Atlantis"\n'
                                    f'[[expect]]\nkind = "headline_max_chars"\nmax = 200\n')
    assert run("eval", evalfile, "--base-url", fake_llm.base_url).exit_code == 1
    result = run("eval", evalfile, "--base-url", fake_llm.base_url, "--prompts-dir", my)
    assert result.exit_code == 0, result.stdout
    assert "summarize@" in result.stdout and load_prompt("summarize", my).hash in result.stdout


def test_bad_eval_file_makes_no_llm_call(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    bad = write_eval(tmp_path, '[[expect]]\nkind = "vibes"\n')
    result = run("eval", bad, "--base-url", fake_llm.base_url)
    assert result.exit_code == 1 and result.stderr.startswith("error:") and "unknown kind 'vibes'" in result.stderr
    assert fake_llm.requests == []
