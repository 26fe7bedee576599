"""django-import-export resources for the four kinds, with the same Chinese headers as the import
templates. Used for admin exports and as the reference implementation in the benchmark (the fast path
is ``imports.pipeline``). Every exported text cell starting with = + - @ is neutralised with a '.
"""
from __future__ import annotations

from import_export import fields, resources, widgets

from claims.models import Claim
from members.certno import CertnoError, parse_certno
from members.models import Member, SignUp
from policy.models import District, Region
from providers.models import Provider

from .columns import CLAIMS, MEMBERS, PROVIDERS, SIGNUPS
from .report import neutralise


class CachedForeignKeyWidget(widgets.ForeignKeyWidget):
    """Regions and districts are a few dozen rows: looked up once per import, not once per row."""

    def __init__(self, model, field="pk", **kwargs):
        super().__init__(model, field, **kwargs)
        self._cache: dict = {}

    def clean(self, value, row=None, **kwargs):
        if value in self._cache:
            return self._cache[value]
        found = self._cache[value] = super().clean(value, row, **kwargs)
        return found


def _headers(columns) -> dict[str, str]:
    return {c.field: c.header for c in columns}


class SafeExportMixin:
    """Formula-injection guard on the export path (CSV/XLSX opened in a spreadsheet)."""

    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))

    def get_export_headers(self, selected_fields=None):
        return [neutralise(h) for h in super().get_export_headers(selected_fields)]


class ProviderResource(SafeExportMixin, resources.ModelResource):
    h = _headers(PROVIDERS)
    fixmedins_code = fields.Field(attribute="fixmedins_code", column_name=h["fixmedins_code"])
    fixmedins_name = fields.Field(attribute="fixmedins_name", column_name=h["fixmedins_name"])
    admdvs = fields.Field(attribute="admdvs", column_name=h["admdvs"], widget=CachedForeignKeyWidget(Region, "admdvs"))
    district = fields.Field(attribute="district", column_name=h["district"],
                            widget=CachedForeignKeyWidget(District, "code"))
    dedc_hosp_lv = fields.Field(attribute="dedc_hosp_lv", column_name=h["dedc_hosp_lv"])
    kind = fields.Field(attribute="kind", column_name=h["kind"])
    parent_code = fields.Field(attribute="parent_id", column_name=h["parent_code"])
    status = fields.Field(attribute="status", column_name=h["status"])
    del h

    class Meta:
        model = Provider
        fields = ("fixmedins_code", "fixmedins_name", "admdvs", "district", "dedc_hosp_lv", "kind", "parent_code",
                  "status")
        export_order = fields
        import_id_fields = ("fixmedins_code",)


class MemberResource(SafeExportMixin, resources.ModelResource):
    h = _headers(MEMBERS)
    certno = fields.Field(attribute="certno", column_name=h["certno"])
    psn_name = fields.Field(attribute="psn_name", column_name=h["psn_name"])
    admdvs = fields.Field(attribute="admdvs", column_name=h["admdvs"], widget=CachedForeignKeyWidget(Region, "admdvs"))
    insutype = fields.Field(attribute="insutype", column_name=h["insutype"])
    psn_type = fields.Field(attribute="psn_type", column_name=h["psn_type"])
    district = fields.Field(attribute="district", column_name=h["district"],
                            widget=CachedForeignKeyWidget(District, "code"))
    enrolled_on = fields.Field(attribute="enrolled_on", column_name=h["enrolled_on"],
                               widget=widgets.DateWidget("%Y-%m-%d"))
    retired_on = fields.Field(attribute="retired_on", column_name=h["retired_on"],
                              widget=widgets.DateWidget("%Y-%m-%d"))
    contribution_base = fields.Field(attribute="contribution_base", column_name=h["contribution_base"],
                                     widget=widgets.DecimalWidget())
    poverty = fields.Field(attribute="poverty", column_name=h["poverty"], widget=widgets.BooleanWidget())
    inpatient_only = fields.Field(attribute="inpatient_only", column_name=h["inpatient_only"],
                                  widget=widgets.BooleanWidget())
    del h

    class Meta:
        model = Member
        fields = ("certno", "psn_name", "admdvs", "insutype", "psn_type", "district", "enrolled_on", "retired_on",
                  "contribution_base", "poverty", "inpatient_only")
        export_order = fields
        import_id_fields = ("admdvs", "certno")

    def before_save_instance(self, instance, row, **kwargs):
        """brdy/gend come from the certno (GB 11643), as in ``members.services.member_create``."""
        try:
            facts = parse_certno(instance.certno)
        except CertnoError as exc:
            raise ValueError(str(exc)) from None
        instance.certno, instance.brdy, instance.gend = facts.certno, facts.birth_date, facts.gender
        if instance.poverty is None:
            instance.poverty = False
        if instance.inpatient_only is None:
            instance.inpatient_only = False


class SignUpResource(SafeExportMixin, resources.ModelResource):
    """Export only (a sign-up is a request checked by ``members.services.signup_request``)."""
    h = _headers(SIGNUPS)
    certno = fields.Field(attribute="member__certno", column_name=h["certno"], readonly=True)
    admdvs = fields.Field(attribute="member__admdvs_id", column_name=h["admdvs"], readonly=True)
    fixmedins_code = fields.Field(attribute="provider__fixmedins_code", column_name=h["fixmedins_code"], readonly=True)
    applied_on = fields.Field(attribute="applied_on", column_name=h["applied_on"],
                              widget=widgets.DateWidget("%Y-%m-%d"))
    reason = fields.Field(attribute="reason", column_name=h["reason"])
    family_doctor = fields.Field(attribute="family_doctor", column_name=h["family_doctor"],
                                 widget=widgets.BooleanWidget())
    effective_from = fields.Field(attribute="effective_from", column_name="生效日期", readonly=True,
                                  widget=widgets.DateWidget("%Y-%m-%d"))
    del h

    class Meta:
        model = SignUp
        fields = ("certno", "admdvs", "fixmedins_code", "applied_on", "reason", "family_doctor", "effective_from")
        export_order = fields


class ClaimResource(SafeExportMixin, resources.ModelResource):
    """Export only (claims are adjudicated by the claims service, never written by a resource)."""

    class Meta:
        model = Claim
        fields = ("setl_id", "admdvs", "member__certno", "provider__fixmedins_code", "visit_at", "benefit",
                  "emergency", "referral", "out_of_area", "channel", "exclusion", "medfee_sumamt",
                  "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "status", "reason",
                  "act_pay_dedc", "pool_prop_selfpay", "hifp_pay", "psn_part_amt", "acct_pay", "psn_cash_pay")
        export_order = fields

    def get_export_headers(self, selected_fields=None):
        names = {c.field: c.header for c in CLAIMS}
        names.update({"member__certno": "身份证号", "provider__fixmedins_code": "定点机构编码", "setl_id": "结算ID",
                      "status": "状态", "reason": "原因", "act_pay_dedc": "本次起付线",
                      "pool_prop_selfpay": "基金支付比例",
                      "hifp_pay": "统筹基金支付", "psn_part_amt": "个人负担", "acct_pay": "个人账户支付",
                      "psn_cash_pay": "现金支付"})
        return [names.get(f.column_name, f.column_name) for f in self.get_export_fields(selected_fields)]


RESOURCES = {"providers": ProviderResource, "members": MemberResource, "signups": SignUpResource,
             "claims": ClaimResource}
