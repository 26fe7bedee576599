"""Shared pieces of every admin page: district scope, masked certnos, cheap pagination, CSV export.

Why a mixin: the admin has many entry points to one model's rows (changelist, change page, history,
delete, search, autocomplete, actions/export). They all start from ``ModelAdmin.get_queryset``, so
filtering there by ``staff.scope`` covers all of them at once; ``get_object`` turns "not in scope"
into a 404 rather than Django's redirect, so another district's object looks exactly like a missing one.
"""
from __future__ import annotations

from functools import cached_property

from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.http import Http404, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from config.exports import csv_lines
from policy.models import District, Region
from staff.scope import certno_for, scope_for_user

# Above this many matching rows the admin stops counting and shows this many (200 pages of 50).
COUNT_CAP = 10_000


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts a whole big table.

    Unfiltered lists take PostgreSQL's planner estimate (pg_class.reltuples, kept fresh by
    autovacuum/ANALYZE); filtered lists count at most ``COUNT_CAP`` rows (``COUNT(*)`` over a
    ``LIMIT`` subquery, which stops early on an index). Exact counts of millions of rows cost
    seconds on PostgreSQL, and nobody pages through 10 000 rows in a browser anyway.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None:
            return len(queryset)
        if not query.where:
            estimate = _estimated_rows(queryset)
            if estimate is not None and estimate > COUNT_CAP:
                return estimate
        return queryset.order_by()[:COUNT_CAP].count()

    def page(self, number):
        """Keys first, then rows: the page's ids come from a narrow query that PostgreSQL answers
        from a composite index alone (e.g. (admdvs, id DESC) for a region filter), then the 50 rows
        are read by primary key. Asked for whole rows at once, the planner may instead walk the
        primary key backwards and filter, which is slow when the matching rows are old."""
        queryset = self.object_list
        if not hasattr(queryset, "values_list"):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        position = {pk: index for index, pk in enumerate(ids)}
        rows = sorted(queryset.filter(pk__in=ids), key=lambda row: position[row.pk])
        return self._get_page(rows, number, self)


def _estimated_rows(queryset) -> int | None:
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                       [queryset.model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def add_service_errors(form, error: ValidationError, field_map: dict | None = None) -> None:
    """Put a service's refusal on the form: on the field it names when the form shows that field
    (``field_map`` renames service fields to form fields, None = show at the top), otherwise at the
    top prefixed with the field's name, so no message is ever lost."""
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.message_dict.items():
        target = field_map.get(field, field)
        if target == NON_FIELD_ERRORS or (target in form.fields and not form.fields[target].widget.is_hidden):
            form.add_error(target, errors)
        else:
            label = form.fields[target].label if target in form.fields and form.fields[target].label else field
            form.add_error(None, [f"{label}: {message}" for message in errors])


def plain(value):
    """A model instance as its key (services take codes, forms give objects)."""
    return value.pk if hasattr(value, "_meta") else value


class ScopedAdminMixin:
    """Filter every row the admin touches by the request user's district scope.

    ``scope_region_field`` / ``scope_district_field`` name the lookups of the row's region and
    district (``member__district`` for a sign-up). Lists are ordered by ``-id`` (indexed), counted
    cheaply, and never compute facet counts.
    """

    scope_region_field = "admdvs"
    scope_district_field = "district"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    list_per_page = 50
    actions = ["export_csv"]
    # Columns of the CSV export: (header, attribute path or callable(request, obj)).
    export_columns: tuple = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return scope_for_user(request.user).filter(
            queryset, region_field=self.scope_region_field, district_field=self.scope_district_field)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Out of scope and nonexistent are indistinguishable on purpose.
            raise Http404(_("对象不存在或不在您的数据范围内"))
        return obj

    def has_delete_permission(self, request, obj=None):
        # Registration data is kept for audit: nothing here is deleted from the admin.
        return False

    @admin.action(description=_("导出所选为 CSV"))
    def export_csv(self, request, queryset):
        columns = self.export_columns or tuple((str(name), name) for name in self.list_display
                                               if isinstance(name, str) and name != "__str__")

        def value(obj, getter):
            if callable(getter):
                return getter(request, obj)
            for part in getter.split("__"):
                obj = getattr(obj, part, None) if obj is not None else None
            return "" if obj is None else obj

        def rows():
            # iterator(): stream in chunks instead of loading a whole district into memory.
            for obj in queryset.order_by("-pk").iterator(chunk_size=2000):
                yield [value(obj, getter) for _header, getter in columns]

        # The same neutralising writer as every other export: a name starting with = + - @ is text.
        lines = csv_lines([header for header, _getter in columns], rows())
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.model._meta.model_name}.csv"'
        return response


