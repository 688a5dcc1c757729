"""Sentence selection for the top-up (briefgen/notes/select.py), judged on the labeled set.

Model-free, seconds. Every candidate sentence of every article of a split (the sentences
grounding may cite: background passages and text addressed to a model excluded) is labeled
positive when it alone carries a key fact of its event that the article holds (the scorer's
rule: one alternative of every group of the fact's `all`). Two rankings are compared:

  newsworthiness  briefgen's score (figures, names, quotes, earlier first, recaps down);
  logistic        a logistic regression over fifteen general sentence features (below),
                  fitted on --fit (default tune), optionally refined by coordinate ascent on
                  the fit split's recall (--search); and "lead" (article order) as a floor.

Judged per split by AUC (ranking positive sentences) and recall@k: the share of an article's
facts carried by its title, its first sentence (a stand-in for the model's summary) and the
k sentences the top-up would pick (best first, a sentence mostly said already skipped),
averaged over k = 3..6, plus the oracle (the k sentences carrying most facts).

    python bench/fit_salience.py [--fit tune] [--l2 0.5] [--search]

Choose on tune, report heldout.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from briefgen.notes.chunk import background_sentences, number_sentences  # noqa: E402
from briefgen.notes.select import newsworthiness  # noqa: E402
from briefgen.text.figures import is_year, numbers  # noqa: E402
from briefgen.text.tokens import ascii_quotes  # noqa: E402
from briefgen.sources.ingest import load_sources  # noqa: E402
from briefgen.text.addressed import addressed_to_model  # noqa: E402
from briefgen.text.names import proper_names  # noqa: E402
from briefgen.text.tokens import content_terms, covers  # noqa: E402
import score_newsset as sn  # noqa: E402


# The features of the logistic design (tried and rejected: see the module docstring).
WEIGHTS0: dict[str, float] = {k: 0.0 for k in (
    "bias figures money_pct names title lede early position speech quote length pronoun recap timing central").split()}

_SPEECH = re.compile(
    r"\b(?:said|says|told|tells|announced|announces|stated|added|confirmed|warned|according to|"
    r"insisted|stressed|wrote|urged|declined|denied)\b", re.I)
_MONEY_PCT = re.compile(r"[$€£¥]\s?\d|\d\s?(?:%|percent|per cent|basis points?|bps)\b|\b\d[\d.,]*\s?(?:million|billion|trillion|bn|m)\b", re.I)
_PRONOUN = re.compile(r"^(?:he|she|it|they|this|these|that|those|his|her|its|their)\b", re.I)
_RECAP = re.compile(
    r"\b(?:last (?:year|month|week|spring|summer|autumn|fall|winter)|earlier this (?:year|month)|"
    r"previous(?:ly)?|in the past|has long|had long|since (?:then|\d{4})|years? ago|months ago|"
    r"a year earlier|back in|history|historically|was founded|first (?:introduced|launched))\b", re.I)
_TIMING = re.compile(
    r"\b(?:today|tonight|yesterday|tomorrow|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"this (?:morning|afternoon|evening|week)|overnight|next (?:week|month))\b", re.I)


def article_context(title: str, sentences: dict[int, str]) -> tuple[set[str], set[str], dict[str, int]]:
    ordered = [sentences[n] for n in sorted(sentences)]
    lede_terms: set[str] = set()
    for text in ordered[:2]:
        lede_terms |= content_terms(text)
    counts: dict[str, int] = {}
    for text in ordered:
        for t in content_terms(text):
            counts[t] = counts.get(t, 0) + 1
    return content_terms(title), lede_terms, counts


def features(text: str, n: int, total: int, title_terms: set[str], lede_terms: set[str],
             seen_names: set[str], article_terms: dict[str, int]) -> dict[str, float]:
    plain = ascii_quotes(text)
    terms = content_terms(plain)
    new_names = {k.casefold() for k in proper_names(plain)} - seen_names
    central = sum(1 for t in terms if article_terms.get(t, 0) >= 2) / len(terms) if terms else 0.0
    return {
        "bias": 1.0,
        "figures": min(len({v for v in numbers(plain) if not is_year(v.removesuffix("%"))}), 3) / 3,
        "money_pct": 1.0 if _MONEY_PCT.search(plain) else 0.0,
        "names": min(len(new_names), 4) / 4,
        "title": len(terms & title_terms) / len(title_terms) if title_terms else 0.0,
        "lede": len(terms & lede_terms) / len(lede_terms) if lede_terms else 0.0,
        "early": 1.0 if n <= 3 else 0.0,
        "position": (n - 1) / max(total - 1, 1),
        "speech": 1.0 if _SPEECH.search(plain) else 0.0,
        "quote": 1.0 if '"' in plain else 0.0,
        "length": min(len(plain.split()), 40) / 40,
        "pronoun": 1.0 if _PRONOUN.match(plain.lstrip('"\' ')) else 0.0,
        "recap": 1.0 if _RECAP.search(plain) else 0.0,
        "timing": 1.0 if _TIMING.search(plain) else 0.0,
        "central": central,
    }

FEATURES = list(WEIGHTS0)


def articles_of(events: list[sn.Event]) -> list[dict]:
    """One record per labeled article: its candidate sentences, their labels, its facts."""
    out = []
    for ev in events:
        for label in ev.articles:
            arts, _ = load_sources([str(label.path)])
            if not arts:
                continue
            art = arts[0]
            background = background_sentences(art)
            sents = {s.n: s.text for s in number_sentences(art)
                     if s.n not in background and not addressed_to_model(s.text)}
            facts = [f for f in ev.facts if label.file in f.in_]
            if not sents or not facts:
                continue
            out.append({"event": ev.event, "split": ev.split, "file": label.file, "title": art.title,
                        "sentences": sents, "facts": facts})
    return out


def design(rec: dict) -> tuple[list[int], np.ndarray, np.ndarray]:
    sents = rec["sentences"]
    title_terms, lede_terms, counts = article_context(rec["title"], sents)
    seen = {k.casefold() for k in proper_names(rec["title"])}
    total = max(sents)
    ns = sorted(sents)
    X = np.array([[features(sents[n], n, total, title_terms, lede_terms, seen, counts)[k] for k in FEATURES]
                  for n in ns])
    y = np.array([1.0 if any(sn.carries(f.all, sents[n]) for f in rec["facts"]) else 0.0 for n in ns])
    return ns, X, y


def fit(X: np.ndarray, y: np.ndarray, l2: float, steps: int = 4000, lr: float = 0.5) -> np.ndarray:
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (p - y) / len(y) + l2 * np.r_[0.0, w[1:]] / len(y)
        w -= lr * grad
    return w


def auc(scores: np.ndarray, y: np.ndarray) -> float:
    pos, neg = scores[y == 1], scores[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    wins = sum(((p > neg).sum() + 0.5 * (p == neg).sum()) for p in pos)
    return float(wins / (len(pos) * len(neg)))


def pick(rec: dict, order: list[int], k: int) -> list[str]:
    sents = rec["sentences"]
    first = sents[min(sents)]
    shown = [rec["title"], first]
    covered = [content_terms(first)]
    for n in order:
        if len(shown) - 2 >= k:
            break
        text = sents[n]
        if n == min(sents) or not (8 <= len(text.split()) <= 45) or text.rstrip().endswith("?"):
            continue
        if covers(text, covered, 0.5):
            continue
        shown.append(text)
        covered.append(content_terms(text))
    return shown


def recall(recs: list[dict], ranker, k: int) -> float:
    got = tot = 0
    for rec in recs:
        shown = pick(rec, ranker(rec), k)
        for f in rec["facts"]:
            tot += 1
            got += any(sn.carries(f.all, s) for s in shown)
    return got / tot if tot else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fit", default="tune", choices=["tune", "heldout", "all"])
    ap.add_argument("--l2", type=float, default=0.5)
    ap.add_argument("--search", action="store_true",
                    help="then coordinate ascent on the weights for the fit split's mean recall@3..6")
    args = ap.parse_args(argv)
    events, _ = sn.load_labels(sn.DEFAULT_LABELS)
    seeds, _ = sn.load_seeds(sn.DEFAULT_SEEDS)
    for ev in seeds:
        ev.split = "seeds"
    recs = articles_of(events + seeds)
    mats = {id(r): design(r) for r in recs}
    train = [r for r in recs if args.fit == "all" and r["split"] != "seeds" or r["split"] == args.fit]
    X = np.vstack([mats[id(r)][1] for r in train])
    y = np.concatenate([mats[id(r)][2] for r in train])
    w = fit(X, y, args.l2)
    fitted = dict(zip(FEATURES, (round(float(v), 2) for v in w)))
    print(f"fitted on {args.fit}: {len(train)} articles, {len(y)} sentences, {int(y.sum())} positive")
    print("WEIGHTS = {" + ", ".join(f'"{k}": {v}' for k, v in fitted.items()) + "}")

    def by_weights(weights):
        def ranker(rec):
            ns, Xr, _ = mats[id(rec)]
            z = Xr @ np.array([weights.get(f, 0.0) for f in FEATURES])
            return [n for _, n in sorted(zip(-z, ns))]
        return ranker

    def old(rec):
        return [n for _, n in sorted((-newsworthiness(t, n), n) for n, t in rec["sentences"].items())]

    def lead(rec):
        return sorted(rec["sentences"])

    if args.search:
        train_recs = train

        def objective(weights):
            return sum(recall(train_recs, by_weights(weights), k) for k in (3, 4, 5, 6)) / 4

        best = dict(fitted)
        best_score = objective(best)
        for _ in range(3):
            improved = False
            for f in FEATURES:
                for delta in (-1.0, -0.5, -0.25, 0.25, 0.5, 1.0):
                    trial = dict(best)
                    trial[f] = round(trial[f] + delta, 2)
                    sc = objective(trial)
                    if sc > best_score + 1e-9:
                        best, best_score, improved = trial, sc, True
            if not improved:
                break
        fitted = best
        print(f"searched: mean recall@3..6 on {args.fit} {best_score:.3f}")
        print("WEIGHTS = {" + ", ".join(f'"{k}": {v}' for k, v in fitted.items()) + "}")

    rankers = {"logistic": by_weights(fitted), "newsworthiness": old, "lead": lead, "oracle": oracle}
    print(f"{'split':8} {'arts':>4} {'AUC log':>8} {'AUC news':>8} " + " ".join(f"{name:>15}" for name in rankers)
          + "   (recall@k, mean of k=3..6)")
    for split in ["tune", "heldout", "seeds"]:
        part = [r for r in recs if r["split"] == split]
        if not part:
            continue
        Xs = np.vstack([mats[id(r)][1] for r in part])
        ys = np.concatenate([mats[id(r)][2] for r in part])
        news = np.concatenate([np.array([newsworthiness(r["sentences"][n], n) for n in mats[id(r)][0]]) for r in part])
        cells = " ".join(f"{sum(recall(part, rk, k) for k in (3, 4, 5, 6)) / 4:15.3f}" for rk in rankers.values())
        print(f"{split:8} {len(part):4d} {auc(Xs @ w, ys):8.3f} {auc(news, ys):8.3f} {cells}")
    return 0


def oracle(rec: dict) -> list[int]:
    """The sentences carrying most facts not yet carried, greedily (an upper bound)."""
    s, left, order = rec["sentences"], list(rec["facts"]), []
    cand = sorted(s)
    while cand:
        best = max(cand, key=lambda n: sum(sn.carries(f.all, s[n]) for f in left))
        order.append(best)
        cand.remove(best)
        left = [f for f in left if not sn.carries(f.all, s[best])]
    return order


if __name__ == "__main__":
    raise SystemExit(main())
