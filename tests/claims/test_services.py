"""Service level: the batch path decides like one-by-one; the accumulator invariant (Hypothesis)."""
import dataclasses
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.services import claims_settle_batch
from claims.models import Claim
from claims.services import claim_reverse, claim_settle
from tests.claims.helpers import request_for
from tests.claims.invariants import accumulated, deltas_sum
from tests.factories import make_member, make_provider, make_signup

pytestmark = pytest.mark.django_db
REGIONS = ("411300", "370300", "360700", "360100", "441600")
BENEFITS = ("ordinary", "ordinary", "tcm", "hypertension", "diabetes")


def world(admdvs: str):
    """A member with a sign-up where needed, and providers of each level (level 1 is the signed one)."""
    providers = [make_provider(admdvs=admdvs, level="1", kind="township"),
                 make_provider(admdvs=admdvs, level="2", kind="hospital"),
                 make_provider(admdvs=admdvs, level="3", kind="hospital")]
    member = make_member(admdvs=admdvs)
    if admdvs in ("360100", "441600"):
        make_signup(member=member, provider=providers[0], effective_from=date(2023, 1, 1))
    return member, providers


def visits(member, providers, seed: int, count: int = 12):
    start = datetime(2024, 1, 5, 9, 0)
    out = []
    for n in range(count):
        k = (seed * 7 + n * 13) % 97
        out.append(request_for(member=member, provider=providers[k % 3], benefit=BENEFITS[k % 5],
                               visit_at=(start + timedelta(hours=7 * n)).isoformat(),
                               inscp=f"{(k * 37) % 900 + 1}.{k % 100:02d}", emergency=(k % 11 == 0)))
    return out


@pytest.mark.parametrize("admdvs", REGIONS)
def test_batch_decides_like_one_by_one(admdvs, city_admin):
    # given two identical members, one settled visit by visit, the other by the batch (shuffled input)
    one, providers = world(admdvs)
    two = make_member(admdvs=admdvs)
    if admdvs in ("360100", "441600"):
        make_signup(member=two, provider=providers[0], effective_from=date(2023, 1, 1))
    singles = [claim_settle(request=r, by=city_admin)[0] for r in visits(one, providers, 3)]
    batch_requests = list(reversed(visits(two, providers, 3)))
    # when
    outcomes = claims_settle_batch(requests=batch_requests, by=city_admin)
    # then the same decisions, in visit order, and the same accumulator
    batched = sorted((o.claim for o in outcomes), key=lambda c: c.visit_at)
    shape = lambda c: (c.status, c.reason, c.act_pay_dedc, c.pool_prop_selfpay, c.hifp_pay, c.deltas)  # noqa: E731
    assert [shape(c) for c in singles] == [shape(c) for c in batched]
    assert {k[1]: v for k, v in accumulated(one).items()} == {k[1]: v for k, v in accumulated(two).items()}
    assert accumulated(two) == deltas_sum(two)


def test_batch_reports_refusals_and_replays(city_admin):
    member, providers = world("370300")
    good = request_for(member=member, provider=providers[1], visit_at="2024-02-01T10:00", idempotency_key="f-1")
    claim_settle(request=good, by=city_admin)
    unknown = request_for(member=member, provider=providers[1], visit_at="2024-02-02T10:00")
    unknown = dataclasses.replace(unknown, certno="110101199003070000")
    fresh = request_for(member=member, provider=providers[1], visit_at="2024-02-03T10:00")
    outcomes = claims_settle_batch(requests=[good, unknown, fresh], by=city_admin)
    assert outcomes[0].created is False and outcomes[0].claim.idempotency_key == "f-1"
    assert "certno" in outcomes[1].errors and outcomes[1].claim is None
    assert outcomes[2].created and Claim.objects.count() == 2


_op = st.tuples(st.sampled_from(["visit", "visit", "visit", "reverse"]), st.integers(0, 2),
                st.sampled_from(BENEFITS), st.decimals(min_value=0, max_value=2000, places=2), st.integers(0, 99))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(admdvs=st.sampled_from(REGIONS), ops=st.lists(_op, min_size=1, max_size=12))
