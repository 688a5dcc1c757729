"""Per-article features for event clustering: what one article says, before any pair is compared.

Same *topic* is easy; same *event* is the job. Two press conferences of one leader, two
quakes in one region, two rate decisions of one bank share most of their words and all
their entities — what separates them is *when* it happened and the *figures* reported.
So each article gets features (``extract_features``), compared pairwise in ``cluster``:

* term counts of headline, summary, key points and body (IDF-weighted there, over the day's
  articles, for a cosine similarity);
* entity keys from the summary (people by surname, organizations with acronyms, places);
* proper names in the article text (capitalized words that do not open a sentence or sit in
  a title-case heading): the summary's lists from a small model are short and noisy, the
  text names who met whom and where;
* figures and explicit dates mentioned in the text, normalized ('1,200' -> '1200',
  '25 basis points' -> '0.25pp', 'four' -> '4');
* an event date: the summary's, else one stated in the lead (explicit or a weekday resolved
  against the published date); absent dates are neutral, never an error.

The text helpers (``fold``, ``words``, ``numbers``, ``figure_spans``, ``explicit_dates``)
also serve ``stories``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .models import Article, ArticleSummary


STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each even ever
    few for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just last late later least less like made make many may me might
    more most much must my near new no nor not now of off on once one only or other our ours
    out over own per said same say says she should since so some still such than that the
    their theirs them themselves then there these they this those though through to too told
    under until up upon us very was we were what when where whether which while who whom whose
    why will with within without would year years yet you your week weeks day days time
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
    mr mrs ms according reporters statement news report reported reports added including
    two three four five six seven eight nine ten first second third people percent
    """.split()
)

# Words that say what kind of place, not which one ("Izmir province" and "Izmir" are one place).
_GENERIC_PLACE = frozenset(
    "province city region district county state republic capital area town village coast "
    "north south east west northern southern eastern western central the of".split()
)

