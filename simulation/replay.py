"""One partition of a simulation: its members' recorded visits replayed in memory, per scenario.

The replay goes through the one settle step (claims/engine.py ``claim_decide_step``: ``claim_settle_step`` without
building the ``Claim`` row, which nothing here records) on a ledger of
its own (claims/store.py ``ledger_load_fresh``: the members, providers and sign-ups a real claim sees,
buckets EMPTY at the start of the year, the previous year's as recorded, nothing locked), with the scenario's
parameters injected through the ledger's ``parameters`` callable. The requests are rebuilt from what
each claim recorded of its request (claims/requests.py ``claim_request_from_content``), so every fact
the original visit carried is seen again. Nothing here writes: the caller stores the tallies.
"""
from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import orjson
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from claims.engine import Decided, Ledger, MemberBook, Settled, claim_decide_step
from claims.facts import ytd_before_json
from claims.requests import claim_request_from_content
from claims.store import ledger_load_fresh
from config.errors import Conflict
from policy import rules
from policy.rules import REGIONS, MemberFacts, SignupFacts
from staff.scope import Scope

ZERO = Decimal("0.00")
EVERYONE = Scope(everything=True, regions=frozenset(), districts=frozenset())
# The breakdowns every scenario is tallied by (issue 22 point 3); "capitation" only in capitation regions.
BREAKDOWNS = ("total", "month", "level", "person_type", "benefit", "status", "provider", "capitation")

Parameters = Callable  # parameters_in_force(admdvs=, day=) -> (set id, Params) | None


@dataclass(slots=True)
class RecordedVisit:
    claim_id: int
    setl_id: str
    member_id: int
    hifp_pay: Decimal
    status: str
    request: object  # ClaimRequest, or None when the recorded content no longer parses
    error: str = ""


@dataclass
class Finding:
    claim_id: int
    setl_id: str
    kind: str
    recorded: Decimal
    replayed: Decimal | None
    note: str


@dataclass
class ScenarioTally:
    """What one scenario's replay of a partition adds up to. Each visit is counted once under its
    combination of breakdown keys (a few hundred distinct ones in a partition); the breakdowns are
    expanded from the combinations once, at the end (``cells``)."""

    combos: dict[tuple, list] = field(default_factory=dict)  # ((month, level, person type, benefit),
    #                                                           status, charged provider, in capitation)
    refused: list = field(default_factory=lambda: [0, ZERO, ZERO])
    members: dict[int, list] = field(default_factory=dict)  # member id -> [fund, at_cap, at_subcap]
    # The baseline's, in visit order. While the partition replays, a difference is held as its
    # (visit, decided) pair beside the refusals' Findings: ``_findings_made`` turns the pairs into
    # Findings with one read of their recorded year-to-dates, keeping the order.
    findings: list[Finding | tuple[RecordedVisit, Decided]] = field(default_factory=list)

    @property
    def cells(self) -> dict[tuple[str, str], list]:
        """(breakdown, key) -> [visits, fund payment, medical costs]."""
        cells: dict[tuple[str, str], list] = defaultdict(lambda: [0, ZERO, ZERO])
        for ((month, level, person, benefit), status, provider, counted), figures in self.combos.items():
            keys = [("total", "all"), ("month", f"{month[0]}-{month[1]:02d}"), ("level", level),
                    ("person_type", person), ("benefit", benefit), ("status", status), ("provider", provider)]
            if counted:
                keys.append(("capitation", provider))
            for key in keys:
                cell = cells[key]
                for n in range(3):
                    cell[n] += figures[n]
        if self.refused[0]:
            cells[("status", "refused")] = list(self.refused)
        return cells


# The period's original, non-reversed visits (over ``claims_claim c``; region, first and last day).
# ``r.reverses_id IS NOT NULL`` adds nothing to the equality but tells the planner the reversals are
# few: it reads them by their unique index instead of scanning every claim a second time to hash
# nothing (the cut of 3 million visits: 7.5 s → 3.7 s).
PERIOD_VISITS = ("c.admdvs = %s AND c.visit_date BETWEEN %s AND %s AND c.reverses_id IS NULL "
                 "AND c.status <> 'reversal' AND NOT EXISTS (SELECT 1 FROM claims_claim r "
                 "WHERE r.reverses_id = c.id AND r.reverses_id IS NOT NULL)")


