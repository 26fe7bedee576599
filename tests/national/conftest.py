"""A clinic of each region with its system account, signed in (no seeded demo data)."""
from datetime import date

import pytest

from national.services import clinic_account_ensure
from tests.factories import make_member, make_provider, make_signup
from tests.national.client import Clinic

REGIONS = {"nanyang": "411300", "zibo": "370300", "ganzhou": "360700", "nanchang": "360100", "heyuan": "441600"}
SIGNUP_REGIONS = ("360100", "441600")


def clinic_world(api_client, admdvs: str, *, code: str | None = None, kind: str = "township", **member_extra):
    """A level-1 township centre of ``admdvs``, an employed member (resident in Nanchang) signed up
    with it where the region needs a sign-up, and the centre's HIS signed in."""
    provider = make_provider(admdvs=admdvs, level="1", kind=kind, code=code)
    member = make_member(admdvs=admdvs, **member_extra)
    if admdvs in SIGNUP_REGIONS:
        make_signup(member=member, provider=provider, effective_from=date(2023, 1, 1))
    _, token, _ = clinic_account_ensure(fixmedins_code=provider.fixmedins_code)
    clinic = Clinic(api_client=api_client, token=token, provider=provider)
    clinic.sign_in()
    return clinic, member


@pytest.fixture
def world(db, api_client):
    return lambda admdvs, **kw: clinic_world(api_client, admdvs, **kw)
