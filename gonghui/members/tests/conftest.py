from __future__ import annotations

from typing import Any

import pytest

from gonghui.orgs.models import Union


@pytest.fixture
def union(db: Any) -> Union:
    """A joint union in 东城街道 (dongcheng's territory): the roster's destination in most tests."""
    return Union.objects.get(name="黄岩区饿了么网约送餐员联合工会")


@pytest.fixture
def other_union(db: Any) -> Union:
    """A grassroots union in 院桥镇 (yuanqiao's territory)."""
    town = Union.objects.get(name="院桥镇总工会")
    return Union.objects.filter(path__startswith=town.path, kind=Union.Kind.SINGLE).order_by("path").first()


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Any) -> None:
    """Error reports and uploads go to the test's own folder."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
