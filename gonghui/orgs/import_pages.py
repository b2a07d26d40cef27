"""The console's pages of the one import path, driven by the registered kinds (`gonghui.core.importing`) and
run as jobs (`gonghui.orgs.import_jobs`).

Each app mounts them under its own URLs through an `ImportPages` that names its URL patterns and templates, and
gets its views from `import_views(pages, kinds)` — one set of view functions for every app (orgs, members,
campaigns), so the login, CSRF, scope and permission wrapping is written once; the views only parse, call the
framework and render.
Every write — the upload, the confirm — and the error-workbook download `require` the `change` action on the
union the job is made under (403 when visible but not permitted; 404 when out of sight).
Upload sizes are checked from Content-Length BEFORE the body is read (Django reads it for the CSRF check, so
the upload view is csrf-exempt and runs the CSRF check itself after the size check).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from gonghui.accounts.permissions import Action
from gonghui.core import importing
from gonghui.core.audit import audit_access
from gonghui.core.excel import template_bytes

from . import import_jobs as jobs
from .models import ImportJob, Union
from .picker import UnionPickerField
from .scope import require

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MULTIPART_SLACK = 64 * 1024  # the multipart envelope around the file


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="Excel 文件", allow_empty_file=True,
                           error_messages={"required": "请选择要上传的 Excel 文件"},
                           widget=forms.ClearableFileInput(attrs={"class": "form-control",
                                                                  "accept": ".xlsx,.xls,.ods,.csv"}))
    # the union picker, empty until chosen: a roster never goes to whichever union came first in a <select>
    union = UnionPickerField(label="导入到工会", required=False, action=Action.CHANGE,
                             kinds=(Union.Kind.SINGLE, Union.Kind.JOINT, Union.Kind.FEDERATION))
    sheet = forms.CharField(label="工作表（可选）", max_length=100, required=False, widget=forms.TextInput(
        attrs={"class": "form-control", "placeholder": "默认第一个可见工作表；要导入隐藏工作表请填写其名称"}))

    def __init__(self, *args: Any, unions: QuerySet[Union] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (f"支持 .xlsx / .xls / .ods / .csv（UTF-8 或 GBK），最大 "
                                         f"{importing.max_upload_bytes() // (1024 * 1024)} MB")
        if unions is None:
            del self.fields["union"]
        else:
            field = self.fields["union"]
            assert isinstance(field, UnionPickerField)
            field.required = True
            field.limit_to(unions)

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if f.size > importing.max_upload_bytes():
            raise forms.ValidationError(importing.too_big_message(f.size))
        if f.size == 0:
            raise forms.ValidationError("文件是空的，请检查后重新上传")
        return f


@dataclass(frozen=True)
class ImportPages:
    """How one app shows the import pages: its templates, URL names, and who may write."""

    start_template: str
    start_url: Callable[[str], str]  # kind -> the upload page
    job_url: Callable[[ImportJob], str]
    confirm_url: Callable[[ImportJob], str]
    errors_url: Callable[[ImportJob], str]
    template_url: Callable[[str], str]
    deliverable_url: Callable[[ImportJob], str] | None = None  # the one-time file a write left (users import)


def _kind_or_404(name: str) -> importing.ImportKind:
    kind = importing.get_kind(name)
    if kind is None:
        raise Http404("未知的导入类型")
    return kind


def check_writer(user: Any, union: Any = None, *, kind: str | importing.ImportKind | None = None) -> None:
    """Imports are a `change` (a kind may name another action: the users import needs manage_users): on
    `union`, or (before one is chosen) on some node of the user's scope."""
    if isinstance(kind, str):
        kind = importing.get_kind(kind)
    require(user, kind.action if kind is not None else Action.CHANGE, union)


