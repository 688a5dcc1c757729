"""Fetch feeds and pages over HTTP, safely and politely (httpx with asyncio).

One ``Fetcher`` per run holds one ``httpx2.AsyncClient`` (httpx2 is the maintained httpx,
already the openai SDK's transport: one HTTP stack in the process). Its transport connects
only through the address guard (``guard.py``), so every request and every redirect hop is
checked on the address actually connected to. Redirects are followed here, not by httpx,
so each hop's scheme is checked and loops are named.

Caps: ``fetch_timeout_s`` a request (connect to last byte), a run-wide deadline, at most
``fetch_max_redirects`` hops, bodies up to ingest's ``MAX_BYTES`` *after* gzip decoding (a
small compressed bomb stops at the cap), ``fetch_per_host`` requests in flight to one host
and ``fetch_concurrency`` in all.

Conditional requests: the last good body of every URL is stored in the SQLite state with
its ETag / Last-Modified; a 304 answer returns those stored bytes, so the articles (and the
LLM cache keys) are exactly those of the earlier run. A feed item's page, once read, is
reused for ``PAGE_REUSE`` without asking again.

Every failure is a :class:`~briefgen.errors.FetchError` with a one-line reason.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpx2

from briefgen.config import Settings
from briefgen.errors import FetchError
from briefgen.sources.guard import AddressPolicy, BlockedAddress, GuardedBackend, GuardedTransport
from briefgen.sources.ingest import MAX_BYTES, decode_bytes
from briefgen.store import FetchCache

log = logging.getLogger(__name__)

SCHEMES = ("http", "https")
REDIRECTS = (301, 302, 303, 307, 308)
# An article page rarely changes after a day; re-asking every run would cost a request per item.
PAGE_REUSE = timedelta(days=7)
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
               "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
                      re.I)


def user_agent(settings: Settings) -> str:
    """The configured User-Agent, else one that names briefgen (some sites refuse a bare client)."""
    if settings.user_agent:
        return settings.user_agent
    try:
        version = importlib.metadata.version("briefgen")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    return f"Mozilla/5.0 (compatible; briefgen/{version}; daily news brief)"


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


@dataclass
class Fetched:
    """A response body and what it is; ``origin`` says whether bytes crossed the network."""

    url: str
    final_url: str
    content_type: str  # media type, lowercase, no parameters ("" when the server named none)
    charset: str | None
    body: bytes
    origin: Literal["network", "not_modified", "stored"]

    def text(self) -> str:
        """The body as text: the header's charset, else the document's own, else a careful guess."""
        declared = self.charset
        if not declared:
            m = _CHARSET.search(self.body[:4096])
            declared = (m.group(1) or m.group(2)).decode("ascii") if m else None
        if declared:
            try:
                return self.body.decode(declared)
            except (LookupError, UnicodeDecodeError):
                log.info("%s: not valid %s; guessing the encoding", self.url, declared)
        try:
            return decode_bytes(self.body, self.url)
        except ValueError as exc:
            raise FetchError(self.url, str(exc)) from None


def _media_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    parts = [p.strip() for p in header.split(";")]
    charset = next((p.split("=", 1)[1].strip(" \"'") for p in parts[1:] if p.lower().startswith("charset=")), None)
    return parts[0].lower(), charset or None


def check_url(url: str) -> str:
    """The URL if it is an absolute http(s) URL, else FetchError (file:, ftp:, javascript: never)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise FetchError(url, "not a valid URL") from None
    if parts.scheme.lower() not in SCHEMES:
        raise FetchError(url, f"only http and https URLs are fetched, not {parts.scheme or 'a relative URL'}:")
    if not parts.hostname:
        raise FetchError(url, "URL has no host")
    return url.strip()


