"""名册导入 pages: the one import path's generic views (`gonghui.orgs.import_pages`) under the members URLs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.accounts.permissions import Action
from gonghui.orgs import import_pages as generic
from gonghui.orgs.models import ImportJob
from gonghui.orgs.scope import scoped

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
@scoped(ImportJob, arg="job", related=("union", "created_by", "confirmed_by"), pk="pk")
def import_job(request: HttpRequest, job: ImportJob) -> HttpResponse:
    return generic.job_page(request, KIND, job, PAGES)


@login_required
@require_POST
@scoped(ImportJob, action=Action.CHANGE, arg="job", related=("union",), pk="pk")
def import_confirm(request: HttpRequest, job: ImportJob) -> HttpResponse:
    return generic.confirm(request, KIND, job, PAGES)


@login_required
@scoped(ImportJob, action=Action.CHANGE, arg="job", related=("union",), pk="pk")
def import_errors(request: HttpRequest, job: ImportJob) -> HttpResponseBase:
    """The error workbook holds full ID numbers: `change` on the job's union, audited (see generic.errors)."""
    return generic.errors(request, KIND, job, PAGES)
