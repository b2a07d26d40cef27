from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .permissions import ROLE_ACTIONS, Action, Role


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
@require_safe
def roles(request: HttpRequest) -> HttpResponse:
    """角色与权限: what each role grants (ROLE_ACTIONS), read from the one table the checks use."""
    actions = list(Action)
    rows = [
        {"role": role, "label": Role(role).label, "grants": [a in ROLE_ACTIONS[role] for a in actions]}
        for role in Role.values
    ]
    return render(request, "accounts/roles.html", {
        "actions": [{"value": a.value, "label": a.label} for a in actions], "rows": rows,
    })
