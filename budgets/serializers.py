from rest_framework import serializers

from config.fields import CodeField

from .models import SettlementLine, SettlementRun

MONEY = {"max_digits": 16, "decimal_places": 2, "read_only": True}


class SettlementRunRequestSerializer(serializers.Serializer):
    admdvs = CodeField(min_length=6, max_length=6, digits_only=True)
    kind = serializers.ChoiceField(choices=["monthly", "year_end", "fee_for_service"])
    period = serializers.CharField(max_length=7)


class SettlementRunSerializer(serializers.ModelSerializer):
    admdvs = serializers.CharField(source="admdvs_id")
    approved_by = serializers.CharField(source="approved_by.username", default=None)
    parameter_version = serializers.CharField(source="parameter_set.version", default=None)

    class Meta:
        model = SettlementRun
        fields = ["id", "admdvs", "kind", "period", "status", "totals", "computed_at", "approved_at",
                  "approved_by", "parameter_version"]
        read_only_fields = fields


class SettlementLineSerializer(serializers.ModelSerializer):
    """One line in one shape for every kind: a field CONTRACT.md's table marks "—" for the run's kind
    (a year-end ``quota``, a monthly ``band``, a fee-for-service ``budget``...) is present as null."""

    fixmedins_code = serializers.CharField(source="provider.fixmedins_code")
    fixmedins_name = serializers.CharField(source="provider.fixmedins_name")
    district = serializers.CharField(source="district_id")
    quota = serializers.DecimalField(**MONEY)
    actual = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)
    budget = serializers.DecimalField(**MONEY)
    determined = serializers.DecimalField(**MONEY)
    ceiling_cut = serializers.DecimalField(**MONEY)
    prepaid = serializers.DecimalField(**MONEY)
    balance_due = serializers.DecimalField(**MONEY)
    medfee_sumamt = serializers.DecimalField(**MONEY)
    deductions = serializers.DecimalField(**MONEY)
    deductions_carried = serializers.DecimalField(**MONEY)
    band = serializers.SerializerMethodField()

    class Meta:
        model = SettlementLine
        fields = ["fixmedins_code", "fixmedins_name", "district", "members", "member_months", "quota", "actual",
                  "paid", "budget", "determined", "ceiling_cut", "prepaid", "balance_due", "band", "claims",
                  "visits", "medfee_sumamt", "deductions", "deductions_carried", "inputs"]
        read_only_fields = fields

    def get_band(self, line) -> str | None:
        return line.band or None
