"""Where demand and visit photos live: private folders under VAR_DIR (mode 0700, files 0600), never under
MEDIA_ROOT, so no URL reaches them except the scoped photo views (gonghui/demands/views.py `photo`,
`visit_photo`)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def _private(name: str) -> Path:
    root = Path(settings.VAR_DIR) / "private" / name
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    return root


def photo_root() -> Path:
    return _private("demand_photos")


def visit_photo_root() -> Path:
    return _private("visit_photos")
