"""The wheel carries prompts/ and templates/: an installed briefgen works outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from fakeserver import FakeOpenAI
from scripted import notes_responder

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installed_outside_the_checkout_builds_a_brief(fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, cwd=tmp_path)
    [wheel] = wheels.glob("briefgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "briefgen/prompts/summarize.j2" in names and "briefgen/templates/brief.html" in names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    fake_llm.responder = notes_responder
    article = tmp_path / "elsewhere" / "a.txt"
    article.parent.mkdir()
    article.write_text("Budget deal reached\n\nOfficials in Paris agreed a budget of 40 million euros on Monday.\n")
    # -I: isolated mode, so neither the checkout nor an editable install can be imported.
    code = "import sys; sys.path.insert(0, sys.argv[1]); from briefgen.cli import main; sys.argv = sys.argv[1:]; main()"
    env = dict(os.environ, PYTHONPATH="")
    proc = subprocess.run([sys.executable, "-I", "-c", code, str(site), "build", str(article), "--base-url", fake_llm.base_url,
                           "-f", "md"], capture_output=True, text=True, cwd=article.parent, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Budget deal" in proc.stdout or "Officials in Paris" in proc.stdout
    imported = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); import briefgen.resources as r; print(r.default_prompts_dir())"],
                              capture_output=True, text=True, cwd=article.parent).stdout.strip()
    assert imported.startswith(str(site)), imported
