"""The OpenAPI spec documents each list's own status values, and the API accepts them."""

from __future__ import annotations

from typing import Any

from django.test import Client


def _status_enum(spec: dict[str, Any], path: str) -> list[str]:
    (param,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "status"]
    schema = param["schema"]
    options = schema.get("anyOf") or [schema]
    refs = [o["$ref"] for o in options if "$ref" in o]
    enum = spec["components"]["schemas"][refs[0].rsplit("/", 1)[-1]]["enum"] if refs else options[0]["enum"]
    return sorted(enum)


def test_union_and_enterprise_statuses_are_documented_apart(client: Client, db: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert _status_enum(spec, "/api/v1/unions") == ["normal", "revoked", "shell"]
    assert _status_enum(spec, "/api/v1/enterprises") == ["active", "cancelled", "revoked"]


def test_union_status_filter_takes_union_statuses(client_as: Any, db: Any) -> None:
    c = client_as("huangyan")
    assert c.get("/api/v1/unions", {"status": "shell"}).status_code == 200
    assert c.get("/api/v1/unions", {"status": "cancelled"}).status_code == 422
    assert c.get("/api/v1/enterprises", {"status": "cancelled"}).status_code == 200
