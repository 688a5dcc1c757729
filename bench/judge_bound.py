"""What an LLM judge for borderline pairs could gain in clustering, measured before building one.

    python bench/judge_bound.py [--split tune|heldout|all] [--no-dates]

Builds the split's brief with the CLI at debug level (replies cached by prompt hash, so a
built split re-runs in seconds), reads the pairs ``briefgen.dedupe.cluster`` logs as
borderline (score within BORDERLINE_BAND of the threshold: the pairs a judge would be
asked), and counts, against the labels: how many there are (= judge calls), how many join
two files of one event, and how many of those the brief decided wrongly (one event in two
stories, or two events in one). A perfect judge fixes at most those; each call costs about
one short prompt (two titles and ledes, ~150 tokens) and a one-word reply.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import score_newsset as sn  # noqa: E402

PAIR = re.compile(r"cluster: borderline pair (\S+) (\S+) score ([0-9.]+)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="tune", choices=["tune", "heldout", "all"])
    ap.add_argument("--no-dates", action="store_true", help="the split's files with their dates removed")
    args = ap.parse_args(argv)
    events, _ = sn.load_labels(sn.DEFAULT_LABELS)
    chosen = sn.select(events, args.split)
    event_of = {label.path.name: ev.event for ev in chosen for label in ev.articles}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "brief.json"
        inputs = Path(tmp) / "articles"
        inputs.mkdir()
        sn.copy_inputs(chosen, inputs, no_dates=args.no_dates)
        cmd = [sys.executable, "-m", "briefgen", "build", str(inputs), "--format", "json", "-o", str(out),
               "--max-stories", "999", "-vv"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode not in (0, 3):
            print(proc.stderr[-2000:], file=sys.stderr)
            return 1
        brief = json.loads(out.read_text(encoding="utf-8"))
    story_of = {sn.source_key(src): k for k, story in enumerate(brief["stories"]) for src in sn.story_sources(story)}
    pairs = [(sn.source_key(a), sn.source_key(b), float(s)) for a, b, s in PAIR.findall(proc.stderr)]
    files = {name: story_of.get(name, -1) for pair in pairs for name in pair[:2]}
    same = [p for p in pairs if event_of.get(p[0]) and event_of.get(p[0]) == event_of.get(p[1])]
    wrong = [p for p in pairs if (event_of.get(p[0]) == event_of.get(p[1])) != (files[p[0]] == files[p[1]])]
    print(f"split {args.split}: {len(pairs)} borderline pairs (judge calls), {len(same)} of one event, "
          f"{len(pairs) - len(same)} of two; decided wrongly now: {len(wrong)}")
    for a, b, s in sorted(pairs, key=lambda p: p[2]):
        verdict = "same event" if event_of.get(a) == event_of.get(b) else "different events"
        now = "one story" if files[a] == files[b] else "two stories"
        print(f"  {s:.3f}  {a} ~ {b}: {verdict}, {now}{'  <- wrong' if (a, b, s) in wrong else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
