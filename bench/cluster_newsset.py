"""Clustering on the newsset without the model: features from the article text and a
stand-in summary (title as headline, lede as summary, no entity lists), B-cubed by split.

A development proxy, fast enough to iterate on (the real figures come from
``bench/score_newsset.py``, with the embedded model's summaries). Choose on ``tune``,
report ``heldout``; ``--no-dates`` removes every date first (as the scorer does).

    .venv/bin/python bench/cluster_newsset.py [--split tune|heldout|all] [--no-dates] [-v]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import score_newsset as sn  # noqa: E402

from briefgen.dedupe.cluster import cluster_articles  # noqa: E402
from briefgen.dedupe.neardup import collapse_near_duplicates  # noqa: E402
from briefgen.models import ArticleSummary  # noqa: E402
from briefgen.notes.chunk import number_sentences  # noqa: E402
from briefgen.sources.ingest import load_sources  # noqa: E402
from briefgen.text.sentences import lede  # noqa: E402


def proxy_summary(article) -> ArticleSummary:  # type: ignore[no-untyped-def]
    sentences = [s.text for s in number_sentences(article)]
    return ArticleSummary(article_id=article.id, headline=article.title, summary=lede(sentences, article.title))


def run(split: str, no_dates: bool, verbose: bool) -> tuple[float, float, float]:
    events, problems = sn.load_labels(sn.DEFAULT_LABELS)
    chosen = [e for e in events if split == "all" or e.split == split]
    with tempfile.TemporaryDirectory() as tmp:
        for event in chosen:
            for art in event.articles:
                dst = Path(tmp) / art.path.name
                if no_dates:
                    dst.write_text(sn.remove_dates(art.path.read_text()))
                else:
                    shutil.copy(art.path, dst)
        articles, failures = load_sources([tmp])
    unique = collapse_near_duplicates(articles)
    by_id = {a.id: a for a in unique}
    groups = cluster_articles([proxy_summary(a) for a in unique], by_id)
    cluster: dict[str, str] = {}
    for k, group in enumerate(groups):
        for aid in group:
            art = by_id[aid]
            for src in [art.source, *(c.source for c in art.copies)]:
                cluster[Path(src).name.split("[")[0]] = f"s{k}"
    klass = {art.path.name: e.event for e in chosen for art in e.articles}
    for name in klass:
        cluster.setdefault(name, f"missing:{name}")
    p, r, f = sn.bcubed(cluster, klass)
    if verbose:
        for k, group in enumerate(groups):
            names = sorted({n for n, c in cluster.items() if c == f"s{k}"})
            print(f"  s{k}: " + ", ".join(f"{n}={klass.get(n, '?')}" for n in names))
    print(f"{split:8} {'no dates' if no_dates else 'dated':8} stories {len(groups):3} / events {len(chosen):3}  "
          f"B-cubed P {p:.3f} R {r:.3f} F1 {f:.3f}")
    return p, r, f


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="tune", choices=["tune", "heldout", "all"])
    ap.add_argument("--no-dates", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    run(args.split, args.no_dates, args.verbose)


if __name__ == "__main__":
    main()
