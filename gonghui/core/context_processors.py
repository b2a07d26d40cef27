from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .registry import nav_for, scope_names


def site(request: HttpRequest) -> dict[str, Any]:
    """The shell around every console page: the side menu, the breadcrumbs up to the current menu entry, and the
    node the user works for (page titles say "东城街道 · 企业名录"). Lazy: a page that never renders the shell
    (an API call, a file download) pays nothing."""
    user = getattr(request, "user", None)
    shell: dict[str, Any] = {}

    def groups() -> list[dict[str, Any]]:
        if "groups" not in shell:
            shell["groups"] = nav_for(user, request.path)
        return shell["groups"]  # type: ignore[no-any-return]

    def crumbs() -> list[dict[str, Any]]:
        for g in groups():
            for item in g["items"]:
                if item["current"]:
                    here = request.path == item["url"]
                    return [{"label": g["label"]},
                            {"label": item["label"], "url": "" if here else item["url"], "current": here}]
        return []

    def scope_name() -> str:
        names = scope_names(user)
        if not names:
            return ""
        return names[0] if len(names) == 1 else f"{names[0]}等{len(names)}个组织"

    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "SITE_NAME": "数智工会",
        "NAV_GROUPS": _Lazy(groups),
        "CRUMBS": _Lazy(crumbs),
        "SCOPE_NAME": _LazyStr(scope_name),
    }


class _Lazy:
    """A list computed on first use in a template (iteration, truth, length)."""

    def __init__(self, fn: Any) -> None:
        self._fn = fn
        self._value: Any = None

    def _get(self) -> Any:
        if self._value is None:
            self._value = self._fn()
        return self._value

    def __iter__(self) -> Any:
        return iter(self._get())

    def __bool__(self) -> bool:
        return bool(self._get())

    def __len__(self) -> int:
        return len(self._get())


class _LazyStr(_Lazy):
    def __str__(self) -> str:
        return str(self._get())

    def __html__(self) -> str:
        from django.utils.html import conditional_escape

        return str(conditional_escape(self._get()))
