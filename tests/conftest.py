"""Shared fixtures: every test runs with its own BRIEFGEN_HOME and a clean environment."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest
from fakeserver import fake_llm  # noqa: F401  (the loopback OpenAI-protocol server fixture)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user config, key or endpoint leaks in; state goes to a throwaway home."""
    for var in list(os.environ):
        if var.startswith(("BRIEFGEN_", "OPENAI_")):
            monkeypatch.delenv(var, raising=False)
    home = tmp_path / "briefgen-home"
    monkeypatch.setenv("BRIEFGEN_HOME", str(home))
    # The assembled embedded model (1.1 GB) is shared between tests, not rebuilt per test.
    monkeypatch.setenv("BRIEFGEN_MODEL_DIR", platformdirs.user_cache_dir("briefgen"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS
