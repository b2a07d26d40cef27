"""Cadres' reads of personal data: filters that fail closed, searches by ID or mobile that never reach a URL,
the status column and masked mobiles, transfer-in that answers only what the cadre may know, and exports that
ask for a reason and run in the background through the download centre."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gonghui.core import crypto
from gonghui.downloads import services as downloads
from gonghui.downloads.models import ExportJob
from gonghui.members import exports, services
from gonghui.members.models import Membership, Person
from gonghui.orgs.models import Union

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    from django.contrib.auth import get_user_model

    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def _member_in(township: str, **extra: Any) -> Person:
    town = Union.objects.get(name=f"{township}总工会")
    return (Person.objects.filter(current_union__path__startswith=town.path, memberships__status="active", **extra)
            .exclude(phone="").order_by("pk").first())


def _access_count() -> int:
    return LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()


# ---------------------------------------------------------------- invalid filters fail closed


@pytest.mark.parametrize("bad", [{"joined_from": "2024-13-01"}, {"occupation": "宇航员"}, {"union": "999999999"},
                                 {"enterprise": str(2**70)}, {"joined_from": "2025-01-02", "joined_to": "2025-01-01"}])
def test_an_invalid_filter_exports_nothing_and_says_why(bad: dict[str, str]) -> None:
    # given the district admin (who may export unmasked) and a name search that matches a few members
    p = _member_in("院桥镇")
    c = _client("huangyan")
    before = _access_count()
    # when one more filter value is invalid
    r = c.get(reverse("members:export"), {"unmasked": "1", "q": p.name, **bad})
    # then the page shows the error and nothing is exported (the bug: every member, full IDs, "条件：全部")
    assert r.status_code == 400
    assert r["Content-Type"].startswith("text/html")
    assert "筛选条件有误" in r.content.decode()
    assert _access_count() == before
    r = c.post(reverse("members:export"), {"q": p.name, "unmasked": "on", "reason": "核对", "confirm": "on", **bad})
    assert r.status_code == 400 and r["Content-Type"].startswith("text/html") and _access_count() == before
    # and the list itself lists nothing rather than everything
    r = c.get(reverse("members:list"), {"q": p.name, **bad})
    assert r.status_code == 400 and r.context["page"].paginator.count == 0


def test_union_filter_takes_any_union_in_scope_and_refuses_others(other_union: Union) -> None:
    # given a grassroots union of 东城 (its page links to 本会会员 with ?union=<id>)
    p = _member_in("东城街道")
    grassroots = p.current_union
    assert grassroots.kind not in (Union.Kind.TOWNSHIP, Union.Kind.DISTRICT)
    c = _client("dongcheng")
    r = c.get(reverse("members:list"), {"union": grassroots.pk})
    # then exactly that union's members, and its name in the filter
    assert r.status_code == 200
    assert {x.current_union_id for x in r.context["page"]} == {grassroots.pk}
    html = r.content.decode()
    assert f'name="union" value="{grassroots.pk}"' in html and grassroots.name in html  # the picker shows the choice
    # a union of 院桥 is not in dongcheng's scope: an error, not the whole list
    r = c.get(reverse("members:list"), {"union": other_union.pk})
    assert r.status_code == 400 and "请从列表中选择工会" in r.content.decode() and not r.context["page"].paginator.count


# ---------------------------------------------------------------- searches that stay out of URLs


def test_search_by_full_id_goes_through_post_and_an_opaque_key() -> None:
    p = _member_in("院桥镇")
    number = crypto.decrypt(p.id_cipher)
    c = _client("yuanqiao")
    # when the search form posts a full ID number
    r = c.post(reverse("members:list"), {"q": number, "status": ""})
    # then the redirect carries a key, not the number
    assert r.status_code == 302 and number not in r["Location"] and "qk=" in r["Location"]
    page = c.get(r["Location"])
    assert [x.pk for x in page.context["page"]] == [p.pk]
    html = page.content.decode()
    # the export link and every other link carry the key, never the number; the box shows what was typed
    export_href = html.split('data-testid="export" href="')[1].split('"')[0]
    assert "qk=" in export_href and number not in export_href
    assert number not in "".join(part.split('"')[0] for part in html.split('href="')[1:])
    # the export of that search finds the same person
    qs = dict(x.split("=") for x in urlsplit(export_href.replace("&amp;", "&")).query.split("&"))
    exported = c.post(reverse("members:export"), qs)
    rows = list(load_workbook(io.BytesIO(exported.content)).active.values)
    assert [row[1] for row in rows[1:]] == [p.name]
    # a key from another session is refused, not ignored
    other = _client("yuanqiao").get(reverse("members:list"), {"qk": qs["qk"]})
    assert other.status_code == 400 and "搜索条件已失效" in other.content.decode()
    # a mobile number is treated the same way
    r = c.post(reverse("members:list"), {"q": p.phone})
    assert p.phone not in r["Location"]


def test_search_accepts_partial_mobile_and_visible_id_parts() -> None:
    p = _member_in("院桥镇")
    c = _client("yuanqiao")

    def found(q: str) -> list[int]:
        r = c.get(reverse("members:list"), {"q": q})
        assert r.status_code == 200, q
        return [x.pk for x in r.context["page"].paginator.object_list]

    assert p.pk in found(p.phone[-4:])  # last four of the mobile
    assert p.pk in found(p.phone[:3] + p.phone[3:6])  # six leading digits
    assert p.pk in found(f"{p.name} {p.id_masked[-4:]}")  # name + last four of the ID
    assert p.pk in found(f"{p.name} {p.id_masked[:6]}")  # name + area code
    assert p.pk in found(f"{p.name} {p.id_masked[:6]} {p.id_masked[-4:]}")
    assert p.pk in found(p.id_masked)  # the masked form as the list shows it
    wrong_tail = "0000" if p.id_masked[-4:] != "0000" else "1111"
    assert p.pk not in found(f"{p.name} {wrong_tail}") or p.phone.endswith(wrong_tail)
    r = c.get(reverse("members:list"))
    assert "身份证号码前6位（地区码）/后4位" in r.content.decode()


# ---------------------------------------------------------------- status column, masked mobiles


def test_status_column_and_pending_applicants_apart(dongcheng: Any) -> None:
    town = Union.objects.get(name="东城街道总工会")
    pending = Membership.objects.filter(status="pending", union__path__startswith=town.path).select_related(
        "person").first()
    retained = _member_in("东城街道")
    services.membership_change(actor=dongcheng, membership=Membership.objects.get(person=retained, status="active"),
                               kind="retain", reason="外出务工")
    c = _client("dongcheng")
    members = c.get(reverse("members:list"), {"q": retained.name})
    assert "保留会籍" in [x.status_label for x in members.context["page"] if x.pk == retained.pk]
    default = c.get(reverse("members:list"))
    assert pending.person_id not in {x.pk for x in default.context["page"].paginator.object_list}
    applicants = c.get(reverse("members:list"), {"status": "pending"})
    assert pending.person_id in {x.pk for x in applicants.context["page"]}
    assert {x.status_label for x in applicants.context["page"]} == {"待审核"}


def test_former_members_show_as_transferred_out(huangyan: Any) -> None:
    # given a 院桥 member who moved to a 东城 union
    p = _member_in("院桥镇")
    origin = p.current_union
    dest = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    t = services.transfer_request(actor=huangyan, person=p, to_union=dest)
    services.transfer_decide(actor=huangyan, transfer=t, approve=True)
    # then yuanqiao finds them under 已转出, with the union they left (not where they went)
    r = _client("yuanqiao").get(reverse("members:list"), {"status": "former", "q": p.name})
    row = [x for x in r.context["page"] if x.pk == p.pk]
    assert row and row[0].status_label == "已转出" and row[0].m_union == origin.name
    assert dest.name not in r.content.decode()


def test_mobiles_are_masked_in_lists_unless_the_user_may_see_them() -> None:
    p = _member_in("东城街道")
    masked = p.phone[:3] + "****" + p.phone[7:]
    r = _client("dongcheng").get(reverse("members:list"), {"q": p.name})
    html = r.content.decode()
    assert masked in html and p.phone not in html
    # huangyan (区总管理员) holds reveal_id on the whole district
    r = _client("huangyan").get(reverse("members:list"), {"q": p.name})
    assert p.phone in r.content.decode()


# ---------------------------------------------------------------- transfer-in answers only what the cadre may know


def test_transfer_in_does_not_name_whoever_holds_an_id(settings: Any) -> None:
    # given a member of 院桥 and a person with no open membership
    p = _member_in("院桥镇")
    dest = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    c = _client("dongcheng")
    before = _access_count()
    # when dongcheng types the ID with a wrong name
    r = c.post(reverse("members:transfer_in"), {"id_number": crypto.decrypt(p.id_cipher), "name": "某某某",
                                                "to_union": dest.pk})
    # then the answer is the same sentence as for an unknown number, without the person's name or union
    html = r.content.decode()
    assert r.status_code == 400 and "未找到与该身份证号码和姓名相符的在会会员" in html
    assert p.name not in html and p.current_union.name not in html
    # and the look-up is audited, masked
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("-pk").first()
    assert _access_count() == before + 1 and p.id_masked in str(entry.changes)
    assert crypto.decrypt(p.id_cipher) not in str(entry.changes)


def test_transfer_in_lookups_are_rate_limited(settings: Any) -> None:
    settings.GONGHUI_TRANSFER_LOOKUP_RATE = "3/h"
    dest = Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")
    c = _client("dongcheng")
    people = Person.objects.filter(current_union__isnull=False).order_by("pk")[:4]
    codes = [c.post(reverse("members:transfer_in"), {"id_number": crypto.decrypt(x.id_cipher), "name": "某某",
                                                     "to_union": dest.pk}).status_code for x in people]
    assert codes == [400, 400, 400, 429]


# ---------------------------------------------------------------- background exports and the download centre


def test_large_export_runs_in_the_background_and_downloads_from_the_centre(monkeypatch: Any, settings: Any) -> None:
    monkeypatch.setattr(exports, "SYNC_LIMIT", 100)
    h = _client("huangyan")
    # when huangyan asks for an unmasked export larger than the limit, with a reason
    r = h.post(reverse("members:export"), {"unmasked": "on", "reason": "报送核对", "confirm": "on"})
    # then a job is queued and they land in the download centre
    assert r.status_code == 302 and r["Location"] == reverse("downloads:list")
    job = ExportJob.objects.get(created_by__username="huangyan")
    assert job.status == "queued" and job.sensitive and job.reason == "报送核对" and job.rows_total > 100
    assert crypto.decrypt(job.params_cipher)  # parameters are stored encrypted
    # when the worker runs it
    downloads.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    path = Path(job.file_path)
    assert job.status == "done" and job.rows_done == job.rows_total and job.size == path.stat().st_size
    # the file and its folder are private
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert Path(settings.VAR_DIR) in path.parents
    listing = h.get(reverse("downloads:list"))
    assert "会员名册（含完整身份证号码）" in listing.content.decode() and "下载" in listing.content.decode()
    # the download is audited; the workbook has full numbers
    before = _access_count()
    got = h.get(reverse("downloads:file", args=[job.pk]))
    rows = list(load_workbook(io.BytesIO(b"".join(got.streaming_content))).active.values)
    assert len(rows) - 1 == job.rows_total and all(len(row[2]) == 18 and "*" not in row[2] for row in rows[1:])
    assert _access_count() == before + 1
    # nobody else sees the job or the file
    d = _client("dongcheng")
    assert "会员名册（含完整身份证号码）" not in d.get(reverse("downloads:list")).content.decode()
    assert d.get(reverse("downloads:file", args=[job.pk])).status_code == 404
    # after expiry the sweep deletes the file and the link is gone
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())
    assert downloads.export_sweep() == 1
    assert not path.exists() and not path.parent.exists()
    assert h.get(reverse("downloads:file", args=[job.pk])).status_code == 404
    assert ExportJob.objects.get(pk=job.pk).status == "expired"


def test_background_export_is_masked_and_scoped_for_a_township(monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "SYNC_LIMIT", 10)
    d = _client("dongcheng")
    town = Union.objects.get(name="东城街道总工会")
    d.post(reverse("members:export"), {"occupation": "其他"})
    job = ExportJob.objects.get(created_by__username="dongcheng")
    downloads.export_job_run(job_id=job.pk)
    got = d.get(reverse("downloads:file", args=[job.pk]))
    rows = list(load_workbook(io.BytesIO(b"".join(got.streaming_content))).active.values)[1:]
    expected = Person.objects.filter(current_union__path__startswith=town.path, occupation="其他").exclude(
        memberships__status="pending")
    assert len(rows) == expected.count() > 10
    assert all("*" in row[2] and (row[5] is None or "****" in row[5]) for row in rows)
    assert {row[9] for row in rows} == {"其他"} and {row[6] for row in rows} <= {"在会", "保留会籍"}


def test_progress_shows_while_a_job_runs(monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "SYNC_LIMIT", 10)
    h = _client("huangyan")
    h.post(reverse("members:export"), {})
    job = ExportJob.objects.get(created_by__username="huangyan")
    html = h.get(reverse("downloads:list")).content.decode()
    assert 'hx-trigger="every 1s"' in html and "排队中" in html
    downloads.export_job_run(job_id=job.pk)
    assert downloads.export_job_run(job_id=job.pk) is None  # idempotent: a finished job is not rebuilt
    html = h.get(reverse("downloads:list"), HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in html and "可下载" in html


def test_sweep_command_removes_stray_folders(settings: Any, tmp_path: Path) -> None:
    from django.core.management import call_command

    stray = downloads.exports_dir() / "deadbeef"
    stray.mkdir(parents=True)
    (stray / "export.xlsx").write_bytes(b"x")
    old = timezone.now().timestamp() - 3 * 86400
    os.utime(stray, (old, old))
    from django.contrib.auth import get_user_model

    dead = ExportJob.objects.create(kind="members", title="会员名册", params_cipher="-", filename="x.xlsx",
                                    created_by=get_user_model().objects.get(username="dongcheng"), status="running",
                                    started_at=timezone.now() - downloads.STALE_AFTER * 2)
    out = io.StringIO()
    call_command("sweep_exports", stdout=out)
    assert not stray.exists() and "已清理" in out.getvalue()
    dead.refresh_from_db()
    assert dead.status == "failed" and "重新导出" in dead.error
