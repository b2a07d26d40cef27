"""The console's add/edit dialogs, one way for every app.

One view per dialog serves both ways of opening it: htmx (the button on a list or detail page loads the form into
the page's Bootstrap modal, `core/_dialog.html`; the form posts back into it; a success answers `HX-Redirect` to
the object's page) and a plain page (without script the button is a link to the same URL; the form posts and
redirects). An invalid form shows every error beside its field: 400 for the page, 200 for htmx (which swaps only
2xx answers)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .forms import mark_errors


def dialog(request: HttpRequest, template: str, context: dict[str, Any], *, invalid: bool = False) -> HttpResponse:
    """Render the dialog's form `template` alone (htmx) or inside `core/dialog_page.html` (a page)."""
    htmx = bool(getattr(request, "htmx", False))
    context = {**context, "dialog": htmx, "form_template": template}
    status = 400 if invalid and not htmx else 200
    return render(request, template if htmx else "core/dialog_page.html", context, status=status)


def dialog_done(request: HttpRequest, url: str, text: str) -> HttpResponse:
    """After a successful write: the message, then the object's page (HX-Redirect for htmx)."""
    messages.success(request, text)
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def write_or_errors(form: Any, write: Any) -> Any:
    """Run a service call; its ValidationError lands beside the fields it names (or above the form): None then."""
    try:
        return write()
    except ValidationError as exc:
        form.add_error(None, exc)
        mark_errors(form)
        return None
