from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .permissions import Action, Role, action_paths, can

__all__ = ["ApiToken", "Role", "RoleAssignment", "Unit", "User"]


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, actor: Any, action: str = Action.VIEW) -> Self:
        """The users in `actor`'s sight for `action`: those holding an assignment (live or revoked) on a node under
        a subtree where `actor` holds `action`. Users whose assignments are all on units, who have none, and
        superusers are in the sight of those who hold `action` over the whole tree (and of superusers) only.
        Sight is not power: whether the actor may change a user is `grants.manages`."""
        from .grants import holds_everywhere

        paths = action_paths(actor, action)
        if paths is None or (paths and holds_everywhere(actor, action)):
            return self.all()
        if not paths:
            return self.none()
        under = Q()
        for p in paths:
            under |= Q(union__path__startswith=p)
        assignments = RoleAssignment.objects.filter(under, user=models.OuterRef("pk"))
        return self.filter(models.Exists(assignments), is_superuser=False)


class GonghuiUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    objects = GonghuiUserManager()  # type: ignore[misc]  # the same manager, plus visible_to

    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机", max_length=20, blank=True)
    # Set by an administrator's password reset (a one-time password): every console page sends the user to
    # the password-change page until they pick their own (ForcePasswordChangeMiddleware).
    must_change_password = models.BooleanField("须修改密码", default=False)
    # Raised to end every session of the user at once (deactivation, a role that now needs the second factor,
    # a reset of the second factor): it is part of the session auth hash, as the password is.
    session_epoch = models.PositiveIntegerField("会话版本", default=0)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]  # sessions of before stay valid
        return salted_hmac(
            "gonghui.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

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
        POINT = "point", "服务站点"
        OTHER = "other", "其他单位"

    class Level(models.TextChoices):
        """The four levels of the service network (a partner department has none: it is off the tree)."""

        ENTERPRISE = "enterprise", "企业"
        COMMUNITY = "community", "社区/行业"
        TOWNSHIP = "township", "镇街"
        DISTRICT = "district", "区"

    name = models.CharField("单位名称", max_length=100, unique=True)
    kind = models.CharField("类别", max_length=12, choices=Kind.choices, default=Kind.DEPARTMENT)
    code = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    active = models.BooleanField("有效", default=True)
    # 服务网络: a service point sits at one level and is attached to an org node (its cadres act for it, and the
    # demands routed to it are seen up that node's line); a partner department has neither.
    level = models.CharField("服务层级", max_length=10, choices=Level.choices, blank=True)
    node = models.ForeignKey(
        "orgs.Union", verbose_name="所属组织节点", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # 职责清单: the demand categories the unit takes (demands.Category values); routing suggests by it.
    categories = models.JSONField("职责清单", default=list, blank=True)
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


def token_expiry_default() -> datetime:
    """A new token's expiry: now + GONGHUI_API_TOKEN_DAYS (90 days unless the environment says otherwise)."""
    return timezone.now() + timedelta(days=settings.GONGHUI_API_TOKEN_DAYS)


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the plain token is shown once."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField("前缀", max_length=8)
    name = models.CharField("名称", max_length=50, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    expires_at = models.DateTimeField("过期时间", default=token_expiry_default)

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
