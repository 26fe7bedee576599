"""Parameter sets in the admin: pretty JSON, validation naming the key, permissions, frozen once used."""
import datetime
import json

import pytest
from django.urls import reverse

from policy.models import ParameterSet
from tests.factories import make_claim_using, make_staff

pytestmark = pytest.mark.django_db


def nanchang_set():
    return ParameterSet.objects.filter(region_id="360100").order_by("effective_from").first()


def form_data(ps, **changes):
    values = dict(ps.values, **changes)
    return {"region": ps.region_id, "effective_from": ps.effective_from.isoformat(),
            "effective_to": ps.effective_to.isoformat() if ps.effective_to else "",
            "values": json.dumps(values, ensure_ascii=False), "note": ps.note}


def editor():
    return make_staff(admdvs="360100", perms=["policy.view_parameterset", "policy.change_parameterset"])


def test_given_editor_when_opening_a_set_then_values_pretty_printed_in_textarea(client):
    ps = nanchang_set()
    client.force_login(editor())
    html = client.get(reverse("admin:policy_parameterset_change", args=[ps.pk])).content.decode()
    assert "<textarea" in html
    assert '&quot;ratio_signed&quot;: &quot;0.60&quot;' in html  # indented JSON, one key per line
    assert "\n  &quot;ratio_referral&quot;" in html


def test_given_editor_when_saving_a_bad_ratio_then_form_error_names_the_key_and_nothing_changes(client):
    ps = nanchang_set()
    client.force_login(editor())
    response = client.post(reverse("admin:policy_parameterset_change", args=[ps.pk]),
                           form_data(ps, ratio_signed="1.60"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["values"]
    assert any("ratio_signed" in e for e in errors)
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
    assert "<textarea" not in html
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

