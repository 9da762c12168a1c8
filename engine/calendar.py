"""Service calendars: when a target of N minutes falls due. The SOP's default is literal (24x7);
a deployment may count only working minutes (days, hours, time zone, holidays)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo


class AlwaysOpen:
    """24x7: the due time is the start plus the duration."""
    name = "24x7"

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return start + duration


@dataclass
class WorkingHours:
    """Counts only working minutes: e.g. Monday-Friday 08:00-16:00 WIB, holidays excluded."""
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})   # Monday = 0
    opens: time = time(8, 0)
    closes: time = time(16, 0)
    holidays: frozenset[date] = frozenset()
    name: str = "working-hours"

    def __post_init__(self):
        if self.opens >= self.closes:
            raise ValueError("jam buka harus sebelum jam tutup")
        if not self.days:
            raise ValueError("kalender kerja tanpa hari kerja")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def add(self, start: datetime, duration: timedelta) -> datetime:
        remaining = duration
        cursor = start.astimezone(self.zone)
        for _ in range(3660):  # ten years of days: a calendar with no working day at all fails loudly
            day = cursor.date()
            if self.is_working_day(day):
                opens = datetime.combine(day, self.opens, self.zone)
                closes = datetime.combine(day, self.closes, self.zone)
                begin = max(cursor, opens)
                if begin < closes:
                    if begin + remaining <= closes:
                        return (begin + remaining).astimezone(timezone.utc)
                    remaining -= closes - begin
            cursor = datetime.combine(day + timedelta(days=1), time(0, 0), self.zone)
        raise ValueError("tidak ada hari kerja dalam sepuluh tahun ke depan")


def read_holidays(path: str | Path) -> frozenset[date]:
    """One ISO date per line; '#' starts a comment (the name of the holiday, say)."""
    days = set()
    try:
        text_of_file = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:  # said in a line at start, not a traceback at every boot
        raise ValueError(f"SLA_HOLIDAYS {path} tidak dapat dibaca: {getattr(exc, 'strerror', None) or exc}") from exc
    for number, line in enumerate(text_of_file.splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            days.add(date.fromisoformat(text))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: '{text}' bukan tanggal (TTTT-BB-HH)") from exc
    return frozenset(days)


def from_settings(settings: dict) -> AlwaysOpen | WorkingHours:
    """Builds the calendar from SLA_* settings (environment or app config)."""
    kind = (settings.get("SLA_CALENDAR") or "24x7").strip().lower()
    if kind in ("24x7", "always", ""):
        return AlwaysOpen()
    if kind != "working-hours":
        raise ValueError(f"SLA_CALENDAR tidak dikenal: {kind} (24x7 atau working-hours)")
    opens, closes = (settings.get("SLA_WORKING_HOURS") or "08:00-16:00").split("-")
    days = _days(settings.get("SLA_WORKING_DAYS") or "1-5")
    holidays = read_holidays(settings["SLA_HOLIDAYS"]) if settings.get("SLA_HOLIDAYS") else frozenset()
    return WorkingHours(ZoneInfo(settings.get("SLA_TIMEZONE") or "Asia/Jakarta"), days,
                        time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip()), holidays)


def _days(text: str) -> frozenset[int]:
    """ISO weekday numbers, 1 = Monday: '1-5' or '1,2,3,4,5,6'."""
    days = set()
    for part in text.split(","):
        if "-" in part:
            first, last = (int(x) for x in part.split("-"))
            days.update(range(first, last + 1))
        else:
            days.add(int(part))
    if not days or not all(1 <= d <= 7 for d in days):
        raise ValueError(f"SLA_WORKING_DAYS tidak valid: {text}")
    return frozenset(d - 1 for d in days)
