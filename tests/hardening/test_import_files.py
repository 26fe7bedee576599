"""Finding 7: the import's safety checks read every part of an xlsx as it really decompresses, whatever
it is called and whatever its encoding; a CSV mixing UTF-8 and GBK is refused naming the row."""
import struct
import zipfile

import pytest

from imports.models import ImportJob
from imports.services import import_file
from members.models import Member
from tests.imports.helpers import MEMBER_HEADER, member_row, write_csv, write_xlsx, write_zip

pytestmark = pytest.mark.django_db
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
          b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>')


def parts_of(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as source:
        return {name: source.read(name) for name in source.namelist()}


def refused(path) -> str:
    job = import_file(kind="members", path=str(path))
    assert job.status == ImportJob.Status.REFUSED, job.message
    assert not Member.objects.exists()
    return job.message


def test_a_sheet_part_not_named_xml_is_scanned(tmp_path):
    # given a workbook whose first sheet lives in a part called sheet1.bin (the relationships say so)
    # and carries an entity declaration
    parts = parts_of(write_xlsx(tmp_path / "ok.xlsx", MEMBER_HEADER, [member_row(1)]))
    sheet = parts.pop("xl/worksheets/sheet1.xml")
    parts["xl/worksheets/sheet1.bin"] = b'<!DOCTYPE x [<!ENTITY a "b">]>' + sheet
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"sheet1.xml", b"sheet1.bin")
    # then refused for the DTD
    assert "DOCTYPE" in refused(write_zip(tmp_path / "bin.xlsx", parts))


def test_formulas_in_a_first_sheet_not_named_sheet1_are_found(tmp_path):
    # given the first sheet in a part called data.xml, with a formula in the name cell of row 2
    parts = parts_of(write_xlsx(tmp_path / "ok.xlsx", MEMBER_HEADER, [member_row(1)]))
    sheet = parts.pop("xl/worksheets/sheet1.xml")
    start = sheet.index(b'<c r="B2"')
    end = sheet.index(b"</c>", start) + 4
    parts["xl/worksheets/data.xml"] = sheet[:start] + b'<c r="B2" t="str"><f>1+1</f><v>2</v></c>' + sheet[end:]
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"sheet1.xml", b"data.xml")
    job = import_file(kind="members", path=str(write_zip(tmp_path / "f.xlsx", parts)))
    # then the row is refused for its formula cell, nothing written
    assert job.status == ImportJob.Status.REFUSED
    assert any(e["rule"] == "formula" and e["row"] == 2 for e in job.errors), job.errors


def test_a_utf16_part_with_an_entity_is_refused(tmp_path):
    parts = parts_of(write_xlsx(tmp_path / "ok.xlsx", MEMBER_HEADER, [member_row(1)]))
    parts["xl/sharedStrings.xml"] = "\ufeff".encode("utf-16-le") + LAUGHS.decode().replace(
        'version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16-le")
    message = refused(write_zip(tmp_path / "u16.xlsx", parts))
    assert "UTF-8" in message or "DOCTYPE" in message


def test_a_utf16_dtd_without_a_byte_order_mark_is_found_too(tmp_path):
    parts = parts_of(write_xlsx(tmp_path / "ok.xlsx", MEMBER_HEADER, [member_row(1)]))
    parts["xl/sharedStrings.xml"] = LAUGHS.decode().encode("utf-16-le")
    assert refused(write_zip(tmp_path / "u16.xlsx", parts))


def test_a_part_that_lies_about_its_size_is_measured_by_its_real_bytes(tmp_path):
    # given an xlsx whose shared strings part declares 1 000 bytes but inflates to 30 MB
    parts = parts_of(write_xlsx(tmp_path / "ok.xlsx", MEMBER_HEADER, [member_row(1)]))
    parts["xl/sharedStrings.xml"] = b"<sst>" + b" " * (30 * 2**20) + b"</sst>"
    path = write_zip(tmp_path / "liar.xlsx", parts)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
    # the local header's and the central directory's uncompressed size fields say 1000
    struct.pack_into("<L", data, info.header_offset + 22, 1000)
    central = data.index(b"PK\x01\x02" + data[data.index(b"PK\x01\x02") + 4:data.index(b"PK\x01\x02") + 4], 0)
    while True:
        central = data.index(b"PK\x01\x02", central)
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46:central + 46 + name_length]) == b"xl/sharedStrings.xml":
            struct.pack_into("<L", data, central + 24, 1000)
            break
        central += 4
    path.write_bytes(bytes(data))
    # then it is refused: its real size is more than it declares
    message = refused(path)
    assert "声明" in message or "压缩" in message


def test_a_csv_mixing_gbk_and_utf8_is_refused_naming_the_row(tmp_path):
    # given a GBK file whose third data row was pasted from a UTF-8 file
    rows = [member_row(1, 姓名="张三"), member_row(2, 姓名="李四"), member_row(3, 姓名="王五")]
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows[:2], encoding="gbk")
    utf8 = write_csv(tmp_path / "u.csv", MEMBER_HEADER, rows[2:], encoding="utf-8").read_bytes().split(b"\n", 1)[1]
    path.write_bytes(path.read_bytes() + utf8)
    # then refused, naming line 4 (header, two GBK rows, the UTF-8 row)
    message = refused(path)
    assert "第 4 行" in message and "UTF-8" in message


def test_a_plain_gbk_file_still_imports(tmp_path):
    rows = [member_row(n, 姓名=name) for n, name in enumerate(["张三", "李四", "欧阳娜娜", "王小明"], start=1)]
    job = import_file(kind="members", path=str(write_csv(tmp_path / "g.csv", MEMBER_HEADER, rows, encoding="gbk")))
    assert job.status == ImportJob.Status.DONE, job.errors
    assert sorted(Member.objects.values_list("psn_name", flat=True)) == sorted(["张三", "李四", "欧阳娜娜", "王小明"])
