"""A new column on Claim is one migration and, where its value comes from the visit, one line:
claims are built by the model's own constructor, so a defaulted field is written without touching
the settle step, on the single-claim path and the batch path alike."""
import pytest
from django.db import connection, models

from claims import rows
from claims.models import Claim
from claims.services import claim_settle, claims_settle_batch
from tests.claims.helpers import request_for
from tests.factories import make_member, make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim_with_a_new_column(request):
    """Claim with a defaulted column added (in the model and, inside the test's transaction, the
    table): ``probe_note`` text by default; a test may name another field (indirect parameter)."""
    field = getattr(request, "param", None) or models.CharField(max_length=12, default="probe-value")
    field.contribute_to_class(Claim, "probe_note")
    with connection.schema_editor() as editor:
        editor.add_field(Claim, field)
    rows.caches_clear()  # a deployed column arrives with a new process, whose statements include it
    try:
        yield field
    finally:
        Claim._meta.local_fields.remove(field)
        Claim._meta._expire_cache()
        delattr(Claim, "probe_note")
        rows.caches_clear()


def test_given_a_new_defaulted_column_when_claims_are_settled_then_its_default_is_written(claim_with_a_new_column):
    # given a Zibo member and provider
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="1")
    # when one claim goes the single path and two the batch path
    single, _ = claim_settle(request=request_for(member=member, provider=provider, visit_at="2024-03-01T10:00"),
                             by=None)
    claims_settle_batch(requests=[request_for(member=member, provider=provider, visit_at=f"2024-03-0{d}T10:00")
                                  for d in (2, 3)], by=None)
    # then every row holds the new column's default
    with connection.cursor() as cursor:
        cursor.execute("SELECT probe_note FROM claims_claim WHERE member_id = %s", [member.pk])
        assert [value for (value,) in cursor.fetchall()] == ["probe-value"] * 3


@pytest.mark.parametrize("claim_with_a_new_column", [
    models.CharField(max_length=12, default="probe-value"),
    models.JSONField(default=list),   # a callable default: made for each row
], indirect=True)
def test_given_a_new_defaulted_column_when_a_file_sized_batch_is_settled_then_its_default_is_written(
        claim_with_a_new_column):
    # given a Zibo member and provider, and more visits than the writer's INSERT takes (so the COPY writes them)
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="1")
    count = rows.COPY_FROM_ROWS + 5
    requests = [request_for(member=member, provider=provider, visit_at=f"2024-03-{1 + n // 24:02d}T{n % 24:02d}:00",
                            inscp="1.00") for n in range(count)]
    # when they are settled as one batch
    outcomes = claims_settle_batch(requests=requests, by=None)
    # then each claim's record and each row written holds the column's default
    expected = claim_with_a_new_column.get_default()
    assert all(o.created and o.row.probe_note == expected for o in outcomes)
    assert outcomes[0].claim.probe_note == expected   # the model instance made from the record too
    written = list(Claim.objects.filter(member=member).values_list("probe_note", flat=True))
    assert written == [expected] * count
