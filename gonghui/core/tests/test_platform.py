"""The platform's shared parts: database settings, regions, login, audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from gonghui.core.management.commands.load_regions import DEFAULT_FILE, load_regions
from gonghui.core.models import Region

pytestmark = pytest.mark.django_db


def test_sqlite_is_set_up_for_concurrent_writers():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only settings")
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode")
        assert cur.fetchone()[0] in ("wal", "memory")  # an in-memory test DB cannot be WAL
        cur.execute("PRAGMA busy_timeout")
        assert cur.fetchone()[0] >= 20000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_regions_ship_huangyan_and_its_19_townships_and_taizhou_counties():
    huangyan = Region.objects.get(code="331003")
    towns = set(huangyan.children.values_list("name", flat=True))
    assert len(towns) == 19 and {"东城街道", "院桥镇", "茅畲乡"} <= towns
    assert Region.objects.filter(parent__code="331000", level="county").count() == 9
    assert huangyan.full_name == "浙江省台州市黄岩区"


def test_load_regions_is_idempotent_and_rejects_unknown_parents(tmp_path: Path):
    before = Region.objects.count()
    counts = load_regions(DEFAULT_FILE)
    assert counts["created"] == 0 and Region.objects.count() == before
    bad = tmp_path / "r.csv"
    bad.write_text("code,name,level,parent_code\n999999,无名县,county,888888\n", encoding="utf-8")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="上级区划"):
        load_regions(bad)
    assert not Region.objects.filter(code="999999").exists()


def test_login_page_is_chinese_and_names_demo_accounts_only_in_demo_mode(client, settings):
    settings.DEMO_MODE = False
    page = client.get(reverse("login")).content.decode()
    assert "登录" in page and "demo12345" not in page
    settings.DEMO_MODE = True
    page = client.get(reverse("login")).content.decode()
    for name in ("huangyan", "dongcheng", "yuanqiao", "kuaidi"):
        assert name in page


def test_five_wrong_passwords_lock_the_account(client):
    for _ in range(5):
        client.post(reverse("login"), {"username": "yuanqiao", "password": "wrong-password"})
    response = client.post(reverse("login"), {"username": "yuanqiao", "password": "demo12345"})
    assert response.status_code in (403, 429)
    assert "锁定" in response.content.decode()


def test_console_pages_need_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_audit_log_needs_view_audit_on_the_whole_district(client_as):
    from gonghui.orgs.models import Union
    from gonghui.orgs.services import union_update

    client = client_as("huangyan")
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.get(username="huangyan")
    union = Union.objects.filter(kind="single").first()
    union_update(actor=actor, union=union, chair="审计测试主席")
    page = client.get(reverse("audit_log"), {"q": union.name}).content.decode()
    assert union.name in page and "huangyan" in page or "黄岩区总工会管理员" in page
    # a township admin holds no view_audit anywhere: visible page, not permitted → 403 with the reason
    denied = client_as("dongcheng").get(reverse("audit_log"))
    assert denied.status_code == 403 and "查看审计日志" in denied.content.decode()


def test_passwords_are_hashed_with_argon2():
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="huangyan").password.startswith("argon2")


def test_nested_audit_contexts_leave_no_receiver_behind(huangyan):
    """Regression: auditlog's nested set_actor (middleware + service) leaked one pre_save receiver per write."""
    from auditlog.context import set_actor
    from django.db.models.signals import pre_save

    from gonghui.orgs.models import Union
    from gonghui.orgs.services import union_update

    before = len(pre_save.receivers)
    union = Union.objects.filter(kind="single").first()
    for i in range(3):
        with set_actor(huangyan):  # what AuditlogMiddleware does around a request
            union_update(actor=huangyan, union=union, chair=f"主席{i}")
    assert len(pre_save.receivers) == before
