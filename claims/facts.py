"""From database rows to the policy core's inputs, and from its ``Decision`` to a ``Claim`` row.

Pure helpers of the settle step (claims/engine.py): no queries.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from members.models import Member, OutOfAreaRegistration, SignUp
from policy import rules
from policy.rules.common import (FUND, WINDOW_PREFIX, Decision, MemberFacts, ProviderFacts, RegistrationFacts,
                                 SignupFacts, VisitFacts, YearToDate, frozen_new)
from providers.models import Provider
from staff.scope import mask_certnos_in

from .models import Claim
from .rows import row_class
from .requests import ClaimRequest

ZERO = Decimal("0.00")
# No buckets (read only): the previous year's for the visits that read none.
EMPTY: Mapping[str, Decimal] = MappingProxyType({})


def member_facts(member: Member, day: date, registrations: tuple[RegistrationFacts, ...] = ()) -> MemberFacts:
    # Certified diseases compared in the claims' lower case (``hypertension``: the ``benefit`` codes
    # of RULES.md "Ganzhou"), however they were entered: the API keeps them so, the admin's JSON
    # field keeps what staff typed, and an upper-case certification must not go unmatched.
    diseases = member.chronic_diseases
    return MemberFacts(
        person_type=member.person_type_on(day), birth_date=member.brdy, enrolled_on=member.enrolled_on,
        left_on=member.left_on, poverty=member.poverty,
        chronic_diseases=frozenset(str(code).lower() for code in diseases) if diseases else frozenset(),
        registrations=registrations,
        inpatient_only=member.inpatient_only)


class FactsMemo:
    """The policy core's facts of the providers and members of one set of visits, made once each
    (a provider's facts for every visit there; a member's for each person type, the only fact that
    moves with the visit day). Lives as long as the ledger that loaded the rows."""

    __slots__ = ("providers", "members", "last_visit", "recorded_parts")

    def __init__(self) -> None:
        self.providers: dict[str, ProviderFacts] = {}
        self.members: dict[tuple[int, str], MemberFacts] = {}
        # The parts of a claim's recorded ``inputs`` that are the same for every visit of a member
        # (for a person type), of a provider or of a sign-up (``inputs_json``): made once each.
        self.recorded_parts: dict[tuple, dict] = {}
        # (request, claims.engine.VisitContext) of the last visit decided on these rows: a replay
        # decides each request under every scenario in turn (one entry: nothing grows).
        self.last_visit: tuple | None = None

    def provider(self, provider: Provider) -> ProviderFacts:
        facts = self.providers.get(provider.fixmedins_code)
        if facts is None:
            facts = self.providers[provider.fixmedins_code] = provider_facts(provider)
        return facts

    def member(self, member: Member, day: date, registrations: tuple[RegistrationFacts, ...]) -> MemberFacts:
        if registrations:   # rare (out-of-area registrations): made afresh
            return member_facts(member, day, registrations)
        key = (member.pk, member.person_type_on(day))
        facts = self.members.get(key)
        if facts is None:
            facts = self.members[key] = member_facts(member, day)
        return facts


def registration_facts(rows: list[OutOfAreaRegistration]) -> tuple[RegistrationFacts, ...]:
    """A member's registrations (rows in (start_on, id) order) as the core's facts."""
    return tuple(RegistrationFacts(kind=r.kind, dest_admdvs=r.dest_admdvs, start_on=r.start_on, end_on=r.end_on,
                                   cancelled_on=r.cancelled_on, id=r.pk) for r in rows)


def provider_facts(provider: Provider) -> ProviderFacts:
    return ProviderFacts(code=provider.fixmedins_code, level=provider.benefit_level, kind=provider.kind,
                         status=provider.status, admdvs=provider.admdvs_id, parent_code=provider.parent_id)


def signup_facts(in_effect: SignUp | None, first: SignUp | None) -> SignupFacts:
    return SignupFacts(provider=provider_facts(in_effect.provider) if in_effect else None,
                       family_doctor=bool(in_effect and in_effect.family_doctor),
                       first_effective_on=first.effective_from if first else None)


def signups_on(history: list[SignUp], day: date) -> tuple[SignUp | None, SignUp | None]:
    """(in effect on ``day``, first ever) from a member's history sorted by (effective_from, id)."""
    in_effect = None
    for signup in history:
        if signup.effective_from <= day:
            in_effect = signup
        else:
            break
    return in_effect, (history[0] if history else None)


