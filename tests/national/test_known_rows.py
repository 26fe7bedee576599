"""The door's own reads stand in for the engine's (claims/store.py ``LedgerKnown``): the provider's
centre read with the token and the member read with the visit decide as the engine's reads would.

Hand-computed (RULES.md, Nanchang resident scheme): a member signed up with a township centre is
covered at the centre's village clinic (a service point of the centre) at 60 %, no deductible, no
cap: a 100.00 visit there pays 100.00 × 0.60 = 60.00 from the fund, charged to the centre (the fund
payments of a village clinic go to its centre).
"""
from datetime import date
from decimal import Decimal

from claims.models import Claim
from national.services import clinic_account_ensure
from tests.factories import make_member, make_provider, make_signup
from tests.national.client import Clinic

NANCHANG = "360100"


def test_a_village_clinics_settlement_is_its_centres_with_the_door_read_centre(db, api_client):
    # given a Nanchang township centre, its village clinic's HIS signed in, and a member signed up
    # with the centre
    centre, village, member = village_of_signed_centre()
    # when the village clinic settles the visit of 100.00 (2207)
    answer = settle_100_at(api_client, clinic=village, member=member)
    # then it is covered as at the signed centre: 100.00 × 0.60 = 60.00, charged to the centre
    assert answer["infcode"] == 0, answer["err_msg"]
    assert answer["output"]["setlinfo"]["hifp_pay"] == "60.00"
    claim = Claim.objects.get(setl_id=answer["output"]["setlinfo"]["setl_id"])
    assert claim.hifp_pay == Decimal("60.00")
    assert (claim.provider_id, claim.charged_provider_id) == (village.pk, centre.pk)


def test_a_village_clinic_of_another_centre_is_not_covered(db, api_client):
    # given a member signed up with one centre and a village clinic of another centre
    centre, other = (make_provider(admdvs=NANCHANG, level="1", kind="township") for _ in range(2))
    village = make_provider(admdvs=NANCHANG, level="1", kind="village", parent=other)
    member = make_member(admdvs=NANCHANG)
    make_signup(member=member, provider=centre, effective_from=date(2023, 1, 1))
    # when that village clinic settles the visit
    answer = settle_100_at(api_client, clinic=village, member=member)
    # then the fund pays nothing (elsewhere than the signed provider: 第十三条)
    assert answer["infcode"] == 0, answer["err_msg"]
    assert answer["output"]["setlinfo"]["hifp_pay"] == "0.00"


def village_of_signed_centre() -> tuple:
    """(centre, its village clinic, a member signed up with the centre since 2023), Nanchang."""
    centre = make_provider(admdvs=NANCHANG, level="1", kind="township")
    village = make_provider(admdvs=NANCHANG, level="1", kind="village", parent=centre)
    member = make_member(admdvs=NANCHANG)
    make_signup(member=member, provider=centre, effective_from=date(2023, 1, 1))
    return centre, village, member


def settle_100_at(api_client, *, clinic, member) -> dict:
    """The clinic's HIS signs in, registers a visit of 100.00 with its fee details and settles it (2207)."""
    _, token, _ = clinic_account_ensure(fixmedins_code=clinic.fixmedins_code)
    his = Clinic(api_client=api_client, token=token, provider=clinic)
    his.sign_in()
    visit = his.visit_until_fees(member, amount=Decimal("100.00"))
    return his.send(his.envelope("2207", {"data": his.data_2207(
        psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
        medfee=Decimal("100.00"), inscp=Decimal("100.00"))}, insuplc=NANCHANG))
