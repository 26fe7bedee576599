"""Heyuan 第十二条(六) with 第十六条: a member whose selection is out of the city counts in no provider's
capitation; the in-city selection before it counts up to the month before it takes effect."""
from datetime import date

import pytest

from tests.budgets.helpers import approver, lines_by_code, make_member, make_provider, make_signup, post_run

pytestmark = pytest.mark.django_db
HEYUAN = "441600"


def test_an_out_of_city_selection_counts_in_no_capitation(api_client):
    # given three members selecting HY-1 since 2023; one selects GZ-H3 (Guangzhou) from 2024-03-01
    api_client.force_authenticate(approver())
    clinic = make_provider(code="HY-1", admdvs=HEYUAN, kind="community")
    away = make_provider(code="GZ-H3", admdvs="440100", level="3", kind="hospital")
    members = [make_member(admdvs=HEYUAN, birth=date(1980, 1, 1)) for _ in range(3)]
    for member in members:
        make_signup(member=member, provider=clinic, effective_from=date(2023, 1, 1))
    make_signup(member=members[0], provider=away, effective_from=date(2024, 3, 1), reason="address_change")
    # when February and March are run
    february = lines_by_code(api_client, post_run(api_client, HEYUAN, "monthly", "2024-02").json()["id"])
    march = lines_by_code(api_client, post_run(api_client, HEYUAN, "monthly", "2024-03").json()["id"])
    # then February counts 3 members at HY-1: 320 ÷ 12 × 3 = 80.00; March 2: 320 ÷ 12 × 2 = 53.33;
    # and no line is ever made for the out-of-city provider
    assert (february["HY-1"]["members"], february["HY-1"]["quota"]) == (3, "80.00")
    assert (march["HY-1"]["members"], march["HY-1"]["quota"]) == (2, "53.33")
    assert "GZ-H3" not in february and "GZ-H3" not in march
