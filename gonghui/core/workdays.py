"""The working-day calendar: the one place that says whether a day is worked and how long a stretch of working
time is (SLA clocks of demands, and anything later that counts 工作日).

A day is a working day when the calendar lists it as a 调休 working day, or when it is Monday–Friday and not a
法定节假日. The days come from core.CalendarDay (seeded from chinesecalendar; a 区总管理员 enters later years). A
year with no CalendarYear row runs on weekends only: `Calendar.missing` names such years, every computation
that touches one logs a warning, and the console shows a banner until the year is entered.

Working hours are settings.GONGHUI_WORK_HOURS in settings.TIME_ZONE (09:00–12:00, 13:00–17:00 by default).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

log = logging.getLogger("gonghui.workdays")

SOURCE_CHINESECALENDAR = "chinesecalendar"
SOURCE_ENTERED = "entered"
SOURCE_WEEKENDS = "weekends-only"


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _periods() -> list[tuple[dt.time, dt.time]]:
    return [(dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in settings.GONGHUI_WORK_HOURS]


@dataclass
class Calendar:
    """The calendar as loaded once: holidays, 调休 working days and the years entered (with their source)."""

    holidays: dict[dt.date, str] = field(default_factory=dict)
    workdays: dict[dt.date, str] = field(default_factory=dict)
    years: dict[int, str] = field(default_factory=dict)
    missing: set[int] = field(default_factory=set)  # years a computation needed and the calendar lacks

    def source(self, year: int) -> str:
        return self.years.get(year, SOURCE_WEEKENDS)

    def is_workday(self, day: dt.date) -> bool:
        if day.year not in self.years and day.year not in self.missing:
            self.missing.add(day.year)
            log.warning("工作日历缺少 %s 年放假安排：该年暂按周末双休计算时限，请区总管理员尽快录入", day.year)
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += dt.timedelta(days=1)
        for _ in range(400):
            if self.is_workday(day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError("一年以上没有工作日：工作日历有误")

    # ---------------------------------------------------------------- working time

    def _windows(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if not self.is_workday(day):
            return []
        tz = _tz()
        return [(dt.datetime.combine(day, a, tz), dt.datetime.combine(day, b, tz)) for a, b in _periods()]

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The moment `amount` of working time after `start` (an aware datetime). With amount zero, `start`."""
        if amount <= dt.timedelta(0):
            return start
        left = amount
        day = timezone.localtime(start, _tz()).date()
        for _ in range(800):
            for a, b in self._windows(day):
                if b <= start:
                    continue
                begin = max(a, start)
                if begin + left <= b:
                    return begin + left
                left -= b - begin
            day += dt.timedelta(days=1)
        raise ValueError("时限超出两年：工作日历有误")

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time in [start, end) (zero when end ≤ start)."""
        total = dt.timedelta(0)
        if end <= start:
            return total
        tz = _tz()
        day, last = timezone.localtime(start, tz).date(), timezone.localtime(end, tz).date()
        while day <= last:
            for a, b in self._windows(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def end_of_nth_workday(self, received: dt.datetime, n: int) -> dt.datetime:
        """17:00 (the end of the last working period) of the n-th working day after the local day of `received`."""
        day = timezone.localtime(received, _tz()).date()
        for _ in range(n):
            day = self.next_workday(day)
        return dt.datetime.combine(day, _periods()[-1][1], _tz())

    def year_days(self, year: int) -> tuple[list[dt.date], list[dt.date]]:
        """(holidays, 调休 working days) of `year`, sorted."""
        return (sorted(d for d in self.holidays if d.year == year),
                sorted(d for d in self.workdays if d.year == year))


def load() -> Calendar:
    """The calendar from the database (one query for the days, one for the years)."""
    from .models import CalendarDay, CalendarYear

    cal = Calendar(years=dict(CalendarYear.objects.values_list("year", "source")))
    for date, kind, name in CalendarDay.objects.values_list("date", "kind", "name"):
        (cal.holidays if kind == CalendarDay.Kind.HOLIDAY else cal.workdays)[date] = name
    return cal


def missing_years(years: Iterable[int]) -> list[int]:
    """The years among `years` that have no 放假安排 (the console's warning banner)."""
    from .models import CalendarYear

    wanted = set(years)
    return sorted(wanted - set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True)))


