"""Claims 门诊结算: each row parsed by ``claims.requests.claim_request_parse`` (the API's own rules:
enums, money, the medfee_sumamt identity) after the cells are normalised; at the end the whole file is
adjudicated inside the import's transaction by ``claims.services.claims_settle_batch`` (the one settle
step: member, scope, provider, replay, decision), which takes each member's visits in visit order.

A row without an idempotency key gets one derived from its content, so importing the same visits
again (same file or another) replays the first result and writes nothing.
"""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from claims.requests import claim_request_parse
from claims.services import claims_settle_batch

from . import cells
from .cells import CellError
from .columns import CLAIMS
from .context import Context, RowCells, RowError

HEADERS = {c.field: c.header for c in CLAIMS}
MONEY = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
BOOLS = ("emergency", "referral", "acct_used")
LABELS = {
    "benefit": {"ordinary": "普通门诊", "tcm": "中医门诊", "hypertension": "两病-高血压", "diabetes": "两病-糖尿病",
                "special_item": "特殊检查治疗"},
    "out_of_area": {"none": "否", "long_term": "异地长期居住", "temporary": "临时外出", "unregistered": "异地未备案"},
    "channel": {"direct": "直接结算", "manual": "手工报销"},
    "exclusion": {"work_injury": "工伤", "third_party": "第三人负担", "public_health": "公共卫生", "abroad": "境外",
                  "inpatient": "住院期间", "chronic": "慢特病待遇", "inpatient_fund_emergency": "住院基金已结算急诊"},
}
# out_of_area: an empty cell sends nothing, and the settle step derives it from the provider and the
# member's registrations (RULES.md "Out-of-area care"); a filled cell must agree with that.
DEFAULTS = {"benefit": "ordinary", "out_of_area": None, "channel": "direct", "exclusion": ""}
# The error report's rule for a refusal by the settle step, by the field it names (a member outside
# the importer's scope is answered as unknown, as the API answers it: nothing leaks).
RULES = {"certno": "unknown_member", "fixmedins_code": "unknown_provider", "idempotency_key": "idempotency_conflict",
         "prescribing_fixmedins_code": "prescription"}


class ClaimRows:
    kind = "claims"
    writes_always = True  # the service decides every row; a dry run or a refusal rolls it back

    def __init__(self, *, ctx: Context, positions: dict[str, int], job_id, by, write: bool):
        self.ctx, self.positions, self.by = ctx, positions, by
        self.seen: dict[str, int] = {}
        self.requests: list[tuple[int, object]] = []
        self.values: dict[int, list] = {}
        self.skipped = 0
        self.summary: dict = {}

    def parse(self, number: int, values: list):
        row = RowCells(number, values, self.positions, HEADERS)
        errors, raw = row.errors, row.raw

        data = {}
        for column in CLAIMS:
            name, value = column.field, raw(column.field)
            try:
                if name in MONEY:
                    amount = cells.money(value, required=column.required)
                    if amount is not None:
                        data[name] = amount
                elif name in BOOLS:
                    data[name] = cells.boolean(value)
                elif name in LABELS and DEFAULTS[name] is None and cells.text(value) == "":
                    continue  # not sent: derived by the settle step
                elif name in LABELS:
                    data[name] = cells.choice(value, LABELS[name], label=column.header, default=DEFAULTS[name])
                elif name == "visit_at":
                    data[name] = cells.text(value).replace("/", "-") if not hasattr(value, "isoformat") else value
                elif name == "certno":
                    data[name] = cells.certno_text(value)
                else:
                    data[name] = cells.text(value)
            except CellError as exc:
                errors.append(RowError(number, column.header, cells.text_or_repr(value), exc.message, exc.rule))
        if errors:
            return None, errors
        try:
            request = claim_request_parse(data)
        except ValidationError as exc:
            return None, [RowError(number, HEADERS.get(name, name), cells.text_or_repr(raw(name)), message,
                                   "amounts" if name == "medfee_sumamt" and "应等于" in message else "invalid")
                          for name, messages in exc.message_dict.items() for message in messages]
        if request.visit_local.date() > self.ctx.today:
            return None, [RowError(number, HEADERS["visit_at"], cells.text_or_repr(raw("visit_at")),
                                   "就诊时间晚于今天", "range")]
        if not request.idempotency_key:
            request = request.with_idempotency_key("import:" + request.content_hash()[:56])
        first = self.seen.get(request.idempotency_key)
        if first is not None:
            return None, [RowError(number, HEADERS["idempotency_key"], request.idempotency_key,
                                   f"与第 {first} 行是同一次就诊", "duplicate")]
        self.seen[request.idempotency_key] = number
        self.values[number] = values
        return (number, request), []

    def check_batch(self, records):
        # Member, scope and provider are the settle step's to check (claims/engine.py), with the
        # same answers as the API's; the whole file is settled at the end (visit order per member).
        self.requests.extend(records)
        return records, []

    def write(self, records) -> list:
        return []

    def finalize(self) -> list[RowError]:
        if not self.requests:
            return []
        outcomes = claims_settle_batch(requests=[r for _, r in self.requests], by=self.by)
        errors, settled, fund = [], 0, Decimal("0.00")
        statuses: dict[str, int] = {}
        for (number, request), outcome in zip(self.requests, outcomes):
            if outcome.errors:
                for name, messages in outcome.errors.items():
                    errors.extend(RowError(number, HEADERS.get(name, name), str(getattr(request, name, "") or ""),
                                           message, RULES.get(name, "claim_rule")) for message in messages)
            elif not outcome.created:
                self.skipped += 1
            else:
                settled += 1
                fund += outcome.record.hifp_pay
                statuses[outcome.record.status] = statuses.get(outcome.record.status, 0) + 1
        self.written_count = settled
        self.summary = {"claims": settled, "hifp_pay": str(fund), "statuses": statuses}
        return errors

    def finish(self) -> None:
        pass

    @staticmethod
    def preview(record) -> dict:
        number, request = record
        row = {"row": number, **request.content()}
        row.pop("fee_details", None)
        return row
