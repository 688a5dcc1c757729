"""Tests for briefgen.publish.rank: order, shown flags, importance, sections."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from briefgen.models import Brief, Evidence, KeyPoint, SourceRef, Story
from briefgen.publish.rank import MAX_STORY_POINTS, make_sections, normalize_topic, point_limit, rank_stories, sectioned

T0 = datetime(2025, 9, 3, 8, 0, tzinfo=timezone.utc)


def src(aid: str, outlet: str | None = None, *, at: datetime | None = None, wire_of: str | None = None) -> SourceRef:
    return SourceRef(id=aid, outlet=outlet, title=f"title {aid}", source=f"seeds/{aid}.txt",
                     published=at, wire_copy_of=wire_of)


def story(sid: str, outlets: int, *, hours: float | None = 0, articles: int = 1, points: int = 1,
          topics: list[str] | None = None, first_seen: datetime | None = None) -> Story:
    at = T0 + timedelta(hours=hours) if hours is not None else None
    refs = [src(f"{sid}-{i}", f"Outlet {i}", at=at) for i in range(articles)]
    kps = [KeyPoint(text=f"point {i}", evidence=[Evidence(article_id=refs[0].id)], verified=True)
           for i in range(points)]
    return Story(id=sid, headline=f"headline {sid}", summary="s", articles=refs, outlets=outlets,
                 key_points=kps, topics=topics or [], first_seen=first_seen)


def ids(stories: list[Story]) -> list[str]:
    return [s.id for s in stories]


def test_outlets_then_recency_then_size_then_id() -> None:
    stories = [
        story("old-big", 2, hours=0, articles=3, points=5),
        story("new", 2, hours=5),
        story("many-outlets", 4, hours=-20),
        story("undated", 3, hours=None),
        story("same-b", 1, hours=1, articles=2),
        story("same-a", 1, hours=1, articles=2),
        story("same-small", 1, hours=1, articles=1),
    ]
    ranked = rank_stories(stories)
    assert ids(ranked) == ["many-outlets", "undated", "new", "old-big", "same-a", "same-b", "same-small"]


def test_undated_sorts_after_dated_and_first_seen_is_used() -> None:
    dated = story("dated", 2, hours=-48)
    undated = story("undated", 2, hours=None, articles=5, points=5)
    seen = story("seen", 2, hours=None, first_seen=T0 + timedelta(hours=1))
    assert ids(rank_stories([undated, dated, seen])) == ["seen", "dated", "undated"]


def test_naive_and_aware_datetimes_compare() -> None:
    naive = story("naive", 1, hours=None)
    naive.articles[0].published = datetime(2025, 9, 3, 12, 0)  # read as UTC
    aware = story("aware", 1, hours=2)  # 10:00 UTC
    assert ids(rank_stories([aware, naive])) == ["naive", "aware"]


def test_key_points_beyond_the_cap_do_not_count() -> None:
    capped = story("a-capped", 1, points=20)
    five = story("b-five", 1, points=5)
    # Equal once capped at 5, so the id decides; uncapped, 20 points would win anyway.
    assert ids(rank_stories([five, capped], max_key_points=5)) == ["a-capped", "b-five"]
    assert ids(rank_stories([capped, five], max_key_points=5)) == ["a-capped", "b-five"]
    three = story("a-three", 1, points=3)
    assert ids(rank_stories([three, five], max_key_points=5)) == ["b-five", "a-three"]
    assert len(rank_stories([capped])[0].key_points) == 20  # kept in the model


def test_shown_flags_and_input_untouched() -> None:
    stories = [story(f"s{i:02d}", outlets=i) for i in range(1, 16)]
    ranked = rank_stories(stories, max_stories=12)
    assert [s.shown for s in ranked] == [True] * 12 + [False] * 3
    assert ids(ranked)[:3] == ["s15", "s14", "s13"]
    assert len(ranked) == 15  # the JSON keeps every story
    assert all(s.shown and s.importance == 0.0 for s in stories)  # a new list, originals unchanged


def test_importance_restates_the_order() -> None:
    stories = [story("a", 3, hours=0), story("b", 3, hours=2), story("c", 1), story("d", 1),
               story("e", 2, hours=None)]
    ranked = rank_stories(stories)
    imp = [s.importance for s in ranked]
    assert imp == sorted(imp, reverse=True)
    assert [int(s.importance) for s in ranked] == [3, 3, 2, 1, 1]  # integer part = outlets
    by_id = {s.id: s.importance for s in ranked}
    assert by_id["b"] > by_id["a"]
    assert by_id["c"] == by_id["d"]  # equal on every criterion, equal importance


def test_outlets_counted_from_sources_when_unset() -> None:
    s = story("x", 0, articles=1)
    s.articles = [src("x1", "Reuters"), src("x2", "Daily Herald", wire_of="x1"), src("x3", "Kyiv Ledger"),
                  src("x4", "reuters")]
    other = story("y", 0, articles=1)
    other.articles = [src("y1", "A"), src("y2", None)]
    ranked = rank_stories([other, s])
    # x: Reuters (twice, case-insensitive) + Kyiv Ledger; the wire copy adds nothing
    assert [int(r.importance) for r in ranked] == [2, 2]
    assert ids(ranked) == ["x", "y"]  # tie on outlets and date: more articles first


def test_no_sections_up_to_six_shown_stories() -> None:
    stories = rank_stories([story(f"s{i}", 1, topics=["Politics"]) for i in range(6)])
    assert make_sections(stories) == []
    # ten stories, but only six shown: still no sections
    stories = rank_stories([story(f"s{i}", 1, topics=["Politics" if i % 2 else "Sport"]) for i in range(10)],
                           max_stories=6)
    assert make_sections(stories) == []


def test_sections_by_first_topic_small_ones_merged() -> None:
    spec = [("p1", 5, ["Politics", "Economy"]), ("w1", 4, ["Ukraine war"]), ("p2", 3, [" politics "]),
            ("w2", 3, ["ukraine  war"]), ("e1", 2, ["Economy"]), ("n1", 2, []), ("p3", 1, ["POLITICS"]),
            ("s1", 1, ["Science"])]
    stories = [story(sid, o, topics=t) for sid, o, t in spec]
    stories.append(story("hidden", 1, hours=-10, topics=["Science"]))  # ranks 9th: not shown
    ranked = rank_stories(stories, max_stories=8)
    assert ranked[-1].id == "hidden" and not ranked[-1].shown
    sections = make_sections(ranked)
    assert [(s.name, s.story_ids) for s in sections] == [
        ("Politics", ["p1", "p2", "p3"]),  # first topic only, spellings merged, rank order
        ("Ukraine war", ["w1", "w2"]),
        ("Other", ["e1", "n1", "s1"]),  # one-story topics and no topic; Other comes last
    ]


def test_one_topic_for_all_gives_no_sections() -> None:
    stories = rank_stories([story(f"s{i}", 1, topics=["Ukraine"]) for i in range(8)])
    assert make_sections(stories) == []


def test_normalize_topic() -> None:
    assert normalize_topic("  U.S.  Politics ") == normalize_topic("u.s. politics")
    assert normalize_topic("Science & Tech") == "science and tech"
    assert normalize_topic("!!!") == ""


def test_ranked_stories_are_marked_with_their_section() -> None:
    stories = [story(f"s{i}", 10 - i, topics=["Politics" if i < 4 else "Economy"]) for i in range(9)]
    ranked = rank_stories(list(reversed(stories)), max_stories=8)
    out, sections = sectioned(ranked)
    assert ids(out) == [f"s{i}" for i in range(9)]
    assert [s.name for s in sections] == ["Politics", "Economy"]
    assert [s.section for s in out] == ["Politics"] * 4 + ["Economy"] * 4 + [None]
    assert all(s.section is None for s in ranked)  # the input stories are unchanged


def test_a_story_shows_its_articles_budget_capped_or_the_fixed_rule() -> None:
    fixed = Story(id="s", headline="h", summary="s", outlets=3)
    assert point_limit(fixed, 5) == 7  # max_key_points, one more per further outlet
    assert point_limit(fixed.model_copy(update={"point_budget": 9}), 5) == 9
    assert point_limit(fixed.model_copy(update={"point_budget": 40}), 5) == MAX_STORY_POINTS
