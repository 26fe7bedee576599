"""Export of the filtered admin list: the rows the list shows, masked ID numbers, an access-log entry."""
import csv
import io

import pytest

from staff.models import AccessLog
from tests.factories import make_member, make_staff

pytestmark = pytest.mark.django_db


def _export(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/admin/members/member/export/{query}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_given_clerk_when_exporting_members_then_own_district_only_and_certno_masked(client):
    # Given two members in two Nanchang districts and a clerk of the first district
    own = make_member(admdvs="360100", district="360102", name="李四")
    make_member(admdvs="360100", district="360103", name="王五")
    clerk = make_staff(admdvs="360100", districts=["360102"], perms=["members.view_member"])
    client.force_login(clerk)
    # When exporting the list
    rows = _export(client)
    # Then only the own district's member, with the ID number masked, and the export is logged
    assert len(rows) == 2
    assert own.certno not in rows[1]
    assert own.certno[:6] + "********" + own.certno[-4:] in rows[1]
    assert "王五" not in {cell for row in rows for cell in row}
    assert AccessLog.objects.filter(user=clerk, action="export", what="members.Member").count() == 1


def test_given_full_certno_permission_when_exporting_then_certno_in_full(client):
    member = make_member(admdvs="360100", district="360102")
    auditor = make_staff(admdvs="360100", perms=["members.view_member", "staff.view_full_certno"])
    client.force_login(auditor)
    rows = _export(client, "?_format=csv")
    assert member.certno in rows[1]
