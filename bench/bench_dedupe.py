"""Deduplication benchmark: threshold tuning on the fixtures, and cost at scale.

    python bench/bench_dedupe.py --tune            # choose thresholds on the *tuning* split
    python bench/bench_dedupe.py --sizes 1000 10000 50000

``--tune`` sweeps the near-dup Jaccard threshold and the clustering parameters on the
tuning split of tests/fixtures/events only, picks the best (the middle of the best plateau,
for margin), then reports the held-out split at that choice — it never looks at held-out
scores to choose.

The scale run uses a synthetic but realistic generator (no LLM): events drawn from topic
templates with shared entity pools (the same leaders, banks and cities recur across events),
same-topic traps (the same kind of event with the same actors a few days apart), about 15 %
wire copies (lightly edited reprints under another outlet), missing published dates and
summaries with missing or off-by-one event dates. It times near-dup and clustering and
records peak memory (tracemalloc) and B-cubed F1 against the generator's labels.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import sys
import time
import tracemalloc
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from briefgen.dedupe.cluster import ClusterParams, cluster_articles  # noqa: E402
from briefgen.models import Article, ArticleSummary, Evidence, KeyPoint  # noqa: E402
from briefgen.dedupe.neardup import collapse_near_duplicates, near_duplicate_pairs  # noqa: E402
from metrics import bcubed, expand_copies, load_event_fixtures, pairwise  # noqa: E402

# ---- tuning on the fixtures ---------------------------------------------------------------


def _family(key: str) -> str:
    """The trap family of a fixture key: 'merz1-cpa' and 'merz2-global' are both 'merz'."""
    return "boc" if key.startswith("boc") else key.split("-")[0].rstrip("0123456789")


def one_topic_f1(split: str, params: ClusterParams) -> float:
    """Mean B-cubed F1 over one-topic days: each trap family of the split clustered alone.

    Like the seeds (five articles on one war), every name in such a batch is common, so
    only the rare shared ones can tell its two events apart.
    """
    fams: dict[str, list] = {}
    for x in load_event_fixtures(split):
        fams.setdefault(_family(x.key), []).append(x)
    scores = []
    for labeled in fams.values():
        reps = collapse_near_duplicates([x.article for x in labeled])
        by_id = {r.id: r for r in reps}
        summaries = {x.article.id: x.summary for x in labeled}
        groups = cluster_articles([summaries[r.id] for r in reps], by_id, params=params)
        scores.append(bcubed(expand_copies(groups, by_id), {x.article.id: x.event for x in labeled})[2])
    return sum(scores) / len(scores)


def seeds_partition_ok(params: ClusterParams) -> bool:
    """Whether the embedded model's real summaries of the seeds cluster into the true stories.

    (000+004 one Copenhagen appearance; 001, 002, 003 apart.) Part of the *tuning* data: the
    labeled fixtures have dates and full entity lists, and cannot tell weightings apart that
    this undated one-topic day with a small model's short lists does.
    """
    import json

    from briefgen.sources.ingest import load_sources

    articles, _ = load_sources([str(ROOT / "seeds")])
    by_name = {Path(a.source).name: a for a in articles}
    doc = json.loads((ROOT / "tests" / "fixtures" / "seeds_model" / "summaries_v2.json").read_text(encoding="utf-8"))
    sums = [ArticleSummary.model_validate({**v, "article_id": by_name[n].id}) for n, v in doc.items()]
    short = {a.id: Path(a.source).name[:3] for a in articles}
    groups = cluster_articles(sums, {a.id: a for a in articles}, params=params)
    return sorted(sorted(short[a] for a in g) for g in groups) == [["000", "004"], ["001"], ["002"], ["003"]]


def evaluate(split: str, params: ClusterParams, nd_threshold: float = 0.5) -> dict[str, float]:
    """Near-dup pairwise P/R and clustering B-cubed P/R/F1 on one fixture split."""
    labeled = load_event_fixtures(split)
    arts = [x.article for x in labeled]
    pairs = near_duplicate_pairs(arts, threshold=nd_threshold)
    wire: dict[str, list[str]] = {}
    for x in labeled:
        if x.wire_group:
            wire.setdefault(x.wire_group, []).append(x.article.id)
    nd_p, nd_r = pairwise([(arts[i].id, arts[j].id) for i, j, _ in pairs], wire.values())
    reps = collapse_near_duplicates(arts, threshold=nd_threshold)
    by_id = {r.id: r for r in reps}
    summaries = {x.article.id: x.summary for x in labeled}
    groups = cluster_articles([summaries[r.id] for r in reps], by_id, params=params)
    p, r, f = bcubed(expand_copies(groups, by_id), {x.article.id: x.event for x in labeled})
    return {"nd_p": nd_p, "nd_r": nd_r, "p": p, "r": r, "f1": f}


def tune() -> None:
    """Grid search on the tuning split; report held-out at the chosen point."""
    # Near-dup threshold: the widest band with perfect pairwise P and R on the tuning split.
    nd_ok = [t / 100 for t in range(20, 96, 5) if (lambda m: m["nd_p"] == 1.0 and m["nd_r"] == 1.0)(
        evaluate("tune", ClusterParams(), t / 100))]
    print(f"near-dup thresholds with P=R=1 on tune: {nd_ok[0] if nd_ok else None}..{nd_ok[-1] if nd_ok else None}")
    nd = nd_ok[len(nd_ok) // 2] if nd_ok else 0.5
    grid = []
    base = ClusterParams()
    # Date bonus/penalty stay at +0.1/-0.5 (an earlier sweep over 0.05-0.1 and 0.3-0.5 was flat).
    for w_text, w_fig, w_name in itertools.product((0.3, 0.4, 0.5), (0.2, 0.3), (0.0, 0.2, 0.3, 0.4)):
        w_ent = round(1.0 - w_text - w_fig - w_name, 2)
        if w_ent < 0.1:
            continue
        for th in [x / 100 for x in range(16, 46, 2)]:
            params = replace(base, threshold=th, w_text=w_text, w_ent=w_ent, w_fig=w_fig, w_name=w_name)
            f1 = evaluate("tune", params, nd)["f1"]
            # The tune split as one day first; one-topic days (each trap family alone), then the
            # real-model seeds, break ties.
            grid.append(((round(f1, 6), round(one_topic_f1("tune", params), 6), seeds_partition_ok(params)), params))
    best = max(f for f, _ in grid)
    # Among the best weight settings, take the threshold in the middle of their plateau.
    top = [p for f, p in grid if f >= best]
    by_weights: dict[tuple[float, ...], list[float]] = {}
    for p in top:
        by_weights.setdefault((p.w_text, p.w_ent, p.w_fig, p.w_name), []).append(p.threshold)
    weights, ths = max(by_weights.items(), key=lambda kv: (len(kv[1]), kv[0]))
    chosen = replace(base, w_text=weights[0], w_ent=weights[1], w_fig=weights[2], w_name=weights[3],
                     threshold=sorted(ths)[len(ths) // 2])
    print(f"best tune (F1, one-topic F1, seeds partition right) {best}; {len(top)} grid points reach it; chosen: {chosen}")
    print(f"thresholds on that plateau: {sorted(ths)}")
    for split in ("tune", "heldout"):
        m = evaluate(split, chosen, nd)
        print(f"{split:8s} near-dup P={m['nd_p']:.3f} R={m['nd_r']:.3f}   "
              f"B-cubed P={m['p']:.3f} R={m['r']:.3f} F1={m['f1']:.3f}   one-topic F1={one_topic_f1(split, chosen):.3f}")


# ---- synthetic data at scale ----------------------------------------------------------------

TOPICS = {
    "rate": ["central bank", "interest rate", "inflation", "basis points", "governor", "policy", "decision", "economists", "markets", "currency"],
    "quake": ["earthquake", "magnitude", "epicentre", "aftershocks", "buildings", "rescue", "injured", "killed", "depth", "tremor"],
    "strike": ["strike", "union", "walkout", "flights", "cancelled", "passengers", "pensions", "talks", "management", "airline"],
    "match": ["match", "goal", "minute", "penalty", "league", "manager", "season", "points", "stadium", "derby"],
    "presser": ["press conference", "chancellor", "minister", "border", "asylum", "coalition", "parliament", "court", "policy", "reporters"],
    "fire": ["wildfire", "hectares", "firefighters", "evacuated", "wind", "blaze", "forest", "aircraft", "residents", "prefecture"],
    "summit": ["summit", "leaders", "agreement", "sanctions", "security", "guarantees", "talks", "delegation", "treaty", "alliance"],
    "earnings": ["quarterly", "revenue", "profit", "shares", "guidance", "analysts", "margin", "investors", "outlook", "dividend"],
}


def _name(rng: random.Random, syll: int) -> str:
    parts = ["ka", "lo", "mi", "ran", "te", "vo", "sa", "der", "na", "bel", "tor", "gri", "ul", "es", "fen", "po", "zu", "hal", "wi", "mar"]
    return "".join(rng.choice(parts) for _ in range(syll)).capitalize()


def generate(n: int, seed: int = 7) -> tuple[list[Article], dict[str, ArticleSummary], dict[str, str]]:
    """``n`` synthetic articles with summaries and event labels (article id -> event)."""
    rng = random.Random(seed)
    people = [f"{_name(rng, 2)} {_name(rng, 3)}" for _ in range(max(50, n // 20))]
    orgs = [f"{_name(rng, 3)} {rng.choice(['Bank', 'Union', 'Party', 'Group', 'Agency', 'FC'])}" for _ in range(max(30, n // 40))]
    places = [_name(rng, 3) for _ in range(max(40, n // 25))]
    outlets = [f"{_name(rng, 2)} {rng.choice(['Times', 'Post', 'Herald', 'News', 'Ledger'])}" for _ in range(200)]
    general = [_name(rng, rng.randint(1, 3)).lower() for _ in range(8000)]
    zipf = [1.0 / (i + 1) for i in range(len(general))]
    start = date(2025, 1, 1)
    articles: list[Article] = []
    summaries: dict[str, ArticleSummary] = {}
    labels: dict[str, str] = {}
    ev = 0
    prev_events: list[dict[str, object]] = []
    while len(articles) < n:
        ev += 1
        topic = rng.choice(list(TOPICS))
        if prev_events and rng.random() < 0.4:
            # Same-topic trap: the same actors and place, a different day and different figures.
            base = rng.choice(prev_events[-50:])
            topic = str(base["topic"])
            ents = dict(base["ents"])  # type: ignore[arg-type]
            day = base["day"] + timedelta(days=rng.choice([-14, -7, -3, 3, 7, 14, 30]))  # type: ignore[operator]
        else:
            ents = {"people": rng.sample(people, 2), "orgs": rng.sample(orgs, 1), "places": rng.sample(places, 2)}
            day = start + timedelta(days=rng.randrange(120))
        event = {"topic": topic, "ents": ents, "day": day}
        prev_events.append(event)
        figs = [str(rng.randint(2, 999)), f"{rng.randint(1, 9)}.{rng.randint(0, 9)}", f"{rng.randint(1, 99)}%"]
        specific = [_name(rng, 3).lower() for _ in range(4)]
        k = min(n - len(articles), max(1, int(rng.expovariate(1 / 4))))
        originals: list[Article] = []
        for _ in range(k):
            if originals and rng.random() < 0.15:
                src = rng.choice(originals)
                words = src.body.split(" ")
                for _ in range(3):
                    words[rng.randrange(len(words))] = rng.choice(general)
                body = " ".join(words[: int(len(words) * rng.uniform(0.85, 1.0))])
                title = src.title + " | " + rng.choice(outlets)
                sents_src = summaries[src.id]
            else:
                sents = []
                for _ in range(rng.randint(10, 16)):
                    w = rng.choices(general, weights=zipf, k=rng.randint(8, 14))
                    w += rng.sample(TOPICS[topic], 2)
                    if rng.random() < 0.5:
                        w.append(rng.choice(specific))
                    if rng.random() < 0.4:
                        w.append(rng.choice(figs))
                    if rng.random() < 0.4:
                        w.append(rng.choice(ents["people"] + ents["places"] + ents["orgs"]))  # type: ignore[operator]
                    rng.shuffle(w)
                    text = " ".join(w)
                    # Names keep their capitals in running text, as in real articles (str.capitalize
                    # would lowercase them and hide them from the text-names feature).
                    sents.append(text[0].upper() + text[1:] + ".")
                body = " ".join(sents)
                title = f"{ents['places'][0]} {TOPICS[topic][0]} {rng.choice(specific)}"  # type: ignore[index]
                sents_src = None
            published = None
            if rng.random() > 0.1:
                published = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=rng.randint(1, 30))
            art = Article.create(source=f"synthetic/{len(articles)}", title=title, body=body, outlet=rng.choice(outlets), published=published)
            if sents_src is not None:
                summary = sents_src.model_copy(update={"article_id": art.id})
            else:
                originals.append(art)
                lead = body.split(". ")
                r = rng.random()
                edate = None if r < 0.1 else (day + timedelta(days=1) if r < 0.15 else day)
                summary = ArticleSummary(
                    article_id=art.id, headline=title, summary=". ".join(lead[:2]) + ".",
                    key_points=[KeyPoint(text=s, evidence=[Evidence(article_id=art.id, sentences=[i + 1])]) for i, s in enumerate(lead[:4])],
                    people=[p for p in ents["people"] if rng.random() > 0.2],  # type: ignore[attr-defined]
                    organizations=[o for o in ents["orgs"] if rng.random() > 0.3],  # type: ignore[attr-defined]
                    places=[p for p in ents["places"] if rng.random() > 0.2],  # type: ignore[attr-defined]
                    event_date=edate, topics=[topic],
                )
            articles.append(art)
            summaries[art.id] = summary
            labels[art.id] = f"e{ev}"
    return articles, summaries, labels


def _run_once(articles: list[Article], summaries: dict[str, ArticleSummary], trace: bool) -> tuple[float, float, float, float, list[Article], list[list[str]]]:
    def measured(fn):  # type: ignore[no-untyped-def]
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()
        out = fn()
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
        if trace:
            tracemalloc.stop()
        return out, elapsed, peak

    reps, t_nd, m_nd = measured(lambda: collapse_near_duplicates(articles))
    by_id = {r.id: r for r in reps}
    groups, t_cl, m_cl = measured(lambda: cluster_articles([summaries[r.id] for r in reps], by_id))
    return t_nd, m_nd, t_cl, m_cl, reps, groups


def scale(sizes: list[int]) -> None:
    """Time (untraced run) and peak memory (a second, tracemalloc run) of both levels per size."""
    print(f"machine: {os.cpu_count()} cores (nproc), Python {platform.python_version()}, {platform.machine()}")
    print("| articles | unique after near-dup | near-dup s | near-dup peak MiB | cluster s | cluster peak MiB | stories | B-cubed F1 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        articles, summaries, labels = generate(n)
        t_nd, _, t_cl, _, reps, groups = _run_once(articles, summaries, trace=False)
        _, m_nd, _, m_cl, _, _ = _run_once(articles, summaries, trace=True)
        by_id = {r.id: r for r in reps}
        _, _, f1 = bcubed(expand_copies(groups, by_id), labels)
        print(f"| {n:,} | {len(reps):,} | {t_nd:.1f} | {m_nd:.0f} | {t_cl:.1f} | {m_cl:.0f} | {len(groups):,} | {f1:.3f} |", flush=True)


def main() -> None:
    """Parse the command line and run the tuning or the scale benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tune", action="store_true", help="sweep thresholds on the tuning fixtures")
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    args = ap.parse_args()
    if args.tune:
        tune()
    else:
        scale(args.sizes)


if __name__ == "__main__":
    main()
