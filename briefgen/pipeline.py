"""The pipeline: ``build_brief(sources, settings) -> Brief`` composes the stages.

ingest → near-dup → chunk → summarize (LLM) → ground → cluster → stories → rank → Brief.
One bad article never sinks the brief: it is listed under ``failures`` and the rest goes on.
Everything already paid for is cached in the SQLite state, so a re-run after a failure
repeats no successful call.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import IO, Any, Protocol

from briefgen.config import Settings, redact_argv, SourceSpec
from briefgen.dedupe import stories
from briefgen.dedupe.cluster import cluster_articles
from briefgen.dedupe.features import ArticleFeatures, reduced_with_features
from briefgen.dedupe.neardup import collapse_near_duplicates
from briefgen.errors import (BackendRefusedError, BriefgenError, ConfigError, LLMError, StateError)
from briefgen.llm.backends import Backend, resolve_backend
from briefgen.llm.client import LLMClient, Prepared
from briefgen.llm.cost import call_stats, counter_for, price_for, reserve_plan
from briefgen.llm.outputs import SCHEMAS, ArticleNotes
from briefgen.llm.pool import Gate, map_ordered
from briefgen.llm.prompts import Prompt, check_prompt_source, load_prompt
from briefgen.models import Article, ArticleSummary, Brief, BriefStats, Failure, GroundingStats
from briefgen.notes import chunk as chunking
from briefgen.dedupe import crosscheck, judge

from briefgen.notes.ground import unsupported_facts
from briefgen.notes.summarize import ask_notes, plan_article, reduce_article, render_article
from briefgen.notes.offload import BATCH, Offload, Pending, workers_wanted
from briefgen.publish import rank
from briefgen.sources import collect
from briefgen.store import Store
from briefgen.text.sentences import given_splits, splits_of

log = logging.getLogger(__name__)

# Room kept free in the context for the chat template's own tokens and estimate error.
CONTEXT_MARGIN = 256


class Progress(Protocol):
    """What the pipeline tells whoever watches (the CLI shows it with rich)."""

    def note(self, message: str) -> None: ...
    def start(self, stage: str, total: int) -> None: ...
    def advance(self, detail: str = "") -> None: ...


class _Silent:
    def note(self, message: str) -> None:
        log.info(message)

    def start(self, stage: str, total: int) -> None:
        log.debug("%s: %d", stage, total)

    def advance(self, detail: str = "") -> None:
        pass


@contextlib.contextmanager
def open_client(
    settings: Settings, store: Store | None, progress: Progress, timings: dict[str, float] | None = None
) -> Iterator[LLMClient]:
    """The LLM client for these settings; for the embedded model, a server started on first need."""
    timings = timings if timings is not None else {}
    with contextlib.ExitStack() as stack:
        backend = resolve_backend(settings, embedded_identity="pending")
        endpoint = None
        if backend.kind == "embedded":
            # Imported here: the OpenAI-only install never needs them.
            from briefgen.llm import model as local
            from briefgen.llm.server import LocalServer

            model_path = local.ensure_model(settings)
            backend = resolve_backend(settings, embedded_identity=local.model_identity(settings))
            # Not entered as a context (that starts it): started by endpoint() on the first
            # cache miss, stopped on every exit path by the callback.
            server = LocalServer(settings, model_path)
            stack.callback(server.stop)
            progress.note(
                f"using the embedded model {model_path.name}; "
                "set OPENAI_API_KEY or --base-url for a stronger one"
            )

            def endpoint() -> str:
                # Started only on the first cache miss: a fully cached run starts no server.
                if not server.running:
                    progress.note("starting the embedded model server…")
                t0 = time.monotonic()
                url = server.start()
                timings["model_start_s"] = timings.get("model_start_s", 0.0) + time.monotonic() - t0
                return url
        client = LLMClient(backend, settings, store, endpoint=endpoint)
        stack.callback(client.close)
        yield client


def load_task_prompt(name: str, settings: Settings) -> Prompt:
    """A prompt as the pipeline uses it: the editor's override first, temperature overridable.

    A variable the header does not declare is refused before any call, even in a branch this
    run would not render (a typo in an {% else %} would otherwise wait for the day it is taken)."""
    prompt = load_prompt(name, settings.prompts_dir)
    unknown = [p for p in check_prompt_source(prompt.path, prompt.source, set(SCHEMAS))
               if ": unknown variable " in str(p)]
    if unknown:
        raise unknown[0]
    if settings.temperature is not None:
        prompt.temperature = settings.temperature
    return prompt


def chunk_budget(prompt: Prompt, settings: Settings) -> int:
    """Article tokens per chunk: model context − the prompt's fixed part − output − margin."""
    fixed = sum(chunking.count_tokens(m["content"]) for m in prompt.render(
        title="", dateline="", published="", sentences=[], part=1, parts=1, max_points=settings.points_per_article,
        budget=settings.points_per_article))
    return max(256, settings.context_tokens - fixed - prompt.max_tokens - CONTEXT_MARGIN)


