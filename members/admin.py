"""Admin for members 参保人, their change history and sign-ups 签约/选点.

Thin: every write calls ``members.services``; every row goes through ``staff.scope`` (see
``staff.admin_mixins``). Sign-ups are append-only, so their admin can only list, view and add
(through ``signup_request``, which applies the region's rules).
"""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from imports.admin_mixins import ExportFilteredMixin
from imports.resources import MemberResource
from imports.selectors import member_import_origin
from staff.admin_mixins import (ReadOnlyAdminMixin, ScopedAdminMixin, ScopedDistrictFilter, ScopedRegionFilter,
                                ServiceFormAdminMixin, export_certno, masked_certno_column, plain,
                                scoped_regions_and_districts)
from staff.scope import can_see_full_certno, mask_certno

from config.labels import AUDIT_ACTION_LABELS
from staff.admin_audit import labelled_filter

from .admin_overview import member_overview_urls
from .admin_registrations import OutOfAreaRegistrationAdmin  # noqa: F401  (registers it)
from .admin_signups import SignUpAdmin  # also registers the sign-up admin
from .models import Member, MemberChange, OutOfAreaRegistration, SignUp
from .selectors import member_search

class PersonTypeFilter(admin.SimpleListFilter):
    title = _("人员类别")
    parameter_name = "person_type"
    PREFIXES = {"employed": ("11",), "retired": ("12",), "resident": ("14", "15", "16")}

    def lookups(self, request, model_admin):
        return [("employed", _("在职")), ("retired", _("退休")), ("resident", _("城乡居民"))]

    def queryset(self, request, queryset):
        prefixes = self.PREFIXES.get(self.value())
        if not prefixes:
            return queryset
        condition = None
        for prefix in prefixes:
            q = Q(psn_type__startswith=prefix)
            condition = q if condition is None else condition | q
        return queryset.filter(condition)


PSN_TYPE_LABELS = {"1101": _("在职职工"), "1103": _("灵活就业"), "12": _("退休"), "14": _("城乡居民（学生儿童）"),
                   "15": _("城乡居民"), "16": _("城乡居民（老年）"), "11": _("在职")}


# The choice list of the member form's 人员类别 (national psn_type codes the demo and imports use); a
# member whose stored code is none of these keeps it offered (an import may bring other codes).
PSN_TYPE_CHOICES = (("1101", _("1101 在职职工")), ("1103", _("1103 灵活就业")), ("1201", _("1201 退休")),
                    ("1401", _("1401 城乡居民（学生儿童）")), ("1501", _("1501 城乡居民")),
                    ("1601", _("1601 城乡居民（老年）")))


def psn_type_choices(*, insutype: str | None, current: str | None) -> list[tuple[str, str]]:
    from .rules import PSN_TYPE_PREFIXES

    prefixes = PSN_TYPE_PREFIXES.get(insutype or "", ())
    choices = [(code, label) for code, label in PSN_TYPE_CHOICES if not prefixes or code[:2] in prefixes]
    if current and current not in dict(choices):
        choices.insert(0, (current, current))
    return [("", "---------")] + choices


@admin.display(description=_("人员类别"), ordering="psn_type")
def person_type_label(obj) -> str:
    """National psn_type code with a readable label: exact code first, then its two-digit family."""
    label = PSN_TYPE_LABELS.get(obj.psn_type) or PSN_TYPE_LABELS.get(obj.psn_type[:2])
    return f"{obj.psn_type} {label}" if label else obj.psn_type


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """History shown on the member page: nothing added, changed or deleted from here."""

    extra = 0
    can_delete = False
    show_change_link = False
    template = "admin/members/history_inline.html"


class SignUpHistoryInline(ReadOnlyInline):
    model = SignUp
    verbose_name = _("签约/选点记录")
    verbose_name_plural = _("签约/选点历史（最新在前）")
    fields = ("effective_from", "provider", "reason", "family_doctor", "applied_on", "created_at", "created_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider", "created_by").order_by("-effective_from", "-id")


class RegistrationHistoryInline(ReadOnlyInline):
    """异地就医备案 on the member's page, cancelled ones included (their cancellation day and who)."""

    model = OutOfAreaRegistration
    fk_name = "member"
    verbose_name = _("异地就医备案")
    verbose_name_plural = _("异地就医备案（最新在前）")
    fields = ("kind", "dest_admdvs", "start_on", "end_on", "cancelled_on", "created_at", "created_by",
              "cancelled_by", "cancel_link")
    readonly_fields = fields

    @admin.display(description=_("取消备案"))
    def cancel_link(self, obj):
        if obj.cancelled_on is not None:
            return "—"
        url = reverse("admin:members_outofarearegistration_cancel", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("取消"))

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("created_by", "cancelled_by")
                .order_by("-start_on", "-id"))


