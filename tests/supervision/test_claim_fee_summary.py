"""The per-claim fee-detail sums supervision reads (exam_amount, out_of_catalogue_amount,
itemised_amount) as the claims service writes them: single claim, batch, reversal."""
from decimal import Decimal

import pytest

from claims.services import claims_settle_batch
from claims.models import Claim
from tests.claims.helpers import body, request_for
from tests.factories import make_member, make_provider

pytestmark = pytest.mark.django_db
ITEMS = [{"code": "X1", "name": "阿莫西林", "category": "drug", "chrgitm_lv": "03", "amount": "60.00"},
         {"code": "E1", "name": "血常规", "category": "exam", "chrgitm_lv": "02", "amount": "40.00"}]


def _sums(claim: Claim) -> tuple[Decimal, Decimal, Decimal]:
    claim.refresh_from_db()
    return claim.exam_amount, claim.out_of_catalogue_amount, claim.itemised_amount


def test_given_fee_details_when_settled_and_reversed_then_sums_are_kept_and_negated(api_client, city_admin):
    api_client.force_authenticate(city_admin)
    member, provider = make_member(admdvs="370300"), make_provider(admdvs="370300", level="2", kind="hospital")
    with_items = api_client.post("/api/v1/claims/", body(member=member, provider=provider, visit_at="2024-03-01T10:00",
                                                         inscp="80.00", own="20.00", fee_details=ITEMS), format="json")
    without = api_client.post("/api/v1/claims/", body(member=member, provider=provider, visit_at="2024-03-02T10:00",
                                                      inscp="80.00", own="20.00"), format="json")
    original = Claim.objects.get(setl_id=with_items.json()["setl_id"])
    assert _sums(original) == (Decimal("40.00"), Decimal("60.00"), Decimal("100.00"))
    assert _sums(Claim.objects.get(setl_id=without.json()["setl_id"])) == (0, 0, 0)
    reversal = api_client.post(f"/api/v1/claims/{original.setl_id}/reverse/")
    assert reversal.status_code == 201
    assert _sums(Claim.objects.get(setl_id=reversal.json()["setl_id"])) == (
        Decimal("-40.00"), Decimal("-60.00"), Decimal("-100.00"))


def test_given_fee_details_when_settled_in_a_batch_then_sums_are_written():
    member, provider = make_member(admdvs="370300"), make_provider(admdvs="370300", level="2", kind="hospital")
    outcomes = claims_settle_batch(requests=[
        request_for(member=member, provider=provider, visit_at="2024-03-01T10:00", inscp="80.00", own="20.00",
                    fee_details=ITEMS),
        request_for(member=member, provider=provider, visit_at="2024-03-02T10:00")], by=None)
    first, second = (Claim.objects.get(pk=outcome.claim.pk) for outcome in outcomes)
    assert outcomes[0].claim.itemised_amount == Decimal("100.00")
    assert _sums(first) == (Decimal("40.00"), Decimal("60.00"), Decimal("100.00"))
    assert _sums(second) == (0, 0, 0)
