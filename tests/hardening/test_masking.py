"""Finding 3: a full certno reaches only who may see it (``staff.view_full_certno``): not through a
claim's recorded inputs, an idempotency key built from it, the relatives endpoint or admin, an
account's entries, or an import job's stored errors and error report."""
import io
from datetime import date

import pytest
from django.test import Client

from accounts.models import Relative
from claims.models import Claim
from members.certno import make_certno
from staff.roles import AUDITOR, DISTRICT_CLERK
from staff.scope import mask_certno
from tests.claims.helpers import body
from tests.factories import make_member, make_provider, make_staff

pytestmark = pytest.mark.django_db
ZIBO, ZIBO_DISTRICT = "370300", "370302"
RELATIVE = make_certno(area="370302", birth=date(2001, 2, 3), sequence=21)


@pytest.fixture
def clerk():
    return make_staff(admdvs=ZIBO, districts=[ZIBO_DISTRICT], groups=[DISTRICT_CLERK])


@pytest.fixture
def auditor():
    return make_staff(admdvs=ZIBO, groups=[AUDITOR])


@pytest.fixture
def posted(api_client, clerk):
    # given a clerk's claim whose idempotency key embeds the certno, paid from a relative binding
    member = make_member(admdvs=ZIBO, birth=date(1970, 1, 1))
    provider = make_provider(admdvs=ZIBO, level="2", kind="hospital")
    api_client.force_authenticate(clerk)
    response = api_client.post("/api/v1/claims/", body(member=member, provider=provider, visit_at="2024-03-01T10:00",
                                                       idempotency_key=f"his-{member.certno}-1"), format="json")
    assert response.status_code == 201, response.content
    return member, response.json()["setl_id"]


def test_claim_inputs_and_keys_are_masked_in_the_api_and_in_the_record(api_client, posted, auditor):
    member, setl_id = posted
    # when the clerk reads the claim
    detail = api_client.get(f"/api/v1/claims/{setl_id}/").json()
    # then neither the inputs nor the key show the full certno
    assert member.certno not in str(detail)
    assert detail["idempotency_key"] == f"his-{mask_certno(member.certno)}-1"
    assert detail["inputs"]["request"]["certno"] == mask_certno(member.certno)
    # and the record itself keeps only the masked certno in its inputs (the member row says whose)
    assert member.certno not in str(Claim.objects.get(setl_id=setl_id).inputs)
    # and the auditor, who may see full certnos, sees the key as sent
    api_client.force_authenticate(auditor)
    assert api_client.get(f"/api/v1/claims/{setl_id}/").json()["idempotency_key"] == f"his-{member.certno}-1"


def test_the_claim_admin_page_masks_inputs_and_key(posted, clerk):
    member, setl_id = posted
    client = Client()
    client.force_login(clerk)
    page = client.get(f"/admin/claims/claim/{Claim.objects.get(setl_id=setl_id).pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert member.certno not in html and mask_certno(member.certno) in html


def test_relatives_are_masked_in_the_api_and_the_admin(api_client, clerk):
    # given a member with a bound child
    member = make_member(admdvs=ZIBO, birth=date(1970, 1, 1), contribution_base=5000)
    Relative.objects.create(holder=member, relative_certno=RELATIVE, relation="child", consented_on=date(2024, 1, 1))
    # when the clerk lists the relatives and opens the admin list and detail page
    api_client.force_authenticate(clerk)
    listed = api_client.get(f"/api/v1/members/{ZIBO}/{member.certno}/relatives/")
    client = Client()
    client.force_login(make_staff(admdvs=ZIBO, districts=[ZIBO_DISTRICT], perms=["accounts.view_relative"]))
    admin_list = client.get("/admin/accounts/relative/").content.decode()
    admin_page = client.get(f"/admin/accounts/relative/{Relative.objects.get().pk}/change/").content.decode()
    # then the relative's certno is masked everywhere
    assert listed.status_code == 200 and listed.json()[0]["certno"] == mask_certno(RELATIVE)
    assert RELATIVE not in admin_list and mask_certno(RELATIVE) in admin_list
    assert RELATIVE not in admin_page and mask_certno(RELATIVE) in admin_page


def test_an_import_jobs_errors_and_error_report_mask_certnos(tmp_path):
    # given a members file with a valid certno on a row that fails for another reason
    from openpyxl import load_workbook

    from imports.services import import_file
    from tests.imports.helpers import MEMBER_HEADER, certno, member_row, write_csv

    full = certno(7)
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(7, 参保日期="2099-13-01")])
    # when it is imported
    job = import_file(kind="members", path=str(path))
    # then the stored errors, the preview and the error report show it masked
    assert job.errors and full not in str(job.errors) and full not in str(job.preview)
    sheet = load_workbook(io.BytesIO(job.error_report.read())).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert not any(full in c for c in cells)
    assert mask_certno(full) in cells
