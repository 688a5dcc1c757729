"""Score a brief against the labeled news set (tests/fixtures/newsset/): clustering and content.

    python bench/score_newsset.py [--split tune|heldout|all] [--brief FILE.json | --no-dates] [--json]

Without ``--brief`` the split's article files are copied into a temporary folder (names kept)
and built with ``python -m briefgen build TMPDIR --format json -o OUT`` (same interpreter, the
environment passed through, BRIEFGEN_HOME included); the command and its wall time are printed.
It depends only on that CLI and on the brief JSON it writes (the public contract), never on
briefgen's internals, and its functions are importable (tests/test_newsset.py uses them).

Figures (one a line), then the details behind them:

* clustering, B-cubed P/R/F1: each input file is an item; its cluster is the story whose
  ``articles`` include it (wire copies collapsed before the LLM are listed there too, as
  SourceRefs with ``wire_copy_of`` set, so they map like any member); its class is its event.
  Files in no story (failures, or lost) are singletons, and listed. Stories vs events, wrong
  merges and splits, by file.
* key-fact recall: an event's story is the one holding the plurality of its files; a fact is
  carried when ONE shown sentence of that story contains, for every group of ``all``, one of
  its alternatives (case-insensitive substrings). Overall and per beat; missed facts listed.
* wrong facts: shown sentences of any story matching a ``[[wrong]]`` pattern (re.I).
* key points verified as written / as shown (formulas at ``verified_figures``), words per shown
  point, furniture reaching the brief, background sentences shown as key points, time and
  LLM stats from ``Brief.stats``.

"Shown" mirrors briefgen's renderer (see ``shown_points``). The labels are validated first;
problems are printed as warnings.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import html as html_lib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
NEWSSET = ROOT / "tests" / "fixtures" / "newsset"
DEFAULT_LABELS = NEWSSET / "labels"
DEFAULT_SEEDS = NEWSSET / "seeds.toml"

BEATS = {"politics", "economy", "sports", "disasters", "tech", "science"}
SPLITS = {"tune", "heldout"}
STYLES = {"wire", "reprint", "seo", "broadcaster", "recap", "nonnative", "live", "press", "feature"}
FORMATS = {"txt", "md", "html", "json"}
DATED = {"full", "weekday", "published-line", "front-matter", "none"}

MAX_KEY_POINTS = 5  # briefgen's default `max_key_points`
LONG_POINT_WORDS = 35
FURNITURE_MIN_CHARS = 20  # a shown sentence *inside* a furniture line counts only when longer
BACKGROUND_OVERLAP = 0.6  # share of a point's tokens found in one background sentence
BACKGROUND_MIN_TOKENS = 3


# --------------------------------------------------------------------------- labels


@dataclass
class ArticleLabel:
    file: str  # as written in the label (relative to the articles folder, or to the repo root)
    path: Path
    style: str = ""
    format: str = ""
    dated: str = ""
    wire_of: str = ""
    furniture: list[str] = field(default_factory=list)
    background: list[str] = field(default_factory=list)


@dataclass
class Fact:
    text: str
    all: list[list[str]]
    in_: list[str]


@dataclass
class Wrong:
    text: str
    pattern: str


@dataclass
class Event:
    event: str
    beat: str
    split: str
    date: str
    description: str
    traps: list[str]
    articles: list[ArticleLabel]
    facts: list[Fact]
    wrongs: list[Wrong]
    origin: str = ""  # the label file it came from
    problems: list[str] = field(default_factory=list)  # shape problems found while reading it


def _strs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def event_from_dict(data: dict[str, Any], base: Path, origin: str = "") -> Event:
    """An Event from one parsed label table; ``file`` values are resolved against ``base``."""
    where = origin or str(data.get("event", "?"))
    problems: list[str] = []
    for key in ("event", "beat", "split", "date", "description"):
        if not isinstance(data.get(key), (str, date)) or not str(data.get(key)).strip():
            problems.append(f"{where}: missing or empty `{key}`")
    articles = []
    for i, a in enumerate(data.get("article") or []):
        if not isinstance(a, dict) or not isinstance(a.get("file"), str) or not a["file"].strip():
            problems.append(f"{where}: article #{i + 1} has no `file`")
            continue
        for key in ("furniture", "background"):
            if a.get(key) is not None and not (isinstance(a[key], list) and all(isinstance(x, str) for x in a[key])):
                problems.append(f"{where}: {a['file']}: `{key}` must be a list of strings")
        articles.append(ArticleLabel(
            file=a["file"], path=base / a["file"], style=str(a.get("style", "")), format=str(a.get("format", "")),
            dated=str(a.get("dated", "")), wire_of=str(a.get("wire_of", "") or ""),
            furniture=_strs(a.get("furniture")), background=_strs(a.get("background")),
        ))
    facts = []
    for i, f in enumerate(data.get("fact") or []):
        groups = f.get("all") if isinstance(f, dict) else None
        ok = isinstance(groups, list) and groups and all(
            isinstance(g, list) and g and all(isinstance(x, str) and x.strip() for x in g) for g in groups)
        if not ok:
            problems.append(f"{where}: fact #{i + 1}: `all` must be a non-empty list of non-empty lists of strings")
            groups = [g for g in (groups or []) if isinstance(g, list)]
            groups = [[x for x in g if isinstance(x, str) and x.strip()] for g in groups]
        facts.append(Fact(text=str(f.get("text", "")) if isinstance(f, dict) else "", all=groups or [],
                          in_=_strs(f.get("in")) if isinstance(f, dict) else []))
    wrongs = []
    for i, w in enumerate(data.get("wrong") or []):
        if not isinstance(w, dict) or not isinstance(w.get("pattern"), str) or not w["pattern"]:
            problems.append(f"{where}: wrong #{i + 1} has no `pattern`")
            continue
        wrongs.append(Wrong(text=str(w.get("text", "")), pattern=w["pattern"]))
    return Event(
        event=str(data.get("event", "")), beat=str(data.get("beat", "")), split=str(data.get("split", "")),
        date=str(data.get("date", "")), description=str(data.get("description", "")),
        traps=_strs(data.get("traps")), articles=articles, facts=facts, wrongs=wrongs,
        origin=origin, problems=problems,
    )


def _tables(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One event table (the README format), or several: ``[[event]]`` / ``[[events]]`` arrays."""
    if isinstance(data.get("event"), str):
        return [data]
    for key in ("event", "events"):
        if isinstance(data.get(key), list):
            return [t for t in data[key] if isinstance(t, dict)]
    return [v for v in data.values() if isinstance(v, dict) and "beat" in v]


