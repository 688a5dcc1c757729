"""The script a user would write instead of briefgen: one JSON-summary call per article.

In sequence, no cleaning, no grouping, no citations, no verification — the baseline that
briefgen must beat on time while doing more. It uses the same embedded llama.cpp server
(started the same way) so that the comparison is the pipeline, not the server settings.

    python bench/naive_script.py seeds/        # prints the summaries and the wall time
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from openai import OpenAI

from briefgen.config import load_settings
from briefgen.llm.model import ensure_model
from briefgen.llm.server import LocalServer

PROMPT = (
    "Summarize this news article as JSON with the keys headline (string), summary (string) "
    "and key_points (list of strings).\n\n{text}"
)


def main(folder: str) -> dict[str, float]:
    started = time.monotonic()
    settings, _ = load_settings({})
    model = ensure_model(settings)
    with LocalServer(settings, model) as server:
        base_url = server.start()
        ready = time.monotonic()
        client = OpenAI(base_url=base_url, api_key="sk-no-key")
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
