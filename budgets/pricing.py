"""Price settlement lines from the per-provider aggregates (one small loop over providers, never
over members or claims). The arithmetic itself is the region module's pure functions."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from policy.rules import nanchang
from policy.rules.capitation import balance, pro_rata_cuts
from policy.rules.money import ZERO, to_fen


def _blank() -> dict:
    return {"district": None, "groups": defaultdict(lambda: [0, 0]), "actual": ZERO, "claims": 0}


def merge(partials: list[dict]) -> dict[int, dict]:
    """Combine partial aggregates (from one query or from several district pieces) per provider.

    A partial is JSON: {"attribution": [[provider, district, group, member_months, members], ...],
    "claims": [[provider, district, "Σ hifp_pay", count], ...]}. Pieces are disjoint by district, and
    sums are exact decimals, so any split gives the same totals as one piece."""
    per: dict[int, dict] = defaultdict(_blank)
    for part in partials:
        for pid, district, group, months, members in part["attribution"]:
            row = per[int(pid)]
            row["district"] = district
            row["groups"][int(group)][0] += int(months)
            row["groups"][int(group)][1] += int(members)
        for pid, district, total, count in part["claims"]:
            row = per[int(pid)]
            row["district"] = district
            row["actual"] += Decimal(str(total))
            row["claims"] += int(count)
    return per


def _standards(module, params) -> dict[int, Decimal]:
    if module.CAPITATION_BY_AGE_GROUP:
        return {g["group"]: g["standard"] for g in params.get("age_groups")}
    return {0: params.get("capitation_standard")}


def _inputs(row: dict, standards: dict[int, Decimal]) -> dict:
    return {
        "member_months_by_group": {str(g): mm for g, (mm, _) in sorted(row["groups"].items())},
        "members_by_group": {str(g): n for g, (_, n) in sorted(row["groups"].items())},
        # Money as the API writes it everywhere (CONTRACT.md General rules: 2 decimals), not the
        # parameter's own text ("181").
        "standards": {str(g): str(to_fen(s)) for g, s in sorted(standards.items())},
        "claims": row["claims"],
    }


def monthly_lines(module, params, per: dict[int, dict]) -> list[dict]:
    standards = _standards(module, params)
    lines = []
    for pid, row in per.items():
        members = sum(n for _, n in row["groups"].values())
        weighted = sum((standards[g] * n for g, (_, n) in row["groups"].items()), Decimal(0))
        actual = to_fen(row["actual"])
        if module.CAPITATION_BY_AGE_GROUP:           # Nanchang 第二十六条
            quota = module.monthly_quota(standard_total_of_signed_members=weighted)
            paid = module.monthly_paid(actual=actual, quota=quota)
        else:                                        # Heyuan 第十二条(一)
            quota = module.capitation(params, member_months=members)
            paid = module.monthly_prepayment(params, members=members)
        lines.append({"provider_id": pid, "district_id": row["district"], "members": members,
                      "member_months": members, "quota": quota, "actual": actual, "paid": paid,
                      "claims": row["claims"], "inputs": _inputs(row, standards)})
    return lines


def year_end_lines(module, params, per: dict[int, dict], prepaid: dict[int, Decimal],
                   ceilings: dict[str, Decimal]) -> list[dict]:
    standards = _standards(module, params)
    lines = []
    for pid in set(per) | set(prepaid):
        row = per[pid] if pid in per else _blank()
        months = sum(mm for mm, _ in row["groups"].values())
        weighted = sum((standards[g] * mm for g, (mm, _) in row["groups"].items()), Decimal(0))
        actual = to_fen(row["actual"])
        paid_before = prepaid.get(pid, ZERO)
        if module.CAPITATION_BY_AGE_GROUP:           # Nanchang 第二十七–二十九条
            budget = nanchang.budget(params, standard_times_member_months=weighted)
            result = module.year_end(params, budget=budget, actual=actual, prepaid=paid_before)
        else:                                        # Heyuan 第十二条(二)(三)
            budget = module.capitation(params, member_months=months)
            result = module.year_end(params, total=budget, actual=actual, prepaid=paid_before)
        inputs = _inputs(row, standards)
        inputs["explanation"] = result.explanation
        lines.append({"provider_id": pid, "district_id": row["district"],
                      "members": sum(n for _, n in row["groups"].values()), "member_months": months,
                      "budget": budget, "actual": actual, "band": result.band, "determined": result.determined,
                      "ceiling_cut": ZERO, "prepaid": paid_before, "balance_due": result.balance_due,
                      "claims": row["claims"], "inputs": inputs})
    if ceilings:
        apply_ceilings(lines, ceilings)
    return lines


def apply_ceilings(lines: list[dict], ceilings: dict[str, Decimal]) -> None:
    """Nanchang 第二十二条: a district whose determined amounts exceed its fund total has the excess
    cut pro rata to each line's determined amount (``pro_rata_cuts``: the cuts sum exactly to the
    excess); the line keeps the uncut amount in its inputs and shows the cut."""
    by_district: dict[str, list[dict]] = defaultdict(list)
    for line in lines:
        by_district[line["district_id"]].append(line)
    for district, amount in ceilings.items():
        group = by_district.get(district, [])
        total = sum((line["determined"] for line in group), ZERO)
        if total <= amount:
            continue
        cuts = pro_rata_cuts({line["provider_id"]: line["determined"] for line in group}, total - amount)
        for line in group:
            cut = cuts[line["provider_id"]]
            line["inputs"]["ceiling"] = {"district_fund": str(amount), "district_determined": str(total),
                                         "excess": str(total - amount),
                                         "determined_before_cut": str(line["determined"])}
            line["ceiling_cut"] = cut
            line["determined"] = line["determined"] - cut
            line["balance_due"] = balance(line["determined"], line["prepaid"])


def fee_for_service_lines(partials: list[dict]) -> list[dict]:
    """RULES.md "Paying providers": per paid provider, visits, medfee_sumamt and the fund payments
    of the month's rows net of reversals; ``paid`` = that fund total (before deductions)."""
    per: dict[int, dict] = {}
    for part in partials:
        for pid, district, fund, medfee, visits, rows in part["fee_for_service"]:
            row = per.setdefault(int(pid), {"district": district, "fund": ZERO, "medfee": ZERO, "visits": 0,
                                            "rows": 0})
            row["fund"] += Decimal(str(fund))
            row["medfee"] += Decimal(str(medfee))
            row["visits"] += int(visits)
            row["rows"] += int(rows)
    lines = []
    for pid, row in per.items():
        actual = to_fen(row["fund"])
        lines.append({"provider_id": pid, "district_id": row["district"], "members": 0, "member_months": 0,
                      "visits": row["visits"], "medfee_sumamt": to_fen(row["medfee"]), "actual": actual,
                      "paid": actual, "claims": row["rows"], "inputs": {"claims": row["rows"]}})
    return lines


TOTAL_FIELDS = ("quota", "actual", "paid", "budget", "determined", "ceiling_cut", "prepaid", "balance_due",
                "medfee_sumamt", "deductions", "deductions_carried")


def totals(lines: list[dict]) -> dict:
    result = {"lines": len(lines), "members": sum(line["members"] for line in lines),
              "claims": sum(line["claims"] for line in lines),
              "visits": sum(line.get("visits", 0) for line in lines)}
    for name in TOTAL_FIELDS:
        values = [line[name] for line in lines if line.get(name) is not None]
        if values or name in ("actual",):
            result[name] = str(to_fen(sum(values, ZERO)))
    return result
