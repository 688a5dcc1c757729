"""Judge: the yes/no call on the pairs the clustering features barely decide."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scripted import notes_responder, user_text

from briefgen.config import Settings
from briefgen.dedupe import cluster, judge
from briefgen.dedupe.cluster import ClusterParams, cluster_articles
from briefgen.models import Article, ArticleSummary
from briefgen.pipeline import build_brief


def test_borderline_pairs_are_those_near_the_threshold_closest_first() -> None:
    pairs = np.array([[0, 1], [0, 2], [1, 2], [2, 3]])
    scores = np.array([0.10, 0.23, 0.20, 0.40])
    assert judge.borderline(pairs, scores, 0.22, band=0.05) == [1, 2]


def test_verdicts_lift_drop_or_leave_a_score() -> None:
    pairs = np.array([[0, 1], [1, 2], [2, 3]])
    scores = np.array([0.20, 0.24, 0.21])
    verdicts = {("a", "b"): True, ("b", "c"): False, ("c", "d"): None}
    asked: list[tuple[str, str]] = []

    def ask(a: str, b: str) -> bool | None:
        asked.append((a, b))
        return verdicts[(a, b)]

    out, n, changed = judge.judged_scores(pairs, scores, ["a", "b", "c", "d"], ask, 0.22, band=0.05)
    assert n == 3 and sorted(asked) == sorted(verdicts)
    assert out[0] >= 0.22 and out[1] == 0.0 and out[2] == pytest.approx(0.21)
    assert changed == 2  # a~b now merges, b~c no longer does
    assert scores[0] == pytest.approx(0.20)  # the input is not changed


def _pair() -> tuple[list[ArticleSummary], dict[str, Article]]:
    a = Article.create(source="a.txt", title="Council approves budget",
                       body="The city council of Springfield approved the budget of 4 million on Monday.")
    b = Article.create(source="b.txt", title="Springfield budget passes",
                       body="Springfield councillors passed a budget of 4 million euros after a long debate.")
    sums = [ArticleSummary(article_id=x.id, headline=x.title, summary=x.body, places=["Springfield"]) for x in (a, b)]
    return sums, {a.id: a, b.id: b}


def test_the_judge_decides_a_pair_at_the_threshold_both_ways() -> None:
    sums, arts = _pair()
    base = cluster_articles(sums, arts, params=ClusterParams(threshold=0.01))
    assert len(base) == 1  # they do share words: a candidate pair with some score
    # Put the threshold just above the pair's score: apart without a judge, borderline with one.
    feats = [cluster.extract_features(s, arts[s.article_id]) for s in sums]
    params = ClusterParams()
    mats = cluster._build_matrices(feats, params)
    pairs = cluster.candidate_pairs(feats, mats.top_terms, params.max_block)
    score = float(cluster.score_pairs(pairs, mats, params)[0])
    just_above = replace(params, threshold=score + 0.01)
    assert len(cluster_articles(sums, arts, params=just_above)) == 2
    assert len(cluster_articles(sums, arts, params=just_above, judge=lambda a, b: True)) == 1
    just_below = replace(params, threshold=score - 0.01)
    assert len(cluster_articles(sums, arts, params=just_below)) == 1
    assert len(cluster_articles(sums, arts, params=just_below, judge=lambda a, b: False)) == 2
    assert len(cluster_articles(sums, arts, params=just_below, judge=lambda a, b: None)) == 1


def _two_articles(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "one.md").write_text("---\ntitle: Port strike halts container traffic in Rotterdam\ndate: 2025-03-03\n---\n"
                              "Dock workers in Rotterdam walked out on Monday, halting container traffic.\n\n"
                              "The FNV union said the strike would last 48 hours.\n", encoding="utf-8")
    (d / "two.md").write_text("---\ntitle: Rotterdam dockers strike over pay\ndate: 2025-03-03\n---\n"
                              "Container traffic in Rotterdam stopped on Monday as dock workers went on strike.\n\n"
                              "Union FNV wants a pay rise of 7 percent.\n", encoding="utf-8")
    return d


@pytest.mark.parametrize("same", [True, False])
def test_the_pipeline_asks_the_judge_and_follows_it(fake_llm, tmp_path: Path, monkeypatch, same: bool) -> None:
    monkeypatch.setattr(judge, "BORDERLINE_BAND", 1.0)  # every candidate pair is borderline here
    fake_llm.responder = lambda r: json.dumps({"same": same}) if "<articles>" in user_text(r) else notes_responder(r)
    settings = Settings(base_url=fake_llm.base_url, api_key="k", model="m", cluster_judge=True, crosscheck=False)
    brief = build_brief([str(_two_articles(tmp_path))], settings)
    asked = [user_text(r.json) for r in fake_llm.judge_requests]
    assert len(asked) == 1
    # Both titles, their first sentences and their dates went to the judge.
    assert "Port strike halts container traffic in Rotterdam" in asked[0] and "Rotterdam dockers strike" in asked[0]
    assert "walked out on Monday" in asked[0] and "2025-03-03" in asked[0]
    assert len(brief.stories) == (1 if same else 2)
    assert "judge" in brief.stats.prompt_versions


def test_no_judge_call_by_default(fake_llm, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(judge, "BORDERLINE_BAND", 1.0)
    fake_llm.responder = notes_responder
    build_brief([str(_two_articles(tmp_path))], Settings(base_url=fake_llm.base_url, api_key="k", model="m"))
    assert fake_llm.article_requests and not fake_llm.judge_requests
