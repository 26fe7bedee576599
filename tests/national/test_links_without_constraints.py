"""The rows a 2207 writes link to the claim, the visit, the provider and the user without a database
foreign-key constraint (national/models.py, above ``Message``; staff.AccessLog.user): the links are
still the ones written, and the ORM still refuses to delete what they reference (``PROTECT``) or
nulls them (``SET_NULL``), as it did with the constraints."""
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError

from claims.models import Claim
from national.models import FeeDetail, Message, NationalSettlement, Visit
from staff.audit import access_log
from staff.models import AccessLog
from tests.national.test_known_rows import settle_100_at, village_of_signed_centre


@pytest.fixture
def settled(db, api_client):
    # given a Nanchang village clinic's 2207 of 100.00 settled (test_known_rows: 100.00 × 0.60 = 60.00
    # from the fund)
    _, village, member = village_of_signed_centre()
    answer = settle_100_at(api_client, clinic=village, member=member)
    assert answer["infcode"] == 0, answer["err_msg"]
    return village, Claim.objects.get(setl_id=answer["output"]["setlinfo"]["setl_id"])


def test_the_settlement_rows_link_the_claim_written_with_them(settled):
    village, claim = settled
    # then the national settlement and the batch's one fee detail name that claim, and its visit
    record = NationalSettlement.objects.get(claim=claim)
    assert record.visit.provider_id == village.pk and claim.hifp_pay == Decimal("60.00")
    assert list(FeeDetail.objects.filter(claim=claim).values_list("visit_id", flat=True)) == [record.visit_id]
    assert Message.objects.filter(provider=village, infno="2207").count() == 1


def test_the_orm_still_protects_what_they_reference(settled):
    village, claim = settled
    # when the claim, the visit or the provider is deleted through the ORM, then it is refused
    for row in (claim, Visit.objects.get(settlements__claim=claim), village):
        with pytest.raises(ProtectedError):
            row.delete()
    assert Claim.objects.filter(pk=claim.pk).exists() and Message.objects.filter(provider=village).exists()


def test_deleting_a_user_still_nulls_their_access_log_entries(db):
    # given a user with an access-log entry
    user = get_user_model().objects.create_user(username="reader", password="x")
    access_log(user=user, action="view", what="members.Member", object_ids=[1], path="/x")
    entry = AccessLog.objects.get(path="/x")
    # when the user is deleted, then the entry stays, without its user (SET_NULL, the ORM's)
    user.delete()
    entry.refresh_from_db()
    assert entry.user_id is None
