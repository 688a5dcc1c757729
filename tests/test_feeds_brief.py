"""The judged scenario: a sources file of loopback feeds and a page builds a cited brief; a re-run
is answered 304 and costs no LLM call; two new items cost two fetches and two summaries."""

from __future__ import annotations

import json
from pathlib import Path

import click
import newsfeeds as nf
from click.testing import CliRunner
from fakeserver import FakeOpenAI
from feedserver import FeedServer, feed_server  # noqa: F401
from scripted import notes_responder

from briefgen.cli import main
from briefgen.models import Brief


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def publish(server: FeedServer, *, extra: bool = False) -> None:
    """Harbour Gazette (RSS, full text, plus a tracked link to a Valley story), Valley Courier (Atom
    snippets, pages on this server), Northern Wire (JSON Feed), a broken feed and a page."""
    harbour = [(nf.FERRY, server.url("/h/ferry")), (nf.LIBRARY, server.url("/h/library"))]
    valley = [(nf.BRIDGE, server.url("/v/bridge.html")), (nf.HARVEST, server.url("/v/harvest.html"))]
    if extra:
        harbour.insert(0, (nf.MARKET, server.url("/h/market")))
        valley.insert(0, (nf.TUNNEL, server.url("/v/tunnel.html")))
    server.route("/h/rss.xml", nf.rss20("Harbour Gazette", server.url("/h/"), harbour, full=True)
                 .replace("</channel>", nf.rss20("x", "x", [(nf.BRIDGE, server.url("/v/bridge.html?utm_source=hg"))],
                                                 full=False).split("<channel>", 1)[1].split("</description>", 1)[1]
                          .rsplit("</channel>", 1)[0] + "</channel>"), content_type="application/rss+xml")
    server.route("/v/atom.xml", nf.atom("Valley Courier", server.url("/v/"), valley, full=False),
                 content_type="application/atom+xml")
    for story in (nf.BRIDGE, nf.HARVEST, nf.TUNNEL):
        server.route(f"/v/{story.slug}.html", nf.page(story, "Valley Courier"))
    server.route("/n/feed.json", nf.json_feed("Northern Wire", server.url("/n/"), [(nf.WIND, server.url("/n/wind"))]),
                 content_type="application/feed+json")
    server.route("/broken/rss.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken Wire</title>'
                 b"<item><title>Half of a", content_type="application/rss+xml")
    server.route("/school.html", nf.page(nf.SCHOOL, "Hillcrest News"))


def sources_file(tmp_path: Path, server: FeedServer, llm: FakeOpenAI) -> Path:
    config = tmp_path / "briefgen.toml"
    config.write_text(f"""
base_url = "{llm.base_url}"
fetch_allow_hosts = ["127.0.0.1"]   # the test server; everything private is refused otherwise

[[sources]]
name = "Harbour Gazette"
url = "{server.url('/h/rss.xml')}"

[[sources]]
url = "{server.url('/v/atom.xml')}"
kind = "feed"

[[sources]]
url = "{server.url('/n/feed.json')}"

[[sources]]
name = "Broken Wire"
url = "{server.url('/broken/rss.xml')}"

[[sources]]
url = "{server.url('/school.html')}"
kind = "page"
""")
    return config


def build(config: Path) -> tuple[click.testing.Result, Brief]:
    result = run("build", "--config", str(config), "--date", "2026-12-01", "--format", "json")
    return result, Brief.model_validate_json(result.stdout)


