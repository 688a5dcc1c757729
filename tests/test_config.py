"""Settings precedence: flag > config file > environment > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.config import load_settings
from briefgen.errors import ConfigError


def test_precedence_flag_over_file_over_env(tmp_path: Path) -> None:
    cfg = tmp_path / "b.toml"
    cfg.write_text('model = "from-file"\ntitle = "File title"\n')
    env = {"BRIEFGEN_MODEL": "from-env", "BRIEFGEN_TITLE": "Env title", "BRIEFGEN_MAX_STORIES": "7"}
    settings, origins = load_settings({"model": "from-flag"}, cfg, env=env)
    assert settings.model == "from-flag" and origins["model"] == "flag"
    assert settings.title == "File title" and origins["title"].startswith("file")
    assert settings.max_stories == 7 and origins["max_stories"] == "env BRIEFGEN_MAX_STORIES"
    assert origins["max_key_points"] == "default"


def test_openai_env_conventions_rank_below_briefgen_ones() -> None:
    env = {"OPENAI_API_KEY": "sk-a", "OPENAI_BASE_URL": "http://o/v1", "BRIEFGEN_BASE_URL": "http://b/v1"}
    settings, origins = load_settings({}, None, env=env)
    assert settings.api_key_value() == "sk-a" and settings.base_url == "http://b/v1"
    assert origins["base_url"] == "env BRIEFGEN_BASE_URL"


def test_cwd_config_file_is_found(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text('[briefgen]\nmax_key_points = 3\nprompts_dir = "p"\n')
    settings, _ = load_settings({}, None, env={})
    assert settings.max_key_points == 3 and settings.prompts_dir == (tmp_path / "p").resolve()


@pytest.mark.parametrize(
    ("content", "message"),
    [("modle = 'x'\n", r"unknown setting\(s\): modle"), ("max_stories = 'many'\n", "max_stories"), ("= broken", "cannot read config")],
)
def test_bad_config_is_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings({}, cfg, env={})
    assert "\n" not in str(info.value)


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings({}, tmp_path / "nope.toml", env={})


def test_home_holds_state_and_model_dir_is_separate(tmp_path: Path) -> None:
    settings, _ = load_settings({"home": tmp_path / "h", "model_dir": tmp_path / "m"}, None, env={})
    assert settings.state_file() == tmp_path / "h" / "state.sqlite3"
    assert settings.cache_dir() == tmp_path / "m"