URGENCY_DAYS = {"urgent": 1, "normal": 5, "simple": 10}
SIGN_HOURS = dt.timedelta(hours=2)


@dataclass(frozen=True)
class Clocks:
    sign_due_at: dt.datetime
    due_at: dt.datetime


def sla_clocks(received_at: dt.datetime, urgency: str, *, cal: Calendar | None = None) -> Clocks:
    """sign_due_at = received_at + 2 working hours; due_at = 17:00 of the N-th working day after the day of
    receipt (N = 1 / 5 / 10 for urgent / normal / simple)."""
    cal = cal or load()
    return Clocks(cal.add_working_time(received_at, SIGN_HOURS),
                  cal.end_of_nth_workday(received_at, URGENCY_DAYS[urgency]))


# ---------------------------------------------------------------- entering a year's 放假安排 (区总管理员)

KIND_WORDS = {"放假": "holiday", "休": "holiday", "holiday": "holiday", "上班": "workday", "班": "workday",
              "调休上班": "workday", "workday": "workday"}


def parse_arrangement(rows: Iterable[tuple[Any, Any, Any]], year: int) -> list[tuple[dt.date, str, str]]:
    """(日期 or 日期~日期, 类型 放假|上班, 节日) rows → one (date, kind, name) per day, all inside `year`. Raises
    ValueError (zh-hans, naming the row) on a bad date, kind, or a day given twice."""
    from .excel import cell_text, parse_date

    days: dict[dt.date, tuple[str, str]] = {}
    for n, (when, kind_raw, name_raw) in enumerate(rows, start=1):
        text = cell_text(when).replace("～", "~").replace("至", "~").replace("—", "~")
        if not text and not cell_text(kind_raw):
            continue
        kind = KIND_WORDS.get(cell_text(kind_raw))
        if kind is None:
            raise ValueError(f"第 {n} 行：类型应为“放假”或“上班”：{cell_text(kind_raw) or '（空）'}")
        ends = [p.strip() for p in text.split("~")] if isinstance(when, str) else [when]
        try:
            first = parse_date(ends[0])
            last = parse_date(ends[-1]) if len(ends) > 1 else first
        except ValueError as exc:
            raise ValueError(f"第 {n} 行：日期有误：{text}") from exc
        if first is None or last is None or last < first or (last - first).days > 40:
            raise ValueError(f"第 {n} 行：日期有误：{text}")
        day = first
        while day <= last:
            if day.year != year:
                raise ValueError(f"第 {n} 行：{day:%Y年%m月%d日} 不在 {year} 年")
            if day in days:
                raise ValueError(f"第 {n} 行：{day:%Y年%m月%d日} 重复")
            if kind == "workday" and day.weekday() < 5:
                raise ValueError(f"第 {n} 行：{day:%Y年%m月%d日} 是工作日，无须登记调休上班")
            days[day] = (kind, cell_text(name_raw)[:20])
            day += dt.timedelta(days=1)
    if not any(k == "holiday" for k, _ in days.values()):
        raise ValueError("没有任何放假日期：请按国务院办公厅通知逐项填写")
    return sorted((d, k, name) for d, (k, name) in days.items())


def year_enter(*, actor: Any, year: int, days: list[tuple[dt.date, str, str]]) -> int:
    """Replace `year`'s 放假安排 with `days` (from parse_arrangement); the year's source becomes "entered".
    Atomic, audited; open demands keep the clocks they were given (a new arrangement applies to new clocks)."""
    from auditlog.context import set_actor
    from django.db import transaction

    from .models import CalendarDay, CalendarYear

    with transaction.atomic(), set_actor(actor):
        row, _ = CalendarYear.objects.update_or_create(
            year=year, defaults={"source": CalendarYear.Source.ENTERED, "entered_by": actor})
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(CalendarDay(year=row, date=d, kind=k, name=name) for d, k, name in days)
    log.info("%s 录入 %s 年放假安排：%s 天", actor, year, len(days))
    return len(days)
