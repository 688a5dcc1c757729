"""The fetch client against a real loopback server: caps, redirects, charsets, 304s, the guard."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from feedserver import FeedServer, feed_server  # noqa: F401
from test_guard import RecordingBackend

from briefgen.config import Settings
from briefgen.errors import FetchError
from briefgen.sources.fetch import Fetched, Fetcher, check_url
from briefgen.sources.guard import AddressPolicy, GuardedBackend
from briefgen.store import FetchCache, Store


def settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(home=tmp_path / "home", fetch_allow_hosts=["127.0.0.1"], **kw)


def fetch(s: Settings, url: str, *, backend: GuardedBackend | None = None, **kw: Any) -> Fetched:
    async def go() -> Fetched:
        with Store(s.state_file()) as store:
            async with Fetcher(s, FetchCache(store), backend=backend) as f:
                return await f.get(url, **kw)
    return asyncio.run(go())


def reason(s: Settings, url: str, **kw: Any) -> str:
    with pytest.raises(FetchError) as info:
        fetch(s, url, **kw)
    assert info.value.source == url
    return info.value.reason


def test_a_page_is_fetched_gzipped_with_a_real_user_agent(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.route("/a.html", "<html><body>" + "<p>Plain words here.</p>" * 40 + "</body></html>")
    got = fetch(settings(tmp_path), url)
    assert got.origin == "network" and got.content_type == "text/html" and got.charset == "utf-8"
    assert got.text().count("Plain words here.") == 40
    seen = feed_server.hits("/a.html")[0].headers
    assert "gzip" in seen["accept-encoding"] and "briefgen/" in seen["user-agent"] and "Mozilla/5.0" in seen["user-agent"]


def test_the_second_request_is_conditional_and_a_304_gives_the_stored_bytes(feed_server: FeedServer,
                                                                             tmp_path: Path) -> None:
    url = feed_server.route("/feed.xml", "<rss><channel><title>T</title></channel></rss>",
                            content_type="application/rss+xml")
    s = settings(tmp_path)
    first = fetch(s, url)
    second = fetch(s, url)
    assert (first.origin, second.origin) == ("network", "not_modified") and second.body == first.body
    hits = feed_server.hits("/feed.xml")
    assert "if-none-match" not in hits[0].headers
    assert hits[1].headers["if-none-match"] and hits[1].headers["if-modified-since"] and hits[1].status == 304


def test_a_stored_page_is_reused_without_asking(feed_server: FeedServer, tmp_path: Path) -> None:
    from datetime import timedelta

    url = feed_server.route("/p.html", "<html><body><p>Once.</p></body></html>")
    s = settings(tmp_path)
    fetch(s, url)
    again = fetch(s, url, reuse=timedelta(days=1))
    assert again.origin == "stored" and len(feed_server.hits("/p.html")) == 1


@pytest.mark.parametrize("status, text", [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error"),
                                          (403, "HTTP 403 Forbidden")])
def test_http_errors_are_one_line(feed_server: FeedServer, tmp_path: Path, status: int, text: str) -> None:
    url = feed_server.route("/e", "<h1>no</h1>", status=status)
    assert reason(settings(tmp_path), url) == text


def test_a_redirect_is_followed_and_a_loop_is_named(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/old", status=301, headers={"Location": "/new"}, conditional=False)
    feed_server.route("/new", "<html><body><p>Moved here.</p></body></html>")
    got = fetch(settings(tmp_path), feed_server.url("/old"))
    assert got.final_url == feed_server.url("/new") and b"Moved here" in got.body
    feed_server.route("/a", status=302, headers={"Location": "/b"}, conditional=False)
    feed_server.route("/b", status=302, headers={"Location": "/a"}, conditional=False)
    assert reason(settings(tmp_path), feed_server.url("/a")).startswith("redirect loop")
    for i in range(4):
        feed_server.route(f"/r{i}", status=302, headers={"Location": f"/r{i + 1}"}, conditional=False)
    assert reason(settings(tmp_path, fetch_max_redirects=2), feed_server.url("/r0")) == "more than 2 redirects"


def test_a_redirect_to_a_private_address_is_refused_before_connecting(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/go", status=302, headers={"Location": "http://10.20.30.40/admin"}, conditional=False)
    feed_server.route("/meta", status=307, headers={"Location": "http://169.254.169.254/latest/meta-data/"},
                      conditional=False)
    feed_server.route("/lo", status=302, headers={"Location": f"http://127.0.0.2:{feed_server.port}/x"},
                      conditional=False)
    inner = RecordingBackend()
    s = settings(tmp_path)
    backend = GuardedBackend(AddressPolicy(allow_hosts=["127.0.0.1"]), inner=inner)
    assert "10.20.30.40: a private address" in reason(s, feed_server.url("/go"), backend=backend)
    assert "cloud metadata" in reason(s, feed_server.url("/meta"), backend=backend)
    assert "127.0.0.2: a loopback address" in reason(s, feed_server.url("/lo"), backend=backend)
    assert {host for host, _ in inner.calls} == {"127.0.0.1"}


def test_without_an_allow_the_loopback_test_server_is_refused(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.route("/x", "hi", content_type="text/plain")
    why = reason(Settings(home=tmp_path / "home"), url)
    assert "127.0.0.1: a loopback address" in why and feed_server.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "javascript:alert(1)", "/relative"])
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        check_url(url)


def test_a_redirect_to_a_file_url_is_refused(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/f", status=302, headers={"Location": "file:///etc/passwd"}, conditional=False)
    assert "redirect to file:///etc/passwd refused" in reason(settings(tmp_path), feed_server.url("/f"))


def test_a_huge_page_stops_at_the_cap(feed_server: FeedServer, tmp_path: Path) -> None:
    streamed = feed_server.route("/huge", stream=8_000_000)
    declared = feed_server.route("/big", b"x" * 6_000_000, content_type="text/plain", compress=False)
    s = settings(tmp_path)
    assert reason(s, streamed) == "body is over the 5.0 MB limit"
    assert reason(s, declared) == "body is 6.0 MB, over the 5.0 MB limit"


def test_a_slow_server_runs_into_the_deadline_not_past_it(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.route("/slow", "<p>late</p>", delay=3.0)
    started = time.monotonic()
    why = reason(settings(tmp_path, fetch_deadline_s=0.5), url)
    assert "timed out" in why and "deadline" in why and time.monotonic() - started < 2.0
    assert "timed out after 0.3 s" in reason(settings(tmp_path, fetch_timeout_s=0.3), url)


def test_the_charset_comes_from_the_header_then_the_document(feed_server: FeedServer, tmp_path: Path) -> None:
    text = "<html><body><p>Café society in Malmö: naïve façades, 20 € entry.</p></body></html>"
    by_header = feed_server.route("/latin", text.replace("€", "EUR").encode("iso-8859-1"),
                                  content_type="text/html; charset=ISO-8859-1")
    by_meta = feed_server.route("/cp", ('<html><head><meta charset="windows-1252"></head>' + text[6:]).encode("cp1252"),
                                content_type="text/html")
    s = settings(tmp_path)
    assert "Café society in Malmö: naïve façades, 20 EUR" in fetch(s, by_header).text()
    assert "naïve façades, 20 € entry" in fetch(s, by_meta).text()
