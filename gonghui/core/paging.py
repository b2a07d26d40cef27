"""API paging and id bounds shared by every app's ninja router.

ninja's LimitOffsetPagination (limit: default 100, max 1000 via NINJA_PAGINATION_* settings) with one more
bound: an offset past 64-bit integers reached the database and came back as a 500 (SQLite "datatype
mismatch", PostgreSQL "out of range"); now it is a 422 like any other bad parameter. `DbId` bounds an id
given as a filter (`?township=`, `?parent=`) the same way.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination

MAX_DB_INT = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]


class Paging(LimitOffsetPagination):
    """limit (default 100, 1–1000) / offset (≥ 0) → {"items": [...], "count": N}; anything else is a 422."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_DB_INT)
