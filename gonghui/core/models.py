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
