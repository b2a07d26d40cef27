"""Periodic jobs: work that must happen on a clock, never as a side effect of somebody opening a page.

An app registers a `Periodic` (a django-tasks task and how often it runs) in its AppConfig.ready();
`manage.py run_periodic` (started by `make serve` beside the task worker, or from cron with `--once`)
enqueues each job when its period has come round. The period is claimed with `cache.add`, which is atomic
in the database and Redis caches alike, so two schedulers running by mistake still enqueue a job once a period.
The job itself runs in the worker as the system (no request user): its audit entries carry no actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.core.cache import cache


@dataclass(frozen=True)
class Periodic:
    """`task` is the dotted path of a django-tasks task taking no arguments; `every` is in seconds."""

    name: str
    task: str
    every: int
    label: str = ""


PERIODIC: list[Periodic] = []


def register_periodic(job: Periodic) -> None:
    if all(j.name != job.name for j in PERIODIC):
        PERIODIC.append(job)
        PERIODIC.sort(key=lambda j: j.name)


def _task(path: str) -> Any:
    module, _, attr = path.rpartition(".")
    return getattr(import_module(module), attr)


def enqueue_due() -> list[str]:
    """Enqueue every registered job whose period has come round; returns the names enqueued. Idempotent within
    a period (a second call enqueues nothing until `every` seconds have passed)."""
    enqueued = []
    for job in PERIODIC:
        if cache.add(f"gonghui:periodic:{job.name}", 1, timeout=job.every):
            _task(job.task).enqueue()
            enqueued.append(job.name)
    return enqueued