def visit_facts(request: ClaimRequest, *, out_of_area: str = "none",
                registration: RegistrationFacts | None = None, prescriber: Provider | None = None) -> VisitFacts:
    """``out_of_area`` and ``registration``: as derived by the settle step (policy/rules/out_of_area.py);
    ``prescriber``: a pharmacy fill's checked prescriber (claims/prescriptions.py)."""
    # A dictionary display, not dict(...) of keywords (0.50 against 0.63 µs for these eleven; once a visit).
    return frozen_new(VisitFacts, {
        "visit_at": request.visit_local, "eligible": request.inscp_scp_amt, "total": request.medfee_sumamt,
        "benefit": request.benefit, "emergency": request.emergency, "referral": request.referral,
        "out_of_area": out_of_area, "channel": request.channel, "exclusion": request.exclusion,
        "registration": registration,
        "prescriber": provider_facts(prescriber) if prescriber is not None else None})


def accumulator_buckets(accumulator) -> dict[str, Decimal]:
    """The accumulator row (claims/store.py ``AccumulatorRow``, the locked row's figures) as the
    core's bucket mapping ("fund" is the column, the rest the JSON)."""
    buckets = {name: Decimal(value) for name, value in (accumulator.buckets or {}).items()}
    if accumulator.fund_paid:
        buckets[FUND] = Decimal(accumulator.fund_paid)
    return buckets


def accumulator_store(accumulator, buckets: dict[str, Decimal]) -> None:
    """Put a bucket mapping back on the row (not saved)."""
    accumulator.fund_paid = buckets.get(FUND, ZERO)
    accumulator.buckets = {name: str(amount) for name, amount in sorted(buckets.items()) if name != FUND}


def decide(*, admdvs: str, visit: VisitFacts, member: MemberFacts, provider: ProviderFacts,
           signup: SignupFacts | None, parameters, buckets: dict[str, Decimal],
           year: int, explain: bool = True, previous: Mapping[str, Decimal] = EMPTY) -> tuple[Decision, int | None]:
    """Ask the core of region ``admdvs``; ``parameters`` is ``parameters_in_force(...)``'s answer.
    (decision, set id). The facts are the core's own (claims/engine.py ``visit_context`` makes them:
    ``visit_facts``, ``FactsMemo``). ``explain=False``: no steps (a replay that records nothing).
    ``previous``: the previous year's buckets for a visit in January (claims/engine.py
    ``previous_year_buckets``: Nanyang's windows opened on 31 December), else empty."""
    if parameters is None:
        return rules.outside_policy_period(visit=visit, provider=provider), None
    set_id, params = parameters
    decision = rules.adjudicate(admdvs, params=params, member=member, provider=provider, signup=signup, visit=visit,
                                ytd=frozen_new(YearToDate, {"year": year, "buckets": buckets, "previous": previous}),
                                explain=explain)
    return decision, set_id


def steps_json(decision: Decision) -> list[dict]:
    # Inline, not a helper per amount: a claim records about five steps, a file tens of thousands.
    return [{"rule": s.rule, "amount": None if s.amount is None else str(s.amount), "note": s.note}
            for s in decision.steps]


