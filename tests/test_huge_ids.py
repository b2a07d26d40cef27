"""Ids in query strings larger than any database integer are bad input (a 200 with nothing chosen, or a 400
with the field's error), never a 500 (OverflowError)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

HUGE = "9" * 30


@pytest.mark.parametrize(("url_name", "param"), [
    ("members:rates", "township"),
    ("members:list", "enterprise"),
    ("members:list", "union"),
    ("orgs:enterprise_list", "township"),
    ("orgs:union_list", "parent"),
    ("orgs:union_list", "township"),
])
def test_huge_ids_in_query_strings_are_not_server_errors(client_as: Any, db: Any, url_name: str, param: str) -> None:
    r = client_as("huangyan").get(reverse(url_name), {param: HUGE})
    assert r.status_code in (200, 400)
