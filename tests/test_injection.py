"""Article text is data: instructions inside an article change nothing but that article's own notes.

Against the loopback server these tests check what is *sent* (delimiters, one system message,
control tokens neutralized); tests/test_e2e.py runs the same article through the real model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fakeserver import FakeOpenAI
from scripted import notes_responder, user_text

from briefgen.config import load_settings
from briefgen.pipeline import build_brief
from briefgen.publish.render import render

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
INJECTION = Path(__file__).resolve().parent / "fixtures" / "injection" / "council_budget.txt"


def test_injected_article_stays_inside_its_delimiters(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SEEDS, folder)
    shutil.copy(INJECTION, folder / "zz_council.txt")
    fake_llm.responder = notes_responder
    settings, _ = load_settings({"base_url": fake_llm.base_url, "model": "m"})
    brief = build_brief([str(folder)], settings)

    injected = [r.json for r in fake_llm.article_requests if "Riverton" in user_text(r.json)]
    assert len(injected) == 1
    messages = injected[0]["messages"]
    # Exactly the prompt's own two messages: the fake system turn did not become one.
    assert [m["role"] for m in messages] == ["system", "user"]
    text = messages[1]["content"]
    assert text.count("<article>") == 1 and text.count("</article>") == 1 and text.rstrip().endswith("</article>")
    assert "<|im_start|>" not in text and "<|im_end|>" not in text
    assert "IGNORE ALL PREVIOUS INSTRUCTIONS" in text  # kept, as quoted data
    # The system message is the same for every article: nothing of the article leaks into it.
    assert len({r.json["messages"][0]["content"] for r in fake_llm.article_requests}) == 1
    assert "Riverton" not in messages[0]["content"]

    # The other five articles' requests never contain the injected text.
    others = [r.json for r in fake_llm.article_requests if "Riverton" not in user_text(r.json)]
    assert len(others) == 5 and all("HACKED" not in user_text(o) for o in others)
    # The injected article is its own story; the brief keeps its format and title.
    council = [s for s in brief.stories if any("council" in a.source for a in s.articles)]
    assert len(council) == 1 and len(council[0].articles) == 1
    md = render(brief, "md")
    assert md.startswith("# Daily brief") and "PWNED DAILY" not in md.splitlines()[0]
