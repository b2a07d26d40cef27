"""Where demand photos live: a private folder under VAR_DIR (mode 0700, files 0600), never under MEDIA_ROOT, so no
URL reaches them except the scoped photo view (gonghui/demands/views.py `photo`)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def photo_root() -> Path:
    root = Path(settings.VAR_DIR) / "private" / "demand_photos"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    return root