# The visits' member-id quantiles read with the count, at fractions 1/GRID … (GRID−1)/GRID: the cuts are
# picked from them, so a partition holds its share of the visits to within 1/GRID of the period's.
PARTITION_GRID = 4096


def period_partitions(*, admdvs: str, year: int, visits_per_partition: int) -> tuple[int, list[tuple[int, int]]]:
    """(visits, member id ranges): the period's members cut into about visits ÷ ``visits_per_partition``
    ranges of whole members, in order, each holding about as many visits. The cuts are the member ids
    at the visits' quantiles (``percentile_disc`` over the visits' member ids: one sort of the ids,
    where numbering the distinct members with ``ntile`` took a sort and a window over them too); a
    member with more visits than a partition takes one range alone. One statement, one pass over
    the period's claims: the count and a fine grid of quantiles together (counting first, then
    asking for the quantiles the count called for, read the claims twice: a few seconds of a
    replayed year before any partition could start)."""
    grid = [n / PARTITION_GRID for n in range(1, PARTITION_GRID)]
    with transaction.atomic(), connection.cursor() as cursor:
        planned_for_its_values(cursor)
        # Read by parallel workers: the cut runs alone, before any partition, so one core idles while
        # the server scans every claim of the table (2.3 GB for the bench's 3 million visits) for an
        # 8-byte member id each. The planner counts the scan's pages as I/O that workers do not share
        # and each id sent to the leader at ``parallel_tuple_cost`` (0.1): it chose the serial scan.
        # The pages are in memory and the ids are small: at 0.01 it plans a Gather of a parallel scan,
        # measured on the bench's 3 million visits (serial, then parallel, alternated, a loaded 2-core
        # machine): 8.5 / 8.0 / 7.7 / 4.7 / 5.5 s → 6.3 / 4.0 / 7.2 / 2.6 / 3.0 s. ``SET LOCAL``: the
        # cut's transaction.
        cursor.execute("SET LOCAL parallel_tuple_cost = 0.01")
        cursor.execute("SELECT COUNT(*), MIN(c.member_id), MAX(c.member_id), percentile_disc(%s::float8[]) "
                       f"WITHIN GROUP (ORDER BY c.member_id) FROM claims_claim c WHERE {PERIOD_VISITS}",
                       [grid, admdvs, date(year, 1, 1), date(year, 12, 31)])
        visits, first, last, quantiles = cursor.fetchone()
    if not visits:
        return 0, []
    count = max(1, math.ceil(visits / visits_per_partition))
    # Cut n of count at the grid's quantile nearest n / count (beyond GRID partitions, cuts that meet
    # are one: fewer, larger partitions, still of whole members).
    cuts = [quantiles[min(len(quantiles), max(1, round(n * PARTITION_GRID / count))) - 1] for n in range(1, count)]
    starts = sorted({int(first), *(int(cut) for cut in cuts)})
    ends = [start - 1 for start in starts[1:]] + [int(last)]
    return visits, list(zip(starts, ends))


def planned_for_its_values(cursor) -> None:
    """Have the statements that follow in this transaction planned for their parameters' values.

    The connection forces generic plans (config/settings.py ``plan_cache_mode=force_generic_plan``:
    right for the claim's handful of statements by unique index, planned once per connection); with
    server-side binding that holds for every statement with parameters, prepared or not. Planned
    without the period's dates and the partition's member range, the period cut sorted the claims
    after an anti-join over all of them (13–22 s on 3 million visits, against 5 s), and a partition's
    read cost PostgreSQL 21–23 µs of CPU per visit against 5 (measured on the bench's 3 million:
    nested loops from a parallel bitmap scan of the members). ``SET LOCAL``: only until this
    transaction ends; a statement run once per partition is worth planning each time."""
    cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")


