"""Provider writes from the admin go through providers.services, refusals shown on the form."""
import pytest
from django.urls import reverse

from providers.models import Provider
from tests.factories import make_provider, make_staff

pytestmark = pytest.mark.django_db

ADD = reverse("admin:providers_provider_add")


def manager():
    return make_staff(admdvs="360100", perms=["providers.view_provider", "providers.add_provider",
                                              "providers.change_provider"])


def provider_form(**changes):
    data = {"fixmedins_code": "H3601029001", "fixmedins_name": "新村卫生室", "admdvs": "360100",
            "district": "360102", "dedc_hosp_lv": "9", "kind": "village", "parent": "", "status": "active",
            "latitude": "", "longitude": ""}
    data.update(changes)
    return data


def test_given_village_clinic_without_centre_when_added_then_refused_with_message_and_nothing_written(client):
    client.force_login(manager())
    response = client.post(ADD, provider_form())
    assert response.status_code == 200
    assert "村卫生室必须填写其一体化管理的乡镇卫生院/社区中心" in response.content.decode()
    assert not Provider.objects.filter(fixmedins_code="H3601029001").exists()


def test_given_village_clinic_with_its_centre_when_added_then_created(client):
    centre = make_provider(code="H3601020001", kind="township", district="360102")
    client.force_login(manager())
    response = client.post(ADD, provider_form(parent=centre.fixmedins_code))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Provider.objects.get(fixmedins_code="H3601029001").parent_id == "H3601020001"


def test_given_provider_when_suspended_in_admin_then_status_date_recorded_by_service(client):
    provider = make_provider(code="H3601020002", district="360102")
    client.force_login(manager())
    data = provider_form(fixmedins_name=provider.fixmedins_name, kind="township", dedc_hosp_lv="1",
                         status="suspended", status_changed_on="")
    response = client.post(reverse("admin:providers_provider_change", args=[provider.pk]), data)
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.status == "suspended" and provider.status_changed_on is not None
