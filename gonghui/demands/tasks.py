"""Background work of demands (django-tasks; run by `manage.py db_worker`, scheduled by core.schedule)."""

from __future__ import annotations

from django_tasks import task


@task()
def watch_clock() -> dict[str, int]:
    """Warn before due, escalate the overdue to the level above (every 15 minutes)."""
    from .services import demands_watch_clock

    return demands_watch_clock()
