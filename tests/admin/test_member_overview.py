"""The member's one page (issue 20, point 4) through Django's test client: sign-ups, registrations,
claims with totals, this year's accumulators with the cap left from the parameters in force, the
personal account and relatives — within the user's districts, certnos masked for who may not see them."""
from datetime import date
from decimal import Decimal

import pytest

from claims.models import Accumulator
from members.certno import make_certno
from staff.roles import AUDITOR, DISTRICT_CLERK
from tests.budgets.helpers import make_claim, reverse_claim
from tests.factories import make_member, make_provider, make_staff

pytestmark = pytest.mark.django_db

NY, DISTRICT = "411300", "411302"


@pytest.fixture
def member():
    """A Nanyang employee (annual cap 1 500.00, RULES.md Nanyang 第五条(三)) with two visits this year,
    one of them reversed, a per-visit deductible of 10.00 paid, and a child bound for mutual aid."""
    from accounts.models import Relative
    from claims.models import Claim

    provider = make_provider(code="OV-1", admdvs=NY, district=DISTRICT)
    member = make_member(admdvs=NY, district=DISTRICT, name="概览甲", birth=date(1970, 2, 3),
                         certno=make_certno(area=DISTRICT, birth=date(1970, 2, 3), sequence=311))
    year = date.today().year
    kept = make_claim(member=member, charged=provider, visit=date(year, 1, 5), hifp_pay="120.00")
    gone = make_claim(member=member, charged=provider, visit=date(year, 1, 6), hifp_pay="30.00")
    reversal = reverse_claim(gone)
    Claim.objects.filter(pk=reversal.pk).update(psn_part_amt=Decimal("-30.00"))    # as the service writes it
    Accumulator.objects.create(member=member, year=year, fund_paid=Decimal("120.00"),
                               buckets={"fund": "120.00", f"window:OV-1:{year}-01-05T09:30": "10.00"})
    Relative.objects.create(holder=member, relative_certno=make_certno(area=DISTRICT, birth=date(1999, 1, 1),
                                                                       sequence=312),
                            relation="child", consented_on=date(2024, 1, 1))
    return member, kept


def test_given_member_when_clerk_opens_overview_then_every_part_with_totals_and_masked_certnos(client, member):
    member, kept = member
    client.force_login(make_staff(admdvs=NY, districts=[DISTRICT], groups=[DISTRICT_CLERK]))

    response = client.get(f"/admin/members/member/{member.pk}/overview/")

    page = response.content.decode()
    claims = page[page.index('id="overview-claims"'):page.index('id="overview-signups"')]
    ytd = page[page.index('id="overview-ytd"'):page.index('id="overview-claims"')]
    # claims: 3 rows (two visits, one reversal); fund 120.00 + 30.00 − 30.00 = 120.00; member share
    # (make_claim: share = fund) 120.00 + 30.00 − 30.00 = 120.00
    # ¥120.00 four times: the two totals and the kept row's fund and share
    assert "3<small>结算记录（其中撤销 1）" in claims and claims.count("¥120.00") == 4
    # this year: deductible 10.00 paid, fund 120.00; cap 1 500.00 (employed); left 1 500.00 − 120.00 = 1 380.00
    assert "¥10.00" in ytd and "¥1,500.00" in ytd and "¥1,380.00" in ytd
    assert f"/admin/claims/claim/{kept.pk}/change/" in claims
    relatives = page[page.index('id="overview-relatives"'):]
    assert "子女" in relatives and "1999" not in relatives                   # the relative's certno masked
    assert member.certno not in page and "概览甲" in page
    # personal data: the view is in the access log, with the member's id and never the certno
    from staff.models import AccessLog
    entry = AccessLog.objects.filter(what="members.Member").latest("id")
    assert entry.object_ids == [str(member.pk)] and "/overview/" in entry.path


def test_given_member_of_another_district_when_clerk_opens_overview_then_404(client, member):
    member, _ = member
    client.force_login(make_staff(admdvs=NY, districts=["411303"], groups=[DISTRICT_CLERK]))

    assert client.get(f"/admin/members/member/{member.pk}/overview/").status_code == 404


def test_given_auditor_when_opening_overview_then_full_certno(client, member):
    member, _ = member
    client.force_login(make_staff(all_regions=True, groups=[AUDITOR]))

    assert member.certno in client.get(f"/admin/members/member/{member.pk}/overview/").content.decode()
