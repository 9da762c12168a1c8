"""Service calendars: 24x7 as the SOP says, or working minutes only."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import AlwaysOpen, WorkingHours, from_settings, read_holidays

WIB = ZoneInfo("Asia/Jakarta")
OFFICE = WorkingHours(WIB, frozenset({0, 1, 2, 3, 4}), time(8), time(16), frozenset({date(2026, 12, 25)}))


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


def due(start, minutes, calendar=OFFICE):
    return calendar.add(start, timedelta(minutes=minutes)).astimezone(WIB)


def test_the_sop_literally_is_24x7():
    start = wib(2026, 11, 27, 16, 55)   # a Friday
    assert due(start, 10, AlwaysOpen()) == wib(2026, 11, 27, 17, 5)


def test_friday_evening_filing_is_due_monday_morning():
    assert due(wib(2026, 11, 27, 16, 55), 10) == wib(2026, 11, 30, 8, 10)


def test_a_target_spanning_closing_time_continues_next_working_day():
    assert due(wib(2026, 11, 26, 15, 50), 30) == wib(2026, 11, 27, 8, 20)


def test_within_office_hours_it_is_plain_addition():
    assert due(wib(2026, 11, 25, 9, 0), 15) == wib(2026, 11, 25, 9, 15)
    assert due(wib(2026, 11, 25, 15, 45), 15) == wib(2026, 11, 25, 16, 0)   # exactly at closing


def test_before_opening_counts_from_opening():
    assert due(wib(2026, 11, 25, 6, 30), 10) == wib(2026, 11, 25, 8, 10)


def test_weekends_and_holidays_are_skipped():
    assert due(wib(2026, 11, 28, 10, 0), 10) == wib(2026, 11, 30, 8, 10)    # Saturday
    assert due(wib(2026, 12, 24, 15, 55), 15) == wib(2026, 12, 28, 8, 10)   # Thu before Christmas -> Mon


def test_utc_input_and_output():
    start = datetime(2026, 11, 27, 9, 55, tzinfo=timezone.utc)             # 16:55 WIB
    result = OFFICE.add(start, timedelta(minutes=10))
    assert result.tzinfo == timezone.utc and result == datetime(2026, 11, 30, 1, 10, tzinfo=timezone.utc)


def test_settings_and_holiday_file(tmp_path):
    holidays = tmp_path / "libur.txt"
    holidays.write_text("# Libur nasional\n2026-12-25  # Natal\n\n2027-01-01 # Tahun Baru\n")
    calendar = from_settings({"SLA_CALENDAR": "working-hours", "SLA_WORKING_HOURS": "07:30-15:30",
                              "SLA_WORKING_DAYS": "1-5", "SLA_HOLIDAYS": str(holidays)})
    assert calendar.holidays == {date(2026, 12, 25), date(2027, 1, 1)}
    assert due(wib(2026, 12, 31, 15, 25), 10, calendar) == wib(2027, 1, 4, 7, 35)
    assert isinstance(from_settings({}), AlwaysOpen)


def test_bad_settings_are_refused_clearly(tmp_path):
    bad = tmp_path / "libur.txt"
    bad.write_text("25-12-2026\n")
    with pytest.raises(ValueError, match="bukan tanggal"):
        read_holidays(bad)
    with pytest.raises(ValueError, match="SLA_CALENDAR"):
        from_settings({"SLA_CALENDAR": "kadang-kadang"})
    with pytest.raises(ValueError, match="SLA_WORKING_DAYS"):
        from_settings({"SLA_CALENDAR": "working-hours", "SLA_WORKING_DAYS": "0-9"})