def crosscheck_wanted(settings: Settings, backend: Backend) -> bool:
    """The cross-check calls, on unless configured off. The embedded model gets one pair a call
    (crosscheck.pairs_per_call): so asked, both outlets supported 35 of its 78 facts on tune and
    28 of 58 on held-out; shown three pairs at once, it copied one side of each (bench/RESULTS.md)."""
    return settings.crosscheck


def _fail(failures: list[Failure], article: Article, reason: str) -> None:
    failures.append(Failure(source=article.source, reason=reason, article_id=article.id, stage="summarize"))
    for copy in article.copies:
        failures.append(Failure(source=copy.source, reason=f"wire copy of {article.source}, which failed",
                                article_id=copy.id, stage="summarize"))


@dataclass
class Planned:
    """One article's summarize calls: the messages, as sent (with cache keys), which the cache answers."""

    article: Article
    rendered: list[list[dict[str, str]]]
    calls: list[Prepared]
    cached: list[bool]
    error: str | None = None  # the article cannot be chunked (listed as failed)


def plan_calls(articles: list[Article], client: LLMClient, settings: Settings, store: Store | None,
               offload: Offload | None = None, *, lookup: bool = True) -> Iterator[Planned]:
    """Every summarize call of ``articles``, rendered as it will be sent (CPU only, nothing is
    sent), one article at a time: ``summarize_all`` sends each as it is made, so rendering the
    rest overlaps the calls in flight. ``--max-cost`` and ``--batch`` take the whole list first
    and need ``cached`` (``lookup``); a plain build leaves that to each call's own lookup (here,
    it let the GIL go in the sending thread). Rendered in one thread (the caller's): measured,
    rendering each article in the worker that sends it (32 threads sharing the GIL) made the
    1,000-article phase at concurrency 32 take 17.9 s instead of 10.9 s (bench/RESULTS.md)."""
    prompt = load_task_prompt("summarize", settings)
    budget = chunk_budget(prompt, settings)
    use_cache = store is not None and settings.cache and lookup
    # Sentence splitting is most of a cold plan's CPU: a worker process splits ahead, BATCH
    # articles a task in article order; this thread splits a task the worker has not started.
    ahead: list[Pending[dict[str, tuple[str, ...]]]] = (
        offload.submit_batch(splits_of, [((a.body,), {}) for a in articles]) if offload and offload.workers else [])
    for i, article in enumerate(articles):
        try:  # not started by the worker: split here (steal), else the worker's splits
            with given_splits(ahead[i].result() if ahead and not ahead[i].steal() else None):
                rendered = render_article(article, chunking.chunk_news(article, budget), prompt,
                                          settings.points_per_article)
        except ConfigError as exc:
            yield Planned(article, [], [], [], str(exc))
            continue
        calls = plan_article(rendered, client, prompt)
        cached = [use_cache and store is not None and store.cache_get(c.key) is not None for c in calls]
        yield Planned(article, rendered, calls, cached)


def workers_for(client: LLMClient, settings: Settings) -> int:
    """Calls in flight: the configured concurrency; the embedded model is one slot."""
    return 1 if client.backend.kind == "embedded" else settings.concurrency


