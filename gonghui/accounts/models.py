from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from .permissions import Role, can

__all__ = ["ApiToken", "Role", "RoleAssignment", "Unit", "User"]


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机", max_length=20, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    def can(self, action: str) -> bool:
        """`permissions.can(self, action)`, as a method so that layers below accounts (core's menu, its audit
        page) can ask without importing accounts."""
        return can(self, action)


class Unit(models.Model):
    """协同单位: a partner body that is not on the union tree (人社局, 司法局, a partner bank). A role assignment
    may name one instead of a union; what it then grants is routed to the unit (demands), never a subtree."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", "政府部门"
        BANK = "bank", "合作银行"
        OTHER = "other", "其他单位"

    name = models.CharField("单位名称", max_length=100, unique=True)
    kind = models.CharField("类别", max_length=12, choices=Kind.choices, default=Kind.DEPARTMENT)
    code = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "协同单位"
        verbose_name_plural = "协同单位"
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A user holds `role` either over the subtree rooted at `union` or on `unit` (off the tree): exactly one."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    union = models.ForeignKey(
        "orgs.Union", verbose_name="组织节点", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name="协同单位", null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("授权时间", auto_now_add=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.CheckConstraint(
                condition=Q(union__isnull=False, unit__isnull=True) | Q(union__isnull=True, unit__isnull=False),
                name="role_assignment_union_xor_unit",
                violation_error_message="角色授权须指定一个组织节点或一个协同单位（只能二选一）",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "union"], condition=Q(union__isnull=False), name="uniq_role_assignment"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "unit"], condition=Q(unit__isnull=False), name="uniq_role_assignment_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.union or self.unit}"

    @property
    def target(self) -> object:
        """The node or the unit the role is held on."""
        return self.union if self.union_id is not None else self.unit


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the plain token is shown once."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("前缀", max_length=8)
    name = models.CharField("名称", max_length=50, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_plain() -> str:
        return "gh_" + secrets.token_urlsafe(32)
