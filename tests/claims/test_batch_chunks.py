"""How the batch cuts a file's members into chunks (claims.batch._chunks): pure, no database."""
from claims.batch import _chunks


def members(*counts: int) -> dict[int, list[int]]:
    """Member ids 1, 2, ... (given out of order) with that many visit indexes each."""
    by_member, index = {}, 0
    for member_id, count in reversed(list(enumerate(counts, start=1))):
        by_member[member_id] = list(range(index, index + count))
        index += count
    return by_member


def claims_in(chunk: list[int], by_member: dict[int, list[int]]) -> int:
    return sum(len(by_member[m]) for m in chunk)


def test_one_by_one_chunks_are_all_of_the_chunk_size():
    # given 12 members of 5 visits each
    by_member = members(*[5] * 12)
    # when cut for settling one chunk after another (no tail)
    chunks = _chunks(by_member, chunk_size=20, tail=0)
    # then three chunks of 20 claims, members in id order, none split
    assert chunks == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]


def test_side_by_side_the_last_claims_go_in_quarter_chunks():
    # given 40 members of 5 visits each (200 claims)
    by_member = members(*[5] * 40)
    # when cut for 2 workers with chunks of 40 claims (the last 80 claims are the tail)
    chunks = _chunks(by_member, chunk_size=40, tail=80)
    # then whole chunks of 40 until 80 claims are left, then chunks of 10
    assert [claims_in(c, by_member) for c in chunks] == [40, 40, 40] + [10] * 8
    assert [m for chunk in chunks for m in chunk] == list(range(1, 41))


def test_a_member_larger_than_a_chunk_stays_whole_and_closes_its_chunk():
    # given a member with more visits than a whole chunk between small ones
    by_member = members(2, 50, 2, 2)
    # when cut into chunks of 10 claims
    chunks = _chunks(by_member, chunk_size=10, tail=0)
    # then the large member's 50 visits share one chunk, which ends with it; the rest follow
    assert chunks == [[1, 2], [3, 4]]
    assert claims_in(chunks[0], by_member) == 52
