"""Figures and dates as written in news: '1,200', '25 basis points', 'four', 'March 5', 'on Tuesday'."""

from __future__ import annotations

import re
from functools import lru_cache
from datetime import date, datetime, timedelta

from briefgen.text.lexicon import MONTHS, NUMBER_WORDS, WEEKDAYS

_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(percentage points?|basis points?|bps|percent|per cent|%)?", re.I
)
# "one" is too often not a count ("one of the", "no one"); it still counts as a digit "1".
_NUMBER_WORD = re.compile(r"\b(" + "|".join(w for w in NUMBER_WORDS if w != "one") + r")\b", re.I)

# A month name or abbreviation ("Sept.", "December"): MONTH captures it, MONTH_NC does not.
_MONTH_ALT = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
MONTH = r"(" + _MONTH_ALT + r")\b\.?"
MONTH_NC = r"(?:" + _MONTH_ALT + r")\b\.?"
_MON = MONTH
_DATE_MD = re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?!\d)(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", re.I)
_DATE_DM = re.compile(r"(?<![\d.,])(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r"(?:,?\s+(\d{4}))?", re.I)
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WEEKDAY = re.compile(r"\b(?:on|last|this)?\s*(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)


def figure_spans(text: str) -> list[tuple[int, int, str]]:
    """Where figures are written, with their normalized value (see :func:`numbers`)."""
    return list(_figure_spans(text))


# Grounding compares one sentence with many candidate points (and a point with many
# sentences): the same texts are read again and again, so their figures are kept.
@lru_cache(maxsize=1 << 16)
def _figure_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    out: list[tuple[int, int, str]] = []
    for m in _NUMBER.finditer(text):
        whole, frac, unit = m.group(1), m.group(2), (m.group(3) or "").lower()
        value = whole.replace(",", "") + (f".{frac}" if frac else "")
        if unit.startswith(("basis", "bps")):
            # 25 basis points and 0.25 percentage points are one figure.
            out.append((m.start(), m.end(), f"{float(value) / 100:g}pp"))
        elif unit.startswith("percentage"):
            out.append((m.start(), m.end(), f"{float(value):g}pp"))
        else:
            out.append((m.start(), m.end(), value + ("%" if unit else "")))
    # Reporters write small counts in words ("four people were killed"): the same figure.
    out += [(m.start(), m.end(), str(NUMBER_WORDS[m.group(1).lower()])) for m in _NUMBER_WORD.finditer(text)]
    return tuple(sorted(out))


def numbers(text: str) -> list[str]:
    """Figures as normalized strings: '1,200' -> '1200', '4.25 percent' -> '4.25%', 'four' -> '4'."""
    return [v for _, _, v in figure_spans(text)]


def bare_numbers(text: str) -> set[str]:
    """Figures without a percent sign or trailing decimal zeros: '2.75 per cent' and 'a rate
    of 2.75' state one figure, as do '2.00%' and '2%'."""
    return {_TRAILING_ZEROS.sub(r"\1", v.removesuffix("%")) for v in numbers(text)}


_TRAILING_ZEROS = re.compile(r"(?:(\.\d*?[1-9])0+|\.0+)$")


def is_year(n: str) -> bool:
    """A bare year ('2025')."""
    return len(n) == 4 and n.isdigit() and 1900 <= int(n) <= 2100


def _mk_date(year: int | None, month: int, day: int, ref: date | None) -> date | None:
    if year is None:
        if ref is None:
            return None
        year = ref.year
        # "December 30" read in a January article belongs to the previous year.
        if month - ref.month > 6:
            year -= 1
    try:
        return date(year, month, day)
    except ValueError:
        return None


def explicit_dates(text: str, ref: date | None) -> list[date]:
    """Calendar dates written in the text, in order; the year from the text or ``ref``."""
    found: list[tuple[int, date]] = []
    for m in _DATE_ISO.finditer(text):
        d = _mk_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), ref)
        if d:
            found.append((m.start(), d))
    # "March 5, 2024" and "5 March 2024": the same three groups, month and day swapped.
    for pattern, mon_group, day_group in ((_DATE_MD, 1, 2), (_DATE_DM, 2, 1)):
        for m in pattern.finditer(text):
            mon = MONTHS.get(m.group(mon_group).lower().rstrip("."))
            if mon:
                d = _mk_date(int(m.group(3)) if m.group(3) else None, mon, int(m.group(day_group)), ref)
                if d:
                    found.append((m.start(), d))
    return [d for _, d in sorted(found, key=lambda x: (x[0], x[1]))]


def weekday_date(text: str, published: date | None) -> date | None:
    """The first weekday named in the text, resolved to the latest such day on or before publication."""
    if published is None:
        return None
    m = _WEEKDAY.search(text)
    if not m:
        return None
    back = (published.weekday() - WEEKDAYS[m.group(1).lower()]) % 7
    return published - timedelta(days=back)


def parse_date(value: str | None) -> datetime | None:
    """A datetime from an ISO or human date string, or None when it does not parse."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    from dateutil import parser as dparser

    try:
        return dparser.parse(value, fuzzy=True)
    except (ValueError, OverflowError, TypeError):
        return None
