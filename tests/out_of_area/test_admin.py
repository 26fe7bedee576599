"""The admin of out-of-area care: registrations listed with filters, registered and cancelled through
members/registrations.py (refusals on the form, nothing written), shown on the member's page;
out-of-area providers listed and created; new reason codes labelled in Chinese."""
from datetime import date

import pytest
from django.urls import reverse

from members.models import OutOfAreaRegistration
from policy.rules.common import REASONS
from providers.models import Provider
from tests.factories import make_member, make_registration, make_staff

pytestmark = pytest.mark.django_db
PERMS = ["members.view_member", "members.change_member", "members.view_memberchange",
         "members.view_outofarearegistration", "members.add_outofarearegistration"]


def clerk():
    return make_staff(admdvs="411300", districts=["411302"], perms=PERMS)


def test_registration_list_filters_and_scope(client):
    mine = make_member(admdvs="411300", district="411302", name="李四")
    theirs = make_member(admdvs="411300", district="411303", name="王五")
    make_registration(member=mine, kind="long_term", dest_admdvs="440100", start_on=date(2020, 1, 1))
    make_registration(member=mine, kind="temporary", dest_admdvs="320500", start_on=date(2019, 1, 1),
                      end_on=date(2019, 1, 31))
    make_registration(member=theirs, kind="long_term", dest_admdvs="440100", start_on=date(2020, 1, 1))
    client.force_login(clerk())
    url = reverse("admin:members_outofarearegistration_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 2                      # the other district's is not listed
    for query, count in [({"kind__exact": "temporary"}, 1), ({"dest_admdvs": "440100"}, 1), ({"in_force": "yes"}, 1),
                         ({"in_force": "no"}, 1), ({"in_force": "cancelled"}, 0)]:
        assert len(client.get(url, query).context["cl"].result_list) == count, query


def test_register_and_cancel_from_the_admin_and_the_member_page_shows_them(client):
    member = make_member(admdvs="411300", district="411302")
    client.force_login(clerk())
    add = reverse("admin:members_outofarearegistration_add")
    # a refusal is shown on the form and nothing is written
    refused = client.post(add, {"member": member.pk, "kind": "temporary", "dest_admdvs": "440100",
                                "start_on": "2024-05-01"})
    assert refused.status_code == 200 and "end_on" in refused.context["form"].errors
    assert not OutOfAreaRegistration.objects.exists()
    # a valid one is recorded through the service
    response = client.post(add, {"member": member.pk, "kind": "long_term", "dest_admdvs": "440100",
                                 "start_on": "2024-05-01"})
    assert response.status_code == 302
    registration = OutOfAreaRegistration.objects.get(member=member)
    # cancelled before its start: refused on the form
    cancel = reverse("admin:members_outofarearegistration_cancel", args=[registration.pk])
    assert "cancelled_on" in client.post(cancel, {"cancelled_on": "2024-04-01"}).context["form"].errors
    assert client.post(cancel, {"cancelled_on": "2024-06-10"}).status_code == 302
    registration.refresh_from_db()
    assert (registration.end_on, registration.cancelled_on) == (date(2024, 6, 10), date(2024, 6, 10))
    # a second cancellation is a conflict shown on the form
    assert "cancelled_on" in client.post(cancel, {"cancelled_on": "2024-06-20"}).context["form"].errors
    # the member's page lists the registration with its cancellation, and the change history
    page = client.get(reverse("admin:members_member_change", args=[member.pk]))
    text = page.content.decode()
    assert "异地就医备案" in text and "440100" in text and "oar_cancel" in text


def test_out_of_area_providers_in_the_provider_admin(client, city_admin):
    client.force_login(city_admin)
    add = reverse("admin:providers_provider_add")
    response = client.post(add, {"fixmedins_code": "GZ-C1", "fixmedins_name": "广州某社区卫生服务中心",
                                 "admdvs": "440100", "district": "440106", "dedc_hosp_lv": "1",
                                 "kind": "community", "status": "active"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    wrong = client.post(add, {"fixmedins_code": "GZ-C2", "fixmedins_name": "x", "admdvs": "440100",
                              "district": "440306", "dedc_hosp_lv": "1", "kind": "community", "status": "active"})
    assert "district" in wrong.context["adminform"].form.errors
    changelist = reverse("admin:providers_provider_changelist")
    listed = client.get(changelist, {"out_of_area": "yes"})
    assert [p.fixmedins_code for p in listed.context["cl"].result_list] == ["GZ-C1"]
    assert client.get(reverse("admin:providers_provider_change",
                              args=[Provider.objects.get().pk])).status_code == 200


def test_new_reason_codes_have_chinese_labels():
    for code in ("out_of_area_not_registered", "resettlement_cancelled"):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in REASONS[code]), code
