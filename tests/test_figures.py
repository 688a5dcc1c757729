"""Figures and dates as news writes them (briefgen.text.figures)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from briefgen.text.figures import bare_numbers, explicit_dates, figure_spans, is_year, numbers, parse_date, weekday_date


@pytest.mark.parametrize(("text", "expected"), [
    ("1,200 people", ["1200"]),
    ("12,500,000 euros", ["12500000"]),
    ("4.25 percent", ["4.25%"]),
    ("3%", ["3%"]),
    ("2.75 per cent", ["2.75%"]),
    ("four ships", ["4"]),
    ("Twelve miners", ["12"]),
    ("a dozen eggs", ["12"]),
    ("one of the", []),  # "one" in words is too often not a count
    ("1 ship", ["1"]),
])
def test_numbers_normalize_how_figures_are_written(text: str, expected: list[str]) -> None:
    assert numbers(text) == expected


def test_basis_points_and_percentage_points_are_one_figure() -> None:
    assert numbers("a cut of 25 basis points") == numbers("a cut of 0.25 percentage points") == ["0.25pp"]
    assert numbers("50 bps") == ["0.5pp"]
    assert numbers("0.25 percentage points") != numbers("0.25 percent")


def test_figures_come_in_text_order_with_their_place() -> None:
    text = "Four boats carried 1,200 people"
    assert [v for _, _, v in figure_spans(text)] == ["4", "1200"]
    start, end, _ = figure_spans(text)[1]
    assert text[start:end].strip() == "1,200"


def test_bare_numbers_drop_the_percent_sign() -> None:
    assert bare_numbers("2.75 per cent and a rate of 2.75") == {"2.75"}


def test_years() -> None:
    assert is_year("2025") and is_year("1900") and is_year("2100")
    assert not is_year("1850") and not is_year("12") and not is_year("20.5")


def test_explicit_dates_with_and_without_a_year() -> None:
    ref = date(2025, 3, 1)
    assert explicit_dates("The next decision is on April 16 and then 4 June 2025.", ref) == [
        date(2025, 4, 16), date(2025, 6, 4)]
    assert explicit_dates("Sept. 18, 2026 and 2024-02-29 and the 5th of May", ref) == [
        date(2026, 9, 18), date(2024, 2, 29), date(2025, 5, 5)]
    # Without a year in the text, the year comes from the reference date ...
    assert explicit_dates("It happened on March 5.", date(2024, 3, 9)) == [date(2024, 3, 5)]
    # ... and without a reference there is no year: no date at all.
    assert explicit_dates("It happened on March 5.", None) == []
    assert explicit_dates("It happened on March 5, 2023.", None) == [date(2023, 3, 5)]


def test_december_read_in_january_is_last_year() -> None:
    assert explicit_dates("The market closed on Dec. 30.", date(2026, 1, 5)) == [date(2025, 12, 30)]


def test_impossible_dates_and_bare_words_are_not_dates() -> None:
    assert explicit_dates("February 30, 2025", date(2025, 1, 1)) == []
    assert explicit_dates("They may come in March.", date(2025, 1, 1)) == []


def test_weekday_date_is_the_latest_such_day_on_or_before_publication() -> None:
    tuesday = date(2025, 10, 14)
    assert weekday_date("The strike began on Tuesday", tuesday) == tuesday
    assert weekday_date("Talks ended last Friday", tuesday) == date(2025, 10, 10)
    assert weekday_date("on Wednesday", tuesday) == tuesday - timedelta(days=6)
    assert weekday_date("No day is named.", tuesday) is None
    assert weekday_date("On Monday", None) is None


def test_parse_date_reads_iso_and_human_dates_or_returns_none() -> None:
    assert parse_date("2025-09-03T10:00:00Z") == datetime(2025, 9, 3, 10, tzinfo=timezone.utc)
    assert parse_date("Sep 3, 2025 10:00") == datetime(2025, 9, 3, 10, 0)
    assert parse_date(" 2025-09-03 ") == datetime(2025, 9, 3)
    for nothing in ("", None, "not a date at all"):
        assert parse_date(nothing) is None


def test_trailing_decimal_zeros_do_not_make_another_figure() -> None:
    assert bare_numbers("to 2.00%") == bare_numbers("to 2%") == {"2"}
    assert bare_numbers("2.50 per cent") == {"2.5"} and bare_numbers("2.05") == {"2.05"}
    assert bare_numbers("100 people") == {"100"} and bare_numbers("10.0") == {"10"}
