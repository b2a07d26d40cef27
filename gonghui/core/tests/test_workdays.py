"""The working-day calendar and the SLA clocks, table-driven across 国庆 2025, 春节 2026 and 调休 weekends.

Expected moments are written out by hand from the State Council's notices (2025: 10月1日至8日放假，9月28日（周日）、
10月11日（周六）上班; 2026: 2月15日至23日放假，2月14日（周六）、2月28日（周六）上班), and the seeded table is compared
day by day with chinesecalendar itself."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from gonghui.core import workdays
from gonghui.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def test_the_seeded_table_agrees_with_chinesecalendar_every_day_of_2025_and_2026() -> None:
    cal = workdays.load()
    day = dt.date(2025, 1, 1)
    while day <= dt.date(2026, 12, 31):
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
    assert cal.source(2025) == cal.source(2026) == "chinesecalendar" and not cal.missing


CLOCKS = [
    # received,               urgency,  sign_due_at,        due_at
    ("2025-09-30 10:00", "normal", "2025-09-30 12:00", "2025-10-14 17:00"),  # 10/9 10/10 10/11(六,调休) 10/13 10/14
    ("2025-09-30 10:00", "urgent", "2025-09-30 12:00", "2025-10-09 17:00"),  # the break skipped whole
    ("2025-09-30 16:00", "normal", "2025-10-09 10:00", "2025-10-14 17:00"),  # 1 h on 9/30, 1 h after the break
    ("2025-09-28 15:30", "urgent", "2025-09-29 09:30", "2025-09-29 17:00"),  # Sunday 9/28 is a working day
    ("2025-10-03 10:00", "urgent", "2025-10-09 11:00", "2025-10-09 17:00"),  # received on a holiday
    ("2025-10-03 10:00", "simple", "2025-10-09 11:00", "2025-10-21 17:00"),  # ten: 10/9…10/21 with Saturday 10/11
    ("2025-10-10 16:30", "urgent", "2025-10-11 10:30", "2025-10-11 17:00"),  # Saturday 10/11 is a working day
    ("2026-02-13 11:30", "normal", "2026-02-13 14:30", "2026-02-27 17:00"),  # lunch skipped; 2/14(六) 2/24…2/27
    ("2026-02-13 16:30", "urgent", "2026-02-14 10:30", "2026-02-14 17:00"),  # Saturday 2/14 is a working day
    ("2026-02-13 16:30", "simple", "2026-02-14 10:30", "2026-03-05 17:00"),  # with Saturday 2/28 worked
    ("2026-02-18 09:00", "urgent", "2026-02-24 11:00", "2026-02-24 17:00"),  # 正月初二: clocks start on 2/24
    ("2026-03-02 12:30", "normal", "2026-03-02 15:00", "2026-03-09 17:00"),  # an ordinary week, lunch break
    ("2026-03-06 20:00", "urgent", "2026-03-09 11:00", "2026-03-09 17:00"),  # Friday night → Monday
]


@pytest.mark.parametrize(("received", "urgency", "sign_due", "due"), CLOCKS)
def test_sla_clocks(received: str, urgency: str, sign_due: str, due: str) -> None:
    clocks = workdays.sla_clocks(at(received), urgency)
    assert (clocks.sign_due_at, clocks.due_at) == (at(sign_due), at(due))


PAUSES = [
    # paused from,             resumed at,          working time paused, due_at 10/14 17:00 moves to
    ("2025-09-30 16:00", "2025-10-09 10:00", dt.timedelta(hours=2), "2025-10-15 11:00"),  # across 国庆
    ("2025-10-10 11:00", "2025-10-11 14:00", dt.timedelta(hours=9), "2025-10-16 11:00"),  # into 调休 Saturday
    ("2025-10-13 12:10", "2025-10-13 12:50", dt.timedelta(0), "2025-10-14 17:00"),  # lunch only: nothing
    ("2025-10-13 09:00", "2025-10-14 17:00", dt.timedelta(hours=14), "2025-10-16 17:00"),  # two whole days
]


@pytest.mark.parametrize(("paused", "resumed", "worked", "moved"), PAUSES)
def test_paused_time_moves_the_deadline_by_the_working_time_paused(paused: str, resumed: str,
                                                                     worked: dt.timedelta, moved: str) -> None:
    cal = workdays.load()
    spent = cal.working_time_between(at(paused), at(resumed))
    assert spent == worked
    assert cal.add_working_time(at("2025-10-14 17:00"), spent) == at(moved)


def test_a_year_not_entered_runs_on_weekends_only_and_is_named(caplog: pytest.LogCaptureFixture) -> None:
    # given no 放假安排 for 2027 (chinesecalendar stops at 2026)
    assert not CalendarYear.objects.filter(year=2027).exists()
    cal = workdays.load()
    # when a demand is received on the last working day of 2026
    clocks = workdays.sla_clocks(at("2026-12-31 10:00"), "urgent", cal=cal)
    # then 1 January 2027 (a Friday) counts as a working day, and the gap is named loudly
    assert clocks.due_at == at("2027-01-01 17:00")
    assert cal.missing == {2027} and cal.source(2027) == "weekends-only"
    assert "2027" in caplog.text and workdays.missing_years([2026, 2027]) == [2027]


def test_an_entered_year_applies_at_once() -> None:
    year = CalendarYear.objects.create(year=2027, source=CalendarYear.Source.ENTERED)
    CalendarDay.objects.create(year=year, date=dt.date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    clocks = workdays.sla_clocks(at("2026-12-31 10:00"), "urgent")
    assert clocks.due_at == at("2027-01-04 17:00")
