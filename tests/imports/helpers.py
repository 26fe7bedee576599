"""Builders of import files for the tests (each test writes its own small file)."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

from members.certno import make_certno

MEMBER_HEADER = ["身份证号", "姓名", "统筹区", "险种", "人员类别", "县区", "参保日期", "退休办理日期", "缴费基数",
                 "建档立卡贫困人口"]


def certno(n: int, *, birth: date = date(1980, 1, 1), area: str = "360102") -> str:
    return make_certno(area=area, birth=birth, sequence=n)


def member_row(n: int, **overrides) -> list:
    row = {"身份证号": certno(n), "姓名": f"张{n}", "统筹区": "360100", "险种": "390", "人员类别": "1501",
           "县区": "360102", "参保日期": "2020-01-01", "退休办理日期": "", "缴费基数": "", "建档立卡贫困人口": "否"}
    row.update(overrides)
    return [row[h] for h in MEMBER_HEADER]


def write_csv(path: Path, header: list, rows: list[list], *, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, header: list, rows: list[list]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