class Fetcher:
    """The run's HTTP client (an async context manager); see the module docstring."""

    def __init__(self, settings: Settings, cache: FetchCache | None, *, backend: GuardedBackend | None = None,
                 max_bytes: int = MAX_BYTES) -> None:
        self.settings = settings
        self.cache = cache
        self.max_bytes = max_bytes
        self.backend = backend or GuardedBackend(AddressPolicy(settings.fetch_allow_private,
                                                               list(settings.fetch_allow_hosts)))
        self.deadline = time.monotonic() + settings.fetch_deadline_s
        self.requests = 0  # requests sent (each redirect hop counts)
        self.not_modified = 0
        self._all = asyncio.Semaphore(settings.fetch_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._client: httpx2.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        timeout = httpx2.Timeout(self.settings.fetch_timeout_s)
        self._client = httpx2.AsyncClient(
            transport=GuardedTransport(self.backend, max_connections=self.settings.fetch_concurrency),
            timeout=timeout, follow_redirects=False, trust_env=False,
            headers={"User-Agent": user_agent(self.settings), "Accept-Encoding": "gzip, deflate"},
        )
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def stored(self, url: str, max_age: timedelta | None = None) -> Fetched | None:
        """The stored copy of ``url`` (younger than ``max_age`` when given), without a request."""
        row = self.cache.get(url) if self.cache else None
        if row is None:
            return None
        if max_age is not None:
            fetched = datetime.fromisoformat(row["fetched"])
            if datetime.now(timezone.utc) - fetched > max_age:
                return None
        media, charset = _media_type(row["content_type"])
        return Fetched(url, row["final_url"], media, charset, bytes(row["body"]), "stored")

    async def get(self, url: str, *, accept: str = PAGE_ACCEPT, reuse: timedelta | None = None) -> Fetched:
        """GET ``url`` conditionally; ``reuse``: a stored copy this young is returned unasked."""
        url = check_url(url)
        if reuse is not None and (copy := self.stored(url, reuse)) is not None:
            log.debug("%s: stored copy reused", url)
            return copy
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(url, f"not fetched: the run's fetch deadline ({self.settings.fetch_deadline_s:g} s) passed")
        limit = min(self.settings.fetch_timeout_s, remaining)
        host = (urlsplit(url).hostname or "").lower()
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self.settings.fetch_per_host))
        try:
            async with per_host, self._all:
                async with asyncio.timeout(limit):
                    return await self._get(url, accept)
        except TimeoutError:
            what = "the run's fetch deadline" if limit < self.settings.fetch_timeout_s else "the time limit"
            raise FetchError(url, f"timed out after {limit:.1f} s ({what})") from None

    async def _get(self, url: str, accept: str) -> Fetched:
        assert self._client is not None, "use the Fetcher as an async context manager"
        stored = self.cache.get(url) if self.cache else None
        headers = {"Accept": accept}
        if stored and stored["etag"]:
            headers["If-None-Match"] = stored["etag"]
        if stored and stored["last_modified"]:
            headers["If-Modified-Since"] = stored["last_modified"]
        current, seen = url, [url]
        for _hop in range(self.settings.fetch_max_redirects + 1):
            try:
                self.requests += 1
                request = self._client.build_request("GET", current, headers=headers)
                response = await self._client.send(request, stream=True)
            except BlockedAddress as exc:
                raise FetchError(url, str(exc) + (f" (redirected from {url})" if current != url else "")) from None
            except httpx2.TimeoutException as exc:
                raise FetchError(url, f"timed out ({type(exc).__name__})") from None
            except httpx2.HTTPError as exc:
                raise FetchError(url, f"cannot fetch: {exc or type(exc).__name__}") from None
            try:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    target = urljoin(current, response.headers["location"])
                    try:
                        check_url(target)
                    except FetchError as exc:
                        raise FetchError(url, f"redirect to {target} refused: {exc.reason}") from None
                    if target in seen:
                        raise FetchError(url, f"redirect loop ({' -> '.join(seen[-3:] + [target])})")
                    seen.append(target)
                    # Validators belong to the URL asked for, not to where it points today.
                    headers = {"Accept": accept}
                    current = target
                    continue
                if response.status_code == 304 and stored is not None:
                    self.not_modified += 1
                    media, charset = _media_type(stored["content_type"])
                    return Fetched(url, stored["final_url"], media, charset, bytes(stored["body"]), "not_modified")
                if response.status_code >= 400 or response.status_code != 200:
                    phrase = response.reason_phrase or ""
                    raise FetchError(url, f"HTTP {response.status_code} {phrase}".strip())
                body = await self._read(url, response)
            finally:
                await response.aclose()
            content_type = response.headers.get("content-type")
            if self.cache is not None:
                self.cache.put(url, final_url=current, etag=response.headers.get("etag"),
                               last_modified=response.headers.get("last-modified"), content_type=content_type, body=body)
            media, charset = _media_type(content_type)
            return Fetched(url, current, media, charset, body, "network")
        raise FetchError(url, f"more than {self.settings.fetch_max_redirects} redirects")

    async def _read(self, url: str, response: httpx2.Response) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(url, f"body is {_mb(int(declared))}, over the {_mb(self.max_bytes)} limit")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(url, f"body is over the {_mb(self.max_bytes)} limit")
                chunks.append(chunk)
        except httpx2.DecodingError:
            raise FetchError(url, "cannot decode the compressed body") from None
        except httpx2.TimeoutException:
            raise FetchError(url, "timed out while reading the body") from None
        except httpx2.HTTPError as exc:
            raise FetchError(url, f"cannot read the body: {exc or type(exc).__name__}") from None
        return b"".join(chunks)


__all__ = ["FEED_ACCEPT", "PAGE_ACCEPT", "PAGE_REUSE", "Fetched", "Fetcher", "check_url", "user_agent"]
