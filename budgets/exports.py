"""xlsx export of a run's lines (Chinese headers, money with 2 decimals, widths, a 合计 row) — formula
injection neutralised (config/xlsx.py)."""
from __future__ import annotations

from config.xlsx import Column, xlsx_bytes

from config.exports import cell_neutralise

COLUMNS = [
    ("fixmedins_code", "定点机构编码"), ("fixmedins_name", "定点机构名称"), ("district", "县区"),
    ("members", "签约人数"), ("member_months", "人月数"), ("quota", "月预结算额度/月包干"),
    ("actual", "实际发生统筹费用"), ("paid", "月结算支付"), ("budget", "年度预算/包干总额"),
    ("determined", "决算额"), ("ceiling_cut", "超县区基金总额扣减"), ("prepaid", "已预付"),
    ("balance_due", "应补(负数为应扣回)"), ("band", "决算档次"), ("claims", "结算记录数"),
    ("visits", "就诊人次"), ("medfee_sumamt", "医疗费总额"), ("deductions", "考核/违规扣款"),
    ("deductions_carried", "结转下期扣款"),
]


neutralise = cell_neutralise  # the one rule of every export (config.exports)


def _row(line) -> list:
    values = {"fixmedins_code": line.provider.fixmedins_code, "fixmedins_name": line.provider.fixmedins_name,
              "district": line.district.name if line.district_id else ""}
    return [neutralise(values[name] if name in values else getattr(line, name)) for name, _ in COLUMNS]


MONEY_COLUMNS = {"quota", "actual", "paid", "budget", "determined", "ceiling_cut", "prepaid", "balance_due"}
COUNT_COLUMNS = {"members", "member_months", "claims"}


def _column(name: str, label: str) -> Column:
    return Column(label, "money" if name in MONEY_COLUMNS else "count" if name in COUNT_COLUMNS else "text")


def run_lines_xlsx(*, run, lines) -> bytes:
    return xlsx_bytes(sheet=f"{run.admdvs_id}-{run.kind}-{run.period}",
                      columns=[_column(name, label) for name, label in COLUMNS],
                      rows=(_row(line) for line in lines.select_related("district").iterator(chunk_size=2000)),
                      preamble=[f"{run} ({run.get_status_display()})"])