_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(percentage points?|basis points?|bps|percent|per cent|%)?", re.I
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()
    )
}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
_MON = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
_DATE_MD = re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?!\d)(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", re.I)
_DATE_DM = re.compile(r"(?<![\d.,])(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r"(?:,?\s+(\d{4}))?", re.I)
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WEEKDAY = re.compile(r"\b(?:on|last|this)?\s*(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)


def fold(text: str) -> str:
    """ASCII-folded, casefolded text (Zelenskyy, Zelenskiy and ZELENSKYY compare equal-ish)."""
    if text.isascii():
        return text.casefold()  # the common case, and 50x cheaper than the per-character loop
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """Content words: folded, no stopwords, at least three letters."""
    return [w for w in (t.strip("'’-") for t in _WORD.findall(fold(text))) if len(w) >= 3 and w not in STOPWORDS]


_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12})
# "one" is too often not a count ("one of the", "no one"); it still counts as a digit "1".
_NUMBER_WORD = re.compile(r"\b(" + "|".join(w for w in _NUMBER_WORDS if w != "one") + r")\b", re.I)


def figure_spans(text: str) -> list[tuple[int, int, str]]:
    """Where figures are written, with their normalized value (see :func:`numbers`)."""
    out: list[tuple[int, int, str]] = []
    for m in _NUMBER.finditer(text):
        whole, frac, unit = m.group(1), m.group(2), (m.group(3) or "").lower()
        value = whole.replace(",", "") + (f".{frac}" if frac else "")
        if unit.startswith(("basis", "bps")):
            # 25 basis points and 0.25 percentage points are one figure.
            out.append((m.start(), m.end(), f"{float(value) / 100:g}pp"))
        elif unit.startswith("percentage"):
            out.append((m.start(), m.end(), f"{float(value):g}pp"))
        else:
            out.append((m.start(), m.end(), value + ("%" if unit else "")))
    # Reporters write small counts in words ("four people were killed"): the same figure.
    out += [(m.start(), m.end(), str(_NUMBER_WORDS[m.group(1).lower()])) for m in _NUMBER_WORD.finditer(text)]
    return sorted(out)


def numbers(text: str) -> list[str]:
    """Figures as normalized strings: '1,200' -> '1200', '4.25 percent' -> '4.25%', 'four' -> '4'."""
    return [v for _, _, v in figure_spans(text)]


def person_key(name: str) -> str:
    """A surname key robust to transliteration endings (Zelensky/Zelenskiy/Zelenskyy)."""
    toks = re.findall(r"[a-z]+", fold(name))
    return "p:" + toks[-1][:6] if toks else ""


def org_keys(name: str) -> set[str]:
    """The folded name plus its acronym, so 'European Central Bank' meets 'ECB'."""
    toks = re.findall(r"[a-z0-9]+", fold(name))
    if not toks:
        return set()
    keys = {"o:" + " ".join(t for t in toks if t != "the")}
    caps = [t for t in toks if t not in {"of", "the", "and", "for"}]
    if len(caps) >= 2:
        keys.add("o:" + "".join(t[0] for t in caps))
    return keys


def place_keys(name: str) -> set[str]:
    """Place tokens without generic words ('Izmir province' -> {'izmir'})."""
    return {"l:" + t for t in re.findall(r"[a-z]+", fold(name)) if t not in _GENERIC_PLACE and len(t) >= 3}


# Capitalized words that are titles, roles or sentence glue, not names of anyone or anywhere.
_NOT_NAMES = frozenset(
    """president prime minister secretary general chancellor premier king queen pope senator governor
    mayor envoy press spokesperson spokesman spokeswoman chief director former vice deputy foreign
    interior defence defense finance state minister's head leader officials official commissioner
    ambassador judge justice mr mrs ms dr sir lord january february march april june july august
    september october november december read share related latest updated photo video""".split()
)
_CAPWORD = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*[\w]")
_SENTENCE_END = frozenset(".!?:;\"“”‘'«»—–-•|>*#")


def name_key(token: str) -> str:
    """A proper-name token's key: folded, possessive cut, first six letters (Zelensky/Zelenskyy).

    Empty for capitalized words that name no one (titles, months, weekdays, stopwords).
    """
    t = fold(token)
    for suffix in ("'s", "’s"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    t = t.strip("'’-")
    if len(t) < 3 or t in STOPWORDS or t in _NOT_NAMES or t.rstrip("s") in _NOT_NAMES:
        return ""  # a title, a month, a weekday: not a name
    return "n:" + t[:6]


def text_names(text: str) -> set[str]:
    """Proper-name keys of running text: capitalized words that do not open a sentence.

    A sentence's first word is capitalized by grammar, not because it names someone, and a
    title-case line (a heading, a caption) capitalizes everything; neither counts.
    """
    out: set[str] = set()
    for line in text.splitlines():
        caps = _CAPWORD.findall(line)
        long_words = [w for w in _WORD.findall(line) if len(w) >= 4]
        if not caps:
            continue
        if line.rstrip()[-1:] not in ".!?\"”’)" and len(caps) >= 0.6 * max(1, len(long_words)):
            continue  # a title-case heading or caption (no sentence end, mostly capitals)
        for m in _CAPWORD.finditer(line):
            before = line[: m.start()].rstrip()
            if not before or before[-1] in _SENTENCE_END:
                continue
            if key := name_key(m.group(0)):
                out.add(key)
    return out


def entity_keys(summary: ArticleSummary) -> set[str]:
    """Normalized people, organization and place keys of one summary."""
    keys: set[str] = set()
    for p in summary.people:
        if k := person_key(p):
            keys.add(k)
    for o in summary.organizations:
        keys |= org_keys(o)
    for pl in summary.places:
        keys |= place_keys(pl)
    return keys


def _mk_date(year: int | None, month: int, day: int, ref: date | None) -> date | None:
    if year is None:
        if ref is None:
            return None
        year = ref.year
        # "December 30" read in a January article belongs to the previous year.
        if month - ref.month > 6:
            year -= 1
    try:
        return date(year, month, day)
    except ValueError:
        return None


def explicit_dates(text: str, ref: date | None) -> list[date]:
    """Calendar dates written in the text, in order; the year from the text or ``ref``."""
    found: list[tuple[int, date]] = []
    for m in _DATE_ISO.finditer(text):
        d = _mk_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), ref)
        if d:
            found.append((m.start(), d))
    # "March 5, 2024" and "5 March 2024": the same three groups, month and day swapped.
    for pattern, mon_group, day_group in ((_DATE_MD, 1, 2), (_DATE_DM, 2, 1)):
        for m in pattern.finditer(text):
            mon = _MONTHS.get(m.group(mon_group).lower().rstrip("."))
            if mon:
                d = _mk_date(int(m.group(3)) if m.group(3) else None, mon, int(m.group(day_group)), ref)
                if d:
                    found.append((m.start(), d))
    return [d for _, d in sorted(found, key=lambda x: (x[0], x[1]))]


