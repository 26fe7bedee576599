"""API shapes (CONTRACT.md: money as strings with 2 decimals, dates YYYY-MM-DD)."""
from rest_framework import serializers

from accounts.models import AccountEntry, Relative
from config.fields import CertnoInputField, SaneDateField
from staff.scope import certno_for


class MaskedCertnoField(serializers.CharField):
    """A certno shown as the user may see it (masked unless ``staff.view_full_certno``), like members'."""

    def to_representation(self, value):
        if not value:
            return value
        request = self.context.get("request")
        return certno_for(getattr(request, "user", None), value)


class EntrySerializer(serializers.ModelSerializer):
    date = serializers.SerializerMethodField()
    beneficiary_certno = MaskedCertnoField(allow_null=True)

    class Meta:
        model = AccountEntry
        fields = ["id", "date", "kind", "amount", "running_balance", "reference", "period", "purpose",
                  "beneficiary_certno"]

    def get_date(self, entry) -> str:
        from django.utils import timezone

        return timezone.localtime(entry.created_at).date().isoformat()


class AccountSerializer(serializers.Serializer):
    """The account endpoint's answer, for the API schema (the view builds it)."""

    admdvs = serializers.CharField()
    certno = serializers.CharField()
    status = serializers.CharField()
    closed_on = serializers.DateField(allow_null=True)
    balance = serializers.CharField()
    entries = EntrySerializer(many=True)


class RelativeInSerializer(serializers.Serializer):
    certno = CertnoInputField(max_length=18)
    relation = serializers.ChoiceField(choices=Relative.Relation.choices)
    consented_on = SaneDateField()


class RelativeOutSerializer(serializers.ModelSerializer):
    certno = MaskedCertnoField(source="relative_certno")

    class Meta:
        model = Relative
        fields = ["id", "certno", "relation", "consented_on", "revoked_on"]