def inputs_json(request: ClaimRequest, member: Member, provider: Provider, signup: SignupFacts | None,
                buckets: dict[str, Decimal], parameters, registration: RegistrationFacts | None = None,
                prescriber: Provider | None = None, known: FactsMemo | None = None,
                previous: Mapping[str, Decimal] = EMPTY) -> dict:
    """The facts the decision saw, for the record (Nanyang windows only for the provider that rates
    the visit: the treating one, or a pharmacy fill's prescriber). The certnos in the request are
    recorded masked: the claim's member (and an account payment's entry) say whose they were, the
    request hash covers the full values, and a recorded full ID would reach every role that may read
    the claim. ``known``: the ledger's memo; the member's, provider's, prescriber's and sign-up's
    parts are then made once per set of visits and shared by its claims' records (never changed
    once made: a record is written, or read, as it is). ``previous``: the previous year's buckets
    the decision saw (a January visit); its December windows at the rating provider, if any, are
    recorded as ``ytd_carried`` (a window opened on 31 December covers 1 January)."""
    day = request.visit_local.date()
    parts = known.recorded_parts if known is not None else {}
    person_type = member.person_type_on(day)
    member_part = parts.get(("member", member.pk, person_type))
    if member_part is None:
        member_part = parts[("member", member.pk, person_type)] = {
            "person_type": person_type, "psn_type": member.psn_type, "poverty": member.poverty,
            "district": member.district_id}
    provider_part = parts.get(("provider", provider.fixmedins_code))
    if provider_part is None:
        provider_part = parts[("provider", provider.fixmedins_code)] = {
            "level": provider.benefit_level, "kind": provider.kind, "status": provider.status,
            "parent_code": provider.parent_id, "admdvs": provider.admdvs_id}
    carried = carried_windows_json(previous, rating=prescriber or provider, year=day.year) if previous else None
    return {
        **({"prescriber": _prescriber_part(prescriber, parts)} if prescriber else {}),
        "request": mask_certnos_in(request.content()),
        "member": member_part,
        "provider": provider_part,
        "registration": None if registration is None else {
            "id": registration.id, "kind": registration.kind, "dest_admdvs": registration.dest_admdvs,
            "start_on": registration.start_on.isoformat(),
            "end_on": registration.end_on.isoformat() if registration.end_on else None,
            "cancelled_on": registration.cancelled_on.isoformat() if registration.cancelled_on else None},
        "signup": None if signup is None else _signup_part(signup, parts),
        "ytd_before": ytd_before_json(buckets, rating=prescriber or provider),
        **({"ytd_carried": carried} if carried else {}),
        "parameter_version": parameters[1].version if parameters else None,
    }


def _prescriber_part(prescriber: Provider, parts: dict) -> dict:
    key = ("prescriber", prescriber.fixmedins_code)
    part = parts.get(key)
    if part is None:
        part = parts[key] = {"code": prescriber.fixmedins_code, "level": prescriber.benefit_level,
                             "kind": prescriber.kind, "admdvs": prescriber.admdvs_id}
    return part


def _signup_part(signup: SignupFacts, parts: dict) -> dict:
    code = signup.provider.code if signup.provider else None
    key = ("signup", code, signup.family_doctor, signup.first_effective_on)
    part = parts.get(key)
    if part is None:
        part = parts[key] = {
            "provider": code, "family_doctor": signup.family_doctor,
            "first_effective_on": signup.first_effective_on.isoformat() if signup.first_effective_on else None}
    return part


def ytd_before_json(buckets: dict[str, Decimal], *, rating: Provider) -> dict[str, str]:
    """The year-to-date buckets before the visit as the claim records them (``inputs.ytd_before``):
    Nanyang windows only of the provider that rates the visit."""
    own_windows = f"{WINDOW_PREFIX}{rating.fixmedins_code}:"
    return {name: str(amount) for name, amount in sorted(buckets.items())
            if not name.startswith(WINDOW_PREFIX) or name.startswith(own_windows)}


def carried_windows_json(previous: Mapping[str, Decimal], *, rating: Provider, year: int) -> dict[str, str]:
    """The previous year's Nanyang windows at the rating provider opened in its December, as a
    January visit's claim records them (``inputs.ytd_carried``): the ones that may reach into January
    (the core decides which one, if any, is still open at the visit)."""
    december = f"{WINDOW_PREFIX}{rating.fixmedins_code}:{year - 1}-12-"
    return {name: str(amount) for name, amount in sorted(previous.items()) if name.startswith(december)}


