"""The script a user would write instead of briefgen: one JSON-summary call per article.

In sequence, no cleaning, no grouping, no citations, no verification — the baseline that
briefgen must beat on time while doing more.

The baseline stays fixed (issue 12, item 5): it starts the *stock* llama-cpp-python server
(``python -m llama_cpp.server``) itself, with the settings briefgen used when this baseline
was fixed (2026-12-01: ``seedlib.stock_command``, copied from ``LocalServer.command`` at that
time), not briefgen's LocalServer. A server-level speed-up in briefgen (a faster sampler, other flags)
therefore shows in the ratio instead of speeding up the baseline too.

    python bench/naive_script.py seeds/        # prints the summaries (stderr) and the figures (JSON)

The model file comes from briefgen's model cache (``ensure_model``: BRIEFGEN_MODEL_DIR, else
the user cache), assembled once, never downloaded here.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from openai import OpenAI

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seedlib import StockServer  # noqa: E402  (python -m llama_cpp.server, flags frozen 2026-12-01)

from briefgen.config import load_settings  # noqa: E402
from briefgen.llm.model import ensure_model  # noqa: E402

PROMPT = (
    "Summarize this news article as JSON with the keys headline (string), summary (string) "
    "and key_points (list of strings).\n\n{text}"
)


def main(folder: str) -> dict[str, float]:
    started = time.monotonic()
    settings, _ = load_settings({})
    model = ensure_model(settings)
    with StockServer(model) as server:
        ready = time.monotonic()
        client = OpenAI(base_url=server.base_url, api_key="sk-no-key")
        tokens_in = tokens_out = 0
        for path in sorted(Path(folder).glob("*.txt")):
            reply = client.chat.completions.create(
                model="local",
                messages=[{"role": "user", "content": PROMPT.format(text=path.read_text(encoding="utf-8"))}],
                response_format={"type": "json_object"},
                temperature=0,
            )
            usage = reply.usage
            tokens_in += usage.prompt_tokens if usage else 0
            tokens_out += usage.completion_tokens if usage else 0
            print(f"## {path.name}\n{reply.choices[0].message.content}\n", file=sys.stderr)
    done = time.monotonic()
    return {
        "wall_s": round(done - started, 2),
        "model_start_s": round(ready - started, 2),
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1] if len(sys.argv) > 1 else "seeds")))
