"""Story clustering on what the embedded model really extracts (not hand-written summaries).

Writes the labeled fixture articles (tests/fixtures/events: 42 articles, 12 events, six
same-topic traps, six wire copies) as text files with front matter, builds their brief with
the embedded model through the normal pipeline, and scores the stories against the event
labels with B-cubed precision/recall/F1 (tests/metrics.py). Minutes of model time (cached
in a home folder that is reused when given).

    python bench/bench_cluster_model.py [--home DIR] [--split tune|heldout|all]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from metrics import bcubed  # noqa: E402

from briefgen.config import load_settings  # noqa: E402
from briefgen.pipeline import build_brief  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--split", default="all", choices=["tune", "heldout", "all"])
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="bg-cluster-"))
    os.environ["BRIEFGEN_HOME"] = str(home)
    os.environ.setdefault("BRIEFGEN_MODEL_DIR", platformdirs.user_cache_dir("briefgen"))
    folder = home / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    gold: dict[str, str] = {}
    for path in sorted((ROOT / "tests" / "fixtures" / "events").glob("*.json")):
        item = json.loads(path.read_text())
        if args.split != "all" and item["split"] != args.split:
            continue
        a = item["article"]
        front = {k: a[k] for k in ("outlet", "url", "published") if a.get(k)}
        lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in front.items()), "---", a["title"], ""]
        if a.get("dateline"):
            lines.append(a["dateline"])
        lines.append(a["body"])
        out = folder / f"{item['key']}.txt"
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        gold[out.name] = item["event"]
    settings, _ = load_settings({})
    started = time.monotonic()
    brief = build_brief([str(folder)], settings)
    took = time.monotonic() - started
    predicted = [[Path(a.source).name for a in s.articles] for s in brief.stories]
    p, r, f = bcubed(predicted, gold)
    print(f"split={args.split} articles={len(gold)} events={len(set(gold.values()))} stories={len(brief.stories)} "
          f"B-cubed P={p:.3f} R={r:.3f} F1={f:.3f}; LLM calls {brief.stats.llm_calls} "
          f"({brief.stats.cache_hits} cached), {took:.0f} s; home {home}")
    for s in brief.stories:
        labels = sorted({gold[Path(a.source).name] for a in s.articles})
        if len(labels) > 1:
            print("  merged events:", labels)
    for label in sorted(set(gold.values())):
        parts = [i for i, s in enumerate(brief.stories) if any(gold[Path(a.source).name] == label for a in s.articles)]
        if len(parts) > 1:
            print("  split event:", label, "across", len(parts), "stories")


if __name__ == "__main__":
    main()
