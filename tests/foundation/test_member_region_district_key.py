"""The database's own guard on a member's region and district (PostgreSQL): (admdvs, district) must be a
policy_district (region_id, code), which refuses what the two old single-column keys let through (a
district of another region). A composite foreign key from members/migrations/0005, checked per statement
by triggers since 0012 (the same refusals, under the key's name)."""
import pytest
from django.db import IntegrityError, connection, transaction

from members.models import Member
from policy.models import District
from tests.factories import make_member

pytestmark = [pytest.mark.django_db]

KEY = "member_region_district_fk"


def immediate_update(member_pk: int, **values) -> None:
    """An ORM update bypassing the services' checks (the key is checked at the end of the statement)."""
    with transaction.atomic():
        Member.objects.filter(pk=member_pk).update(**values)


def test_the_database_refuses_a_district_of_another_region():
    # given a Nanchang member in a Nanchang district
    member = make_member(admdvs="360100", district="360102")
    # when its district is set, past the services, to a district that exists but belongs to Nanyang
    with pytest.raises(IntegrityError) as refused:
        immediate_update(member.pk, district_id="411302")
    # then the composite key refuses it, and the member keeps its district
    assert KEY in str(refused.value)
    member.refresh_from_db()
    assert member.district_id == "360102"


def test_the_database_refuses_an_unknown_region_or_district():
    # given a stored member
    member = make_member(admdvs="360100", district="360102")
    # when the region or the district is set to a code that exists nowhere
    # then the same key refuses both: the old single-column keys' checks are not lost
    for values in (dict(district_id="999999"), dict(admdvs_id="999999")):
        with pytest.raises(IntegrityError) as refused:
            immediate_update(member.pk, **values)
        assert KEY in str(refused.value)


def test_a_district_of_the_members_own_region_is_accepted():
    # given a Nanchang member
    member = make_member(admdvs="360100", district="360102")
    # when it moves to another Nanchang district, checked at the statement
    immediate_update(member.pk, district_id="360103")
    # then it is stored
    member.refresh_from_db()
    assert member.district_id == "360103"


def test_a_raw_insert_with_a_district_of_another_region_is_refused():
    # given a stored Nanchang member (its row copied below, past every Python check)
    member = make_member(admdvs="360100", district="360102")
    # when a copy of it is inserted by raw SQL into another region with a Nanchang district
    # then the statement is refused under the key's name, as a foreign key violation (SQLSTATE 23503)
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO members_member (admdvs, certno, psn_name, insutype, psn_type, poverty, district, "
                       "enrolled_on, brdy, gend, status, chronic_diseases, created_at, updated_at) "
                       "SELECT '411300', certno, psn_name, insutype, psn_type, poverty, district, enrolled_on, brdy, "
                       "gend, status, chronic_diseases, created_at, updated_at FROM members_member WHERE id = %s",
                       [member.pk])
    assert refused.value.__cause__.diag.constraint_name == KEY
    assert refused.value.__cause__.sqlstate == "23503"


def test_a_district_with_members_cannot_be_deleted_or_rekeyed_and_one_without_can():
    # given a new district of Nanchang with one member, and another new district with none
    used = District.objects.create(code="360199", name="测试区", region_id="360100")
    unused = District.objects.create(code="360198", name="空区", region_id="360100")
    make_member(admdvs="360100", district="360199")
    # when the referenced district is deleted, or its region changed, by SQL (the ORM's PROTECT would
    # refuse the deletion before the database)
    # then both are refused under the key's name; the district without members goes
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM policy_district WHERE code = %s", [used.code])
    assert KEY in str(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        District.objects.filter(code=used.code).update(region_id="411300")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM policy_district WHERE code = %s", [unused.code])
    assert not District.objects.filter(code=unused.code).exists()
    assert District.objects.filter(code=used.code, region_id="360100").exists()


def test_the_key_is_triggers_and_no_foreign_key_on_members():
    # given the migrated schema
    # when the foreign keys of members_member and the triggers guarding (region, district) are listed
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint "
                       "WHERE conrelid = 'members_member'::regclass AND contype = 'f'")
        keys = cursor.fetchall()
        cursor.execute("SELECT tgname FROM pg_trigger "
                       "WHERE NOT tgisinternal AND tgname LIKE 'member_region_district_%' ORDER BY tgname")
        triggers = [name for (name,) in cursor.fetchall()]
    # then no per-row foreign key is left, and both sides are guarded per statement / per district row
    assert keys == []
    assert triggers == ["member_region_district_inserted", "member_region_district_referenced",
                        "member_region_district_updated"]
