"""``--since-last``: skip the stories an earlier brief already sent, unless they have news.

A story counts as already sent when a published story (``Store.published_members``: what
``send`` put in the outbox, or what ``build --since-last`` built) shares member articles with
it. Stories are matched across runs by member overlap (SPEC: Identity), with the matcher of
:func:`match_stories`, on article content hashes, so a re-read file matches its old self.

* Every member was in the published story → ``seen_before``, not shown.
* A member the published story did not have (and which is not merely a wire copy of another
  member: a reprint adds no development) → shown, marked ``update``.
* No overlap with anything published → a new story, as in a normal build.

Only briefs dated before today's are compared, so rebuilding today's brief gives the same
brief; without any earlier brief this is a normal build.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from briefgen.config import Settings
from briefgen.models import Brief, SourceRef, Story
from briefgen.publish.rank import rank_stories
from briefgen.store import Store


def match_stories(a: Sequence[Story], b: Sequence[Story]) -> list[tuple[int | None, int | None, int]]:
    """Pairs (index in a, index in b, shared members) by member overlap; unmatched get None."""
    sets_a = [{r.id for r in s.articles} for s in a]
    sets_b = [{r.id for r in s.articles} for s in b]
    candidates = []
    for i, sa in enumerate(sets_a):
        for j, sb in enumerate(sets_b):
            shared = len(sa & sb)
            if shared:
                candidates.append((shared / len(sa | sb), shared, i, j))
    # Best overlap first; ties keep the ranking order, so the result is deterministic.
    candidates.sort(key=lambda c: (-c[0], c[2], c[3]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[int | None, int | None, int]] = []
    for _, shared, i, j in candidates:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j, shared))
    pairs += [(i, None, 0) for i in range(len(a)) if i not in used_a]
    pairs += [(None, j, 0) for j in range(len(b)) if j not in used_b]
    # In the order a reader of B meets them, A-only stories after.
    pairs.sort(key=lambda p: (p[1] is None, p[1] if p[1] is not None else p[0] or 0))
    return pairs


def _key(ref: SourceRef) -> str:
    return ref.content_hash or ref.id


def _proxy(story_id: str, keys: Sequence[str]) -> Story:
    # match_stories compares member ids: stand-ins whose member "ids" are content hashes.
    return Story(id=story_id, headline="", summary="",
                 articles=[SourceRef(id=k, title="", source="") for k in dict.fromkeys(keys)])


def mark_since_last(stories: Sequence[Story], published: Sequence[tuple[str, list[str], date]]) -> list[Story]:
    """Copies of ``stories`` with ``seen_before`` (and ``shown=False``) or ``update`` set against ``published``."""
    if not published:
        return list(stories)
    # Rows from before hashes were recorded hold article ids: the same id is the same text.
    id_to_hash = {r.id: r.content_hash for s in stories for r in s.articles if r.content_hash}
    previous: list[Story] = []
    recorded: set[str] = set()
    for story_id, keys, _ in published:  # newest first: a story re-recorded later counts by its last members
        if story_id not in recorded:
            recorded.add(story_id)
            previous.append(_proxy(story_id, [id_to_hash.get(k, k) for k in keys]))
    everything = {r.id for p in previous for r in p.articles}
    today = [_proxy(s.id, [_key(r) for r in s.articles]) for s in stories]
    out = list(stories)
    for i, j, _ in match_stories(previous, today):
        if j is None:
            continue
        members = {r.id for r in today[j].articles}
        if i is not None:
            before = {r.id for r in previous[i].articles}
        elif members & everything:
            # Overlaps published stories already paired with another of today's (a story split in two).
            before = everything
        else:
            continue  # new story
        news = [r for r in stories[j].articles if _key(r) not in before and not r.wire_copy_of]
        if news:
            out[j] = stories[j].model_copy(update={"update": True})
        else:
            out[j] = stories[j].model_copy(update={"seen_before": True, "shown": False})
    return out


def rank_since_last(stories: Sequence[Story], published: Sequence[tuple[str, list[str], date]], *,
                    max_stories: int, max_key_points: int) -> list[Story]:
    """Ranked stories, already-sent ones after the rest and not shown (they take no slot)."""
    marked = mark_since_last(stories, published)
    fresh = rank_stories([s for s in marked if not s.seen_before], max_stories=max_stories,
                         max_key_points=max_key_points)
    sent = rank_stories([s for s in marked if s.seen_before], max_stories=0, max_key_points=max_key_points)
    return fresh + sent


def record_published(brief: Brief, settings: Settings) -> None:
    """Remember the shown stories of a built brief as published on its date (``build --since-last``)."""
    with Store(settings.state_file()) as store:
        store.record_stories(brief.shown_stories, brief.date)


__all__ = ["mark_since_last", "rank_since_last", "record_published"]
