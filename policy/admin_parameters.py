"""A parameter set edited through one labelled field per parameter (起付标准, 报销比例 by level, ...).

The fields are made from the region's spec (``policy/rules/<region>.py`` ``PARAMETERS``) and the labels
of ``config/labels.py`` (``PARAMETER_LABELS``): money in 元, ratios entered as percentages (55 → stored
"0.55"), one field per provider level or per key, an age-group table. On submit the fields are put
back into the JSON object the rules read and checked by the same ``validate_values`` as before (its
messages shown in Chinese next to the field they concern); the model's own ``clean`` still runs on
save. A ratio or amount left numerically unchanged keeps the text it was stored with.
"""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.html import format_html, format_html_join

from config import display
from config.labels import PARAMETER_KEY_LABELS, parameter_label, parameter_message

from .rules import REGIONS
from .rules.params import LEVELS, validate_values

HUNDRED = Decimal(100)
AGE_GROUP_EXTRA_ROWS = 2


def _field_name(name: str, key: str | None = None) -> str:
    return f"p__{name}" if key is None else f"p__{name}__{key}"


def _keys(spec) -> tuple[str, ...]:
    return spec.keys if spec.kind == "money_by_key" else LEVELS


def _number_field(kind: str, *, label: str, unit: str, help_text: str, required: bool) -> forms.Field:
    attrs = {"style": "width: 9em", "data-unit": unit}
    if kind in ("ratio", "ratio_by_level"):
        return forms.DecimalField(label=label, required=required, min_value=0, max_value=100, decimal_places=2,
                                  help_text=f"单位：%。{help_text}",
                                  widget=forms.NumberInput(attrs={**attrs, "step": "0.01"}))
    return forms.DecimalField(label=label, required=required, min_value=0, decimal_places=2, max_digits=14,
                              help_text=f"单位：{unit}。{help_text}" if unit else help_text,
                              widget=forms.NumberInput(attrs={**attrs, "step": "0.01"}))


def parameter_fields(region_code: str, values: dict | None) -> dict[str, forms.Field]:
    """The form fields of a region's parameters, with their initial values from ``values``."""
    fields: dict[str, forms.Field] = {}
    values = values or {}
    for name, spec in REGIONS[region_code].PARAMETERS.items():
        label, unit, help_text = parameter_label(name)
        required = not spec.nullable
        if spec.nullable:
            help_text = f"{help_text}（可留空：未录入）" if "留空" not in help_text else help_text
        current = values.get(name)
        if spec.kind in ("money", "ratio"):
            field = _number_field(spec.kind, label=label, unit=unit, help_text=help_text, required=required)
            field.initial = _shown(spec.kind, current)
            fields[_field_name(name)] = field
        elif spec.kind in ("money_by_level", "ratio_by_level", "money_by_key"):
            for key in _keys(spec):
                field = _number_field(spec.kind, label=f"{label}（{PARAMETER_KEY_LABELS.get(key, key)}）", unit=unit,
                                      help_text=help_text, required=required)
                field.initial = _shown(spec.kind, (current or {}).get(key))
                fields[_field_name(name, key)] = field
        elif spec.kind == "int":
            fields[_field_name(name)] = forms.IntegerField(
                label=label, required=required, min_value=0, initial=current,
                help_text=f"单位：{unit}。{help_text}" if unit else help_text,
                widget=forms.NumberInput(attrs={"style": "width: 9em"}))
        elif spec.kind == "month_day":
            fields[_field_name(name)] = forms.RegexField(
                label=label, required=required, regex=r"^\d{2}-\d{2}$", initial=current, help_text=help_text,
                error_messages={"invalid": "请按 月-日 填写，如 10-01"}, widget=forms.TextInput(attrs={"size": 6}))
        elif spec.kind == "age_groups":
            groups = list(current or [])
            for index in range(len(groups) + AGE_GROUP_EXTRA_ROWS):
                group = groups[index] if index < len(groups) else {}
                fields[_field_name(name, f"{index + 1}__ages")] = forms.CharField(
                    label=f"{label}：第 {index + 1} 组 年龄", required=False, initial=group.get("ages"),
                    help_text="如 0,14-25,90+（空行不计）" if index >= len(groups) else "",
                    widget=forms.TextInput(attrs={"size": 30}))
                fields[_field_name(name, f"{index + 1}__standard")] = _number_field(
                    "money", label=f"{label}：第 {index + 1} 组 标准", unit=unit, help_text="", required=False)
                fields[_field_name(name, f"{index + 1}__standard")].initial = group.get("standard")
    return fields


