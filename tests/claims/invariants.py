"""The accumulator invariant: each (member, year) row equals the sum of its claims' deltas."""
from collections import defaultdict
from decimal import Decimal

from claims.facts import accumulator_buckets
from claims.models import Accumulator, Claim


def deltas_sum(member) -> dict[tuple[int, str], Decimal]:
    totals: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for visit_date, deltas in Claim.objects.filter(member=member).values_list("visit_date", "deltas"):
        for name, amount in deltas.items():
            totals[(visit_date.year, name)] += Decimal(amount)
    return {key: amount for key, amount in totals.items() if amount != 0}


def accumulated(member) -> dict[tuple[int, str], Decimal]:
    return {(row.year, name): amount for row in Accumulator.objects.filter(member=member)
            for name, amount in accumulator_buckets(row).items() if amount != 0}
