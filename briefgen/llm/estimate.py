"""``estimate_brief(sources, settings) -> Estimate``: what a build would call and cost, before it spends.

The summarize calls are planned exactly as :func:`briefgen.pipeline.build_brief` plans them
(``plan_calls``: the prompts as they would be rendered, the state file's cache looked up);
the calls that depend on clustering (the cross-check, the clustering judge) are counted at
their most. ``briefgen build --estimate`` prints it (cli/brief.py).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import IO

from briefgen.config import Settings, SourceSpec
from briefgen.dedupe import crosscheck, judge
from briefgen.dedupe.neardup import collapse_near_duplicates
from briefgen.llm.cost import Estimate, cost_usd, counter_for, price_for
from briefgen.pipeline import Progress, _Silent, crosscheck_wanted, load_task_prompt, open_client, plan_calls
from briefgen.sources import collect
from briefgen.store import Store


def estimate_brief(
    sources: Sequence[str | SourceSpec],
    settings: Settings,
    *,
    stdin: IO[str] | None = None,
    progress: Progress | None = None,
    brief_date: date | None = None,
    since: datetime | None = None,
) -> Estimate:
    """What :func:`build_brief` would call and cost, from the prompts as they would be rendered.

    Makes no LLM call and starts no model server; calls the state file already answers
    cost nothing. The summarize calls (one per chunk) are counted exactly; the calls that
    depend on clustering (the cross-check, the judge) at their most; repairs are not foreseen.
    """
    progress = progress or _Silent()
    articles, _ = collect.load_articles(sources, settings, progress, stdin, brief_date, since)
    unique = collapse_near_duplicates(articles)
    with Store(settings.state_file()) as store, open_client(settings, store, progress) as client:
        plan = list(plan_calls(unique, client, settings, store))
        counter, how = counter_for(settings, client.backend)
        price = price_for(settings, client.backend)
        todo = [c for p in plan for c, hit in zip(p.calls, p.cached) if not hit]
        prompt_tokens = sum(counter(c.messages) for c in todo)
        out_max = sum(c.max_tokens for c in todo)
        replies, average = store.query("SELECT COUNT(*), COALESCE(AVG(completion_tokens), 0) FROM llm_cache"
                                       " WHERE task = 'summarize' AND model = ? AND completion_tokens > 0",
                                       ((backend := client.backend).model,))[0]
    expected = round(average * len(todo)) if replies else None
    est = Estimate(model=client.backend.model, backend=client.backend.kind, articles=len(unique), calls=len(todo),
                   cached=sum(sum(p.cached) for p in plan), prompt_tokens=prompt_tokens, output_tokens_max=out_max,
                   output_tokens_expected=expected, counting=how, price=price, batch=settings.batch,
                   output_basis=(f"the average of {replies} recorded replies of this model" if replies
                                 else "no recorded replies of this model yet: only the bound"))
    per_call = crosscheck.pairs_per_call(backend, settings.crosscheck_pairs_per_call)
    for name, bound in (("crosscheck", functools.partial(crosscheck.call_bound, per_call=per_call)
                         if crosscheck_wanted(settings, backend) else None),
                        ("judge", judge.call_bound if settings.cluster_judge else None)):
        if bound is not None:  # depends on clustering: counted at its most
            calls, tokens = bound(unique, prompt := load_task_prompt(name, settings), counter)
            est.story_calls_max += calls
            est.story_prompt_tokens_max += tokens
            est.story_output_tokens_max += calls * prompt.max_tokens
    est.cost_max_usd = cost_usd(price, prompt_tokens + est.story_prompt_tokens_max,
                                out_max + est.story_output_tokens_max, batch=settings.batch)
    if expected is not None:
        est.cost_expected_usd = cost_usd(price, prompt_tokens, expected, batch=settings.batch)
    return est


__all__ = ["estimate_brief"]
