"""End to end with the real embedded model (slow: minutes on 2 cores; run by CI).

One session-scoped build of the seeds is shared by every check; the second build and the
injection build reuse its cache, so only new articles cost model time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest
from furniture_labels import leaked, seed_furniture

from briefgen.text.tokens import normalize
from briefgen.sources.ingest import load_sources
from briefgen.models import Brief
from briefgen.text.addressed import addressed_to_model

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
INJECTION = Path(__file__).resolve().parent / "fixtures" / "injection" / "council_budget.txt"


def servers(home: Path) -> list[str]:
    """Model servers that runs in ``home`` started and that are still alive.

    Told apart by port (the log names carry it), so a model server of another process on
    the same machine is not taken for an orphan of ours.
    """
    ports = {p.stem.rsplit("-", 1)[-1] for p in (home / "logs").glob("llama-server-*.log")}
    alive = []
    for port in ports:
        out = subprocess.run(["pgrep", "-f", f"--port {port}( |$)"], capture_output=True, text=True)
        alive += out.stdout.split()
    return alive


def _strings(value: object) -> list[str]:
    """Every string inside a JSON-like value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def run_build(home: Path, sources: list[str], out: Path) -> tuple[subprocess.CompletedProcess[str], Brief]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BRIEFGEN_"))}
    env.update(BRIEFGEN_HOME=str(home), BRIEFGEN_MODEL_DIR=platformdirs.user_cache_dir("briefgen"))
    proc = subprocess.run([sys.executable, "-m", "briefgen", "build", *sources, "-f", "json", "-o", str(out)],
                          env=env, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc, Brief.model_validate_json(out.read_text())


@pytest.fixture(scope="session")
def seeds_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str], Brief]:
    home = tmp_path_factory.mktemp("e2e-home")
    proc, brief = run_build(home, [str(SEEDS)], home / "brief.json")
    return home, proc, brief


def test_seeds_brief_is_valid_and_covers_each_seed_once(seeds_run) -> None:
    _, proc, brief = seeds_run
    assert "using the embedded model" in proc.stderr
    members = sorted(Path(a.source).name for s in brief.stories for a in s.articles)
    assert members == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert brief.stats.backend == "embedded" and brief.stats.llm_calls >= 5


def test_every_key_point_has_a_verified_verbatim_quote(seeds_run) -> None:
    _, _, brief = seeds_run
    articles, _ = load_sources([str(SEEDS)])
    bodies = {a.id: normalize(a.title + " " + a.body) for a in articles}
    points = [kp for s in brief.stories for kp in s.key_points]
    assert len(points) >= 10
    for story in brief.stories:
        assert story.key_points, f"story without key points: {story.headline}"
        for kp in story.key_points:
            assert kp.verified and kp.evidence
            for ev in kp.evidence:
                assert ev.quote and normalize(ev.quote) in bodies[ev.article_id], (kp.text, ev.quote)
    assert brief.stats.grounding.verified_share >= 0.8, brief.stats.grounding


def test_brief_has_no_furniture_and_no_repeated_points(seeds_run) -> None:
    _, _, brief = seeds_run
    stories = [s.model_dump(mode="json", exclude={"articles"}) for s in brief.stories]
    text = "\n".join(_strings(stories))  # the brief's own text, not JSON with its escapes
    # Furniture as the hand labels mark it, never as the cleaner reports it (tests/furniture_labels.py).
    furniture = seed_furniture(min_chars=16)
    assert len(furniture) >= 20
    assert leaked(text, furniture) == []
    # The check would see a furniture line that reached a key point.
    assert leaked("\n".join(_strings(stories + [{"text": furniture[0]}])), furniture) == [furniture[0]]
    for story in brief.stories:
        texts = [normalize(kp.text) for kp in story.key_points]
        assert len(texts) == len(set(texts))
        assert story.headline.strip() and story.summary.strip()
        assert all(p.strip() for p in story.people)


def test_same_press_appearance_is_one_story_and_other_events_stay_apart(seeds_run) -> None:
    _, _, brief = seeds_run
    groups = sorted(sorted(Path(a.source).name[:3] for a in s.articles) for s in brief.stories)
    assert groups == [["000", "004"], ["001"], ["002"], ["003"]]


def test_no_orphan_server_after_the_run(seeds_run) -> None:
    home, _, _ = seeds_run
    assert list((home / "logs").glob("llama-server-*.log")), "the run started no server: nothing was checked"
    assert servers(home) == []


