"""GET …/account/ and POST …/relatives/ (CONTRACT-style: money strings, 400 naming the field, 404 out of scope)."""
from datetime import date

import pytest

from accounts.models import Relative
from accounts.services import account_credit_month
from members.certno import make_certno
from tests.accounts.conftest import NANYANG, employee
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
CHILD = make_certno(area="411302", birth=date(2000, 6, 6), sequence=41)


def test_account_statement_and_scope(db, api_client):
    # given: a member in district 411302 credited 100.00, staff of that district and of another
    member = employee(NANYANG, base="5000.00", district="411302")
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    url = f"/api/v1/members/{NANYANG}/{member.certno}/account/"
    api_client.force_authenticate(make_staff(admdvs=NANYANG, districts=["411302"]))
    # when
    body = api_client.get(url).json()
    # then
    assert body["balance"] == "100.00"
    entry = body["entries"][0]
    assert (entry["kind"], entry["amount"], entry["running_balance"], entry["period"]) == (
        "credit", "100.00", "100.00", "2024-01-01")
    assert entry["reference"] and entry["date"]
    # and: staff of another district do not see it
    api_client.force_authenticate(make_staff(admdvs=NANYANG, districts=["411303"]))
    assert api_client.get(url).status_code == 404


def test_bind_relative_via_api(db, api_client, city_admin):
    member = employee(NANYANG)
    url = f"/api/v1/members/{NANYANG}/{member.certno}/relatives/"
    api_client.force_authenticate(city_admin)
    # bad input: 400 naming the fields, nothing written
    bad = api_client.post(url, {"certno": CHILD[:-1] + "0" if CHILD[-1] != "0" else CHILD[:-1] + "1",
                                "relation": "child", "consented_on": "2024-01-01"}, format="json")
    assert bad.status_code == 400 and "certno" in bad.json()
    bad = api_client.post(url, {"certno": CHILD, "relation": "neighbour", "consented_on": "x"}, format="json")
    assert bad.status_code == 400 and {"relation", "consented_on"} <= set(bad.json())
    assert not Relative.objects.exists()
    # good input: 201
    good = api_client.post(url, {"certno": CHILD, "relation": "child", "consented_on": "2024-01-01"}, format="json")
    assert good.status_code == 201
    assert good.json()["certno"] == CHILD
    assert api_client.post(url, {"certno": CHILD, "relation": "child", "consented_on": "2024-01-01"},
                           format="json").status_code == 409
    assert len(api_client.get(url).json()) == 1
