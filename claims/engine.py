"""The settle step: one visit decided and recorded in memory. The only place a claim is decided.

Every path that settles visits — one API claim, a file of visits in Celery partitions, an import
inside its all-or-nothing transaction, a policy simulation — loads a ``Ledger`` (claims/store.py:
members, providers, sign-ups, the locked accumulator rows, the claims already recorded under the
requests' idempotency keys), calls ``claim_settle_step`` once per visit in visit order, and hands
the outcomes to one writer. The step itself sends no query: what it needs is in the ledger, and
what it decides goes back into the ledger (the member's year-to-date buckets move on in memory
exactly as the table's row would) and into its ``Settled`` outcome.

The step, in order (each refusal leaves the ledger as it was):
1. idempotent replay: a key already recorded answers with that claim if the content matches, 409 if
   not (a recorded claim outside the caller's scope is answered as an unknown member);
2. the provider (400 if unknown) and the member (400 if unknown or outside the caller's scope);
   out_of_area derived from the provider's admdvs and the registration in force (a sent value that
   disagrees is a 400 on out_of_area; policy/rules/out_of_area.py); a pharmacy fill's prescriber
   (400 on ``prescribing_fixmedins_code``, claims/prescriptions.py);
3. the sign-up in effect on the visit day (sign-up regions);
4. the region's decision (policy core) on the year-to-date buckets;
5. the settlement row, its fee-detail items, the member share split (personal account or cash);
6. the decision's deltas applied to the member's buckets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from collections.abc import Callable, Mapping, Sequence

from django.core.exceptions import ValidationError

from config.errors import Conflict
from members.models import Member, OutOfAreaRegistration, SignUp
from policy.rules.common import (Decision, MemberFacts, ProviderFacts, RegistrationFacts, SignupFacts, VisitFacts,
                                 apply_deltas)
from policy.rules.out_of_area import OUT_OF_AREA_NAMES, out_of_area_derive, registration_on
from providers.models import Provider
from staff.scope import mask_certno

from .facts import (EMPTY, FactsMemo, charged_provider_for, claim_build, decide, inputs_json, registration_facts,
                    signup_facts, signups_on, visit_facts)
from .ids import setl_id_new
from .models import Claim, ClaimItem
from .prescriptions import prescriber_for
from .requests import ClaimRequest, request_hash_for
from .rows import row_class, row_instance

ZERO = Decimal("0.00")

# (claim, payer_certno) -> what the personal account paid of claim.psn_part_amt; the claim is the
# step's ``Claim`` record (claims/rows.py ``row_class``: the claim's fields and its member and
# provider rows, read as on the instance). Raises
# ValidationError to refuse the visit (e.g. a payer who is not a bound relative).
SharePayer = Callable[[object, "str | None"], Decimal]


@dataclass
class MemberBook:
    """One member as the step sees them."""

    member: Member
    signups: list[SignUp] | None          # history by (effective_from, id); None outside sign-up regions
    buckets: dict[int, dict[str, Decimal]]  # year -> year-to-date buckets (the locked accumulator rows)
    # 异地就医备案, by (start_on, id): claims/store.py loads them for the whole set in one statement, for
    # the members whose visits read them (out of area, or Nanchang); left empty for the others
    registrations: list[OutOfAreaRegistration] = field(default_factory=list)
    # year -> the buckets of a year no visit of the set falls in, held only for the visits of the
    # next January to read (Nanyang's windows opened on 31 December: ``previous_year_buckets``);
    # never moved or written. Empty for the others.
    history: dict[int, dict[str, Decimal]] = field(default_factory=dict)


@dataclass
class Ledger:
    """What a set of visits needs, loaded (and locked) by claims/store.py ``ledger_load``."""

    books: dict[tuple[str, str], MemberBook]  # (admdvs, certno) -> book; only members the caller may see
    providers: dict[str, Provider]            # fixmedins_code -> provider (parent loaded)
    recorded: dict[str, Claim]                # idempotency_key -> claim already recorded under it (or
                                              # decided earlier in this set: its ``Claim`` record)
    scope: object                             # staff.scope.Scope of the caller
    by: object                                # the acting user, None for the system
    parameters: Callable                      # parameters_in_force(admdvs=, day=) -> (set id, params) | None
    pay_share: SharePayer | None = None       # None: no personal-account payment (all cash)
    rows: dict = field(default_factory=dict)  # (member id, year) -> locked Accumulator row, for the writer
    known: FactsMemo = field(default_factory=FactsMemo)  # the core's facts of these rows, made once each
    # (book key, sign-up id or None) -> (SignupFacts, the signed provider): a member's visits of a
    # file mostly fall under one sign-up, whose facts (two frozen records) were made per visit.
    signups_seen: dict = field(default_factory=dict)


@dataclass(slots=True)
class Decided:
    """One visit decided, before anything is recorded: what its ``Claim`` row is built from
    (``claim_build``), and all a replay that records nothing reads (simulation/replay.py)."""

    request: ClaimRequest
    book: MemberBook
    context: VisitContext                # what no bucket or parameter moves (shared by a replay's scenarios)
    charged_provider: Provider
    decision: Decision
    set_id: int | None
    parameters: object                   # the ledger's parameters answer: (set id, Params) | None
    before: dict[str, Decimal]           # the member's year-to-date buckets before the visit

    # The context's parts as properties, not fields of their own: a replay builds a ``Decided`` per
    # visit and scenario (six million for a replayed year) and reads few of them.
    @property
    def member(self) -> Member:
        return self.book.member

    @property
    def provider(self) -> Provider:
        return self.context.provider

    @property
    def day(self) -> date:
        return self.context.day

    @property
    def signup(self) -> SignupFacts | None:
        return self.context.signup

    @property
    def out_of_area(self) -> str:
        return self.context.out_of_area

    @property
    def registration(self) -> RegistrationFacts | None:
        return self.context.registration

    @property
    def prescriber(self) -> Provider | None:
        return self.context.prescriber


@dataclass(slots=True)
class Settled:
    """The step's outcome for one visit: a new claim, a replayed one, or a refusal.

    A claim this step decided is a ``Claim`` record (``row``: claims/rows.py ``row_class``, written
    by claims/store.py ``settled_write``), its items ``ClaimItem`` records; a claim the table held
    already (a replayed key) is the loaded instance (``recorded``). ``record`` reads either (its
    ``setl_id``, ``status``, amounts: a file's answers); ``claim`` is the model instance, made from
    the record when first read (the API's answer, the national message), so a file of visits makes
    none."""

    row: object | None = None
    created: bool = False
    error: ValidationError | Conflict | None = None
    # A tuple when there are none (a refusal, a replay, a simulated decision): made per visit and
    # scenario of a replayed year, where an empty list each time was a tenth of the step's wrapping.
    items: Sequence = ()   # ClaimItem records (claims/rows.py), or none
    recorded: Claim | None = None
    _instance: Claim | None = field(default=None, repr=False)

    @property
    def record(self):
        return self.recorded if self.recorded is not None else self.row

    @property
    def claim(self) -> Claim | None:
        if self.recorded is not None:
            return self.recorded
        if self._instance is None and self.row is not None:
            self._instance = row_instance(Claim, self.row)   # read after the write: saved, with its id
        return self._instance

    @property
    def errors(self) -> dict[str, list[str]]:
        """The refusal as field -> messages (the batch's and the import's report)."""
        if self.error is None:
            return {}
        if isinstance(self.error, Conflict):
            return {"idempotency_key": [self.error.message]}
        return self.error.message_dict


def no_such_member(admdvs: str) -> ValidationError:
    return ValidationError({"certno": [f"统筹区 {admdvs} 无此参保人 (no such member in this region)"]})


def no_such_provider(code: str) -> ValidationError:
    return ValidationError({"fixmedins_code": [f"定点机构 {code} 不存在 (no such provider)"]})


def out_of_area_disagrees(sent: str, derived: str) -> ValidationError:
    return ValidationError({"out_of_area": [
        f"异地就医类别应为 {derived}（{OUT_OF_AREA_NAMES[derived]}，由就医机构所在地和参保人的异地就医备案确定），"
        f"请求为 {sent} (out_of_area disagrees with the provider's admdvs and the member's registrations: "
        f"{derived})"]})


def replay_conflict(key: str, existing: Claim) -> Conflict:
    return Conflict(f"幂等键 {key} 已用于内容不同的结算 {existing.setl_id} "
                    "(idempotency key already used with different content)", code="idempotency_conflict")


def claim_settle_step(request: ClaimRequest, *, ledger: Ledger) -> Settled:
    """Decide one visit against the ledger (see the module docstring); never raises for a refusal."""
    try:
        return _settle(request, ledger)
    except (ValidationError, Conflict) as exc:
        return Settled(error=exc)


def claim_decide_step(request: ClaimRequest, *, ledger: Ledger, explain: bool = True) -> Decided:
    """The same step without the record, for a replay that records nothing (policy simulation):
    the decision and the member's buckets moved on, no ``Claim`` row built. The ledger must hold
    no recorded keys and no account payer (``store.ledger_load_fresh``): a replay has nothing to
    answer a key with and pays no account, so what is left of the step is exactly the part that
    decides. ``explain=False``: the decision without its steps (nothing records them;
    policy/rules/adjudication.py ``Claim``): the same amounts, status and deltas.

    Returns the ``Decided`` itself and RAISES the refusal (``ValidationError``), leaving the ledger
    as it was: a replay runs this once per visit and scenario (six million times for a replayed
    year), where wrapping each answer in a ``Settled`` was a tenth of the step outside the rules."""
    decided = visit_decide(request, ledger, explain=explain)
    decided_apply(decided, ledger)
    return decided


def _settle(request: ClaimRequest, ledger: Ledger) -> Settled:
    request_hash = request_hash_for(request)
    key = request.idempotency_key
    if key and key in ledger.recorded:
        existing = ledger.recorded[key]
        if not ledger.scope.covers(admdvs=existing.admdvs_id, district=existing.district_id):
            raise no_such_member(request.admdvs)
        if existing.request_hash != request_hash:
            raise replay_conflict(key, existing)
        # A claim of the table, or one this set decided a moment ago (its record, written with the set).
        return Settled(recorded=existing) if isinstance(existing, Claim) else Settled(row=existing)
    decided = visit_decide(request, ledger)
    member, provider, day = decided.member, decided.provider, decided.day
    claim = claim_build(
        setl_id=setl_id_new(admdvs=member.admdvs_id, day=day), request=request, member=member, provider=provider,
        charged_provider=decided.charged_provider, decision=decided.decision, parameter_set_id=decided.set_id,
        inputs=inputs_json(request, member, provider, decided.signup, decided.before, decided.parameters,
                           registration=decided.registration, prescriber=decided.prescriber, known=ledger.known,
                           previous=previous_year_buckets(decided.book, day)),
        request_hash=request_hash, by=ledger.by, out_of_area=decided.out_of_area)
    _share_split(claim, request, ledger.pay_share)   # may refuse the visit: before the buckets move
    decided_apply(decided, ledger)
    if key:
        ledger.recorded[key] = claim  # a second visit under the same key in this set replays it
    if not request.fee_details:   # most visits: the outcome's empty tuple, no list made
        return Settled(row=claim, created=True)
    item_record = row_class(ClaimItem)   # claim_id given by the writer, once the claim has its id
    items = [item_record(code=d.code, name=d.name, category=d.category, chrgitm_lv=d.chrgitm_lv, amount=d.amount)
             for d in request.fee_details]
    return Settled(row=claim, created=True, items=items)


def visit_decide(request: ClaimRequest, ledger: Ledger, *, explain: bool = True) -> Decided:
    """Steps 2 to 4: the provider and member, out of area, the prescriber, the sign-up, the region's
    decision (with its steps unless ``explain`` is False). Raises the refusals; changes nothing in
    the ledger."""
    known = ledger.known
    last = known.last_visit
    if last is not None and last[0] is request:
        context = last[1]   # the same request again on the same rows: a replay's next scenario
    else:
        context = visit_context(request, ledger)
        known.last_visit = (request, context)
    # This ledger's own book (a replay's scenarios share the rows, each has its own buckets).
    book = ledger.books.get(context.book_key)
    if book is None:
        raise no_such_member(request.admdvs)
    day = context.day
    parameters = ledger.parameters(admdvs=context.admdvs, day=day)
    before = book.buckets[day.year]
    decision, set_id = decide(admdvs=context.admdvs, visit=context.visit, member=context.member_facts,
                              provider=context.provider_facts, signup=context.signup, parameters=parameters,
                              buckets=before, year=day.year, explain=explain,
                              previous=previous_year_buckets(book, day))
    # By position, eight fields (the context's parts are properties): with its former thirteen
    # fields by keyword, building a ``Decided`` cost 1.9 µs against 0.23 now, once per visit and
    # scenario (timeit, CPython 3.11).
    return Decided(request, book, context, charged_provider_for(decision, context.provider, context.signup_provider),
                   decision, set_id, parameters, before)


def previous_year_buckets(book: MemberBook, day: date) -> Mapping[str, Decimal]:
    """The previous year's buckets for a visit in January, as they stand now (moved by the set's own
    visits of that year, if any; else as loaded), empty otherwise or when the member has no row for
    that year (no row, no window). Only a region whose windows cross the year end reads them
    (policy/rules/nanyang.py ``WINDOWS_CROSS_THE_YEAR``), and only the loader of such a region's
    members holds them (claims/store.py ``_previous_years``)."""
    if day.month != 1:
        return EMPTY
    year = day.year - 1
    found = book.buckets.get(year)
    return found if found is not None else book.history.get(year, EMPTY)


@dataclass(slots=True)
class VisitContext:
    """A visit's facts that no year-to-date bucket and no parameter set moves: its provider, member,
    day, sign-up, out-of-area status, prescriber and the core's facts of them. Made from the request
    and the ledger's rows only, so a replay that decides the same request under several scenarios
    (ledgers sharing the loaded rows and their ``FactsMemo``) makes it once (``visit_decide``)."""

    admdvs: str                       # the member's region: whose rules decide
    book_key: tuple[str, str]         # the member's book in the ledger: (admdvs, certno) of the request
    day: date
    provider: Provider
    signup: SignupFacts | None
    signup_provider: Provider | None
    out_of_area: str
    registration: RegistrationFacts | None
    prescriber: Provider | None
    visit: VisitFacts
    member_facts: MemberFacts
    provider_facts: ProviderFacts


def visit_context(request: ClaimRequest, ledger: Ledger) -> VisitContext:
    """Step 2 and the sign-up of step 3 (the refusals in the step's order), and the core's facts."""
    provider = ledger.providers.get(request.fixmedins_code)
    if provider is None:
        raise no_such_provider(request.fixmedins_code)
    book_key = (request.admdvs, request.certno)
    book = ledger.books.get(book_key)
    if book is None:
        raise no_such_member(request.admdvs)
    member, day = book.member, request.visit_local.date()

    signup = signup_provider = None
    if book.signups is not None:
        in_effect, first = signups_on(book.signups, day)
        # The core's facts of the sign-up in effect, made once per member and sign-up (``Ledger.signups_seen``).
        seen = ledger.signups_seen
        key = (book_key, in_effect.pk if in_effect is not None else None)
        made = seen.get(key)
        if made is None:
            made = seen[key] = (signup_facts(in_effect, first), in_effect.provider if in_effect else None)
        signup, signup_provider = made

    registrations = registration_facts(book.registrations) if book.registrations else ()
    in_force = registration_on(registrations, day) if registrations else None
    admdvs = member.admdvs_id
    out_of_area, registration = out_of_area_derive(
        member_admdvs=admdvs, provider_admdvs=provider.admdvs_id, in_force=in_force)
    if request.out_of_area is not None and request.out_of_area != out_of_area:
        raise out_of_area_disagrees(request.out_of_area, out_of_area)
    # A pharmacy fill's prescriber: of the member's region or of the registration's destination
    # (none without a prescription: prescriber_for's own first answer, without the call).
    prescriber = None if request.prescribing_fixmedins_code is None else prescriber_for(
        code=request.prescribing_fixmedins_code, provider=provider, member=member, providers=ledger.providers,
        destination=in_force.dest_admdvs if in_force else None)
    known = ledger.known
    # By position, in the fields' order: a dataclass's ``__init__`` matches keywords one by one, and
    # twelve of them cost about 1 µs more than the same twelve by position (CPython 3.11; once a visit).
    return VisitContext(
        admdvs, book_key, day, provider, signup, signup_provider, out_of_area, registration, prescriber,
        visit_facts(request, out_of_area=out_of_area, registration=registration, prescriber=prescriber),
        known.member(member, day, registrations), known.provider(provider))


def decided_apply(decided: Decided, ledger: Ledger) -> None:
    """Step 6: the decision's deltas added to the member's year-to-date buckets (in memory)."""
    if decided.decision.deltas:
        buckets = decided.book.buckets
        buckets[decided.context.day.year] = apply_deltas(decided.before, decided.decision.deltas)


def _share_split(claim, request: ClaimRequest, pay_share: SharePayer | None) -> None:
    """The member share ``psn_part_amt`` = ``acct_pay`` (personal account 个人账户, as far as its
    balance goes) + ``psn_cash_pay``. A visit held for review pays nothing from the account yet."""
    if not (claim.acct_used and pay_share is not None and claim.status != Claim.Status.PENDING_REVIEW):
        return
    claim.acct_pay = pay_share(claim, request.acct_payer_certno)
    claim.psn_cash_pay = claim.psn_part_amt - claim.acct_pay
    if request.acct_payer_certno:
        # Masked like the request's certnos (claims.facts.inputs_json): the account entry names the payer.
        claim.inputs = {**claim.inputs, "acct_payer_certno": mask_certno(request.acct_payer_certno)}
