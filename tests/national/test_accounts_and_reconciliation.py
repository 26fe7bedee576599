"""Clinic system accounts (command, admin, who may call) and the staff reconciliation page."""
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from national.models import ClinicAccount, Reconciliation
from staff.models import AuditEvent
from tests.factories import make_provider, make_staff
from tests.national.conftest import clinic_world

NANYANG = "411300"


def test_clinic_token_command_creates_once_and_prints_the_token_last(db):
    # given a provider without an account
    provider = make_provider(admdvs=NANYANG)
    # when the command runs twice
    first, second = StringIO(), StringIO()
    call_command("clinic_token", provider.fixmedins_code, stdout=first)
    call_command("clinic_token", provider.fixmedins_code, stdout=second)
    # then one account, no staff rights, its token alone on the last line both times, and audited
    account = ClinicAccount.objects.get(provider=provider)
    token = first.getvalue().strip().splitlines()[-1]
    assert token == second.getvalue().strip().splitlines()[-1] == account.user.auth_token.key
    assert not account.user.is_staff and not account.user.has_usable_password()
    assert AuditEvent.objects.filter(model="national.ClinicAccount", object_id=str(account.pk),
                                     action="create").count() == 1
    with pytest.raises(CommandError):
        call_command("clinic_token", "NO-SUCH-CODE", stdout=StringIO())


def test_only_a_clinic_account_reaches_the_interface_and_only_the_interface(db, api_client):
    clinic, member = clinic_world(api_client, NANYANG)
    body = json.dumps(clinic.envelope("1101", {"data": clinic.data_1101(member)}))
    # no token: not authenticated; a staff token: not a clinic account
    assert api_client.post("/api/national/", data=body, content_type="application/json").status_code == 401
    staff = make_staff(all_regions=True, superuser=True)
    api_client.force_authenticate(staff)
    assert api_client.post("/api/national/", data=body, content_type="application/json").status_code == 403
    api_client.force_authenticate(None)
    # the clinic's token does not open the REST API (staff only)
    response = api_client.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {clinic.token}")
    assert response.status_code in (401, 403)
    # a body that is no JSON still gets the national answer
    response = api_client.post("/api/national/", data="{not json", content_type="application/json",
                               HTTP_AUTHORIZATION=f"Token {clinic.token}")
    assert response.status_code == 200 and response.json()["infcode"] == -1


def test_admin_creates_an_account_with_a_token(db, client):
    # given staff in the admin and a provider
    provider = make_provider(admdvs=NANYANG)
    client.force_login(make_staff(all_regions=True, superuser=True))
    # when the account is added
    response = client.post("/admin/national/clinicaccount/add/", {"provider": provider.pk})
    # then it exists with a token shown on its page
    assert response.status_code == 302
    account = ClinicAccount.objects.get(provider=provider)
    page = client.get(f"/admin/national/clinicaccount/{account.pk}/change/")
    assert account.user.auth_token.key in page.content.decode()


def test_unbalanced_days_are_listed_for_staff_until_they_balance(db, api_client, client):
    # given a Nanyang visit of 100.00 settled on 2024-03-04: fund 60.00 (L1 60 %), 1 settlement
    clinic, member = clinic_world(api_client, NANYANG)
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    settled = clinic.send(clinic.envelope("2207", {"data": clinic.data_2207(
        psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
        medfee=Decimal("100.00"), inscp=Decimal("100.00"))}, insuplc=NANYANG))
    assert settled["infcode"] == 0

    def reconcile(fund: str) -> dict:
        return clinic.send(clinic.envelope("3201", {"data": clinic.data_3201(
            insutype="310", setl_optins=NANYANG, day="2024-03-04", medfee=Decimal("100.00"), fund=Decimal(fund),
            acct=Decimal("0"), count=1)}))

    # when the clinic reports 70.00 of fund payments
    wrong = reconcile("70.00")
    # then not balanced, our figure in the description, and the day on the staff page
    assert wrong["output"]["stmtinfo"]["stmt_rslt"] == "1" and "60.00" in wrong["output"]["stmtinfo"]["stmt_rslt_dscr"]
    client.force_login(make_staff(all_regions=True, superuser=True))
    page = client.get("/national/reconciliation/").content.decode()
    assert clinic.provider.fixmedins_code in page and "70.00 / 60.00" in page
    # and a district clerk of another region does not see it
    client.force_login(make_staff(admdvs="370300"))
    assert clinic.provider.fixmedins_code not in client.get("/national/reconciliation/").content.decode()
    # when the clinic reports the right figures, the day balances and leaves the page
    right = reconcile("60.00")
    assert right["output"]["stmtinfo"]["stmt_rslt"] == "0"
    client.force_login(make_staff(all_regions=True, superuser=True))
    assert clinic.provider.fixmedins_code not in client.get("/national/reconciliation/").content.decode()
    assert Reconciliation.objects.count() == 2
