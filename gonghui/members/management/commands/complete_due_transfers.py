"""manage.py complete_due_transfers — complete every transfer whose 7 days passed without an answer (cron or a
django-tasks schedule; the transfer inbox also does it when it opens)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gonghui.members.services import transfer_complete_due


class Command(BaseCommand):
    help = "自动完成逾期未审批的转会申请"

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"已自动完成 {transfer_complete_due()} 笔逾期转会")
