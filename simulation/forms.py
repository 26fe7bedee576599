"""The page's form: region, year and up to three drafts, each a label and the parameter set's JSON
(pre-filled with a copy of the set in force). The values are checked by the region's parameter
validation in the service, which names the parameter; this form only parses JSON.
Issue 20's labelled parameter form will replace the JSON text areas."""
import json

from django import forms

from .services import MAX_DRAFTS


class SimulationForm(forms.Form):
    admdvs = forms.ChoiceField(label="统筹区")
    year = forms.IntegerField(label="测算年度", min_value=2000, max_value=2100)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["admdvs"].choices = [(r.admdvs, str(r)) for r in regions]
        for n in range(1, MAX_DRAFTS + 1):
            self.fields[f"label_{n}"] = forms.CharField(label=f"方案{n} 名称", max_length=60, required=False)
            self.fields[f"values_{n}"] = forms.CharField(
                label=f"方案{n} 参数 (JSON)", required=n == 1,
                widget=forms.Textarea(attrs={"rows": 12, "cols": 90, "style": "font-family:monospace"}),
                help_text="复制自所选年度生效的参数版本；修改需要测算的参数。留空则不使用该方案。" if n == 1 else "")

    def clean(self):
        data = super().clean()
        drafts = []
        for n in range(1, MAX_DRAFTS + 1):
            text = (data.get(f"values_{n}") or "").strip()
            if not text:
                continue
            try:
                values = json.loads(text)
            except json.JSONDecodeError as exc:
                self.add_error(f"values_{n}", f"不是有效的 JSON：{exc}")
                continue
            if not isinstance(values, dict):
                self.add_error(f"values_{n}", "应为 JSON 对象 {参数名: 值}")
                continue
            drafts.append({"label": data.get(f"label_{n}") or f"方案{n}", "values": values})
        data["drafts"] = drafts
        return data
