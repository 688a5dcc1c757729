"""The sources file: what ``sources`` in briefgen.toml names, OPML import, and each source's state.

``sources`` holds strings (paths, globs, URLs — today's form) and ``[[sources]]`` tables
(:class:`~briefgen.config.SourceSpec`: name, url or path, kind, max_items, include, exclude,
language). Both forms may live in one file: an inline array may mix strings and inline
tables, and ``briefgen sources import`` appends to whichever form the file already uses,
keeping its comments (tomlkit).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefgen.config import SourceSpec
from briefgen.errors import ConfigError, InputError

_REMOTE_PREFIXES = ("http://", "https://")


@dataclass
class Source:
    """One source as a run reads it: local files, or a URL to fetch (feed, page, or either)."""

    spec: SourceSpec

    @property
    def remote(self) -> bool:
        return self.spec.url is not None

    @property
    def key(self) -> str:
        """Where the source is: its URL or path (the key of its state)."""
        return self.spec.url or self.spec.path or ""

    @property
    def label(self) -> str:
        return self.spec.label


def as_source(entry: str | SourceSpec) -> Source:
    """A sources entry as a Source: a string with a scheme is a URL, anything else a path or glob."""
    if isinstance(entry, SourceSpec):
        return Source(entry)
    text = entry.strip()
    # Any "scheme://" counts as remote, so file:// or ftp:// get the fetcher's one-line refusal.
    if text.lower().startswith(_REMOTE_PREFIXES) or ("://" in text and text.split("://", 1)[0].isalpha()):
        return Source(SourceSpec(url=text))
    return Source(SourceSpec(path=entry, kind="files"))


def split_sources(entries: Sequence[str | SourceSpec]) -> tuple[list[Source], list[Source]]:
    """(local, remote) sources, each in the order given."""
    sources = [as_source(e) for e in entries]
    return [s for s in sources if not s.remote], [s for s in sources if s.remote]


def matches_filters(spec: SourceSpec, text: str) -> bool:
    """Whether an item's title and text pass the source's include/exclude keywords."""
    folded = text.casefold()
    if spec.include and not any(k.casefold() in folded for k in spec.include):
        return False
    return not any(k.casefold() in folded for k in spec.exclude)


# ---- OPML ------------------------------------------------------------------------------
def parse_opml(data: bytes, name: str = "OPML") -> list[SourceSpec]:
    """Feed subscriptions of an OPML file (outlines with an xmlUrl, nested folders flattened)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(name, f"not valid OPML (XML error: {exc})") from None
    if root.tag.lower() != "opml":
        raise InputError(name, f"not OPML (the root element is <{root.tag}>)")
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        title = (outline.get("title") or outline.get("text") or "").strip() or None
        specs.append(SourceSpec(name=title, url=url, kind="feed"))
    if not specs:
        raise InputError(name, "no feed subscriptions (no outline has an xmlUrl)")
    return specs


@dataclass
class ImportResult:
    config: Path
    added: list[SourceSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # URLs the file already had


def _table(spec: SourceSpec) -> dict[str, Any]:
    return {k: v for k, v in spec.model_dump(exclude_defaults=True).items() if v is not None}


def import_opml(opml: Path, config: Path) -> ImportResult:
    """Append the OPML file's feeds to the config file's sources (creating the file if needed)."""
    import tomlkit  # a config editor that keeps the user's comments and layout
    from tomlkit.items import AoT, Array

    try:
        specs = parse_opml(opml.read_bytes(), str(opml))
    except OSError as exc:
        raise InputError(str(opml), exc.strerror or "cannot read") from None
    try:
        text = config.read_text(encoding="utf-8") if config.exists() else ""
        doc = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
        raise ConfigError(f"{config}: cannot read config: {exc}") from None
    table: Any = doc["briefgen"] if "briefgen" in doc else doc
    existing = table.get("sources")
    known = set()
    for entry in existing or []:
        known.add(str(entry.get("url") or entry.get("path") or "") if hasattr(entry, "get") else str(entry))
    result = ImportResult(config)
    new = []
    for spec in specs:
        if spec.url in known:
            result.skipped.append(spec.url or "")
        else:
            new.append(spec)
            known.add(spec.url or "")
    if isinstance(existing, Array):
        for spec in new:
            inline = tomlkit.inline_table()
            inline.update(_table(spec))
            existing.append(inline)
        existing.multiline(True)
    elif isinstance(existing, AoT) or existing is None:
        aot = existing if existing is not None else tomlkit.aot()
        for spec in new:
            aot.append(tomlkit.item(_table(spec)))
        if existing is None and new:
            table.append("sources", aot)
    else:
        raise ConfigError(f"{config}: `sources` must be a list or [[sources]] tables")
    result.added = new
    if new:
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return result


__all__ = ["ImportResult", "Source", "as_source", "import_opml", "matches_filters", "parse_opml", "split_sources"]
