"""Feeds into items: every format, broken ones, canonical URLs and fragment text."""

from __future__ import annotations

from datetime import datetime, timezone

import newsfeeds as nf
import pytest

from briefgen.sources.feeds import FeedError, canonical_url, fragment_text, looks_like_feed, parse_feed

SITE = "http://news.example/"
ITEMS = [(nf.FERRY, "http://news.example/ferry"), (nf.LIBRARY, "http://news.example/library")]


@pytest.mark.parametrize("kind", ["rss20", "rss10", "atom", "json"])
def test_every_format_gives_title_link_date_author_and_full_text(kind: str) -> None:
    text = {"rss20": lambda: nf.rss20("Harbour Gazette", SITE, ITEMS, full=True),
            "rss10": lambda: nf.rss10("Harbour Gazette", SITE, ITEMS),
            "atom": lambda: nf.atom("Harbour Gazette", SITE, ITEMS, full=True),
            "json": lambda: nf.json_feed("Harbour Gazette", SITE, ITEMS)}[kind]()
    feed = parse_feed(text.encode(), SITE + "feed", "application/feed+json" if kind == "json" else "application/xml")
    assert feed.title == "Harbour Gazette" and feed.site == SITE
    assert feed.format.startswith({"rss20": "rss20", "rss10": "rss10", "atom": "atom", "json": "json"}[kind])
    first = feed.items[0]
    assert first.title == nf.FERRY.title and first.link == "http://news.example/ferry"
    assert first.published == datetime(2026, 12, 1, 7, 30, tzinfo=timezone.utc)
    assert first.author == "Tomas Lindqvist" and first.full
    assert "2.3 million crowns" in fragment_text(first.content)


@pytest.mark.parametrize("kind", ["rss20", "atom", "json"])
def test_a_summary_only_feed_gives_snippets(kind: str) -> None:
    text = {"rss20": lambda: nf.rss20("V", SITE, ITEMS, full=False),
            "atom": lambda: nf.atom("V", SITE, ITEMS, full=False),
            "json": lambda: nf.json_feed("V", SITE, ITEMS, full=False)}[kind]()
    item = parse_feed(text.encode(), SITE + "feed").items[0]
    assert not item.full and fragment_text(item.content) == nf.FERRY.snippet


def test_relative_links_resolve_against_the_feed_url() -> None:
    text = nf.rss20("V", SITE, [(nf.FERRY, "/2026/ferry")], full=False)
    assert parse_feed(text.encode(), "http://news.example/feeds/all.xml").items[0].link == "http://news.example/2026/ferry"


@pytest.mark.parametrize("data, why", [
    (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Oops</title><item><title>Half an it', "not a valid feed"),
    (b"this is <not> xml at all <<<>>> &&&", "not a valid feed"),
    (b"<!DOCTYPE html><html><body><p>A web page</p></body></html>", "no RSS, Atom or JSON Feed"),
    (b'{"articles": []}', "not a JSON Feed"),
    (b'{"version": "https://jsonfeed.org/version/1", "items": ', "invalid JSON"),
    (b"   ", "empty"),
])
def test_a_broken_feed_is_one_line_reason(data: bytes, why: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(data, SITE + "feed")
    assert why in str(info.value) and "\n" not in str(info.value)


def test_a_feed_with_a_small_glitch_keeps_its_items() -> None:
    text = nf.rss20("Tom & Jerry News", SITE, ITEMS, full=True).replace("&amp;", "&")
    feed = parse_feed(text.encode(), SITE + "feed")
    assert len(feed.items) == 2


def test_canonical_urls_drop_tracking_fragments_and_default_ports() -> None:
    a = canonical_url("HTTPS://News.Example:443/story?id=7&utm_source=rss&utm_medium=feed&fbclid=abc#top")
    b = canonical_url("https://news.example/story?id=7&gclid=x")
    assert a == b == "https://news.example/story?id=7"
    assert canonical_url("http://news.example:8080") == "http://news.example:8080/"


def test_fragment_text_keeps_paragraphs_and_drops_scripts() -> None:
    html = "<p>One &amp; two.</p><script>alert(1)</script><div>Three<br>four</div>"
    assert fragment_text(html) == "One & two.\n\nThree\n\nfour"


def test_feed_or_page_is_told_by_type_and_first_bytes() -> None:
    assert looks_like_feed(b"<rss version='2.0'>", "text/xml")
    assert looks_like_feed(b"<?xml version='1.0'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>", "")
    assert looks_like_feed(b'{"version": "https://jsonfeed.org/version/1.1"}', "application/json")
    assert not looks_like_feed(b"<!doctype html><html>", "text/html")
    assert not looks_like_feed(b'{"a": 1}', "application/json")