def load_label_file(path: Path, base: Path) -> tuple[list[Event], list[str]]:
    """The events of one TOML label file; a file that does not parse is a problem, not a crash."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [], [f"{path.name}: cannot read: {exc}"]
    tables = _tables(data)
    if not tables:
        return [], [f"{path.name}: no event in it"]
    events = [event_from_dict(t, base, path.name) for t in tables]
    problems = []
    if len(events) == 1 and isinstance(data.get("event"), str) and path.stem != events[0].event:
        problems.append(f"{path.name}: event id {events[0].event!r} is not the file name")
    return events, problems


def load_labels(labels_dir: Path, articles_dir: Path | None = None) -> tuple[list[Event], list[str]]:
    """Every ``<event>.toml`` under ``labels_dir``; files are under ``articles_dir`` (../articles)."""
    base = articles_dir or labels_dir.parent / "articles"
    events: list[Event] = []
    problems: list[str] = []
    for path in sorted(labels_dir.glob("*.toml")):
        evs, probs = load_label_file(path, base)
        events += evs
        problems += probs
    return events, problems


def load_seeds(path: Path = DEFAULT_SEEDS) -> tuple[list[Event], list[str]]:
    """seeds.toml: the same format, ``file`` values relative to the repository root."""
    if not path.exists():
        return [], [f"{path}: does not exist"]
    return load_label_file(path, ROOT)


# --------------------------------------------------------------------------- text helpers

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " "})
_TAG = re.compile(r"<[^>]+>")


def squash(text: str) -> str:
    """Whitespace collapsed (only)."""
    return " ".join(text.split())


def norm(text: str) -> str:
    """Whitespace collapsed, quotes/dashes made plain, casefolded."""
    return " ".join(text.translate(_QUOTES).split()).casefold()


def visible_html_text(raw: str) -> str:
    """A crude visible text of a page: scripts/styles dropped, tags become breaks, entities decoded."""
    body = re.sub(r"(?is)<(script|style|noscript)\b.*?</\1>", " ", raw)
    body = re.sub(r"(?is)<!--.*?-->", " ", body)
    block = r"(?i)</?(?:p|div|li|ul|ol|h[1-6]|br|tr|td|th|section|article|header|footer|nav|aside|figure|figcaption|blockquote|title|main|span|a)\b[^>]*>"
    inline = re.sub(block, "\n", body)
    return html_lib.unescape(_TAG.sub("", inline))


def _json_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def file_texts(path: Path) -> list[str]:
    """The texts a label line may be found in: the raw file, plus the visible text of an HTML
    page (tags between words of one element) and the decoded strings of a JSON article."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    texts = [raw]
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        texts.append(visible_html_text(raw))
        texts.append(html_lib.unescape(_TAG.sub("", raw)))
    elif suffix == ".json":
        try:
            texts += _json_strings(json.loads(raw))
        except json.JSONDecodeError:
            pass
    return texts


