"""The database's own guard on a member's region and district (PostgreSQL): one composite foreign key
(admdvs, district) → policy_district (region_id, code) replaces the two single-column keys
(members/migrations/0005), and it refuses what they let through: a district of another region."""
import pytest
from django.db import IntegrityError, connection, transaction

from members.models import Member
from tests.factories import make_member

pytestmark = [pytest.mark.django_db]

KEY = "member_region_district_fk"


def immediate_update(member_pk: int, **values) -> None:
    """An ORM update bypassing the services' checks, with the key checked at the statement (it is
    deferred to the commit otherwise, which the test's rolled-back transaction never reaches)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {KEY} IMMEDIATE")
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


def test_members_have_the_composite_key_and_not_the_single_column_ones():
    # given the migrated schema
    # when the foreign keys of members_member are listed
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'members_member'::regclass AND contype = 'f'")
        keys = dict(cursor.fetchall())
    # then only the composite key is there, validated and deferrable like Django's own keys
    assert keys == {KEY: "FOREIGN KEY (admdvs, district) REFERENCES policy_district(region_id, code) "
                         "DEFERRABLE INITIALLY DEFERRED"}