def summarize_all(
    plan: Iterable[Planned], total: int, client: LLMClient, settings: Settings, progress: Progress,
    failures: list[Failure], offload: Offload | None = None,
) -> tuple[dict[str, ArticleSummary], GroundingStats, dict[str, str], dict[str, ArticleFeatures]]:
    """Ask every planned call (concurrently, for server backends) as ``plan`` yields it; reduce
    and ground each article as its replies arrive, and make its clustering features, in
    ``offload``'s worker (else in this thread).

    Each article is reduced on its own and the results are gathered in article order: the brief
    does not depend on the concurrency or on the order replies come back in. A failed article
    goes to ``failures``. ``total``: the articles ``plan`` will yield (for progress).
    """
    prompt = load_task_prompt("summarize", settings)
    offload = offload or Offload(0)

    def ask(p: Planned) -> list[Any] | str:
        if p.error is not None:
            return p.error
        try:
            return ask_notes(p.article, p.rendered, client, prompt, p.calls)
        except (BackendRefusedError, StateError):
            raise  # the next article would be refused the same way, or find the disk as full
        except LLMError as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001
            # A bug met by one article must not sink the brief of all the others; the log
            # keeps the traceback for the report.
            log.exception("internal error while summarizing %s", p.article.source)
            return f"internal error ({type(exc).__name__}: {exc}); please report it"

    progress.start("summarizing", total)
    reduced: dict[int, Pending[tuple[ArticleSummary, GroundingStats, ArticleFeatures]] | str] = {}
    planned: list[Planned] = []

    def sent(plan: Iterable[Planned]) -> Iterator[Planned]:
        for p in plan:
            planned.append(p)
            yield p

    waiting: list[tuple[int, tuple[Any, ...], dict[str, Any]]] = []  # replies not yet handed over

    def hand_over() -> None:  # one worker task of the replies waiting
        for (i, _, _), part in zip(waiting, offload.submit_batch(reduced_with_features, [c[1:] for c in waiting])):
            reduced[i] = part
        waiting.clear()

    def reduce(i: int, result: list[Any] | str) -> None:
        p = planned[i]  # grounded in a worker process (or here, between renderings) while calls are in flight
        progress.advance(p.article.title[:60])
        if isinstance(result, str):
            reduced[i] = result
            return
        waiting.append((i, (reduce_article, p.article, result, settings.points_per_article), dict(
            keep_unverified=settings.unverified == "mark", min_points=settings.max_key_points,
            adaptive=settings.adaptive_points, splits=splits_of(p.article.body) if offload.workers else None)))
        if len(waiting) >= BATCH or not offload.workers:
            hand_over()

    map_ordered(ask, sent(plan), workers_for(client, settings), on_done=reduce)
    hand_over()
    offload.help([r for _, r in sorted(reduced.items()) if not isinstance(r, str)])  # this thread's share
    stats = GroundingStats()
    summaries: dict[str, ArticleSummary] = {}
    features: dict[str, ArticleFeatures] = {}
    for i, p in enumerate(planned):  # in article order: failures and stats as at concurrency 1
        item = reduced[i]
        out: tuple[ArticleSummary, GroundingStats, ArticleFeatures] | str
        try:
            out = item if isinstance(item, str) else item.result()
        except Exception as exc:  # noqa: BLE001
            log.exception("internal error while grounding %s", p.article.source)
            out = f"internal error ({type(exc).__name__}: {exc}); please report it"
        if isinstance(out, str):
            _fail(failures, p.article, out)
        else:
            summaries[p.article.id], stats, features[p.article.id] = out[0], stats + out[1], out[2]
    return summaries, stats, {prompt.name: prompt.label}, features


