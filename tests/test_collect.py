"""Collecting a run's articles from feeds and pages served by a real loopback server."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import newsfeeds as nf
import pytest
from feedserver import FeedServer, feed_server  # noqa: F401

from briefgen.config import Settings, SourceSpec
from briefgen.models import ContentKind
from briefgen.sources.catalog import Source
from briefgen.sources.collect import Collected, Window, collect_remote, day_window, parse_since, run_async


class Notes:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.details: list[str] = []

    def note(self, message: str) -> None:
        self.lines.append(message)

    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, detail: str = "") -> None:
        self.details.append(detail)


def settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(home=tmp_path / "home", fetch_allow_hosts=["127.0.0.1"], **kw)


def collect(s: Settings, *specs: SourceSpec, window: Window | None = None, notes: Notes | None = None) -> Collected:
    return run_async(collect_remote([Source(sp) for sp in specs], s, window or Window(), notes or Notes()))


def serve_valley(server: FeedServer) -> str:
    """An Atom feed of snippets whose pages the same server serves."""
    for story in (nf.BRIDGE, nf.HARVEST):
        server.route(f"/valley/{story.slug}.html", nf.page(story, "Valley Courier"))
    return server.route("/valley/atom.xml", nf.atom("Valley Courier", server.url("/valley/"), [
        (nf.BRIDGE, server.url("/valley/bridge.html")), (nf.HARVEST, server.url("/valley/harvest.html"))], full=False),
        content_type="application/atom+xml")


def test_a_full_text_feed_needs_no_page_fetch(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.route("/h/rss.xml", nf.rss20("Harbour Gazette", feed_server.url("/h/"), [
        (nf.FERRY, feed_server.url("/h/ferry")), (nf.LIBRARY, feed_server.url("/h/library"))], full=True),
        content_type="application/rss+xml")
    got = collect(settings(tmp_path), SourceSpec(url=url))
    assert [a.title for a in got.articles] == [nf.LIBRARY.title, nf.FERRY.title]  # newest first
    ferry = got.articles[1]
    assert ferry.outlet == "Harbour Gazette" and ferry.url == feed_server.url("/h/ferry")
    assert ferry.byline == "Tomas Lindqvist" and ferry.published == datetime(2026, 12, 1, 7, 30, tzinfo=timezone.utc)
    assert ferry.content_kind == ContentKind.FULL and "2.3 million crowns" in ferry.body
    assert len(feed_server.requests) == 1


def test_snippet_items_get_their_pages_fetched_and_extracted(feed_server: FeedServer, tmp_path: Path) -> None:
    got = collect(settings(tmp_path), SourceSpec(url=serve_valley(feed_server)))
    bridge = next(a for a in got.articles if a.title == nf.BRIDGE.title)
    assert bridge.content_kind == ContentKind.FULL and bridge.outlet == "Valley Courier"
    assert "Trains will cross at 30 km/h" in bridge.body and "1911" in bridge.body
    for furniture in ("Share this article", "newsletter", "All rights reserved", "Cookie settings", "Sport"):
        assert furniture not in bridge.body
    assert got.pages_fetched == 2


def test_no_fetch_keeps_the_snippet_marked(feed_server: FeedServer, tmp_path: Path) -> None:
    got = collect(settings(tmp_path, fetch_pages=False), SourceSpec(url=serve_valley(feed_server)))
    assert {a.content_kind for a in got.articles} == {ContentKind.SNIPPET}
    assert len(feed_server.requests) == 1


def test_a_page_that_fails_leaves_the_snippet(feed_server: FeedServer, tmp_path: Path) -> None:
    url = serve_valley(feed_server)
    del feed_server.routes["/valley/harvest.html"]  # 404 now
    feed_server.route("/valley/bridge.html", b"%PDF-1.7 binary", content_type="application/pdf")
    got = collect(settings(tmp_path), SourceSpec(url=url))
    assert {a.content_kind for a in got.articles} == {ContentKind.SNIPPET}
    assert not got.failures and got.pages_failed == 2


def test_the_same_story_in_two_feeds_is_one_article_with_both_outlets(feed_server: FeedServer, tmp_path: Path) -> None:
    valley = serve_valley(feed_server)
    tracked = feed_server.url("/valley/bridge.html") + "?utm_source=harbour&utm_medium=rss"
    harbour = feed_server.route("/h/rss.xml", nf.rss20("Harbour Gazette", feed_server.url("/h/"), [
        (nf.BRIDGE, tracked), (nf.FERRY, feed_server.url("/h/ferry"))], full=False), content_type="application/rss+xml")
    feed_server.route("/h/ferry", nf.page(nf.FERRY, "Harbour Gazette"))
    got = collect(settings(tmp_path), SourceSpec(url=valley), SourceSpec(url=harbour))
    bridges = [a for a in got.articles if a.title == nf.BRIDGE.title]
    assert len(bridges) == 1 and bridges[0].outlet == "Valley Courier"
    assert [(c.outlet, c.url, c.wire_copy_of) for c in bridges[0].copies] == [
        ("Harbour Gazette", feed_server.url("/valley/bridge.html"), bridges[0].id)]
    assert len(feed_server.hits("/valley/bridge.html")) == 1


def test_window_filters_and_caps_apply_to_dated_items(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.route("/h/rss.xml", nf.rss20("H", feed_server.url("/h/"), [
        (s, feed_server.url(f"/h/{s.slug}")) for s in (nf.FERRY, nf.LIBRARY, nf.HARVEST, nf.WIND)], full=True))
    s = settings(tmp_path)
    dec1 = Window(datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2026, 12, 2, tzinfo=timezone.utc))
    assert nf.HARVEST.title not in {a.title for a in collect(s, SourceSpec(url=url), window=dec1).articles}
    only = collect(s, SourceSpec(url=url, include=["library", "ferry"], exclude=["Sunday"]))
    assert [a.title for a in only.articles] == [nf.FERRY.title]  # the library story says "Sundays"
    assert len(collect(s, SourceSpec(url=url, max_items=2)).articles) == 2


def test_a_page_url_is_read_as_an_article(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.route("/school.html", nf.page(nf.SCHOOL, "Hillcrest News"))
    art = collect(settings(tmp_path), SourceSpec(url=url)).articles[0]
    assert (art.title, art.outlet, art.byline, art.url) == (nf.SCHOOL.title, "Hillcrest News", "Ana Ruiz", url)
    assert art.published == datetime(2026, 12, 1, 5, 50, tzinfo=timezone.utc) and art.content_kind == ContentKind.FULL


def test_failures_are_one_line_per_source_and_the_rest_goes_on(feed_server: FeedServer, tmp_path: Path) -> None:
    good = feed_server.route("/ok.json", nf.json_feed("Northern Wire", "http://n/", [(nf.WIND, "http://n/wind")]),
                             content_type="application/feed+json")
    broken = feed_server.route("/broken.xml", b"<rss><channel><title>B</title><item><title>Cut o",
                               content_type="application/rss+xml")
    image = feed_server.route("/logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    slow = feed_server.route("/slow.xml", "<rss/>", delay=3.0)
    notes = Notes()
    got = collect(settings(tmp_path, fetch_timeout_s=0.5), SourceSpec(url=good), SourceSpec(name="Broken", url=broken),
                  SourceSpec(url=image), SourceSpec(url=feed_server.url("/gone.xml")), SourceSpec(url=slow), notes=notes)
    assert [a.title for a in got.articles] == [nf.WIND.title]
    reasons = {f.source: f.reason for f in got.failures}
    assert reasons[f"Broken ({broken})"].startswith("not a valid feed")
    assert reasons[image] == "not a web page or a feed (content type image/png)"
    assert reasons[feed_server.url("/gone.xml")] == "HTTP 404 Not Found"
    assert "timed out" in reasons[slow]
    assert all(f.stage == "fetch" and "\n" not in f.reason for f in got.failures)
    assert notes.lines[-1].startswith("5/5 sources, 1 items, 4 failed") and "1/5 sources" in notes.details[0]


def test_a_second_run_is_answered_304_with_the_same_articles(feed_server: FeedServer, tmp_path: Path) -> None:
    url = serve_valley(feed_server)
    s = settings(tmp_path)
    first = collect(s, SourceSpec(url=url))
    before = len(feed_server.requests)
    second = collect(s, SourceSpec(url=url))
    assert [a.model_dump() for a in second.articles] == [a.model_dump() for a in first.articles]
    new = feed_server.requests[before:]
    assert [(r.path, r.status) for r in new] == [("/valley/atom.xml", 304)]  # pages reused unasked
    assert second.not_modified == 1


def test_since_spans_dates_and_the_default_day_window() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    assert parse_since("24h", now=now) == now - timedelta(hours=24)
    assert parse_since("90m", now=now) == now - timedelta(minutes=90)
    assert parse_since("2d", now=now) == now - timedelta(days=2)
    assert parse_since("2026-11-28").date() == date(2026, 11, 28)
    with pytest.raises(ValueError, match="expected a span"):
        parse_since("yesterday-ish")
    window = day_window(date(2026, 12, 1))
    assert window.start is not None and window.end is not None
    assert window.start.date() == date(2026, 11, 30) and window.end.date() == date(2026, 12, 2)
    assert window.admits(None) and not window.admits(datetime(2026, 11, 20, tzinfo=timezone.utc))
