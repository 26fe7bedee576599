"""Personal accounts 个人账户 as far as the API reaches them (RULES.md "Personal accounts" and each region's
account clause; CONTRACT.md ``acct_used`` → ``acct_pay`` / ``psn_cash_pay``): credited by the README's
``manage.py credit_accounts``, balances read at ``/api/v1/members/{admdvs}/{certno}/account/``, relatives
bound at ``.../relatives/`` (family mutual aid 家庭共济) and paid for with ``acct_payer_certno``."""
from datetime import date

import pytest
from django.core.management import call_command

from tests.contract.world import GANZHOU, HEYUAN, NANCHANG, NANYANG, ZIBO

pytestmark = pytest.mark.django_db
GUANGZHOU = "440100"


def credit(admdvs: str, *periods: str) -> None:
    for period in periods:
        call_command("credit_accounts", admdvs=admdvs, period=period)


def account(w, certno: str):
    return w.client.get(f"/api/v1/members/{w.admdvs}/{certno}/account/")


def balance(w, certno: str) -> str:
    response = account(w, certno)
    assert response.status_code == 200, response.json()
    return response.json()["balance"]


def shares(claim: dict) -> tuple[str, str, str, str]:
    return claim["hifp_pay"], claim["psn_part_amt"], claim["acct_pay"], claim["psn_cash_pay"]


def test_nanyang_account_pays_as_far_as_it_goes_and_a_reversal_refunds_it(world):
    # given an employed member, base 5 000: 2% a month = 100.00; January and February credited → 200.00
    w = world(NANYANG)
    member, clinic, shop = w.member(), w.provider(), w.provider(kind="pharmacy")
    credit(NANYANG, "2024-01", "2024-02")
    assert balance(w, member) == "200.00"
    # when an L1 visit (eligible 200, own-paid 50) uses the account: fund 200 × 60% = 120.00, member
    # share 250 − 120 = 130.00, all from the account
    visit = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "200.00", own="50.00", acct_used=True)
    assert shares(visit) == ("120.00", "130.00", "130.00", "0.00")
    # and a pharmacy purchase without a prescription (not covered by pooling, RULES.md pharmacies: the
    # account may still pay): share 100.00, the account's last 70.00, cash 30.00
    purchase = w.claim(member, shop, "2024-03-02T10:00:00+08:00", "100.00", acct_used=True)
    assert (purchase["reason"], *shares(purchase)) == ("pharmacy_not_covered", "0.00", "100.00", "70.00", "30.00")
    assert balance(w, member) == "0.00"
    # when the visit is reversed: its amounts negated, the 130.00 back in the account
    reversal = w.reverse(visit["setl_id"])
    assert shares(reversal) == ("-120.00", "-130.00", "-130.00", "0.00")
    assert balance(w, member) == "130.00"
    # and a second reversal is a 409 that changes nothing
    assert w.client.post(f"/api/v1/claims/{visit['setl_id']}/reverse/").status_code == 409
    assert balance(w, member) == "130.00"
    # without acct_used the account is not touched: 50 × 60% = 30 fund, 20.00 cash
    assert shares(w.claim(member, clinic, "2024-03-03T10:00:00+08:00", "50.00")) == ("30.00", "20.00", "0.00", "20.00")
    assert balance(w, member) == "130.00"


def test_heyuan_retirement_switches_the_credit_from_the_month_after(world):
    # given a member with base 5 000 whose retirement is processed on 2024-02-10 (办理之日次月起):
    # February is still employed, 2% × 5 000 = 100.00; March retired, the fixed 102.79 (第七条)
    w = world(HEYUAN)
    member = w.member(psn_type="1201", retired_on="2024-02-10")
    credit(HEYUAN, "2024-02", "2024-03")
    entries = account(w, member).json()["entries"]
    assert [(e["kind"], e["amount"]) for e in entries if e["kind"] == "credit"] == [
        ("credit", "100.00"), ("credit", "102.79")]
    assert balance(w, member) == "202.79"


