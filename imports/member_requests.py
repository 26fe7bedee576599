"""What the two imports of a member's requests share — sign-ups 签约/选点 (``rows_signups``) and
out-of-area registrations 异地就医备案 (``rows_registrations``): the member named by region and certno,
a row repeated in the file refused, the batch's members found once and checked against the user's
scope, and each row handed to its service in file order with the service's refusals named by column.
Each import keeps only what is its own: its cells, what makes a row already recorded, its service."""
from __future__ import annotations

from django.core.exceptions import ValidationError

from .context import Context, RowError


class MemberRequestRows:
    """Base of a request import; a subclass sets ``kind``, ``HEADERS`` and ``NAMES`` (the record's
    fields after the row number, for the preview) and writes ``parse``, ``check_batch``, ``write``."""
    writes_always = True
    HEADERS: dict[str, str] = {}
    NAMES: tuple[str, ...] = ()

    def __init__(self, *, ctx: Context, positions: dict[str, int], job_id, by, write: bool):
        self.ctx, self.positions, self.by = ctx, positions, by
        self.seen: dict[tuple, int] = {}
        self.skipped = 0

    def region_errors(self, number: int, admdvs: str | None) -> list[RowError]:
        """The region must exist (a subclass may add its own rule for a known region)."""
        if admdvs and admdvs not in self.ctx.regions:
            return [RowError(number, self.HEADERS["admdvs"], admdvs, f"统筹区 {admdvs} 不存在", "unknown_region")]
        return []

    def certno_errors(self, number: int, certno: str | None) -> list[RowError]:
        if certno == "":
            return [RowError(number, self.HEADERS["certno"], "", "请填写身份证号", "required")]
        return []

    def first_time(self, record: tuple, certno: str):
        """``(record, [])`` the first time the file says it, else the row's error naming the first row."""
        number, key = record[0], record[1:]
        first = self.seen.get(key)
        if first is not None:
            return None, [RowError(number, self.HEADERS["certno"], certno, f"与第 {first} 行重复", "duplicate")]
        self.seen[key] = number
        return record, []

    def batch_members(self, records) -> list[int]:
        """The batch's members loaded in one query; their ids."""
        self.ctx.load_members((r[1], r[2]) for r in records)
        return [m.pk for m in (self.ctx.members.get((r[1], r[2])) for r in records) if m is not None]

    def member_or_error(self, number: int, admdvs: str, certno: str):
        """``(member, None)``, or ``(None, error)`` for a member unknown in the region or outside scope."""
        member = self.ctx.members.get((admdvs, certno))
        if member is None:
            return None, RowError(number, self.HEADERS["certno"], certno,
                                  f"统筹区 {admdvs} 没有该身份证号的参保人", "unknown_member")
        if not self.ctx.scope.covers(admdvs=member.admdvs_id, district=member.district_id):
            return None, RowError(number, self.HEADERS["certno"], certno, "该参保人不在您的权限范围内", "scope")
        return member, None

    def service_errors(self, number: int, exc: ValidationError, values: dict, code: str) -> list[RowError]:
        """The service's refusal of a row, one error per message, under the column of its field."""
        return [RowError(number, self.HEADERS.get(name, name), values.get(name, ""), message, code)
                for name, messages in exc.message_dict.items() for message in messages]

    def finish(self) -> None:
        pass

    @classmethod
    def preview(cls, record) -> dict:
        return {n: (v.isoformat() if hasattr(v, "isoformat") else v) for n, v in zip(("row", *cls.NAMES), record)}
