"""What was published before (briefgen.publish.history): matching stories across runs, marking and recording.

``test_since_last.py`` runs ``--since-last`` end to end through the CLI; these tests pin the
rules themselves on hand-made stories.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from briefgen.config import Settings
from briefgen.models import Brief, SourceRef, Story
from briefgen.publish.history import mark_since_last, match_stories, rank_since_last, record_published
from briefgen.store import Store

DAY1, DAY2 = date(2026, 11, 26), date(2026, 11, 27)


def ref(art_id: str, content_hash: str | None = None, wire: str | None = None, outlet: str | None = None) -> SourceRef:
    return SourceRef(id=art_id, title=art_id, source=f"{art_id}.txt", content_hash=content_hash, wire_copy_of=wire,
                     outlet=outlet)


def story(story_id: str, *refs: SourceRef) -> Story:
    return Story(id=story_id, headline=story_id, summary="", articles=list(refs))


def members(story_id: str, ids: list[str]) -> Story:
    return story(story_id, *(ref(m) for m in ids))


# ---- matching ---------------------------------------------------------------------------------


def test_stories_are_matched_by_member_overlap_not_position() -> None:
    a = [members("x", ["a1", "a2", "a3"]), members("y", ["a4"]), members("z", ["a5"])]
    # B lists them in another order, one story lost a member, and a6 is new.
    b = [members("y2", ["a4"]), members("new", ["a6"]), members("x2", ["a1", "a2"])]
    pairs = match_stories(a, b)
    assert (0, 2, 2) in pairs and (1, 0, 1) in pairs
    assert (None, 1, 0) in pairs and (2, None, 0) in pairs
    assert len(pairs) == 4
    # In the order a reader of B meets them, stories only in A last.
    assert [p[1] for p in pairs] == [0, 1, 2, None]


def test_a_split_story_pairs_with_its_larger_part() -> None:
    a = [members("merged", ["a1", "a2", "a3"])]
    b = [members("small", ["a3"]), members("big", ["a1", "a2"])]
    pairs = match_stories(a, b)
    assert (0, 1, 2) in pairs and (None, 0, 0) in pairs


def test_matching_nothing_against_nothing() -> None:
    assert match_stories([], []) == []
    assert match_stories([], [members("n", ["a1"])]) == [(None, 0, 0)]


# ---- marking ----------------------------------------------------------------------------------


def test_matching_rules() -> None:
    sent = [("s1", ["h1", "h2"], DAY1), ("s2", ["h3"], DAY1)]
    today = [
        story("t1", ref("a1", "h1"), ref("a2", "h2")),  # same members
        story("t2", ref("a3", "h3"), ref("a4", "h4", wire="a3")),  # a reprint adds no news
        story("t3", ref("a5", "h5")),  # new
    ]
    marked = mark_since_last(today, sent)
    assert [(s.seen_before, s.update, s.shown) for s in marked] == [(True, False, False), (True, False, False),
                                                                    (False, False, True)]
    grown = story("t4", ref("a1", "h1"), ref("a6", "h6"))
    [marked_grown] = mark_since_last([grown], sent)
    assert marked_grown.update and marked_grown.shown and not marked_grown.seen_before
    # Rows recorded before hashes were kept hold article ids; the same id is the same article.
    [old_row] = mark_since_last([today[0]], [("s1", ["a1", "a2"], DAY1)])
    assert old_row.seen_before


def test_a_re_read_file_matches_by_content_hash_not_by_id() -> None:
    # The same text read from another path gets another id but keeps its content hash.
    [again] = mark_since_last([story("t1", ref("other-id", "h1"))], [("s1", ["h1"], DAY1)])
    assert again.seen_before and not again.shown
    [different] = mark_since_last([story("t1", ref("a1", "h9"))], [("s1", ["h1"], DAY1)])
    assert not different.seen_before and not different.update and different.shown


def test_without_anything_published_it_is_a_normal_build() -> None:
    today = [story("t1", ref("a1", "h1"))]
    assert mark_since_last(today, []) == today


def test_marking_returns_copies_and_leaves_its_input_alone() -> None:
    today = [story("t1", ref("a1", "h1")), story("t2", ref("a2", "h2"), ref("a9", "h9"))]
    before = [s.model_dump() for s in today]
    marked = mark_since_last(today, [("s1", ["h1"], DAY1), ("s2", ["h2"], DAY1)])
    assert [s.model_dump() for s in today] == before
    assert marked[0].seen_before and marked[1].update
    assert marked[0] is not today[0] and marked[1] is not today[1]


def test_a_story_re_recorded_later_counts_by_its_latest_members() -> None:
    # Newest first, as Store.published_members returns them: on day 2, s1 also had h2.
    published = [("s1", ["h1", "h2"], DAY2), ("s1", ["h1"], DAY1)]
    [today] = mark_since_last([story("t1", ref("a1", "h1"), ref("a2", "h2"))], published)
    assert today.seen_before
    # Had the older row counted, h2 would look new and make an update.
    [older_only] = mark_since_last([story("t1", ref("a1", "h1"), ref("a2", "h2"))], published[1:])
    assert older_only.update


def test_both_halves_of_a_split_story_are_judged_against_what_was_sent() -> None:
    published = [("s1", ["h1", "h2", "h3"], DAY1)]
    big, small, fresh_half = (story("t1", ref("a1", "h1"), ref("a2", "h2")), story("t2", ref("a3", "h3")),
                              story("t3", ref("a3", "h3"), ref("a7", "h7")))
    assert [s.seen_before for s in mark_since_last([big, small], published)] == [True, True]
    marked = mark_since_last([big, fresh_half], published)
    assert marked[0].seen_before and marked[1].update


# ---- ranking and recording --------------------------------------------------------------------


def test_already_sent_stories_take_no_slot_and_come_last() -> None:
    published = [("s1", ["h1"], DAY1)]
    sent = story("sent", ref("a1", "h1", outlet="A"), ref("b1", "h1b", wire="a1", outlet="B"))
    fresh = [story(f"f{i}", ref(f"n{i}", f"hn{i}", outlet="C")) for i in range(3)]
    ranked = rank_since_last([sent, *fresh], published, max_stories=2, max_key_points=5)
    assert [s.id for s in ranked][-1] == "sent"
    assert [s.shown for s in ranked] == [True, True, False, False]
    assert ranked[-1].seen_before and not ranked[-1].shown


def test_record_published_keeps_only_the_shown_stories_of_the_brief(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(state_path=str(tmp_path / "state.sqlite3"))
    shown = story("t1", ref("a1", "h1"), ref("a2"))
    hidden = story("t2", ref("a3", "h3")).model_copy(update={"shown": False})
    brief = Brief(date=DAY2, title="T", generated_at=datetime(2026, 11, 27, 6, tzinfo=timezone.utc),
                  stories=[shown, hidden])
    record_published(brief, settings)
    with Store(settings.state_file()) as store:
        assert store.published_members() == [("t1", ["a2", "h1"], DAY2)]  # hash when known, else the id
        assert store.published_members(before=DAY2) == []  # today's own brief never hides itself
    # What was recorded is what the next day's marking reads: the same story is skipped.
    with Store(settings.state_file()) as store:
        [again] = mark_since_last([shown], store.published_members(before=date(2026, 11, 28)))
    assert again.seen_before
