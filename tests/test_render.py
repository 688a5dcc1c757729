"""Tests for briefgen.publish.render: content in every format, citations, escaping, templates, layout."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from briefgen.errors import PromptError
from briefgen.models import (
    Brief,
    BriefStats,
    Claim,
    Disagreement,
    Evidence,
    Failure,
    KeyPoint,
    Section,
    SourceRef,
    Story,
)
from briefgen.publish.render import FORMATS, render, safe_url

try:  # tests/ is a rootdir on sys.path today; keep working if it becomes a package
    import browser
except ImportError:  # pragma: no cover
    from tests import browser  # type: ignore[no-redef]

LONG_URL = (
    "https://www.example-news-network.com/world/europe/2025/09/03/"
    "zelensky-trump-sanctions-russia-security-guarantees-copenhagen-nordic-baltic-"
    "visit-analysis-and-full-transcript-of-the-press-conference?utm_source=newsletter"
    "&utm_medium=email&utm_campaign=daily_brief_very_long_tracking_parameter_value"
)
LONG_HEADLINE = (
    "Trump says he plans to meet Putin and Zelensky in separate talks next week, followed by a "
    "possible trilateral summit, while new sanctions on Russia take effect on Friday as planned"
)


def kp(text: str, *cites: tuple[str, str], verified: bool = True) -> KeyPoint:
    return KeyPoint(
        text=text,
        evidence=[Evidence(article_id=aid, quote=quote) for aid, quote in cites],
        verified=verified,
        status="verified" if verified else "unverified",
    )


def ref(aid: str, title: str, *, outlet: str | None, url: str | None, hour: int | None = None,
        source: str | None = None, wire_copy_of: str | None = None) -> SourceRef:
    return SourceRef(
        id=aid,
        outlet=outlet,
        title=title,
        url=url,
        published=datetime(2025, 9, 3, hour, 0, tzinfo=timezone.utc) if hour is not None else None,
        source=source or url or f"seeds/{aid}.txt",
        wire_copy_of=wire_copy_of,
    )


def sample_brief() -> Brief:
    """A realistic brief: four stories, a long URL and headline, a wire copy, a disagreement."""
    s1 = Story(
        id="story-zel-call",
        headline="Zelensky presses Trump for harsher sanctions on Russia",
        summary=(
            "Ukraine's president said he would speak with Donald Trump to push for tighter economic "
            "pressure on Moscow and security guarantees modelled on NATO's Article 5."
        ),
        articles=[
            ref("a1", "Zelensky Presses Trump to Hit Russia With Harsher Sanctions", outlet="Daily Herald",
                url=LONG_URL, hour=9),
            ref("a2", "Zelenskyy reaffirms Ukraine will not cede territory", outlet="Anadolu Agency",
                url="https://aa.example.org/en/europe/zelenskyy-reaffirms/3670000", hour=11),
            ref("a3", "Zelensky to call Trump", outlet="Regional Times", url="https://regional.example/zel",
                hour=12, wire_copy_of="a2"),
            ref("a4", "Zelenskiy seeks fresh Trump talks", outlet=None, url=None,
                source="seeds/001_4513ffad51d009ea.txt"),
        ],
        outlets=3,
        key_points=[
            kp("Zelensky plans to speak with Trump on Thursday, September 4.",
               ("a1", "Zelensky has announced plans to speak with U.S. President Donald Trump on Thursday"),
               ("a4", "Zelenskiy is pushing for a new meeting with US President Donald Trump")),
            kp("He wants security guarantees similar to NATO's Article 5.",
               ("a2", "We share the view that Ukraine's future security needs Article 5")),
            kp("Ukraine signed a bilateral agreement with Denmark.", ("a1", "including one recently signed with Denmark")),
            kp("Kyiv will not cede the Donetsk region.", ("a2", "will not give up any territory"),
               ("a4", "opposed to Russian demands that it cede parts of the Donetsk region")),
            kp("Zelensky asked for more Patriot air defence systems.", ("a2", "We need Patriots")),
            kp("Russia's war is in its fourth year.", ("a1", "as the war drags into its fourth year")),
            kp("Denmark pledged new fighter jets.", ("a1", "Frederiksen said"), verified=False),
        ],
        disagreements=[
            Disagreement(fact="when the call takes place", claims=[
                Claim(text="Thursday, September 4", article_ids=["a1"]),
                Claim(text="no date set", article_ids=["a4"]),
            ])
        ],
        topics=["Ukraine war"],
    )
    s2 = Story(
        id="story-trump-meet",
        headline=LONG_HEADLINE,
        summary="Trump called envoy Steve Witkoff's three-hour meeting with Putin “highly productive”.",
        articles=[ref("b1", "Trump Says He Plans to Meet Putin and Zelensky Next Week", outlet=None, url=None,
                      source="seeds/003_e09970fce74b3805.txt")],
        outlets=1,
        key_points=[
            kp("The White House said new sanctions take effect on Friday.",
               ("b1", "a new round of sanctions against Russia will take effect on Friday as planned")),
            kp("Witkoff met Putin for three hours in Moscow.", ("b1", "Wednesday's three-hour meeting in Moscow")),
        ],
        topics=["US politics"],
    )
    s3 = Story(
        id="story-rutte",
        headline="Zelenskiy says Russia thwarts a meeting with Putin",
        summary="At a press conference with NATO's Mark Rutte, Zelenskiy accused Russia of derailing talks.",
        articles=[ref("c1", "Zelenskiy Claims Russia is Thwarting His Meeting with Putin", outlet="Kyiv Ledger",
                      url="https://kyiv-ledger.example/news/zelenskiy-claims", hour=8)],
        outlets=1,
        key_points=[kp("Zelenskiy spoke alongside NATO Secretary General Mark Rutte in Kyiv.",
                       ("c1", "joint press conference held in Kyiv alongside NATO Secretary General"))],
    )
    s4 = Story(
        id="story-escape",
        headline="<script>alert('x')</script> & other tricks",
        summary="A headline that tries to inject markup must arrive as text.",
        articles=[ref("d1", "Tricky <b>title</b>", outlet="Odd Outlet", url="javascript:alert(1)", hour=7)],
        outlets=1,
        key_points=[kp("Markup in a key point <img src=x> is text too.", ("d1", "markup"))],
    )
    return Brief(
        date=date(2025, 9, 3),
        title="Daily brief",
        generated_at=datetime(2025, 9, 3, 7, 0, tzinfo=timezone.utc),
        stories=[s1, s2, s3, s4],
        stats=BriefStats(articles_in=6, articles_unique=5, articles_failed=1, stories=4, stories_shown=4,
                         llm_calls=9, cache_hits=2, tokens_in=4912, tokens_out=731, wall_time_s=48.25,
                         model="qwen2.5-coder-1.5b-instruct-q4_k_m", backend="embedded"),
        failures=[Failure(source="seeds/broken.txt", reason="empty after cleaning", stage="clean")],
    )


@pytest.fixture
def brief() -> Brief:
    return sample_brief()


def text_of(out: str, fmt: str) -> str:
    """Output reduced to comparable text: tags stripped and entities decoded for HTML, spaces collapsed."""
    if fmt == "html":
        out = htmllib.unescape(re.sub(r"<[^>]+>", " ", out))
    if fmt == "md":  # backslash escapes, as a Markdown renderer shows them
        out = re.sub(r"\\([\\\[\]<])", r"\1", out)
    return re.sub(r"\s+", " ", out)


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_every_shown_story_point_and_source_appears(brief: Brief, fmt: str) -> None:
    out = text_of(render(brief, fmt), fmt)
    assert brief.title in out and "2025" in out
    for story in brief.stories:
        assert story.headline in out
        assert story.summary in out
        for point in [k for k in story.key_points if k.verified][:5]:
            assert point.text in out
        for src in story.articles:
            assert src.title in out
            assert src.label in out
    assert "seeds/001_4513ffad51d009ea.txt (outlet unknown)" not in out  # label is the file name only
    assert "001_4513ffad51d009ea.txt (outlet unknown)" in out
    assert "3 outlets" in out and "wire copy" in out
    assert "Sources differ" in out and "Thursday, September 4" in out and "no date set" in out
    # footer: stats and failures
    for needle in ("4,912", "731", "48.2", "qwen2.5-coder-1.5b-instruct-q4_k_m", "seeds/broken.txt",
                   "empty after cleaning"):
        assert needle in out, needle


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_key_points_cut_at_max_and_unverified_hidden(brief: Brief, fmt: str) -> None:
    # A story of one outlet shows max_key_points; the sample's first story has three.
    brief.stories[0].outlets = 1
    out = text_of(render(brief, fmt), fmt)
    sixth = brief.stories[0].key_points[5].text
    unverified = brief.stories[0].key_points[6].text
    assert sixth not in out
    assert unverified not in out and "(unverified)" not in out
    assert "1 more point" in out
    wider = text_of(render(brief, fmt, max_key_points=7), fmt)
    assert sixth in wider and unverified not in wider


@pytest.mark.parametrize("fmt", ["md", "txt"])
def test_each_further_outlet_shows_one_more_point(brief: Brief, fmt: str) -> None:
    story = brief.stories[0]
    story.outlets = 2
    verified = [kp.text for kp in story.key_points if kp.verified]
    out = text_of(render(brief, fmt, max_key_points=4), fmt)
    assert all(t in out for t in verified[:5]) and verified[5] not in out
    story.outlets = 3
    out = text_of(render(brief, fmt, max_key_points=4), fmt)
    assert all(t in out for t in verified[:6])


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_unverified_points_marked_when_shown(brief: Brief, fmt: str) -> None:
    out = text_of(render(brief, fmt, show_unverified=True, max_key_points=10), fmt)
    unverified = brief.stories[0].key_points[6].text
    at = out.index(unverified)
    assert "(unverified)" in out[max(0, at - 40) : at]
    assert out.count("(unverified)") == 1  # the verified points are not marked


def _point_line(out: str, text: str) -> str:
    return next(line for line in out.splitlines() if text in line)


def test_md_citations_link_the_right_sources(brief: Brief) -> None:
    out = render(brief, "md")
    story = brief.stories[0]
    for point in [k for k in story.key_points if k.verified][:5]:
        line = _point_line(out, point.text)
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", line)]
        expected = sorted(1 + [a.id for a in story.articles].index(aid) for aid in point.article_ids)
        assert cited == expected, (point.text, line)
        for n in cited:
            url = story.articles[n - 1].url
            if url:  # a reference-style link whose definition is the source's URL
                assert f"[[{n}]][s1.{n}]" in line
                assert f"\n[s1.{n}]: {url}\n" in out
            else:
                assert f"[[{n}]]" not in line and f"[s1.{n}]:" not in out  # no link to nowhere
    # the source list numbers match the story's articles
    for i, src in enumerate(story.articles, start=1):
        assert re.search(rf"^{i}\. {re.escape(src.label)} — ", out, re.M), src.label


def test_html_citations_link_the_right_sources(brief: Brief) -> None:
    out = render(brief, "html")
    story = brief.stories[0]
    point = story.key_points[0]  # cites a1 (long URL) and a4 (no URL)
    li = re.search(r"<li[^>]*>[^<]*" + re.escape(point.text) + r".*?</li>", out, re.S)
    assert li
    assert re.search(r'<a href="' + re.escape(htmllib.escape(LONG_URL)) + r'"[^>]*>\[1\]</a>', li.group(0))
    assert re.search(r"<span[^>]*>\[4\]</span>", li.group(0))
    assert "[2]" not in li.group(0).split("<details")[0]


def test_txt_is_wrapped_and_cites_by_number(brief: Brief) -> None:
    out = render(brief, "txt")
    for line in out.splitlines():
        assert len(line) <= 72 or re.fullmatch(r"\s*https?://\S+", line), line
    joined = text_of(out, "txt")
    assert "Zelensky plans to speak with Trump on Thursday, September 4. [1][4]" in joined
    assert LONG_URL in out  # never split
    assert "[3] Regional Times -- Zelensky to call Trump (wire copy of [2])" in joined


def test_html_escapes_markup_and_drops_unsafe_links(brief: Brief) -> None:
    out = render(brief, "html")
    assert "<script" not in out
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; other tricks" in out
    assert "<img" not in out and "&lt;img src=x&gt;" in out
    assert "javascript:" not in out.replace("javascript:alert(1)", "") or 'href="javascript' not in out
    assert 'href="javascript' not in out
    assert safe_url("javascript:alert(1)") is None and safe_url(LONG_URL) == LONG_URL


def test_html_is_self_contained_and_inline_styled(brief: Brief) -> None:
    out = render(brief, "html", email=True)
    assert not re.search(r"<(script|link|iframe|object|img)\b", out, re.I)
    assert not re.search(r"<[^>]*\ssrc=", out) and "@import" not in out and "url(" not in out
    assert "<style" not in out  # layout lives in style="" attributes
    assert out.count('style="') > 20
    assert "max-width:640px" in out and "overflow-wrap:anywhere" in out


def test_quotes_inline_in_email_folded_in_browser(brief: Brief) -> None:
    quote = brief.stories[0].key_points[1].evidence[0].quote
    mail = render(brief, "html", email=True)
    page = render(brief, "html")
    assert "<details" not in mail and quote in htmllib.unescape(mail)
    assert "<details" in page
    details = re.findall(r"<details.*?</details>", page, re.S)
    assert any(quote in htmllib.unescape(d) for d in details)
    assert quote not in htmllib.unescape(re.sub(r"<details.*?</details>", "", page, flags=re.S))


def test_sections_group_stories_in_all_formats(brief: Brief) -> None:
    brief.sections = [Section(name="Ukraine war", story_ids=["story-zel-call", "story-rutte"]),
                      Section(name="Other", story_ids=["story-trump-meet", "story-escape"])]
    md = render(brief, "md")
    assert md.index("## Ukraine war") < md.index("### 1. Zelensky presses") < md.index("## Other")
    assert md.index("## Other") < md.index("### 3. " + LONG_HEADLINE[:20])
    txt = render(brief, "txt")
    assert "== UKRAINE WAR ==" in txt and "== OTHER ==" in txt
    assert "Ukraine war" in render(brief, "html")


def test_hidden_stories_are_not_rendered_but_kept_in_json(brief: Brief) -> None:
    brief.stories[2].shown = False
    for fmt in ("md", "html", "txt"):
        assert brief.stories[2].headline not in text_of(render(brief, fmt), fmt)
    assert brief.stories[2].headline in render(brief, "json")


def test_json_round_trips(brief: Brief) -> None:
    out = render(brief, "json")
    again = Brief.model_validate_json(out)
    assert again == brief
    assert '"schema_version"' in out


def test_user_template_overrides_and_falls_back(brief: Brief, tmp_path: Path) -> None:
    user = tmp_path / "mytemplates"
    user.mkdir()
    (user / "brief.md").write_text("CUSTOM {{ title }}: {% for s in stories %}{{ s.headline }}|{% endfor %}\n")
    md = render(brief, "md", templates_dir=user)
    assert md.startswith("CUSTOM Daily brief: Zelensky presses Trump")
    txt = render(brief, "txt", templates_dir=user)  # not in the user's folder: the default
    assert txt == render(brief, "txt")


@pytest.mark.parametrize(
    ("source", "line"),
    [("# {{ title }}\n\n{% for s in stories %}\n{{ s.headline }\n{% endfor %}\n", 4),
     ("line one\n{% if %}\n", 2)],
)
def test_syntax_error_names_file_and_line(brief: Brief, tmp_path: Path, source: str, line: int) -> None:
    (tmp_path / "brief.md").write_text(source)
    with pytest.raises(PromptError) as info:
        render(brief, "md", templates_dir=tmp_path)
    assert info.value.path == str(tmp_path / "brief.md")
    assert info.value.line == line
    assert f"brief.md:{line}" in str(info.value)


def test_undefined_variable_names_file_and_line(brief: Brief, tmp_path: Path) -> None:
    (tmp_path / "brief.txt").write_text("{{ title }}\n\n{{ no_such_thing }}\n")
    with pytest.raises(PromptError) as info:
        render(brief, "txt", templates_dir=tmp_path)
    assert info.value.path == str(tmp_path / "brief.txt") and info.value.line == 3
    assert "no_such_thing" in str(info.value)


def test_sandbox_blocks_unsafe_attribute_access(brief: Brief, tmp_path: Path) -> None:
    (tmp_path / "brief.md").write_text("{{ brief.__class__.__init__.__globals__ }}\n")
    with pytest.raises(PromptError):
        render(brief, "md", templates_dir=tmp_path)


def test_unknown_format_and_missing_folder(brief: Brief, tmp_path: Path) -> None:
    assert FORMATS == ("md", "html", "txt", "json")
    with pytest.raises(Exception, match="unknown format 'pdf'"):
        render(brief, "pdf")
    with pytest.raises(PromptError, match="does not exist"):
        render(brief, "md", templates_dir=tmp_path / "nope")


def test_empty_brief_renders(brief: Brief) -> None:
    brief.stories = []
    for fmt in ("md", "html", "txt"):
        assert "No stories today" in render(brief, fmt)


# ---- layout in a real browser --------------------------------------------------------------

SCREENSHOT_DIR = Path(__file__).resolve().parent.parent / "build" / "screenshots"


@pytest.mark.browser
@pytest.mark.skipif(not browser.chromium_available(), reason=f"{browser.CHROMIUM} is not installed (apt-get install chromium)")
def test_html_fits_phone_and_desktop_widths(brief: Brief, tmp_path: Path) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    with browser.Browser() as chrome:
        for kind in ("email", "browser"):
            page = tmp_path / f"brief-{kind}.html"
            page.write_text(render(brief, "html", email=kind == "email"), encoding="utf-8")
            for width in (375, 800):
                m = chrome.load(page, width=width)
                assert m.client_width == width  # the viewport really is that narrow
                assert not m.overflows, f"{kind} {width}px: scrollWidth {m.scroll_width}: {m.wide}"
                assert m.wide == [] and m.scripts == 0
                png = chrome.screenshot()
                (SCREENSHOT_DIR / f"brief-{kind}-{width}.png").write_bytes(png)
                info = browser.read_png(png)
                assert (info.width, info.height) == (width, 1600)
                # Rendered text has many shades (antialiasing); a blank or failed page has one or two.
                assert info.colors > 50 and info.ink_share > 0.02, info
            # The whole page, footer included, for a person to look at.
            chrome.load(page, width=375)
            full = chrome.screenshot(full_page=True)
            (SCREENSHOT_DIR / f"brief-{kind}-375-full.png").write_bytes(full)
            assert browser.read_png(full).height > 1600  # four stories are longer than one screen


@pytest.mark.browser
@pytest.mark.skipif(not browser.chromium_available(), reason=f"{browser.CHROMIUM} is not installed (apt-get install chromium)")
def test_overflow_check_catches_a_wide_page(tmp_path: Path) -> None:
    """The layout test above can fail: an unbreakable 600 px line overflows a 375 px phone."""
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><meta name="viewport" content="width=device-width">'
                    '<body><div style="width:600px">wide</div></body>')
    with browser.Browser() as chrome:
        m = chrome.load(page, width=375)
        assert m.overflows and m.scroll_width >= 600 and any("div" in w for w in m.wide)
        blank = browser.read_png(chrome.screenshot())
    assert blank.ink_share < 0.02  # one word on white: the "not blank" check above would fail it


def test_fallback_point_is_not_repeated_as_its_own_evidence_and_quotes_are_not_doubled() -> None:
    from datetime import date, datetime, timezone

    from briefgen.models import Brief, Evidence, KeyPoint, SourceRef, Story
    from briefgen.publish.render import render

    ref = SourceRef(id="a", outlet="A", title="t", source="a.txt")
    sentence = "“We need Patriots,” he noted."
    story = Story(id="s", headline="H", summary="S", articles=[ref], outlets=1, key_points=[
        KeyPoint(text=sentence, evidence=[Evidence(article_id="a", sentences=[3], quote=sentence)], verified=True, status="fallback"),
        KeyPoint(text="Patriots are needed.", evidence=[Evidence(article_id="a", sentences=[3], quote=sentence)], verified=True),
    ])
    brief = Brief(date=date(2026, 1, 1), title="T", generated_at=datetime.now(timezone.utc), stories=[story])
    html = render(brief, "html", email=True)
    assert html.count("We need Patriots") == 2  # the fallback point once, the other point's evidence once
    assert "““" not in html
