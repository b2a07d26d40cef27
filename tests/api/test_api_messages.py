"""Given a bad query, when the API answers 422, then every entry of `errors` says what is wrong in Chinese."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("query", "message"), [
    ("limit=5000", "应小于或等于 1000"),
    ("limit=abc", "应为整数"),
    ("offset=-1", "应大于或等于 0"),
])
def test_422_errors_are_chinese(client_as: Any, query: str, message: str) -> None:
    response = client_as("dongcheng").get(f"/api/v1/unions?{query}")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors and errors[0]["msg"] == message
    assert not any(re.search(r"[A-Za-z]{4,}", e["msg"]) for e in errors)
