"""Parameter sets in the admin: one labelled field per parameter (ratios as percentages), validation
naming the parameter in Chinese, permissions, frozen once used."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from policy.models import ParameterSet
from tests.factories import make_claim_using, make_staff

pytestmark = pytest.mark.django_db


def nanchang_set():
    return ParameterSet.objects.filter(region_id="360100").order_by("effective_from").first()


def form_data(ps, **changes):
    """The form as the page posts it: every parameter in its own field, ratios as percentages."""
    from policy.rules import REGIONS

    values = dict(ps.values, **changes)
    data = {"region": ps.region_id, "effective_from": ps.effective_from.isoformat(),
            "effective_to": ps.effective_to.isoformat() if ps.effective_to else "", "values": "", "note": ps.note}
    for name, spec in REGIONS[ps.region_id].PARAMETERS.items():
        value = values[name]
        percent = spec.kind.startswith("ratio")

        def shown(v, percent=percent):
            return "" if v is None else str(Decimal(v) * 100) if percent else str(v)

        if spec.kind == "age_groups":
            for i, group in enumerate(value, start=1):
                data[f"p__{name}__{i}__ages"], data[f"p__{name}__{i}__standard"] = group["ages"], group["standard"]
        elif isinstance(value, dict):
            data.update({f"p__{name}__{key}": shown(v) for key, v in value.items()})
        else:
            data[f"p__{name}"] = shown(value)
    return data


def editor():
    return make_staff(admdvs="360100", perms=["policy.view_parameterset", "policy.change_parameterset"])


def test_given_editor_when_opening_a_set_then_each_parameter_is_a_labelled_field_with_its_unit(client):
    ps = nanchang_set()
    client.force_login(editor())
    html = client.get(reverse("admin:policy_parameterset_change", args=[ps.pk])).content.decode()
    assert "<textarea" not in html and "&quot;ratio_signed&quot;" not in html  # no JSON on the page
    # 0.60 is shown as 60 (%), the age group's standard 37 in 元
    assert 'name="p__ratio_signed"' in html and 'value="60"' in html and "签约机构报销比例" in html
    assert 'name="p__age_groups__1__standard"' in html and "单位：元/人/年" in html and "单位：%" in html


def test_given_editor_when_saving_a_bad_ratio_then_form_error_names_the_key_and_nothing_changes(client):
    ps = nanchang_set()
    client.force_login(editor())
    response = client.post(reverse("admin:policy_parameterset_change", args=[ps.pk]),
                           form_data(ps, ratio_signed="1.60"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["p__ratio_signed"]
    assert any("100" in e for e in errors)  # the field's own bound: 160 % is over 100 %
    ps.refresh_from_db()
    assert ps.values["ratio_signed"] == "0.60"


def test_given_editor_when_saving_a_good_value_then_saved(client):
    ps = nanchang_set()
    client.force_login(editor())
    response = client.post(reverse("admin:policy_parameterset_change", args=[ps.pk]),
                           form_data(ps, ratio_signed="0.62"))
    assert response.status_code == 302
    ps.refresh_from_db()
    assert ps.values["ratio_signed"] == "0.62"


def test_given_two_age_groups_sharing_an_age_when_saving_then_the_error_is_chinese_and_nothing_changes(client):
    ps = nanchang_set()
    client.force_login(editor())
    groups = [dict(g) for g in ps.values["age_groups"]]
    groups[1]["ages"] = "0,1,10-13,26-32,90+"  # age 0 is in group 1 already
    response = client.post(reverse("admin:policy_parameterset_change", args=[ps.pk]),
                           form_data(ps, age_groups=groups))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["p__age_groups__1__ages"]
    assert errors == ["分年龄组预算标准：年龄 0 同时属于第 1 组和第 2 组"]
    ps.refresh_from_db()
    assert ps.values["age_groups"][1]["ages"] == "1,10-13,26-32,90+"


def test_given_a_ratio_entered_as_a_percentage_when_saved_then_stored_as_the_rules_read_it(client):
    ps = nanchang_set()
    client.force_login(editor())
    data = form_data(ps)
    data["p__ratio_referral"] = "42.5"  # 42.5 % → "0.425"
    data["p__resettled_annual_cap"] = ""  # optional and left empty → null (未录入)
    response = client.post(reverse("admin:policy_parameterset_change", args=[ps.pk]), data)
    assert response.status_code == 302
    ps.refresh_from_db()
    assert ps.values["ratio_referral"] == "0.425" and ps.values["resettled_annual_cap"] is None
    assert ps.values["ratio_signed"] == "0.60"  # unchanged values keep their text


def test_given_view_only_staff_when_posting_a_change_then_refused_and_unchanged(client):
    ps = nanchang_set()
    client.force_login(make_staff(admdvs="360100", perms=["policy.view_parameterset"]))
    assert client.get(reverse("admin:policy_parameterset_change", args=[ps.pk])).status_code == 200
    response = client.post(reverse("admin:policy_parameterset_change", args=[ps.pk]),
                           form_data(ps, ratio_signed="0.62"))
    assert response.status_code == 403
    ps.refresh_from_db()
    assert ps.values["ratio_signed"] == "0.60"


def test_given_a_set_used_by_a_claim_when_editing_then_values_read_only_and_only_end_date_accepted(client):
    from claims.models import Claim

    ps = nanchang_set()
    field_names = {f.name for f in Claim._meta.concrete_fields}
    assert "parameter_set" in field_names
    used = make_claim_using(ps, setl_id="S-ADMIN-1")
    client.force_login(editor())
    url = reverse("admin:policy_parameterset_change", args=[ps.pk])
    html = client.get(url).content.decode()
    assert 'name="p__ratio_signed"' not in html and "签约机构报销比例" in html and "60.00%" in html
    client.post(url, form_data(ps, ratio_signed="0.99"))
    ps.refresh_from_db()
    assert ps.values["ratio_signed"] == "0.60"
    response = client.post(url, {"effective_to": "2023-12-31"})
    assert response.status_code == 302 and used
    ps.refresh_from_db()
    assert ps.effective_to.isoformat() == "2023-12-31"


def test_given_a_used_set_when_ending_it_before_its_last_claim_then_the_form_names_the_date(client):
    ps = nanchang_set()
    make_claim_using(ps, visit_date=datetime.date(2023, 3, 1), setl_id="S-ADMIN-2")
    client.force_login(editor())

    response = client.post(reverse("admin:policy_parameterset_change", args=[ps.pk]), {"effective_to": "2023-02-28"})

    assert response.status_code == 200
    assert any("2023-03-01" in e for e in response.context["adminform"].form.errors["effective_to"])
    ps.refresh_from_db()
    assert ps.effective_to is None

