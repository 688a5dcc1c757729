"""Deduplication, both levels (SPEC "Deduplication (two levels)").

* ``neardup`` — before the LLM: exact and near-duplicate articles (wire copies) collapse into
  one article that keeps every outlet;
* ``features`` — per-article clustering features;
* ``cluster`` — after summarizing: articles about the same *event* form one group;
* ``stories`` — a group becomes a :class:`~briefgen.models.Story` with merged, cited points.
"""
