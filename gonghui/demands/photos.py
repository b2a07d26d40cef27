"""Where demand and visit photos live: private folders under VAR_DIR (mode 0700, files 0600), never under
MEDIA_ROOT, so no URL reaches them except the scoped photo views (gonghui/demands/views.py `photo`,
`visit_photo`)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404


def _private(name: str) -> Path:
    root = Path(settings.VAR_DIR) / "private" / name
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    return root


def photo_root() -> Path:
    return _private("demand_photos")


def visit_photo_root() -> Path:
    return _private("visit_photos")


def photo_response(root: Path, name: str, content_type: str) -> FileResponse:
    """A stored photo (a demand's or a visit's) from the private store, never cached and never sniffed; 404 when
    the file is gone. The caller has fetched its record through scope."""
    path = root / name
    if not path.is_file():
        raise Http404("照片不存在")
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
