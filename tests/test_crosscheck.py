"""Cross-check: the story call that finds facts two outlets share, on the loopback server."""

from __future__ import annotations

from pathlib import Path

from scripted import LINE, is_crosscheck, notes_responder, user_text

from briefgen.config import Settings
from briefgen.dedupe.crosscheck import apply_pairs, candidate_lines
from briefgen.models import Evidence, KeyPoint, SourceRef, Story
from briefgen.pipeline import build_brief


def kp(aid: str, n: int, quote: str) -> KeyPoint:
    return KeyPoint(text=quote, evidence=[Evidence(article_id=aid, sentences=[n], quote=quote)],
                    verified=True, status="extracted")


def story(*points: KeyPoint) -> Story:
    ids = sorted({p.evidence[0].article_id for p in points})
    refs = [SourceRef(id=a, source=f"{a}.txt", title=a, outlet=f"Outlet {a}") for a in ids]
    return Story(id="s", headline="H", summary="S", key_points=list(points), articles=refs, outlets=len(refs))


A1 = kp("a", 1, "Zelensky said he would speak with Trump by phone on Thursday about sanctions on Russia.")
A2 = kp("a", 2, "He will travel to Paris to meet European leaders about a peacekeeping force.")
B1 = kp("b", 4, "Zelenskyy said he had asked Trump to put sanctions and tariffs on Russia in a phone call.")
B2 = kp("b", 5, "Frederiksen said Ukraine is fighting for the entire future of Europe.")


def test_lines_are_one_outlets_points_marked_with_its_letter() -> None:
    lines = candidate_lines(story(A1, A2, B1, B2))
    assert [(n, letter) for n, letter, _ in lines] == [(1, "A"), (2, "A"), (3, "B"), (4, "B")]


def test_a_kept_pair_becomes_one_point_citing_both_outlets() -> None:
    s = story(A1, A2, B1, B2)
    out, kept = apply_pairs(s, candidate_lines(s), [[1, 3]])
    assert kept == 1 and len(out.key_points) == 3
    first = out.key_points[0]
    assert first.text == A1.text and first.article_ids == ["a", "b"]
    assert first.evidence[1].quote == B1.evidence[0].quote  # the other outlet's own words
    assert B1.text not in [p.text for p in out.key_points]


def test_pairs_without_a_shared_specific_or_within_one_outlet_are_refused() -> None:
    s = story(A1, A2, B1, B2)
    lines = candidate_lines(s)
    # A2 (Paris trip) and B2 (Frederiksen's words): same story, no shared fact.
    out, kept = apply_pairs(s, lines, [[2, 4], [1, 2], [3, 3], [1, 99], [5]])
    assert kept == 0 and out == s

def test_a_proposed_pair_is_kept_only_when_the_other_sentence_supports_the_point() -> None:
    """A small model often answers a pattern ([1, 2], [3, 4]): the pair is checked like a point."""
    a = kp("a", 1, "Netflix added 5.07 million subscribers in the third quarter, the company said.")
    b = kp("b", 3, "The streaming company said it added 5.07 million subscribers in the quarter.")
    wrong = kp("b", 4, "Subscriber growth was strongest where Netflix offered its cheaper ad-supported plan.")
    s = story(a, b, wrong)
    out, kept = apply_pairs(s, candidate_lines(s), [[1, 2], [1, 3]])
    assert kept == 1 and out.key_points[0].article_ids == ["a", "b"]
    assert wrong.text in [p.text for p in out.key_points]
    out, kept = apply_pairs(s, candidate_lines(s), [[1, 3]])
    assert kept == 0 and out == s


def _two_outlets(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "herald.md").write_text(
        "---\ntitle: Zelensky to call Trump on Russia sanctions\noutlet: Daily Herald\ndate: 2025-09-03\n---\n"
        "Ukraine's president spent Wednesday in the Danish capital with Nordic and Baltic leaders.\n\n"
        "Danish officials said the Copenhagen talks covered air defence and long-term funding.\n\n"
        "Zelensky said he would speak with Trump by phone on Thursday about sanctions against Russia.\n\n"
        "He will travel to Paris to meet European leaders about a peacekeeping force.\n", encoding="utf-8")
    (d / "wire.md").write_text(
        "---\ntitle: Zelensky to phone Trump, seek Russia sanctions\noutlet: Wire Agency\ndate: 2025-09-03\n---\n"
        "Zelensky held a joint press conference in Copenhagen on Wednesday with the Danish prime minister.\n\n"
        "Frederiksen said Ukraine is fighting for the entire future of Europe, not only for itself.\n\n"
        "On Thursday the Ukrainian leader plans a telephone conversation with Trump, seeking sanctions against Russia.\n\n"
        "Zelensky also asked for more Patriot systems, saying mostly the United States has them.\n", encoding="utf-8")
    return d


def test_the_pipeline_sends_one_crosscheck_per_multi_outlet_story(fake_llm, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    settings = Settings(base_url=fake_llm.base_url, api_key="k", model="m")
    brief = build_brief([str(_two_outlets(tmp_path))], settings)
    checks = [r.json for r in fake_llm.story_requests]
    assert len(brief.stories) == 1 and len(checks) == 1
    sent = LINE.findall(user_text(checks[0]))
    assert {o for _, o, _ in sent} == {"A", "B"}  # both outlets' sentences, marked
    # Each line is an article's own sentence (the evidence quote), not a paraphrase.
    bodies = " ".join(p.read_text(encoding="utf-8") for p in (tmp_path / "in").iterdir())
    assert all(t in bodies for _, _, t in sent), sent
    both = [p for p in brief.stories[0].key_points if len(p.article_ids) == 2]
    assert both and "by phone on Thursday" in both[0].text
    assert brief.stats.grounding.crosschecked >= 1
    assert "crosscheck" in brief.stats.prompt_versions


def test_crosscheck_off_sends_no_story_call(fake_llm, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    settings = Settings(base_url=fake_llm.base_url, api_key="k", model="m", crosscheck=False)
    build_brief([str(_two_outlets(tmp_path))], settings)
    assert fake_llm.article_requests and not fake_llm.story_requests


def test_a_failed_crosscheck_leaves_the_story_as_it_was(fake_llm, tmp_path: Path) -> None:
    def responder(request):
        return "not json at all" if is_crosscheck(request) else notes_responder(request)

    fake_llm.responder = responder
    settings = Settings(base_url=fake_llm.base_url, api_key="k", model="m")
    brief = build_brief([str(_two_outlets(tmp_path))], settings)
    assert len(brief.stories) == 1 and brief.stats.grounding.crosschecked == 0
    # Word overlap alone does not tie the two wordings of the call: no point cites both.
    assert all(len(p.article_ids) == 1 for p in brief.stories[0].key_points)
