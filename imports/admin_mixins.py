"""``ExportFilteredMixin``: an "export" button on a changelist that downloads exactly the rows the list
shows (its filters, search and the user's district scope, since it starts from the changelist's own
queryset), through the kind's import-export resource (same Chinese headers as the import template,
cells neutralised against formula injection). CSV streams any number of rows; xlsx up to XLSX_MAX.

Wiring (providers/members admin): ``class MemberAdmin(ExportFilteredMixin, ...): export_resource_class
= MemberResource`` and the changelist template gets a link to ``export/?<current query string>``
(``{% url opts|admin_urlname:'export_filtered' %}?{{ request.GET.urlencode }}``).
"""
from __future__ import annotations

import csv
import io

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path
from django.utils import timezone

XLSX_MAX = 100_000


class _Echo:
    def write(self, value):
        return value


class ExportFilteredMixin:
    export_resource_class = None
    export_file_stem = None

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [path("export/", self.admin_site.admin_view(self.export_filtered_view),
                     name="{}_{}_export_filtered".format(*info))] + super().get_urls()

    def export_filtered_queryset(self, request):
        # The changelist reads every GET parameter as a filter, so hide our own "_format" from it.
        original = request.GET
        filters = original.copy()
        filters.pop("_format", None)
        request.GET = filters
        try:
            changelist = self.get_changelist_instance(request)
            return changelist.get_queryset(request)
        finally:
            request.GET = original

    def export_filtered_view(self, request):
        from django.core.exceptions import PermissionDenied

        if not self.has_view_permission(request):
            raise PermissionDenied
        from staff.audit import access_log
        from staff.scope import can_see_full_certno

        queryset = self.export_filtered_queryset(request)
        resource = self.export_resource_class()
        stem = self.export_file_stem or self.model._meta.model_name
        name = f"{stem}-{timezone.localtime():%Y%m%d-%H%M}"
        # Personal data leaves the system here: mask ID numbers unless the user may see them, and
        # record who exported what (个人信息保护法).
        mask = not can_see_full_certno(request.user)
        access_log(user=request.user, action="export", what=f"{self.model._meta.label}", request=request)
        if request.GET.get("_format") == "xlsx":
            return _xlsx_response(resource, queryset, name, mask)
        return _csv_response(resource, queryset, name, mask)


CERTNO_HEADERS = {"身份证号", "certno"}


def _rows(resource, queryset, mask: bool):
    from staff.scope import mask_certno

    headers = resource.get_export_headers()
    certno_columns = [i for i, header in enumerate(headers) if header in CERTNO_HEADERS] if mask else []
    for instance in resource.iter_queryset(queryset):
        row = list(resource.export_resource(instance))
        for index in certno_columns:
            row[index] = mask_certno(str(row[index] or ""))
        yield row


def _csv_response(resource, queryset, name: str, mask: bool) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff" + writer.writerow(resource.get_export_headers())
        for row in _rows(resource, queryset, mask):
            yield writer.writerow(row)
    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _xlsx_response(resource, queryset, name: str, mask: bool) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("导出")
    sheet.append(resource.get_export_headers())
    for count, row in enumerate(_rows(resource, queryset[:XLSX_MAX + 1], mask)):
        if count >= XLSX_MAX:
            sheet.append([f"（超过 {XLSX_MAX} 行，其余请用 CSV 导出）"])
            break
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
