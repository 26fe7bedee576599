"""One page per member (issue 20, point 4): what the staff need about a member in one read — sign-ups,
out-of-area registrations, claims with totals, this year's accumulators, the personal account and
relatives. Only reads, through each app's own selectors; the caller has checked scope already."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum

from .models import Member
from .selectors import member_registration_history, member_signup_history

RECENT_CLAIMS = 20
RECENT_ENTRIES = 10
ZERO = Decimal("0.00")


def member_claims_summary(*, member: Member) -> dict:
    """Totals of the member's claims (one aggregate) and the latest rows. Fund paid and member share are
    net of reversals (a reversal row carries the negative amounts), over settled claims and reversals:
    what the fund actually paid; refused and pending claims are counted but paid nothing."""
    from claims.models import Claim

    claims = Claim.objects.filter(member=member)
    paid = Q(status__in=("settled", "reversal"))
    totals = claims.aggregate(count=Count("id"), settled=Count("id", filter=Q(status="settled")),
                              reversals=Count("id", filter=Q(status="reversal")),
                              fund=Sum("hifp_pay", filter=paid), member_share=Sum("psn_part_amt", filter=paid))
    totals["fund"] = totals["fund"] or ZERO
    totals["member_share"] = totals["member_share"] or ZERO
    recent = list(claims.select_related("provider").order_by("-visit_at", "-id")[:RECENT_CLAIMS])
    return {"totals": totals, "recent": recent}


def member_overview(*, member: Member, year: int | None = None) -> dict:
    from accounts.models import Relative
    from accounts.selectors import account_entries, account_for_member
    from claims.selectors import accumulators_for

    year = year or date.today().year
    account = account_for_member(member_id=member.pk)
    entries = list(account_entries(account=account).order_by("-id")[:RECENT_ENTRIES]) if account else []
    # The year-to-date figures as the claims API gives them: the cap and what is left of it come from
    # the parameter set in force and the region's rules (claims.selectors.accumulators_for).
    ytd = accumulators_for(member=member, year=year)
    return {
        "year": year,
        "signups": list(member_signup_history(member=member).select_related("provider")),
        "registrations": list(member_registration_history(member=member)),
        "claims": member_claims_summary(member=member),
        "ytd": ytd,
        "deductible_total": sum(ytd.get("deductible_paid", {}).values(), ZERO),
        "account": account, "entries": entries,
        "relatives": list(Relative.objects.filter(holder=member).order_by("-consented_on", "-id")),
        "bound_by": list(Relative.objects.filter(relative_certno=member.certno).select_related("holder")
                         .order_by("-consented_on", "-id")),
    }
