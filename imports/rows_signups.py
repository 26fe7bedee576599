"""Sign-ups 签约/选点: cells parsed and the batch's members and providers looked up once (unknown ones,
scope), then each request goes through ``members.services.signup_request`` in file order inside the
file's transaction (its rules read the member's history, including earlier rows of the same file)."""
from __future__ import annotations

from django.core.exceptions import ValidationError

from members.models import SignUp
from members.services import signup_request

from . import cells
from .columns import SIGNUPS
from .context import Context, RowCells, RowError

HEADERS = {c.field: c.header for c in SIGNUPS}
REASONS = {k: str(v) for k, v in SignUp.Reason.choices}
# record: (row, admdvs, certno, fixmedins_code, applied_on, reason, family_doctor)


class SignupRows:
    kind = "signups"
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
        elif admdvs and not self.ctx.regions[admdvs].has_signup:
            errors.append(RowError(number, HEADERS["admdvs"], admdvs,
                                   f"统筹区 {admdvs} 不实行门诊签约/选点", "no_signup"))
        code = get("fixmedins_code", cells.code, max_length=30, label="定点机构编码")
        applied_on = get("applied_on", cells.day, latest=self.ctx.today)
        reason = get("reason", cells.choice, choices=REASONS, label="原因")
        family_doctor = get("family_doctor", cells.boolean)
        if certno == "":
            errors.append(RowError(number, HEADERS["certno"], "", "请填写身份证号", "required"))
        if errors:
            return None, errors
        record = (number, admdvs, certno, code, applied_on, reason, bool(family_doctor))
        first = self.seen.get(record[1:])
        if first is not None:
            return None, [RowError(number, HEADERS["certno"], certno, f"与第 {first} 行重复",
                                   "duplicate")]
        self.seen[record[1:]] = number
        return record, []

    def check_batch(self, records):
        """Members and providers of the batch: one query each; requests already recorded are skipped."""
        ctx = self.ctx
        ctx.load_members((r[1], r[2]) for r in records)
        ctx.load_providers(r[3] for r in records)
        member_ids = [m.pk for m in (ctx.members.get((r[1], r[2])) for r in records) if m is not None]
        recorded = set(SignUp.objects.filter(member_id__in=member_ids).values_list(
            "member_id", "provider__fixmedins_code", "applied_on", "reason"))
        fresh, errors = [], []
        for record in records:
            number, admdvs, certno, code = record[:4]
            member = ctx.members.get((admdvs, certno))
            if member is None:
                errors.append(RowError(number, HEADERS["certno"], certno,
                                       f"统筹区 {admdvs} 没有该身份证号的参保人", "unknown_member"))
            elif not ctx.scope.covers(admdvs=member.admdvs_id, district=member.district_id):
                errors.append(RowError(number, HEADERS["certno"], certno,
                                       "该参保人不在您的权限范围内", "scope"))
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
                for name, messages in exc.message_dict.items():
                    column = HEADERS.get(name, name)
                    value = {"certno": certno, "admdvs": admdvs, "fixmedins_code": code, "reason": reason,
                             "applied_on": applied_on.isoformat(), "family_doctor": str(family_doctor)}.get(name, "")
                    errors.extend(RowError(number, column, value, message, "signup_rule") for message in messages)
        return errors

    def finish(self) -> None:
        pass

    @staticmethod
    def preview(record) -> dict:
        names = ("row", "admdvs", "certno", "fixmedins_code", "applied_on", "reason", "family_doctor")
        return {n: (v.isoformat() if hasattr(v, "isoformat") else v) for n, v in zip(names, record)}
