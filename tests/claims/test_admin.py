"""Admin: list with filters, readable steps, append-only for everyone, 撤销 with confirmation."""
import pytest

from claims.models import Claim
from claims.services import claim_settle
from tests.claims.helpers import request_for
from tests.factories import make_member, make_provider, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(city_admin):
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="2", kind="hospital")
    claim, _ = claim_settle(request=request_for(member=member, provider=provider, visit_at="2024-03-01T10:00",
                                                inscp="800.00"), by=city_admin)
    return claim


def test_changelist_filters_and_detail_steps(client, city_admin, settled):
    client.force_login(city_admin)
    listing = client.get("/admin/claims/claim/", {"status": "settled", "month": "2024-03",
                                                   "fixmedins_code": settled.provider.fixmedins_code})
    assert listing.status_code == 200 and settled.setl_id in listing.content.decode()
    empty = client.get("/admin/claims/claim/", {"month": "2024-04"})
    assert settled.setl_id not in empty.content.decode()
    detail = client.get(f"/admin/claims/claim/{settled.pk}/change/").content.decode()
    assert "起付线" in detail and "按比例支付" in detail and "claim-steps" in detail and "撤销" in detail


def test_nobody_edits_or_deletes_a_settlement(client, city_admin, settled):
    client.force_login(city_admin)
    assert client.get("/admin/claims/claim/add/").status_code == 403
    assert client.post(f"/admin/claims/claim/{settled.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/claims/claim/{settled.pk}/change/", {"hifp_pay": "0.00"})
    settled.refresh_from_db()
    assert settled.hifp_pay == 180


def test_reverse_asks_for_confirmation_then_reverses(client, city_admin, settled):
    client.force_login(city_admin)
    url = f"/admin/claims/claim/{settled.pk}/reverse/"
    confirm = client.get(url)
    assert confirm.status_code == 200 and "确认撤销" in confirm.content.decode()
    assert not Claim.objects.filter(reverses=settled).exists()
    client.post(url, {"confirm": "yes"})
    assert Claim.objects.get(reverses=settled).hifp_pay == -180
    client.post(url, {"confirm": "yes"})  # a second time is refused with a message, nothing written
    assert Claim.objects.count() == 2


def test_reverse_action_needs_the_permission_and_the_scope(client, settled):
    viewer = make_staff(admdvs="370300", perms=["claims.view_claim"])
    client.force_login(viewer)
    assert client.get(f"/admin/claims/claim/{settled.pk}/reverse/").status_code == 403
    other = make_staff(admdvs="370300", districts=["370303"], perms=["claims.view_claim", "claims.reverse_claim"])
    client.force_login(other)
    assert client.get(f"/admin/claims/claim/{settled.pk}/change/").status_code == 404
    assert client.get(f"/admin/claims/claim/{settled.pk}/reverse/").status_code == 404


def test_bulk_action_confirms_then_reverses(client, city_admin, settled):
    client.force_login(city_admin)
    data = {"action": "reverse_selected", "_selected_action": [settled.pk]}
    page = client.post("/admin/claims/claim/", data)
    assert page.status_code == 200 and settled.setl_id in page.content.decode()
    client.post("/admin/claims/claim/", {**data, "confirm": "yes"})
    assert Claim.objects.filter(reverses=settled).exists()
