"""The worker's phone pages: the e-card's SMS login leads back to them; file with photos (checked by content, kept
private, shown only to those who see the demand); follow; rate (不满意 reopens)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gonghui.demands import services
from gonghui.demands.models import Demand, DemandPhoto
from gonghui.members import sms
from tests import factories as f

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def phone_login(client: Client, person: Any, settings: Any) -> None:
    settings.GONGHUI_SMS_BACKEND = "gonghui.members.sms.LocmemSmsBackend"
    sms.outbox.clear()
    r = client.get(reverse("phone:demands"))
    assert r.status_code == 302 and r["Location"] == reverse("join:card_login")
    client.post(reverse("join:card_login"), {"action": "send", "phone": person.phone})
    code = re.search(r"验证码为(\d{6})", sms.outbox[-1].text)[1]  # type: ignore[index]
    r = client.post(reverse("join:card_login"), {"action": "verify", "phone": person.phone, "code": code})
    assert r.status_code == 302 and r["Location"] == reverse("phone:demands"), r.content.decode()[:300]


def test_a_worker_files_with_photos_follows_and_rates(cast: Any, settings: Any, client_as: Any) -> None:
    client = Client()
    phone_login(client, cast.worker, settings)
    r = client.post(reverse("phone:demand_new"), {
        "category": "labour_dispute", "title": "加班费未发", "description": "十月加班费至今未发放",
        "photos": [SimpleUploadedFile("工资条.jpg", PNG, content_type="image/jpeg")]})  # named .jpg, a PNG inside
    assert r.status_code == 302, r.content.decode()[:400]
    d = Demand.objects.get(person=cast.worker)
    assert d.channel == "web" and d.union == cast.dc_union and d.contact_phone == cast.worker.phone
    photo = DemandPhoto.objects.get(demand=d)
    assert photo.content_type == "image/png" and "media" not in photo.path
    # the photo: to dongcheng (who sees the demand), not to yuanqiao
    url = reverse("demands:photo", args=[photo.pk])
    assert client_as("dongcheng").get(url).status_code == 200
    assert client_as("yuanqiao").get(url).status_code == 404
    # a fake photo is refused
    r = client.post(reverse("phone:demand_new"), {
        "category": "other", "title": "x", "description": "y",
        "photos": [SimpleUploadedFile("a.jpg", b"<html>not an image</html>" * 3, content_type="image/jpeg")]})
    assert r.status_code == 400 and "不是照片" in r.content.decode()
    # follow, then rate once closed
    dongcheng = cast.dongcheng
    f.service_point(cast.dongcheng_town)
    services.demand_claim(actor=dongcheng, demand=d)
    services.demand_close(actor=dongcheng, demand=d, result="已补发")
    page = client.get(reverse("phone:demand", args=[d.pk])).content.decode()
    assert 'data-testid="rate-form"' in page and "已补发" in page
    client.post(reverse("phone:demand", args=[d.pk]), {"rating": "unsatisfied", "comment": "只补了一半"})
    d.refresh_from_db()
    assert d.status == "in_progress" and d.reopens == 1
    # another worker's demand is not this worker's page
    other = f.demand(union=cast.dc_union, person=cast.dc2_member)
    assert client.get(reverse("phone:demand", args=[other.pk])).status_code == 404
