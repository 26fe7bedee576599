"""xlsx export of a run's lines (Chinese headers) — formula injection neutralised."""
from __future__ import annotations

import io

from openpyxl import Workbook

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
              "district": line.district_id}
    return [neutralise(values[name] if name in values else getattr(line, name)) for name, _ in COLUMNS]


def run_lines_xlsx(*, run, lines) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=f"{run.admdvs_id}-{run.kind}-{run.period}"[:31])
    sheet.append([neutralise(f"{run} ({run.get_status_display()})")])
    sheet.append([label for _, label in COLUMNS])
    for line in lines.iterator(chunk_size=2000):
        sheet.append(_row(line))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
