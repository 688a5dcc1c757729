"""The data that flows between stages (pydantic v2).

sources ─ ingest/clean ─► Article ─ chunk ─► Chunk ─ summarize ─► ArticleSummary
  ─ dedupe ─► Story ─ ground ─► Story ─ rank ─► Brief ─ render

``Brief`` serialised with ``model_dump_json()`` is the public JSON contract
(``schema_version``); it references articles (``SourceRef``), never embeds their bodies.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"


# hashlib lets the GIL go while it hashes 2,048 bytes or more at once.
_GIL_HELD_BYTES = 2047


def sha256_hex(text: str) -> str:
    """Hex sha256 of a UTF-8 string, fed in pieces hashlib hashes without letting the GIL go:
    the thread that plans a day's calls hashes each call's messages (its cache key) while 32
    others parse replies, and each time it let the GIL go it waited up to a switch interval
    (5 ms) to get it back: 1.8 ms a key on average, under profile (issue 16). Same digest."""
    data, digest = text.encode("utf-8"), hashlib.sha256()
    for start in range(0, len(data), _GIL_HELD_BYTES):
        digest.update(data[start:start + _GIL_HELD_BYTES])
    return digest.hexdigest()


def normalize_for_hash(text: str) -> str:
    """Casefolded, whitespace-collapsed text: equal values are exact duplicates."""
    return re.sub(r"\s+", " ", text).strip().casefold()


class ContentKind(str, Enum):
    FULL = "full"
    SNIPPET = "snippet"
    TITLE_ONLY = "title_only"


class SourceRef(BaseModel):
    """How the brief points at an article: no body, just what a reader needs to find it."""

    id: str
    outlet: str | None = None
    title: str
    url: str | None = None
    published: datetime | None = None
    source: str = Field(description="path, URL or '-' the article came from")
    wire_copy_of: str | None = Field(
        default=None, description="id of the article this one reprints (near-duplicate)"
    )
    content_hash: str | None = Field(
        default=None, description="the article's content hash: matches a re-read file across runs"
    )
    content_kind: ContentKind = Field(
        default=ContentKind.FULL, description="what the brief was written from: full text, a feed's snippet, a title"
    )

    @property
    def label(self) -> str:
        """Outlet when known, else the file name shown as such."""
        if self.outlet:
            return self.outlet
        name = self.source.rsplit("/", 1)[-1] if self.source else "unknown"
        return f"{name} (outlet unknown)"


class Article(BaseModel):
    """One cleaned article."""

    id: str
    content_hash: str
    source: str
    outlet: str | None = None
    url: str | None = None
    title: str
    published: datetime | None = None
    dateline: str | None = None
    byline: str | None = None
    body: str
    raw_path: str | None = None
    language: str | None = None
    content_kind: ContentKind = ContentKind.FULL
    furniture_removed: int = 0
    # Outlets whose near-identical copy was collapsed into this article before the LLM.
    copies: list[SourceRef] = Field(default_factory=list)

    @classmethod
    def create(cls, *, source: str, title: str, body: str, **fields: object) -> Article:
        """Build an Article with its id and content_hash computed (SPEC: Identity)."""
        content_hash = sha256_hex(normalize_for_hash(body))[:16]
        art_id = sha256_hex(source + "\0" + body)[:12]
        return cls(id=art_id, content_hash=content_hash, source=source, title=title, body=body, **fields)  # type: ignore[arg-type]

    def ref(self) -> SourceRef:
        return SourceRef(
            id=self.id,
            outlet=self.outlet,
            title=self.title,
            url=self.url,
            published=self.published,
            source=self.source,
            content_hash=self.content_hash,
            content_kind=self.content_kind,
        )


class Sentence(BaseModel):
    n: int = Field(description="1-based number of the sentence in the article body")
    text: str


class Chunk(BaseModel):
    """A part of one article that fits the model's context, sentences numbered."""

    article_id: str
    index: int
    count: int
    title: str
    dateline: str | None = None
    sentences: list[Sentence]
    tokens: int = 0

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


class Evidence(BaseModel):
    """Where a key point comes from: sentences of one cleaned article, and their text."""

    article_id: str
    sentences: list[int] = Field(default_factory=list)
    quote: str = ""


# verified: the model's point, checked against its cited sentence (or a neighbour); repaired: the
# model's point, supported by another sentence of the article than the one it cited (the
# citation was corrected by code); fallback: the cited sentence itself (the paraphrase failed);
# extracted: a sentence code picked to top up a thin story; selected: a sentence the model chose
# as carrying the news, shown as written (tightened); unverified: kept visibly unchecked.
KeyPointStatus = Literal["generated", "verified", "repaired", "fallback", "extracted", "selected", "unverified"]


class KeyPoint(BaseModel):
    text: str
    evidence: list[Evidence] = Field(default_factory=list)
    verified: bool = False  # set by code (ground), never by the LLM
    status: KeyPointStatus = "generated"
    flags: list[str] = Field(default_factory=list, description="numbers/names not found in sources")

    @property
    def article_ids(self) -> list[str]:
        seen: list[str] = []
        for ev in self.evidence:
            if ev.article_id not in seen:
                seen.append(ev.article_id)
        return seen


