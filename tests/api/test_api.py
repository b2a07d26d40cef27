"""The /api/v1/ contract: tokens, lockout, session auth, paging, filters, scope, errors, OpenAPI.

Given the demo district (huangyan sees it all; dongcheng and yuanqiao are sibling townships).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from gonghui.accounts.models import ApiToken
from gonghui.orgs.models import Enterprise, Union

pytestmark = pytest.mark.django_db

API = "/api/v1"
PASSWORD = "demo12345"


def _token(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post(f"{API}/auth/token", {"username": username, "password": password}, content_type="application/json")


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def bearer(client: Client) -> Any:
    """bearer("huangyan") → headers carrying a freshly issued token for that demo user."""

    def issue(username: str) -> dict[str, str]:
        response = _token(client, username)
        assert response.status_code == 200, response.content
        return _bearer(response.json()["token"])

    return issue


def _township(name: str) -> Union:
    return Union.objects.get(name=name)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- tokens -------------------------------------------------------------------------------------------------


def test_token_is_issued_used_and_revoked(client: Client) -> None:
    # given a token issued for huangyan
    response = _token(client, "huangyan")
    assert response.status_code == 200
    token = response.json()["token"]
    # then only its hash is stored
    row = ApiToken.objects.get(key_hash=ApiToken.hash(token))
    assert row.user.username == "huangyan" and token not in (row.key_hash, row.prefix)
    # when it is used
    me = client.get(f"{API}/me", **_bearer(token))
    assert me.status_code == 200 and me.json()["username"] == "huangyan"
    # when it is revoked, then it no longer works
    assert client.post(f"{API}/auth/revoke", **_bearer(token)).status_code == 204
    after = client.get(f"{API}/me", **_bearer(token))
    assert after.status_code == 401
    assert _has_cjk(after.json()["detail"])
    # revoking again is harmless (the token is simply no longer valid)
    assert client.post(f"{API}/auth/revoke", **_bearer(token)).status_code == 401


def test_revoking_one_token_keeps_the_others(client: Client) -> None:
    first = _token(client, "dongcheng").json()["token"]
    second = _token(client, "dongcheng").json()["token"]
    client.post(f"{API}/auth/revoke", **_bearer(first))
    assert client.get(f"{API}/me", **_bearer(second)).status_code == 200


def test_wrong_password_is_401_with_a_chinese_detail(client: Client) -> None:
    response = _token(client, "huangyan", "wrong-password")
    assert response.status_code == 401
    assert response.json() == {"detail": "用户名或密码错误"}
    assert not ApiToken.objects.filter(user__username="huangyan").exists()


def test_garbage_bearer_token_is_401(client: Client) -> None:
    response = client.get(f"{API}/me", **_bearer("gh_not-a-real-token"))
    assert response.status_code == 401
    assert response.json() == {"detail": "未登录或令牌无效"}


def test_five_failures_lock_the_account_even_for_the_right_password(client: Client) -> None:
    # given four wrong passwords
    for _ in range(4):
        assert _token(client, "yuanqiao", "nope-nope").status_code == 401
    # when the fifth fails, then the account is locked: 429 in the API's JSON shape, not the console's page
    locked = _token(client, "yuanqiao", "nope-nope")
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("application/json")
    assert "锁定" in locked.json()["detail"]
    # and the right password does not get through while locked
    again = _token(client, "yuanqiao")
    assert again.status_code == 429 and "锁定" in again.json()["detail"]
    assert not ApiToken.objects.filter(user__username="yuanqiao").exists()
    # while another user is unaffected
    assert _token(client, "dongcheng").status_code == 200


def test_a_success_resets_the_failure_count(client: Client) -> None:
    for _ in range(4):
        _token(client, "kuaidi", "nope-nope")
    assert _token(client, "kuaidi").status_code == 200
    for _ in range(4):
        assert _token(client, "kuaidi", "nope-nope").status_code == 401


# --- session auth -------------------------------------------------------------------------------------------


def test_session_auth_reads(client_as: Any) -> None:
    client = client_as("dongcheng")
    response = client.get(f"{API}/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "dongcheng"
    assert body["scope_union_ids"] == [_township("东城街道总工会").pk]


def test_session_auth_needs_csrf_for_unsafe_methods(dongcheng: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(dongcheng)
    refused = client.post(f"{API}/auth/revoke")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"] and _has_cjk(refused.json()["detail"])
    token = "k" * 32  # what a console page would have put in the csrftoken cookie
    client.cookies["csrftoken"] = token
    assert client.post(f"{API}/auth/revoke", HTTP_X_CSRFTOKEN=token).status_code == 204


def test_anonymous_is_401_with_a_chinese_detail(client: Client) -> None:
    for path in ("/me", "/unions", "/enterprises", f"/unions/{_township('东城街道总工会').pk}"):
        response = client.get(API + path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "未登录或令牌无效"}


# --- paging -------------------------------------------------------------------------------------------------


def test_lists_page_with_limit_100_by_default(bearer: Any, huangyan: Any) -> None:
    headers = bearer("huangyan")
    body = Client().get(f"{API}/enterprises", **headers).json()
    assert set(body) == {"items", "count"}
    assert len(body["items"]) == 100
    assert body["count"] == Enterprise.objects.visible_to(huangyan).count()


def test_limit_up_to_1000_and_pages_do_not_overlap(bearer: Any) -> None:
    client, headers = Client(), bearer("huangyan")
    big = client.get(f"{API}/enterprises?limit=1000", **headers).json()
    assert len(big["items"]) == 1000
    first = client.get(f"{API}/enterprises?limit=50&offset=0", **headers).json()["items"]
    second = client.get(f"{API}/enterprises?limit=50&offset=50", **headers).json()["items"]
    ids = [e["id"] for e in first + second]
    assert len(set(ids)) == 100
    assert ids == [e["id"] for e in big["items"][:100]]  # stable order


@pytest.mark.parametrize("query", ["limit=1001", "limit=0", "offset=-1", "limit=abc"])
def test_bad_paging_is_422_with_field_errors(bearer: Any, query: str) -> None:
    response = Client().get(f"{API}/unions?{query}", **bearer("huangyan"))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "请求参数有误"
    assert body["errors"] and body["errors"][0]["loc"][0] == "query"


def test_offset_past_the_end_is_an_empty_page(bearer: Any) -> None:
    body = Client().get(f"{API}/unions?offset=1000000", **bearer("dongcheng")).json()
    assert body["items"] == [] and body["count"] > 0


# --- filters ------------------------------------------------------------------------------------------------


def test_union_items_and_kind_filter(bearer: Any) -> None:
    body = Client().get(f"{API}/unions?kind=township&limit=1000", **bearer("huangyan")).json()
    district = Union.objects.get(depth=1)
    assert body["count"] == Union.objects.filter(kind="township").count() == len(body["items"])
    for item in body["items"]:
        assert {"id", "code", "name", "kind", "parent_id"} <= set(item)
        assert item["kind"] == "township" and item["parent_id"] == district.pk


def test_union_parent_filter_lists_direct_children(bearer: Any) -> None:
    dongcheng_union = _township("东城街道总工会")
    body = Client().get(f"{API}/unions?parent={dongcheng_union.pk}&limit=1000", **bearer("dongcheng")).json()
    assert body["count"] == dongcheng_union.get_children_count() > 0
    assert {u["parent_id"] for u in body["items"]} == {dongcheng_union.pk}


def test_union_parent_outside_scope_is_empty(bearer: Any) -> None:
    body = Client().get(f"{API}/unions?parent={_township('院桥镇总工会').pk}", **bearer("dongcheng")).json()
    assert body == {"items": [], "count": 0}


def test_union_q_matches_name_or_code_prefix(bearer: Any) -> None:
    client, headers = Client(), bearer("huangyan")
    by_name = client.get(f"{API}/unions?q=院桥", **headers).json()
    assert by_name["count"] > 0 and all("院桥" in u["name"] for u in by_name["items"])
    code = _township("院桥镇总工会").code
    by_code = client.get(f"{API}/unions?q={code}", **headers).json()
    assert [u["code"] for u in by_code["items"]] == [code]


def test_enterprise_filters_combine(bearer: Any) -> None:
    township = _township("院桥镇总工会")
    query = f"covered=false&min_headcount=25&township={township.pk}&status=active&limit=1000"
    body = Client().get(f"{API}/enterprises?{query}", **bearer("huangyan")).json()
    expected = Enterprise.objects.filter(
        covering_union__isnull=True, headcount__gte=25, territory=township, status="active"
    ).count()
    assert body["count"] == expected > 0
    for item in body["items"]:
        assert item["covered"] is False and item["headcount"] >= 25
        assert item["township_union_id"] == township.pk and item["status"] == "active"


def test_enterprise_q_and_unknown_kind(bearer: Any) -> None:
    client, headers = Client(), bearer("huangyan")
    firm = Enterprise.objects.order_by("pk").first()
    assert firm is not None
    hit = client.get(f"{API}/enterprises?q={firm.uscc}", **headers).json()
    assert [e["id"] for e in hit["items"]] == [firm.pk]
    assert client.get(f"{API}/unions?kind=bogus", **headers).status_code == 422


# --- scope --------------------------------------------------------------------------------------------------


def test_out_of_scope_is_404_like_absent(bearer: Any) -> None:
    client, headers = Client(), bearer("dongcheng")
    yuanqiao_union = _township("院桥镇总工会")
    yuanqiao_firm = Enterprise.objects.filter(territory=yuanqiao_union, covering_union__isnull=True).first()
    assert yuanqiao_firm is not None
    for path in (f"/unions/{yuanqiao_union.pk}", f"/enterprises/{yuanqiao_firm.pk}", "/unions/999999999"):
        response = client.get(API + path, **headers)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "对象不存在或无权访问"}
    # and the owner sees them
    own = bearer("yuanqiao")
    assert client.get(f"{API}/unions/{yuanqiao_union.pk}", **own).json()["name"] == "院桥镇总工会"
    assert client.get(f"{API}/enterprises/{yuanqiao_firm.pk}", **own).json()["uscc"] == yuanqiao_firm.uscc


# --- OpenAPI and docs ---------------------------------------------------------------------------------------


def test_openapi_lists_the_routes(client: Client) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for path in ("/auth/token", "/auth/revoke", "/me", "/unions", "/unions/{union_id}", "/enterprises",
                 "/enterprises/{enterprise_id}"):
        assert f"{API}{path}" in paths, path
    limit = next(p for p in paths[f"{API}/unions"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 1000 and limit["schema"]["default"] == 100
    assert "security" not in paths[f"{API}/auth/token"]["post"]
    assert paths[f"{API}/me"]["get"]["security"]


def test_docs_page_loads_swagger_from_our_own_static_files(client: Client) -> None:
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html


# --- no N+1 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/unions", "/enterprises", "/enterprises?covered=false&min_headcount=25"])
def test_list_query_count_does_not_grow_with_the_page(
    client_as: Any, django_assert_max_num_queries: Any, path: str
) -> None:
    client = client_as("huangyan")
    sep = "&" if "?" in path else "?"
    # session, user, scope paths, count, page (+ parent ids for unions), OTP device check
    for limit in (5, 1000):
        with django_assert_max_num_queries(8):
            response = client.get(f"{API}{path}{sep}limit={limit}")
        assert response.status_code == 200


def test_detail_query_count(client_as: Any, django_assert_max_num_queries: Any) -> None:
    client = client_as("dongcheng")
    township = _township("东城街道总工会")
    firm = Enterprise.objects.filter(territory=township).first()
    assert firm is not None
    with django_assert_max_num_queries(6):
        assert client.get(f"{API}/unions/{township.pk}").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(f"{API}/enterprises/{firm.pk}").status_code == 200


def test_console_lockout_still_shows_the_locked_page(client: Client) -> None:
    """The JSON lockout is for /api/ only; the console login keeps its page (accounts/locked.html)."""
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "dongcheng", "password": "nope-nope"})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert "accounts/locked.html" in [t.name for t in response.templates]


@pytest.mark.parametrize(
    "query", ["/unions?offset=99999999999999999999", "/enterprises?township=99999999999999999999",
              "/unions?parent=99999999999999999999", "/enterprises?min_headcount=99999999999999999999"]
)
def test_numbers_past_64_bits_are_422_not_500(bearer: Any, query: str) -> None:
    """Found by schemathesis: such values reached the database and came back as a 500."""
    response = Client(raise_request_exception=False).get(API + query, **bearer("huangyan"))
    assert response.status_code == 422 and response.json()["detail"] == "请求参数有误"


def test_the_largest_offset_is_an_empty_page(bearer: Any) -> None:
    body = Client().get(f"{API}/enterprises?offset={2**63 - 1}", **bearer("huangyan")).json()
    assert body["items"] == [] and body["count"] > 0