def test_zibo_and_ganzhou_employed_credit_two_percent_of_the_base(world):
    # Zibo 2024: 2% of 5 000, employer part 0 → 100.00; Ganzhou: 2% of 5 000 → 100.00
    for region in (ZIBO, GANZHOU):
        w = world(region)
        member = w.member()
        credit(region, "2024-03")
        assert balance(w, member) == "100.00", region


def test_never_for_public_health_the_visit_recorded_and_its_share_paid_in_cash(world):
    # RULES.md "Personal accounts": never for public health spending; "Common terms": a claim that is
    # not covered is still recorded, with fund payment 0 and a machine-readable reason
    w = world(NANYANG)
    member, clinic = w.member(), w.provider()
    credit(NANYANG, "2024-01")
    claim = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", exclusion="public_health", acct_used=True)
    # then not covered: the whole 100.00 is the member's, and the account pays none of it
    assert (claim["status"], shares(claim)) == ("not_covered", ("0.00", "100.00", "0.00", "100.00"))
    assert balance(w, member) == "100.00"


@pytest.mark.parametrize("exclusion", ["work_injury", "third_party", "abroad"])
def test_outside_basic_insurance_the_account_pays_nothing(world, exclusion):
    # Nanyang 第十条: the account may not pay what basic medical insurance does not cover at all
    w = world(NANYANG)
    member, clinic = w.member(), w.provider()
    credit(NANYANG, "2024-01")
    claim = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", exclusion=exclusion, acct_used=True)
    assert (claim["status"], shares(claim)) == ("not_covered", ("0.00", "100.00", "0.00", "100.00"))
    assert balance(w, member) == "100.00"


def test_at_a_suspended_provider_the_visit_is_recorded_and_the_account_pays_nothing(world):
    # given a funded account and a clinic whose agreement is suspended
    w = world(NANYANG)
    member, clinic = w.member(), w.provider(status="suspended")
    credit(NANYANG, "2024-01")
    # when the visit asks to be paid from the account
    claim = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", acct_used=True)
    # then it is recorded, not covered (provider_inactive), and its share is cash: the account is
    # used only at designated places in good standing
    assert (claim["status"], claim["reason"]) == ("not_covered", "provider_inactive")
    assert shares(claim) == ("0.00", "100.00", "0.00", "100.00")
    assert balance(w, member) == "100.00"


def test_an_inpatient_only_member_has_no_account(world):
    w = world(GANZHOU)
    member = w.member(inpatient_only=True)
    credit(GANZHOU, "2024-03")
    assert account(w, member).status_code == 404
    # and a visit sent with acct_used is recorded, not refused: outside outpatient pooling (RULES.md
    # Ganzhou 第三条), and the account that does not exist pays "as far as it goes", 0.00
    visit = w.claim(member, w.provider(), "2024-04-01T10:00:00+08:00", "80.00", own="20.00", acct_used=True)
    assert (visit["status"], visit["reason"], *shares(visit)) == (
        "not_covered", "inpatient_only_scheme", "0.00", "100.00", "0.00", "100.00")


def test_a_residents_visit_sent_with_acct_used_is_settled_with_nothing_from_an_account(world):
    # given a Nanchang resident (the resident scheme keeps no personal accounts) signed with a centre
    w = world(NANCHANG)
    member, centre = w.member(birth=date(1990, 6, 1)), w.provider()
    assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    # when the clinic system sends acct_used with the visit (eligible 50.00, own-paid 10.00), as clinic
    # systems send the flag with every visit
    visit = w.claim(member, centre, "2024-03-01T10:00:00+08:00", "50.00", own="10.00", acct_used=True)
    # then it is settled as without the flag: fund 50 × 60% = 30.00, share 60 − 30 = 30.00, all cash
    assert (visit["status"], *shares(visit)) == ("settled", "30.00", "30.00", "0.00", "30.00")
    assert visit["acct_used"] is True


def test_a_pending_review_claim_is_not_paid_from_the_account(world):
    # Ganzhou special item while its ratio is unset: pending review, amounts provisional → cash
    w = world(GANZHOU)
    member, hospital = w.member(), w.provider(level="3")
    credit(GANZHOU, "2024-01")
    claim = w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "300.00", benefit="special_item", acct_used=True)
    assert (claim["status"], claim["reason"], *shares(claim)) == (
        "pending_review", "ratio_not_configured", "0.00", "300.00", "0.00", "300.00")
    assert balance(w, member) == "100.00"