def recorded_visits_sql() -> str:
    """The statement reading a partition's visits; its parameters: ``recorded_visits_params``."""
    # The recorded request holds the certno masked (a full ID may not sit in a claim's inputs), so
    # the member's own certno is read beside it and put back before the request is parsed.
    # A reversal is a row of its original's member (claims/services.py ``_reversal_build`` keeps the
    # member), so the reversals looked for are those of the partition's members: bounded so, the
    # anti-join reads them by the member index, where the period's form hashed every reversal of
    # the table for each partition (a full scan of the claims per partition); the members joined
    # are bounded the same way (PostgreSQL does not carry a range across a join's equality).
    # The recorded year-to-date before each visit is not read here: only a finding shows it, and
    # a finding is rare (none when the baseline reproduces the records), so its claims' are read
    # after the replay (``_findings_made``); read with every visit, it cost PostgreSQL about
    # 0.5 µs of CPU a visit (5.2–5.5 against 5.5–6.5, a partition of 20 000 visits read both ways).
    return ("SELECT c.id, c.setl_id, c.member_id, c.hifp_pay, c.status, "
            "c.inputs -> 'request', m.certno FROM claims_claim c JOIN members_member m ON m.id = c.member_id "
            "AND m.id BETWEEN %s AND %s WHERE c.admdvs = %s AND c.visit_date BETWEEN %s AND %s "
            "AND c.reverses_id IS NULL AND c.status <> 'reversal' AND c.member_id BETWEEN %s AND %s "
            "AND NOT EXISTS (SELECT 1 FROM claims_claim r WHERE r.reverses_id = c.id AND r.member_id BETWEEN %s AND %s)"
            " ORDER BY c.member_id, c.visit_at, c.id")


def recorded_visits_params(*, admdvs: str, year: int, member_lo: int, member_hi: int) -> list:
    return [member_lo, member_hi, admdvs, date(year, 1, 1), date(year, 12, 31), member_lo, member_hi, member_lo,
            member_hi]


def recorded_visits(*, admdvs: str, year: int, member_lo: int, member_hi: int) -> list[RecordedVisit]:
    """The period's original, non-reversed visits of members ``member_lo``..``member_hi``, in each
    member's visit order (the order the replay must follow)."""
    with transaction.atomic(), connection.cursor() as cursor:
        planned_for_its_values(cursor)
        # Without parallel workers: a run's partitions are read by as many Celery workers as there
        # are cores, each its own statement, so a statement's helper processes only shared those
        # cores with them (and were started afresh for each partition): about 1 of the 6-7 µs of
        # server CPU a visit's read cost (the bench's partitions, with and without). ``SET LOCAL``:
        # this transaction only; the period's cut (one statement over the whole year, before any
        # partition runs) keeps them.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(recorded_visits_sql(), recorded_visits_params(admdvs=admdvs, year=year, member_lo=member_lo,
                                                                     member_hi=member_hi))
        rows = cursor.fetchall()
    visits = []
    for claim_id, setl_id, member_id, hifp_pay, status, content, certno in rows:
        request, error = None, ""
        try:
            # Django leaves jsonb from a raw cursor as text (JSONField parses it in from_db_value).
            request = claim_request_from_content(_replayable(orjson.loads(content) if content else {}, certno))
        except ValidationError as exc:
            error = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        visits.append(RecordedVisit(claim_id, setl_id, member_id, hifp_pay, status, request, error))
    return visits


def _replayable(content: dict, certno: str) -> dict:
    """The recorded request as the replay sends it: the member's own certno put back, and the parts
    recorded masked that a replay does not use left out (the key: nothing is recorded, so nothing
    replays; the family account payer: a simulation pays no account)."""
    content["certno"] = certno   # the caller's own dictionary, just parsed from the row: changed in place
    content.pop("idempotency_key", None)
    # The recorded content says "none" for out_of_area when the clinic sent nothing (so old request
    # hashes stay valid), and a sent value was accepted only when it equalled the derived one. Sent
    # back, "none" would be refused as a disagreement for every visit made away from home; dropped,
    # the settle step derives it again from the provider and the registrations, as it did then.
    content.pop("out_of_area", None)
    content.pop("acct_payer_certno", None)
    return content


