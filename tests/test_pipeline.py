"""build_brief end to end against the loopback OpenAI-protocol server (no mocks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeserver import FakeOpenAI, Reply
from furniture_labels import leaked, seed_furniture
from scripted import SENTENCE, is_crosscheck, notes_for, notes_responder, user_text

from briefgen.config import load_settings
from briefgen.errors import InputError
from briefgen.llm.prompts import load_prompt
from briefgen.models import Article, Brief, Evidence
from briefgen.notes.chunk import chunk_article
from briefgen.notes.summarize import render_chunk_messages
from briefgen.pipeline import build_brief
from briefgen.publish.render import render

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def settings_for(server: FakeOpenAI, **extra: object):
    settings, _ = load_settings({"base_url": server.base_url, "model": "fake-model", **extra})
    return settings


def sent_sentences(server: FakeOpenAI) -> dict[str, dict[int, str]]:
    """The numbered sentences each request sent, by the title line of its article."""
    out: dict[str, dict[int, str]] = {}
    for request in server.article_requests:
        text = user_text(request.json)
        title = next(line for line in text.splitlines() if line.startswith("Title: "))
        out.setdefault(title.removeprefix("Title: "), {}).update({int(n): t for n, t in SENTENCE.findall(text)})
    return out


def quotes_what_was_sent(evidence: Evidence, sent: dict[int, str]) -> bool:
    """The evidence quote is the cited sentences exactly as they were numbered in the request."""
    return bool(evidence.sentences) and evidence.quote == " ".join(sent.get(n, "\0") for n in evidence.sentences)


def test_seeds_brief_covers_every_article_once_and_cites(fake_llm: FakeOpenAI) -> None:
    # The scripted replies copy sentences, so whether points "verify" proves nothing here (the
    # verified share is asserted on the real model, tests/test_e2e.py). What the replies cannot
    # fake: every quote is the text of the sentences the request numbered, and the counts add up.
    fake_llm.responder = notes_responder
    brief = build_brief([str(SEEDS)], settings_for(fake_llm))
    Brief.model_validate_json(brief.model_dump_json())
    members = [ref.source for story in brief.stories for ref in story.articles]
    assert sorted(Path(m).name for m in members) == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert len(members) == len(set(members)), "an article appears in two stories"
    sent = sent_sentences(fake_llm)
    titles = {ref.id: ref.title for story in brief.stories for ref in story.articles}
    for story in brief.stories:
        assert story.key_points, story.headline
        ids = {ref.id for ref in story.articles}
        for kp in story.key_points:
            assert kp.evidence and {e.article_id for e in kp.evidence} <= ids
            for ev in kp.evidence:
                assert quotes_what_was_sent(ev, sent[titles[ev.article_id]]), (kp.text, ev)
    # Five summarize calls and one cross-check of the one story of two outlets (000 + 004).
    assert brief.stats.llm_calls == len(fake_llm.chat_requests) == 6
    assert len(fake_llm.article_requests) == 5 and len(fake_llm.story_requests) == 1
    g = brief.stats.grounding
    assert g.generated >= 10
    # Each point the model wrote ends in exactly one place.
    assert g.verified + g.repaired + g.fallback + g.dropped == g.generated, g
    # A citation off by one would be caught: the quote of sentence n is not sentence n + 1.
    ev = brief.stories[0].key_points[0].evidence[0]
    shifted = ev.model_copy(update={"sentences": [n + 1 for n in ev.sentences]})
    assert not quotes_what_was_sent(shifted, sent[titles[ev.article_id]])


def test_what_is_sent_is_delimited_clean_text_with_the_server_response_format(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    brief = build_brief([str(SEEDS)], settings_for(fake_llm))
    # Furniture as the hand labels mark it, not as the cleaner reports it: a line the
    # cleaner missed would be missing from its own list of removed lines too.
    furniture = seed_furniture()
    assert len(furniture) >= 20
    systems = set()
    assert fake_llm.article_requests and fake_llm.story_requests
    for request in fake_llm.story_requests:  # the cross-check sends the articles' sentences, delimited too
        text = user_text(request.json)
        assert text.count("<pairs>") == 1 and text.rstrip().endswith("</pairs>")
        assert leaked(text, furniture) == [], "furniture reached the LLM"
    for request in fake_llm.article_requests:
        body = request.json
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"].get("strict") is not True
        assert body["temperature"] == 0
        text = user_text(body)
        assert text.count("<article>") == 1 and text.rstrip().endswith("</article>")
        assert leaked(text, furniture) == [], "furniture reached the LLM"
        systems.add(body["messages"][0]["content"])
    # One fixed system prompt for every article: the server's prompt cache reuses it.
    assert len(systems) == 1
    rendered = render(brief, "md") + render(brief, "txt")
    assert leaked(rendered, furniture) == []
    # The check sees furniture when it is there: the prompt of an uncleaned seed shows it.
    raw = (SEEDS / "000_57f1031dc5b4a3a3.txt").read_text(encoding="utf-8")
    uncleaned = Article.create(source="raw.txt", title="raw", body=raw)
    prompt = load_prompt("summarize")
    messages = [m for c in chunk_article(uncleaned, 100_000)
                for m in render_chunk_messages(prompt, uncleaned, c, 5)]
    assert len(leaked(" ".join(m["content"] for m in messages), furniture)) >= 5


def test_rerun_makes_no_llm_call(fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = notes_responder
    settings = settings_for(fake_llm)
    first = build_brief([str(SEEDS)], settings)
    n = len(fake_llm.chat_requests)
    second = build_brief([str(SEEDS)], settings)
    assert len(fake_llm.chat_requests) == n
    assert second.stats.llm_calls == 0 and second.stats.cache_hits == 6  # 5 articles, 1 cross-check
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
    # The repair request sent the bad reply back with what was missing, then the good reply was used.
    repair = fake_llm.chat_requests[1].json["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"headline": "Budget deal"}'}
    assert "summary" in repair[-1]["content"] and "points" in repair[-1]["content"]
    [story] = brief.stories
    assert story.key_points and story.key_points[0].evidence[0].sentences == [1]


def test_unreadable_only_source_raises_input_error_naming_it(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError) as info:
        build_brief([str(missing)], settings_for(fake_llm))
    assert "nope.txt" in str(info.value) and not fake_llm.chat_requests


def test_a_bug_met_by_one_article_is_a_failure_not_a_traceback(fake_llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    import briefgen.notes.summarize as summarize

    real = summarize.ground_summary

    def faulty(summary, article, **kwargs):  # fault injection: one article hits a bug
        if "backstop" in article.body:
            raise IndexError("list index out of range")
        return real(summary, article, **kwargs)

    monkeypatch.setattr(summarize, "ground_summary", faulty)
    fake_llm.responder = notes_responder
    brief = build_brief([str(SEEDS)], settings_for(fake_llm))
    assert [Path(f.source).name for f in brief.failures] == ["000_57f1031dc5b4a3a3.txt"]
    assert "internal error (IndexError" in brief.failures[0].reason
    assert sum(len(s.articles) for s in brief.stories) == 4


TIMING_FIELDS = ("wall_time_s", "llm_seconds", "model_start_s")


def _untimed(brief: Brief) -> str:
    data = json.loads(brief.model_dump_json())
    data.pop("generated_at")
    for key in TIMING_FIELDS:
        data["stats"].pop(key)
    return json.dumps(data, sort_keys=True)


def test_the_brief_is_the_same_at_concurrency_1_and_64(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    """Replies finish in a shuffled order at 64 in flight: the JSON brief is byte for byte the one at 1."""
    import random
    import threading
    import time

    from synthetic import write_articles

    folder = tmp_path / "articles"
    write_articles(folder, 40, seed=7)
    rng = random.Random(5)
    lock = threading.Lock()
    flight = {"now": 0, "peak": 0, "checks_now": 0, "checks_peak": 0}

    def shuffled(request: dict) -> str:
        check = is_crosscheck(request)
        with lock:
            flight["now"] += 1
            flight["peak"] = max(flight["peak"], flight["now"])
            if check:
                flight["checks_now"] += 1
                flight["checks_peak"] = max(flight["checks_peak"], flight["checks_now"])
            delay = rng.uniform(0, 0.05)
        time.sleep(delay)  # replies finish in another order than they were asked
        with lock:
            flight["now"] -= 1
            flight["checks_now"] -= check
        return notes_responder(request)

    fake_llm.responder = shuffled
    briefs, peaks, check_peaks = {}, {}, {}
    for concurrency in (1, 64):
        settings = settings_for(fake_llm, concurrency=concurrency, state_path=str(tmp_path / f"s{concurrency}.db"))
        flight["peak"] = flight["checks_peak"] = 0
        briefs[concurrency] = build_brief([str(folder)], settings)
        peaks[concurrency], check_peaks[concurrency] = flight["peak"], flight["checks_peak"]
    assert briefs[1].stats.llm_calls == briefs[64].stats.llm_calls >= 30
    assert _untimed(briefs[1]) == _untimed(briefs[64])
    assert peaks[1] == 1 and peaks[64] > 4, peaks  # and the 64 really overlapped
    # The cross-check calls (one per story of several outlets) overlap too, not one by one.
    assert len(fake_llm.story_requests) >= 4 and check_peaks[1] == 1 and check_peaks[64] > 1, check_peaks


def test_the_brief_is_the_same_when_a_worker_process_splits_and_grounds(
        fake_llm: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """cpu_workers=1: a spawned process splits sentences ahead and grounds each article's notes
    (briefgen/notes/offload.py); the JSON brief is byte for byte the one made in one process."""
    import logging

    from synthetic import write_articles

    folder = tmp_path / "articles"
    write_articles(folder, 30, seed=11)
    fake_llm.responder = notes_responder
    caplog.set_level(logging.DEBUG, logger="briefgen.notes.offload")
    briefs = {w: build_brief([str(folder)], settings_for(fake_llm, concurrency=8, cpu_workers=w,
                                                         state_path=str(tmp_path / f"w{w}.db")))
              for w in (0, 1)}
    assert briefs[0].stats.llm_calls >= 30 and not briefs[0].failures
    assert _untimed(briefs[0]) == _untimed(briefs[1])
    came_back = [r.getMessage() for r in caplog.records if r.getMessage().startswith("offload:")]
    assert came_back and not came_back[0].startswith("offload: 0 "), came_back  # the worker really did the work
