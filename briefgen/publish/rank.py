"""Ranking: which stories lead the brief, which are shown, and how they are grouped.

The order is lexicographic (SPEC, "Ranking and length"):

1. independent outlets (``Story.outlets``; wire copies count once),
2. recency: the latest ``published`` among the story's articles, else ``first_seen``
   (a story with no date at all sorts after every dated one),
3. size: articles, then shown key points (capped at ``max_key_points`` so a story with
   twenty unshown points does not outrank one with five),
4. story id, so equal stories always come out in the same order.

``importance`` restates that order as one number a reader of the JSON can interpret:
its integer part is the number of independent outlets, its fraction (0.1–0.9) is the
story's place among the stories with that many outlets by recency and size. Sorting by
importance, descending, gives the ranking back (stories equal on every criterion get equal
importance and are ordered by id).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone

from briefgen.models import Section, Story

#: Sections only pay for themselves in a longer brief (SPEC: "more than 6 stories").
SECTION_MIN_STORIES = 7
#: A topic with fewer shown stories than this is folded into "Other".
SECTION_MIN_SIZE = 2
OTHER = "Other"


def independent_outlets(story: Story) -> int:
    """Independent outlets of a story: its ``outlets`` field, else counted from its sources."""
    if story.outlets > 0:
        return story.outlets
    # Deduplication normally fills ``outlets``; count here too so a hand-built story ranks sanely.
    labels = {ref.label.casefold() for ref in story.articles if not ref.wire_copy_of}
    return len(labels) or (1 if story.articles else 0)


def story_timestamp(story: Story) -> float | None:
    """POSIX time of the story's latest article (else first_seen), or None when undated."""
    dates = [ref.published for ref in story.articles if ref.published is not None]
    latest: datetime | None = max(dates, key=_as_utc) if dates else story.first_seen
    return _as_utc(latest).timestamp() if latest is not None else None


def _as_utc(moment: datetime) -> datetime:
    # Naive datetimes (a feed without a zone) are read as UTC so they compare with aware ones.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


# A story of one outlet shows at most ``max_key_points``; each further independent outlet
# brings facts of its own (measured on the labeled set: bench/RESULTS.md), so the story may
# show one more point for each; a story never shows more than MAX_STORY_POINTS (either rule).
POINTS_PER_EXTRA_OUTLET = 1
MAX_STORY_POINTS = 10


def point_limit(story: Story, max_key_points: int) -> int:
    """How many key points ``story`` shows: its articles' budget (``adaptive_points``), else
    ``max_key_points``, one more per further outlet; never more than MAX_STORY_POINTS."""
    if story.point_budget:
        return min(story.point_budget, MAX_STORY_POINTS)
    extra = POINTS_PER_EXTRA_OUTLET * max(independent_outlets(story) - 1, 0)
    return max(max_key_points, min(max_key_points + extra, MAX_STORY_POINTS))


def _shown_points(story: Story, max_key_points: int) -> int:
    verified = sum(1 for kp in story.key_points if kp.verified)
    return min(verified or len(story.key_points), point_limit(story, max_key_points))


def _tiebreak(story: Story, max_key_points: int) -> tuple[int, float, int, int]:
    """Recency and size, larger = more important (used inside one outlet count)."""
    ts = story_timestamp(story)
    return (
        0 if ts is None else 1,
        ts or 0.0,
        len(story.articles),
        _shown_points(story, max_key_points),
    )


def rank_stories(stories: list[Story], *, max_stories: int = 12, max_key_points: int = 5) -> list[Story]:
    """Stories ranked, with ``shown`` set for the first max_stories and ``importance`` filled."""
    keyed = [(independent_outlets(s), _tiebreak(s, max_key_points), s) for s in stories]
    keyed.sort(key=lambda item: (-item[0], _negate(item[1]), item[2].id))

    # Fraction of importance: dense rank of the tie-break key among stories with equal outlets.
    # keyed is sorted, so each dict fills in descending order (index 0 = best).
    places: dict[int, dict[tuple[int, float, int, int], int]] = {}
    for outlets, tie, _ in keyed:
        group = places.setdefault(outlets, {})
        group.setdefault(tie, len(group))

    ranked: list[Story] = []
    for position, (outlets, tie, story) in enumerate(keyed):
        group = places[outlets]
        steps = len(group) - 1
        fraction = 0.9 if steps == 0 else 0.1 + 0.8 * (steps - group[tie]) / steps
        ranked.append(
            story.model_copy(
                update={"importance": round(outlets + fraction, 4), "shown": position < max_stories}
            )
        )
    return ranked


def _negate(tie: tuple[int, float, int, int]) -> tuple[float, ...]:
    return tuple(-x for x in tie)


def normalize_topic(topic: str) -> str:
    """Casefolded topic with punctuation and spacing evened out ("U.S.  Politics" = "u.s. politics")."""
    text = topic.replace("&", " and ").casefold()
    text = re.sub(r"[^\w.\- ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip(" .-")


def make_sections(stories: list[Story]) -> list[Section]:
    """Sections by first topic when more than 6 stories are shown, small ones merged into Other."""
    shown = [s for s in stories if s.shown]
    if len(shown) < SECTION_MIN_STORIES:
        return []
    members: dict[str, list[str]] = {}
    spellings: dict[str, Counter[str]] = {}
    for story in shown:  # in rank order, so a section's first story is its best one
        topic = next((t for t in story.topics if normalize_topic(t)), "")
        key = normalize_topic(topic)
        members.setdefault(key, []).append(story.id)
        spellings.setdefault(key, Counter())[topic.strip()] += 1

    sections: list[Section] = []
    other: list[str] = []
    for key, ids in members.items():
        if not key or len(ids) < SECTION_MIN_SIZE:
            other.extend(ids)
            continue
        name = _display_name(spellings[key])
        if name.casefold() == OTHER.casefold():
            other.extend(ids)
        else:
            sections.append(Section(name=name, story_ids=ids))
    if other:
        order = {s.id: i for i, s in enumerate(shown)}
        sections.append(Section(name=OTHER, story_ids=sorted(other, key=order.__getitem__)))
    # One heading over the whole brief says nothing: no sections then.
    return sections if len(sections) > 1 else []


def _display_name(spellings: Counter[str]) -> str:
    # The most common spelling as the model wrote it (ties: the best-ranked story's, seen
    # first; max() keeps the first of equals), first letter capitalised.
    name = max(spellings.items(), key=lambda kv: kv[1])[0]
    name = re.sub(r"\s+", " ", name)
    return name[:1].upper() + name[1:]


def sectioned(stories: list[Story]) -> tuple[list[Story], list[Section]]:
    """Sections by topic for ranked stories, and each story marked with its section's name."""
    sections = make_sections(stories)
    section_of = {sid: sec.name for sec in sections for sid in sec.story_ids}
    return [s.model_copy(update={"section": section_of.get(s.id)}) for s in stories], sections
