"""manage.py rotate_field_keys and complete_due_transfers."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.utils import timezone

from gonghui.core import crypto
from gonghui.members.models import Person, TransferRequest


@pytest.fixture
def fresh_crypto() -> Any:
    crypto.reset_caches()
    yield
    crypto.reset_caches()


def test_rotate_field_keys_reencrypts_everything_under_the_first_key(db: Any, settings: Any, fresh_crypto: Any) -> None:
    # given members encrypted under the current key, and a new key put first
    old_key = settings.FIELD_KEYS[0]
    sample = Person.objects.order_by("pk").first()
    plain = crypto.decrypt(sample.id_cipher)
    index = sample.id_index
    new_key = Fernet.generate_key().decode()
    settings.FIELD_KEYS = [new_key, *settings.FIELD_KEYS]
    crypto.reset_caches()
    # when the keys are rotated (small batches)
    out = StringIO()
    call_command("rotate_field_keys", "--batch", "500", stdout=out)
    # then every cipher opens with the new key alone, the blind index still finds the person
    assert f"{Person.objects.count()} 条" in out.getvalue()
    for cipher in Person.objects.values_list("id_cipher", flat=True)[:300]:
        Fernet(new_key.encode()).decrypt(cipher.encode())
    sample.refresh_from_db()
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(sample.id_cipher.encode())
    assert Fernet(new_key.encode()).decrypt(sample.id_cipher.encode()).decode() == plain
    assert crypto.blind_index(plain) == index


def test_complete_due_transfers_command(db: Any) -> None:
    t = TransferRequest.objects.filter(status="pending").first()
    TransferRequest.objects.filter(pk=t.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    out = StringIO()
    call_command("complete_due_transfers", stdout=out)
    t.refresh_from_db()
    assert t.status == "auto" and "已自动完成" in out.getvalue()
