"""名册导入 pages: the one import path's views (`gonghui.orgs.import_pages.import_views`) under the members URLs.
The error workbook holds full ID numbers: `change` on the job's union, audited (see import_pages.errors)."""

from __future__ import annotations

from django.urls import reverse

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
VIEWS = generic.import_views(PAGES, (KIND,), job_in_url=True)