_ABBREV = {"mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "capt", "st", "jr",
           "sr", "inc", "corp", "co", "ltd", "no", "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
           "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "d.c", "approx", "est"}
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a summary: split after . ! ? before a capital or digit, not after an
    abbreviation ("U.S.", "Mr.") or an initial ("J.")."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = text[start:m.start() + 1]
        word = re.search(r"([\w.]+)[.!?]$", before)
        token = word.group(1).casefold().strip(".") if word else ""
        if text[m.start()] == "." and (token in _ABBREV or (len(token) == 1 and token.isalpha())):
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


# --------------------------------------------------------------------------- what the brief shows


def _points(story: dict[str, Any]) -> list[dict[str, Any]]:
    return [kp for kp in story.get("key_points") or [] if isinstance(kp, dict)]


def brief_shows_unverified(brief: dict[str, Any]) -> bool:
    """Whether the brief was built to show unverified points (``--show-unverified``, ``unverified =
    "mark"``): only then does briefgen keep points that failed grounding in the JSON at all."""
    return any(not kp.get("verified", False) for s in brief.get("stories") or [] for kp in _points(s))


def shown_points(story: dict[str, Any], *, max_key_points: int = MAX_KEY_POINTS,
                 show_unverified: bool = False) -> list[dict[str, Any]]:
    """The key points briefgen's renderer shows for a shown story (publish/render.py
    ``_story_view``): ``visible = [kp for kp in key_points if kp.verified or show_unverified]``,
    then ``visible[:point_limit]`` in JSON order (``max_key_points``, one more per further outlet). The cut is on ``verified`` (a merged point is
    verified only when all its sources' points were), so a status "unverified" point is shown
    only with ``show_unverified``. A story with ``shown: false`` shows nothing."""
    if not story.get("shown", True):
        return []
    visible = [kp for kp in _points(story) if kp.get("verified", False) or show_unverified]
    return visible[:story_point_limit(story, max_key_points)]


def story_point_limit(story: dict[str, Any], max_key_points: int) -> int:
    """briefgen.publish.rank.point_limit on a story of the JSON brief: one more point a further outlet."""
    from briefgen.publish.rank import MAX_STORY_POINTS, POINTS_PER_EXTRA_OUTLET

    if story.get("point_budget"):
        return min(int(story["point_budget"]), MAX_STORY_POINTS)
    extra = POINTS_PER_EXTRA_OUTLET * max(int(story.get("outlets") or 1) - 1, 0)
    return max(max_key_points, min(max_key_points + extra, MAX_STORY_POINTS))


def shown_sentences(story: dict[str, Any], *, max_key_points: int = MAX_KEY_POINTS,
                    show_unverified: bool = False) -> list[tuple[str, str]]:
    """(kind, text) of every shown sentence: the headline, each sentence of the summary, each
    shown key point's text (one unit, however many sentences it has)."""
    if not story.get("shown", True):
        return []
    out: list[tuple[str, str]] = []
    if (story.get("headline") or "").strip():
        out.append(("headline", story["headline"].strip()))
    out += [("summary", s) for s in split_sentences(story.get("summary") or "")]
    out += [("point", kp.get("text", "")) for kp in shown_points(story, max_key_points=max_key_points,
                                                                  show_unverified=show_unverified)]
    return out


# --------------------------------------------------------------------------- clustering


def source_key(source: str) -> str:
    """The file name a SourceRef/Failure ``source`` names (a JSON list item ``x.json[2]`` → ``x.json``)."""
    name = re.split(r"[\\/]", source.rstrip("/\\"))[-1]
    return re.sub(r"\[\d+\]$", "", name)


def story_sources(story: dict[str, Any]) -> list[str]:
    """Every source of a story, wire copies included: briefgen lists a copy collapsed before the
    LLM among the story's ``articles`` as a SourceRef whose ``wire_copy_of`` is the id of the
    article it reprints (dedupe/stories.py ``story_refs``: each member then its ``copies``)."""
    out = []
    for ref in story.get("articles") or []:
        if isinstance(ref, dict):
            if ref.get("source"):
                out.append(ref["source"])
            for copy in ref.get("copies") or []:  # defensive: nested copies, if a schema ever has them
                if isinstance(copy, dict) and copy.get("source"):
                    out.append(copy["source"])
    return out


@dataclass
class Assignment:
    cluster: dict[str, str]  # item → cluster id ("story:<index>" or "missing:<item>")
    story_of: dict[str, int]  # item → index into brief["stories"]
    missing: list[str]  # items in no story
    failed: dict[str, str]  # item → failure reason (items among the brief's failures)
    unlabeled: list[str]  # sources in the brief that map to no labeled item
    duplicates: list[str]  # items found in more than one story


def assign(brief: dict[str, Any], items: dict[str, str]) -> Assignment:
    """Map every item (a key ``source_key`` can produce) to the story it ended in.

    ``items`` maps an item key (file name) to its label file; see ``item_keys``."""
    story_of: dict[str, int] = {}
    unlabeled: list[str] = []
    duplicates: list[str] = []
    for i, story in enumerate(brief.get("stories") or []):
        for source in story_sources(story):
            key = source_key(source)
            if key not in items:
                unlabeled.append(source)
            elif key in story_of and story_of[key] != i:
                duplicates.append(key)
            else:
                story_of.setdefault(key, i)
    failed = {}
    for f in brief.get("failures") or []:
        key = source_key(f.get("source", ""))
        if key in items:
            failed.setdefault(key, f.get("reason", ""))
    cluster = {k: (f"story:{story_of[k]}" if k in story_of else f"missing:{k}") for k in items}
    missing = [k for k in items if k not in story_of]
    return Assignment(cluster, story_of, missing, failed, sorted(set(unlabeled)), sorted(set(duplicates)))


def bcubed(cluster: dict[str, str], klass: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 over the items of ``klass`` (item → cluster, item → class).

    For item i: P_i = |C(i) ∩ K(i)| / |C(i)|, R_i = |C(i) ∩ K(i)| / |K(i)|, both over items only;
    P and R are the means over items, F1 = 2PR / (P + R)."""
    items = list(klass)
    if not items:
        return 1.0, 1.0, 1.0
    by_cluster: dict[str, set[str]] = defaultdict(set)
    by_class: dict[str, set[str]] = defaultdict(set)
    for i in items:
        by_cluster[cluster[i]].add(i)
        by_class[klass[i]].add(i)
    p = r = 0.0
    for i in items:
        both = len(by_cluster[cluster[i]] & by_class[klass[i]])
        p += both / len(by_cluster[cluster[i]])
        r += both / len(by_class[klass[i]])
    p, r = p / len(items), r / len(items)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def item_keys(events: list[Event]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(key → label file, key → event, problems): keys are file names, as briefgen's sources end."""
    files: dict[str, str] = {}
    event_of: dict[str, str] = {}
    problems = []
    for ev in events:
        for a in ev.articles:
            key = source_key(a.file)
            if key in files and files[key] != a.file:
                problems.append(f"{a.file}: same file name as {files[key]} (ambiguous in a brief)")
            files.setdefault(key, a.file)
            event_of.setdefault(key, ev.event)
    return files, event_of, problems


def merges_and_splits(brief: dict[str, Any], asg: Assignment, event_of: dict[str, str]
                      ) -> tuple[list[str], list[str]]:
    """Wrong merges (a story with files of several events) and splits (an event in several
    clusters, a missing file counting as its own), each as a line naming the files."""
    stories = brief.get("stories") or []
    members: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for item, si in sorted(asg.story_of.items()):
        members[si][event_of[item]].append(item)
    merges = []
    for si in sorted(members):
        if len(members[si]) > 1:
            head = (stories[si].get("headline") or "")[:60]
            parts = "; ".join(f"{ev}: {', '.join(fs)}" for ev, fs in sorted(members[si].items()))
            merges.append(f"story {si + 1} ({head!r}): {parts}")
    splits = []
    by_event: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for item, ev in sorted(event_of.items()):
        by_event[ev][asg.cluster[item]].append(item)
    for ev in sorted(by_event):
        if len(by_event[ev]) > 1:
            parts = []
            for cl, fs in sorted(by_event[ev].items(), key=lambda kv: (kv[0].startswith("missing"), kv[0])):
                label = f"story {int(cl.split(':')[1]) + 1}" if cl.startswith("story:") else "in no story"
                parts.append(f"{label}: {', '.join(fs)}")
            splits.append(f"{ev}: " + "; ".join(parts))
    return merges, splits


# --------------------------------------------------------------------------- content


def carries(groups: list[list[str]], sentence: str) -> bool:
    """True when ``sentence`` contains, for every group, one of its alternatives (case-insensitive)."""
    s = norm(sentence)
    return bool(groups) and all(any(norm(alt) in s for alt in group) for group in groups)


def carrying_sentence(fact: Fact, sentences: list[tuple[str, str]]) -> str | None:
    for _, text in sentences:
        if carries(fact.all, text):
            return text
    return None


def plurality_story(event: Event, asg: Assignment) -> int | None:
    """The story holding most of the event's files (a tie goes to the higher-ranked story)."""
    counts = Counter(asg.story_of[k] for k in (source_key(a.file) for a in event.articles) if k in asg.story_of)
    if not counts:
        return None
    return min(counts, key=lambda si: (-counts[si], si))


def furniture_match(sentence: str, lines: list[str]) -> str | None:
    """The labeled furniture line a shown sentence contains (as whole words), or that contains the
    sentence when the sentence is longer than FURNITURE_MIN_CHARS; None when neither."""
    s = norm(sentence)
    for line in lines:
        f = norm(line)
        if not f:
            continue
        if re.search(r"(?<!\w)" + re.escape(f) + r"(?!\w)", s):
            return line
        if len(s) > FURNITURE_MIN_CHARS and s in f:
            return line
    return None


_STOP = frozenset(["a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "with",
    "from", "as", "is", "are", "was", "were", "be", "been", "has", "have", "had", "it", "its", "this",
    "that", "these", "those", "he", "she", "they", "his", "her", "their", "will", "would", "said", "says"])


def tokens(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", norm(text)) if t not in _STOP}


def background_match(point: str, sentences: list[str], share: float = BACKGROUND_OVERLAP) -> str | None:
    """The labeled background sentence holding ≥ ``share`` of the point's tokens (stop words out)."""
    pt = tokens(point)
    if len(pt) < BACKGROUND_MIN_TOKENS:
        return None
    best = max(sentences, key=lambda b: len(pt & tokens(b)), default=None)
    if best is not None and len(pt & tokens(best)) / len(pt) >= share:
        return best
    return None


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def verified_figures(brief: dict[str, Any], *, max_key_points: int, show_unverified: bool,
                     stories: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Key points verified, as written and as shown.

    Statuses (models.py, notes/ground.py): the model's point checked and kept → "verified"; its
    check failed → replaced by its cited sentence, "fallback" (verified=True, text the source's),
    or dropped, or kept as "unverified" with --show-unverified; "extracted" → a sentence code
    added to a thin story (verified=True, never written by the model).

    * as written (stats) = (grounding.verified + repaired) / grounding.generated — every point the model
      wrote, counted at grounding, before repeats are dropped and points merged across sources;
      the failures are the fallbacks and drops.
    * as written (in brief) = #points with status "verified" / #points with status other than
      "extracted", over every story's key points in the JSON: a fallback stands for a model point
      that failed, so it stays in the denominator (leaving it out would give ≈100% by construction).
    * as shown = #shown points with verified true / #shown points (a fallback or extracted point
      is a verbatim source sentence: verified).

    The last two count the points of ``stories`` (default: every story of the brief); the first
    is the whole build's.
    """
    stories = brief.get("stories") or [] if stories is None else stories
    g = (brief.get("stats") or {}).get("grounding") or {}
    all_points = [kp for s in stories for kp in _points(s)]
    # Chosen sentences ("selected") are, like extracted ones, the source's words: not written.
    written = [kp for kp in all_points if kp.get("status", "generated") not in ("extracted", "selected")]
    ok = ("verified", "repaired")  # repaired: the text held, only its citation was corrected
    shown = [kp for s in stories
             for kp in shown_points(s, max_key_points=max_key_points, show_unverified=show_unverified)]
    return {
        "as_written_stats": {"verified": g.get("verified", 0) + g.get("repaired", 0), "generated": g.get("generated", 0),
                             "share": _ratio(g.get("verified", 0) + g.get("repaired", 0), g.get("generated", 0))},
        "as_written_brief": {"verified": sum(kp.get("status") in ok for kp in written),
                             "written": len(written),
                             "share": _ratio(sum(kp.get("status") in ok for kp in written), len(written))},
        "as_shown": {"verified": sum(bool(kp.get("verified")) for kp in shown), "shown": len(shown),
                     "share": _ratio(sum(bool(kp.get("verified")) for kp in shown), len(shown)),
                     "by_status": dict(Counter(kp.get("status", "generated") for kp in shown))},
    }


def _cited_by_several(ev: Event, story: dict[str, Any] | None, opts: dict[str, Any], cited_list: list[dict[str, Any]]) -> int:
    """How many of ``ev``'s facts two or more non-wire articles state; each one carried by one
    shown key point of ``story`` citing two or more of them is appended to ``cited_list``."""
    if story is None:
        return 0
    wires = {source_key(a.file) for a in ev.articles if a.wire_of}
    file_of = {ref.get("id"): source_key(ref.get("source") or "") for ref in story.get("articles") or []
               if isinstance(ref, dict)}
    total = 0
    for fact in ev.facts:
        stating = {source_key(f) for f in fact.in_} - wires
        if len(stating) < 2:
            continue
        total += 1
        for kp in shown_points(story, **opts):
            cited = {file_of.get(e.get("article_id")) for e in kp.get("evidence") or []}
            if len(cited & stating) >= 2 and carries(fact.all, kp.get("text") or ""):
                cited_list.append({"event": ev.event, "fact": fact.text, "point": kp.get("text")})
                break
    return total


def score(brief: dict[str, Any], events: list[Event], *, all_events: list[Event] | None = None,
          max_key_points: int = MAX_KEY_POINTS, show_unverified: bool | None = None) -> dict[str, Any]:
    """Every figure for ``brief`` against ``events`` (the scored split). Furniture and background
    lines are taken from ``all_events`` (default: ``events``): a line of ANY labeled article.

    Per-story figures (wrong facts, furniture, background, words, verified in the brief) count
    the stories in scope: those holding a file of ``events``, or no labeled file at all (so a
    brief of the whole set scored on one split leaves the other split's stories out)."""
    all_events = all_events if all_events is not None else events
    if show_unverified is None:
        show_unverified = brief_shows_unverified(brief)
    opts = {"max_key_points": max_key_points, "show_unverified": show_unverified}
    stories = brief.get("stories") or []
    files, event_of, _ = item_keys(events)
    asg = assign(brief, files)
    p, r, f1 = bcubed(asg.cluster, event_of)
    merges, splits = merges_and_splits(brief, asg, event_of)
    labeled, _, _ = item_keys(all_events)
    in_scope = []
    for story in stories:
        keys = {source_key(src) for src in story_sources(story)}
        in_scope.append(bool(keys & set(files)) or not keys & set(labeled))

    # key facts
    beats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed, carried_list = [], []
    shared_total, shared_cited = 0, []  # facts several outlets state: ONE shown point citing 2+ of them
    for ev in events:
        si = plurality_story(ev, asg)
        sents = shown_sentences(stories[si], **opts) if si is not None else []
        shared_total += _cited_by_several(ev, stories[si] if si is not None else None, opts, shared_cited)
        for fact in ev.facts:
            beats[ev.beat][1] += 1
            hit = carrying_sentence(fact, sents)
            if hit is not None:
                beats[ev.beat][0] += 1
                carried_list.append({"event": ev.event, "fact": fact.text, "sentence": hit})
            else:
                why = ("no story" if si is None else
                       f"story {si + 1} not shown" if not stories[si].get("shown", True) else f"story {si + 1}")
                missed.append({"event": ev.event, "beat": ev.beat, "fact": fact.text, "where": why})
    total_facts = sum(t for _, t in beats.values())
    total_carried = sum(c for c, _ in beats.values())

    # every shown sentence of every story
    furniture = [line for ev in all_events for a in ev.articles for line in a.furniture]
    background = [line for ev in all_events for a in ev.articles for line in a.background]
    wrong_hits, furniture_hits, background_hits, long_points = [], [], [], []
    point_words: list[int] = []
    compiled = []
    for ev in events:
        for w in ev.wrongs:
            try:
                compiled.append((ev.event, w, re.compile(w.pattern, re.IGNORECASE)))
            except re.error:
                pass
    for si, story in enumerate(stories):
        if not in_scope[si]:
            continue
        for kind, text in shown_sentences(story, **opts):
            for ev_id, w, rx in compiled:
                if rx.search(text):
                    wrong_hits.append({"event": ev_id, "wrong": w.text, "story": si + 1, "kind": kind,
                                       "sentence": text})
            line = furniture_match(text, furniture)
            if line is not None:
                furniture_hits.append({"story": si + 1, "kind": kind, "sentence": text, "furniture": line})
        for kp in shown_points(story, **opts):
            n = len((kp.get("text") or "").split())
            point_words.append(n)
            if n > LONG_POINT_WORDS:
                long_points.append({"story": si + 1, "words": n, "point": kp.get("text", "")})
            bg = background_match(kp.get("text", ""), background)
            if bg is not None:
                background_hits.append({"story": si + 1, "point": kp.get("text", ""), "background": bg})

    stats = brief.get("stats") or {}
    covered = {si for si in asg.story_of.values()}
    return {
        "events": len(events),
        "files": len(files),
        "stories": len(stories),
        "stories_with_labeled_files": len(covered),
        "stories_shown": sum(bool(s.get("shown", True)) for s in stories),
        "stories_in_scope": sum(in_scope),
        "clustering": {
            "precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
            "wrong_merges": merges, "splits": splits,
            "missing": [{"file": files[k], "event": event_of[k], "failure": asg.failed.get(k)} for k in asg.missing],
            "unlabeled_sources": asg.unlabeled, "in_several_stories": asg.duplicates,
        },
        "facts": {
            "carried": total_carried, "total": total_facts, "recall": _ratio(total_carried, total_facts),
            "by_beat": {b: {"carried": c, "total": t, "recall": _ratio(c, t)} for b, (c, t) in sorted(beats.items())},
            "missed": missed, "carried_by": carried_list,
            "shared": {"total": shared_total, "cited_by_several": len(shared_cited),
                       "share": _ratio(len(shared_cited), shared_total), "points": shared_cited},
        },
        "wrong_facts": {"count": len(wrong_hits), "hits": wrong_hits},
        "verified": verified_figures(brief, stories=[s for s, ok in zip(stories, in_scope, strict=True) if ok], **opts),
        "point_words": {"count": len(point_words),
                        "mean": round(sum(point_words) / len(point_words), 2) if point_words else None,
                        "max": max(point_words, default=0), f"over_{LONG_POINT_WORDS}": len(long_points),
                        "long": long_points},
        "furniture": {"count": len(furniture_hits), "hits": furniture_hits},
        "background_points": {"count": len(background_hits), "hits": background_hits},
        "stats": {k: stats.get(k) for k in ("wall_time_s", "model_start_s", "llm_seconds", "llm_calls", "cache_hits",
                                            "tokens_in", "tokens_out", "model", "backend", "articles_in",
                                            "articles_unique", "articles_failed", "furniture_lines_removed")},
        "grounding": stats.get("grounding") or {},
        "show_unverified": show_unverified,
        "max_key_points": max_key_points,
    }


# --------------------------------------------------------------------------- validation


def validate(events: list[Event], all_events: list[Event] | None = None) -> tuple[list[str], list[str]]:
    """(problems, notes) of a label set. Problems: shapes and enum values, files exist and are
    unique, furniture/background lines occur verbatim (whitespace collapsed) in their files,
    each fact group matches one of its `in` files, patterns compile and match no fact text of
    the set. Notes (not failures): a fact text that its own groups would not carry."""
    all_events = all_events if all_events is not None else events
    problems: list[str] = []
    notes: list[str] = []
    ids = Counter(ev.event for ev in events)
    problems += [f"event {e!r} is labeled {n} times" for e, n in ids.items() if n > 1]
    known = {ev.event for ev in all_events}
    fact_texts = [(ev.event, f.text) for ev in all_events for f in ev.facts if f.text]
    seen_files: dict[str, str] = {}
    texts_cache: dict[Path, list[str]] = {}

    def texts(path: Path) -> list[str]:
        if path not in texts_cache:
            texts_cache[path] = file_texts(path)
        return texts_cache[path]

    for ev in events:
        w = ev.event or ev.origin
        problems += ev.problems
        if ev.beat and ev.beat not in BEATS:
            problems.append(f"{w}: beat {ev.beat!r} is not one of {sorted(BEATS)}")
        if ev.split and ev.split not in SPLITS:
            problems.append(f"{w}: split {ev.split!r} is not one of {sorted(SPLITS)}")
        try:
            date.fromisoformat(ev.date)
        except ValueError:
            problems.append(f"{w}: date {ev.date!r} is not YYYY-MM-DD")
        problems += [f"{w}: trap {t!r} is no labeled event" for t in ev.traps if t not in known]
        if not ev.articles:
            problems.append(f"{w}: no [[article]]")
        if not ev.facts:
            problems.append(f"{w}: no [[fact]]")
        names = {a.file for a in ev.articles}
        for a in ev.articles:
            if a.file in seen_files:
                problems.append(f"{w}: {a.file} is also an article of {seen_files[a.file]}")
            seen_files.setdefault(a.file, w)
            for key, value, allowed in (("style", a.style, STYLES), ("format", a.format, FORMATS),
                                        ("dated", a.dated, DATED)):
                if value and value not in allowed:
                    problems.append(f"{w}: {a.file}: {key} {value!r} is not one of {sorted(allowed)}")
            if a.wire_of and a.wire_of not in names:
                problems.append(f"{w}: {a.file}: wire_of {a.wire_of!r} is not an article of this event")
            if not a.path.is_file():
                problems.append(f"{w}: {a.file}: file does not exist ({a.path})")
                continue
            hay = [squash(t) for t in texts(a.path)]
            for kind, lines in (("furniture", a.furniture), ("background", a.background)):
                for line in lines:
                    if not squash(line) or not any(squash(line) in h for h in hay):
                        problems.append(f"{w}: {a.file}: {kind} line not found verbatim: {line[:80]!r}")
        for i, fact in enumerate(ev.facts, 1):
            label = f"{w}: fact #{i} ({fact.text[:50]!r})"
            if not fact.text.strip():
                problems.append(f"{label}: no `text`")
            if not fact.in_:
                problems.append(f"{label}: no `in` files")
            bad = [f for f in fact.in_ if f not in names]
            problems += [f"{label}: `in` file {f!r} is not an article of this event" for f in bad]
            in_texts = [norm(" ".join(texts(a.path))) for a in ev.articles if a.file in fact.in_ and a.path.is_file()]
            for group in fact.all:
                if in_texts and not any(any(norm(alt) in t for alt in group) for t in in_texts):
                    problems.append(f"{label}: group {group} matches none of its `in` files")
            if fact.text and fact.all and not carries(fact.all, fact.text):
                notes.append(f"{label}: its own text would not count as carried")
        for wr in ev.wrongs:
            try:
                rx = re.compile(wr.pattern, re.IGNORECASE)
            except re.error as exc:
                problems.append(f"{w}: wrong pattern {wr.pattern!r} does not compile: {exc}")
                continue
            for ev_id, text in fact_texts:
                if rx.search(text):
                    problems.append(f"{w}: wrong pattern {wr.pattern!r} matches a fact of {ev_id}: {text[:60]!r}")
    _, _, dup = item_keys(events)
    problems += dup
    return problems, notes


# --------------------------------------------------------------------------- dates removed

_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
           r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?")
_FULL_DATE = re.compile(
    rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"  # September 17, 2025
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS},?\s+\d{{4}}\b"  # 17 September 2025
    r"|\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)"  # ISO
    r"|\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{4}/\d{2}/\d{2}\b",
    re.IGNORECASE,
)
# A line of publication: "Published: …", "Updated 17 Sept 2025 14:02", "Last updated on …", "Date: …"
# (a body sentence that merely starts with "Updated" has no colon, date, time or weekday).
_DATE_LINE = re.compile(r"^\W*(?:(?:first\s+|last\s+)?(?:published|updated|posted|modified)\b"
                        r"(?:\s+(?:on|at))?\s*[:|\-–—]|date\s*:)", re.IGNORECASE)
_DATE_WORD_LINE = re.compile(r"^\W*(?:first\s+|last\s+)?(?:published|updated|posted|modified)\b", re.IGNORECASE)
_TIMEISH = re.compile(r"\d{1,2}[:.]\d{2}|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\bago\b|\b\d{4}\b", re.IGNORECASE)
_FRONT_KEYS = re.compile(r"^\s*(?:published|date|updated|modified|published_at|date_published)\s*[:=]", re.IGNORECASE)
_JSON_KEYS = {"published", "date", "updated", "modified", "published_at", "publishedAt", "date_published",
              "datePublished", "dateModified", "pubDate"}
_URL_DATE = re.compile(r"/\d{4}/\d{1,2}/\d{1,2}(?=/)")


def remove_dates(text: str) -> str:
    """Full dates out of running text; weekday words stay. Only lines that held a date change."""

    def fix(line: str) -> str:
        if not _FULL_DATE.search(line):
            return line
        # "WASHINGTON, September 17, 2025 (Reuters)" → "WASHINGTON (Reuters)"; "cut on 2025-09-17." → "cut."
        out = re.sub(rf"(?:,[ \t]*|\b(?:on|of)[ \t]+)?(?:{_FULL_DATE.pattern})", "", line, flags=re.IGNORECASE)
        out = re.sub(r"^([ \t]*),[ \t]*", r"\1", out)
        out = re.sub(r"[ \t]+([,.;:)])", r"\1", out)
        out = re.sub(r",(?:[ \t]*,)+", ",", out)
        out = re.sub(r"\([ \t]*\)", "", out)
        out = re.sub(r",([ \t]*[.;:])", r"\1", out)
        return re.sub(r"(?<=\S)[ \t]{2,}", " ", out)

    return "".join(fix(line) for line in text.splitlines(keepends=True))


def is_date_line(line: str) -> bool:
    """A short "Published: …" / "Updated 17 Sept 2025" line (not a sentence starting "Updated")."""
    line = line.strip()
    if not line or len(line) > 120:
        return False
    return bool(_DATE_LINE.match(line) or (_DATE_WORD_LINE.match(line) and _TIMEISH.search(line)))


def _drop_date_lines(text: str) -> str:
    keep = []
    for line in text.splitlines(keepends=True):
        plain = squash(visible_html_text(line)) if "<" in line else line
        if is_date_line(plain):
            continue
        keep.append(line)
    return "".join(keep)


def undate(text: str, suffix: str) -> str:
    """A copy of an article without its dates (``--no-dates``): ``published`` (and date-like keys)
    out of YAML/TOML front matter and JSON objects, publication lines ("Published:", "Updated …")
    dropped, full dates ("September 17, 2025", "17 September 2025", "2025-09-17") removed from the
    text, and for HTML also date meta tags, ``datetime`` attributes and /YYYY/MM/DD/ in URLs."""
    suffix = suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return remove_dates(_drop_date_lines(text))

        def clean(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items() if k not in _JSON_KEYS}
            if isinstance(value, list):
                return [clean(v) for v in value]
            if isinstance(value, str):
                return remove_dates(_drop_date_lines(_URL_DATE.sub("", value)))
            return value

        return json.dumps(clean(data), ensure_ascii=False, indent=2) + "\n"
    if suffix in (".html", ".htm"):
        out = re.sub(r"(?is)<meta\b[^>]*(?:date|time|published|modified)[^>]*>", "", text)
        out = re.sub(r"(?i)\s(?:datetime|data-published|data-date)\s*=\s*(\"[^\"]*\"|'[^']*')", "", out)
        out = re.sub(r">([^<>]{1,120})<", lambda m: "><" if is_date_line(html_lib.unescape(m.group(1))) else m.group(0),
                     out)
        out = _URL_DATE.sub("", out)
        return remove_dates(_drop_date_lines(out))
    front, body = "", text
    m = re.match(r"\A(---|\+\+\+)[ \t]*\r?\n(.*?)\r?\n\1[ \t]*(?:\r?\n|\Z)", text, re.DOTALL)
    if m:
        kept = [ln for ln in m.group(2).splitlines() if not _FRONT_KEYS.match(ln)]
        kept = [_URL_DATE.sub("", ln) for ln in kept]
        front = f"{m.group(1)}\n" + "".join(ln + "\n" for ln in kept) + f"{m.group(1)}\n"
        body = text[m.end():]
    return front + remove_dates(_drop_date_lines(body))


# --------------------------------------------------------------------------- building


def copy_inputs(events: list[Event], dest: Path, *, no_dates: bool = False) -> dict[str, str]:
    """Copy the events' article files into ``dest`` (names kept); returns copy name → label file."""
    names: dict[str, str] = {}
    for ev in events:
        for a in ev.articles:
            if not a.path.is_file():
                continue
            name = a.path.name
            if name in names:
                raise SystemExit(f"two labeled files named {name} ({names[name]}, {a.file}): rename one")
            names[name] = a.file
            if no_dates:
                raw = a.path.read_text(encoding="utf-8", errors="replace")
                (dest / name).write_text(undate(raw, a.path.suffix), encoding="utf-8")
            else:
                shutil.copyfile(a.path, dest / name)
    return names


@contextlib.contextmanager
def _fixed_dir(path: Path) -> Iterator[Path]:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def build(events: list[Event], out: Path, *, no_dates: bool = False, extra: list[str] | None = None,
          max_stories: int | None = None, show_unverified: bool = False) -> tuple[dict[str, Any], str, float]:
    """Build the brief of the events' files with the CLI; (brief JSON, command, wall seconds)."""
    # A folder named by the set it holds, not a random one: an article's id hashes its path,
    # and stories order their members by id, so a random folder made two builds of the same
    # cached replies differ (which pairs the cross-check asked, which points a story showed).
    key = hashlib.sha256("\n".join(sorted(a.file for ev in events for a in ev.articles)).encode()).hexdigest()[:10]
    with _fixed_dir(Path(tempfile.gettempdir()) / f"briefgen-newsset-{key}{'-nodates' if no_dates else ''}") as tmp:
        inputs = Path(tmp) / "articles"
        inputs.mkdir()
        copied = copy_inputs(events, inputs, no_dates=no_dates)
        if not copied:
            raise SystemExit("no article file of the split exists: nothing to build")
        cmd = [sys.executable, "-m", "briefgen", "build", str(inputs), "--format", "json", "-o", str(out)]
        if max_stories:
            cmd += ["--max-stories", str(max_stories)]
        if show_unverified:
            cmd.append("--show-unverified")
        cmd += extra or []
        home = os.environ.get("BRIEFGEN_HOME")
        print(f"$ {shlex.join(cmd)}" + (f"   (BRIEFGEN_HOME={home})" if home else "   (BRIEFGEN_HOME unset)"),
              file=sys.stderr, flush=True)
        started = time.monotonic()
        proc = subprocess.run(cmd, env=dict(os.environ), cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        print(f"wall time {wall:.1f} s, exit {proc.returncode}", file=sys.stderr, flush=True)
        if proc.returncode not in (0, 3) or not out.exists():
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise SystemExit(f"build failed (exit {proc.returncode}):\n{tail}")
        return json.loads(out.read_text(encoding="utf-8")), shlex.join(cmd), wall


# --------------------------------------------------------------------------- report


def _fmt(share: float | None) -> str:
    return "-" if share is None else f"{share:.3f}"


def table(fig: dict[str, Any]) -> str:
    """The figures, one a line, then the lists behind them."""
    c, f, v, pw, st = fig["clustering"], fig["facts"], fig["verified"], fig["point_words"], fig["stats"]
    rows: list[tuple[str, str]] = []
    if fig.get("split"):
        rows.append(("split", f"{fig['split']} ({fig['events']} events, {fig['files']} files)"))
    if fig.get("command"):
        rows.append(("build command", fig["command"]))
        rows.append(("build wall time", f"{fig['build_wall_s']:.1f} s"))
    rows += [
        ("stories / events", (f"{fig['stories']} / {fig['events']} ({fig['stories_shown']} shown, "
                              f"{fig['stories_with_labeled_files']} with labeled files)")),
        ("B-cubed precision", _fmt(c["precision"])),
        ("B-cubed recall", _fmt(c["recall"])),
        ("B-cubed F1", _fmt(c["f1"])),
        ("wrong merges / split events", f"{len(c['wrong_merges'])} / {len(c['splits'])}"),
        ("files in no story", str(len(c["missing"]))),
        ("key-fact recall", f"{_fmt(f['recall'])} ({f['carried']}/{f['total']})"),
    ]
    rows += [(f"  {beat}", f"{_fmt(b['recall'])} ({b['carried']}/{b['total']})") for beat, b in f["by_beat"].items()]
    sh = f["shared"]
    rows.append(("facts of several outlets, one point citing 2+", f"{_fmt(sh['share'])} ({sh['cited_by_several']}/{sh['total']})"))
    w, b, s = v["as_written_stats"], v["as_written_brief"], v["as_shown"]
    rows += [
        ("wrong facts", str(fig["wrong_facts"]["count"])),
        ("verified as written (stats)", f"{_fmt(w['share'])} ({w['verified']}/{w['generated']})"),
        ("verified as written (in brief)", f"{_fmt(b['share'])} ({b['verified']}/{b['written']})"),
        ("verified as shown", f"{_fmt(s['share'])} ({s['verified']}/{s['shown']}; "
                              + ", ".join(f"{k} {n}" for k, n in sorted(s["by_status"].items())) + ")"),
        ("words per shown point", (f"mean {pw['mean'] if pw['mean'] is not None else '-'}, max {pw['max']}, "
                                   f"over {LONG_POINT_WORDS}: {pw[f'over_{LONG_POINT_WORDS}']} of {pw['count']}")),
        ("furniture in the brief", str(fig["furniture"]["count"])),
        ("background as key point", str(fig["background_points"]["count"])),
        ("brief wall time", f"{st['wall_time_s']} s" if st.get("wall_time_s") is not None else "-"),
        ("model start / LLM time", f"{st.get('model_start_s')} s / {st.get('llm_seconds')} s"),
        ("LLM calls (cached)", f"{st.get('llm_calls')} ({st.get('cache_hits')})"),
        ("tokens in / out", f"{st.get('tokens_in')} / {st.get('tokens_out')}"),
        ("model", f"{st.get('model')} ({st.get('backend')})"),
        ("grounding", ", ".join(f"{k} {n}" for k, n in fig["grounding"].items()) or "-"),
    ]
    width = max(len(a) for a, _ in rows)
    lines = [f"{a:<{width}}  {b2}" for a, b2 in rows]

    def section(title: str, items: list[str]) -> None:
        if items:
            lines.append("")
            lines.append(f"{title} ({len(items)}):")
            lines.extend(f"  - {x}" for x in items)

    section("wrong merges", c["wrong_merges"])
    section("split events", c["splits"])
    section("files in no story", [f"{m['file']} ({m['event']})" + (f": failed: {m['failure']}" if m["failure"] else "")
                                  for m in c["missing"]])
    section("sources in the brief with no label", c["unlabeled_sources"])
    section("missed facts", [f"{m['event']}: {m['fact']} [{m['where']}]" for m in f["missed"]])
    section("wrong facts", [f"{h['event']}: {h['wrong']} — story {h['story']} {h['kind']}: {h['sentence'][:120]!r}"
                            for h in fig["wrong_facts"]["hits"]])
    section("furniture in the brief", [f"story {h['story']} {h['kind']}: {h['sentence'][:100]!r} ~ {h['furniture'][:60]!r}"
                                       for h in fig["furniture"]["hits"]])
    section("background as key point", [f"story {h['story']}: {h['point'][:100]!r} ~ {h['background'][:60]!r}"
                                         for h in fig["background_points"]["hits"]])
    section(f"points over {LONG_POINT_WORDS} words", [f"story {h['story']} ({h['words']} words): {h['point'][:100]!r}"
                                                      for h in pw["long"]])
    return "\n".join(lines)


def select(events: list[Event], split: str) -> list[Event]:
    return [ev for ev in events if split == "all" or ev.split == split]


HELP = """\
Score a briefgen brief against the labeled news set (tests/fixtures/newsset/).

Builds the brief of a split (or reads one with --brief), then prints one figure a line:
  clustering     B-cubed precision/recall/F1: items are input files, a file's cluster is the
                 story listing it among its articles (wire copies included), its class its
                 event; files in no story (failures) are singletons. Stories vs events, wrong
                 merges and split events, by file.
  key facts      recall overall and per beat: a fact is carried when ONE shown sentence of the
                 event's story (the one holding most of its files) contains one alternative of
                 every group of its `all`; missed facts listed.
  wrong facts    shown sentences of any story matching a [[wrong]] pattern.
  verified       key points verified as written (grounding.verified / grounding.generated, and
                 status "verified" / non-extracted points in the brief) and as shown.
  words          per shown key point: mean, max, how many over 35.
  furniture      shown sentences holding a labeled furniture line (or held by one).
  background     shown key points sharing >= 60% of their words with a background sentence.
  time, LLM      from Brief.stats: wall time, model start, LLM time, calls, tokens.
Shown = what briefgen's renderer shows: shown stories' headline, summary sentences and the
first --max-key-points verified key points (unverified ones too with --show-unverified).
The labels are validated first; problems are printed as warnings on stderr.
"""
EPILOG = """\
Choose on --split tune, report --split heldout. Without --brief the split's files are copied to
a temporary folder (names kept) and built with
  python -m briefgen build DIR --format json -o OUT --max-stories N
(this interpreter, the environment passed through, BRIEFGEN_HOME included); the command and
its wall time go to stderr. Exit 0, or 1 when there is nothing to score or the build fails.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="score_newsset.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=HELP,
        epilog=EPILOG,
    )
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--labels", type=Path, default=None, metavar="DIR",
                     help=f"folder of <event>.toml labels (default: {DEFAULT_LABELS.relative_to(ROOT)}); "
                          "article files are read from DIR/../articles unless --articles is given")
    src.add_argument("--seeds", action="store_true",
                     help=f"use {DEFAULT_SEEDS.relative_to(ROOT)} (the repository's seeds/) instead")
    parser.add_argument("--articles", type=Path, default=None, metavar="DIR", help="where --labels' files are")
    parser.add_argument("--split", choices=["tune", "heldout", "all"], default=None,
                        help="events to score (default: tune; all with --seeds)")
    parser.add_argument("--brief", type=Path, metavar="FILE.json", help="score this brief instead of building one")
    parser.add_argument("--no-dates", action="store_true",
                        help="build from copies with dates removed: `published` out of front matter and "
                             "JSON, Published:/Updated: lines dropped, full dates removed (weekdays stay)")
    parser.add_argument("--max-stories", type=int, default=999, metavar="N",
                        help="passed to the build so every story is shown (default: 999)")
    parser.add_argument("--max-key-points", type=int, default=MAX_KEY_POINTS, metavar="N",
                        help=f"key points shown per story, as the build's setting (default: {MAX_KEY_POINTS})")
    parser.add_argument("--show-unverified", action="store_true",
                        help="build with --show-unverified and count unverified points as shown (for a "
                             "given --brief this is detected: such points are only in the JSON when shown)")
    parser.add_argument("--build-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for `briefgen build` (repeatable), e.g. --build-arg=--model=X")
    parser.add_argument("--out", type=Path, metavar="FILE", help="save the brief used here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    if args.brief and args.no_dates:
        parser.error("--no-dates builds a brief; it cannot apply to --brief")
    if args.seeds:
        events, problems = load_seeds(DEFAULT_SEEDS)
    else:
        labels = args.labels or DEFAULT_LABELS
        events, problems = load_labels(labels, args.articles)
    split = args.split or ("all" if args.seeds else "tune")
    valid_problems, notes = validate(events)
    for line in problems + valid_problems:
        print(f"warning: {line}", file=sys.stderr)
    for line in notes:
        print(f"note: {line}", file=sys.stderr)
    chosen = select(events, split)
    if not chosen:
        print(f"error: no labeled event in split {split!r}", file=sys.stderr)
        return 1

    command, wall = None, None
    if args.brief:
        brief = json.loads(args.brief.read_text(encoding="utf-8"))
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(args.brief, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="newsset-out-") as tmp:
            out = Path(tmp) / "brief.json"
            try:
                brief, command, wall = build(chosen, out, no_dates=args.no_dates, extra=args.build_arg,
                                             max_stories=args.max_stories, show_unverified=args.show_unverified)
            except SystemExit as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            if args.out:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(out, args.out)
    figures = score(brief, chosen, all_events=events, max_key_points=args.max_key_points,
                    show_unverified=True if args.show_unverified else None)
    figures.update(split=split, command=command, build_wall_s=round(wall, 2) if wall is not None else None,
                   no_dates=args.no_dates, label_problems=problems + valid_problems)
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
