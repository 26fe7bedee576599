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
