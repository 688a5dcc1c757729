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
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timezone
from typing import IO, Protocol

from briefgen.config import Settings, redact_argv, SourceSpec
from briefgen.dedupe import stories
from briefgen.dedupe.cluster import cluster_articles
from briefgen.dedupe.neardup import collapse_near_duplicates
from briefgen.errors import (BackendRefusedError, BriefgenError, ConfigError, InputError, LLMError, NoArticlesError,
                             StateError)
from briefgen.llm.backends import Backend, resolve_backend
from briefgen.llm.client import LLMClient
from briefgen.llm.prompts import Prompt, load_prompt
from briefgen.models import Article, ArticleSummary, Brief, BriefStats, Failure, GroundingStats
from briefgen.notes import chunk as chunking
from briefgen.dedupe.crosscheck import crosscheck_stories
from briefgen.notes.ground import ground_summary, unsupported_facts
from briefgen.notes.summarize import summarize_article
from briefgen.publish import rank
from briefgen.sources import collect
from briefgen.store import Store

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
    """A prompt as the pipeline uses it: the editor's override first, temperature overridable."""
    prompt = load_prompt(name, settings.prompts_dir)
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
    """The cross-check call: as configured, else on for a server or OpenAI and off for the
    embedded model (its 1.5B model copied one side of each pair; no fact passed: measured)."""
    return settings.crosscheck if settings.crosscheck is not None else backend.kind != "embedded"


def _fail(failures: list[Failure], article: Article, reason: str) -> None:
    failures.append(Failure(source=article.source, reason=reason, article_id=article.id, stage="summarize"))
    for copy in article.copies:
        failures.append(Failure(source=copy.source, reason=f"wire copy of {article.source}, which failed",
                                article_id=copy.id, stage="summarize"))


def summarize_all(
    articles: list[Article], client: LLMClient, settings: Settings, progress: Progress, failures: list[Failure]
) -> tuple[dict[str, ArticleSummary], GroundingStats, dict[str, str]]:
    """Summarize and ground every article; a failed article goes to ``failures``."""
    prompt = load_task_prompt("summarize", settings)
    budget = chunk_budget(prompt, settings)
    stats = GroundingStats()
    summaries: dict[str, ArticleSummary] = {}
    progress.start("summarizing", len(articles))
    for article in articles:
        try:
            chunks = chunking.chunk_news(article, budget)
            summary = summarize_article(article, chunks, client, prompt, max_points=settings.points_per_article)
            grounded, counts = ground_summary(summary, article, keep_unverified=settings.unverified == "mark",
                                              min_points=settings.max_key_points)
            summaries[article.id], stats = grounded, stats + counts
        except (BackendRefusedError, StateError):
            raise  # the next article would be refused the same way, or find the disk as full
        except (LLMError, ConfigError) as exc:
            _fail(failures, article, str(exc))
        except Exception as exc:  # noqa: BLE001
            # A bug met by one article must not sink the brief of all the others; the log
            # keeps the traceback for the report.
            log.exception("internal error while summarizing %s", article.source)
            _fail(failures, article, f"internal error ({type(exc).__name__}: {exc}); please report it")
        progress.advance(article.title[:60])
    return summaries, stats, {prompt.name: prompt.label}


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
    window = collect.day_window(brief_date or date.today(), since)
    articles, failures = collect.load_all(list(sources), settings, window=window, progress=progress,
                                          stdin=stdin if stdin is not None else sys.stdin)
    if not articles:
        if len(failures) == 1:
            raise InputError(failures[0].source, failures[0].reason)
        if failures:
            raise NoArticlesError(", ".join(f.source for f in failures[:3]), "no article could be read: " + failures[0].reason)
        raise NoArticlesError(" ".join(s if isinstance(s, str) else s.label for s in sources) or "(no sources)",
                              "no articles found" + (" in the time window" if any(
                                  not isinstance(s, str) or "://" in s for s in sources) else ""))
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
        try:
            summaries, grounding, prompt_versions = summarize_all(unique, client, settings, progress, failures)
        except BackendRefusedError:
            store.finish_run(run_id, {}, "failed")
            raise
        records = client.records[calls_before:]
        if not summaries:
            store.finish_run(run_id, {}, "failed")
            raise LLMError(f"no article could be summarized ({len(failures)} failed): {failures[-1].reason}")

        ordered = [s for a in unique if (s := summaries.get(a.id))]
        groups = cluster_articles(ordered, by_id)
        built = [stories.build_story(group, summaries, by_id) for group in groups]
        if crosscheck_wanted(settings, client.backend) and any(s.outlets > 1 for s in built):
            prompt = load_task_prompt("crosscheck", settings)
            progress.start("cross-checking", sum(s.outlets > 1 for s in built))
            built, proposed, grounding.crosschecked = crosscheck_stories(built, client, prompt, progress.advance)
            # The shared facts are points the model wrote: counted with its others, verified or dropped.
            grounding.generated += proposed
            grounding.verified += grounding.crosschecked
            grounding.dropped += proposed - grounding.crosschecked
            prompt_versions[prompt.name] = prompt.label
            records = client.records[calls_before:]
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
            llm_calls=sum(not r.cached for r in records),
            cache_hits=sum(r.cached for r in records),
            tokens_in=sum(r.prompt_tokens for r in records if not r.cached),
            tokens_out=sum(r.completion_tokens for r in records if not r.cached),
            llm_seconds=round(sum(r.latency_s for r in records if not r.cached), 2),
            model_start_s=round(timings.get("model_start_s", 0.0), 2),
            model=backend.model,
            backend=backend.kind,
            prompt_versions=prompt_versions,
            furniture_lines_removed=sum(a.furniture_removed for a in articles),
            grounding=grounding,
            already_sent=sum(s.seen_before for s in ranked),
            updates=sum(s.update for s in ranked),
        )
        if settings.cost_per_million_in is not None and settings.cost_per_million_out is not None:
            stats.cost_estimate_usd = round(
                stats.tokens_in * settings.cost_per_million_in / 1e6 + stats.tokens_out * settings.cost_per_million_out / 1e6, 6)
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