def test_an_out_of_area_visit_not_covered_may_still_be_paid_from_the_account(world):
    # an unregistered Nanyang visit in Guangzhou: fund 0 (第十五条), the designated provider's bill
    # of 80.00 may be paid from the account (RULES.md: out-of-pocket costs at designated providers)
    w = world(NANYANG)
    member, away = w.member(), w.provider(level="2", admdvs=GUANGZHOU)
    credit(NANYANG, "2024-01")
    claim = w.claim(member, away, "2024-03-01T10:00:00+08:00", "80.00", acct_used=True)
    assert (claim["reason"], *shares(claim)) == ("out_of_area_not_registered", "0.00", "80.00", "80.00", "0.00")
    assert balance(w, member) == "20.00"


def test_family_mutual_aid_pays_a_bound_spouses_share_and_refuses_the_unbound(world):
    # given a holder with 100.00 and a spouse and a child (members too, without balance of their own)
    w = world(HEYUAN)
    holder = w.member(birth=date(1970, 5, 1))
    spouse, child = w.member(birth=date(1972, 2, 2)), w.member(birth=date(1998, 9, 9))
    clinic = w.provider()
    for person in (holder, spouse, child):
        assert w.signup(person, clinic, applied_on="2024-01-02").status_code == 201
    credit(HEYUAN, "2024-01")
    # when the spouse's visit asks to be paid from the holder's account before any binding: 400
    body = {"acct_used": True, "acct_payer_certno": holder}
    refused = w.claim_response(spouse, clinic, "2024-02-01T10:00:00+08:00", "200.00", **body)
    assert refused.status_code == 400 and "acct_payer_certno" in refused.json()
    # when bound as spouse (consent given)
    bound = w.client.post(f"/api/v1/members/{HEYUAN}/{holder}/relatives/",
                          {"certno": spouse, "relation": "spouse", "consented_on": "2024-01-20"}, format="json")
    assert bound.status_code == 201, bound.json()
    # then L1 employed 70%: 200 → 140 → per-visit cap 60.00; share 140.00: 100.00 from the holder, 40.00 cash
    paid = w.claim(spouse, clinic, "2024-02-01T10:00:00+08:00", "200.00", **body)
    assert shares(paid) == ("60.00", "140.00", "100.00", "40.00")
    assert balance(w, holder) == "0.00"
    # and a "parent" younger than the holder cannot be bound (the certno birth dates decide)
    wrong = w.client.post(f"/api/v1/members/{HEYUAN}/{holder}/relatives/",
                          {"certno": child, "relation": "parent", "consented_on": "2024-01-20"}, format="json")
    assert wrong.status_code == 400


def test_an_employees_account_pays_a_resident_childs_share_in_another_region(world):
    # given a Zibo employee (100.00 credited for March 2024) and their child, a Nanchang resident
    # signed with a township centre (RULES.md: the account may pay the children's out-of-pocket costs)
    zibo, nanchang = world(ZIBO), world(NANCHANG)
    holder = zibo.member(birth=date(1970, 5, 1))
    child, centre = nanchang.member(birth=date(2001, 3, 3)), nanchang.provider()
    assert nanchang.signup(child, centre, applied_on="2024-01-02").status_code == 201
    credit(ZIBO, "2024-03")
    bound = zibo.client.post(f"/api/v1/members/{ZIBO}/{holder}/relatives/",
                             {"certno": child, "relation": "child", "consented_on": "2024-03-01"}, format="json")
    assert bound.status_code == 201, bound.json()
    # when the child's visit (eligible 50, own-paid 30) is paid from the holder's account:
    # fund 50 × 60% = 30.00, share 80 − 30 = 50.00, all from the account
    claim = nanchang.claim(child, centre, "2024-04-01T10:00:00+08:00", "50.00", own="30.00", acct_used=True,
                           acct_payer_certno=holder)
    assert shares(claim) == ("30.00", "50.00", "50.00", "0.00")
    assert balance(zibo, holder) == "50.00"
