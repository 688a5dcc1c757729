"""Same output, less time: the seeds' summarize requests on the stock server and on the lazy one.

    BRIEFGEN_MODEL_DIR=... python bench/lazy_equivalence.py [--rounds N] [--seeds K]

Both servers are started the same way (``seedlib.StockServer``: the same flags, the same
clean environment); only the module differs: ``llama_cpp.server`` (stock) or
``briefgen.llm.serve`` (grammar applied lazily). Each round runs both, alternating which goes
first, and each server run begins with a calibration (bare prompt and generation speed). The
requests are the pipeline's own (``seedlib.seed_requests``: prompt, messages, response_format,
temperature, max_tokens). Every reply's content is compared byte for byte with the stock one
of the same round; any difference is printed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seedlib import Perf, StockServer, calibrate, model_env, post, seed_requests, wait_perf  # noqa: E402

MODULES = {"stock": "llama_cpp.server", "lazy": "briefgen.llm.serve"}
_LAZY_LINE = re.compile(r"lazy grammar: (\d+) tokens sampled, (\d+) resampled")


def run(kind: str, model: Path, requests: list[tuple[str, dict]]) -> dict:
    with StockServer(model, module=MODULES[kind]) as server:
        cal = calibrate(server.base_url, server.log_path)
        replies, latency = [], 0.0
        started = time.perf_counter()
        for _, body in requests:
            reply, seconds = post(server.base_url, body)
            replies.append(reply["choices"][0]["message"]["content"])
            latency += seconds
        wall = time.perf_counter() - started
        perf: list[Perf] = wait_perf(server.log_path, len(requests) + 1)[1:]
        log = server.log_path.read_text(encoding="utf-8", errors="replace")
    lazy = [(int(a), int(b)) for a, b in _LAZY_LINE.findall(log)]
    gen = sum(p.gen_tokens for p in perf)
    return {
        "kind": kind, "start_s": server.start_seconds, "cal": cal, "replies": replies, "wall_s": wall,
        "gen_tokens": gen, "prompt_tokens": sum(p.prompt_tokens for p in perf),
        "gen_s": sum(p.total_ms - p.prompt_ms for p in perf) / 1000,
        "prompt_s": sum(p.prompt_ms for p in perf) / 1000,
        "sampled": sum(a for a, _ in lazy), "resampled": sum(b for _, b in lazy),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--dump", type=Path, help="write the replies (JSON) here")
    args = parser.parse_args()
    model_env()
    from briefgen.config import load_settings
    from briefgen.llm.model import ensure_model

    model = ensure_model(load_settings({})[0])
    requests = seed_requests()[: args.seeds]
    results = []
    for r in range(args.rounds):
        order = ("stock", "lazy") if r % 2 == 0 else ("lazy", "stock")
        pair = {kind: run(kind, model, requests) for kind in order}
        results.append(pair)
    same = True
    print("| round | server | calibration prompt / gen tok/s | requests wall s | prompt s | generation s | "
          "gen tokens | gen tok/s (incl. sampling) | resampled / sampled |")
    print("|---|---|---|---|---|---|---|---|---|")
    for i, pair in enumerate(results, 1):
        for kind in ("stock", "lazy"):
            x = pair[kind]
            res = f"{x['resampled']} / {x['sampled']}" if kind == "lazy" else "-"
            print(f"| {i} | {kind} | {x['cal']['prompt_tok_s']:.0f} / {x['cal']['gen_tok_s']:.1f} | {x['wall_s']:.1f} | "
                  f"{x['prompt_s']:.1f} | {x['gen_s']:.1f} | {x['gen_tokens']} | {x['gen_tokens'] / x['gen_s']:.1f} | {res} |")
        for (name, _), a, b in zip(requests, pair["stock"]["replies"], pair["lazy"]["replies"]):
            if a.encode() != b.encode():
                same = False
                print(f"DIFFERENT reply for {name} in round {i}:\n  stock: {a!r}\n  lazy:  {b!r}")
    ratios = [p["lazy"]["wall_s"] / p["stock"]["wall_s"] for p in results]
    def speed(x: dict) -> float:
        return x["gen_tokens"] / x["gen_s"]

    gen_ratios = [speed(p["lazy"]) / speed(p["stock"]) for p in results]
    if args.dump:
        args.dump.write_text(json.dumps([{k: {"replies": p[k]["replies"]} for k in p} for p in results], indent=1))
    print(f"\nreplies byte-identical: {same} ({len(requests)} requests x {len(results)} rounds)")
    print(f"lazy / stock requests wall, per round: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"lazy / stock generation tokens/s, per round: {', '.join(f'{r:.2f}' for r in gen_ratios)}")
    print(json.dumps({"identical": same, "wall_ratios": ratios, "gen_speed_ratios": gen_ratios}))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
