from __future__ import annotations

from django.conf import settings
from django.db import models


class Region(models.Model):
    """行政区划: province → city → county → township, shared reference data (everyone may read it)."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        COUNTY = "county", "县(区)"
        TOWNSHIP = "township", "乡镇(街道)"

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=50)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        parts = []
        node: Region | None = self
        while node is not None:
            parts.append(node.name)
            node = node.parent
        return "".join(reversed(parts))


class LoginEvent(models.Model):
    """登录日志: one row per successful login, failed attempt or lockout (written by core.signals)."""

    class Kind(models.TextChoices):
        SUCCESS = "success", "登录成功"
        FAILURE = "failure", "密码错误"
        LOCKOUT = "lockout", "账号锁定"
        LOGOUT = "logout", "退出登录"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    kind = models.CharField("结果", max_length=10, choices=Kind.choices)
    username = models.CharField("用户名", max_length=150, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)

    class Meta:
        verbose_name = "登录日志"
        verbose_name_plural = "登录日志"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.username} · {self.get_kind_display()}"


class CalendarYear(models.Model):
    """One year's 放假安排 as the platform applies it: seeded from chinesecalendar (the State Council's notices up to
    the library's last year) or entered by a 区总管理员. A year with no row runs on weekends only (and the console
    warns until it is entered)."""

    class Source(models.TextChoices):
        CHINESECALENDAR = "chinesecalendar", "chinesecalendar 内置"
        ENTERED = "entered", "管理员录入"

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("来源", max_length=16, choices=Source.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "放假安排"
        verbose_name_plural = "放假安排"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}年放假安排"


class CalendarDay(models.Model):
    """A day that breaks the weekday rule: a 法定节假日 (a day off, weekdays and the weekends inside the break alike)
    or a 调休 working day (a Saturday or Sunday worked)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "放假"
        WORKDAY = "workday", "调休上班"

    year = models.ForeignKey(CalendarYear, verbose_name="年份", on_delete=models.CASCADE, related_name="days")
    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    name = models.CharField("节日", max_length=20, blank=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
