"""Near-duplicate collapse (briefgen.dedupe.neardup): wire copies become one article with its copies."""

from __future__ import annotations

import pytest

from briefgen.dedupe.neardup import collapse_near_duplicates, near_duplicate_pairs
from briefgen.models import Article, ContentKind
from metrics import load_event_fixtures, pairwise

# ---- near-duplicates -----------------------------------------------------------------------

BODY = (
    "The city council voted 7 to 2 on Tuesday to approve a new tram line linking the harbour to the "
    "university, ending a decade of debate. The project is expected to cost 410 million and open in 2029. "
    "Opponents said the money should go to buses and cycle lanes instead. The mayor said construction "
    "would start next spring after a final environmental review, and promised that residents along the "
    "route would be consulted on the location of stops."
)


def _art(source: str, body: str, outlet: str | None = None, **kw: object) -> Article:
    return Article.create(source=source, title=f"title {source}", body=body, outlet=outlet, **kw)


def test_exact_duplicates_collapse_keeping_every_outlet() -> None:
    arts = [_art("a.txt", BODY, "A"), _art("b.txt", BODY, "B"), _art("c.txt", "  " + BODY.upper() + "\n", "C")]
    out = collapse_near_duplicates(arts)
    assert len(out) == 1
    rep = out[0]
    assert {c.outlet for c in rep.copies} | {rep.outlet} == {"A", "B", "C"}
    assert all(c.wire_copy_of == rep.id for c in rep.copies)


def test_lightly_edited_copy_collapses_but_other_reporting_does_not() -> None:
    edited = BODY.replace("on Tuesday", "Tuesday").replace("Opponents said", "Critics said") + " Reporting by staff."
    other = (
        "Students cheered outside the town hall after councillors backed the harbour tram on Tuesday. "
        "Seven members voted in favour and two against. Bus drivers' union leaders said they feared job losses, "
        "while the university's rector called the decision historic for the campus."
    )
    arts = [_art("wire.txt", BODY, "Wire"), _art("local.txt", edited, "Local"), _art("other.txt", other, "Other")]
    pairs = near_duplicate_pairs(arts)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert 0.5 <= pairs[0][2] < 1.0
    out = collapse_near_duplicates(arts)
    assert len(out) == 2
    assert {out[0].outlet, *(c.outlet for c in out[0].copies)} == {"Wire", "Local"}
    assert out[1].id == arts[2].id and not out[1].copies


def test_representative_is_deterministic_and_prefers_full_text() -> None:
    snippet = _art("s.txt", BODY, "Snippet", content_kind=ContentKind.SNIPPET)
    longer = _art("l.txt", BODY + " Additional reporting.", "Longer")
    plain = _art("p.txt", BODY, "Plain")
    for order in ([snippet, longer, plain], [plain, snippet, longer], [longer, plain, snippet]):
        (rep,) = collapse_near_duplicates(order)
        assert rep.id == longer.id
        assert sorted(c.id for c in rep.copies) == sorted([snippet.id, plain.id])


def test_empty_bodies_are_not_duplicates_of_each_other() -> None:
    arts = [_art("t1", "", "A", content_kind=ContentKind.TITLE_ONLY), _art("t2", "", "B", content_kind=ContentKind.TITLE_ONLY)]
    assert len(collapse_near_duplicates(arts)) == 2


def test_collapsing_again_keeps_earlier_copies() -> None:
    first = collapse_near_duplicates([_art("a", BODY, "A"), _art("b", BODY, "B")])
    again = collapse_near_duplicates([*first, _art("c", BODY + " Update.", "C")])
    assert len(again) == 1
    assert {c.outlet for c in again[0].copies} | {again[0].outlet} == {"A", "B", "C"}
    assert all(c.wire_copy_of == again[0].id for c in again[0].copies)


@pytest.mark.parametrize("split", ["tune", "heldout"])
def test_fixture_near_duplicates_pairwise(split: str) -> None:
    labeled = load_event_fixtures(split)
    arts = [x.article for x in labeled]
    found = [(arts[i].id, arts[j].id) for i, j, _ in near_duplicate_pairs(arts)]
    wire: dict[str, list[str]] = {}
    for x in labeled:
        if x.wire_group:
            wire.setdefault(x.wire_group, []).append(x.article.id)
    assert len(wire) >= 2
    precision, recall = pairwise(found, wire.values())
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
