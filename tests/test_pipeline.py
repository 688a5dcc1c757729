"""build_brief end to end against the loopback OpenAI-protocol server (no mocks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeserver import FakeOpenAI, Reply
from scripted import notes_for, notes_responder, user_text

from briefgen.sources.clean import clean_text
from briefgen.config import load_settings
from briefgen.errors import InputError
from briefgen.models import Brief
from briefgen.pipeline import build_brief
from briefgen.publish.render import render

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def settings_for(server: FakeOpenAI, **extra: object):
    settings, _ = load_settings({"base_url": server.base_url, "model": "fake-model", **extra})
    return settings


def furniture_lines() -> list[str]:
    lines = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines += [line.strip() for line in clean_text(path.read_text(encoding="utf-8")).removed if len(line.strip()) > 12]
    return lines


def test_seeds_brief_covers_every_article_once_and_cites(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    brief = build_brief([str(SEEDS)], settings_for(fake_llm))
    Brief.model_validate_json(brief.model_dump_json())
    members = [ref.source for story in brief.stories for ref in story.articles]
    assert sorted(Path(m).name for m in members) == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert len(members) == len(set(members)), "an article appears in two stories"
    for story in brief.stories:
        assert story.key_points, story.headline
        ids = {ref.id for ref in story.articles}
        for kp in story.key_points:
            assert kp.evidence and {e.article_id for e in kp.evidence} <= ids
            assert kp.verified and all(e.quote for e in kp.evidence)
    assert brief.stats.llm_calls == len(fake_llm.chat_requests) == 5
    assert brief.stats.grounding.generated >= 10 and brief.stats.grounding.verified_share > 0.9


def test_what_is_sent_is_delimited_clean_text_with_the_server_response_format(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    brief = build_brief([str(SEEDS)], settings_for(fake_llm))
    furniture = furniture_lines()
    assert len(furniture) >= 10
    systems = set()
    for request in fake_llm.chat_requests:
        body = request.json
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"].get("strict") is not True
        assert body["temperature"] == 0
        text = user_text(body)
        assert text.count("<article>") == 1 and text.rstrip().endswith("</article>")
        for line in furniture:
            assert line not in text, f"furniture reached the LLM: {line!r}"
        systems.add(body["messages"][0]["content"])
    # One fixed system prompt for every article: the server's prompt cache reuses it.
    assert len(systems) == 1
    rendered = render(brief, "md") + render(brief, "txt")
    for line in furniture:
        assert line not in rendered


def test_rerun_makes_no_llm_call(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    settings = settings_for(fake_llm)
    first = build_brief([str(SEEDS)], settings)
    n = len(fake_llm.chat_requests)
    second = build_brief([str(SEEDS)], settings)
    assert len(fake_llm.chat_requests) == n
    assert second.stats.llm_calls == 0 and second.stats.cache_hits == 5
    assert [s.id for s in second.stories] == [s.id for s in first.stories]


def test_one_article_whose_replies_never_validate_is_a_failure_not_a_crash(fake_llm: FakeOpenAI) -> None:
    def responder(request: dict) -> str | Reply:
        if "backstop" in user_text(request):
            return "{not json"
        return json.dumps(notes_for(request))

    fake_llm.responder = responder
    brief = build_brief([str(SEEDS)], settings_for(fake_llm))
    assert len(brief.failures) == 1 and brief.failures[0].stage == "summarize"
    assert brief.failures[0].source.endswith("000_57f1031dc5b4a3a3.txt")
    assert sum(len(s.articles) for s in brief.stories) == 4
    # The repair attempt sent the validation error back.
    assert any("not valid" in user_text(r.json).lower() or "json" in r.json["messages"][-1]["content"].lower()
               for r in fake_llm.chat_requests if len(r.json["messages"]) > 2)


def test_cut_off_reply_is_never_accepted(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A title\n\n" + "Officials met in Paris on Monday to discuss the budget. " * 5)
    fake_llm.responder = lambda req: Reply(content='{"headline": "Offic', finish_reason="length")
    with pytest.raises(Exception) as info:
        build_brief([str(tmp_path / "a.txt")], settings_for(fake_llm))
    assert "length" in str(info.value).lower() or "cut off" in str(info.value).lower()


def test_missing_fields_reply_is_repaired(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Budget deal reached\n\nOfficials agreed a budget of 40 million euros in Paris on Monday.\n")
    fake_llm.script('{"headline": "Budget deal"}')
    fake_llm.responder = notes_responder
    brief = build_brief([str(tmp_path / "a.txt")], settings_for(fake_llm))
    assert len(fake_llm.chat_requests) == 2 and not brief.failures
    assert brief.stories[0].key_points[0].verified


def test_unreadable_only_source_raises_input_error_naming_it(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError) as info:
        build_brief([str(missing)], settings_for(fake_llm))
    assert "nope.txt" in str(info.value) and not fake_llm.chat_requests


def test_a_bug_met_by_one_article_is_a_failure_not_a_traceback(fake_llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    import briefgen.pipeline as pipeline

    real = pipeline.ground_summary

    def faulty(summary, article, **kwargs):  # fault injection: one article hits a bug
        if "backstop" in article.body:
            raise IndexError("list index out of range")
        return real(summary, article, **kwargs)

    monkeypatch.setattr(pipeline, "ground_summary", faulty)
    fake_llm.responder = notes_responder
    brief = build_brief([str(SEEDS)], settings_for(fake_llm))
    assert [Path(f.source).name for f in brief.failures] == ["000_57f1031dc5b4a3a3.txt"]
    assert "internal error (IndexError" in brief.failures[0].reason
    assert sum(len(s.articles) for s in brief.stories) == 4
