"""工会、企业名录导入 pages: the one import path's generic views (`gonghui.orgs.import_pages`) under the orgs URLs.

The URLs of the session-based import are kept: `import/<kind>/confirm/` and `import/<kind>/errors/` act on the
job named by `job` (POST or GET), else on the cadre's latest job of that kind."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gonghui.accounts.permissions import Action

from . import import_pages as generic
from . import user_imports
from .imports import KINDS
from .models import ImportJob
from .scope import scoped

_SESSION_KEY = "orgs_import_{kind}"


PAGES = generic.ImportPages(
    start_template="orgs/import.html",
    start_url=lambda kind: reverse("orgs:import", args=[kind]),
    job_url=lambda job: reverse("orgs:import_job", args=[job.kind, job.pk]),
    confirm_url=lambda job: f"{reverse('orgs:import_confirm', args=[job.kind])}?job={job.pk}",
    errors_url=lambda job: f"{reverse('orgs:import_errors', args=[job.kind])}?job={job.pk}",
    template_url=lambda kind: reverse("orgs:import_template", args=[kind]),
    deliverable_url=lambda job: reverse("orgs:import_deliverable", args=[job.kind, job.pk]),
)


IMPORT_KINDS = (*KINDS, user_imports.KIND)  # the registry lists and the users console's accounts


def _known(kind: str) -> None:
    if kind not in IMPORT_KINDS:
        raise Http404


def _job_pk(request: HttpRequest, kind: str) -> Any:
    """The job a confirm / error download is about: `job` in the request, else the latest one uploaded here."""
    pk = request.POST.get("job") or request.GET.get("job")
    if pk:
        return pk
    latest = (ImportJob.objects.visible_to(request.user).filter(kind=kind, created_by_id=request.user.pk)
              .order_by("-pk").values_list("pk", flat=True).first())
    if latest is None:
        raise Http404("没有待确认的导入，请重新上传")
    return latest


@login_required
def import_index(request: HttpRequest) -> HttpResponse:
    generic.check_writer(request.user)
    return render(request, "orgs/import_index.html", {"titles": {k: f"导入{v}" for k, v in KINDS.items()}})


@generic.csrf_exempt_upload
@login_required
def import_upload(request: HttpRequest, kind: str) -> HttpResponse:
    _known(kind)
    return generic.start(request, kind, PAGES)


@login_required
@scoped(ImportJob, arg="job", related=("union", "created_by", "confirmed_by"), pk="pk")
def import_job(request: HttpRequest, kind: str, job: ImportJob) -> HttpResponse:
    _known(kind)
    return generic.job_page(request, kind, job, PAGES)


@login_required
@require_POST
def import_confirm(request: HttpRequest, kind: str) -> HttpResponse:
    _known(kind)
    generic.check_writer(request.user, kind=kind)
    return generic.confirm(request, kind, _job_pk(request, kind), PAGES)


@login_required
def import_errors(request: HttpRequest, kind: str) -> HttpResponseBase:
    _known(kind)
    generic.check_writer(request.user, kind=kind)
    return generic.errors(request, kind, _job_pk(request, kind), PAGES)


@login_required
@require_POST
@scoped(ImportJob, arg="job", related=("union",), pk="pk", post_action=Action.CHANGE)
def import_deliverable(request: HttpRequest, kind: str, job: ImportJob) -> HttpResponseBase:
    """The one-time file a write left (the users import's initial passwords): once, to the confirming cadre."""
    _known(kind)
    return generic.deliverable(request, kind, job)


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    _known(kind)
    return generic.template(request, kind, PAGES)
