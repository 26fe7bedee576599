"""A file of visits settled as a Celery group of member partitions (ARCHITECTURE.md "One engine").

``claims_file_settle(rows=..., user_id=...)`` cuts the rows into partitions of whole members (every
visit of a member in one partition, so the member's visits are decided in visit order and no two
partitions ever wait for the same accumulator row), sends them as a ``group`` of
``claims.tasks.settle_partition`` tasks and returns a ``FileSettlement``: ``.get()`` waits for the
partitions and gives the per-row answers (``claims_file_collect``, in the caller). Each
partition is one transaction (``claims_settle_batch``): a partition that fails writes nothing and is
reported with its rows, the others stand. Eager in the embedded default (no ``REDIS_URL``), on the
workers otherwise. An import that must be all-or-nothing does not come here: it calls
``claims_settle_batch`` inside its own transaction.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from celery.result import GroupResult
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from config.memory import fewer_collections

from .requests import claim_request_parse
from .services import claims_settle_batch

# Partition size, from the file (``partition_rows_for``). Several partitions per worker process, so
# the workers stay busy until the end: with Celery handing out one message at a time
# (``CELERY_WORKER_PREFETCH_MULTIPLIER = 1``, config/settings.py) a worker that finishes early takes
# the next partition instead of idling while the other settles the last big one (6 000 visits on 2
# workers: 3 partitions of 2 000 gave 3 593 claims/s, 8 of 750 gave 4 470). Bounded below because
# each partition pays a fixed cost (a task round trip, six loading statements, a durable commit:
# a few ms, against ~0.1-0.2 ms of work per visit), and above so that one partition's transaction
# (its locks, its memory) stays moderate however large the file.
PARTITIONS_AIMED = 8
PARTITION_ROWS_MIN = 250
PARTITION_ROWS_MAX = 2000


# Allocations between the collector's young collections while a partition is settled: above what
# the largest partition keeps alive (about 25 containers a visit, ``PARTITION_ROWS_MAX`` visits).
PARTITION_YOUNG_EVERY = 200_000


def partition_rows_for(total: int) -> int:
    """About ``PARTITIONS_AIMED`` partitions for a file of ``total`` rows, within the bounds."""
    return max(PARTITION_ROWS_MIN, min(PARTITION_ROWS_MAX, -(-total // PARTITIONS_AIMED)))


def claims_file_settle(*, rows: list[dict], user_id: int | None, partition_rows: int | None = None,
                       queue: str | None = None) -> FileSettlement:
    """Dispatch the partitions (on ``queue``, default Celery's); ``.get()`` of the answer gives
    ``claims_file_collect``'s. ``partition_rows``: the partitions' size (default: ``partition_rows_for``
    the file)."""
    from celery import group

    header = claims_file_signatures(rows=rows, user_id=user_id, partition_rows=partition_rows, queue=queue)
    return FileSettlement(partitions=group(header).apply_async(), total=len(rows))


def claims_file_signatures(*, rows: list[dict], user_id: int | None, partition_rows: int | None = None,
                           queue: str | None = None) -> list:
    """One ``settle_partition`` signature per partition of the file's rows."""
    from .tasks import settle_partition

    options = {"queue": queue} if queue else {}
    partitions = claims_file_partitions(rows, partition_rows=partition_rows or partition_rows_for(len(rows)))
    eager = settle_partition.app.conf.task_always_eager
    # ``kwargsrepr``: what the message's headers (and so worker logs, events and monitoring) show of
    # the arguments. Celery's default is their repr, which would carry the rows' ID numbers 身份证号
    # out of the database; a count says enough to follow a partition.
    return [settle_partition.s(**_rows_argument([rows[i] for i in positions], eager=eager), positions=positions,
                               user_id=user_id).set(kwargsrepr=f"{{rows: {len(positions)}, user_id: {user_id}}}",
                                                    **options)
            for positions in partitions]


@dataclass(frozen=True)
class FileSettlement:
    """A dispatched file: its partitions' ``GroupResult`` and its number of rows.

    Collected by whoever waits for the answer, not by a chord's callback task on a worker: a chord
    stored each partition's answers twice (its result, and the chord's list), read them all back,
    sent them on as the callback's message (encoded once, decoded by the prefork parent and again by
    the child) and stored the collected file once more: about 4 us of the workers' CPU a row, for
    answers that only the caller reads (``GroupResult.get`` reads each partition's result once)."""

    partitions: GroupResult
    total: int

    @property
    def id(self) -> str:
        return self.partitions.id

    def get(self, timeout: int | None = None) -> dict:
        """The file's answer, waiting at most ``timeout`` seconds (None: as long as it takes)."""
        return claims_file_collect(self.partitions.get(timeout=timeout), total=self.total)


# A partition's rows as its message carries them: each dict row as the index of its keys (its
# "shape": a file's rows share one or a few) and its values, so the keys are sent once per partition.
# The message is decoded twice (the prefork parent decodes the body, the child again), copied into
# the broker's unacked record and pickled to the child: all in proportion to its bytes, and kombu's
# JSON calls an object hook for every dict. Packed, a 6 000-visit file's rows weigh half as much
# (1 250 624 -> 698 755 bytes), the parent's CPU 0.010-0.012 -> 0.005-0.008 ms a claim.
UNPACKED = -1   # a row that is not a dict of text keys (refused by the parser): sent as it is


def _rows_argument(rows: list, *, eager: bool) -> dict:
    # Packed for a broker only: eager (the embedded default), nothing is encoded, the rows go as they are.
    return {"rows": rows} if eager else {"packed_rows": rows_pack(rows)}


def rows_pack(rows: list) -> dict:
    """``{"keys": [[key, ...], ...], "shapes": [index in keys | UNPACKED, ...], "values": [[value, ...] |
    row, ...]}``; ``rows_unpack`` gives the rows back as JSON would have carried them (keys in their
    order). Shapes and values in two lists: no slice a row to unpack (1.65 against 1.87 us a row)."""
    known: dict[tuple, int] = {}
    keys, shapes, values = [], [], []
    for row in rows:
        shape = UNPACKED
        if type(row) is dict:
            names = tuple(row)
            shape = known.get(names)
            if shape is None:
                # Only text keys (what JSON keeps as they are): a dict with others goes unpacked.
                shape = UNPACKED
                if all(type(name) is str for name in names):
                    shape = len(keys)
                    keys.append(list(names))
                known[names] = shape
        shapes.append(shape)
        values.append(row if shape == UNPACKED else list(row.values()))
    return {"keys": keys, "shapes": shapes, "values": values}


def rows_unpack(packed: dict) -> list:
    keys = packed["keys"]
    return [row if shape == UNPACKED else dict(zip(keys[shape], row))
            for shape, row in zip(packed["shapes"], packed["values"])]


def claims_file_partitions(rows: list[dict], *, partition_rows: int) -> list[list[int]]:
    """Row positions cut into partitions of about ``partition_rows`` rows, whole members only,
    members in (region, certno) order (a member with more visits than that is one partition)."""
    by_member: dict[tuple[str, str], list[int]] = defaultdict(list)
    for position, row in enumerate(rows):
        by_member[_member_key(row)].append(position)
    partitions, current = [], []
    for key in sorted(by_member):
        current.extend(by_member[key])
        if len(current) >= partition_rows:
            partitions.append(current)
            current = []
    if current:
        partitions.append(current)
    return partitions


def _member_key(row) -> tuple[str, str]:
    if not isinstance(row, dict):
        return ("", "")
    return (str(row.get("admdvs") or "").strip(), str(row.get("certno") or "").strip().upper())


# A settled row's answer as a partition sends it to the collector: a list in this order, not a dict
# (``claims_file_collect`` names the fields). The answers cross the result backend: lists halved
# kombu's JSON work on them (dumps 1.22 -> 0.61, loads 1.31 -> 0.46 us a row: no object hook a row)
# and their bytes by a third.
ANSWER_FIELDS = ("setl_id", "status", "hifp_pay", "created")


def claims_partition_settle(*, rows: list[dict], positions: list[int], user_id: int | None) -> dict:
    """One partition in one transaction: per row ``[setl_id, status, hifp_pay, created]``
    (``ANSWER_FIELDS``) or ``{"errors": {field: [messages]}}``; if the transaction itself fails,
    ``{"failed": reason}`` for the partition and nothing of it written."""
    # A partition keeps its rows, requests, claims and outcomes alive to the end and allocates a few
    # containers per visit: at the collector's default threshold its young collections walk them
    # again and again, finding nothing (``config.memory``; 10 % of a partition's CPU, measured). Even
    # one young collection every 50 000 allocations walked about 45 000 live objects (a claim's
    # record, its inputs and steps, its outcome) each time, once per 2 000 visits, 15 to 30 µs of a
    # visit's 150; ``PARTITION_YOUNG_EVERY`` lets a whole partition run without one, and what it
    # kept is freed by reference counting when its answers are made.
    with fewer_collections(PARTITION_YOUNG_EVERY):
        return _partition_settle(rows=rows, positions=positions, user_id=user_id)


def _partition_settle(*, rows: list[dict], positions: list[int], user_id: int | None) -> dict:
    by = get_user_model().objects.get(pk=user_id) if user_id is not None else None
    answers: list[dict | None] = [None] * len(rows)
    parsed, requests = [], []
    for index, row in enumerate(rows):
        try:
            requests.append(claim_request_parse(row))
            parsed.append(index)
        except ValidationError as exc:
            answers[index] = {"errors": exc.message_dict}
    try:
        outcomes = claims_settle_batch(requests=requests, by=by)
    except Exception as exc:  # noqa: BLE001 - rolled back whole; the others stand, so it is reported, not raised
        return {"positions": positions, "failed": f"本批次未写入 (partition not written): {type(exc).__name__}: {exc}"}
    for index, outcome in zip(parsed, outcomes):
        if outcome.error is not None:
            answers[index] = {"errors": outcome.errors}
        else:
            claim = outcome.record   # the claim's record: no model instance for a file's answer
            answers[index] = [claim.setl_id, claim.status, str(claim.hifp_pay), outcome.created]
    return {"positions": positions, "answers": answers}


def claims_file_collect(partitions: list[dict], *, total: int) -> dict:
    """The partitions' answers back in the file's row order: per row ``{"setl_id", "status",
    "hifp_pay", "created"}`` or ``{"errors": {field: [messages]}}``."""
    rows: list[dict | None] = [None] * total
    failed = []
    for partition in partitions:
        if "failed" in partition:
            failed.append({"rows": [p + 1 for p in partition["positions"]], "reason": partition["failed"]})
            for position in partition["positions"]:
                rows[position] = {"errors": {"partition": [partition["failed"]]}}
            continue
        for position, answer in zip(partition["positions"], partition["answers"]):
            # A refusal comes as its dict; a settled row as ``ANSWER_FIELDS``' values (a list once
            # it crossed the broker, as sent when eager).
            rows[position] = answer if isinstance(answer, dict) else dict(zip(ANSWER_FIELDS, answer))
    return {"settled": sum(1 for r in rows if r and r.get("created")), "rows": rows, "failed_partitions": failed}
