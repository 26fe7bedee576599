"""Members 参保人: each row checked in memory by the rules the API uses too (``members.rules``: certno
checksum, region/district, insutype vs the region's scheme, psn_type vs insutype, dates, base), duplicates
in the file found in memory, rows already registered by one query per 1 000 rows of a batch, sent from a
helper thread while the rest of the batch is parsed."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from unicodedata import normalize as _nfkc

from django.db import DatabaseError, connection, connections

from config.parsing import money_parse

from members.certno import _CHECK
from members.rules import INSUTYPES, MAX_CONTRIBUTION_BASE, PSN_TYPE_PREFIXES, member_fields_check

from . import cells
from .cells import CellError
from .columns import MEMBERS
from .context import Context, RowCells, RowError, existing_members
from .loaders import MemberLoader

HEADERS = {c.field: c.header for c in MEMBERS}
# Stored fields compared with a row for an already registered member (same → skipped, else refused).
_FLAGS = {"": False, "否": False, "0": False, "是": True, "1": True}
_GENDER = {digit: "1" if int(digit) % 2 else "2" for digit in "0123456789"}  # GB 11643: the 17th digit, odd = male
COMPARED = ("psn_name", "insutype", "psn_type", "district_id", "enrolled_on", "retired_on", "contribution_base",
            "poverty", "inpatient_only")
# Rows of a batch whose stored-member lookup is sent (on the side connection, from a helper thread) while
# the rest of the batch is still being parsed: only the batch's last chunk is waited for.
LOOKUP_CHUNK = 1000


def certno_check_char(first17: str) -> str:
    """GB 11643 MOD 11-2 check character of 17 ASCII digits, in one C call: the weights are 2**(17-i)
    mod 11 and 13 ≡ 2 (mod 11), so the weighted sum ≡ 2 × (the digits read in base 13) (mod 11).
    Equal to ``members.certno.check_digit`` for every input (tests/imports compare them)."""
    return _CHECK[2 * int(first17, 13) % 11]


def _side_connection_allowed() -> bool:
    """An autocommit side connection for the lookups and id reservations, only when the import's
    transaction will be the outermost one (inside an enclosing transaction, as in tests, another
    connection could not see the rows that transaction holds)."""
    return not connection.in_atomic_block


class MemberRows:
    kind = "members"
    fields = tuple(c.field for c in MEMBERS)

    def __init__(self, *, ctx: Context, positions: dict[str, int], job_id: int | None, by, write: bool):
        self.ctx = ctx
        self.positions = positions
        # admdvs (6 characters) + certno → first row: one short string a member, not a tuple of two.
        self.seen: dict[str, int] = {}
        self.side_allowed = _side_connection_allowed()  # decided now: the import's transaction is not open yet
        self.side = None  # opened by the first lookup
        # The lookups of the batch being parsed, sent ahead: (its records list, futures, rows covered).
        self.lookups: tuple[list, list[Future], int] | None = None
        self.lookup_pool: ThreadPoolExecutor | None = None
        self.loader = MemberLoader(job_id=job_id, by=by) if write else None
        self.skipped = 0
        self.district_ok: dict[tuple[str, str], bool] = {}
        # The fast path's accepted values, worked out once each (see _fast).
        self.births: dict[str, date] = {}
        self.enrolments: dict[str, date] = {}
        self.codes_ok: set[tuple[str, str, str, str]] = set()
        order = ("certno", "psn_name", "admdvs", "insutype", "psn_type", "district", "enrolled_on", "retired_on",
                 "contribution_base", "poverty", "inpatient_only")
        required = order[:7]
        self.fast_positions = (None if any(name not in positions for name in required)
                               else tuple(positions.get(name) for name in order))
        self.fast_width = 1 + max((p for p in (self.fast_positions or ()) if p is not None), default=0)

    def parse(self, number: int, values: list) -> tuple[tuple | None, list[RowError]]:
        """One row (the pipeline's generic path, e.g. a sheet with formula cells): the same checks as
        ``parse_batch``."""
        records, failures = self.parse_batch([(number, values)])
        return (records[0], []) if records else (None, failures[0][2])

    def parse_batch(self, batch: list[tuple[int, list]]) -> tuple[list[tuple], list[tuple[int, list, list]]]:
        """The records of a batch's good rows, and (row, values, errors) for the others.

        The fast path accepts the ordinary clean row; anything it is unsure of (or a key seen before in
        the file) goes to the full check, which is the authority and the only one that writes error
        messages. One loop for the batch, names bound once: per-row calls and tuples cost as much as
        the checks themselves."""
        records: list[tuple] = []
        failures: list[tuple[int, list, list]] = []
        fast, checked, seen, keep = self._fast, self._checked, self.seen, records.append
        ahead = self._lookups_ahead(records)
        cut = LOOKUP_CHUNK
        for number, values in batch:
            if ahead is not None and len(records) >= cut:
                ahead(cut)
                cut += LOOKUP_CHUNK
            try:
                record = fast(number, values)
            except (ValueError, TypeError, IndexError, KeyError, AttributeError, ArithmeticError):
                record = None
            if record is not None:
                key = record[1] + record[2]
                if key not in seen:
                    seen[key] = number
                    keep(record)
                    continue
            record, errors = checked(number, values)
            if errors:
                failures.append((number, values, errors))
            else:
                keep(record)
        return records, failures

    def _fast(self, number: int, v: list):
        i = self.fast_positions
        if i is None or len(v) < self.fast_width:
            return None
        certno, name, admdvs, insutype, psn_type, district, enrolled, retired, base, poverty, inpatient_only = (
            v[i[0]], v[i[1]], v[i[2]], v[i[3]], v[i[4]], v[i[5]], v[i[6]],
            v[i[7]] if i[7] is not None else "", v[i[8]] if i[8] is not None else "",
            v[i[9]] if i[9] is not None else "", v[i[10]] if i[10] is not None else "")
        # A row that says "inpatient-only" goes to the full check (which ties it to the scheme).
        if retired or inpatient_only not in ("", "否", "0") or not (
                type(certno) is str and type(name) is str and type(admdvs) is str
                and type(insutype) is str and type(psn_type) is str and type(district) is str
                and type(enrolled) is str and type(base) is str and type(poverty) is str):
            return None
        certno = certno.strip().upper()
        if len(certno) != 18 or not certno.isascii() or not certno[:17].isdigit():
            return None
        if certno_check_char(certno[:17]) != certno[17]:
            return None
        # Dates and codes repeat across a file: each distinct value is worked out once (a dict probe
        # instead of slicing, int() and date() again). Only accepted values are kept, so the caches
        # stay within the valid space (dates 1900..today, the regions' codes) whatever a file holds.
        brdy = self.births.get(certno[6:14])
        if brdy is None:
            brdy = self._birth(certno[6:14])
            if brdy is None:
                return None
        # NFKC and strip, as text_normalise; its removal of format characters (category Cf) is not
        # needed here: they are not printable, so a name still holding one goes to the full check.
        name = _nfkc("NFKC", name).strip()
        if not name or len(name) > 50 or name[0] == "=" or not name.isprintable():
            return None
        if (admdvs, insutype, psn_type, district) not in self.codes_ok and not self._codes_ok(
                admdvs, insutype, psn_type, district):
            return None
        # Exactly the YYYY-MM-DD shape the full check hands to date.fromisoformat (which, since Python
        # 3.11, would also take week dates such as 2020-W01-1 if only the first dash were checked).
        enrolled_on = self.enrolments.get(enrolled)
        if enrolled_on is None:
            if len(enrolled) != 10 or enrolled[4] != "-" or enrolled[7] != "-":
                return None
            enrolled_on = date.fromisoformat(enrolled)
            if enrolled_on.year < 1900 or enrolled_on > self.ctx.today:
                return None
            self.enrolments[enrolled] = enrolled_on
        if enrolled_on < brdy:
            return None
        if base:
            if not base.isascii():
                return None
            base = money_parse(base, max_value=MAX_CONTRIBUTION_BASE)  # ParseError: the full check explains
        else:
            base = None
        flag = _FLAGS.get(poverty)
        if flag is None:
            return None
        return (number, admdvs, certno, name, insutype, psn_type, None, base, flag, district, enrolled_on, brdy,
                _GENDER[certno[16]], False)

    def _birth(self, digits: str) -> date | None:
        """The birth date of a certno's YYYYMMDD, kept when it lies in 1900..today (None otherwise)."""
        brdy = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))  # ValueError: the full check explains
        if brdy.year < 1900 or brdy > self.ctx.today:
            return None
        self.births[digits] = brdy
        return brdy

    def _codes_ok(self, admdvs: str, insutype: str, psn_type: str, district: str) -> bool:
        """Region known, insutype its scheme, psn_type 4 ASCII digits of that scheme, district in the
        region and in the clerk's scope; an accepted combination is kept."""
        region = self.ctx.regions.get(admdvs)
        # isascii: str.isdigit() also accepts digits such as "²", which the full check normalises (NFKC).
        if region is None or insutype != region.insutype or len(psn_type) != 4 or not psn_type.isascii() \
                or not psn_type.isdigit() or psn_type[:2] not in PSN_TYPE_PREFIXES[insutype]:
            return False
        if not self._district_ok(admdvs, district):
            return False
        self.codes_ok.add((admdvs, insutype, psn_type, district))
        return True

    def _district_ok(self, admdvs: str, district: str) -> bool:
        key = (admdvs, district)
        known = self.district_ok.get(key)
        if known is None:
            known = self.district_ok[key] = (self.ctx.district_region.get(district) == admdvs
                                             and self.ctx.scope.covers(admdvs=admdvs, district=district))
        return known

    def _checked(self, number: int, values: list) -> tuple[tuple | None, list[RowError]]:
        """The authority on a row: the cells read by ``cells`` (shapes, dates, amounts), then the member
        rules of ``members.rules`` (the same as the API's), then the clerk's district scope."""
        row = RowCells(number, values, self.positions, HEADERS)
        errors, fail, get = row.errors, row.fail, row.get

        ctx = self.ctx
        certno = get("certno", cells.certno_text)
        name = get("psn_name", cells.text)
        admdvs = get("admdvs", cells.code, length=6, label="统筹区")
        insutype = get("insutype", cells.choice, choices=INSUTYPES, label="险种")
        psn_type = get("psn_type", cells.code, max_length=4, label="人员类别")
        district = get("district", cells.code, length=6, label="县区")
        # No bounds here: the rules say how early or late a date may be (birth date, today).
        enrolled_on = get("enrolled_on", cells.day, earliest=date.min)
        retired_on = get("retired_on", cells.day, required=False, earliest=date.min)
        base = get("contribution_base", cells.money, required=False, maximum=MAX_CONTRIBUTION_BASE)
        poverty = get("poverty", cells.boolean)
        inpatient_only = get("inpatient_only", cells.boolean)
        region = ctx.regions.get(admdvs) if admdvs else None
        check = member_fields_check(
            certno=certno, psn_name=name, admdvs=admdvs, insutype=insutype, psn_type=psn_type, district=district,
            enrolled_on=enrolled_on, retired_on=retired_on, contribution_base=base,
            inpatient_only=bool(inpatient_only),
            region_insutype=region.insutype if region is not None else None,
            district_region=ctx.district_region.get(district) if district else None, today=ctx.today)
        unread = {error.column for error in errors}  # a cell that could not be read has its message already
        for field, problems in check.errors.items():
            if HEADERS[field] not in unread:
                for problem in problems:
                    fail(field, CellError(problem.bilingual(), problem.rule))
        if district and admdvs and "district" not in check.errors and HEADERS["district"] not in unread \
                and not ctx.scope.covers(admdvs=admdvs, district=district):
            fail("district", CellError(f"您的权限范围不包括县区 {district}", "scope"))
        if errors:
            return None, errors
        key = admdvs + check.certno
        first = self.seen.get(key)
        if first is not None:
            return None, [RowError(number, HEADERS["certno"], check.certno,
                                   f"与第 {first} 行重复（同一统筹区同一身份证号）", "duplicate")]
        self.seen[key] = number
        return (number, admdvs, check.certno, check.psn_name, insutype, psn_type, retired_on, base, bool(poverty),
                district, enrolled_on, check.brdy, check.gend, bool(inpatient_only)), []

    def check_batch(self, records: list[tuple]) -> tuple[list[tuple], list[RowError]]:
        """Rows already registered: identical → skipped (a re-import writes nothing), else refused."""
        side = self._side()
        if side is None and self.loader is not None:
            self.loader.drain()  # the import's connection is free again (the previous batch's COPY is done)
        stored, covered = self._lookups_gathered(records)
        if covered < len(records):
            rest = records[covered:]
            stored.update(existing_members(admdvs=[r[1] for r in rest], certnos=[r[2] for r in rest],
                                           fields=COMPARED, using=side))
        if not stored:
            return records, []
        fresh, errors = [], []
        for record in records:
            old = stored.get((record[1], record[2]))
            if old is None:
                fresh.append(record)
            elif old == (record[3], record[4], record[5], record[9], record[10], record[6], record[7], record[8],
                         record[13]):
                self.skipped += 1
            else:
                errors.append(RowError(record[0], HEADERS["certno"], record[2],
                                       f"统筹区 {record[1]} 已登记该参保人且信息不同；变更请在参保人页面办理",
                                       "exists"))
        return fresh, errors

    def _lookups_ahead(self, records: list):
        """For a writing import with a side connection: a function sending the lookup of
        ``records[covered:upto]`` to a helper thread, so the database finds the stored members of a
        batch's first chunks while this thread parses the next ones (the lookup was ~3 µs a row of
        waiting otherwise). None when the lookups run inline (no side connection, a dry run)."""
        self._lookups_discarded()  # a batch parsed but never checked (an error in between)
        if self.loader is None or self._side() is None:
            return None
        if self.lookup_pool is None:
            self.lookup_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-lookup")
        # The raw psycopg connection: Django's wrapper refuses use from another thread. Only the helper
        # thread uses it until ``_lookups_gathered`` has waited for every lookup sent.
        raw, futures = self.side.connection, []
        self.lookups = (records, futures, 0)

        def send(upto: int) -> None:
            chunk = records[self.lookups[2]:upto]
            futures.append(self.lookup_pool.submit(
                existing_members, admdvs=[r[1] for r in chunk], certnos=[r[2] for r in chunk], fields=COMPARED,
                using=raw))
            self.lookups = (records, futures, upto)
        return send

    def _lookups_gathered(self, records: list | None) -> tuple[dict, int]:
        """The stored members found ahead for ``records`` and how many of its rows they cover (0 for a
        list they were not sent for); waits for every lookup in flight either way."""
        lookups, self.lookups = self.lookups, None
        stored: dict = {}
        if lookups is None:
            return stored, 0
        sent_for, futures, covered = lookups
        with self.side.wrap_database_errors:
            for future in futures:
                stored.update(future.result())
        return (stored, covered) if sent_for is records else ({}, 0)

    def _lookups_discarded(self) -> None:
        """Waits for lookups in flight whose batch will not be checked; their outcome no longer matters."""
        lookups, self.lookups = self.lookups, None
        if lookups is not None:
            for future in lookups[1]:
                future.exception()  # waits, raises nothing

    def _side(self):
        """The side connection, opened at the first lookup (None: the import's own connection does all)."""
        if self.side is None and self.side_allowed:
            self.side_allowed = False
            side = connections.create_connection(connection.alias)
            try:
                side.ensure_connection()
            except DatabaseError:  # e.g. no connection slot left
                side.close()
            else:
                self.side = side
                if self.loader is not None:
                    self.loader.side = side  # the ids are reserved there too
        return self.side

    def write(self, records: list[tuple]) -> list[RowError]:
        self.loader.add(records)
        return []

    def close(self) -> None:
        """Before the transaction ends, whatever happened: no write in flight, side connection closed."""
        try:
            try:
                self._lookups_discarded()
            finally:
                if self.lookup_pool is not None:
                    self.lookup_pool.shutdown()
                    self.lookup_pool = None
                if self.loader is not None:
                    self.loader.close()
        finally:
            if self.side is not None:
                self.side.close()
                self.side = None

    def finish(self) -> int:
        return self.loader.finish() if self.loader else 0

    @staticmethod
    def preview(record: tuple) -> dict:
        fields = ("row", "admdvs", "certno", "psn_name", "insutype", "psn_type", "retired_on", "contribution_base",
                  "poverty", "district", "enrolled_on", "brdy", "gend", "inpatient_only")
        return {f: _plain(v) for f, v in zip(fields, record)}


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)
