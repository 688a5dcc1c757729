"""The exception tree (briefgen.errors): one root, the tree its docstring draws, messages that name the file."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import briefgen.errors as errors
from briefgen.config import load_settings
from briefgen.errors import (BriefgenError, ConfigError, InputError, LLMError, LLMOutputError, NoArticlesError,
                             PromptError, StateError)
from briefgen.llm.prompts import load_prompt
from briefgen.store import Store

CLASSES = {name: cls for name, cls in vars(errors).items()
           if inspect.isclass(cls) and issubclass(cls, BaseException) and cls.__module__ == errors.__name__}


def _drawn_tree(doc: str | None = errors.__doc__) -> dict[str, str | None]:
    """Each class of a docstring's tree with the class it hangs from."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in (doc or "").splitlines():
        m = re.match(r"^(\s*(?:[│ ]\s*)*(?:[├└]── )?)([A-Z]\w+Error)\b", line)
        if not m:
            continue
        depth = len(m.group(1))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[m.group(2)] = stack[-1][1] if stack else None
        stack.append((depth, m.group(2)))
    return parents


def test_every_exception_derives_from_the_one_root() -> None:
    assert len(CLASSES) >= 10
    for name, cls in CLASSES.items():
        assert issubclass(cls, BriefgenError), name
    assert BriefgenError.__bases__ == (Exception,)


def test_the_docstring_draws_the_tree_as_it_is() -> None:
    drawn = _drawn_tree()
    assert set(drawn) == set(CLASSES), set(drawn) ^ set(CLASSES)
    for name, parent in drawn.items():
        actual = CLASSES[name].__bases__[0].__name__
        assert (parent or "Exception") == actual, (name, parent, actual)


def test_the_tree_reader_sees_a_wrong_drawing() -> None:
    assert _drawn_tree()["NoArticlesError"] == "InputError"
    assert _drawn_tree()["LLMOutputError"] == "LLMError"
    # The same tree with NoArticlesError drawn one level too high: the check above would fail.
    wrong = (errors.__doc__ or "").replace("│   ├── NoArticlesError", "├── NoArticlesError    ").replace(
        "│   └── NoArticlesError", "├── NoArticlesError    ")
    assert wrong != errors.__doc__ and _drawn_tree(wrong)["NoArticlesError"] == "BriefgenError"


def test_exit_codes_are_small_integers() -> None:
    assert BriefgenError.exit_code == 1
    assert all(isinstance(cls.exit_code, int) and 1 <= cls.exit_code <= 3 for cls in CLASSES.values())


def test_errors_carry_their_context() -> None:
    err = InputError("feeds/today.txt", "binary file")
    assert (err.source, err.reason, str(err)) == ("feeds/today.txt", "binary file", "feeds/today.txt: binary file")
    assert isinstance(NoArticlesError("in/", "no article"), InputError)
    llm = LLMOutputError("reply never validated", attempts=3, task="summarize")
    assert (llm.attempts, llm.task) == (3, "summarize") and isinstance(llm, LLMError)
    assert str(PromptError("prompts/summarize.j2", "bad", line=4)) == "prompts/summarize.j2:4: bad"
    assert str(PromptError("prompts/summarize.j2", "bad")) == "prompts/summarize.j2: bad"


def test_a_missing_or_broken_config_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="nope.toml"):
        load_settings(config_path=missing)
    broken = tmp_path / "broken.toml"
    broken.write_text("[briefgen\nmodel = ")
    with pytest.raises(ConfigError, match="broken.toml"):
        load_settings(config_path=broken)
    unknown = tmp_path / "typo.toml"
    unknown.write_text('[briefgen]\nmodle = "x"\n')
    with pytest.raises(ConfigError, match=r"typo\.toml.*modle"):
        load_settings(config_path=unknown)


def test_a_broken_prompt_file_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "summarize.j2").write_text("no header here\n")
    with pytest.raises(PromptError) as info:
        load_prompt("summarize", tmp_path)
    assert info.value.path.endswith("summarize.j2") and info.value.line == 1
    assert str(info.value).startswith(str(tmp_path / "summarize.j2") + ":1:")


def test_a_state_file_that_is_not_sqlite_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "state.sqlite3"
    bad.write_text("this is not a database, just words " * 20)
    with pytest.raises(StateError, match="state.sqlite3"):
        with Store(bad) as store:
            store.published_members()
