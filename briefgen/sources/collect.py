"""Collect a run's articles from every source: local files, feeds and web pages, concurrently.

    load_all(sources, settings, window=...) -> (articles, failures)

Local paths go through ``ingest``; URLs are fetched at once on one asyncio loop (one
``Fetcher``: per-host limits, a run deadline, the address guard). A feed's items are
filtered by the time window (dated items only: an undated item or a local file is always
read), the source's include/exclude keywords and ``max_items``; the same story linked from
two feeds (one canonical URL, or one GUID) becomes one item with both outlets. Items that
carry only a snippet get their page fetched and extracted (trafilatura, then the line
classifier); when that fails the snippet is kept, and the brief says "from the feed summary".

A source that fails is one ``Failure`` (stage "fetch") naming it and the reason; the others
go on. Progress on stderr reads "4/5 sources, 9 items, 1 failed".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import IO, Any, Protocol, TypeVar
from urllib.parse import urlsplit

from briefgen.config import Settings, SourceSpec
from briefgen.errors import FetchError, InputError, NoArticlesError
from briefgen.models import Article, ContentKind, Failure, SourceRef, sha256_hex
from briefgen.sources import ingest
from briefgen.sources.catalog import Source, matches_filters, split_sources
from briefgen.sources.clean import clean_html, clean_text
from briefgen.sources.feeds import Feed, FeedError, FeedItem, canonical_url, fragment_text, looks_like_feed, parse_feed
from briefgen.sources.fetch import FEED_ACCEPT, PAGE_ACCEPT, PAGE_REUSE, Fetched, Fetcher
from briefgen.store import FetchCache, Store

log = logging.getLogger(__name__)
T = TypeVar("T")
HTML_TYPES = ("text/html", "application/xhtml+xml")


class Progress(Protocol):
    def note(self, message: str) -> None: ...
    def start(self, stage: str, total: int) -> None: ...
    def advance(self, detail: str = "") -> None: ...


# ---- the time window -------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """Dated feed items published in [start, end) are read; undated ones always."""

    start: datetime | None = None
    end: datetime | None = None

    def admits(self, published: datetime | None) -> bool:
        if published is None:
            return True
        when = published if published.tzinfo else published.replace(tzinfo=timezone.utc)
        return (self.start is None or when >= self.start) and (self.end is None or when < self.end)


_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.I)


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """``24h``, ``90m``, ``2d``, ``1w``, or a date/time (``2026-12-01``, ``2026-12-01T06:00``; local time)."""
    now = now or datetime.now().astimezone()
    m = _SPAN.match(text)
    if m:
        unit = m.group(2).lower()[0]
        minutes = float(m.group(1)) * {"m": 1, "h": 60, "d": 1440, "w": 10080}[unit]
        return now - timedelta(minutes=minutes)
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: expected a span (24h, 90m, 2d, 1w) or a date (2026-12-01)") from None
    return when if when.tzinfo else when.astimezone()  # a naive time is local time


def day_window(brief_date: date, since: datetime | None = None) -> Window:
    """The brief's day and the day before (local time), or from ``since``; up to the day's end."""
    zone = datetime.now().astimezone().tzinfo
    end = datetime.combine(brief_date + timedelta(days=1), time(), zone)
    start = since or datetime.combine(brief_date - timedelta(days=1), time(), zone)
    return Window(start, end if since is None or since < end else None)


# ---- one run's fetching ----------------------------------------------------------------
@dataclass
class Candidate:
    """A feed item (or a page) on its way to becoming an Article; ``others``: the same story elsewhere."""

    key: str
    source: Source
    outlet: str | None
    item: FeedItem | None = None
    page: Fetched | None = None
    others: list[tuple[Source, str | None, FeedItem]] = field(default_factory=list)


@dataclass
class SourceResult:
    source: Source
    kind: str = ""  # feed | page
    items: int = 0  # taken this run
    offered: int = 0  # in the feed
    error: str | None = None
    origin: str = ""  # network | not_modified


@dataclass
class Collected:
    articles: list[Article]
    failures: list[Failure]
    results: list[SourceResult]
    pages_fetched: int = 0
    pages_failed: int = 0
    requests: int = 0
    not_modified: int = 0


class _Tally:
    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total, self.done, self.items, self.failed = progress, total, 0, 0, 0

    def line(self) -> str:
        return f"{self.done}/{self.total} sources, {self.items} items, {self.failed} failed"

    def finish(self, result: SourceResult) -> None:
        self.done += 1
        self.items += result.items
        self.failed += result.error is not None
        self.progress.advance(self.line())


def _outlet(feed: Feed, url: str, spec: SourceSpec) -> str:
    site = urlsplit(feed.site or url).hostname or url
    return spec.name or feed.title or site.removeprefix("www.")


async def _read_source(fetcher: Fetcher, source: Source, window: Window, tally: _Tally) -> tuple[SourceResult, list[Candidate]]:
    spec, url = source.spec, source.spec.url or ""
    result, found = SourceResult(source), []
    try:
        fetched = await fetcher.get(url, accept=PAGE_ACCEPT if spec.kind == "page" else FEED_ACCEPT)
        result.origin = fetched.origin
        is_feed = spec.kind == "feed" or (spec.kind == "auto" and looks_like_feed(fetched.body, fetched.content_type))
        if is_feed:
            result.kind = "feed"
            feed = parse_feed(fetched.body, fetched.final_url, fetched.content_type)
            outlet = _outlet(feed, url, spec)
            result.offered = len(feed.items)
            items = [i for i in feed.items if window.admits(i.published)
                     and matches_filters(spec, f"{i.title or ''} {fragment_text(i.content)}")]
            # Newest first (feeds mostly are; undated items keep their place after the dated).
            items.sort(key=lambda i: -i.published.timestamp() if i.published else float("inf"))
            for item in items[: spec.max_items or fetcher.settings.feed_max_items]:
                key = canonical_url(item.link) if item.link else f"guid:{item.guid or item.title}"
                found.append(Candidate(key, source, outlet, item=item))
        else:
            result.kind = "page"
            _page_type(fetched)
            found.append(Candidate(canonical_url(fetched.final_url), source, spec.name, page=fetched))
        result.items = len(found)
    except (FetchError, FeedError) as exc:
        result.error = exc.reason if isinstance(exc, FetchError) else str(exc)
        log.info("%s: %s", source.label, result.error)
    tally.finish(result)
    return result, found


def _page_type(fetched: Fetched) -> None:
    head = fetched.body[:1024].lstrip().lower()
    if fetched.content_type in HTML_TYPES or fetched.content_type == "text/plain":
        return
    if not fetched.content_type and (head.startswith((b"<!doctype html", b"<html")) or b"<body" in head):
        return
    raise FetchError(fetched.url, f"not a web page or a feed (content type {fetched.content_type or 'unknown'})")


def _merge(found: list[Candidate]) -> list[Candidate]:
    """One candidate per story: the same canonical link or GUID in two feeds keeps both outlets."""
    by_key: dict[str, Candidate] = {}
    by_guid: dict[str, Candidate] = {}
    out: list[Candidate] = []
    for cand in found:
        guid = cand.item.guid if cand.item and cand.item.guid else None
        first = by_key.get(cand.key) or (by_guid.get(guid) if guid else None)
        if first is None:
            by_key[cand.key] = cand
            if guid:
                by_guid[guid] = cand
            out.append(cand)
        elif cand.item is not None and cand.source is not first.source:
            first.others.append((cand.source, cand.outlet, cand.item))
    return out


def _meta(cand: Candidate) -> dict[str, Any]:
    item = cand.item
    meta: dict[str, Any] = {"outlet": cand.outlet, "language": cand.source.spec.language}
    if item is not None:
        meta.update(title=item.title, url=cand.key if not cand.key.startswith("guid:") else None,
                    published=item.published, author=item.author)
    return {k: v for k, v in meta.items() if v}


def _page_article(cand: Candidate, page: Fetched, meta: dict[str, Any]) -> Article:
    text = page.text()
    cleaned = clean_text(text) if page.content_type == "text/plain" else clean_html(text, url=page.final_url)
    meta = dict(meta)
    if not meta.get("outlet"):
        meta["outlet"] = cleaned.outlet or (urlsplit(page.final_url).hostname or "").removeprefix("www.") or None
    meta.setdefault("url", cand.key)
    return ingest.article_from(cleaned, meta, cand.key)


def _snippet_article(cand: Candidate) -> Article | None:
    assert cand.item is not None
    text = fragment_text(cand.item.content)
    try:
        art = ingest.article_from(clean_text(text, title=cand.item.title), _meta(cand), cand.key)
    except ValueError:
        return None
    if not cand.item.full and art.content_kind == ContentKind.FULL:
        # A feed's description is its summary of the article, however long.
        art = art.model_copy(update={"content_kind": ContentKind.SNIPPET})
    return art


async def _to_article(fetcher: Fetcher, cand: Candidate, fetch_pages: bool, counts: dict[str, int]) -> Article | None:
    if cand.page is not None:
        return _page_article(cand, cand.page, _meta(cand))
    art = _snippet_article(cand)
    link = cand.key if not cand.key.startswith("guid:") else None
    if (art is None or art.content_kind != ContentKind.FULL) and link and fetch_pages:
        try:
            page = await fetcher.get(link, reuse=PAGE_REUSE)
            if page.origin == "network":
                counts["fetched"] += 1
            _page_type(page)
            full = _page_article(cand, page, _meta(cand))
            if art is None or len(full.body) > len(art.body):
                return full
        except (FetchError, ValueError) as exc:
            counts["failed"] += 1
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            log.info("%s: page not read, the feed's %s is used: %s", link,
                     "snippet" if art is not None else "title", reason)
    return art


def _copies(rep: Article, cand: Candidate) -> list[SourceRef]:
    refs = []
    for source, outlet, item in cand.others:
        refs.append(SourceRef(
            id=sha256_hex(source.key + "\0" + cand.key)[:12], outlet=outlet, title=item.title or rep.title,
            url=rep.url, published=item.published, source=cand.key, wire_copy_of=rep.id,
            content_hash=rep.content_hash, content_kind=rep.content_kind))
    return refs


async def collect_remote(sources: Sequence[Source], settings: Settings, window: Window, progress: Progress, *,
                         fetcher: Fetcher | None = None, fetch_pages: bool | None = None) -> Collected:
    """Fetch every remote source at once; build their articles; record each source's state."""
    fetch_pages = settings.fetch_pages if fetch_pages is None else fetch_pages
    with Store(settings.state_file()) as store:
        cache = FetchCache(store)
        async with (fetcher or Fetcher(settings, cache)) as client:
            tally = _Tally(progress, len(sources))
            progress.start("fetching", len(sources))
            read = await asyncio.gather(*(_read_source(client, s, window, tally) for s in sources))
            candidates = _merge([c for _, found in read for c in found])
            counts = {"fetched": 0, "failed": 0}
            built = await asyncio.gather(*(_to_article(client, c, fetch_pages, counts) for c in candidates),
                                         return_exceptions=True)
        results = [r for r, _ in read]
        failures = [Failure(source=r.source.label, reason=r.error, stage="fetch") for r in results if r.error]
        articles: list[Article] = []
        for cand, art in zip(candidates, built):
            if isinstance(art, BaseException):
                if not isinstance(art, (FetchError, ValueError)):
                    raise art
                reason = art.reason if isinstance(art, FetchError) else str(art)
                failures.append(Failure(source=cand.source.label if cand.page else cand.key, reason=reason,
                                        stage="fetch"))
            elif art is not None:
                articles.append(art.model_copy(update={"copies": _copies(art, cand)}) if cand.others else art)
        for r in results:
            cache.record(r.source.key, items=r.items, error=r.error, not_modified=r.origin == "not_modified")
    line = tally.line() + (f"; {counts['fetched']} pages fetched" if counts["fetched"] else "")
    line += f", {counts['failed']} kept as feed snippets" if counts["failed"] else ""
    if client.not_modified:
        line += f"; {client.not_modified} not modified (304)"
    progress.note(line)
    return Collected(articles, failures, results, counts["fetched"], counts["failed"], client.requests,
                     client.not_modified)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from sync code, also when the caller already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # e.g. inside a notebook's loop
        return pool.submit(asyncio.run, coro).result()


