"""名册导入 pages: the one import path's generic views (`gonghui.orgs.import_pages`) under the members URLs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.orgs import import_pages as generic

KIND = "members"


PAGES = generic.ImportPages(
    start_template="members/import.html",
    start_url=lambda kind: reverse("members:import"),
    job_url=lambda job: reverse("members:import_job", args=[job.pk]),
    confirm_url=lambda job: reverse("members:import_confirm", args=[job.pk]),
    errors_url=lambda job: reverse("members:import_errors", args=[job.pk]),
    template_url=lambda kind: reverse("members:import_template"),
)


@generic.csrf_exempt_upload
@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    return generic.start(request, KIND, PAGES)


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    return generic.template(request, KIND, PAGES)


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    return generic.job_page(request, KIND, pk, PAGES)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return generic.confirm(request, KIND, pk, PAGES)


@login_required
def import_errors(request: HttpRequest, pk: int) -> HttpResponseBase:
    return generic.errors(request, KIND, pk, PAGES)
