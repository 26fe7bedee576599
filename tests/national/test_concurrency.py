"""The same msgid sent twice at once: one settlement, both answered with it."""
import threading
from decimal import Decimal

import pytest
from django.db import connection

from claims.models import Claim
from national.models import ClinicAccount
from national.services import national_message_answer
from tests.national.conftest import clinic_world


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_repeats_of_a_msgid_settle_once(api_client):
    # given a visit ready to settle and its 2207 message
    clinic, member = clinic_world(api_client, "411300")
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    message = clinic.envelope("2207", {"data": {k: str(v) if isinstance(v, Decimal) else v for k, v in
                                                clinic.data_2207(psn_no=visit["psn_no"], member=member,
                                                                 mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
                                                                 medfee=Decimal("100.00"),
                                                                 inscp=Decimal("100.00")).items()}},
                              insuplc="411300")
    account = ClinicAccount.objects.select_related("provider", "user").get(provider=clinic.provider)
    answers, start = [], threading.Barrier(2)

    def send():
        try:
            start.wait()
            answers.append(national_message_answer(account=account, message=message, user=account.user))
        finally:
            connection.close()

    # when two requests carry it at the same moment
    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one claim, and both got its answer
    assert Claim.objects.count() == 1
    assert len(answers) == 2 and answers[0] == answers[1] and answers[0]["infcode"] == 0
    assert answers[0]["output"]["setlinfo"]["setl_id"] == Claim.objects.get().setl_id


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_settlements_of_one_visit_at_once_settle_it_once(api_client):
    # given a visit ready to settle and two 2207 messages for it under different msgids (a HIS that
    # retried with a new msgid while the first was still in flight)
    clinic, member = clinic_world(api_client, "411300")
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    data = {k: str(v) if isinstance(v, Decimal) else v for k, v in clinic.data_2207(
        psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
        medfee=Decimal("100.00"), inscp=Decimal("100.00")).items()}
    messages = [clinic.envelope("2207", {"data": data}, insuplc="411300") for _ in range(2)]
    account = ClinicAccount.objects.select_related("provider", "user").get(provider=clinic.provider)
    answers, start = [], threading.Barrier(2)

    def send(message):
        try:
            start.wait()
            answers.append(national_message_answer(account=account, message=message, user=account.user))
        finally:
            connection.close()

    # when both arrive at the same moment (each reads the visit unsettled before either commits)
    threads = [threading.Thread(target=send, args=(m,)) for m in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one claim: one message settled it, the other was refused and wrote nothing — naming the
    # visit when it read the batch before the first committed (the link's re-check), or the batch
    # when it read it after (its details already settled)
    assert Claim.objects.count() == 1
    assert sorted(a["infcode"] for a in answers) == [-1, 0]
    refused = next(a for a in answers if a["infcode"] == -1)
    assert refused["err_msg"].startswith(("data.mdtrt_id:", "data.chrg_bchno:")), refused["err_msg"]
