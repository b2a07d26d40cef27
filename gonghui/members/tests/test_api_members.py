"""GET /api/v1/members and /api/v1/members/{id}: scoped, masked, paged, filtered; q by ID in any spelling."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from gonghui.core.identifiers import make_id_number
from gonghui.members import services
from gonghui.members.models import Person
from gonghui.orgs.models import Union

pytestmark = pytest.mark.django_db

ELEME = "黄岩区饿了么网约送餐员联合工会"  # 东城街道
ZTO = "黄岩区中通快递网点联合工会"  # 快递行业工会联合会


def number(n: int) -> str:
    return make_id_number("110105", dt.date(1983, 2, 1) + dt.timedelta(days=n), 300 + n)


def join(n: int, union_name: str, name: str, phone: str = "13611112222") -> Person:
    u = Union.objects.get(name=union_name)
    return services.member_join(union=u, name=name, id_number=number(n), phone=phone, occupation="快递员").person


@pytest.fixture
def cast(db: Any) -> dict[str, Person]:
    return {"eleme": join(1, ELEME, "韩梅梅", "13611113333"), "zto": join(2, ZTO, "李雷", "13622224444")}


def test_list_is_masked_and_paged(client_as: Any, cast: dict[str, Person]) -> None:
    c = client_as("dongcheng")
    resp = c.get("/api/v1/members", {"q": "韩梅梅", "limit": 5})
    assert resp.status_code == 200
    data = resp.json()
    assert set(data) == {"items", "count"} and data["count"] >= 1
    item = next(i for i in data["items"] if i["id"] == cast["eleme"].pk)
    assert item["id_masked"] == cast["eleme"].id_masked and number(1) not in resp.content.decode()
    assert item["phone"] == "136****3333"
    assert item["union_name"] == ELEME and item["member_no"] == cast["eleme"].member_no
    assert item["joined_on"] == dt.date.today().isoformat() or item["joined_on"]
    assert {"sex", "birth_date", "occupation", "political", "union_id"} <= set(item)


def test_list_is_scoped(client_as: Any, cast: dict[str, Person]) -> None:
    assert client_as("yuanqiao").get("/api/v1/members", {"q": "韩梅梅"}).json()["count"] == 0
    ids = [i["id"] for i in client_as("kuaidi").get("/api/v1/members", {"q": "李雷"}).json()["items"]]
    assert cast["zto"].pk in ids


def test_detail_and_out_of_scope_404(client_as: Any, cast: dict[str, Person]) -> None:
    pk = cast["eleme"].pk
    resp = client_as("dongcheng").get(f"/api/v1/members/{pk}")
    assert resp.status_code == 200 and resp.json()["member_no"] == cast["eleme"].member_no
    assert resp.json()["joined_on"]
    resp = client_as("yuanqiao").get(f"/api/v1/members/{pk}")
    assert resp.status_code == 404 and resp.json()["detail"] == "对象不存在或无权访问"
    assert client_as("dongcheng").get("/api/v1/members/999999999").status_code == 404


def test_anonymous_is_401(client: Client) -> None:
    assert client.get("/api/v1/members").status_code == 401


@pytest.mark.parametrize(
    "spelling",
    [
        lambda s: s,
        lambda s: f"{s[:6]} {s[6:14]} {s[14:]}",
        lambda s: s[:-1] + s[-1].lower(),
        lambda s: s.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")),
    ],
)
def test_q_by_id_number_in_any_spelling(client_as: Any, cast: dict[str, Person], spelling: Any) -> None:
    # the blind-index look-up goes through POST, so the number is in the body, not in a logged URL
    resp = client_as("huangyan").post("/api/v1/members/search", {"q": spelling(number(1))},
                                      content_type="application/json")
    assert resp.status_code == 200
    assert [i["id"] for i in resp.json()["items"]] == [cast["eleme"].pk]


def test_full_id_or_mobile_in_a_get_url_is_refused(client_as: Any, cast: dict[str, Person]) -> None:
    c = client_as("huangyan")
    for q in (number(1), "13622224444"):
        resp = c.get("/api/v1/members", {"q": q})
        assert resp.status_code == 422 and "POST /api/v1/members/search" in resp.json()["detail"]
    # names and partial mobiles still work in the URL
    assert [i["id"] for i in c.get("/api/v1/members", {"q": "4444"}).json()["items"]][:50].count(cast["zto"].pk) == 1


def test_search_is_scoped_and_paged(client_as: Any, cast: dict[str, Person]) -> None:
    resp = client_as("yuanqiao").post("/api/v1/members/search?limit=5", {"q": number(1)},
                                      content_type="application/json")
    assert resp.status_code == 200 and resp.json() == {"items": [], "count": 0}


def test_q_by_phone_and_union_filter(client_as: Any, cast: dict[str, Person]) -> None:
    c = client_as("huangyan")
    found = c.post("/api/v1/members/search", {"q": "13622224444"}, content_type="application/json").json()
    assert cast["zto"].pk in [i["id"] for i in found["items"]]
    kuaidi = Union.objects.get(name="快递行业工会联合会")
    ids = [i["id"] for i in c.get("/api/v1/members", {"union": kuaidi.pk, "limit": 1000}).json()["items"]]
    assert cast["zto"].pk in ids and cast["eleme"].pk not in ids


def test_limit_above_1000_is_422(client_as: Any) -> None:
    assert client_as("huangyan").get("/api/v1/members", {"limit": 1001}).status_code == 422


@pytest.mark.parametrize("offset", [2**63, 10**30, -1])
def test_offset_out_of_range_is_422_not_500(client_as: Any, offset: int) -> None:
    # given an offset past what the database can hold (or negative), when the list is asked for it
    resp = client_as("huangyan").get("/api/v1/members", {"offset": offset})
    # then it is refused like any other bad parameter, never a database error
    assert resp.status_code == 422


def test_large_but_valid_offset_is_an_empty_page(client_as: Any, cast: dict[str, Person]) -> None:
    resp = client_as("huangyan").get("/api/v1/members", {"offset": 2**63 - 1})
    assert resp.status_code == 200 and resp.json()["items"] == []


def test_list_query_count_is_flat(client_as: Any, cast: dict[str, Person], django_assert_max_num_queries: Any) -> None:
    c = client_as("huangyan")
    c.get("/api/v1/members", {"limit": 1})
    with django_assert_max_num_queries(8):
        c.get("/api/v1/members", {"limit": 200})
