"""An edition: the day's brief built and published. ``build`` and ``send`` both go through here.

Publishing means: every built brief is archived (``<data>/archive/<date>/``), and when it
goes out to readers — ``build --since-last``, or ``send`` once its message is in the outbox —
its shown stories are recorded as published, so the next ``--since-last`` skips them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

from briefgen.config import Settings, SourceSpec
from briefgen.errors import BriefgenError, MissingSourcesError
from briefgen.models import Brief
from briefgen.pipeline import Progress, build_brief
from briefgen.publish.archive import archive_brief
from briefgen.publish.history import record_published

log = logging.getLogger(__name__)


@dataclass
class Edition:
    """A built brief and what publishing it could not do (the brief itself is still good)."""

    brief: Brief
    warnings: list[str] = field(default_factory=list)


def resolve_sources(sources: Sequence[str], settings: Settings) -> list[str | SourceSpec]:
    """The sources given, else the config file's ``sources``; none at all is a usage error."""
    chosen: list[str | SourceSpec] = list(sources) or list(settings.sources)
    if not chosen:
        raise MissingSourcesError("no SOURCES given and no `sources` in the config file")
    return chosen


def publish(brief: Brief, settings: Settings, *, record: bool) -> list[str]:
    """Archive the brief and, with ``record``, remember its shown stories as published.

    The archive is a convenience: a failure to write it is returned as a warning, never
    lost, and never stops the brief from reaching its reader.
    """
    warnings: list[str] = []
    if record:
        record_published(brief, settings)
    try:
        archive_brief(brief, settings)
    except BriefgenError as exc:
        log.info("archive: %s", exc)
        warnings.append(str(exc))
    return warnings


def build_edition(
    sources: Sequence[str],
    settings: Settings,
    *,
    progress: Progress | None = None,
    brief_date: date | None = None,
    since_last: bool = False,
    record: bool | None = None,
    stdin: IO[str] | None = None,
    since: datetime | None = None,
) -> Edition:
    """Build the brief of ``sources`` (or the config's) and publish it.

    ``record`` (default: ``since_last``) records the shown stories as published; ``send``
    passes False and records once the message is stored in the outbox.
    """
    brief = build_brief(resolve_sources(sources, settings), settings, progress=progress, brief_date=brief_date,
                        since_last=since_last, stdin=stdin, since=since)
    return Edition(brief, publish(brief, settings, record=since_last if record is None else record))


__all__ = ["Edition", "build_edition", "publish", "resolve_sources"]
