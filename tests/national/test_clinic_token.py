"""The clinic system account's token check: one statement reads the token, its user, the clinic
account and the provider (staff/authentication.py); an unknown key or a deactivated account is a 401."""
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from national.views import ClinicTokenAuthentication
from tests.factories import make_staff
from tests.national.conftest import clinic_world

NANYANG = "411300"


def test_clinic_token_reads_account_and_provider_in_one_statement(db, api_client):
    # given a clinic's system account
    clinic, _ = clinic_world(api_client, NANYANG)
    # when its token is checked
    with CaptureQueriesContext(connection) as captured:
        user, token = ClinicTokenAuthentication().authenticate_credentials(clinic.token)
    # then one statement, and the account knows its user and provider
    assert len(captured) == 1
    account = user._clinic_account
    assert token.key == clinic.token and account.user is user
    assert account.provider.fixmedins_code == clinic.provider.fixmedins_code


def test_a_staff_token_has_no_clinic_account(db):
    # given a staff user's token (no clinic account)
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=make_staff(all_regions=True, superuser=True))
    # when it is checked at the national door, then the user is found without an account
    user, _ = ClinicTokenAuthentication().authenticate_credentials(token.key)
    assert user._clinic_account is None


def test_unknown_key_and_deactivated_account_are_401(db, api_client):
    # given a clinic and a message
    clinic, member = clinic_world(api_client, NANYANG)
    body = json.dumps(clinic.envelope("1101", {"data": clinic.data_1101(member)}))
    # then a key no token has is refused
    response = api_client.post("/api/national/", data=body, content_type="application/json",
                               HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert response.status_code == 401 and "invalid token" in response.json()["detail"]
    # when the clinic's login is deactivated, then its token is refused alike
    user = clinic.provider.clinic_accounts.get().user
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = api_client.post("/api/national/", data=body, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Token {clinic.token}")
    assert response.status_code == 401 and "invalid token" in response.json()["detail"]