class _Quiet:
    def note(self, message: str) -> None:
        log.info(message)

    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, detail: str = "") -> None:
        pass


def load_all(sources: Sequence[str | SourceSpec], settings: Settings, *, window: Window | None = None,
             stdin: IO[str] | None = None, progress: Progress | None = None) -> tuple[list[Article], list[Failure]]:
    """Every source's articles (local files, feeds, pages) and the failures, one per broken source."""
    local, remote = split_sources(sources)
    articles: list[Article] = []
    failures: list[Failure] = []
    if local:
        # One call for all plain paths keeps ingest's rule that a file named twice loads once.
        arts, fails = ingest.load_sources([s.key for s in local], stdin=stdin)
        named = {s.key: s.spec for s in local if s.spec.name}
        for art in arts:
            spec = next((sp for key, sp in named.items() if art.raw_path and _under(art.raw_path, key)), None)
            if spec is not None and not art.outlet:
                art = art.model_copy(update={"outlet": spec.name})
            articles.append(art)
        failures.extend(fails)
    if remote:
        got = run_async(collect_remote(remote, settings, window or Window(), progress or _Quiet()))
        articles.extend(got.articles)
        failures.extend(got.failures)
    return articles, failures


def _under(path: str, key: str) -> bool:
    from fnmatch import fnmatch
    from pathlib import Path

    base = Path(key).expanduser()
    target = Path(path)
    return target == base.resolve() or base.resolve() in target.parents or fnmatch(str(target), str(base.resolve()))


__all__ = ["Collected", "SourceResult", "Window", "collect_remote", "day_window", "load_all", "parse_since", "run_async"]


def load_articles(sources: Sequence[str | SourceSpec], settings: Settings, progress: Progress | None,
                  stdin: IO[str] | None, brief_date: date | None, since: datetime | None) -> tuple[list[Article], list[Failure]]:
    """The articles of ``sources`` (and what could not be read); an error when there are none."""
    window = day_window(brief_date or date.today(), since)
    articles, failures = load_all(list(sources), settings, window=window, progress=progress,
                                          stdin=stdin if stdin is not None else sys.stdin)
    if articles:
        return articles, failures
    if len(failures) == 1:
        raise InputError(failures[0].source, failures[0].reason)
    if failures:
        raise NoArticlesError(", ".join(f.source for f in failures[:3]), "no article could be read: " + failures[0].reason)
    raise NoArticlesError(" ".join(s if isinstance(s, str) else s.label for s in sources) or "(no sources)",
                          "no articles found" + (" in the time window" if any(
                              not isinstance(s, str) or "://" in s for s in sources) else ""))
