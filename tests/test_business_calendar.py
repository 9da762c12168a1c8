"""A deployment on office hours: targets count working minutes only, on the real process."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from test_sop_api import file_case, open_task

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def app_settings(tmp_path):
    holidays = tmp_path / "libur.txt"
    holidays.write_text("2026-12-25  # Hari Raya Natal\n")
    return {"SLA_CALENDAR": "working-hours", "SLA_WORKING_HOURS": "08:00-16:00", "SLA_WORKING_DAYS": "1-5",
            "SLA_TIMEZONE": "Asia/Jakarta", "SLA_HOLIDAYS": str(holidays)}


def test_a_case_filed_friday_1655_is_due_monday_morning(people):
    with time_machine.travel(datetime(2026, 11, 27, 16, 55, tzinfo=WIB), tick=False):
        case = file_case(people["ani"])
    step2 = open_task(people["citra"], case)
    assert datetime.fromisoformat(step2["due_at"]).astimezone(WIB) == datetime(2026, 11, 30, 8, 10, tzinfo=WIB)


def test_the_timer_fires_at_the_calendar_due_time_not_24x7(engine, people):
    with time_machine.travel(datetime(2026, 12, 24, 15, 55, tzinfo=WIB), tick=False):
        file_case(people["ani"])
    with time_machine.travel(datetime(2026, 12, 24, 16, 30, tzinfo=WIB), tick=False):
        assert engine.timers.run_pass("w") == 0          # 24x7 would have fired at 16:05
    with time_machine.travel(datetime(2026, 12, 28, 8, 4, tzinfo=WIB), tick=False):
        assert engine.timers.run_pass("w") == 0          # Christmas and the weekend do not count
    with time_machine.travel(datetime(2026, 12, 28, 8, 6, tzinfo=WIB), tick=False):
        assert engine.timers.run_pass("w") == 1
