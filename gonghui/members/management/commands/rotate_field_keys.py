"""manage.py rotate_field_keys [--batch 2000] — re-encrypt every stored ID number under the first key of
GONGHUI_FIELD_KEYS.

Rotation: put the new key first in GONGHUI_FIELD_KEYS (keep the old ones after it), run this, then drop the old
keys. Works in batches by primary key, each batch its own transaction, so it can run on a live system and be
re-run after an interruption (already-rotated rows are simply rotated again). The blind index is not touched:
it has its own key (see gonghui/core/crypto.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from gonghui.core import crypto
from gonghui.members.models import Person


class Command(BaseCommand):
    help = "用当前第一个密钥重新加密全部身份证号码密文（密钥轮换）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args: Any, **opts: Any) -> None:
        crypto.reset_caches()
        batch = max(int(opts["batch"]), 1)
        last = 0
        done = 0
        while True:
            with transaction.atomic():
                rows = list(Person.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "id_cipher")[:batch])
                if not rows:
                    break
                people = [Person(pk=pk, id_cipher=crypto.rotate(cipher)) for pk, cipher in rows]
                Person.objects.bulk_update(people, ["id_cipher"], batch_size=500)
            last = rows[-1][0]
            done += len(rows)
            if opts["verbosity"] > 1:
                self.stdout.write(f"…{done}")
        self.stdout.write(f"已用新密钥重新加密 {done} 条身份证号码")
