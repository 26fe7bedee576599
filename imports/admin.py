"""Admin for imports: per kind a template download and an upload page; an upload is first a dry run
(preview: first rows and every error), then a confirm step runs the real import as a new job. The job
list shows progress. Views are thin: they call ``imports.services`` and the Celery task."""
from __future__ import annotations

import os
import tempfile

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from staff.admin_mixins import ReadOnlyAdminMixin
from staff.scope import certno_for, scope_for_user

from .columns import KINDS
from .models import ImportJob
from .report import template_xlsx
from .safety import MAX_FILE_BYTES
from .services import import_job_confirm, import_job_create
from .tasks import import_job_run_task

# The permission a user needs to import each kind (the same as adding one row by hand).
KIND_PERMISSIONS = {"providers": "providers.add_provider", "members": "members.add_member",
                    "signups": "members.add_signup", "claims": "claims.add_claim",
                    "registrations": "members.add_outofarearegistration"}
CERTNO_COLUMNS = ("certno", "身份证号")  # shown masked unless the user may see full certnos
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def preview_value_labels() -> dict[str, dict]:
    """The coded values of the preview's columns by their labels (booleans are 是/否)."""
    from members.models import SignUp
    from providers.models import Provider

    from config.labels import VALUE_LABELS

    return {**VALUE_LABELS, "kind": dict(Provider.Kind.choices), "status": dict(Provider.Status.choices),
            "reason": dict(SignUp.Reason.choices), "insutype": {"310": "职工医保", "390": "城乡居民医保"},
            "gend": {"1": "男", "2": "女"}, "dedc_hosp_lv": {"1": "一级", "2": "二级", "3": "三级"}}


def preview_shown(column: str, value, labels: dict[str, dict]):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and column == "visit_at":
        return value[:16].replace("T", " ")
    table = labels.get(column)
    return str(table.get(value, value)) if table and isinstance(value, str) else value


def preview_header(kind: str, column: str) -> str:
    from config.display import key_label

    if column == "row":
        return "行号"
    return next((c.header for c in KINDS.get(kind, ()) if c.field == column), None) or key_label(column)


