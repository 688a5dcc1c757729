"""Where the shipped prompts and templates are (briefgen.resources): found in a checkout or a wheel, or named when missing."""

from __future__ import annotations

from pathlib import Path

import pytest

import briefgen.resources as resources
from briefgen.errors import BriefgenError
from briefgen.llm.prompts import load_prompt, prompt_names


def test_the_shipped_folders_are_found_and_hold_what_briefgen_loads() -> None:
    prompts = resources.default_prompts_dir()
    templates = resources.default_templates_dir()
    assert prompts.is_dir() and templates.is_dir()
    assert (prompts / "summarize.j2").is_file()
    assert any(templates.iterdir())
    assert "summarize" in prompt_names(prompts)
    assert load_prompt("summarize").path.parent.resolve() == prompts.resolve()


def test_the_package_copy_wins_over_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A wheel carries the folders inside the package; a checkout has them next to it.
    pkg = tmp_path / "site" / "briefgen"
    (pkg / "prompts").mkdir(parents=True)
    (tmp_path / "site" / "prompts").mkdir()
    monkeypatch.setattr(resources, "_PKG", pkg)
    assert resources.default_prompts_dir() == pkg / "prompts"
    (pkg / "prompts").rmdir()
    assert resources.default_prompts_dir() == tmp_path / "site" / "prompts"


def test_a_missing_folder_is_a_briefgen_error_that_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "_PKG", tmp_path / "empty" / "briefgen")
    with pytest.raises(BriefgenError) as info:
        resources.default_templates_dir()
    assert "templates" in str(info.value) and str(tmp_path / "empty") in str(info.value)
