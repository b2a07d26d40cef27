"""下载中心 pages: the user's own exports with progress (htmx polls while one runs) and the audited download."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def download_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.export_jobs(user=request.user), 20).get_page(request.GET.get("page"))
    polling = any(job.active for job in page)
    template = "downloads/_jobs.html" if request.htmx else "downloads/list.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page, "polling": polling, "ttl_hours": int(services.export_ttl().total_seconds() // 3600)})


@login_required
def download_file(request: HttpRequest, pk: int) -> FileResponse:
    job = selectors.export_job_get(user=request.user, pk=pk)
    try:
        path = services.export_download(user=request.user, job=job)
    except LookupError as exc:
        raise Http404(str(exc)) from exc
    response = FileResponse(open(path, "rb"), as_attachment=True, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(job.filename)}"
    response["Cache-Control"] = "no-store"
    return response
