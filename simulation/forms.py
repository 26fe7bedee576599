"""The page's forms: the region and year first (the parameter fields are the region's), then up to
three drafts, each a name and the region's labelled parameter fields — the same fields as a real
parameter set's form (``policy.admin_parameters``: amounts in 元, ratios as percentages, one field
per level or key, the age-group table), pre-filled with a copy of the set in force that year
(``simulation.services.draft_base``). On submit a draft's fields are put back into the JSON object
the rules read and checked by the same ``validate_values``, each message in Chinese next to the
field it concerns; the service checks the values once more when it creates the run."""
from __future__ import annotations

from django import forms

from policy.admin_parameters import parameter_fields, parameter_values

from .services import MAX_DRAFTS


class SimulationForm(forms.Form):
    admdvs = forms.ChoiceField(label="统筹区")
    year = forms.IntegerField(label="测算年度", min_value=2000, max_value=2100)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["admdvs"].choices = [(r.admdvs, str(r)) for r in regions]


class DraftForm(forms.Form):
    """One draft scenario: its name, whether it is compared (drafts 2 and 3 only: the first always
    is), and the parameter fields ``draft_forms`` adds for the region."""

    use = forms.BooleanField(label="参与测算", required=False, help_text="勾选后该方案参与比较")
    label = forms.CharField(label="方案名称", max_length=60, required=False)
    region_code = ""
    base_values: dict = {}

    def __init__(self, *args, number: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number
        if number == 1:
            del self.fields["use"]

    @property
    def used(self) -> bool:
        """The first draft always; another when its box is ticked (read from the submitted data)."""
        return self.number == 1 or (self.is_bound and self["use"].data)

    def clean(self):
        cleaned = super().clean()
        values, errors = parameter_values(self.region_code, cleaned, self.base_values)
        for field, message in errors.items():
            if field not in self.errors:  # a field's own check (e.g. at most 100 %) already speaks for it
                self.add_error(field, message)
        cleaned["values"] = values
        cleaned["label"] = (cleaned.get("label") or "").strip() or f"方案{self.number}"
        return cleaned


def draft_forms(*, admdvs: str, base, data=None) -> list[DraftForm]:
    """The ``MAX_DRAFTS`` draft forms of a region, pre-filled from ``base`` (the parameter set the
    drafts are copied from); bound to ``data`` when the page was submitted."""
    form_class = type(f"DraftForm{admdvs}", (DraftForm,),
                      {"region_code": admdvs, "base_values": base.values, **parameter_fields(admdvs, base.values)})
    return [form_class(data, prefix=f"d{number}", number=number,
                       initial={"label": f"方案{number}（复制自 {base.version}）"})
            for number in range(1, MAX_DRAFTS + 1)]


def drafts_submitted(forms_: list[DraftForm]) -> list[dict] | None:
    """The used drafts as the service takes them ({"label", "values"}), or None when one of them
    has errors (every used form validated, so each shows its own)."""
    used = [form for form in forms_ if form.used]
    valid = [form.is_valid() for form in used]
    if not all(valid):
        return None
    return [{"label": form.cleaned_data["label"], "values": form.cleaned_data["values"]} for form in used]
