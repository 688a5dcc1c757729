"""Fixture news for the sources tests: a few short articles (written for these tests, about
invented places) and builders that serve them as RSS 2.0, RSS 1.0, Atom, JSON Feed and as
web pages with the usual furniture around them."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass


@dataclass
class Story:
    slug: str
    title: str
    author: str
    published: str  # ISO 8601, UTC
    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def snippet(self) -> str:
        return self.paragraphs[0].split(". ")[0] + "."


FERRY = Story("ferry", "Ferry service to Millbrook Island resumes after storm repairs", "Tomas Lindqvist",
              "2026-12-01T07:30:00+00:00", [
    "The ferry link between Port Alder and Millbrook Island reopened on Monday after three weeks of repairs "
    "to the landing ramp damaged in the November storm. The harbour authority said the first crossing left "
    "at 6:15 with 41 passengers and 12 vehicles on board.",
    "Repairs cost 2.3 million crowns, paid from the county's emergency fund. Engineers replaced two steel "
    "hinges and rebuilt a section of the concrete pier that had cracked under the waves.",
    "Island residents had relied on a small water taxi that carried no cars. Shop owner Greta Holm said "
    "deliveries of fresh food had arrived only twice a week during the closure.",
    "The authority will run an extra evening crossing until the end of December to clear the backlog of "
    "freight waiting on the mainland."])

LIBRARY = Story("library", "Council votes to keep the central library open on Sundays", "Mara Okafor",
                "2026-12-01T09:00:00+00:00", [
    "Kestrel Bay's town council voted 9 to 4 on Monday evening to open the central library on Sundays from "
    "January, reversing a cut made two years ago. The change adds 260 opening hours a year.",
    "Councillor Ida Brenner, who proposed the motion, said Sunday was the only free day for many families "
    "and students who work during the week. The extra hours will cost about 180,000 crowns a year.",
    "Two part-time librarians will be hired to staff the new shifts. The library's reading room, which "
    "closed for renovation in the summer, will reopen at the same time.",
    "Opponents argued that the money should go to the branch libraries in the outer districts instead."])

BRIDGE = Story("bridge", "Inspectors find corrosion in two spans of the Redwater rail bridge", "Jonas Feld",
               "2026-12-01T06:45:00+00:00", [
    "Inspectors found serious corrosion in two of the seven spans of the Redwater rail bridge during a "
    "routine check last week, the regional rail operator said on Monday. Trains will cross at 30 km/h "
    "instead of 80 km/h until repairs are made.",
    "The operator said the bridge remains safe at the lower speed. Repair work on the two spans is "
    "expected to start in March and to take about ten weeks.",
    "Commuters between Redwater and the valley towns should expect delays of up to eight minutes per "
    "journey, according to the operator's revised timetable published on Monday.",
    "The bridge, built in 1911, was last renovated in 1987."])

HARVEST = Story("harvest", "Valley orchards report the largest apple harvest in a decade", "Lena Vos",
                "2026-11-30T15:20:00+00:00", [
    "Fruit growers in the Redwater valley picked 48,000 tonnes of apples this autumn, the largest harvest "
    "in ten years, the growers' cooperative said on Sunday. A mild spring without late frost was the main "
    "reason, it said.",
    "Prices paid to growers fell by about 12 percent because of the surplus. The cooperative has rented "
    "two extra cold stores to keep part of the crop until spring.",
    "Cooperative chair Piet Aarden said juice makers had agreed to take 9,000 tonnes of smaller fruit that "
    "would otherwise have been left unsold.",
    "Growers plan to ask the regional government for help with storage costs."])

WIND = Story("wind", "Wind farm plan off Cape Sorrel draws 400 comments in its first week", "Nadia Petrov",
             "2026-12-01T08:10:00+00:00", [
    "A plan for 24 wind turbines off Cape Sorrel received more than 400 written comments in the first week "
    "of its public consultation, the planning office said on Monday.",
    "Most comments came from fishermen worried about access to their grounds and from holiday home owners "
    "concerned about the view. The developer, Sorrel Offshore, says the turbines would stand 14 kilometres "
    "from the coast.",
    "The farm would produce enough electricity for about 90,000 homes. The consultation runs until the "
    "end of January, and a decision is expected next autumn.",
    "The planning office will hold two public meetings in Cape Sorrel and Lindby in December."])

SCHOOL = Story("school", "Hillcrest primary school gets a new roof before the winter term", "Ana Ruiz",
               "2026-12-01T05:50:00+00:00", [
    "Builders finished a new roof on Hillcrest primary school on Sunday, a week ahead of schedule, the "
    "district education office said. The old roof had leaked into three classrooms since last winter.",
    "The work cost 640,000 crowns and was paid for by the district. Solar panels on the south side of the "
    "new roof will cover about a third of the school's electricity use.",
    "Head teacher Olav Strand said the 210 pupils would return to their own classrooms on Monday after "
    "weeks of lessons in the gym and the library.",
    "The district plans similar work on two other schools next summer."])

# Two stories that appear only on the second run.
MARKET = Story("market", "Skarhamn winter market opens with 60 stalls", "Mara Okafor",
               "2026-12-01T10:30:00+00:00", [
    "The winter market on Skarhamn's harbour square opened on Monday with 60 stalls, ten more than last "
    "year, the town's events office said.",
    "Organisers expect about 30,000 visitors before the market closes on 23 December. The square will be "
    "closed to cars on weekends while the market runs.",
    "A new covered area for local food producers was added after complaints about rain last year, "
    "events officer Karin Dahl said.",
    "Stall fees were kept at last year's level of 1,200 crowns a week."])

TUNNEL = Story("tunnel", "Redwater road tunnel to close at night for lighting work", "Jonas Feld",
               "2026-12-01T11:15:00+00:00", [
    "The Redwater road tunnel will close every night from 22:00 to 05:00 for two weeks from 7 December "
    "while its lighting is replaced, the roads agency said on Monday.",
    "Drivers will be directed over the old mountain road, which adds about 15 minutes to the trip. "
    "Ambulances and fire engines will still be let through.",
    "The new LED lights are expected to cut the tunnel's power use by 60 percent, the agency said.",
    "The work was planned for the autumn but was delayed by a shortage of parts."])


def _date_rfc822(iso: str) -> str:
    from datetime import datetime
    from email.utils import format_datetime

    return format_datetime(datetime.fromisoformat(iso))


def _html_paragraphs(story: Story) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)


def rss20(title: str, site: str, items: list[tuple[Story, str]], *, full: bool) -> str:
    """RSS 2.0; ``items`` are (story, link); full text in content:encoded, else a description only."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
             f'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
             f"<channel><title>{html.escape(title)}</title><link>{site}</link><description>News</description>"]
    for story, link in items:
        parts.append(f"<item><title>{html.escape(story.title)}</title><link>{html.escape(link)}</link>"
                     f"<guid isPermaLink=\"false\">{story.slug}-2026</guid>"
                     f"<pubDate>{_date_rfc822(story.published)}</pubDate><dc:creator>{story.author}</dc:creator>"
                     f"<description>{html.escape(story.snippet)}</description>")
        if full:
            parts.append(f"<content:encoded><![CDATA[{_html_paragraphs(story)}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts)


def rss10(title: str, site: str, items: list[tuple[Story, str]]) -> str:
    """RSS 1.0 (RDF) with full text in content:encoded."""
    seq = "".join(f'<rdf:li rdf:resource="{html.escape(link)}"/>' for _, link in items)
    body = "".join(
        f'<item rdf:about="{html.escape(link)}"><title>{html.escape(s.title)}</title><link>{html.escape(link)}</link>'
        f"<description>{html.escape(s.snippet)}</description><dc:date>{s.published}</dc:date>"
        f"<dc:creator>{s.author}</dc:creator><content:encoded><![CDATA[{_html_paragraphs(s)}]]></content:encoded></item>"
        for s, link in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f'<channel rdf:about="{site}"><title>{html.escape(title)}</title><link>{site}</link>'
            f"<description>News</description><items><rdf:Seq>{seq}</rdf:Seq></items></channel>{body}</rdf:RDF>")


def atom(title: str, site: str, items: list[tuple[Story, str]], *, full: bool) -> str:
    """Atom 1.0; full text in <content>, else a <summary> only."""
    entries = []
    for s, link in items:
        text = (f'<content type="html">{html.escape(_html_paragraphs(s))}</content>' if full
                else f"<summary>{html.escape(s.snippet)}</summary>")
        entries.append(f'<entry><title>{html.escape(s.title)}</title><link href="{html.escape(link)}"/>'
                       f"<id>urn:fixture:{s.slug}</id><updated>{s.published}</updated>"
                       f"<published>{s.published}</published><author><name>{s.author}</name></author>{text}</entry>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{html.escape(title)}</title><link href="{site}"/><id>urn:fixture:{title}</id>'
            f"<updated>2026-12-01T12:00:00Z</updated>{''.join(entries)}</feed>")


def json_feed(title: str, site: str, items: list[tuple[Story, str]], *, full: bool = True) -> str:
    """JSON Feed 1.1."""
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": site,
        "items": [{"id": s.slug, "url": link, "title": s.title, "date_published": s.published,
                   "authors": [{"name": s.author}],
                   **({"content_html": _html_paragraphs(s)} if full else {"summary": s.snippet})}
                  for s, link in items],
    })


def page(story: Story, site: str, *, charset: str = "utf-8") -> str:
    """An article page with navigation, share buttons, a newsletter box and a footer around it."""
    paragraphs = _html_paragraphs(story)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="{charset}"><title>{html.escape(story.title)} | {site}</title>
<meta property="og:site_name" content="{site}">
<meta property="article:published_time" content="{story.published}">
<meta name="author" content="{story.author}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a>
<a href="/subscribe">Subscribe</a></nav></header>
<main><article>
<h1>{html.escape(story.title)}</h1>
<p class="byline">By {story.author}</p>
<time datetime="{story.published}">{story.published[:10]}</time>
<div class="share">Share this article: Facebook Twitter Email</div>
{paragraphs}
<aside class="newsletter">Sign up for our morning newsletter and never miss a story.</aside>
</article></main>
<footer><p>&copy; 2026 {site}. All rights reserved.</p><a href="/privacy">Privacy policy</a> <a href="/cookies">Cookie settings</a>
<p>Follow us on social media</p></footer>
</body></html>"""
