"""Monthly credit amounts per region (pure Python, no Django): who gets what for one month.

Sources: Nanyang 第八条/第十一条, Zibo 第五条, Ganzhou 第六条, Heyuan 第七条; RULES.md "Personal accounts".

* Employed (11xx, incl. flexible workers 1103 and, in Heyuan, unemployment/injury-sponsored members):
  ``round(contribution_base × account_rate_employed)``; Zibo 2023 adds the employer part still
  credited (``account_employer_part``, a monthly amount per member — Reading: the parameter is
  entered as money; 0 from 2024), rounded once with the 2% part.
* Retired — a fixed monthly amount, the same for every retired member of the region:
  Nanyang ``round(average_pension × account_rate_retired)`` (2021 city average pension),
  Zibo 2023 ``retired_account_fixed`` (the unchanged pre-reform credit, entered by staff),
  Zibo from 2024 ``round(average_pension × rate)`` with the rate by age (under 70 / 70 and over),
  Ganzhou ``round(average_pension × account_rate_retired)`` (provincial average),
  Heyuan ``retired_account_fixed`` (102.79 for 2022-08 … 2024-12).
* Person type: ``Member.person_type_on(first day of the month)`` — a retirement processed in a
  month switches the credit from the month after (办理之日次月起).
* **Reading (age):** the Zibo age is the age on the first day of the credited month, so the month
  of the 70th birthday is still credited at the under-70 rate and the next month at 2.5%.

A parameter staff have not entered raises ``ParameterNotSet`` naming it; the crediting service then
refuses that part of the run (the retired credits) and still credits the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from policy.rules.money import to_fen
from policy.rules.params import ParameterNotSet, Params

EMPLOYED, RETIRED = "employed", "retired"


@dataclass(frozen=True)
class CreditFacts:
    member_id: int
    person_type: str          # on the first day of the month
    contribution_base: Decimal | None
    age: int                  # on the first day of the month


@dataclass(frozen=True)
class Refusal:
    part: str                 # "employed" / "retired" / "member"
    message: str
    parameter: str | None = None


def retired_amount(*, admdvs: str, params: Params, age: int, month: date) -> Decimal:
    """The fixed monthly credit of a retired member; ``ParameterNotSet`` when staff have not entered it."""
    if admdvs == "370300":  # Zibo 第五条
        if month.year <= 2023:
            return to_fen(params.get("retired_account_fixed"))
        rate_name = "account_rate_retired_70_plus" if age >= 70 else "account_rate_retired_under_70"
        return to_fen(params.get("average_pension") * params.get(rate_name))
    if admdvs == "441600":  # Heyuan 第七条(三)
        return to_fen(params.get("retired_account_fixed"))
    # Nanyang 第八条(二), Ganzhou 第六条(三)
    return to_fen(params.get("average_pension") * params.get("account_rate_retired"))


def employed_amount(*, admdvs: str, params: Params, base: Decimal) -> Decimal:
    exact = base * params.get("account_rate_employed")
    if admdvs == "370300" and params.is_set("account_employer_part"):
        exact += params.get("account_employer_part")
    elif admdvs == "370300" and month_needs_employer_part(params):
        raise ParameterNotSet("account_employer_part")
    return to_fen(exact)


def month_needs_employer_part(params: Params) -> bool:
    """Zibo 2023 credits half of the former employer part: without the figure the 2023 credit is unknown."""
    return params.effective_from.year <= 2023


def credit_amounts(*, admdvs: str, params: Params, month: date, members: list[CreditFacts]
                   ) -> tuple[dict[int, tuple[str, Decimal]], list[Refusal]]:
    """{member_id: (person_type, amount)} for the month, and the refused parts with their reasons."""
    amounts: dict[int, tuple[str, Decimal]] = {}
    refusals: list[Refusal] = []
    refused_parts: dict[str, ParameterNotSet] = {}
    missing_base = 0
    for facts in members:
        if facts.person_type in refused_parts:
            continue
        try:
            if facts.person_type == RETIRED:
                amount = retired_amount(admdvs=admdvs, params=params, age=facts.age, month=month)
            else:
                if facts.contribution_base is None:
                    missing_base += 1
                    continue
                amount = employed_amount(admdvs=admdvs, params=params, base=facts.contribution_base)
        except ParameterNotSet as exc:
            refused_parts[facts.person_type] = exc
            continue
        if amount > 0:
            amounts[facts.member_id] = (facts.person_type, amount)
    for part, exc in refused_parts.items():
        label = "退休人员" if part == RETIRED else "在职人员"
        refusals.append(Refusal(part=part, parameter=exc.name, message=(
            f"{label}个人账户未划入：政策参数 {exc.name} 尚未录入 ({part} credits refused: "
            f"policy parameter {exc.name!r} is not set for {params.version})")))
    if missing_base:
        refusals.append(Refusal(part="member", message=(
            f"{missing_base} 名在职人员缺少缴费基数 contribution_base，未划入 "
            f"({missing_base} employed members have no contribution_base)")))
    for part in refused_parts:
        # Every member of a refused part counts as refused (those seen before the first failure too).
        for member_id in [m for m, (t, _) in amounts.items() if t == part]:
            del amounts[member_id]
    return amounts, refusals


def refused_count(members: list[CreditFacts], refusals: list[Refusal]) -> int:
    parts = {r.part for r in refusals if r.part in (EMPLOYED, RETIRED)}
    count = sum(1 for m in members if m.person_type in parts)
    count += sum(1 for m in members if m.person_type == EMPLOYED and EMPLOYED not in parts
                 and m.contribution_base is None)
    return count
