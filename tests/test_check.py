"""briefgen check: the quality report of a saved brief."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from click.testing import CliRunner

from briefgen.cli import main
from briefgen.models import Brief, Claim, Disagreement, Evidence, GroundingStats, KeyPoint, SourceRef, Story
from briefgen.editor.check import quality_report


def brief() -> Brief:
    refs = [SourceRef(id="a", outlet="A", title="t", source="a.txt"), SourceRef(id="b", outlet="B", title="t", source="b.txt")]
    ev = [Evidence(article_id="a", sentences=[1], quote="q")]
    two = Story(id="s1", headline="Two outlets", summary="s", articles=refs, outlets=2, key_points=[
        KeyPoint(text="ok", evidence=ev, verified=True, status="verified"),
        KeyPoint(text="Paid $9 million", evidence=ev, verified=True, status="verified", flags=["9"]),
        KeyPoint(text="q", evidence=ev, verified=True, status="fallback"),
    ], disagreements=[Disagreement(fact="death toll", claims=[Claim(text="3", article_ids=["a"]), Claim(text="4", article_ids=["b"])])])
    one = Story(id="s2", headline="One outlet", summary="s", articles=refs[:1], outlets=1, key_points=[
        KeyPoint(text="shown unverified", evidence=ev, verified=False, status="unverified")])
    stats_g = GroundingStats(generated=5, verified=3, fallback=1, dropped=1)
    b = Brief(date=date(2026, 1, 2), title="T", generated_at=datetime.now(timezone.utc), stories=[two, one])
    b.stats.grounding = stats_g
    return b


def test_report_counts() -> None:
    r = quality_report(brief())
    assert (r.key_points, r.verified, r.fallback, r.unverified) == (4, 3, 1, 1)
    assert r.verified_share == 0.75 and r.generated_verified_share == 0.6
    assert r.single_source == ["One outlet"] and r.disagreements == [("Two outlets", "death toll")]
    assert [f[2] for f in r.flagged] == [["9"]]


def test_check_command_and_threshold(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(brief().model_dump_json())
    ok = CliRunner().invoke(main, ["check", str(path)])
    assert ok.exit_code == 0 and "verified: 3/4 (75%)" in ok.stdout and "single-source stories: 1/2" in ok.stdout
    low = CliRunner().invoke(main, ["check", str(path), "--min-verified", "0.9"])
    assert low.exit_code == 1 and "below 90%" in low.stderr


def test_check_rejects_a_file_that_is_not_a_brief(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1 and "not a briefgen brief" in result.stderr and "Traceback" not in result.stderr