CERTNO_LABEL = _("身份证号")


def masked_certno_column(request, *, path: str = "certno", description=CERTNO_LABEL):
    """A list_display column showing the certno masked unless the user may see it in full.

    Built per request (a closure) because the column depends on who is looking.
    """
    def column(obj):
        value = obj
        for part in path.split("__"):
            value = getattr(value, part)
        return certno_for(request.user, value)

    column.short_description = description
    column.admin_order_field = path
    return column


def export_certno(path: str = "certno"):
    def getter(request, obj):
        value = obj
        for part in path.split("__"):
            value = getattr(value, part)
        return certno_for(request.user, value)

    return getter


def scoped_regions_and_districts(request):
    scope = scope_for_user(request.user)
    regions = Region.objects.all()
    districts = District.objects.select_related("region")
    if not scope.everything:
        covered_regions = set(scope.regions) | set(
            District.objects.filter(code__in=scope.districts).values_list("region_id", flat=True))
        regions = regions.filter(admdvs__in=covered_regions)
        districts = districts.filter(scope.q(region_field="region_id", district_field="code"))
    return regions, districts


class ScopedRegionFilter(admin.RelatedFieldListFilter):
    """Region filter offering only the regions in the user's scope (no DISTINCT over the big table)."""

    def field_choices(self, field, request, model_admin):
        regions, _districts = scoped_regions_and_districts(request)
        return [(r.pk, str(r)) for r in regions]


class ScopedDistrictFilter(admin.RelatedFieldListFilter):
    """District filter offering only the districts in the user's scope."""

    def field_choices(self, field, request, model_admin):
        _regions, districts = scoped_regions_and_districts(request)
        return [(d.pk, str(d)) for d in districts]


def scoped_region_codes(request) -> set[str] | None:
    """Regions the user's scope touches (None = all): for region-level data such as parameter sets."""
    scope = scope_for_user(request.user)
    if scope.everything:
        return None
    regions, _districts = scoped_regions_and_districts(request)
    return set(regions.values_list("admdvs", flat=True))


class ServiceFormAdminMixin:
    """Writes go through the owning app's service, and its refusals appear on the form.

    Django's admin validates the form, then calls ``save_model`` where an error could only be a
    500. So the service is called at the end of form validation (``_post_clean``, after the model's
    own checks), inside the admin view's transaction: a refusal becomes form errors and nothing is
    written; on success the form's instance is the service's object and ``save_model`` has nothing
    left to do. Subclasses implement ``service_save(request, obj, data, changed, adding) -> obj``.
    """

    # Service (and model) error keys that name a form field differently, e.g. {"parent_code": "parent"}.
    service_field_map: dict = {}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        admin_view = self

        class ServiceForm(form_class):
            def _update_errors(self, errors):
                # The model's clean() speaks the API's field names; show them on the matching field.
                add_service_errors(self, errors, admin_view.service_field_map)

            def _post_clean(self):
                super()._post_clean()
                if self.errors:
                    return
                try:
                    self.instance = admin_view.service_save(
                        request, self.instance, dict(self.cleaned_data), list(self.changed_data),
                        adding=self.instance.pk is None)
                except ValidationError as error:
                    add_service_errors(self, error, admin_view.service_field_map)

        ServiceForm.__name__ = form_class.__name__
        return ServiceForm

    def save_model(self, request, obj, form, change):
        """Already saved by the service during validation."""

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def service_save(self, request, obj, data, changed, *, adding):  # pragma: no cover - abstract
        raise NotImplementedError


class ReadOnlyAdminMixin:
    """View-only for everyone, superusers included: for records that only a service writes (claims,
    runs, ledgers, audit logs, import jobs) or that are history. Works for ModelAdmin and inlines."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
