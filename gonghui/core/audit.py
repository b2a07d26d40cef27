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


def fix_nested_audit_contexts() -> None:
    """Make auditlog's `set_actor` / `set_extra_data` safe to nest (installed by CoreConfig.ready()).

    django-auditlog 3.x (jazzband/django-auditlog#846, open) sets its context variable without keeping the
    token: when a service's `set_actor` runs inside the AuditlogMiddleware's request context, the outer exit
    disconnects the inner receiver a second time and its own `pre_save` receiver stays connected for the life
    of the process — one leaked receiver per write request, and every later save scans them all (the join
    burst slowed down as it ran). This replacement resets the variable on exit and gives every context a
    unique dispatch uid (the library's `time.time()` can repeat across threads)."""
    import itertools
    from functools import partial

    from auditlog import context as ctx
    from django.db.models.signals import pre_save

    counter = itertools.count()

    def call_context_manager(context_data: dict[str, Any]) -> Any:
        log_entry = ctx.get_logentry_model()
        context_data["signal_duid"] = ("set_actor", next(counter))
        token = ctx.auditlog_value.set(context_data)
        receiver = partial(ctx._set_extra_data, signal_duid=context_data["signal_duid"])
        pre_save.connect(receiver, sender=log_entry, dispatch_uid=context_data["signal_duid"], weak=False)
        try:
            yield
        finally:
            pre_save.disconnect(sender=log_entry, dispatch_uid=context_data["signal_duid"])
            ctx.auditlog_value.reset(token)

    ctx.call_context_manager = call_context_manager  # type: ignore[assignment]
