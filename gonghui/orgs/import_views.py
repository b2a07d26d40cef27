"""工会、企业名录 and 用户 import pages: the one import path's views (`import_pages.import_views`) under the orgs URLs.

The URLs of the session-based import are kept: `import/<kind>/confirm/` and `import/<kind>/errors/` act on the
job named by `job` (POST or GET), else on the cadre's latest job of that kind."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from . import import_pages as generic
from . import user_imports
from .imports import KINDS

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
VIEWS = generic.import_views(PAGES, IMPORT_KINDS)


@login_required
def import_index(request: HttpRequest) -> HttpResponse:
    generic.check_writer(request.user)
    return render(request, "orgs/import_index.html", {"titles": {k: f"导入{v}" for k, v in KINDS.items()}})