def build_brief(
    sources: Sequence[str | SourceSpec],
    settings: Settings,
    *,
    stdin: IO[str] | None = None,
    progress: Progress | None = None,
    brief_date: date | None = None,
    client: LLMClient | None = None,
    since_last: bool = False,
    since: datetime | None = None,
) -> Brief:
    """Build the brief of ``sources``: the whole pipeline, one call.

    ``since_last``: stories an earlier brief published are not shown again unless they have
    new articles (then they are marked as updates); see history.py. ``since``: dated feed
    items from then on (default: the brief's day and the day before); local files always.
    """
    started = time.monotonic()
    progress = progress or _Silent()
    articles, failures = collect.load_articles(sources, settings, progress, stdin, brief_date, since)
    unique = collapse_near_duplicates(articles)
    timings: dict[str, float] = {}
    by_id = {a.id: a for a in unique}

    with contextlib.ExitStack() as stack:
        store = stack.enter_context(Store(settings.state_file()))
        run_id = store.start_run({"sources": [s if isinstance(s, str) else s.label for s in sources],
                                  "argv": redact_argv(sys.argv[1:])})
        if client is None:
            client = stack.enter_context(open_client(settings, store, progress, timings))
        # The client logs each call as it happens: a crash keeps what was already paid for.
        client.run_id = run_id
        calls_before = len(client.records)
        if client.backend.kind != "embedded" and client.gate is None:
            client.gate = Gate(settings.concurrency, settings.requests_per_minute, settings.tokens_per_minute)
        offload = stack.enter_context(Offload(workers_wanted(
            settings.cpu_workers, embedded=client.backend.kind == "embedded", articles=len(unique),
            concurrency=settings.concurrency)))
        whole = settings.max_cost is not None or settings.batch  # these need every call before the first is sent
        plan: Iterable[Planned] = plan_calls(unique, client, settings, store, offload, lookup=whole)
        left_out: set[str] = set()
        total = len(unique)
        if whole:
            planned = list(plan)
            if settings.max_cost is not None:
                client.budget, left_out = reserve_plan(planned, client.backend, settings, failures)
            plan = planned = [p for p in planned if p.article.id not in left_out]
            total = len(planned)
        if settings.batch:
            from briefgen.llm.batch import run_batch

            if client.backend.kind == "embedded":
                raise ConfigError("--batch needs OpenAI or a server with the Batch API; the embedded model has none")

            todo = [(c, p.article.id) for p in planned for c, hit in zip(p.calls, p.cached) if not hit]
            run_batch(client, store, [c for c, _ in todo], progress, articles={c.key: a for c, a in todo},
                      schema=SCHEMAS.get(load_task_prompt("summarize", settings).schema, ArticleNotes))
        try:
            summaries, grounding, prompt_versions, features = summarize_all(plan, total, client, settings, progress,
                                                                            failures, offload)
        except BackendRefusedError:
            store.finish_run(run_id, {}, "failed")
            raise
        if not summaries:
            store.finish_run(run_id, {}, "failed")
            raise LLMError(f"no article could be summarized ({len(failures)} failed): {failures[-1].reason}")

        ordered = [s for a in unique if (s := summaries.get(a.id))]
        decide = None
        if settings.cluster_judge:
            judge_prompt = load_task_prompt("judge", settings)
            decide = judge.make_judge(client, judge_prompt, summaries, by_id)
            prompt_versions[judge_prompt.name] = judge_prompt.label
        groups = cluster_articles(ordered, by_id, judge=decide, features=features)
        # Built in the worker when there is one (each story sent with its members only), taken here
        # in order to be cross-checked while the next ones are built.
        made = offload.imap(stories.build_story, ((g, {a: summaries[a] for a in g if a in summaries},
                                                   {a: by_id[a] for a in g if a in by_id}) for g in groups), BATCH)
        if crosscheck_wanted(settings, client.backend):
            # Each story of two or more outlets is cross-checked as soon as it is built: building
            # the next ones overlaps the calls in flight.
            prompt = load_task_prompt("crosscheck", settings)
            progress.start("building and cross-checking stories", len(groups))
            budget, count = client.budget, counter_for(settings, client.backend)[0]
            built, grounding.crosscheck_proposed, grounding.crosschecked = crosscheck.crosscheck_stories(
                made, by_id, client, prompt, progress.advance, workers=workers_for(client, settings),
                reserve=(lambda m, n: budget.reserve(count(m), n)) if budget is not None else None,
                pairs_per_call=crosscheck.pairs_per_call(client.backend, settings.crosscheck_pairs_per_call))
            if any(s.outlets > 1 for s in built):
                prompt_versions[prompt.name] = prompt.label
        else:
            built = list(made)
        for story in built:
            # The story's own summarized members, not a scan of every summary (5,000 articles: 25M set builds).
            texts = [by_id[r.id].title + " " + by_id[r.id].body for r in story.articles if r.id in summaries]
            flags = unsupported_facts(story.headline + " " + story.summary, texts)
            grounding.flagged += bool(flags)
            if flags:
                log.info("story %s: not in its sources: %s", story.id, ", ".join(flags))
        if since_last:
            from briefgen.publish.history import rank_since_last

            published = store.published_members(before=brief_date or date.today())
            ranked = rank_since_last(built, published, max_stories=settings.max_stories,
                                     max_key_points=settings.max_key_points)
        else:
            ranked = rank.rank_stories(built, max_stories=settings.max_stories, max_key_points=settings.max_key_points)
        ranked, sections = rank.sectioned(ranked)
        backend: Backend = client.backend
        stats = BriefStats(
            articles_in=len(articles),
            articles_unique=len(unique),
            articles_failed=len({f.source for f in failures}),
            stories=len(ranked),
            stories_shown=sum(s.shown for s in ranked),
            left_out=len(left_out),
            **call_stats(client.records[calls_before:], price_for(settings, backend)),  # type: ignore[arg-type]
            model_start_s=round(timings.get("model_start_s", 0.0), 2),
            model=backend.model,
            backend=backend.kind,
            prompt_versions=prompt_versions,
            furniture_lines_removed=sum(a.furniture_removed for a in articles),
            grounding=grounding,
            already_sent=sum(s.seen_before for s in ranked),
            updates=sum(s.update for s in ranked),
        )
        brief = Brief(
            date=brief_date or date.today(),
            title=settings.title,
            generated_at=datetime.now(timezone.utc),
            stories=ranked,
            sections=sections,
            stats=stats,
            failures=failures,
        )
        stats.wall_time_s = round(time.monotonic() - started, 2)
        store.finish_run(run_id, stats.model_dump(mode="json"), "partial" if failures else "ok")
    return brief


__all__ = ["build_brief", "open_client", "BriefgenError"]
