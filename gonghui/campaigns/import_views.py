"""镇街任务导入 pages: the one import path's views (`gonghui.orgs.import_pages.import_views`) under the campaigns
URLs; the confirm and error-workbook URLs name the job by `?job=`."""

from __future__ import annotations

from django.urls import reverse

from gonghui.orgs import import_pages as generic

from .imports import KIND

PAGES = generic.ImportPages(
    start_template="campaigns/tasks_import.html",
    start_url=lambda kind: reverse("campaigns:tasks_import"),
    job_url=lambda job: reverse("campaigns:tasks_import_job", args=[job.pk]),
    confirm_url=lambda job: f"{reverse('campaigns:tasks_import_confirm')}?job={job.pk}",
    errors_url=lambda job: f"{reverse('campaigns:tasks_import_errors')}?job={job.pk}",
    template_url=lambda kind: reverse("campaigns:tasks_import_template"),
)
VIEWS = generic.import_views(PAGES, (KIND,))
