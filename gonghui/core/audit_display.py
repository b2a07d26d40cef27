"""The 操作日志 as a cadre reads it: who did what (新增 / 修改 / 删除 / 查看 / 导出 / 查看身份证号) to which object
(its own name, linked to its page), and each changed field by its Chinese name with old → new values as shown on
the pages (choice labels, 是/否, dates in Asia/Shanghai, related objects by name; reverse relations and
bookkeeping timestamps left out).

Apps say how their objects are named and linked with `registry.register_audit_target`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from auditlog.models import LogEntry
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from .registry import AUDIT_TARGETS

# (key, label, filter): the actions a cadre tells apart; ACCESS entries are split by what was read.
ACTIONS: tuple[tuple[str, str], ...] = (
    ("create", "新增"),
    ("update", "修改"),
    ("delete", "删除"),
    ("view", "查看"),
    ("export", "导出"),
    ("import", "导入"),
    ("reveal", "查看身份证号"),
)
ACTION_LABELS = dict(ACTIONS)
EMPTY = "（空）"
SKIP_FIELDS = {"updated_at", "created_at", "path", "depth", "numchild", "id_cipher", "id_index"}


def action_q(key: str) -> Q | None:
    access = Q(action=LogEntry.Action.ACCESS)
    return {
        "create": Q(action=LogEntry.Action.CREATE),
        "update": Q(action=LogEntry.Action.UPDATE),
        "delete": Q(action=LogEntry.Action.DELETE),
        "export": access & Q(changes__访问__icontains="导出"),
        "import": access & Q(changes__访问__icontains="导入"),
        "reveal": access & Q(changes__访问__icontains="身份证"),
        "view": access & ~Q(changes__访问__icontains="导出") & ~Q(changes__访问__icontains="导入")
        & ~Q(changes__访问__icontains="身份证"),
    }.get(key)


def action_key(entry: LogEntry) -> str:
    if entry.action == LogEntry.Action.CREATE:
        return "create"
    if entry.action == LogEntry.Action.UPDATE:
        return "update"
    if entry.action == LogEntry.Action.DELETE:
        return "delete"
    what = _access_text(entry)
    if "身份证" in what:
        return "reveal"
    if "导出" in what:
        return "export"
    if "导入" in what:
        return "import"
    return "view"


def _access_text(entry: LogEntry) -> str:
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    return str(changes.get("访问", ""))


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Row:
    entry: LogEntry
    when: dt.datetime
    actor: str
    action: str
    action_label: str
    model_label: str
    name: str
    url: str | None
    changes: list[Change] = field(default_factory=list)
    note: str = ""


def local_datetime(value: dt.datetime) -> str:
    from gonghui.core.templatetags.gh import cn_datetime  # the one way a date is written

    return cn_datetime(value)


def local_date(value: dt.date) -> str:
    from gonghui.core.templatetags.gh import cn_date

    return cn_date(value)


def _is_empty(raw: Any) -> bool:
    return raw is None or raw in ("None", "", "null")


def _display(f: models.Field[Any, Any], raw: Any, names: dict[tuple[str, str], str]) -> str:
    """One stored value (auditlog keeps str()s) as the pages show it."""
    if _is_empty(raw):
        return EMPTY
    text = str(raw)
    if f.choices:
        return str(dict(f.flatchoices).get(text, dict((str(k), v) for k, v in f.flatchoices).get(text, text)))
    if isinstance(f, models.BooleanField):
        return {"True": "是", "False": "否"}.get(text, text)
    if isinstance(f, models.DateTimeField):
        parsed = parse_datetime(text.replace(" ", "T", 1)) if "T" not in text else parse_datetime(text)
        return local_datetime(parsed) if parsed else text
    if isinstance(f, models.DateField):
        parsed_date = parse_date(text[:10])
        return local_date(parsed_date) if parsed_date else text
    if isinstance(f, models.ForeignKey):
        return names.get((f.related_model._meta.label_lower, text), text)  # type: ignore[union-attr]
    return text if len(text) <= 120 else text[:120] + "…"


def _fields(model: type[models.Model] | None) -> dict[str, models.Field[Any, Any]]:
    if model is None:
        return {}
    return {f.name: f for f in model._meta.get_fields() if getattr(f, "concrete", False)}  # type: ignore[misc]


def rows(entries: list[LogEntry]) -> list[Row]:
    """Readable rows for one page of entries: a few queries per page (one per kind of object named)."""
    # the objects each entry names, and the related objects its changed foreign keys point at, in batches
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    for e in entries:
        model = e.content_type.model_class() if e.content_type_id else None
        if model is not None and e.object_pk and e.action != LogEntry.Action.DELETE:
            wanted[model].add(str(e.object_pk))
        if e.action in (LogEntry.Action.CREATE, LogEntry.Action.UPDATE) and isinstance(e.changes, dict):
            fields = _fields(model)
            for name, values in e.changes.items():
                f = fields.get(name)
                if isinstance(f, models.ForeignKey) and isinstance(values, list):
                    for v in values:
                        if not _is_empty(v):
                            wanted[f.related_model].add(str(v))  # type: ignore[index]
    objects: dict[tuple[str, str], models.Model] = {}
    for model, pks in wanted.items():
        target = AUDIT_TARGETS.get(model._meta.label_lower)
        qs: QuerySet[Any] = model._default_manager.all()
        if target and target.related:
            qs = qs.select_related(*target.related)
        keys = [pk for pk in pks if pk.isdigit()] if isinstance(model._meta.pk, models.AutoField) else list(pks)
        for obj in qs.filter(pk__in=keys):
            objects[(model._meta.label_lower, str(obj.pk))] = obj
    names = {key: _name(obj) for key, obj in objects.items()}

    result = []
    for e in entries:
        model = e.content_type.model_class() if e.content_type_id else None
        label = model._meta.label_lower if model else ""
        obj = objects.get((label, str(e.object_pk))) if e.object_pk else None
        target = AUDIT_TARGETS.get(label)
        key = action_key(e)
        row = Row(
            entry=e,
            when=e.timestamp,
            actor=str(e.actor) if e.actor_id else "系统",
            action=key,
            action_label=ACTION_LABELS[key],
            model_label=str(model._meta.verbose_name) if model else "—",
            name=names.get((label, str(e.object_pk)), "") or _plain_repr(e, model),
            url=target.link(obj) if (target and obj is not None) else None,
        )
        if e.action == LogEntry.Action.ACCESS:
            row.note = _access_text(e)
        elif isinstance(e.changes, dict):
            fields = _fields(model)
            for fname, values in e.changes.items():
                f = fields.get(fname)
                if not isinstance(values, list) or len(values) != 2:
                    continue
                if f is None and not fname.isascii():  # a service wrote it for people ("上级工会": [old, new])
                    row.changes.append(Change(fname, *(EMPTY if _is_empty(v) else str(v) for v in values)))
                    continue
                if f is None or fname in SKIP_FIELDS or isinstance(f, models.AutoField):
                    continue  # reverse relations, bookkeeping
                old, new = (_display(f, v, names) for v in values)
                if e.action == LogEntry.Action.CREATE and new == EMPTY:
                    continue
                if old != new:
                    row.changes.append(Change(str(f.verbose_name), old, new))
        result.append(row)
    return result


def _name(obj: models.Model) -> str:
    target = AUDIT_TARGETS.get(obj._meta.label_lower)
    if target and target.name:
        return target.name(obj)
    return str(obj)


def _plain_repr(e: LogEntry, model: type[models.Model] | None) -> str:
    """The stored name, unless it is Django's "Xxx object (5)" (a deleted object of a model without __str__)."""
    text = e.object_repr or ""
    if " object (" in text and model is not None:
        return f"{model._meta.verbose_name}（编号 {e.object_pk}）"
    return text or (str(model._meta.verbose_name) if model else "—")
