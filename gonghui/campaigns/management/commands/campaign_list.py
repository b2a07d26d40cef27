"""manage.py campaign_list CAMPAIGN_ID FILE --source social_security --as-of YYYY-MM-DD [--apply] [--user NAME]

The batch feed: the same upload, classification (linkage.match) and apply as the page and the API, acting as a
cadre (default: the campaign's creator); prints one JSON line with the counts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from gonghui.campaigns import services
from gonghui.campaigns.models import Campaign, Source, SourceList
from gonghui.campaigns.services.lists import source_list_for_cli


class Command(BaseCommand):
    help = "上传一份建会入会名单并比对（可选 --apply 应用），输出一行 JSON 计数"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("campaign_id", type=int)
        parser.add_argument("file")
        parser.add_argument("--source", required=True, choices=Source.values)
        parser.add_argument("--as-of", required=True, dest="as_of")
        parser.add_argument("--apply", action="store_true")
        parser.add_argument("--user", default="", help="以该用户身份操作（缺省：行动创建人）")

    def handle(self, *args: Any, **opts: Any) -> None:
        campaign = Campaign.objects.filter(pk=opts["campaign_id"]).first()
        if campaign is None:
            raise CommandError(f"行动不存在：{opts['campaign_id']}")
        try:
            as_of = dt.date.fromisoformat(opts["as_of"])
        except ValueError as exc:
            raise CommandError("--as-of 应为 YYYY-MM-DD") from exc
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        users = get_user_model().objects
        actor = users.filter(username=opts["user"]).first() if opts["user"] else campaign.created_by
        if actor is None:
            raise CommandError("请用 --user 指定操作用户")
        try:
            sl = source_list_for_cli(path, actor=actor, campaign=campaign, source=opts["source"], as_of=as_of)
            movement: dict[str, int] | None = {}
            if opts["apply"] and sl.status == SourceList.Status.CLASSIFIED:
                movement = services.list_apply(actor=actor, source_list=sl)  # in batches, in this process
                sl.refresh_from_db()
        except (ValidationError, PermissionDenied) as exc:
            message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(message) from exc
        out = {"id": sl.pk, "status": sl.status, "rows": sl.rows, "counts": sl.counts, "detail": sl.detail}
        if movement:
            out["movement"] = movement
        self.stdout.write(json.dumps(out, ensure_ascii=False))
        if sl.status == SourceList.Status.FAILED:
            raise CommandError(sl.detail)
