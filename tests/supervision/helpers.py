"""Claim rows written straight into the table (the claims service is another app's subject): each test
states exactly the visits it needs, and each row is counted into supervision's tallies as it is
written (``supervision.tallies.claim_tallies_add``, which lists it as counted ahead of the watermark,
so a catch-up does not count it again). Fee details are written only when ``claims.ClaimItem`` exists."""
import itertools
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps

from claims.models import Claim
from supervision.tallies import claim_tallies_add

_seq = itertools.count(1)
SH = ZoneInfo("Asia/Shanghai")


def has_items() -> bool:
    try:
        apps.get_model("claims", "ClaimItem")
        return True
    except LookupError:
        return False


needs_items = pytest.mark.skipif(not has_items(), reason="claims.ClaimItem (费用明细) is not there yet")


def make_claim(*, member, provider, day: date, total: str, fund: str = "0", ownpay: str = "0", overlmt: str = "0",
               preself: str = "0", items: list[tuple[str, str, str]] = (), hour: int = 9, exclusion=None,
               status: str = "settled", tally: bool = True) -> Claim:
    """items: (category, chrgitm_lv, amount). The claim carries their per-claim sums (exam, chrgitm_lv 03,
    all items) as the claims service writes them. ``tally=False``: not counted into the tallies (the
    caller counts a set at once, or rebuilds them)."""
    total_d = Decimal(total)
    amounts = [(category, level, Decimal(amount)) for category, level, amount in items]
    selfpaid = Decimal(ownpay) + Decimal(overlmt) + Decimal(preself)
    claim = Claim.objects.create(
        setl_id=f"S{next(_seq):09d}", admdvs_id=provider.admdvs_id, district_id=member.district_id, member=member,
        provider=provider, charged_provider=provider, visit_at=datetime.combine(day, time(hour, 0), SH),
        visit_date=day, medfee_sumamt=total_d, fulamt_ownpay_amt=Decimal(ownpay), overlmt_selfpay=Decimal(overlmt),
        preselfpay_amt=Decimal(preself), inscp_scp_amt=total_d - selfpaid, status=status,
        act_pay_dedc=Decimal("0"), pool_prop_selfpay=Decimal("0.6"), hifp_pay=Decimal(fund),
        psn_part_amt=total_d - Decimal(fund), exclusion=exclusion,
        exam_amount=sum((a for category, _, a in amounts if category == "exam"), Decimal("0.00")),
        out_of_catalogue_amount=sum((a for _, level, a in amounts if level == "03"), Decimal("0.00")),
        itemised_amount=sum((a for _, _, a in amounts), Decimal("0.00")))
    if items and has_items():
        ClaimItem = apps.get_model("claims", "ClaimItem")
        for n, (category, level, amount) in enumerate(items):
            ClaimItem.objects.create(claim=claim, code=f"I{n}", name=f"项目{n}", category=category,
                                     chrgitm_lv=level, amount=Decimal(amount))
    if tally:
        claim_tallies_add(claim_ids=[claim.pk])
    return claim


def reverse_claim(original: Claim, *, tally: bool = True) -> Claim:
    """A reversal row: the original's amounts negated, pointing at it."""
    reversal = Claim.objects.create(
        setl_id=f"R{next(_seq):09d}", admdvs_id=original.admdvs_id, district_id=original.district_id,
        member=original.member, provider=original.provider, charged_provider=original.charged_provider,
        visit_at=original.visit_at, visit_date=original.visit_date, medfee_sumamt=-original.medfee_sumamt,
        fulamt_ownpay_amt=-original.fulamt_ownpay_amt, overlmt_selfpay=-original.overlmt_selfpay,
        preselfpay_amt=-original.preselfpay_amt, inscp_scp_amt=-original.inscp_scp_amt, status="reversal",
        act_pay_dedc=-original.act_pay_dedc, pool_prop_selfpay=original.pool_prop_selfpay,
        hifp_pay=-original.hifp_pay, psn_part_amt=-original.psn_part_amt, exam_amount=-original.exam_amount,
        out_of_catalogue_amount=-original.out_of_catalogue_amount, itemised_amount=-original.itemised_amount,
        reverses=original)
    if tally:
        claim_tallies_add(claim_ids=[reversal.pk])
    return reversal