def claim_build(*, setl_id: str, request: ClaimRequest, member: Member, provider: Provider,
                charged_provider: Provider, decision: Decision, parameter_set_id: int | None, inputs: dict,
                request_hash: str, by, out_of_area: str = "none"):
    """The unsaved settlement row for a decision (member share all cash until ``share_split``), as
    a ``Claim`` record (claims/rows.py ``row_class``: the model's own fields and defaults, no model
    instance; ``row_instance`` makes one for a reader that needs it). A field not named here takes
    its model default, so a new column is one migration and, if its value comes from the visit,
    one line here."""
    local = request.visit_local
    psn_part = request.medfee_sumamt - decision.fund_pay
    exam, out_of_catalogue, itemised = fee_summary(request)
    return row_class(Claim)(
        setl_id=setl_id, admdvs_id=member.admdvs_id, district_id=member.district_id, member_id=member.pk,
        provider_id=provider.pk, charged_provider_id=charged_provider.pk, visit_at=local, visit_date=local.date(),
        benefit=request.benefit, emergency=request.emergency, referral=request.referral,
        out_of_area=out_of_area, channel=request.channel, exclusion=request.exclusion,
        prescribing_provider_id=request.prescribing_fixmedins_code,  # checked by claims/prescriptions.py
        medfee_sumamt=request.medfee_sumamt, fulamt_ownpay_amt=request.fulamt_ownpay_amt,
        overlmt_selfpay=request.overlmt_selfpay, preselfpay_amt=request.preselfpay_amt,
        inscp_scp_amt=request.inscp_scp_amt, status=decision.status, reason=decision.reason,
        act_pay_dedc=decision.deductible, pool_prop_selfpay=decision.ratio, hifp_pay=decision.fund_pay,
        psn_part_amt=psn_part, acct_pay=ZERO, psn_cash_pay=psn_part, acct_used=request.acct_used,
        exam_amount=exam, out_of_catalogue_amount=out_of_catalogue, itemised_amount=itemised,
        deltas={name: str(amount) for name, amount in decision.deltas.items()}, steps=steps_json(decision),
        inputs=inputs, parameter_set_id=parameter_set_id, idempotency_key=request.idempotency_key,
        request_hash=request_hash, created_by_id=by.pk if getattr(by, "pk", None) else None,
        # The three rows the ids came from, for whoever reads the claim next (the API's answer, the account).
        member=member, provider=provider, charged_provider=charged_provider)


def fee_summary(request: ClaimRequest) -> tuple[Decimal, Decimal, Decimal]:
    """(exam_amount, out_of_catalogue_amount, itemised_amount): the sums of the fee-detail items of
    category "exam", of charge level "03" and of all items; 0 without details. Exact (amounts are
    already to the fen)."""
    if not request.fee_details:
        return ZERO, ZERO, ZERO
    exam = out_of_catalogue = itemised = ZERO
    for detail in request.fee_details:
        itemised += detail.amount
        if detail.category == "exam":
            exam += detail.amount
        if detail.chrgitm_lv == "03":
            out_of_catalogue += detail.amount
    return exam, out_of_catalogue, itemised


def charged_provider_for(decision: Decision, provider: Provider, signup_provider: Provider | None) -> Provider:
    """The provider the core charged. The core only ever charges the treating provider, its centre
    or the member's signed provider, all three loaded with the claim's context."""
    code = decision.charged_provider_code
    if code == provider.fixmedins_code:
        return provider
    if provider.parent_id == code:
        return provider.parent
    if signup_provider is not None and signup_provider.fixmedins_code == code:
        return signup_provider
    raise LookupError(f"the rules charged {code}, neither the treating, its centre nor the signed provider")
