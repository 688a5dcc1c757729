"""Clustering metrics (B-cubed, pairwise) and the loader of the labeled event fixtures.

B-cubed (Bagga & Baldwin 1998): for each item, precision is the share of its predicted
cluster that shares its gold label, recall the share of its gold cluster that landed in its
predicted cluster; both are averaged over items, and F1 is their harmonic mean.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from pathlib import Path

from briefgen.models import Article, ArticleSummary

EVENTS_DIR = Path(__file__).resolve().parent / "fixtures" / "events"


def bcubed(predicted: Iterable[Iterable[str]], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a partition against gold labels (item -> label)."""
    cluster_of: dict[str, int] = {}
    for ci, members in enumerate(predicted):
        for m in members:
            if m in cluster_of:
                raise ValueError(f"{m} is in two predicted clusters")
            cluster_of[m] = ci
    if set(cluster_of) != set(gold):
        raise ValueError("predicted and gold cover different items")
    members_of: dict[int, list[str]] = {}
    for m, ci in cluster_of.items():
        members_of.setdefault(ci, []).append(m)
    gold_size: dict[str, int] = {}
    for label in gold.values():
        gold_size[label] = gold_size.get(label, 0) + 1
    p = r = 0.0
    for item, ci in cluster_of.items():
        same = sum(1 for other in members_of[ci] if gold[other] == gold[item])
        p += same / len(members_of[ci])
        r += same / gold_size[gold[item]]
    n = len(gold)
    p, r = p / n, r / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def pairwise(predicted_pairs: Iterable[tuple[str, str]], gold_groups: Iterable[Iterable[str]]) -> tuple[float, float]:
    """Pairwise precision and recall of predicted item pairs against gold groups."""
    gold = {frozenset(p) for g in gold_groups for p in combinations(sorted(g), 2)}
    pred = {frozenset(p) for p in predicted_pairs}
    tp = len(gold & pred)
    precision = tp / len(pred) if pred else 1.0
    recall = tp / len(gold) if gold else 1.0
    return precision, recall


@dataclass
class Labeled:
    key: str
    event: str
    split: str
    wire_group: str | None
    article: Article
    summary: ArticleSummary


def load_event_fixtures(split: str | None = None) -> list[Labeled]:
    """The labeled fixture articles (sorted by key), optionally one split ('tune' or 'heldout')."""
    out: list[Labeled] = []
    for path in sorted(EVENTS_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if split is not None and doc["split"] != split:
            continue
        a = doc["article"]
        published = datetime.fromisoformat(a["published"]) if a.get("published") else None
        article = Article.create(
            source=a["source"], title=a["title"], body=a["body"], outlet=a.get("outlet"), url=a.get("url"),
            published=published, dateline=a.get("dateline"), byline=a.get("byline"),
        )
        s = dict(doc["summary"])
        for kp in s["key_points"]:
            for ev in kp["evidence"]:
                ev["article_id"] = article.id
        summary = ArticleSummary.model_validate({**s, "article_id": article.id})
        out.append(Labeled(doc["key"], doc["event"], doc["split"], doc.get("wire_group"), article, summary))
    return out


def expand_copies(groups: list[list[str]], reps: dict[str, Article]) -> list[list[str]]:
    """Groups of representatives widened with the ids of their collapsed wire copies."""
    return [sorted({*g, *(c.id for a in g for c in reps[a].copies)}) for g in groups]
