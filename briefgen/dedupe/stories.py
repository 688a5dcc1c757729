"""Build one Story from a group of articles about the same event — deterministic, no LLM.

The pieces are public so a later LLM synthesis step (multi-source stories) can reuse them:

* :func:`story_refs` / :func:`independent_outlets` — who covered it (a wire copy cites its
  outlet but does not add an independent one);
* :func:`compare_points` / :func:`merge_key_points` — the same fact stated by several sources
  becomes one key point citing all of them; the same subject with a different figure or a
  different actor is *not* merged, and becomes a :class:`Disagreement` citing both sides;
* :func:`pick_lead` — which member's headline and summary speak for the story;
* :func:`union_names` — entities and topics without case or spelling duplicates.

Being conservative on merging is deliberate: a wrongly merged point puts words in a
source's mouth, while an unmerged duplicate only costs a line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timezone
from typing import Literal

from briefgen.text.figures import bare_numbers, explicit_dates, figure_spans, numbers
from briefgen.text.names import person_key, proper_names
from briefgen.text.tokens import content_terms, dice, fold, words
from briefgen.models import Article, ArticleSummary, Claim, ContentKind, Disagreement, Evidence, KeyPoint, SourceRef, Story

# Dice overlap of content words above which two points state the same thing. With equal
# figures on both sides the wording may differ more (the figure itself pins the fact).
SAME_WORDS = 0.5
SAME_WORDS_WITH_FIGURES = 0.3
# Same subject, different figure/actor: a disagreement only when the rest says the same.
CONFLICT_WORDS = 0.5

Relation = Literal["same", "conflict", "different"]


def _utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class _PointInfo:
    words: frozenset[str]
    figures: frozenset[str]
    names: frozenset[str]


@lru_cache(maxsize=1 << 14)  # merging compares each point with every other point of the story
def _info(text: str) -> _PointInfo:
    figs = {n for n in numbers(text)} | {d.isoformat() for d in explicit_dates(text, None)}
    # A key point's subject is often a name at the start of the sentence: it counts (a
    # stopword or title there does not: "After the vote, the council ...").
    names = frozenset(proper_names(text, headings=True, sentence_start=True))
    # Names are compared on their own: the remaining words say what happened.
    content = frozenset(words(text)) - names
    return _PointInfo(words=content, figures=frozenset(figs), names=names)


def compare_points(a: str, b: str) -> Relation:
    """Whether two key-point texts state the same fact, disagree on one, or differ."""
    ia, ib = _info(a), _info(b)
    overlap = dice(ia.words, ib.words)
    if ia.figures or ib.figures:
        if ia.figures == ib.figures:
            return "same" if overlap >= SAME_WORDS_WITH_FIGURES and _actors_agree(ia, ib) else "different"
        exclusive = ia.figures - ib.figures and ib.figures - ia.figures
        if exclusive and overlap >= CONFLICT_WORDS:
            # Same statement, another figure on each side: "killed 3, injured 41" vs "killed 4, injured 41".
            # (One side's figures a subset of the other's is a more detailed statement, not a dispute.)
            return "conflict"
        return "different"
    if overlap < SAME_WORDS:
        return "different"
    if not _actors_agree(ia, ib):
        # Same words, other actor: who said or did it is in dispute.
        return "conflict"
    return "same"


def _actors_agree(ia: _PointInfo, ib: _PointInfo) -> bool:
    # Both name someone and share no one: different actors. One unnamed side is fine.
    return not (ia.names and ib.names and ia.names.isdisjoint(ib.names))


@dataclass
class _Group:
    points: list[KeyPoint] = field(default_factory=list)

    @property
    def head(self) -> KeyPoint:
        return self.points[0]

    def article_ids(self) -> list[str]:
        ids: list[str] = []
        for p in self.points:
            for a in p.article_ids:
                if a not in ids:
                    ids.append(a)
        return ids


def _merged(group: _Group) -> KeyPoint:
    evidence: list[Evidence] = []
    seen: set[tuple[str, tuple[int, ...], str]] = set()
    for p in group.points:
        for ev in p.evidence:
            key = (ev.article_id, tuple(ev.sentences), ev.quote)
            if key not in seen:
                seen.add(key)
                evidence.append(ev)
    flags = sorted({f for p in group.points for f in p.flags})
    head = group.head
    return head.model_copy(
        update={"evidence": evidence, "flags": flags, "verified": all(p.verified for p in group.points)}
    )


def _fact_label(a: str, b: str) -> str:
    # The shared statement with the disputed figures blanked: "The quake killed … people".
    theirs = set(numbers(b))
    out = a
    for start, end, value in reversed(figure_spans(a)):
        if value not in theirs:
            out = out[:start] + "…" + out[end:]
    return out


def merge_key_points(summaries: list[ArticleSummary]) -> tuple[list[KeyPoint], list[Disagreement]]:
    """Merge the key points of several summaries (lead first): one point per fact, plus disagreements."""
    groups: list[_Group] = []
    conflicts: list[tuple[int, int]] = []
    for summary in summaries:
        for kp in summary.key_points:
            if not kp.evidence:
                kp = kp.model_copy(update={"evidence": [Evidence(article_id=summary.article_id)]})
            placed = False
            relations = [compare_points(g.head.text, kp.text) for g in groups]
            for gi, rel in enumerate(relations):
                if rel == "same":
                    groups[gi].points.append(kp)
                    placed = True
                    break
            if not placed:
                groups.append(_Group([kp]))
                new = len(groups) - 1
                conflicts += [(gi, new) for gi, rel in enumerate(relations) if rel == "conflict"]
    # Facts confirmed by more sources first; otherwise the lead's order is kept.
    order = sorted(range(len(groups)), key=lambda gi: (-len(groups[gi].article_ids()), gi))
    points = [_merged(groups[gi]) for gi in order]
    disagreements = []
    for gi, gj in conflicts:
        ids_i, ids_j = groups[gi].article_ids(), groups[gj].article_ids()
        if set(ids_i) == set(ids_j):
            continue  # one source contradicting itself is not a disagreement between sources
        disagreements.append(
            Disagreement(
                fact=_fact_label(groups[gi].head.text, groups[gj].head.text),
                claims=[Claim(text=groups[gi].head.text, article_ids=ids_i), Claim(text=groups[gj].head.text, article_ids=ids_j)],
            )
        )
    return points, disagreements


def pick_lead(article_ids: list[str], summaries: dict[str, ArticleSummary], articles: dict[str, Article]) -> str:
    """The member whose headline and summary speak for the story.

    The most informative member is the one whose key points cover the most facts that
    *other* sources confirm (central, not an outlier angle), then the one with the most key
    points and entities, full text over snippets, the longer body, and finally the smaller id.
    """
    members = sorted(a for a in article_ids if a in summaries)
    if not members:
        return sorted(article_ids)[0]
    confirmed: Counter[str] = Counter()
    points, _ = merge_key_points([summaries[a] for a in members])
    for p in points:
        ids = p.article_ids
        if len(ids) > 1:
            confirmed.update(ids)
    # Points counted up to the smallest member's budget: a longer article's larger budget
    # (notes/select.point_budget) says how long it is, not how informative (a live page is long).
    floor = min(summaries[a].point_budget or len(summaries[a].key_points) for a in members)

    def key(a: str) -> tuple[object, ...]:
        s, art = summaries[a], articles.get(a)
        ents = len(s.people) + len(s.organizations) + len(s.places)
        full = art is not None and art.content_kind == ContentKind.FULL
        return (-confirmed[a], -min(len(s.key_points), floor), -ents, not full, -(len(art.body) if art else 0), a)

    return min(members, key=key)


def union_names(lists: Iterable[Iterable[str]]) -> list[str]:
    """Names in first-seen order, deduplicated case- and accent-insensitively.

    A one-word name that ends a longer name already listed ("Zelensky" after "Volodymyr
    Zelensky") is the same person and is dropped.
    """
    out: list[str] = []
    keys: set[str] = set()
    for names in lists:
        for name in names:
            name = name.strip()
            k = fold(" ".join(name.split()))
            if not k or k in keys:
                continue
            keys.add(k)
            out.append(name)
    full = [fold(n) for n in out]
    return [n for n, k in zip(out, full) if not (" " not in k and any(f != k and f.endswith(" " + k) for f in full))]


def union_people(lists: Iterable[Iterable[str]]) -> list[str]:
    """People in first-seen order, one per person: spellings of one surname merge
    (Zelensky/Zelenskiy/Zelenskyy, the fullest kept), but two full names with different first
    names are two people (Marc and Alex Marquez); a bare surname joins the one full name it
    can belong to, and is dropped as ambiguous when there are several."""
    names = union_names(lists)
    full_by_surname: dict[str, set[str]] = {}
    for name in names:
        if len(name.split()) > 1:
            full_by_surname.setdefault(person_key(name), set()).add(fold(name.split()[0])[:3])
    best: dict[str, str] = {}
    order: list[str] = []
    for name in names:
        surname = person_key(name) or fold(name)
        parts = name.split()
        if len(parts) > 1:
            key = f"{surname}:{fold(parts[0])[:3]}"
        else:
            firsts = full_by_surname.get(surname, set())
            if len(firsts) > 1:
                continue  # "Marquez" next to Marc and Alex Marquez: which one is not known
            key = f"{surname}:{next(iter(firsts))}" if firsts else surname
        if key not in best:
            order.append(key)
            best[key] = name
        elif len(parts) > len(best[key].split()):
            best[key] = name
    return [best[k] for k in order]


def story_refs(article_ids: list[str], articles: dict[str, Article], lead: str | None = None) -> list[SourceRef]:
    """SourceRefs of every member (lead first, then by id), each followed by its wire copies."""
    order = sorted(article_ids, key=lambda a: (a != lead, a))
    refs: list[SourceRef] = []
    seen: set[str] = set()
    for a in order:
        art = articles.get(a)
        if art is None:
            continue
        for ref in [art.ref(), *art.copies]:
            if ref.id not in seen:
                seen.add(ref.id)
                refs.append(ref)
    return refs


def independent_outlets(refs: list[SourceRef]) -> int:
    """Distinct outlets among non-copies; an unknown outlet counts by its source."""
    return len({fold(r.label) for r in refs if not r.wire_copy_of})


# Share of a point's content words one sentence of another outlet must hold to corroborate it.
CORROBORATE_COVERAGE = 0.6


def corroborate(points: list[KeyPoint], member_ids: list[str], articles: dict[str, Article]) -> list[KeyPoint]:
    """Each point cites every member article that states it, not only the one it came from.

    Two outlets rarely word a fact alike, so merging their points misses most shared facts;
    a sentence of the other article that supports the point (its names, figures and most of
    its content words) is evidence as good as the first. Points stated by more outlets come
    first, then the others in turn from each outlet, so a story of two sources reads as one
    story, not as two articles stapled together.
    """
    from briefgen.notes.ground import evidence_sentences, may_support, support

    sentences = {aid: list(evidence_sentences(art).items()) for aid in member_ids if (art := articles.get(aid)) is not None}
    out: list[KeyPoint] = []
    for point in points:
        evidence = list(point.evidence)
        cited = {ev.article_id for ev in evidence}
        terms = content_terms(point.text)
        for aid, sents in sentences.items():
            if aid in cited:
                continue
            # Only sentences holding enough of its words can corroborate it.
            close = [(n, text) for n, text in sents if terms and may_support(terms, text, CORROBORATE_COVERAGE)]
            best = max(((support(point.text, text), n, text) for n, text in close),
                       key=lambda x: (x[0].ok, x[0].coverage), default=None)
            if best is not None and best[0].ok and best[0].coverage >= CORROBORATE_COVERAGE:
                evidence.append(Evidence(article_id=aid, sentences=[best[1]], quote=best[2]))
        out.append(point.model_copy(update={"evidence": evidence}))
    # More outlets first; then round-robin over the outlet each point came from.
    seen_rank: dict[str, int] = {}
    keyed = []
    for i, point in enumerate(out):
        first = point.evidence[0].article_id if point.evidence else ""
        seen_rank[first] = seen_rank.get(first, -1) + 1
        keyed.append((-len(point.article_ids), seen_rank[first], i))
    return [out[i] for _, _, i in sorted(keyed)]


def _with_summary_points(ordered: list[ArticleSummary], articles: dict[str, Article]) -> list[ArticleSummary]:
    """Every member after the lead brings its summary's own sentence as its first point:
    the story shows the lead's summary only, and the others' main facts are otherwise lost."""
    from briefgen.notes.ground import evidence_sentences, summary_point

    out = ordered[:1]
    for s in ordered[1:]:
        art = articles.get(s.article_id)
        kp = summary_point(s, evidence_sentences(art)) if art is not None else None
        out.append(s.model_copy(update={"key_points": [kp, *s.key_points]}) if kp is not None else s)
    return out


# A point whose figures all stand in the points above it, and half of whose words they already
# hold, is the same fact again from another outlet ("243 goals in 394 appearances" three times,
# the magnitude five times): it moves below the others, so the points a story shows carry more
# facts (the JSON keeps it). Without figures, three quarters of its words. Chosen on the labeled
# set's tune part (bench/RESULTS.md): with the cross-check, 71 -> 73 of 85 facts (the quake's
# 03:17, Salah's 2027), held-out 69 -> 70 of 75; 0.4 / 0.6 of the words with figures carried
# fewer; without figures 0.6 one fact fewer, 0.65 to 0.9 the same.
REPEAT_SHARE_WITH_FIGURES = 0.5
REPEAT_SHARE = 0.75


def demote_repeats(points: list[KeyPoint]) -> list[KeyPoint]:
    """``points`` in their order, each point that repeats the ones above it moved to the end."""
    kept: list[KeyPoint] = []
    repeats: list[KeyPoint] = []
    said: set[str] = set()
    figures: set[str] = set()
    for point in points:
        terms, figs = content_terms(point.text), bare_numbers(point.text)
        share = len(terms & said) / len(terms) if terms else 1.0
        if kept and share >= (REPEAT_SHARE_WITH_FIGURES if figs else REPEAT_SHARE) and figs <= figures:
            repeats.append(point)
            continue
        kept.append(point)
        said |= terms
        figures |= figs
    return kept + repeats


# A story shows its largest member's point budget and this many more for each further member
# (chosen on the labeled set's tune part against the sum of budgets and one or three more:
# bench/RESULTS.md); publish/rank caps it at MAX_STORY_POINTS.
POINTS_PER_FURTHER_ARTICLE = 2


def story_budget(budgets: list[int]) -> int:
    """The points a story of articles with these budgets shows; 0 when any has none (fixed rule)."""
    if not budgets or not all(budgets):
        return 0
    return max(budgets) + POINTS_PER_FURTHER_ARTICLE * (len(budgets) - 1)


def build_story(article_ids: list[str], summaries: dict[str, ArticleSummary], articles: dict[str, Article]) -> Story:
    """One Story for one event group: sources, merged key points, disagreements, entities."""
    ids = sorted(set(article_ids))
    lead = pick_lead(ids, summaries, articles)
    ordered = [summaries[a] for a in sorted(ids, key=lambda a: (a != lead, a)) if a in summaries]
    points, disagreements = merge_key_points(_with_summary_points(ordered, articles))
    if len(ordered) > 1:
        points = corroborate(points, [s.article_id for s in ordered], articles)
    refs = story_refs(ids, articles, lead)
    lead_summary = summaries.get(lead)
    dates = Counter(s.event_date for s in ordered if s.event_date is not None)
    # Most common event date; a tie goes to the earlier date (the event precedes reports on it).
    event_date = min(dates, key=lambda d: (-dates[d], d)) if dates else None
    published = [r.published for r in refs if r.published is not None]
    lead_art = articles.get(lead)
    return Story(
        id=Story.make_id(ids),
        headline=lead_summary.headline if lead_summary else (lead_art.title if lead_art else ""),
        summary=lead_summary.summary if lead_summary else "",
        key_points=demote_repeats(points),
        articles=refs,
        outlets=independent_outlets(refs),
        people=union_people(s.people for s in ordered),
        organizations=union_names(s.organizations for s in ordered),
        places=union_names(s.places for s in ordered),
        topics=union_names(s.topics for s in ordered),
        event_date=event_date,
        first_seen=min(published, key=_utc) if published else None,
        disagreements=disagreements,
        # Each article brings its budget (0 when any has none: the brief's fixed rule applies).
        point_budget=story_budget([s.point_budget for s in ordered]),
    )
