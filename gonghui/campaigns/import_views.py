"""镇街任务导入 pages: the one import path's generic views (`gonghui.orgs.import_pages`) under the campaigns URLs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.orgs import import_pages as generic
from gonghui.orgs.models import ImportJob
from gonghui.orgs.scope import scoped

from .imports import KIND

PAGES = generic.ImportPages(
    start_template="campaigns/tasks_import.html",
    start_url=lambda kind: reverse("campaigns:tasks_import"),
    job_url=lambda job: reverse("campaigns:tasks_import_job", args=[job.pk]),
    confirm_url=lambda job: f"{reverse('campaigns:tasks_import_confirm')}?job={job.pk}",
    errors_url=lambda job: f"{reverse('campaigns:tasks_import_errors')}?job={job.pk}",
    template_url=lambda kind: reverse("campaigns:tasks_import_template"),
)


def _job_pk(request: HttpRequest) -> str:
    return request.POST.get("job") or request.GET.get("job") or ""


@generic.csrf_exempt_upload
@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
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
def import_confirm(request: HttpRequest) -> HttpResponse:
    generic.check_writer(request.user)
    return generic.confirm(request, KIND, _job_pk(request), PAGES)


@login_required
def import_errors(request: HttpRequest) -> HttpResponseBase:
    generic.check_writer(request.user)
    return generic.errors(request, KIND, _job_pk(request), PAGES)