def snapshot_text(snapshot: dict) -> str:
    """A before/after snapshot as "字段: 值" lines (fields by their names, coded values by their labels),
    the certno always masked: the history is read by anyone who may see the member, the full number
    only by those with the permission (and they see it at the top of the page)."""
    from django.core.exceptions import FieldDoesNotExist

    from config.display import value_shown

    lines = []
    for key, value in (snapshot or {}).items():
        if key == "certno" and isinstance(value, str):
            value = mask_certno(value)
        label, choices = key, {}
        # A member's own fields, or an out-of-area registration's (its oar_register/cancel entries).
        for model in (Member, OutOfAreaRegistration):
            try:
                field = model._meta.get_field(key.removesuffix("_id"))
            except FieldDoesNotExist:
                continue
            label, choices = str(field.verbose_name), dict(field.flatchoices)
            break
        if key == "psn_type" and value:
            shown = f"{value} {PSN_TYPE_LABELS.get(value) or PSN_TYPE_LABELS.get(value[:2]) or ''}".strip()
        elif isinstance(value, (str, int)) and value in choices:
            shown = str(choices[value])
        else:
            shown = "" if value is None else value_shown(key, value)
        lines.append(f"{label}: {shown}")
    return "\n".join(lines)


class SnapshotColumns:
    @admin.display(description=_("变更前"))
    def before_text(self, obj):
        return linebreaksbr(snapshot_text(obj.before))

    @admin.display(description=_("变更后"))
    def after_text(self, obj):
        return linebreaksbr(snapshot_text(obj.after))

    @admin.display(description=_("操作"))
    def action_shown(self, obj):
        return AUDIT_ACTION_LABELS.get(obj.action, obj.action)


class MemberChangeInline(SnapshotColumns, ReadOnlyInline):
    model = MemberChange
    verbose_name = _("变更记录")
    verbose_name_plural = _("变更历史（最新在前）")
    fields = ("changed_at", "action_shown", "changed_by", "before_text", "after_text")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by").order_by("-changed_at", "-id")


# The writable fields; identity (region, certno) is fixed once a member exists.
EDITABLE = ("psn_name", "insutype", "psn_type", "retired_on", "contribution_base", "poverty", "inpatient_only",
            "district", "enrolled_on", "status", "left_on", "chronic_diseases")


# What member_create takes; the rest (status, dates of leaving...) is set by later updates.
CREATE_FIELDS = ("admdvs", "certno", "psn_name", "insutype", "psn_type", "district", "enrolled_on", "retired_on",
                 "contribution_base", "poverty", "inpatient_only")


def member_write(*, member: Member | None, data: dict, changed: list[str], user) -> Member:
    """The one place the admin writes a member: the members service (rules, history, certno facts)."""
    from members import services

    if member is None:
        return services.member_create(**{k: plain(data[k]) for k in CREATE_FIELDS if k in data}, by=user)
    return services.member_update(member=member, data={k: plain(data[k]) for k in changed}, by=user)


class DistrictSelect(forms.Select):
    """A district list whose options carry their region's code (``data-region``), so the add form can
    offer only the districts of the region chosen in the same form."""

    def __init__(self, *, region_of: dict[str, str], choices):
        super().__init__(choices=choices)
        self.region_of = region_of

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        region = self.region_of.get(str(value))
        if region:
            option["attrs"]["data-region"] = region
        return option


