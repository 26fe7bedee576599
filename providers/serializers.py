"""API shapes of providers (CONTRACT.md "Providers"). Input is parsed here; the rules live in services."""
from rest_framework import serializers

from config.fields import CodeField, SaneDateField

from .models import Provider


class ProviderInputSerializer(serializers.Serializer):
    fixmedins_code = CodeField(max_length=30)
    fixmedins_name = serializers.CharField(max_length=100)
    admdvs = CodeField(min_length=6, max_length=6, digits_only=True)
    district = CodeField(min_length=6, max_length=6, digits_only=True)
    dedc_hosp_lv = serializers.ChoiceField(choices=Provider.Level.choices)
    kind = serializers.ChoiceField(choices=Provider.Kind.choices)
    parent_code = CodeField(max_length=30, allow_null=True, allow_blank=True, required=False, default=None)
    status = serializers.ChoiceField(choices=Provider.Status.choices, default=Provider.Status.ACTIVE)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True, required=False, default=None)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True, required=False, default=None)


class ProviderUpdateSerializer(ProviderInputSerializer):
    """PATCH (used with ``partial=True``): any subset; code and region identify the provider and are
    refused if changed."""

    status_changed_on = SaneDateField(required=False)


class ProviderSerializer(serializers.ModelSerializer):
    admdvs = serializers.CharField(source="admdvs_id", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True)
    parent_code = serializers.CharField(source="parent_id", read_only=True, allow_null=True)

    class Meta:
        model = Provider
        fields = ["fixmedins_code", "fixmedins_name", "admdvs", "district", "dedc_hosp_lv", "kind", "parent_code",
                  "status", "status_changed_on", "latitude", "longitude"]
        read_only_fields = fields
