"""Notes: what the LLM writes about each article, and the check of it.

* ``chunk`` — numbered sentences and token budgets;
* ``summarize`` — one structured call per chunk into an :class:`~briefgen.models.ArticleSummary`;
* ``ground`` — every key point checked against the sentence it cites;
* ``offload`` — splitting and grounding in a worker process while a server's calls are in flight.
"""