@admin.register(Member)
class MemberAdmin(ExportFilteredMixin, ScopedAdminMixin, ServiceFormAdminMixin, admin.ModelAdmin):
    export_resource_class = MemberResource
    list_display_static = ("psn_name", "overview_link", "gend", "brdy", "admdvs", "district", person_type_label,
                           "status", "enrolled_on")
    list_filter = (("admdvs", ScopedRegionFilter), ("district", ScopedDistrictFilter), PersonTypeFilter,
                   "insutype", "status", "poverty", "inpatient_only")
    list_select_related = ("admdvs", "district")
    ordering = ("-id",)
    search_fields = ("certno", "psn_name")  # shows the search box; matching is member_search()
    search_help_text = _("输入完整18位身份证号精确查找，或输入姓名开头（如“王”“王建”）")
    inlines = (SignUpHistoryInline, RegistrationHistoryInline, MemberChangeInline)
    change_form_template = "admin/members/member/change_form.html"

    def get_list_display(self, request):
        return (masked_certno_column(request),) + self.list_display_static

    @admin.display(description=_("概览"))
    def overview_link(self, obj):
        return format_html('<a href="{}">概览</a>', reverse("admin:members_member_overview", args=[obj.pk]))

    def get_urls(self):
        return member_overview_urls(self) + super().get_urls()

    def get_inline_instances(self, request, obj=None):
        # The history inlines only display; on a POST there is nothing of theirs to validate, and
        # leaving them out means the member form alone decides whether the service is called.
        if request.method == "POST":
            return []
        return super().get_inline_instances(request, obj)

    @property
    def export_columns(self):
        return ((_("身份证号"), export_certno()), (_("姓名"), "psn_name"), (_("统筹区"), "admdvs_id"),
                (_("县区"), "district_id"), (_("人员类别"), "psn_type"), (_("参保状态"), "status"),
                (_("参保日期"), "enrolled_on"))

    def get_search_results(self, request, queryset, search_term):
        return member_search(queryset=queryset, term=search_term), False

    def get_fields(self, request, obj=None):
        if obj is None:
            return CREATE_FIELDS
        certno = "certno_full" if can_see_full_certno(request.user) else "certno_masked"
        return ("admdvs", certno, "brdy", "gend") + EDITABLE

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("admdvs", "certno_full", "certno_masked", "brdy", "gend")

    @admin.display(description=_("身份证号"))
    def certno_masked(self, obj):
        return mask_certno(obj.certno)

    @admin.display(description=_("身份证号"))
    def certno_full(self, obj):
        return obj.certno

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "district" in form.base_fields:
            # A member's page offers only the districts of the member's own region; the add form
            # groups them under their region's name (the service refuses a district of another region).
            field = form.base_fields["district"]
            if obj is not None:
                field.queryset = field.queryset.filter(region_id=obj.admdvs_id)
            else:
                grouped: dict[str, list] = {}
                region_of: dict[str, str] = {}
                for district in field.queryset.select_related("region").order_by("region_id", "code"):
                    grouped.setdefault(district.region.name, []).append((district.pk, district.name))
                    region_of[str(district.pk)] = str(district.region_id)
                field.choices = [("", "---------")] + list(grouped.items())
                # The page narrows the list to the region chosen above it (member_form_districts.js reads
                # each option's region); without script the grouped list and the service's check remain.
                field.widget = DistrictSelect(region_of=region_of, choices=field.choices)
        if "psn_type" in form.base_fields:
            old = form.base_fields["psn_type"]
            form.base_fields["psn_type"] = forms.ChoiceField(
                label=old.label, required=old.required, help_text=_("国家医保人员类别代码"),
                choices=psn_type_choices(insutype=obj.insutype if obj else None, current=obj.psn_type if obj else None))
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the regions/districts the user works in are offered when adding or moving a member
        # (and on a member's page only its region's: get_form).
        regions, districts = scoped_regions_and_districts(request)
        if db_field.name == "admdvs":
            kwargs["queryset"] = regions
        elif db_field.name == "district":
            kwargs["queryset"] = districts
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_save(self, request, obj, data, changed, *, adding):
        if adding:
            return member_write(member=None, data=data, changed=changed, user=request.user)
        # The form has already applied its values to ``obj`` in memory: the service gets the row as
        # stored, so its before/after history is right.
        stored = Member.objects.get(pk=obj.pk)
        return member_write(member=stored, data=data, changed=changed, user=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["signup_admin_add"] = SignUpAdmin.add_url_for(request, object_id)
        extra_context["registration_admin_add"] = reverse("admin:members_outofarearegistration_add") + \
            f"?member={object_id}"
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # A member created by a bulk import has no MemberChange row of its own (imports.ImportedMembers
        # records the import's id runs): its page shows the import here, under the change history.
        if obj is not None and obj.pk is not None:
            context["import_origin"] = member_import_origin(obj.pk)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


@admin.register(MemberChange)
class MemberChangeAdmin(SnapshotColumns, ScopedAdminMixin, admin.ModelAdmin):
    """The audit trail of members: read-only. Members created by a bulk import have no row here (the
    import's record is its job and its id runs, imports.ImportedMembers, shown on the member's page)."""

    scope_region_field = "member__admdvs"
    scope_district_field = "member__district"
    list_display_static = ("member", "action_shown", "changed_at", "changed_by")
    list_filter = (("member__admdvs", ScopedRegionFilter),
                   labelled_filter("action", _("操作"), lambda code: AUDIT_ACTION_LABELS.get(code, code)))
    list_select_related = ("member", "changed_by")
    ordering = ("-id",)
    search_fields = ("member__certno", "member__psn_name")
    search_help_text = _("输入完整身份证号或姓名开头")
    fields = ("member", "action_shown", "changed_at", "changed_by", "before_text", "after_text")
    readonly_fields = fields

    def get_list_display(self, request):
        return (masked_certno_column(request, path="member__certno"),) + self.list_display_static

    def get_search_results(self, request, queryset, search_term):
        return member_search(queryset=queryset, term=search_term, prefix="member__"), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
