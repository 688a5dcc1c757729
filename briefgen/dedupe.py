"""Deduplication, both levels, behind one name (SPEC "Deduplication (two levels)").

* before the LLM — :func:`collapse_near_duplicates` (``neardup``): exact and near-duplicate
  articles (wire copies) become one article that keeps every outlet in ``copies``;
* after summarizing — :func:`cluster_articles` (``cluster``): articles about the same
  *event* form one group, same-topic-different-event stays apart.

Story building from a group lives in ``stories``.
"""

from __future__ import annotations

from .cluster import ClusterParams, Embedder, PairJudge, cluster_articles
from .features import extract_features
from .neardup import DEFAULT_THRESHOLD, collapse_near_duplicates, near_duplicate_pairs

__all__ = [
    "DEFAULT_THRESHOLD",
    "ClusterParams",
    "Embedder",
    "PairJudge",
    "cluster_articles",
    "collapse_near_duplicates",
    "extract_features",
    "near_duplicate_pairs",
]