def partition_replay(*, admdvs: str, visits: list[RecordedVisit],
                     scenarios: list[tuple[int, bool, Parameters]]) -> dict[int, ScenarioTally]:
    """Replay ``visits`` under each scenario (id, is baseline, parameters): scenario id -> tally.

    Visit by visit, each visit under every scenario in turn: the scenarios' ledgers share the loaded
    rows and their ``FactsMemo``, so what a visit's decision reads that no parameter moves (its
    provider, member, sign-up, out-of-area status: claims/engine.py ``VisitContext``) is made once
    for all of them; each scenario keeps its own buckets."""
    with collector_paused():
        requests = [v.request for v in visits if v.request is not None]
        # The members are read within the range of the visits' member ids (a partition's own range).
        member_ids = (min(v.member_id for v in visits), max(v.member_id for v in visits)) if visits else None
        loaded = (ledger_load_fresh(requests, scope=EVERYONE, parameters=None, member_ids=member_ids)
                  if requests else None)
        capitation = _capitation_filter(admdvs)
        # The first scenario replays on the loaded ledger itself (its buckets are empty as loaded), the
        # others on copies with empty buckets of their own: a member's book made once less per
        # partition (``_fresh`` was 1.1–1.8 µs a visit for two scenarios).
        replays = [_ScenarioReplay(scenario_id, baseline, None if loaded is None else (
            replace(loaded, parameters=parameters) if number == 0 else _fresh(loaded, parameters)))
                   for number, (scenario_id, baseline, parameters) in enumerate(scenarios)]
        _visits_replay(visits, replays, capitation)
        for replay in replays:
            if replay.baseline:
                _findings_made(replay.tally)
        for replay in replays:
            for member_id, last in replay.last_day.items():
                replay.tally.members[member_id][1:] = _cap_reached(admdvs, *last)
    return {replay.scenario_id: replay.tally for replay in replays}


@contextmanager
def collector_paused():
    """The cyclic garbage collector paused while a partition is read and replayed: both make
    hundreds of thousands of small objects (rows, requests, members, facts, decisions, tallies)
    that reference counting frees, and the collector's passes over them, which find nothing to
    free, were a tenth of a partition's CPU (reading and loading the members included). Switched
    back on (if it was on) however the partition ends; a partition's memory is bounded by its size."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _visits_replay(visits: list[RecordedVisit], replays: list[_ScenarioReplay], capitation) -> None:
    """Each visit, in order, under every scenario in turn: its decision tallied per scenario."""
    # What each scenario's turn reads, bound once for the partition (this loop runs once per visit
    # and scenario, a replayed year's six million times: attribute reads were a fifth of it).
    sides = [(replay.ledger, replay.tally, replay.tally.combos, replay.tally.members, replay.last_day,
              replay.baseline) for replay in replays]
    for visit in visits:
        request = visit.request
        if request is None:
            for replay in replays:
                if replay.baseline:
                    replay.tally.findings.append(Finding(visit.claim_id, visit.setl_id, "refused", visit.hifp_pay,
                                                         None, visit.error[:300]))
            continue
        keys = None   # the visit's breakdown keys that no scenario changes, made at its first decision
        medfee = request.medfee_sumamt
        for ledger, tally, combos, totals, last_day, baseline in sides:
            try:
                decided = claim_decide_step(request, ledger=ledger, explain=False)   # nothing records steps
            except (ValidationError, Conflict) as refusal:
                tally.refused[0] += 1
                tally.refused[2] += medfee
                if baseline:
                    tally.findings.append(Finding(visit.claim_id, visit.setl_id, "refused", visit.hifp_pay, None,
                                                  str(Settled(error=refusal).errors)[:300]))
                continue
            decision = decided.decision
            if keys is None:
                # The keys the recorded claim would carry: its provider's level, inputs.member.person_type,
                # benefit (claims/facts.py claim_build and inputs_json), and whose totals the visit adds to.
                # Read from the visit's facts, made already for its decision (the provider's
                # ``benefit_level`` and the member's ``person_type_on(day)``, as they were asked here).
                context = decided.context
                day = context.day
                keys = ((day.year, day.month), context.provider_facts.level or "-", context.member_facts.person_type,
                        request.benefit)
                member_id = visit.member_id   # the claim's member, whose certno found the book
            fund, status = decision.fund_pay, decision.status
            # ... then the status and the charged provider, which the scenario's decision gives
            # (``ScenarioTally.combos``: [visits, fund payment, medical costs] per combination; counted
            # here, in the loop, not through a method: it runs once per visit and scenario).
            combo = (keys, status, decided.charged_provider.fixmedins_code,
                     capitation is not None and capitation(decided))
            cell = combos.get(combo)
            if cell is None:
                combos[combo] = [1, fund, medfee]
            else:
                cell[0] += 1
                cell[1] += fund
                cell[2] += medfee
            total = totals.get(member_id)
            if total is None:
                totals[member_id] = [ZERO + fund, False, False]
            else:
                total[0] += fund
            last_day[member_id] = (day, context.member_facts, context.signup, decided.book, decided.parameters)
            if baseline and (fund != visit.hifp_pay or status != visit.status):
                tally.findings.append((visit, decided))   # a Finding once its record is read: _findings_made


@dataclass
class _ScenarioReplay:
    """One scenario's side of a partition's replay: its ledger (own buckets), tally, and each
    member's last visit decided: its day, the facts of the member and sign-up its decision read, the
    member's book and the parameters' answer (for the caps reached at the end; the ``Decided`` kept
    for every member instead was 18 MB more of a worker's peak, its ``VisitContext`` 5 MB)."""

    scenario_id: int
    baseline: bool
    ledger: Ledger | None
    tally: ScenarioTally = field(default_factory=ScenarioTally)
    last_day: dict[int, tuple[date, MemberFacts, SignupFacts | None, MemberBook, tuple | None]] = field(
        default_factory=dict)


def _fresh(ledger: Ledger, parameters: Parameters) -> Ledger:
    """The loaded ledger with every member's buckets empty again, under other parameters (the rows
    and the facts made of them, ``known``, shared; the recorded previous year, ``history``, too)."""
    books = {key: MemberBook(member=b.member, signups=b.signups, buckets={y: {} for y in b.buckets},
                             registrations=b.registrations, history=b.history)
             for key, b in ledger.books.items()}
    return replace(ledger, books=books, parameters=parameters, recorded={})


def _findings_made(tally: ScenarioTally) -> None:
    """The baseline's differences (``(visit, decided)`` in ``tally.findings``, in visit order among
    its refusals) made ``Finding``s, with the recorded year-to-dates of their claims read in one
    statement."""
    pending = [entry for entry in tally.findings if type(entry) is tuple]
    if not pending:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.id, c.inputs -> 'ytd_before' FROM claims_claim c WHERE c.id = ANY(%s)",
                       [[visit.claim_id for visit, _ in pending]])
        recorded = dict(cursor.fetchall())
    tally.findings = [entry if type(entry) is not tuple else _finding(*entry, recorded.get(entry[0].claim_id))
                      for entry in tally.findings]


