"""Out-of-area registrations 异地就医备案: cells parsed, the batch's members looked up once (unknown ones,
scope), then each row goes through ``members.registrations.registration_create`` in file order inside
the file's transaction, so its rules (the kinds a region registers, the destination, the dates, no
overlap — also with earlier rows of the same file) are the API's own, and a refused row refuses the
whole file (nothing written). A row identical to a registration already stored is skipped, so the
same file imported again writes nothing.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError

from members.models import OutOfAreaRegistration
from members.registrations import registration_create

from . import cells
from .columns import REGISTRATIONS
from .context import Context, RowCells, RowError

HEADERS = {c.field: c.header for c in REGISTRATIONS}
KINDS = {k: str(v) for k, v in OutOfAreaRegistration.Kind.choices}
# record: (row, admdvs, certno, kind, dest_admdvs, start_on, end_on)


class RegistrationRows:
    kind = "registrations"
    writes_always = True

    def __init__(self, *, ctx: Context, positions: dict[str, int], job_id, by, write: bool):
        self.ctx, self.positions, self.by = ctx, positions, by
        self.seen: dict[tuple, int] = {}
        self.skipped = 0

    def parse(self, number: int, values: list):
        row = RowCells(number, values, self.positions, HEADERS)
        errors, get = row.errors, row.get

        certno = get("certno", cells.certno_text)
        admdvs = get("admdvs", cells.code, length=6, label="统筹区")
        if admdvs and admdvs not in self.ctx.regions:
            errors.append(RowError(number, HEADERS["admdvs"], admdvs, f"统筹区 {admdvs} 不存在",
                                   "unknown_region"))
        kind = get("kind", cells.choice, choices=KINDS, label="备案类别")
        dest = get("dest_admdvs", cells.code, length=6, label="就医地统筹区")
        start_on = get("start_on", cells.day)
        end_on = get("end_on", cells.day, required=False)
        if certno == "":
            errors.append(RowError(number, HEADERS["certno"], "", "请填写身份证号", "required"))
        if errors:
            return None, errors
        record = (number, admdvs, certno, kind, dest, start_on, end_on)
        first = self.seen.get(record[1:])
        if first is not None:
            return None, [RowError(number, HEADERS["certno"], certno, f"与第 {first} 行重复",
                                   "duplicate")]
        self.seen[record[1:]] = number
        return record, []

    def check_batch(self, records):
        """Members of the batch: one query; registrations already recorded as the row says are skipped."""
        ctx = self.ctx
        ctx.load_members((r[1], r[2]) for r in records)
        member_ids = [m.pk for m in (ctx.members.get((r[1], r[2])) for r in records) if m is not None]
        recorded = set(OutOfAreaRegistration.objects.filter(member_id__in=member_ids).values_list(
            "member_id", "kind", "dest_admdvs", "start_on", "end_on"))
        fresh, errors = [], []
        for record in records:
            number, admdvs, certno, kind, dest, start_on, end_on = record
            member = ctx.members.get((admdvs, certno))
            if member is None:
                errors.append(RowError(number, HEADERS["certno"], certno,
                                       f"统筹区 {admdvs} 没有该身份证号的参保人", "unknown_member"))
            elif not ctx.scope.covers(admdvs=member.admdvs_id, district=member.district_id):
                errors.append(RowError(number, HEADERS["certno"], certno,
                                       "该参保人不在您的权限范围内", "scope"))
            elif (member.pk, kind, dest, start_on, end_on) in recorded:
                self.skipped += 1
            else:
                fresh.append(record)
        return fresh, errors

    def write(self, records) -> list[RowError]:
        errors = []
        for number, admdvs, certno, kind, dest, start_on, end_on in records:
            try:
                registration_create(admdvs=admdvs, certno=certno, kind=kind, dest_admdvs=dest, start_on=start_on,
                                    end_on=end_on, by=self.by)
            except ValidationError as exc:
                values = {"certno": certno, "admdvs": admdvs, "kind": kind, "dest_admdvs": dest,
                          "start_on": start_on.isoformat(), "end_on": end_on.isoformat() if end_on else ""}
                for name, messages in exc.message_dict.items():
                    errors.extend(RowError(number, HEADERS.get(name, name), values.get(name, ""), message,
                                           "registration_rule") for message in messages)
        return errors

    def finish(self) -> None:
        pass

    @staticmethod
    def preview(record) -> dict:
        names = ("row", "admdvs", "certno", "kind", "dest_admdvs", "start_on", "end_on")
        return {n: (v.isoformat() if hasattr(v, "isoformat") else v) for n, v in zip(names, record)}
