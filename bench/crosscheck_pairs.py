"""How well the embedded model writes the fact two outlets' sentences share, pair by pair.

    python bench/crosscheck_pairs.py [--split tune|heldout|seeds ...] [--per-call N] [--prompts-dir DIR]

For every labeled event of the chosen parts (tests/fixtures/newsset, wire copies left out) and
the seeds' two Copenhagen reports, the candidate pairs briefgen would ask about
(``crosscheck.candidate_pairs`` on a story of those articles) go to the embedded model with
the crosscheck prompt (the default, or DIR's override), ``--per-call`` pairs a call (briefgen:
1 on the embedded model); each proposed fact is kept when ``crosscheck.match_fact`` accepts
it, exactly as a build would. Prints every fact, kept or not, and the totals. Replies are
cached like a build's (the state file), so a re-run costs nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from score_newsset import DEFAULT_LABELS, load_labels  # noqa: E402

SEED_PAIR = ["seeds/000_57f1031dc5b4a3a3.txt", "seeds/004_dd258f67d9e21616.txt"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", action="append", choices=["tune", "heldout", "seeds"])
    ap.add_argument("--per-call", type=int, default=1)
    ap.add_argument("--prompts-dir", type=Path)
    args = ap.parse_args()
    splits = set(args.split or ["tune", "seeds"])

    from briefgen.config import load_settings
    from briefgen.dedupe.crosscheck import candidate_pairs, render_messages, match_fact
    from briefgen.llm.outputs import SharedFact, SharedFacts
    from briefgen.models import SourceRef, Story
    from briefgen.pipeline import _Silent, load_task_prompt, open_client
    from briefgen.sources.ingest import load_sources
    from briefgen.store import Store

    settings, _ = load_settings({"prompts_dir": str(args.prompts_dir)} if args.prompts_dir else {})
    prompt = load_task_prompt("crosscheck", settings)
    events, _ = load_labels(DEFAULT_LABELS)
    groups = [(e.event, [str(a.path) for a in e.articles if not a.wire_of]) for e in events if e.split in splits]
    if "seeds" in splits:
        groups.append(("seeds 000+004", [str(ROOT / p) for p in SEED_PAIR]))
    asked = proposed = kept = 0
    started = time.monotonic()
    with Store(settings.state_file()) as store, open_client(settings, store, _Silent()) as client:
        for name, paths in groups:
            arts, _ = load_sources(paths)
            refs = [SourceRef(id=a.id, source=a.source, title=a.title, outlet=a.outlet or a.source) for a in arts]
            story = Story(id=name, headline="", summary="", articles=refs, outlets=len(refs))
            pairs = candidate_pairs(story, {a.id: a for a in arts})
            for start in range(0, len(pairs), args.per_call):
                chunk = pairs[start:start + args.per_call]
                messages = render_messages(prompt, [{"n": i, "a": a[2], "b": b[2]} for i, (a, b) in enumerate(chunk, 1)])
                reply = client.structured(task="crosscheck", messages=messages, schema=SharedFacts,
                                          temperature=prompt.temperature, max_tokens=prompt.max_tokens,
                                          prompt_hash=prompt.hash, article_id=name)
                asked += len(chunk)
                done: set[int] = set()
                for fact in reply.shared:
                    proposed += 1
                    found = match_fact(SharedFact(pair=fact.pair, text=fact.text), chunk, done)
                    if found:
                        done.add(found[1])
                        kept += 1
                    print(f"{'kept ' if found else 'no   '} {name[:24]:24} {found[0] if found else fact.text}")
    print(f"\npairs asked {asked}, facts proposed {proposed}, kept {kept} "
          f"({args.per_call} a call, prompt {prompt.label}); {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
