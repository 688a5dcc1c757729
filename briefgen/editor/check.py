"""How trustworthy is a brief? The editor's at-a-glance report (``briefgen check BRIEF.json``).

Computed from the brief alone (the JSON contract), so it works on any saved or archived
brief: share of key points verified, points and stories with numbers or names that no cited
source contains, single-source stories, disagreements between sources, fallbacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from briefgen.errors import InputError
from briefgen.models import Brief


@dataclass
class QualityReport:
    stories: int = 0
    key_points: int = 0
    verified: int = 0
    fallback: int = 0
    extracted: int = 0
    unverified: int = 0
    flagged: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (story, point, flags)
    single_source: list[str] = field(default_factory=list)
    disagreements: list[tuple[str, str]] = field(default_factory=list)  # (story, fact)
    generated: int = 0
    verified_as_generated: int = 0
    dropped: int = 0

    @property
    def verified_share(self) -> float:
        """Key points shown that are verified (fallbacks are verbatim quotes: verified)."""
        return self.verified / self.key_points if self.key_points else 1.0

    @property
    def generated_verified_share(self) -> float:
        """Key points verified as the model wrote them, before any fallback or drop."""
        return self.verified_as_generated / self.generated if self.generated else 1.0

    def lines(self) -> list[str]:
        """The report as text lines."""
        out = [
            f"stories: {self.stories}; key points: {self.key_points}",
            f"verified: {self.verified}/{self.key_points} ({self.verified_share:.0%}) of the points shown; "
            f"{self.fallback} shown as the cited sentence, {self.extracted} added verbatim from the article, "
            f"{self.unverified} unverified",
            f"as generated: {self.verified_as_generated}/{self.generated} verified "
            f"({self.generated_verified_share:.0%}), {self.dropped} dropped",
            f"points with numbers/names in no cited source: {len(self.flagged)}",
        ]
        out += [f"  - {story[:50]}: {point[:70]} [{', '.join(flags)}]" for story, point, flags in self.flagged]
        out.append(f"single-source stories: {len(self.single_source)}/{self.stories}")
        out.append(f"disagreements between sources: {len(self.disagreements)}")
        out += [f"  - {story[:50]}: {fact[:80]}" for story, fact in self.disagreements]
        return out


def load_brief(path: Path) -> Brief:
    """Read a brief JSON file (the public contract), with a one-line error when it is not one."""
    try:
        return Brief.model_validate_json(Path(path).read_bytes())
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise InputError(str(path), f"not a briefgen brief ({where}: {first['msg']})") from exc


def quality_report(brief: Brief) -> QualityReport:
    """Measure a brief's grounding and sourcing."""
    report = QualityReport(stories=len(brief.stories))
    g = brief.stats.grounding
    report.generated, report.verified_as_generated, report.dropped = g.generated, g.verified + g.repaired, g.dropped
    for story in brief.stories:
        independent = story.outlets or len({a.outlet or a.source for a in story.articles if not a.wire_copy_of})
        if independent <= 1:
            report.single_source.append(story.headline)
        for kp in story.key_points:
            report.key_points += 1
            report.verified += kp.verified
            report.fallback += kp.status == "fallback"
            report.extracted += kp.status == "extracted"
            report.unverified += not kp.verified
            if kp.flags:
                report.flagged.append((story.headline, kp.text, kp.flags))
        report.disagreements += [(story.headline, d.fact) for d in story.disagreements]
    return report
