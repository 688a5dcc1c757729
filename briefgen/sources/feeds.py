"""Feeds into items: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed by hand.

feedparser is given bytes only, never a URL or a path (it would fetch or open them itself,
past the address guard), plus the response's Content-Type so it honours the charset.
An item is *full* when the feed carries the article itself (RSS ``content:encoded``, Atom
``content``, JSON Feed ``content_html``/``content_text``) and a snippet otherwise
(``description``/``summary``): the caller then fetches the linked page.

A feed that does not parse (broken XML with no item left, HTML where a feed was expected,
JSON that is not a JSON Feed) raises :class:`FeedError` with a one-line reason. A feed with
a recoverable glitch (an unescaped ``&``) keeps its items: feedparser's loose parser reads
what a reader would.
"""

from __future__ import annotations

import calendar
import html as htmllib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from briefgen.text.figures import parse_date

log = logging.getLogger(__name__)

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json",
              "application/xml", "text/xml", "application/json", "application/x-rss+xml")
# Query parameters that only track who clicked where: two links that differ in them are one page.
TRACKING = re.compile(r"^(utm_[a-z_]*|fbclid|gclid|gclsrc|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl|"
                      r"ref_src|ref_url|cmpid|ncid|ocid|spm|__twitter_impression|s_cid|wt\.mc_id|at_medium|at_campaign)$",
                      re.I)
_BLOCK = re.compile(r"(?i)</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|section|article|figure|figcaption|tr|table)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_DROP = re.compile(r"(?is)<(script|style|noscript|iframe|object)\b.*?</\1\s*>")


class FeedError(ValueError):
    """The bytes are not a usable feed; the message is the one-line reason."""


@dataclass
class FeedItem:
    """One entry of a feed, as the feed states it."""

    title: str | None
    link: str | None
    guid: str | None
    published: datetime | None
    author: str | None
    content: str = ""  # HTML or text of the article (full) or of its summary (snippet)
    full: bool = False


@dataclass
class Feed:
    title: str | None
    site: str | None  # the site's home page, when the feed names it
    items: list[FeedItem] = field(default_factory=list)
    format: str = ""  # rss20, rss10, atom10, json1 ... (feedparser's names)


def canonical_url(url: str) -> str:
    """The URL without tracking parameters, fragment or default port; scheme and host lowercased."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    if "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[0] + "@" + host
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)])
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def fragment_text(markup: str) -> str:
    """Text of an HTML fragment (a feed's content or summary), paragraphs kept apart."""
    if "<" not in markup and "&" not in markup:
        return markup.strip()
    text = _DROP.sub(" ", markup)
    text = _BLOCK.sub("\n\n", text)
    text = htmllib.unescape(_TAG.sub("", text))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def looks_like_feed(data: bytes, content_type: str) -> bool:
    """Whether a response is a feed rather than a page, by its type and its first bytes."""
    if content_type in FEED_TYPES and content_type not in ("application/json",):
        return True
    head = data[:2048].lstrip().lower()
    if head.startswith(b"{"):
        return b"jsonfeed.org" in data[:4096].lower()
    return bool(re.search(rb"<(rss|feed|rdf:rdf)\b", head))


def parse_feed(data: bytes, url: str, content_type: str = "") -> Feed:
    """Parse a feed's bytes; FeedError when they hold no feed."""
    if not data.strip():
        raise FeedError("empty response")
    if data.lstrip()[:1] == b"{" or "json" in content_type:
        return _json_feed(data, url)
    import feedparser  # imported on first use: a run over local files never needs it

    parsed = feedparser.parse(data, response_headers={"content-type": content_type or "application/xml",
                                                      "content-location": url})
    # A truncated document leaves half an entry (no title, no link): that is no item.
    items = [i for i in (_xml_item(e, url) for e in parsed.entries) if i.title or i.link]
    if not items:
        if parsed.get("bozo"):
            raise FeedError(f"not a valid feed (XML error: {_reason(parsed.get('bozo_exception'))})")
        if not parsed.get("version"):
            raise FeedError("no RSS, Atom or JSON Feed found (is it a web page?)")
    elif parsed.get("bozo"):
        log.info("%s: feed has errors but was read (%s)", url, _reason(parsed.get("bozo_exception")))
    meta = parsed.feed
    return Feed(title=_clean(meta.get("title")), site=meta.get("link") or None, items=items,
                format=str(parsed.get("version") or ""))


def _reason(exc: Any) -> str:
    if hasattr(exc, "getMessage") and hasattr(exc, "getLineNumber"):  # expat's SAXParseException
        return f"{exc.getMessage()} at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
    text = str(exc or "unknown error").splitlines()[0]
    return text[:160]


def _clean(value: Any) -> str | None:
    if not value:
        return None
    text = " ".join(htmllib.unescape(_TAG.sub("", str(value))).split())
    return text or None


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            # feedparser normalises to UTC struct_time
            return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    return None


def _xml_item(entry: Any, feed_url: str) -> FeedItem:
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value", "").strip()]
    summary = entry.get("summary", "") or ""
    full = bool(contents)
    body = max(contents, key=len) if contents else summary
    link = entry.get("link") or None
    author = entry.get("author") or (entry.get("authors") or [{}])[0].get("name") or entry.get("dc_creator")
    return FeedItem(
        title=_clean(entry.get("title")),
        link=urljoin(feed_url, link) if link else None,
        guid=entry.get("id") or None,
        published=_when(entry),
        author=_clean(author),
        content=body,
        full=full,
    )


def _json_feed(data: bytes, url: str) -> Feed:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"invalid JSON: {exc}") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise FeedError("JSON but not a JSON Feed (no jsonfeed.org version)")
    entries = doc.get("items")
    if not isinstance(entries, list):
        raise FeedError("JSON Feed without an items list")
    items: list[FeedItem] = []
    feed_author = _json_author(doc)
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        content = entry.get("content_html") or entry.get("content_text") or ""
        summary = entry.get("summary") or ""
        link = entry.get("url") or entry.get("external_url")
        items.append(FeedItem(
            title=_clean(entry.get("title")),
            link=urljoin(url, str(link)) if link else None,
            guid=str(entry["id"]) if entry.get("id") is not None else None,
            published=_aware(parse_date(str(entry.get("date_published") or entry.get("date_modified") or ""))),
            author=_json_author(entry) or feed_author,
            content=str(content or summary),
            full=bool(str(content).strip()),
        ))
    return Feed(title=_clean(doc.get("title")), site=doc.get("home_page_url") or None, items=items,
                format="json" + str(doc.get("version", "")).rsplit("/", 1)[-1])


def _json_author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors") or ([obj["author"]] if isinstance(obj.get("author"), dict) else [])
    names = [str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
    return ", ".join(names) or None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


__all__ = ["Feed", "FeedError", "FeedItem", "canonical_url", "fragment_text", "looks_like_feed", "parse_feed"]
