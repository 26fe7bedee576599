"""claims/pipeline.py on its own (PostgreSQL): the implicit transaction commits or leaves nothing,
declines what it cannot do, and keeps its prepared statements in step with the server."""
from datetime import datetime, timedelta

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from claims import services
from claims.models import Claim
from claims.pipeline import PipelineDeclined, claim_pipeline, claim_pipeline_possible
from tests.claims.helpers import request_for
from tests.claims.invariants import accumulated, deltas_sum
from tests.factories import make_member, make_provider

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCRATCH = "CREATE TABLE IF NOT EXISTS pipeline_scratch (id integer PRIMARY KEY, note text)"


@pytest.fixture
def scratch():
    with connection.cursor() as cursor:
        cursor.execute(SCRATCH)
        cursor.execute("TRUNCATE pipeline_scratch")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE pipeline_scratch")


def scratch_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, note FROM pipeline_scratch ORDER BY id")
        return cursor.fetchall()


def test_queued_writes_commit_together_and_return_their_rows(scratch):
    # Given the pipeline is possible on this connection
    assert claim_pipeline_possible(connection)
    returned = []
    # When a read and two writes run in one block
    with claim_pipeline(connection) as pipeline:
        assert pipeline.fetch("SELECT %s::int + 1", [41]) == [(42,)]
        pipeline.queue("INSERT INTO pipeline_scratch VALUES (%s, %s) RETURNING id", [1, "一"], returned.append)
        pipeline.queue("INSERT INTO pipeline_scratch VALUES (%s, '100%%' || %s)", [2, " 自付"])
    # Then both rows are committed, the first write's RETURNING came back, and the connection is idle
    assert scratch_rows() == [(1, "一"), (2, "100% 自付")]
    assert returned == [[(1,)]]
    assert connection.connection.info.transaction_status == 0


def test_a_failing_write_rolls_back_every_write_of_the_block(scratch):
    # Given a committed row 1
    with claim_pipeline(connection) as pipeline:
        pipeline.queue("INSERT INTO pipeline_scratch VALUES (%s, %s)", [1, "first"])
    # When a block writes row 2 and then row 1 again (a unique violation answered at the commit)
    with pytest.raises(DatabaseError):
        with claim_pipeline(connection) as pipeline:
            pipeline.queue("INSERT INTO pipeline_scratch VALUES (%s, %s)", [2, "second"])
            pipeline.queue("INSERT INTO pipeline_scratch VALUES (%s, %s)", [1, "again"])
    # Then row 2 was not written either, and the connection still works
    assert scratch_rows() == [(1, "first")]


def test_an_orm_query_inside_the_block_is_declined_before_it_is_sent(scratch):
    # When a block queues a write and then uses the ORM
    with pytest.raises(PipelineDeclined):
        with claim_pipeline(connection) as pipeline:
            pipeline.queue("INSERT INTO pipeline_scratch VALUES (%s, %s)", [1, "queued"])
            Claim.objects.count()
    # Then the queued write was rolled back and the connection is back to normal use
    assert scratch_rows() == []
    assert not connection.execute_wrappers
    assert Claim.objects.count() == 0


def test_a_statement_that_fails_to_prepare_is_not_remembered():
    # When a statement's first use fails at its Parse
    with pytest.raises(DatabaseError):
        with claim_pipeline(connection) as pipeline:
            pipeline.fetch("SELECT no_such_column FROM claims_claim WHERE id = %s", [1])
    # Then its name is forgotten (a later use prepares it again instead of running a statement
    # the server never made), and good statements still work
    assert "SELECT no_such_column FROM claims_claim WHERE id = %s" not in connection._claims_pipeline_state.prepared
    with claim_pipeline(connection) as pipeline:
        assert pipeline.fetch("SELECT %s::text", ["ok"]) == [("ok",)]


def test_a_vanished_prepared_statement_sends_the_claim_the_ordinary_way_then_prepares_again():
    # Given a Zibo member whose claims have prepared the pipeline's statements on this connection
    member, provider = make_member(admdvs="370300"), make_provider(admdvs="370300")
    start = datetime(2024, 3, 1, 9, 0)
    requests = [request_for(member=member, provider=provider, inscp="120.00",
                            visit_at=(start + timedelta(hours=7 * n)).isoformat() + "+08:00") for n in range(4)]
    for request in requests[:2]:
        services.claim_settle(request=request, by=None)
    # When the server forgets them (as a DEALLOCATE by other code on the session would) and the
    # next visit is settled
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE '\\_claims\\_%%'")
        names = [name for (name,) in cursor.fetchall()]
        assert names
        for name in names:
            cursor.execute(f'DEALLOCATE "{name}"')
    claim, created = services.claim_settle(request=requests[2], by=None)
    # Then it is settled (on the atomic path), and the visit after it is pipelined again
    assert created and claim.pk
    with CaptureQueriesContext(connection) as queries:
        services.claim_settle(request=requests[3], by=None)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "WITH"]
    assert Claim.objects.filter(member=member).count() == 4
    assert accumulated(member) == deltas_sum(member)


def test_not_possible_inside_a_transaction_or_with_an_execute_wrapper():
    from django.db import transaction

    with transaction.atomic():
        assert not claim_pipeline_possible(connection)
    with connection.execute_wrapper(lambda execute, *args: execute(*args)):
        assert not claim_pipeline_possible(connection)
    assert claim_pipeline_possible(connection)