def can_import(user, kind: str) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(KIND_PERMISSIONS[kind])
                and not scope_for_user(user).empty)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "file_name", "status", "progress", "rows_written", "rows_skipped", "error_count",
                    "rows_per_second", "created_by", "created_at", "actions_column")
    list_filter = ("kind", "status", "dry_run")
    search_fields = ("file_name", "sha256")
    # The JSON columns (errors, preview rows) are read on the job's preview page, as tables.
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name not in ("errors", "preview")] + [
        "errors_table"]
    fields = readonly_fields
    change_list_template = "imports/job_list.html"

    @admin.display(description=_("错误（前若干条）"))
    def errors_table(self, job: ImportJob):
        if not job.errors:
            return "无"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                                ((e.get("row"), e.get("column"), e.get("message")) for e in job.errors[:20]))
        link = reverse("admin:imports_importjob_preview", args=[job.pk])
        return format_html('<table class="data-table"><tr><th>行号</th><th>列</th><th>问题</th></tr>{}</table>'
                           '<p><a href="{}">在预览页查看全部</a></p>', rows, link)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("created_by")
        if request.user.is_superuser or scope_for_user(request.user).everything:
            return queryset
        return queryset.filter(created_by=request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and (any(
            can_import(request.user, kind) for kind in KINDS) or request.user.has_perm("imports.view_importjob"))

    has_module_permission = has_view_permission

    @admin.display(description=_("进度"))
    def progress(self, job: ImportJob):
        total = job.rows_total or 0
        percent = 100 if job.finished else (int(job.rows_done * 100 / total) if total else 0)
        return format_html('<progress max="100" value="{}"></progress> {} / {}', percent, job.rows_done, total)

    @admin.display(description=_("操作"))
    def actions_column(self, job: ImportJob):
        return format_html('<a href="{}">{}</a>', reverse("admin:imports_importjob_preview", args=[job.pk]), "查看")

    def changelist_view(self, request, extra_context=None):
        kinds = [(kind, ImportJob.Kind(kind).label) for kind in KINDS if can_import(request.user, kind)]
        return super().changelist_view(request, {**(extra_context or {}), "import_kinds": kinds})

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/<str:kind>/", view(self.upload_view), name="imports_importjob_upload"),
            path("template/<str:kind>/", view(self.template_view), name="imports_importjob_template"),
            path("<int:job_id>/preview/", view(self.preview_view), name="imports_importjob_preview"),
            path("<int:job_id>/confirm/", view(self.confirm_view), name="imports_importjob_confirm"),
            path("<int:job_id>/errors/", view(self.errors_view), name="imports_importjob_errors"),
        ] + super().get_urls()

    def _kind(self, request, kind: str) -> str:
        if kind not in KINDS:
            raise Http404
        if not can_import(request.user, kind):
            raise PermissionDenied
        return kind

    def _job(self, request, job_id: int, *, reading: bool = False) -> ImportJob:
        """The job, if the user may import its kind; ``reading`` (the preview page) also lets whoever
        may view import jobs (the auditor) read it, without the confirm button."""
        job = get_object_or_404(self.get_queryset(request), pk=job_id)
        if not (reading and request.user.has_perm("imports.view_importjob")):
            self._kind(request, job.kind)
        return job

    def template_view(self, request, kind):
        self._kind(request, kind)
        response = HttpResponse(template_xlsx(kind), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="import-template-{kind}.xlsx"'
        return response

    def upload_view(self, request, kind):
        kind = self._kind(request, kind)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "kind": kind,
                   "kind_label": ImportJob.Kind(kind).label, "columns": KINDS[kind],
                   "title": f"导入{ImportJob.Kind(kind).label}"}
        if request.method == "POST":
            upload = request.FILES.get("file")
            if upload is None:
                messages.error(request, "请选择要上传的文件")
            elif upload.size > MAX_FILE_BYTES:
                messages.error(request, f"文件超过 {MAX_FILE_BYTES // 2**20} MB 上限")
            else:
                job = self._dry_run(request, kind, upload)
                return redirect("admin:imports_importjob_preview", job.pk)
        return TemplateResponse(request, "imports/upload.html", context)

    def _dry_run(self, request, kind, upload) -> ImportJob:
        suffix = os.path.splitext(upload.name)[1][:10]
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
            handle.flush()
            job = import_job_create(kind=kind, path=handle.name, file_name=upload.name, by=request.user, dry_run=True)
        import_job_run_task.delay(job.pk)
        return job

    def preview_view(self, request, job_id):
        job = self._job(request, job_id, reading=True)
        columns = list(job.preview[0].keys()) if job.preview else []
        show = lambda column, value: certno_for(request.user, value) if column in CERTNO_COLUMNS and value else value  # noqa: E731
        labels = preview_value_labels()
        rows = [[preview_shown(c, show(c, row.get(c)), labels) for c in columns] for row in job.preview]
        errors = [{**e, "value": show(e["column"], e["value"])} for e in job.errors]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "job": job,
                   "title": f"导入任务 #{job.pk}：{job.get_kind_display()}", "errors": errors,
                   "preview_columns": [preview_header(job.kind, c) for c in columns], "preview_rows": rows,
                   "can_confirm": job.dry_run and job.status == ImportJob.Status.PREVIEWED
                   and can_import(request.user, job.kind),
                   "refresh": not job.finished}
        return TemplateResponse(request, "imports/preview.html", context)

    def confirm_view(self, request, job_id):
        job = self._job(request, job_id)
        if request.method != "POST":
            return redirect("admin:imports_importjob_preview", job.pk)
        if not (job.dry_run and job.status == ImportJob.Status.PREVIEWED):
            messages.error(request,
                           "只有预检通过的文件才能确认导入")
            return redirect("admin:imports_importjob_preview", job.pk)
        confirmed = import_job_confirm(job=job, by=request.user)
        import_job_run_task.delay(confirmed.pk)
        messages.info(request, f"已提交导入任务 #{confirmed.pk}")
        return redirect("admin:imports_importjob_preview", confirmed.pk)

    def errors_view(self, request, job_id):
        job = self._job(request, job_id)
        if not job.error_report:
            raise Http404
        return FileResponse(job.error_report.open("rb"), as_attachment=True, filename=f"import-errors-{job.pk}.xlsx",
                            content_type=XLSX)