class Quote(BaseModel):
    speaker: str
    text: str


class ArticleSummary(BaseModel):
    article_id: str
    headline: str
    summary: str
    key_points: list[KeyPoint] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    event_date: date | None = None
    topics: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    # Points this article's story may show for it (set by grounding from the article's length:
    # notes/select.point_budget); 0 = the brief's fixed max_key_points.
    point_budget: int = 0


class Claim(BaseModel):
    text: str
    article_ids: list[str]


class Disagreement(BaseModel):
    """Sources that differ on one fact (a number, a date, who said what)."""

    fact: str
    claims: list[Claim]


class Story(BaseModel):
    id: str
    headline: str
    summary: str
    key_points: list[KeyPoint] = Field(default_factory=list)
    articles: list[SourceRef] = Field(default_factory=list)
    outlets: int = Field(default=0, description="independent outlets (wire copies count once)")
    people: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    event_date: date | None = None
    first_seen: datetime | None = None
    disagreements: list[Disagreement] = Field(default_factory=list)
    importance: float = 0.0
    # Key points the story shows (its articles' budgets, publish/rank.point_limit); 0 = the
    # brief's fixed max_key_points, one more per further outlet.
    point_budget: int = 0
    shown: bool = True
    section: str | None = None
    # --since-last: a story an earlier brief already sent (not shown again), or one it sent
    # that has new member articles since (shown, marked as an update).
    seen_before: bool = False
    update: bool = False

    @staticmethod
    def make_id(member_ids: list[str]) -> str:
        return sha256_hex("\n".join(sorted(member_ids)))[:12]


class Failure(BaseModel):
    source: str
    reason: str
    article_id: str | None = None
    stage: str = "ingest"


class CallRecord(BaseModel):
    """One LLM call attempt (failed ones included)."""

    task: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    outcome: str = "ok"  # ok | cached | invalid | length | error | refused
    cached: bool = False
    article_id: str | None = None
    cached_tokens: int = 0  # prompt tokens the provider served from its prompt cache (cheaper)
    batch: bool = False  # answered through the Batch API (billed at its discount)


class GroundingStats(BaseModel):
    generated: int = 0
    verified: int = 0
    repaired: int = 0
    fallback: int = 0
    dropped: int = 0
    repeated: int = 0  # verified but restating the summary or another point: not shown
    extracted: int = 0  # sentences added by code when the model gave too few distinct points
    selected: int = 0  # sentences the model chose, shown as written: verified by construction
    headlines_replaced: int = 0  # headline/summary not about the article's points (e.g. injected)
    unverified_shown: int = 0
    flagged: int = 0
    # The cross-check's proposals are counted apart from the article points above: one that
    # two outlets' sentences do not both support is not a wrong point shown or replaced, only
    # a merge not made (the story keeps its points).
    crosscheck_proposed: int = 0  # shared facts the cross-check calls wrote
    crosschecked: int = 0  # of those, the ones both outlets' sentences support: shown, citing both

    @property
    def verified_share(self) -> float:
        """Share of the model's own points whose text its source supports, as written
        (before any fallback or drop); a repaired point only had its citation corrected."""
        return (self.verified + self.repaired) / self.generated if self.generated else 1.0

    def __add__(self, other: GroundingStats) -> GroundingStats:
        return GroundingStats(**{k: getattr(self, k) + getattr(other, k) for k in type(self).model_fields})


class BriefStats(BaseModel):
    articles_in: int = 0
    articles_unique: int = 0
    articles_failed: int = 0
    stories: int = 0
    stories_shown: int = 0
    llm_calls: int = 0
    cache_hits: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    llm_seconds: float = 0.0
    model_start_s: float = 0.0
    cost_estimate_usd: float | None = None  # = cost_usd (kept for readers of schema 1)
    cost_usd: float | None = None  # tokens of every attempt × the model's price; None: no price known
    failed_attempts: int = 0  # attempts that returned no accepted reply (errors, 429s, invalid, cut off)
    repairs: int = 0  # further attempts after an invalid or cut-off reply
    left_out: int = 0  # articles skipped so the build stays within --max-cost (listed under failures)
    wall_time_s: float = 0.0
    model: str = ""
    backend: str = ""
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    furniture_lines_removed: int = 0
    already_sent: int = 0  # --since-last: stories skipped because an earlier brief sent them
    updates: int = 0  # --since-last: stories sent before, shown again for their new articles
    grounding: GroundingStats = Field(default_factory=GroundingStats)


class Section(BaseModel):
    name: str
    story_ids: list[str]


class Brief(BaseModel):
    model_config = ConfigDict(ser_json_timedelta="float")

    schema_version: str = SCHEMA_VERSION
    date: date
    title: str
    generated_at: datetime
    stories: list[Story] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    stats: BriefStats = Field(default_factory=BriefStats)
    failures: list[Failure] = Field(default_factory=list)

    @property
    def shown_stories(self) -> list[Story]:
        return [s for s in self.stories if s.shown]