def test_accumulator_is_the_sum_of_deltas_and_reversal_restores(admdvs, ops, city_admin):
    # given a fresh member and a random sequence of visits and reversals
    member, providers = world(admdvs)
    settled: list[Claim] = []
    moment = datetime(2024, 3, 1, 8, 0)
    for kind, level, benefit, amount, pick in ops:
        moment += timedelta(hours=5)
        if kind == "reverse" and settled:
            target = settled.pop(pick % len(settled))
            before = accumulated(member)
            claim_reverse(setl_id=target.setl_id, by=city_admin)
            # then a reversal takes off exactly the original's deltas
            expected = dict(before)
            for name, value in target.deltas.items():
                key = (target.visit_date.year, name)
                expected[key] = expected.get(key, Decimal(0)) - Decimal(value)
            assert accumulated(member) == {k: v for k, v in expected.items() if v != 0}
            continue
        claim, _ = claim_settle(request=request_for(member=member, provider=providers[level], benefit=benefit,
                                                    visit_at=moment.isoformat(), inscp=str(amount)), by=city_admin)
        settled.append(claim)
        # and the accumulator is always the sum of the member's claims' deltas
        assert accumulated(member) == deltas_sum(member)
    for claim in settled:
        claim_reverse(setl_id=claim.setl_id, by=city_admin)
    # and reversing everything brings every bucket back to zero
    assert accumulated(member) == {} == deltas_sum(member)


def test_file_of_visits_answers_per_row_in_file_order(city_admin):
    from claims.files import claims_file_settle

    # given a file with a good row, a row whose amounts do not add up, and two members' visits
    member, providers = world("370300")
    other = make_member(admdvs="370300")
    good = {"admdvs": "370300", "certno": member.certno, "fixmedins_code": providers[0].fixmedins_code,
            "visit_at": "2024-02-01T10:00", "medfee_sumamt": "100.00", "inscp_scp_amt": "100.00"}
    bad = {**good, "medfee_sumamt": "99.00"}
    others = {**good, "certno": other.certno, "visit_at": "2024-02-02T10:00"}
    # when it is settled in partitions of one member each (an eager Celery group)
    answer = claims_file_settle(rows=[good, bad, others], user_id=city_admin.pk, partition_rows=1).get()
    # then every row is answered in file order
    assert answer["settled"] == 2 and answer["failed_partitions"] == []
    assert answer["rows"][0]["status"] == "settled" and "medfee_sumamt" in answer["rows"][1]["errors"]
    assert answer["rows"][2]["created"] is True
    assert Claim.objects.filter(member=other).count() == 1


def test_a_large_batch_with_fee_details_is_written_by_copy_and_decides_like_one_by_one(city_admin):
    # given two identical Heyuan members, 80 visits each with two fee-detail lines (above the writer's
    # COPY threshold for claims and for items)
    one, providers = world("441600")
    two = make_member(admdvs="441600")
    make_signup(member=two, provider=providers[0], effective_from=date(2023, 1, 1))

    def detailed(member):
        out = []
        for request in visits(member, providers, 5, count=80):
            half = (request.medfee_sumamt / 2).quantize(Decimal("0.01"))
            details = [{"code": "X1", "name": "检查", "category": "exam", "chrgitm_lv": "01", "amount": str(half)},
                       {"code": "D1", "name": "药品", "category": "drug", "chrgitm_lv": "03",
                        "amount": str(request.medfee_sumamt - half)}]
            out.append(request_for(member=member, provider=providers[[p.fixmedins_code for p in providers]
                                                                     .index(request.fixmedins_code)],
                                   benefit=request.benefit, visit_at=request.visit_at.isoformat(),
                                   inscp=str(request.inscp_scp_amt), emergency=request.emergency,
                                   fee_details=details))
        return out
    singles = [claim_settle(request=r, by=city_admin)[0] for r in detailed(one)]
    # when the twin's visits go as one batch
    outcomes = claims_settle_batch(requests=detailed(two), by=city_admin)
    # then the same decisions, every claim with its id and its two items, and the accumulator is exact
    shape = lambda c: (c.visit_at, c.status, c.hifp_pay, c.deltas, c.exam_amount, c.out_of_catalogue_amount)  # noqa: E731
    assert [shape(c) for c in singles] == [shape(o.claim) for o in sorted(outcomes, key=lambda o: o.claim.visit_at)]
    stored = Claim.objects.filter(member=two)
    assert stored.count() == 80 and {o.claim.pk for o in outcomes} == set(stored.values_list("pk", flat=True))
    assert all(claim.items.count() == 2 for claim in stored)
    assert accumulated(two) == deltas_sum(two)
    assert {k[1]: v for k, v in accumulated(one).items()} == {k[1]: v for k, v in accumulated(two).items()}


