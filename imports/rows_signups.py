"""Sign-ups 签约/选点: cells parsed and the batch's members and providers looked up once (unknown ones,
scope), then each request goes through ``members.services.signup_request`` in file order inside the
file's transaction (its rules read the member's history, including earlier rows of the same file)."""
from __future__ import annotations

from django.core.exceptions import ValidationError

from members.models import SignUp
from members.services import signup_request

from . import cells
from .columns import SIGNUPS
from .context import RowCells, RowError
from .member_requests import MemberRequestRows

HEADERS = {c.field: c.header for c in SIGNUPS}
REASONS = {k: str(v) for k, v in SignUp.Reason.choices}
# record: (row, admdvs, certno, fixmedins_code, applied_on, reason, family_doctor)


class SignupRows(MemberRequestRows):
    kind = "signups"
    HEADERS = HEADERS
    NAMES = ("admdvs", "certno", "fixmedins_code", "applied_on", "reason", "family_doctor")

    def parse(self, number: int, values: list):
        row = RowCells(number, values, self.positions, HEADERS)
        errors, get = row.errors, row.get

        certno = get("certno", cells.certno_text)
        admdvs = get("admdvs", cells.code, length=6, label="统筹区")
        region_errors = self.region_errors(number, admdvs)
        errors.extend(region_errors)
        if admdvs and not region_errors and not self.ctx.regions[admdvs].has_signup:
            errors.append(RowError(number, HEADERS["admdvs"], admdvs,
                                   f"统筹区 {admdvs} 不实行门诊签约/选点", "no_signup"))
        code = get("fixmedins_code", cells.code, max_length=30, label="定点机构编码")
        applied_on = get("applied_on", cells.day, latest=self.ctx.today)
        reason = get("reason", cells.choice, choices=REASONS, label="原因")
        family_doctor = get("family_doctor", cells.boolean)
        errors.extend(self.certno_errors(number, certno))
        if errors:
            return None, errors
        return self.first_time((number, admdvs, certno, code, applied_on, reason, bool(family_doctor)), certno)

    def check_batch(self, records):
        """Members and providers of the batch: one query each; requests already recorded are skipped."""
        ctx = self.ctx
        member_ids = self.batch_members(records)
        ctx.load_providers(r[3] for r in records)
        recorded = set(SignUp.objects.filter(member_id__in=member_ids).values_list(
            "member_id", "provider__fixmedins_code", "applied_on", "reason"))
        fresh, errors = [], []
        for record in records:
            number, admdvs, certno, code = record[:4]
            member, error = self.member_or_error(number, admdvs, certno)
            if error is not None:
                errors.append(error)
            elif code not in ctx.providers:
                errors.append(RowError(number, HEADERS["fixmedins_code"], code,
                                       f"定点机构 {code} 不存在", "unknown_provider"))
            elif (member.pk, code, record[4], record[5]) in recorded:
                self.skipped += 1
            else:
                fresh.append(record)
        return fresh, errors

    def write(self, records) -> list[RowError]:
        errors = []
        for number, admdvs, certno, code, applied_on, reason, family_doctor in records:
            try:
                signup_request(admdvs=admdvs, certno=certno, fixmedins_code=code, applied_on=applied_on,
                               reason=reason, family_doctor=family_doctor, by=self.by)
            except ValidationError as exc:
                values = {"certno": certno, "admdvs": admdvs, "fixmedins_code": code, "reason": reason,
                          "applied_on": applied_on.isoformat(), "family_doctor": str(family_doctor)}
                errors.extend(self.service_errors(number, exc, values, "signup_rule"))
        return errors