def weekday_date(text: str, published: date | None) -> date | None:
    """The first weekday named in the text, resolved to the latest such day on or before publication."""
    if published is None:
        return None
    m = _WEEKDAY.search(text)
    if not m:
        return None
    back = (published.weekday() - _WEEKDAYS[m.group(1).lower()]) % 7
    return published - timedelta(days=back)


def infer_event_date(summary: ArticleSummary, article: Article | None) -> date | None:
    """The summary's event date, else a date the article's lead states (explicit, then weekday)."""
    if summary.event_date is not None:
        return summary.event_date
    if article is None:
        return None
    published = article.published.date() if isinstance(article.published, datetime) else None
    # The lead (dateline + first sentences) states when the news happened; later dates are context.
    lead = " ".join(filter(None, [article.dateline, article.body[:400]]))
    dates = explicit_dates(lead, published)
    if dates:
        return dates[0]
    return weekday_date(lead, published)


@dataclass
class ArticleFeatures:
    """What clustering compares: raw term counts (weighted later by IDF), entities, figures, date."""

    article_id: str
    terms: dict[str, float] = field(default_factory=dict)
    entities: set[str] = field(default_factory=set)
    figures: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    event_date: date | None = None
    published: datetime | None = None


# How much of the body the names come from (0: all of it). Measured: the first 600 or 1,200
# characters lost the seeds' Copenhagen pair (one article names the prime minister late).
NAME_LEDE_CHARS = 0


def _lede(body: str, chars: int) -> str:
    """The first ``chars`` characters of the body, cut at a paragraph or sentence end (0: all)."""
    if not chars or len(body) <= chars:
        return body
    cut = max(body.rfind("\n", 0, chars), body.rfind(". ", 0, chars))
    return body[: cut + 1 if cut > chars // 2 else chars]


def extract_features(summary: ArticleSummary, article: Article | None) -> ArticleFeatures:
    """Features of one article from its summary and (when present) its cleaned text."""
    tf: dict[str, float] = {}
    # The headline and the model's own summary name the event; count them more than body text.
    weighted = [(summary.headline, 3.0), (summary.summary, 2.0)]
    weighted += [(kp.text, 1.5) for kp in summary.key_points]
    if article is not None:
        weighted += [(article.title, 2.0), (article.body, 1.0)]
    for text, w in weighted:
        for t in words(text):
            tf[t] = tf.get(t, 0.0) + w
    figures: set[str] = set()
    texts = [summary.headline, summary.summary, *(kp.text for kp in summary.key_points)]
    if article is not None:
        texts.append(article.body)
    ref = article.published.date() if article is not None and article.published else summary.event_date
    for text in texts:
        figures.update(n for n in numbers(text) if not _is_year(n))
        figures.update("d:" + d.isoformat() for d in explicit_dates(text, ref))
    return ArticleFeatures(
        article_id=summary.article_id,
        terms=tf,
        entities=entity_keys(summary),
        figures=figures,
        names=text_names(_lede(article.body, NAME_LEDE_CHARS)) if article is not None else set(),
        event_date=infer_event_date(summary, article),
        published=article.published if article is not None else None,
    )


def _is_year(n: str) -> bool:
    # A bare year says little about which event; explicit dates are kept as 'd:' keys instead.
    return len(n) == 4 and n.isdigit() and 1900 <= int(n) <= 2100