def _context(pages: ImportPages, kind: importing.ImportKind, job: ImportJob | None = None, **extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {"kind": kind.name, "title": f"导入{kind.label}", "kind_label": kind.label,
                           "start_url": pages.start_url(kind.name), "template_url": pages.template_url(kind.name),
                           "max_mb": importing.max_upload_bytes() // (1024 * 1024), "notes": kind.notes,
                           "columns": kind.columns(None), "ttl_hours": int(importing.ttl().total_seconds() // 3600)}
    if job is not None:
        result = job.result or {}
        ctx.update(job=job, r=result, progress=jobs.read_progress(job), job_url=pages.job_url(job),
                   confirm_url=pages.confirm_url(job), errors_url=pages.errors_url(job),
                   valid=int(result.get("created", 0)) + int(result.get("updated", 0)) + int(result.get("unchanged", 0)),
                   done_url=kind.done_url(job) if kind.done_url else "",
                   deliverable_url=pages.deliverable_url(job) if pages.deliverable_url else "")
    ctx.update(extra)
    return ctx


def start(request: HttpRequest, kind_name: str, pages: ImportPages) -> HttpResponse:
    """GET: the upload form and the recent jobs. POST: store the file (size refused from Content-Length
    before the body is read), open a job, check it (inline when small) and go to its page."""
    kind = _kind_or_404(kind_name)
    check_writer(request.user, kind=kind)
    unions = kind.unions(request.user) if kind.unions else None
    status = 200
    form = ImportUploadForm(unions=unions)
    error = ""
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > importing.max_upload_bytes() + MULTIPART_SLACK:
            error, status = importing.too_big_message(length), 400
        else:
            reason = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, start, (), {})
            if reason is not None:
                return reason
            form = ImportUploadForm(request.POST, request.FILES, unions=unions)
            if form.is_valid():
                return _accept(request, kind, pages, form)
            error, status = "；".join(str(m) for errs in form.errors.values() for m in errs), 400
    recent = (ImportJob.objects.visible_to(request.user, kind.action).filter(kind=kind.name)
              .select_related("union", "created_by", "confirmed_by")[:10])
    return render(request, pages.start_template, _context(pages, kind, form=form, error=error, jobs=recent),
                  status=status)


def _accept(request: HttpRequest, kind: importing.ImportKind, pages: ImportPages, form: ImportUploadForm
            ) -> HttpResponse:
    upload = form.cleaned_data["file"]
    if kind.unions is not None:
        union = Union.objects.get_visible(request.user, pk=form.cleaned_data["union"])
    else:
        union = kind.anchor(request.user) if kind.anchor else None
    check_writer(request.user, union, kind=kind)
    try:
        job = jobs.job_create(actor=request.user, kind=kind.name, union=union, chunks=upload.chunks(),
                                   size=upload.size, original_name=upload.name or "upload",
                                   sheet=form.cleaned_data.get("sheet") or "")
    except ValidationError as exc:
        return render(request, pages.start_template, _context(pages, kind, form=form, error="；".join(exc.messages)),
                      status=400)
    jobs.sweep()  # every upload also clears what has expired
    jobs.job_start_check(job)
    if job.status == ImportJob.Status.FAILED:  # the file itself is unreadable: say so on the upload page
        jobs.job_discard_file(job)
        return render(request, pages.start_template, _context(pages, kind, form=form, error=job.error), status=400)
    return redirect(pages.job_url(job))


def job_for(request: HttpRequest, kind_name: str, pk: Any) -> ImportJob:
    if isinstance(pk, ImportJob):  # already fetched through scope by @scoped on the app's view
        if pk.kind != kind_name:
            raise Http404
        return pk
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    return ImportJob.objects.select_related("union", "created_by", "confirmed_by").filter(kind=kind_name).get_visible(
        request.user, pk=pk)


def job_page(request: HttpRequest, kind_name: str, pk: Any, pages: ImportPages) -> HttpResponse:
    """The job: progress while it runs (htmx polls the partial), then the preview or the result."""
    kind = _kind_or_404(kind_name)
    job = job_for(request, kind.name, pk)
    if kind.action != Action.CHANGE:  # a users import lists accounts: only for those who may manage them
        check_writer(request.user, job.union, kind=kind)
    template = "core/_import_status.html" if request.htmx else "core/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, _context(pages, kind, job))


def confirm(request: HttpRequest, kind_name: str, pk: Any, pages: ImportPages) -> HttpResponse:
    """确认导入 (POST). `mode=skip_invalid` imports the valid rows of a file with errors; the default imports
    only a file without any. Acts, and is audited, as the confirming cadre."""
    kind = _kind_or_404(kind_name)
    job = job_for(request, kind.name, pk)
    check_writer(request.user, job.union, kind=kind)
    skip = request.POST.get("mode") == ImportJob.Mode.SKIP_INVALID
    if not jobs.job_confirm(actor=request.user, job=job, skip_invalid=skip):
        messages.error(request, "该文件不能导入（尚未检查完毕、有错误行或已导入）")
    elif job.status == ImportJob.Status.DONE:
        r = job.result or {}
        messages.success(request, f"导入完成：新增 {r.get('created', 0)} 条，更新 {r.get('updated', 0)} 条，"
                                  f"不变 {r.get('unchanged', 0)} 条" + (f"，{r['rejected']} 行未导入" if r.get("rejected") else ""))
    return redirect(pages.job_url(job))


def errors(request: HttpRequest, kind_name: str, pk: Any, pages: ImportPages) -> FileResponse:
    """The error workbook: full ID numbers and phones as sent (so the corrected file re-imports), hence only
    for cadres who may write to the job's union, and every download is audited."""
    kind = _kind_or_404(kind_name)
    job = job_for(request, kind.name, pk)
    check_writer(request.user, job.union, kind=kind)
    path = jobs.error_report_file(job)
    if path is None:
        raise Http404("错误行工作簿不存在或已过期")
    audit_access(actor=request.user, obj=job.union,
                 what=f"下载{kind.label}导入错误行（{job.original_name}，{(job.result or {}).get('rejected', 0)}行）")
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=importing.error_report_name(job.original_name),  # noqa: SIM115
                            content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response


def deliverable(request: HttpRequest, kind_name: str, job: Any) -> FileResponse:
    """The file a write left for the confirming cadre (the users import's one-time passwords), downloaded ONCE:
    only by the cadre who confirmed the import, then deleted, every download audited. 404 once it is gone."""
    kind = _kind_or_404(kind_name)
    job = job_for(request, kind.name, job)
    check_writer(request.user, job.union, kind=kind)
    name = str((job.result or {}).get("deliverable") or "")
    if not name or job.confirmed_by_id != request.user.pk:
        raise Http404("文件不存在、已下载或仅供确认导入的人下载")
    path = jobs.deliverable_file(job, name)
    if path is None:
        raise Http404("文件不存在、已下载或仅供确认导入的人下载")
    data = path.read_bytes()
    path.unlink()  # once: a second copy of the passwords never lies on the server
    job.result = {**(job.result or {}), "deliverable_taken": timezone.now().isoformat()}
    job.save(update_fields=["result", "updated_at"])
    audit_access(actor=request.user, obj=job.union, what=f"下载{kind.label}导入生成的文件（{name}，仅可下载一次）")
    response = FileResponse(io.BytesIO(data), as_attachment=True, filename=name, content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response


def template(request: HttpRequest, kind_name: str, pages: ImportPages) -> HttpResponse:
    """The import template: header (required columns marked *), dropdowns filled from the user's scope."""
    kind = _kind_or_404(kind_name)
    check_writer(request.user, kind=kind)
    data = template_bytes(kind.columns(request.user), sheet=kind.label, notes=kind.notes, examples=kind.examples)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{kind.label}导入模板.xlsx")
    return response


def csrf_exempt_upload(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The upload view reads Content-Length before Django's CSRF check would read the body; it runs that
    check itself (`start`)."""
    from django.views.decorators.csrf import csrf_exempt

    return csrf_exempt(view)



@dataclass(frozen=True)
class ImportViews:
    """The views of one app's import pages (see `import_views`)."""

    upload: Callable[..., HttpResponse]
    template: Callable[..., HttpResponse]
    job: Callable[..., HttpResponse]
    confirm: Callable[..., HttpResponse]
    errors: Callable[..., HttpResponseBase]
    deliverable: Callable[..., HttpResponseBase]


def _latest_job(request: HttpRequest, kind: str) -> Any:
    """The job a confirm / error download is about when the URL names none: `job` in the request, else the
    latest one this cadre uploaded of that kind."""
    pk = request.POST.get("job") or request.GET.get("job")
    if pk:
        return pk
    latest = (ImportJob.objects.visible_to(request.user).filter(kind=kind, created_by_id=request.user.pk)
              .order_by("-pk").values_list("pk", flat=True).first())
    if latest is None:
        raise Http404("没有待确认的导入，请重新上传")
    return latest


def import_views(pages: ImportPages, kinds: tuple[str, ...], *, job_in_url: bool = False) -> ImportViews:
    """The import views for an app. With one kind, the URLs carry none (`members/import/`); with several, the URL
    names it (`orgs/import/<kind>/`) and an unknown one is a 404. The job page names the job in its URL (`pk`),
    fetched through scope (`@scoped`, which the scope matrix reads); the confirm and error-workbook URLs do too
    with `job_in_url` (then `change` on it, else 404), else they take `job` from the request (else the cadre's
    latest). Every view needs a login; the writes and the error workbook `require` the kind's action on the job's
    union (see `check_writer`)."""
    from .scope import scoped

    in_scope = scoped(ImportJob, arg="job", related=("union", "created_by", "confirmed_by"), pk="pk")
    writable = scoped(ImportJob, action=Action.CHANGE, arg="job", related=("union",), pk="pk")

    def kind_of(kwargs: dict[str, Any]) -> str:
        kind = kwargs.get("kind") or (kinds[0] if len(kinds) == 1 else "")
        if kind not in kinds:
            raise Http404("未知的导入类型")
        return str(kind)

    def job_of(request: HttpRequest, kind: str, kwargs: dict[str, Any]) -> Any:
        return kwargs["job"] if "job" in kwargs else _latest_job(request, kind)

    @csrf_exempt_upload
    @login_required
    def upload(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return start(request, kind_of(kwargs), pages)

    @login_required
    def template_view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return template(request, kind_of(kwargs), pages)

    @login_required
    @in_scope
    def job(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return job_page(request, kind_of(kwargs), kwargs["job"], pages)

    def confirm_view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        kind = kind_of(kwargs)
        check_writer(request.user, kind=kind)
        return confirm(request, kind, job_of(request, kind, kwargs), pages)

    def errors_view(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        kind = kind_of(kwargs)
        check_writer(request.user, kind=kind)
        return errors(request, kind, job_of(request, kind, kwargs), pages)

    @login_required
    @require_POST
    @scoped(ImportJob, arg="job", related=("union",), pk="pk", post_action=Action.CHANGE)
    def deliverable_view(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        """The one-time file a write left (the users import's initial passwords): once, to the confirming cadre."""
        return deliverable(request, kind_of(kwargs), kwargs["job"])

    if job_in_url:
        confirm_view, errors_view = writable(confirm_view), writable(errors_view)
    return ImportViews(upload=upload, template=template_view, job=job,
                       confirm=login_required(require_POST(confirm_view)), errors=login_required(errors_view),
                       deliverable=deliverable_view)