def _shown(kind: str, value):
    """A stored value as the field shows it: ratios as percentages (0.55 → 55)."""
    if value is None:
        return None
    if kind.startswith("ratio"):
        return format((Decimal(str(value)) * HUNDRED).normalize(), "f")
    return value


def _stored(kind: str, entered: Decimal | None, before) -> str | None:
    """An entered number as the JSON stores it: a text ("0.55"), the old text when numerically equal."""
    if entered is None:
        return None
    value = entered / HUNDRED if kind.startswith("ratio") else entered
    if before is not None:
        try:
            if Decimal(str(before)) == value:
                return before
        except ArithmeticError:
            pass
    return format(value.normalize(), "f") if kind.startswith("ratio") else format(value, "f")


def parameter_values(region_code: str, cleaned: dict, before: dict | None) -> tuple[dict, dict[str, str]]:
    """(the JSON object of the submitted fields, {form field: error}) — the errors of ``validate_values``
    are put on the field they concern, in Chinese."""
    before = before or {}
    spec_all = REGIONS[region_code].PARAMETERS
    values: dict = {}
    for name, spec in spec_all.items():
        old = before.get(name)
        if spec.kind in ("money", "ratio"):
            values[name] = _stored(spec.kind, cleaned.get(_field_name(name)), old)
        elif spec.kind in ("money_by_level", "ratio_by_level", "money_by_key"):
            entered = {key: cleaned.get(_field_name(name, key)) for key in _keys(spec)}
            if all(v is None for v in entered.values()) and spec.nullable:
                values[name] = None
            else:
                values[name] = {key: _stored(spec.kind, v, (old or {}).get(key)) for key, v in entered.items()}
        elif spec.kind in ("int", "month_day"):
            values[name] = cleaned.get(_field_name(name)) if cleaned.get(_field_name(name)) not in ("",) else None
        elif spec.kind == "age_groups":
            groups, index = [], 1
            while _field_name(name, f"{index}__ages") in cleaned:
                ages = (cleaned.get(_field_name(name, f"{index}__ages")) or "").strip()
                standard = cleaned.get(_field_name(name, f"{index}__standard"))
                if ages or standard is not None:
                    old_group = next((g for g in (old or []) if g.get("ages") == ages), {})
                    groups.append({"group": len(groups) + 1, "standard": _stored("money", standard,
                                                                                  old_group.get("standard")),
                                   "ages": ages})
                index += 1
            values[name] = groups or None
    errors: dict[str, str] = {}
    for name, message in validate_values(spec_all, values):
        spec = spec_all.get(name)
        if spec is None:
            continue
        target = (_field_name(name, _keys(spec)[0]) if spec.kind in ("money_by_level", "ratio_by_level", "money_by_key")
                  else _field_name(name, "1__ages") if spec.kind == "age_groups" else _field_name(name))
        errors[target] = f"{parameter_label(name)[0]}：{parameter_message(message)}"
    return values, errors


def parameter_table(region_code: str, values: dict) -> str:
    """A frozen set's parameters, read-only: one labelled row per parameter with its unit."""
    rows = []
    for name, spec in REGIONS[region_code].PARAMETERS.items():
        label, unit, _help = parameter_label(name)
        rows.append((label, _value_text(spec, values.get(name), unit)))
    body = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    return format_html('<table class="data-table">{}</table>', body)


def _value_text(spec, value, unit: str) -> str:
    if value is None:
        return "未录入"
    if spec.kind == "ratio":
        return display.ratio(value)
    if spec.kind == "money":
        return display.money(value)
    if spec.kind in ("money_by_level", "ratio_by_level", "money_by_key"):
        one = display.ratio if spec.kind == "ratio_by_level" else display.money
        return "；".join(f"{PARAMETER_KEY_LABELS.get(k, k)} {one(v)}" for k, v in value.items())
    if spec.kind == "age_groups":
        return "；".join(f"第{g['group']}组 {g['ages']} 岁：{display.money(g['standard'])}" for g in value)
    return f"{value} {unit}".strip()
