"""DRF input fields over ``config.parsing``: the API reads money, dates and codes with the same parsers
as the import and the batch. They subclass DRF's own fields so the OpenAPI schema keeps their types.
"""
from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from config.parsing import ParseError, code_normalise, code_parse, date_parse, money_parse


class MoneyField(serializers.DecimalField):
    """An amount (``config.parsing.money_parse``): DRF's DecimalField passes its text to ``Decimal()``,
    which reads ``2_0.00`` as 20 and ``1e2`` as 100."""

    def __init__(self, *, max_digits: int, decimal_places: int = 2, allow_negative: bool = False, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)
        self.max_money = Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)
        self.allow_negative = allow_negative

    def to_internal_value(self, data):
        try:
            return money_parse(data, max_value=self.max_money, allow_negative=self.allow_negative)
        except ParseError as exc:
            raise serializers.ValidationError(exc.message) from None


class SaneDateField(serializers.DateField):
    """A date ``YYYY-MM-DD`` within ``config.parsing.SANE_YEARS`` (DRF's DateField takes 0001–9999)."""

    def to_internal_value(self, value):
        try:
            return date_parse(value)
        except ParseError as exc:
            raise serializers.ValidationError(exc.message) from None


class CodeField(serializers.CharField):
    """A region/district/clinic/person-type code: normalised (full-width to ASCII, upper case), then
    ASCII letters, digits and - _ . only (``digits_only``: digits only)."""

    def __init__(self, *, digits_only: bool = False, **kwargs):
        self.digits_only = digits_only
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, (str, int)) or isinstance(data, bool):
            raise serializers.ValidationError("应为字符串 (must be a string)")
        try:
            return code_parse(data, max_length=self.max_length or 100, min_length=self.min_length or 1,
                              digits_only=self.digits_only)
        except ParseError as exc:
            raise serializers.ValidationError(exc.message) from None


class CertnoInputField(serializers.CharField):
    """A certno as sent: normalised once (``code_normalise``); the service validates it fully."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("身份证号应为字符串 (the certno must be a string)")
        return code_normalise(data)