def test_second_run_is_all_cache_and_starts_no_server(seeds_run) -> None:
    home, _, first = seeds_run
    logs_before = sorted((home / "logs").glob("llama-server-*.log"))
    proc, second = run_build(home, [str(SEEDS)], home / "again.json")
    assert second.stats.llm_calls == 0 and second.stats.cache_hits == first.stats.llm_calls
    assert sorted((home / "logs").glob("llama-server-*.log")) == logs_before
    assert [s.headline for s in second.stories] == [s.headline for s in first.stories]


def test_injected_instructions_do_not_steer_the_real_model(seeds_run, tmp_path: Path) -> None:
    home, _, first = seeds_run
    folder = tmp_path / "in"
    shutil.copytree(SEEDS, folder)
    shutil.copy(INJECTION, folder / "zz_council.txt")
    _, brief = run_build(home, [str(folder)], home / "injected.json")
    council = [s for s in brief.stories if any("council" in a.source for a in s.articles)]
    assert len(council) == 1 and len(council[0].articles) == 1
    rendered = json.dumps(brief.model_dump(mode="json"))
    assert "HACKED" not in rendered and "PWNED" not in rendered
    assert "Riverton" in council[0].headline or "flood" in council[0].headline.lower()
    # No instruction of the article is a key point, whoever picked it (the model, a fallback
    # or the top-up), and nothing of it leaks into the other stories.
    for kp in council[0].key_points:
        assert not addressed_to_model(kp.text), kp.text
        assert "instruction" not in kp.text.lower() and "fake news" not in kp.text.lower(), kp.text
    others = [s for s in brief.stories if s is not council[0]]
    assert not any("riverton" in json.dumps(s.model_dump(mode="json", exclude={"articles"})).lower() for s in others)
    members = sorted(sorted(Path(a.source).name for a in s.articles) for s in others)
    assert members == sorted(sorted(Path(a.source).name for a in s.articles) for s in first.stories)
    assert servers(home) == []


def test_the_real_model_reports_neither_wrong_fact_of_the_seeds(seeds_run) -> None:
    """Issue 13's two wrong facts, as the labels' patterns (tests/fixtures/newsset/seeds.toml):
    a call reported as a meeting (Zelensky "plans to meet" Trump on Thursday) and Witkoff's
    meeting with Putin given to Trump. Searched in every sentence a reader is shown."""
    import importlib

    sys.path.insert(0, str(ROOT / "bench"))
    sn = importlib.import_module("score_newsset")
    events, problems = sn.load_seeds()
    assert not problems
    wrongs = {w.text for ev in events for w in ev.wrongs}
    assert any("speak with him: a call" in t for t in wrongs) and any("Witkoff" in t for t in wrongs)
    _, _, brief = seeds_run
    fig = sn.score(json.loads(brief.model_dump_json()), events)
    assert fig["wrong_facts"]["count"] == 0, fig["wrong_facts"]["hits"]
    assert fig["point_words"][f"over_{sn.LONG_POINT_WORDS}"] == 0, fig["point_words"]["long"]


def test_the_embedded_model_is_asked_what_the_two_copenhagen_reports_share(seeds_run) -> None:
    """The cross-check runs on the embedded model (one pair a call, a second try for a story
    that kept none); what it keeps cites both outlets, supported by each one's own sentence."""
    from briefgen.notes.ground import support

    _, _, brief = seeds_run
    g = brief.stats.grounding
    assert g.crosscheck_proposed >= 1 and "crosscheck" in brief.stats.prompt_versions
    for story in brief.stories:
        for kp in story.key_points:
            if kp.status == "verified" and len(kp.article_ids) >= 2:
                assert all(ev.quote and support(kp.text, ev.quote).ok for ev in kp.evidence), kp


@pytest.mark.xfail(strict=False, reason=(
    "issue 13, open: the 1.5B model copies one side of each candidate pair as the fact both state, and the "
    "check refuses it (12 proposals, 0 kept, on the AVX2 build every x86-64 machine now gets; a native build "
    "on one 2026-12-02 machine kept one of 12)"))
def test_the_two_copenhagen_reports_share_a_point(seeds_run) -> None:
    """Issue 13: the two reports of the Copenhagen press appearance (000, 004) share a point."""
    _, _, brief = seeds_run
    names = {a.id: Path(a.source).name[:3] for s in brief.stories for a in s.articles}
    assert any({"000", "004"} <= {names[i] for i in kp.article_ids} for s in brief.stories for kp in s.key_points)
