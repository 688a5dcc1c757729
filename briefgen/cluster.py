"""Level 2 deduplication: group summarized articles into events (one group per story).

Same *topic* is easy; same *event* is the job. Two press conferences of one leader, two
quakes in one region, two rate decisions of one bank share most of their words and all
their entities — what separates them is *when* it happened and the *figures* reported.
So each article gets features (``extract_features``):

* IDF-weighted terms of headline, summary, key points and body (cosine similarity);
* entity keys from the summary (people by surname, organizations with acronyms, places);
* proper names in the article text (capitalized words that do not open a sentence or sit in
  a title-case heading), IDF-weighted over the day's articles: the summary's lists from a
  small model are short and noisy, the text names who met whom and where;
* figures and explicit dates mentioned in the text (weighted overlap);
* an event date: the summary's, else one stated in the lead (explicit or a weekday resolved
  against the published date); absent dates are neutral, never an error.

Pairs are scored ``w_text*cos + w_ent*dice(entities) + w_fig*dice(figures) +
w_name*dice(names)`` (the dice overlaps IDF-weighted) plus a date
term (same day: bonus; two or more days apart: penalty). Only *candidate* pairs are scored:
blocking by (entity, day), by each article's top IDF terms and by shared rare figures keeps
this near-linear (no all-pairs matrix). Groups come from sparse average-link agglomeration
(missing pairs count as 0), which resists the chaining of single-link. Weights and the
threshold were chosen on the tuning split of ``tests/fixtures/events`` only
(``python bench/bench_dedupe.py --tune``).

Hooks for later: ``judge`` (e.g. an LLM) decides pairs whose score falls in the borderline
band; ``embed`` (e.g. ``/v1/embeddings``) adds a cosine term. Neither is required.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import scipy.sparse as sp

from .models import Article, ArticleSummary

log = logging.getLogger(__name__)

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
    for m in _DATE_MD.finditer(text):
        mon = _MONTHS.get(m.group(1).lower().rstrip("."))
        if mon:
            d = _mk_date(int(m.group(3)) if m.group(3) else None, mon, int(m.group(2)), ref)
            if d:
                found.append((m.start(), d))
    for m in _DATE_DM.finditer(text):
        mon = _MONTHS.get(m.group(2).lower().rstrip("."))
        if mon:
            d = _mk_date(int(m.group(3)) if m.group(3) else None, mon, int(m.group(1)), ref)
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


# ---- scoring and grouping -------------------------------------------------------------


PairJudge = Callable[[str, str], "bool | None"]
"""Decides a borderline pair (article ids): True same event, False not, None no opinion."""

Embedder = Callable[[list[str]], Sequence[Sequence[float]]]
"""Turns texts (headline + summary) into vectors, e.g. through ``/v1/embeddings``."""


@dataclass(frozen=True)
class ClusterParams:
    """Weights and thresholds of the pair score; defaults chosen on the tuning fixtures."""

    # Chosen by ``bench/bench_dedupe.py --tune``: best on the tuning split (F1 1.0), then on
    # its one-topic days (each trap family alone, F1 1.0), then on the embedded model's real
    # summaries of the seeds (partition right); plateau 0.18–0.24, the middle taken. The
    # fixtures alone cannot tell w_name 0 from 0.2: their summaries have dates and full lists.
    # The summary's entity lists weigh little: a small model's lists are short and noisy
    # ("Copenhagen, Paris" for a visit to one of them), while the names in the article text
    # (w_name) are complete; on one-topic days only the rare ones say which event.
    threshold: float = 0.22
    w_text: float = 0.40
    w_ent: float = 0.10
    w_fig: float = 0.30
    same_day_bonus: float = 0.10
    far_date_penalty: float = 0.50
    far_days: int = 2
    w_embed: float = 0.0
    # Proper names shared in the article text, weighted by how rare they are in the batch.
    w_name: float = 0.20
    # IDF = log((n+1)/(df+1)) + floor over the day's articles. Measured on the tuning split
    # and the seeds: floors 0.1–0.6 (rarity counting for more) did no better than the usual 1.
    name_idf_floor: float = 1.0
    ent_idf_floor: float = 1.0
    term_idf_floor: float = 1.0
    borderline: float = 0.05
    # Blocking: keys shared by more articles than this are too common to say anything.
    max_block: int = 60
    # A term names one event only if few articles use it; wider term blocks were mostly noise
    # in the scale benchmark (85 % of candidate pairs, few of them same-event).
    max_term_block: int = 20
    top_terms: int = 6
    max_terms: int = 80


def _idf(df: dict[str, int], n: int, floor: float = 1.0) -> dict[str, float]:
    return {t: math.log((n + 1) / (c + 1)) + floor for t, c in df.items()}


def _weighted_rows(
    rows: list[dict[str, float]], vocab: dict[str, int], weights: dict[str, float], *, l2: bool, keep: int = 0
) -> sp.csr_matrix:
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for row in rows:
        items = [(vocab[t], weights[t] * v) for t, v in row.items() if t in vocab]
        if keep and len(items) > keep:
            # Keep the heaviest terms (ties by column) so long articles cost the same as short ones.
            items = sorted(items, key=lambda x: (-x[1], x[0]))[:keep]
        items.sort()
        if l2:
            norm = math.sqrt(sum(w * w for _, w in items)) or 1.0
            vals = [w / norm for _, w in items]
        else:
            # sqrt so that the elementwise product of two rows is the key's weight.
            vals = [math.sqrt(w) for _, w in items]
        indices.extend(c for c, _ in items)
        data.extend(vals)
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(rows), max(1, len(vocab))),
    )


def _vocab(rows: list[dict[str, float]] | list[set[str]]) -> tuple[dict[str, int], dict[str, int]]:
    df: dict[str, int] = {}
    for row in rows:
        for t in row:
            df[t] = df.get(t, 0) + 1
    vocab = {t: i for i, t in enumerate(sorted(df))}
    return vocab, df


@dataclass
class _Matrices:
    text: sp.csr_matrix
    ent: sp.csr_matrix
    fig: sp.csr_matrix
    names: sp.csr_matrix
    ent_total: np.ndarray
    names_total: np.ndarray
    fig_total: np.ndarray
    dates: np.ndarray  # ordinal day, -1 when unknown
    top_terms: list[list[str]]


def _build_matrices(feats: list[ArticleFeatures], params: ClusterParams) -> _Matrices:
    n = len(feats)
    tvocab, tdf = _vocab([f.terms for f in feats])
    tidf = _idf(tdf, n, params.term_idf_floor)
    # Sublinear tf: a word said ten times is not ten times the evidence.
    tf_rows = [{t: 1.0 + math.log(v) if v >= 1 else v for t, v in f.terms.items()} for f in feats]
    text = _weighted_rows(tf_rows, tvocab, tidf, l2=True, keep=params.max_terms)
    top_terms: list[list[str]] = []
    for row in tf_rows:
        # Blocking terms must be specific to the event: a word in a handful of articles.
        ranked = sorted(
            ((t, v * tidf[t]) for t, v in row.items() if 1 < tdf[t] <= params.max_term_block),
            key=lambda x: (-x[1], x[0]),
        )
        top_terms.append([t for t, _ in ranked[: params.top_terms]])
    evocab, edf = _vocab([f.entities for f in feats])
    eidf = _idf(edf, n, params.ent_idf_floor)
    ent = _weighted_rows([{k: 1.0 for k in f.entities} for f in feats], evocab, eidf, l2=False)
    fvocab, fdf = _vocab([f.figures for f in feats])
    fidf = _idf(fdf, n)
    fig = _weighted_rows([{k: 1.0 for k in f.figures} for f in feats], fvocab, fidf, l2=False)
    nvocab, ndf = _vocab([f.names for f in feats])
    nidf = _idf(ndf, n, params.name_idf_floor)
    names = _weighted_rows([{k: 1.0 for k in f.names} for f in feats], nvocab, nidf, l2=False)
    dates = np.asarray([f.event_date.toordinal() if f.event_date else -1 for f in feats], dtype=np.int64)
    return _Matrices(
        text=text,
        ent=ent,
        fig=fig,
        names=names,
        names_total=np.asarray(names.multiply(names).sum(axis=1)).ravel(),
        ent_total=np.asarray(ent.multiply(ent).sum(axis=1)).ravel(),
        fig_total=np.asarray(fig.multiply(fig).sum(axis=1)).ravel(),
        dates=dates,
        top_terms=top_terms,
    )


def candidate_pairs(feats: list[ArticleFeatures], top_terms: list[list[str]], max_block: int) -> np.ndarray:
    """Index pairs (i < j) sharing a blocking key: (entity, day), a top term, a rare figure.

    An article without a date also meets every article sharing one of its entities (when
    that entity is not too common): dates block well, but their absence must not isolate.
    """
    postings: dict[tuple[object, ...], list[int]] = {}
    by_entity: dict[str, list[int]] = {}
    undated_by_entity: dict[str, list[int]] = {}
    for i, f in enumerate(feats):
        keys: list[tuple[object, ...]] = [("t", t) for t in top_terms[i]]
        keys += [("f", x) for x in f.figures]
        for e in f.entities:
            by_entity.setdefault(e, []).append(i)
            if f.event_date is not None:
                # Emitting day and day+1 makes every pair at most one day apart share a key.
                day = f.event_date.toordinal()
                keys += [("ed", e, day), ("ed", e, day + 1)]
            else:
                undated_by_entity.setdefault(e, []).append(i)
        for k in keys:
            postings.setdefault(k, []).append(i)
    n = len(feats)
    chunks: list[np.ndarray] = []
    for members in postings.values():
        if 2 <= len(members) <= max_block:
            arr = np.unique(np.asarray(members, dtype=np.int64))
            a, b = np.triu_indices(arr.size, k=1)
            chunks.append(arr[a] * n + arr[b])
    for e, undated in undated_by_entity.items():
        everyone = by_entity[e]
        if len(everyone) < 2 or len(everyone) > max_block:
            continue
        u = np.asarray(undated, dtype=np.int64)[:, None]
        v = np.asarray(everyone, dtype=np.int64)[None, :]
        lo, hi = np.minimum(u, v).ravel(), np.maximum(u, v).ravel()
        keep = lo != hi
        chunks.append(lo[keep] * n + hi[keep])
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(chunks))
    return np.stack([codes // n, codes % n], axis=1)


def score_pairs(
    pairs: np.ndarray, mats: _Matrices, params: ClusterParams, embeddings: np.ndarray | None = None
) -> np.ndarray:
    """The same-event score of each candidate pair (vectorized, in batches)."""
    out = np.empty(len(pairs), dtype=np.float64)
    step = 20_000  # bounds the memory of the row gathers (pairs x terms)
    for s in range(0, len(pairs), step):
        i, j = pairs[s : s + step, 0], pairs[s : s + step, 1]
        cos = np.asarray(mats.text[i].multiply(mats.text[j]).sum(axis=1)).ravel()
        score = params.w_text * cos
        for mat, total, w in (
            (mats.ent, mats.ent_total, params.w_ent),
            (mats.fig, mats.fig_total, params.w_fig),
            (mats.names, mats.names_total, params.w_name),
        ):
            if not w:
                continue
            shared = np.asarray(mat[i].multiply(mat[j]).sum(axis=1)).ravel()
            denom = total[i] + total[j]
            score += w * np.divide(2 * shared, denom, out=np.zeros_like(shared), where=denom > 0)
        di, dj = mats.dates[i], mats.dates[j]
        known = (di >= 0) & (dj >= 0)
        delta = np.abs(di - dj)
        score += np.where(known & (delta == 0), params.same_day_bonus, 0.0)
        score -= np.where(known & (delta >= params.far_days), params.far_date_penalty, 0.0)
        if embeddings is not None:
            score += params.w_embed * np.einsum("ij,ij->i", embeddings[i], embeddings[j])
        out[s : s + step] = score
    return out


MIN_EDGE_SHARE = 0.25


def average_link(n: int, pairs: np.ndarray, scores: np.ndarray, threshold: float) -> list[list[int]]:
    """Sparse average-link agglomeration: merge while the mean pair score (absent = 0) ≥ threshold."""
    sums: dict[int, dict[int, float]] = {i: {} for i in range(n)}
    # Pairs far below the threshold barely move an average; dropping them (as if absent, i.e. 0)
    # only makes merging more conservative and keeps the graph small at scale.
    keep = scores > threshold * MIN_EDGE_SHARE
    kept_pairs, kept_scores = pairs[keep].tolist(), scores[keep].tolist()
    for (i, j), sc in zip(kept_pairs, kept_scores):
        sums[i][j] = sc
        sums[j][i] = sc
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    heap = [(-sc, i, j) for (i, j), sc in zip(kept_pairs, kept_scores) if sc >= threshold]
    heapq.heapify(heap)
    next_id = n
    while heap:
        neg, a, b = heapq.heappop(heap)
        if -neg < threshold:
            break
        if a not in members or b not in members:
            continue  # stale: one side was merged since (a pair's mean only changes by merging)
        c = next_id
        next_id += 1
        members[c] = members.pop(a) + members.pop(b)
        merged: dict[int, float] = {}
        for x in (a, b):
            for k, v in sums.pop(x).items():
                if k in (a, b):
                    continue
                merged[k] = merged.get(k, 0.0) + v
                del sums[k][x]
        sums[c] = merged
        size_c = len(members[c])
        for k in sorted(merged):
            sums[k][c] = merged[k]
            mean = merged[k] / (size_c * len(members[k]))
            if mean >= threshold:
                heapq.heappush(heap, (-mean, min(k, c), max(k, c)))
    return [sorted(m) for m in members.values()]


def cluster_articles(
    summaries: list[ArticleSummary],
    articles: dict[str, Article],
    *,
    params: ClusterParams | None = None,
    judge: PairJudge | None = None,
    embed: Embedder | None = None,
) -> list[list[str]]:
    """Group article ids by event: every summarized article in exactly one group, deterministic.

    Groups are sorted (members by id; groups largest first, then by first id). An article
    missing from ``articles`` is clustered on its summary alone.
    """
    params = params or ClusterParams()
    by_id: dict[str, ArticleSummary] = {}
    for s in summaries:
        by_id.setdefault(s.article_id, s)
    ids = sorted(by_id)
    if not ids:
        return []
    feats = [extract_features(by_id[a], articles.get(a)) for a in ids]
    mats = _build_matrices(feats, params)
    pairs = candidate_pairs(feats, mats.top_terms, params.max_block)
    emb = None
    if embed is not None and params.w_embed:
        vecs = np.asarray(embed([f"{by_id[a].headline}\n{by_id[a].summary}" for a in ids]), dtype=np.float64)
        emb = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    scores = score_pairs(pairs, mats, params, emb)
    if judge is not None and len(pairs):
        band = np.nonzero(np.abs(scores - params.threshold) <= params.borderline)[0]
        for k in band.tolist():
            verdict = judge(ids[pairs[k, 0]], ids[pairs[k, 1]])
            if verdict is not None:
                scores[k] = 1.0 if verdict else 0.0
    log.info("cluster: %d articles, %d candidate pairs", len(ids), len(pairs))
    groups = [[ids[i] for i in g] for g in average_link(len(ids), pairs, scores, params.threshold)]
    return sorted(groups, key=lambda g: (-len(g), g[0]))