def test_a_sources_file_of_feeds_builds_a_cited_brief_and_reruns_for_free(
        feed_server: FeedServer, fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    fake_llm.responder = notes_responder
    publish(feed_server)
    config = sources_file(tmp_path, feed_server, fake_llm)

    result, brief = build(config)
    assert result.exit_code == 3, result.stderr
    broken = feed_server.url("/broken/rss.xml")
    lines = [line for line in result.stderr.splitlines() if broken in line]
    assert len(lines) == 1 and lines[0].startswith(f"failed: Broken Wire ({broken}): not a valid feed"), result.stderr
    assert "Traceback" not in result.stderr
    assert [(f.source, f.stage) for f in brief.failures] == [(f"Broken Wire ({broken})", "fetch")]
    cited = {ref.title: {(r.outlet, r.url) for r in s.articles} for s in brief.stories for ref in s.articles}
    assert cited[nf.FERRY.title] == {("Harbour Gazette", feed_server.url("/h/ferry"))}
    assert cited[nf.WIND.title] == {("Northern Wire", feed_server.url("/n/wind"))}
    assert cited[nf.SCHOOL.title] == {("Hillcrest News", feed_server.url("/school.html"))}
    # One page, listed by two feeds: one article, both outlets, one summary.
    assert cited[nf.BRIDGE.title] == {("Valley Courier", feed_server.url("/v/bridge.html")),
                                      ("Harbour Gazette", feed_server.url("/v/bridge.html"))}
    assert len(brief.stories) == 6 and len(fake_llm.chat_requests) == 6
    sent = "\n".join(m["content"] for r in fake_llm.chat_requests for m in r.json["messages"])
    assert "Trains will cross at 30 km/h" in sent and "Share this article" not in sent
    assert "feed's short summary" not in sent  # every item ended as full text
    md = run("build", "--config", str(config), "--date", "2026-12-01", "--format", "md").stdout
    assert "Valley Courier" in md and "same link as [1]" in md

    # Nothing new: every feed answers 304, the pages are reused, no LLM call, the same stories.
    calls, before = len(fake_llm.chat_requests), len(feed_server.requests)
    again_result, again = build(config)
    assert again_result.exit_code == 3
    asked = feed_server.requests[before:]
    assert sorted((r.path, r.status) for r in asked) == sorted([
        ("/h/rss.xml", 304), ("/v/atom.xml", 304), ("/n/feed.json", 304), ("/school.html", 304),
        ("/broken/rss.xml", 304)])
    assert len(fake_llm.chat_requests) == calls and again.stats.llm_calls == 0
    assert json.dumps([s.model_dump(mode="json") for s in again.stories]) == \
        json.dumps([s.model_dump(mode="json") for s in brief.stories])

    # Two new items: only their page is fetched (the full-text item needs none), two summaries.
    publish(feed_server, extra=True)
    before = len(feed_server.requests)
    third_result, third = build(config)
    bodies = sorted(r.path for r in feed_server.requests[before:] if r.status == 200)
    assert bodies == ["/h/rss.xml", "/v/atom.xml", "/v/tunnel.html"]
    assert third.stats.llm_calls == 2 and len(fake_llm.chat_requests) == calls + 2
    assert {nf.MARKET.title, nf.TUNNEL.title} <= {r.title for s in third.stories for r in s.articles}


def test_the_model_is_told_a_snippet_and_full_articles_keep_their_exact_messages() -> None:
    from briefgen.llm.prompts import load_prompt
    from briefgen.models import Article, ContentKind
    from briefgen.notes.chunk import chunk_article
    from briefgen.notes.summarize import render_chunk_messages

    prompt = load_prompt("summarize", None)
    full = Article.create(source="a.txt", title=nf.FERRY.title, body=nf.FERRY.text)
    piece = chunk_article(full, 1000)[0]
    plain = prompt.render(title=full.title, dateline="", published="", part=1, parts=1, max_points=3,
                          sentences=[{"n": s.n, "text": s.text} for s in piece.sentences])
    assert render_chunk_messages(prompt, full, piece, 3) == plain  # the LLM cache keys of files stay valid
    snippet = full.model_copy(update={"content_kind": ContentKind.SNIPPET})
    user = next(m["content"] for m in render_chunk_messages(prompt, snippet, piece, 3) if m["role"] == "user")
    lines = user.splitlines()
    assert lines[lines.index(f"Title: {full.title}") + 1].startswith("Content: the feed's short summary")


def test_every_format_says_when_a_story_comes_from_the_feed_summary() -> None:
    from datetime import date, datetime, timezone

    from briefgen.models import Brief, ContentKind, Evidence, KeyPoint, SourceRef, Story
    from briefgen.publish.render import render

    ref = SourceRef(id="a1", outlet="Valley Courier", title=nf.BRIDGE.title, source="https://v.example/bridge",
                    url="https://v.example/bridge", content_kind=ContentKind.SNIPPET)
    point = KeyPoint(text="Trains slow down.", verified=True, evidence=[Evidence(article_id="a1", sentences=[1])])
    story = Story(id="s1", headline="Bridge corroded", summary="Two spans.", key_points=[point], articles=[ref], outlets=1)
    brief = Brief(date=date(2026, 12, 1), title="T", generated_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
                  stories=[story])
    for fmt in ("md", "html", "txt"):
        assert "from the feed summary" in render(brief, fmt), fmt


def test_send_as_cron_runs_it_mails_the_brief_of_the_feeds(
        feed_server: FeedServer, fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    from email import message_from_bytes, policy

    from smtpserver import SmtpRecorder, _start

    fake_llm.responder = notes_responder
    publish(feed_server)
    config = sources_file(tmp_path, feed_server, fake_llm)
    recorder = SmtpRecorder()
    controller, port = _start(recorder)
    try:
        config.write_text(config.read_text().replace(
            "[[sources]]", f'title = "Morning brief"\n\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
            'from = "Brief <brief@example.org>"\nto = ["reader@example.org"]\ntimeout_s = 5\n\n[[sources]]', 1))
        # What the installed crontab line runs (plus the date, so the fixture items are in the window).
        result = CliRunner().invoke(main, ["send", "--config", str(config), "--quiet", "--date", "2026-12-01"],
                                    catch_exceptions=False)
    finally:
        controller.stop()
    assert result.exit_code == 3, result.stderr  # delivered, and the broken feed is listed
    assert "sent: reader@example.org" in result.stdout
    [got] = recorder.messages
    text = message_from_bytes(got.data, policy=policy.default).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Valley Courier" in text and "Northern Wire" in text and "Broken Wire" in text
