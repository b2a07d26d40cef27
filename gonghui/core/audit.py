"""Audit: model changes are logged by django-auditlog; sensitive reads (ID reveal, exports) go to the
same log through `audit_access`, so there is one place to look."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models


def audit_access(*, actor: Any, obj: models.Model | None, what: str, model: type[models.Model] | None = None) -> None:
    """Write an ACCESS entry: who read what sensitive thing, and why (`what` is zh-hans, shown in the log)."""
    target_model: type[models.Model] = model if model is not None else type(obj)  # type: ignore[assignment]
    label = str(obj) if obj is not None else str(target_model._meta.verbose_name)
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(target_model),
        object_pk=str(obj.pk) if obj is not None else "",
        object_id=obj.pk if obj is not None and isinstance(obj.pk, int) else None,
        object_repr=label[:200],
        action=LogEntry.Action.ACCESS,
        changes={"访问": what},
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
