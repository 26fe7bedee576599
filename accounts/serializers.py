"""API shapes (CONTRACT.md: money as strings with 2 decimals, dates YYYY-MM-DD)."""
from rest_framework import serializers

from accounts.models import AccountEntry, Relative


class EntrySerializer(serializers.ModelSerializer):
    date = serializers.SerializerMethodField()

    class Meta:
        model = AccountEntry
        fields = ["id", "date", "kind", "amount", "running_balance", "reference", "period", "purpose",
                  "beneficiary_certno"]

    def get_date(self, entry) -> str:
        from django.utils import timezone

        return timezone.localtime(entry.created_at).date().isoformat()


class RelativeInSerializer(serializers.Serializer):
    certno = serializers.CharField(max_length=18)
    relation = serializers.ChoiceField(choices=Relative.Relation.choices)
    consented_on = serializers.DateField()


class RelativeOutSerializer(serializers.ModelSerializer):
    certno = serializers.CharField(source="relative_certno")

    class Meta:
        model = Relative
        fields = ["id", "certno", "relation", "consented_on", "revoked_on"]
