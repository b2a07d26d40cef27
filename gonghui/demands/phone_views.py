"""The worker's phone pages (/m/demands/…): file a demand with photos, follow it, rate it. The session is members'
phone login (mobile + SMS code, the e-card's: `join:card_login`), so there is one SMS mechanism; a worker sees only
the demands they filed. Plain HTML forms, no JS, readable at 360 px."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from gonghui.core.errors import WrongState
from gonghui.members.join_views import SESSION_NEXT, SESSION_PERSON
from gonghui.members.models import Person

from . import services
from .models import Category, Demand


def _person(request: HttpRequest) -> Person | None:
    pk = request.session.get(SESSION_PERSON)
    return Person.objects.select_related("current_union").filter(pk=pk).first() if pk else None


def _login(request: HttpRequest) -> HttpResponse:
    request.session[SESSION_NEXT] = request.path
    return redirect("join:card_login")


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def my_demands(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if person is None:
        return _login(request)
    demands = Demand.objects.filter(person=person).order_by("-received_at")[:50]
    return _no_store(render(request, "demands/phone_list.html", {"person": person, "demands": demands}))


@require_http_methods(["GET", "POST"])
def file_demand(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if person is None:
        return _login(request)
    ctx: dict[str, Any] = {"person": person, "categories": Category.choices, "data": request.POST}
    if request.method == "POST":
        p = request.POST
        try:
            files = request.FILES.getlist("photos")
            for upload in files:
                if (upload.size or 0) > services.MAX_PHOTO_BYTES:
                    raise ValidationError(f"照片“{upload.name}”超过 5 MB，请压缩后再传")
            demand = services.demand_file_by_worker(person=person, intake=services.Intake(
                category=p.get("category", ""), title=p.get("title", ""), description=p.get("description", ""),
                contact_name=p.get("contact_name", "") or person.name,
                contact_phone=p.get("contact_phone", "") or person.phone,
                employer_may_know=p.get("employer_may_know") == "1"), photos=[u.read() for u in files[:4]])
        except ValidationError as exc:
            ctx["error"] = exc.messages[0]
            return _no_store(render(request, "demands/phone_new.html", ctx, status=400))
        return redirect(reverse("phone:demand", args=[demand.pk]) + "?new=1")
    return _no_store(render(request, "demands/phone_new.html", ctx))


@require_http_methods(["GET", "POST"])
def demand_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the worker's own demands (another's is a 404): progress, and the rating once closed."""
    person = _person(request)
    if person is None:
        return _login(request)
    demand = Demand.objects.select_related("unit").filter(pk=pk, person=person).first()
    if demand is None:
        raise Http404("诉求不存在")
    error = ""
    if request.method == "POST":
        try:
            services.demand_rate(demand=demand, person=person, rating=request.POST.get("rating", ""),
                                 comment=request.POST.get("comment", ""))
            return redirect("phone:demand", pk=demand.pk)
        except (ValidationError, WrongState) as exc:
            error = exc.messages[0] if isinstance(exc, ValidationError) else exc.message
    events = [e for e in demand.events.select_related("unit").order_by("at", "pk")
              if e.kind not in ("warned", "escalated", "sampled", "callback")]
    return _no_store(render(request, "demands/phone_detail.html", {
        "d": demand, "events": events, "error": error, "ratings": Demand.Rating.choices,
        "new": request.GET.get("new") == "1"}, status=400 if error else 200))
