"""API shapes of members and sign-ups (CONTRACT.md). Input is parsed here, rules live in services;
every body that carries a certno shows it through ``staff.scope.certno_for`` (masked unless the user
holds ``staff.view_full_certno``)."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.fields import CertnoInputField, CodeField, MoneyField, SaneDateField
from staff.scope import certno_for

from .models import Member, SignUp

MONEY = {"max_digits": 12, "decimal_places": 2}


class RefuseDerivedFieldsMixin:
    """Fields the system computes are refused when a client sends them, rather than silently ignored."""

    derived_fields: dict[str, str] = {}

    def validate(self, attrs):
        errors = {name: [message] for name, message in self.derived_fields.items() if name in self.initial_data}
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class MemberInputSerializer(RefuseDerivedFieldsMixin, serializers.Serializer):
    derived_fields = {"brdy": _("出生日期由身份证号推导，不可填写"), "gend": _("性别由身份证号推导，不可填写")}

    # Codes and the certno through the one normalisation (config.parsing); money and dates through the
    # parsers every path shares (no ``2_0.00``, no year 9999).
    certno = CertnoInputField(max_length=18)
    psn_name = serializers.CharField(max_length=50)
    admdvs = CodeField(min_length=6, max_length=6, digits_only=True)
    insutype = serializers.ChoiceField(choices=[("310", "职工医保"), ("390", "城乡居民医保")])
    psn_type = CodeField(min_length=4, max_length=4, digits_only=True)
    retired_on = SaneDateField(allow_null=True, required=False, default=None)
    contribution_base = MoneyField(**MONEY, allow_null=True, required=False, default=None)
    poverty = serializers.BooleanField(required=False, default=False)
    inpatient_only = serializers.BooleanField(required=False, default=False)
    district = CodeField(min_length=6, max_length=6, digits_only=True)
    enrolled_on = SaneDateField()


class DiseaseCodeField(CodeField):
    """A certified chronic disease 门诊慢特病: named like the claims' ``benefit`` codes it takes out of
    outpatient pooling (``hypertension``, ``diabetes``: RULES.md "Ganzhou"), so kept in their lower
    case — CodeField's upper case made a certification sent through the API never match a visit."""

    def to_internal_value(self, data):
        return super().to_internal_value(data).lower()


class MemberUpdateSerializer(MemberInputSerializer):
    """PATCH (``partial=True``): any subset; certno/admdvs identify the member and cannot change."""

    status = serializers.ChoiceField(choices=Member.Status.choices, required=False)
    left_on = SaneDateField(allow_null=True, required=False)
    chronic_diseases = serializers.ListField(child=DiseaseCodeField(max_length=30), required=False, max_length=50)


class MaskedCertnoField(serializers.CharField):
    def to_representation(self, value):
        request = self.context.get("request")
        return certno_for(request.user if request else None, value)


class MemberSerializer(serializers.ModelSerializer):
    certno = MaskedCertnoField(read_only=True)
    admdvs = serializers.CharField(source="admdvs_id", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True)
    contribution_base = serializers.DecimalField(**MONEY, read_only=True, allow_null=True)

    class Meta:
        model = Member
        fields = ["certno", "psn_name", "admdvs", "insutype", "psn_type", "retired_on", "contribution_base",
                  "poverty", "inpatient_only", "district", "enrolled_on", "brdy", "gend", "status", "left_on",
                  "chronic_diseases"]
        read_only_fields = fields


class SignUpInputSerializer(RefuseDerivedFieldsMixin, serializers.Serializer):
    derived_fields = {"effective_from": _("生效日期由系统按申请原因和地区规则计算，不可指定")}

    certno = CertnoInputField(max_length=18)
    admdvs = CodeField(min_length=6, max_length=6, digits_only=True)
    fixmedins_code = CodeField(max_length=30)
    applied_on = SaneDateField()
    reason = serializers.ChoiceField(choices=SignUp.Reason.choices)
    family_doctor = serializers.BooleanField(required=False, default=False)


class SignUpSerializer(serializers.ModelSerializer):
    certno = MaskedCertnoField(source="member.certno", read_only=True)
    admdvs = serializers.CharField(source="member.admdvs_id", read_only=True)
    fixmedins_code = serializers.CharField(source="provider.fixmedins_code", read_only=True)
    fixmedins_name = serializers.CharField(source="provider.fixmedins_name", read_only=True)

    class Meta:
        model = SignUp
        fields = ["id", "certno", "admdvs", "fixmedins_code", "fixmedins_name", "applied_on", "reason",
                  "family_doctor", "effective_from", "created_at"]
        read_only_fields = fields