def test_a_key_reused_with_other_content_gets_the_apis_answer_in_a_batch(city_admin):
    # given a claim recorded under key "k-1"
    member, providers = world("370300")
    first = request_for(member=member, provider=providers[1], visit_at="2024-02-01T10:00", idempotency_key="k-1")
    claim, _ = claim_settle(request=first, by=city_admin)
    other = request_for(member=member, provider=providers[1], visit_at="2024-02-01T10:00", inscp="999.00",
                        idempotency_key="k-1")
    # when the same key comes back with other content in a batch
    outcome = claims_settle_batch(requests=[other], by=city_admin)[0]
    # then the refusal is the API's 409 message, under the key, and nothing is written
    with pytest.raises(Exception) as api_answer:
        claim_settle(request=other, by=city_admin)
    assert outcome.claim is None and outcome.errors == {"idempotency_key": [api_answer.value.message]}
    assert claim.setl_id in api_answer.value.message and api_answer.value.code == "idempotency_conflict"
    assert Claim.objects.filter(member=member).count() == 1


def test_a_failing_partition_is_reported_with_its_rows_and_writes_nothing(city_admin, monkeypatch):
    from claims import files
    from claims.files import claims_file_settle

    # given two members' visits, and the settle step failing for the second member's partition
    member, providers = world("370300")
    other = make_member(admdvs="370300")
    row = {"admdvs": "370300", "fixmedins_code": providers[0].fixmedins_code, "medfee_sumamt": "100.00",
           "inscp_scp_amt": "100.00"}
    rows = [{**row, "certno": member.certno, "visit_at": "2024-02-01T10:00"},
            {**row, "certno": other.certno, "visit_at": "2024-02-02T10:00"},
            {**row, "certno": other.certno, "visit_at": "2024-02-03T10:00"}]
    settle = files.claims_settle_batch

    def failing_for_other(*, requests, by):
        outcomes = settle(requests=requests, by=by)  # written, then the partition fails: all rolled back
        if requests[0].certno == other.certno:
            raise RuntimeError("disk full")
        return outcomes
    monkeypatch.setattr(files, "claims_settle_batch", lambda **kw: _atomic(failing_for_other, **kw))
    # when the file is settled one member per partition
    answer = claims_file_settle(rows=rows, user_id=city_admin.pk, partition_rows=1).get()
    # then the failed partition names its rows (file rows 2 and 3) and wrote nothing; the other stands
    assert answer["failed_partitions"] == [{"rows": [2, 3], "reason": answer["failed_partitions"][0]["reason"]}]
    assert "disk full" in answer["failed_partitions"][0]["reason"]
    assert answer["settled"] == 1 and answer["rows"][0]["created"] is True
    assert Claim.objects.filter(member=other).count() == 0 and Claim.objects.filter(member=member).count() == 1


def _atomic(function, **kwargs):
    from django.db import transaction

    with transaction.atomic():  # a partition is one transaction, as claims_settle_batch's own
        return function(**kwargs)


def test_a_claim_written_by_the_binary_copy_reads_back_as_it_was_built(city_admin):
    # given 60 visits of one Zibo member (above the writer's COPY threshold of 50 rows)
    member, providers = world("370300")
    requests = visits(member, providers, 7, count=60)
    # when they go as one batch (binary COPY, the JSON columns by the copy's own dumper)
    outcomes = claims_settle_batch(requests=requests, by=city_admin)
    # then every column read back from the table equals the value the writer was given: amounts,
    # times, and the JSON of deltas, steps (the notes written when read) and inputs; the one the
    # database fills (written_xid, its DEFAULT: the writing transaction's id) is that transaction's
    names = [f.attname for f in Claim._meta.concrete_fields if f.attname != "written_xid"]
    stored = {c.pk: c for c in Claim.objects.filter(member=member)}
    assert len(stored) == 60
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        (this_transaction,) = cursor.fetchone()
    for outcome in outcomes:
        built, read = outcome.claim, stored[outcome.claim.pk]
        assert {n: getattr(read, n) for n in names} == {n: getattr(built, n) for n in names}
        assert read.steps and all(step["note"] for step in read.steps)
        assert read.written_xid == this_transaction
