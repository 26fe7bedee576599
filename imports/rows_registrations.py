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
from .context import RowCells, RowError
from .member_requests import MemberRequestRows

HEADERS = {c.field: c.header for c in REGISTRATIONS}
KINDS = {k: str(v) for k, v in OutOfAreaRegistration.Kind.choices}
# record: (row, admdvs, certno, kind, dest_admdvs, start_on, end_on)


class RegistrationRows(MemberRequestRows):
    kind = "registrations"
    HEADERS = HEADERS
    NAMES = ("admdvs", "certno", "kind", "dest_admdvs", "start_on", "end_on")

    def parse(self, number: int, values: list):
        row = RowCells(number, values, self.positions, HEADERS)
        errors, get = row.errors, row.get

        certno = get("certno", cells.certno_text)
        admdvs = get("admdvs", cells.code, length=6, label="统筹区")
        errors.extend(self.region_errors(number, admdvs))
        kind = get("kind", cells.choice, choices=KINDS, label="备案类别")
        dest = get("dest_admdvs", cells.code, length=6, label="就医地统筹区")
        start_on = get("start_on", cells.day)
        end_on = get("end_on", cells.day, required=False)
        errors.extend(self.certno_errors(number, certno))
        if errors:
            return None, errors
        return self.first_time((number, admdvs, certno, kind, dest, start_on, end_on), certno)

    def check_batch(self, records):
        """Members of the batch: one query; registrations already recorded as the row says are skipped."""
        recorded = set(OutOfAreaRegistration.objects.filter(member_id__in=self.batch_members(records)).values_list(
            "member_id", "kind", "dest_admdvs", "start_on", "end_on"))
        fresh, errors = [], []
        for record in records:
            number, admdvs, certno, kind, dest, start_on, end_on = record
            member, error = self.member_or_error(number, admdvs, certno)
            if error is not None:
                errors.append(error)
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
                errors.extend(self.service_errors(number, exc, values, "registration_rule"))
        return errors