def _finding(visit: RecordedVisit, decided: Decided, recorded_ytd_json: str | None) -> Finding:
    # Same year-to-date before the visit and another answer: the parameters (edited after use) or
    # the rules (a bug) changed. Another year-to-date: an earlier visit of the member was reversed
    # after this one was settled, or the visits were settled out of visit order.
    status, fund = decided.decision.status, decided.decision.fund_pay
    replayed_ytd = ytd_before_json(decided.before, rating=decided.prescriber or decided.provider)
    recorded_ytd = orjson.loads(recorded_ytd_json or "{}")
    same_ytd = replayed_ytd == recorded_ytd
    kind = "decision" if same_ytd else "year_to_date"
    note = (f"记录 {visit.status} {visit.hifp_pay}，重放 {status} {fund}；"
            + ("此前累计相同" if same_ytd else f"此前累计 记录 {recorded_ytd} 重放 {replayed_ytd}"))
    return Finding(visit.claim_id, visit.setl_id, kind, visit.hifp_pay, fund, note[:300])


def _cap_reached(admdvs: str, day: date, member: MemberFacts, signup: SignupFacts | None, book: MemberBook,
                 found: tuple | None) -> tuple[bool, bool]:
    """(annual cap reached, some sub-cap reached) at the end of the member's replay, by the region's
    own year-to-date view under the scenario's parameters of the member's last visit day."""
    # The last visit's own answers for that day: its parameters, its sign-up's facts and the member's
    # facts with the registrations the decision saw (a Nanchang resettled member's yearly cap is set
    # by them, 第三十一条); asked again here: 4.4 against 3.0 µs per member and scenario (a partition's members).
    if found is None:
        return False, False
    # The core's answer without the region's display view (policy/rules ``caps_reached``: the same figures).
    return rules.caps_reached(admdvs, params=found[1], member=member, signup=signup,
                              year=day.year, buckets=book.buckets[day.year])


def _capitation_filter(admdvs: str):
    """Which replayed claims count in a provider's capitation actual, as budgets/sql.py ``_claims_where``
    counts recorded ones: settled, charged to a provider of the region, out-of-area ones only where the
    region counts them. None outside the capitation regions."""
    module = REGIONS[admdvs]
    if not hasattr(module, "CAPITATION_BY_AGE_GROUP"):
        return None
    with_out_of_area = module.OUT_OF_AREA_IN_CAPITATION
    return lambda decided: (decided.decision.status == "settled" and decided.charged_provider.admdvs_id == admdvs
                            and (with_out_of_area or decided.out_of_area == "none"))
