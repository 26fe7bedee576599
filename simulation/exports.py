"""The workbook: one sheet per breakdown, scenarios as columns, each draft's difference from the
baseline and its percentage; the capitation lines and the baseline findings on their own sheets."""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook

from supervision.exports import cell_safe

from .selectors import FIGURES, capitation_rows, side_by_side, simulation_findings
from .models import SimulationRun


def _number(value):
    return None if value is None else Decimal(str(value))


def _headers(first: list[str], labels: list[str], what: str) -> list[str]:
    heads = [*first, *(f"{what}｜{label}" for label in labels)]
    for label in labels[1:]:
        heads += [f"差额｜{label}", f"变动%｜{label}"]
    return heads


def _cells(compared: dict) -> list:
    cells = [_number(v) for v in compared["values"]]
    for diff, percent in compared["changes"]:
        cells += [_number(diff), _number(percent)]
    return cells


def simulation_workbook(*, run: SimulationRun) -> bytes:
    labels = [s["label"] for s in run.results.get("scenarios", [])]
    book = Workbook(write_only=True)
    for table in run.results.get("breakdowns", []):
        sheet = book.create_sheet(title=table["title"][:31])
        for figure, title in FIGURES:
            sheet.append([cell_safe(title)])
            sheet.append(_headers(["项目"], labels, title))
            for row in table["rows"]:
                sheet.append([cell_safe(row["label"]), *_cells(side_by_side(row[figure]))])
            sheet.append([])
    members = run.results.get("members")
    if members:
        sheet = book.create_sheet(title="参保人分布")
        sheet.append(_headers(["项目"], labels, "方案"))
        rows = [("有就诊的参保人数", members["count"]), ("达到年度限额人数", members["at_cap"]),
                ("达到单项限额人数", members["at_subcap"]), ("统筹基金支付合计", members["fund_pay"])]
        rows += [(f"人均基金支付{10 * (n + 1)}%分位", [d[n] if d else "0" for d in members["deciles"]])
                 for n in range(9)]
        for label, values in rows:
            sheet.append([label, *_cells(side_by_side(values))])
    lines = capitation_rows(run=run)
    if lines:
        sheet = book.create_sheet(title="定额包干与决算档次")
        heads = ["机构编码", "机构名称"]
        for what in ("年度预算", "实际统筹支付", "决算额"):
            heads += _headers([], labels, what)
        sheet.append(heads + [f"决算档次｜{label}" for label in labels])
        for line in lines:
            sheet.append([cell_safe(line["code"]), cell_safe(line["name"]), *_cells(line["budget"]),
                          *_cells(line["actual"]), *_cells(line["determined"]), *line["band"]])
    sheet = book.create_sheet(title="基线差异")
    sheet.append(["结算ID", "类型", "记录统筹支付", "重放统筹支付", "说明"])
    for finding in simulation_findings(run=run, limit=100_000):
        sheet.append([cell_safe(finding.setl_id), finding.get_kind_display(), finding.recorded_fund_pay,
                      finding.replayed_fund_pay, cell_safe(finding.note)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
