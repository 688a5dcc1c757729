"""Event clustering (briefgen.dedupe.cluster) on the labeled fixtures, and the metrics that judge it."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest

from briefgen.dedupe.cluster import ClusterParams, cluster_articles
from briefgen.dedupe.neardup import collapse_near_duplicates
from briefgen.models import Article, ArticleSummary
from metrics import Labeled, bcubed, expand_copies, load_event_fixtures, pairwise

# ---- the metric itself -----------------------------------------------------------------------


def test_bcubed_worked_example() -> None:
    # Gold: {a,b,c} and {d,e}. Predicted: {a,b}, {c,d,e}.
    gold = {"a": "X", "b": "X", "c": "X", "d": "Y", "e": "Y"}
    p, r, f = bcubed([["a", "b"], ["c", "d", "e"]], gold)
    # Precision per item: a,b 2/2; c 1/3; d,e 2/3 -> (1+1+1/3+2/3+2/3)/5 = 11/15.
    assert p == pytest.approx(11 / 15)
    # Recall per item: a,b 2/3; c 1/3; d,e 2/2 -> (2/3+2/3+1/3+1+1)/5 = 11/15.
    assert r == pytest.approx(11 / 15)
    assert f == pytest.approx(11 / 15)
    assert bcubed([["a", "b", "c"], ["d", "e"]], gold) == (1.0, 1.0, 1.0)
    # Everything in one cluster: perfect recall, precision (3*3/5 + 2*2/5)/5 = 13/25.
    p, r, _ = bcubed([list(gold)], gold)
    assert (p, r) == (pytest.approx(13 / 25), 1.0)


def test_pairwise_worked_example() -> None:
    p, r = pairwise([("a", "b"), ("c", "d")], [["a", "b", "e"]])
    assert p == 0.5 and r == pytest.approx(1 / 3)


# ---- clustering on the labeled fixtures ---------------------------------------------------


def _run(labeled: list[Labeled], params: ClusterParams | None = None) -> tuple[list[list[str]], dict[str, str]]:
    reps = collapse_near_duplicates([x.article for x in labeled])
    by_id = {r.id: r for r in reps}
    summaries = {x.article.id: x.summary for x in labeled}
    groups = cluster_articles([summaries[r.id] for r in reps], by_id, params=params)
    return expand_copies(groups, by_id), {x.article.id: x.event for x in labeled}


def test_fixture_set_is_big_enough_and_has_traps() -> None:
    labeled = load_event_fixtures()
    events = {x.event for x in labeled}
    assert len(labeled) >= 40 and len(events) >= 10
    heldout = {x.event for x in labeled if x.split == "heldout"}
    assert 0.25 <= len(heldout) / len(events) <= 0.4
    assert sum(1 for x in labeled if x.summary.event_date is None) >= 2  # imperfect summaries
    assert sum(1 for x in labeled if x.article.published is None) >= 2


@pytest.mark.parametrize(("split", "floor"), [("tune", 0.95), ("heldout", 0.90)])
def test_fixture_bcubed_floor(split: str, floor: float) -> None:
    groups, gold = _run(load_event_fixtures(split))
    p, r, f1 = bcubed(groups, gold)
    assert f1 >= floor, (p, r, f1)


def test_same_topic_different_event_stays_apart() -> None:
    # Each trap pair: the same kind of event with the same actors, on another day.
    traps = [
        ("boc-cut-2025-03", "boc-hold-2025-04"),
        ("quake-izmir-2025-03-03", "quake-manisa-2025-03-10"),
        ("merz-berlin-2025-06-12", "merz-paris-2025-06-18"),
        ("ars-che-league-2025-11-09", "che-ars-cup-2025-12-17"),
        ("lufthansa-strike-2025-10-02", "lufthansa-strike-2025-10-14"),
        ("fire-marseille-2025-07-08", "fire-martigues-2025-07-15"),
    ]
    groups, gold = _run(load_event_fixtures())
    for g in groups:
        events = {gold[a] for a in g}
        for a, b in traps:
            assert not {a, b} <= events, g


def test_every_article_in_exactly_one_group_and_order_independent() -> None:
    labeled = load_event_fixtures()
    summaries = [x.summary for x in labeled]
    articles = {x.article.id: x.article for x in labeled}
    first = cluster_articles(summaries, articles)
    assert sorted(a for g in first for a in g) == sorted(articles)
    shuffled = summaries[:]
    random.Random(3).shuffle(shuffled)
    assert cluster_articles(shuffled, dict(reversed(list(articles.items())))) == first


def test_missing_dates_do_not_break_clustering() -> None:
    labeled = load_event_fixtures()
    stripped = [
        replace(
            x,
            article=x.article.model_copy(update={"published": None}),
            summary=x.summary.model_copy(update={"event_date": None}),
        )
        for x in labeled
    ]
    groups, gold = _run(stripped)
    assert sorted(a for g in groups for a in g) == sorted(gold)
    _, recall, f1 = bcubed(groups, gold)
    # Without any date the traps are harder, but same-event articles must still meet.
    assert recall >= 0.8 and f1 >= 0.7, (recall, f1)




def test_cluster_without_article_text_uses_summary() -> None:
    labeled = load_event_fixtures("heldout")
    groups = cluster_articles([x.summary for x in labeled], {})
    assert sorted(a for g in groups for a in g) == sorted(x.article.id for x in labeled)


# ---- the seeds case: 000 and 004 are one Copenhagen appearance -----------------------------


def _seed_summary(aid: str, headline: str, summary: str, people: list[str], places: list[str], day: date | None, orgs: list[str]) -> ArticleSummary:
    return ArticleSummary(article_id=aid, headline=headline, summary=summary, people=people, organizations=orgs, places=places, event_date=day, topics=["Ukraine war"])


def test_seeds_copenhagen_pair_clusters_and_others_stay_apart(seeds_dir) -> None:  # type: ignore[no-untyped-def]
    paths = sorted(seeds_dir.glob("*.txt"))
    arts = {p.name[:3]: Article.create(source=str(p), title=p.read_text().splitlines()[0], body=p.read_text()) for p in paths}
    sums = [
        _seed_summary(arts["000"].id, "Zelensky to press Trump for harsher Russia sanctions",
                      "Speaking in Copenhagen on Wednesday, Zelensky said he would speak with Trump on Thursday about tougher sanctions on Russia and security guarantees.",
                      ["Volodymyr Zelensky", "Donald Trump", "Mette Frederiksen", "Vladimir Putin"], ["Copenhagen", "Denmark", "Paris"], date(2025, 9, 3), ["NATO"]),
        _seed_summary(arts["001"].id, "Zelenskiy seeks new meeting with Trump as territorial talks stall",
                      "Zelenskiy is pushing for new talks with Trump as negotiators confront disputes over Donetsk and the Zaporizhzhia nuclear plant.",
                      ["Volodymyr Zelenskiy", "Donald Trump"], ["Kyiv", "Donetsk", "Zaporizhzhia"], None, ["White House"]),
        _seed_summary(arts["002"].id, "Zelenskiy says Russia is blocking a meeting with Putin",
                      "At a press conference in Kyiv with NATO's Mark Rutte, Zelenskiy accused Russia of obstructing a meeting with Putin and called for more sanctions.",
                      ["Volodymyr Zelenskiy", "Mark Rutte", "Vladimir Putin"], ["Kyiv"], None, ["NATO", "Atlantic Council"]),
        _seed_summary(arts["003"].id, "Trump plans to meet Putin and Zelensky next week",
                      "After Witkoff's meeting with Putin in Moscow, Trump said he is open to meeting Putin and Zelensky; new sanctions take effect Friday.",
                      ["Donald Trump", "Vladimir Putin", "Steve Witkoff", "Karoline Leavitt"], ["Moscow", "India"], date(2025, 8, 6), ["White House"]),
        _seed_summary(arts["004"].id, "Zelenskyy rules out ceding territory, seeks binding guarantees",
                      "At a joint press conference with Danish premier Mette Frederiksen in Copenhagen, Zelenskyy rejected territorial concessions and urged sanctions on Russia.",
                      ["Volodymyr Zelenskyy", "Mette Frederiksen", "Donald Trump"], ["Copenhagen", "Denmark"], None, ["Anadolu Agency"]),
    ]
    groups = cluster_articles(sums, {a.id: a for a in arts.values()})
    name = {a.id: k for k, a in arts.items()}
    named = sorted(sorted(name[a] for a in g) for g in groups)
    assert named == [["000", "004"], ["001"], ["002"], ["003"]]
