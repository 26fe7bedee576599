"""A big xlsx sheet read in slices (imports/xlsx_slices.py) gives what the whole-sheet load gives: the
same values (calamine reads both), the same row numbers, whatever the cut; and what slicing cannot
read exactly goes to the whole-sheet path, or is refused with the row named."""
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from imports import readers, xlsx_slices
from imports.models import ImportJob
from imports.readers import open_sheet
from imports.safety import FileRefused, inspect_xlsx
from imports.services import import_file
from members.models import Member

from .helpers import MEMBER_HEADER, certno, member_row, write_xlsx


@pytest.fixture
def tiny_slices(monkeypatch):
    """Slices of a few hundred bytes read 97 bytes at a time, so that cuts and the </sheetData> search
    fall everywhere (inside tags, across reads) in a small file."""
    monkeypatch.setattr(xlsx_slices, "MIN_SHEET_BYTES", 0)
    monkeypatch.setattr(xlsx_slices, "SLICE_BYTES", 300)
    monkeypatch.setattr(xlsx_slices, "READ_BYTES", 97)


def sliced(path: Path, *, resumed: list | None = None) -> list:
    """The rows read in slices; ``resumed`` collects where the whole-sheet path took over, if it did."""
    slices = xlsx_slices.SheetSlices.open(str(path), readers._first_sheet(str(path)))
    assert slices is not None, "the file was expected to be read in slices"

    def resume(after: int):
        if resumed is not None:
            resumed.append(after)
        return resume_whole(path, after)
    return list(slices.rows(resume=resume, blank=readers._blank))


def resume_whole(path: Path, after: int):
    rows, _ = readers._xlsx_whole_rows(str(path))
    return ((number, values) for number, values in rows if number > after)


def whole(path: Path) -> list:
    return list(readers._xlsx_whole_rows(str(path))[0])


def write_inline_xlsx(path: Path, rows: list[list]) -> Path:
    """openpyxl's write-only mode: inline strings, no shared-strings table (the benchmark's files)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("参保人")
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def rewrite_sheet(path: Path, change) -> Path:
    """The same workbook with its sheet's XML passed through ``change(bytes) -> bytes``."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    sheet = readers._first_sheet(str(path))
    parts[sheet] = change(parts[sheet])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def with_shared_strings(path: Path) -> Path:
    """The workbook as Excel writes it: its inline strings moved to a shared-strings table (openpyxl
    writes inline ones), with a rich-text entry (runs and a phonetic run), spaces kept and an entity."""
    import re

    table: dict[bytes, int] = {}

    def shared(match) -> bytes:
        index = table.setdefault(match.group(2), len(table))
        return match.group(1) + b' t="s"><v>' + str(index).encode() + b"</v></c>"
    inline = re.compile(rb'(<c r="[A-Z]+[0-9]+")(?: s="[0-9]+")? t="inlineStr"><is><t>([^<]*)</t></is></c>')
    rewrite_sheet(path, lambda xml: inline.sub(shared, xml))
    items = [b"<si><t>" + text + b"</t></si>" for text in table]
    items.append(b'<si><r><t>\xe6\x9d\x8e</t></r><r><rPr><b/></rPr><t xml:space="preserve"> R&amp;D </t></r>'
                 b"<rPh sb=\"0\" eb=\"1\"><t>li</t></rPh></si>")
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    parts["xl/sharedStrings.xml"] = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                     b'count="%d" uniqueCount="%d">' % (len(items), len(items))
                                     + b"".join(items) + b"</sst>")
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml" Id="rId9" /></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    # the rich entry used by the last row's second cell
    sheet = readers._first_sheet(str(path))
    last = parts[sheet].rindex(b'<c r="B')
    end = parts[sheet].index(b"</c>", last) + 4
    ref = parts[sheet][last:parts[sheet].index(b'"', last + 6) + 1]
    parts[sheet] = parts[sheet][:last] + ref + b' t="s"><v>%d</v></c>' % (len(items) - 1) + parts[sheet][end:]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_inline_strings_sliced_equal_whole(tmp_path, tiny_slices):
    # given a members sheet of inline strings, 60 rows
    path = write_inline_xlsx(tmp_path / "m.xlsx", [MEMBER_HEADER] + [member_row(n) for n in range(60)])
    # when it is read in slices of ~300 bytes (under a row each) and whole
    # then the same rows, numbered 1..61 as Excel shows them
    resumed = []
    rows = sliced(path, resumed=resumed)
    assert rows == whole(path) and resumed == []  # all of it read in slices
    assert [number for number, _ in rows] == list(range(1, 62))
    assert rows[1][1] == member_row(0)


def test_a_workbook_of_two_sheets_is_sliced_on_its_first(tmp_path, tiny_slices):
    # given a members sheet followed by an instructions sheet (the slices carry no other sheet)
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    members, notes = workbook.create_sheet("参保人"), workbook.create_sheet("说明")
    for row in [MEMBER_HEADER] + [member_row(n) for n in range(30)]:
        members.append(row)
    notes.append(["说明", "每行一位参保人"])
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    resumed = []
    assert sliced(path, resumed=resumed) == whole(path) and resumed == []


def test_shared_strings_types_and_gaps_sliced_equal_whole(tmp_path, tiny_slices):
    # given a normal workbook (shared strings, styles): text, numbers, dates, booleans, empty cells,
    # blank rows in between and repeated strings
    rows = [["身份证号", "姓名", "金额", "日期", "是否"]]
    for n in range(40):
        rows.append([certno(n), f"张{n % 7}", 12.5 + n if n % 3 else n, datetime(2024, 3, 1 + n % 28, 8, 30)
                     if n % 4 == 0 else date(2020, 1, 1 + n % 28), n % 2 == 0])
        if n % 9 == 0:
            rows.append([None] * 5)
        if n % 11 == 0:
            rows.append([certno(n), None, None, None, "否"])
    path = with_shared_strings(write_xlsx(tmp_path / "s.xlsx", rows[0], rows[1:]))
    # when read in slices and whole, then the same typed values under the same row numbers
    resumed = []
    got = sliced(path, resumed=resumed)
    assert got == whole(path) and resumed == []
    assert isinstance(got[1][1][3], (date, datetime)) and got[1][1][4] is True
    assert got[1][1][1] == "张0" and got[-1][1][1] == "李 R&D "  # shared; rich text without its phonetic run


def test_leading_blank_rows_keep_their_excel_numbers(tmp_path, tiny_slices):
    # given a header on row 3 (rows 1-2 blank), starting in column C
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"], sheet["C4"], sheet["E6"] = "身份证号", "姓名", "a", 5
    path = tmp_path / "lead.xlsx"
    workbook.save(path)
    # then both paths number the rows as Excel does (the whole-sheet path counted from the first
    # used row before: the header was called row 5)
    expected = [(3, ["身份证号", "姓名", ""]), (4, ["a", "", ""]), (6, ["", "", 5.0])]
    assert whole(path) == expected
    assert sliced(path) == expected
    opened = open_sheet(str(path))
    assert opened.header_row == 3 and opened.rows_total == 3  # rows 4-6 after the header


def test_a_slice_starting_in_another_column_is_put_back_on_the_header_columns(tmp_path, tiny_slices):
    # given rows whose later ones leave column A empty and one stray cell far right
    rows = [["身份证号", "姓名", "统筹区"]] + [[certno(n), f"张{n}", "360100"] for n in range(10)]
    rows += [[None, f"李{n}", "360100"] for n in range(10)] + [[None, "王", "360100", None, None, "x"]]
    path = write_inline_xlsx(tmp_path / "g.xlsx", rows)
    got, expected = sliced(path), whole(path)
    # then the cells are under the same columns; only the whole-sheet load pads every row to the
    # stray cell's column (trailing empty cells, which the import reads as empty either way)

    def trimmed(rows):
        return [(number, values[:max((i + 1 for i, v in enumerate(values) if v != ""), default=0)])
                for number, values in rows]
    assert trimmed(got) == trimmed(expected)
    assert all(len(values) >= 3 for _, values in got)


def test_a_comment_in_the_rows_hands_the_rest_to_the_whole_sheet_path(tmp_path, tiny_slices):
    # given a sheet with an XML comment among its rows (a byte cut there could differ from an XML one)
    path = write_inline_xlsx(tmp_path / "c.xlsx", [MEMBER_HEADER] + [member_row(n) for n in range(30)])
    rewrite_sheet(path, lambda xml: xml.replace(b'<row r="20"', b'<!-- </row> --><row r="20"', 1))
    # then the rows are those of the whole-sheet load, each once
    assert sliced(path) == whole(path)
    assert len(sliced(path)) == 31


@pytest.mark.parametrize("construct", [b"<!-- </row> -->", b"<?pi </row> ?>"])
def test_a_cut_inside_a_comment_or_instruction_falls_back_whole(tmp_path, tiny_slices, construct):
    # given such constructs after every 5th row (so that cuts fall inside them), and a CDATA text
    path = write_inline_xlsx(tmp_path / "c.xlsx", [MEMBER_HEADER] + [member_row(n) for n in range(30)])

    def sprinkled(xml: bytes) -> bytes:
        for number in range(5, 31, 5):
            xml = xml.replace(b'<row r="%d"' % number, construct + b'<row r="%d"' % number, 1)
        return xml.replace(b"<t>360100</t>", b"<t><![CDATA[360100</row>]]></t>", 1)
    rewrite_sheet(path, sprinkled)
    # then the same rows as the whole-sheet load, each once
    got = sliced(path)
    assert got == whole(path) and len(got) == 31  # (calamine reads a CDATA text as "" both ways)


def test_rows_without_their_number_are_numbered_as_the_whole_sheet_load_does(tmp_path, tiny_slices):
    path = write_inline_xlsx(tmp_path / "n.xlsx", [MEMBER_HEADER] + [member_row(n) for n in range(30)])
    rewrite_sheet(path, lambda xml: xml.replace(b'<row r="7">', b"<row>").replace(b'<row r="20">', b"<row>"))
    got = sliced(path)
    assert got == whole(path) and [number for number, _ in got] == list(range(1, 32))


def test_rows_going_back_are_refused_with_their_numbers(tmp_path, tiny_slices):
    # given row 30's element written before row 5's, in another slice
    path = write_inline_xlsx(tmp_path / "o.xlsx", [MEMBER_HEADER] + [member_row(n) for n in range(40)])

    def swap(xml: bytes) -> bytes:
        start5, start6 = xml.index(b'<row r="5"'), xml.index(b'<row r="6"')
        row5 = xml[start5:start6]
        xml = xml[:start5] + xml[start6:]
        at = xml.index(b'<row r="31"')
        return xml[:at] + row5 + xml[at:]
    rewrite_sheet(path, swap)
    # then the file is refused, naming the row that came back
    with pytest.raises(FileRefused, match=r"第 5 行出现在第 (29|30) 行之后"):
        sliced(path)


def test_a_sheet_ending_on_a_lower_row_than_it_starts_is_refused_by_the_scan(tmp_path):
    # given three rows written 3, 2, 1 (python-calamine sized such a sheet in terabytes and the
    # allocation aborted the whole process)
    path = write_inline_xlsx(tmp_path / "r.xlsx", [["身份证号", "姓名"], ["x", "y"], ["z", "w"]])

    def reversed_rows(xml: bytes) -> bytes:
        start, end = xml.index(b"<sheetData>") + 11, xml.index(b"</sheetData>")
        rows = [row + b"</row>" for row in xml[start:end].split(b"</row>") if row]
        return xml[:start] + b"".join(reversed(rows)) + xml[end:]
    rewrite_sheet(path, reversed_rows)
    # then the file is refused before any parser reads it, with the numbers
    with pytest.raises(FileRefused, match="第一行是第 3 行，最后一行是第 1 行"):
        open_sheet(str(path))


def test_small_files_and_big_shared_strings_load_whole(tmp_path):
    # given a sheet under MIN_SHEET_BYTES, then one whose shared strings outweigh a slice
    small = write_inline_xlsx(tmp_path / "small.xlsx", [MEMBER_HEADER, member_row(1)])
    assert xlsx_slices.SheetSlices.open(str(small), readers._first_sheet(str(small))) is None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xlsx_slices, "MIN_SHEET_BYTES", 0)
        patch.setattr(xlsx_slices, "MAX_CARRIED_BYTES", 100)
        shared = write_xlsx(tmp_path / "shared.xlsx", MEMBER_HEADER, [member_row(n) for n in range(50)])
        assert xlsx_slices.SheetSlices.open(str(shared), readers._first_sheet(str(shared))) is None


def test_the_scan_gives_the_sheet_size_in_rows(tmp_path):
    path = write_inline_xlsx(tmp_path / "m.xlsx", [MEMBER_HEADER] + [member_row(n) for n in range(25)])
    assert inspect_xlsx(str(path)).last_row == 26


@pytest.mark.django_db
def test_a_sliced_import_names_the_bad_row_and_writes_nothing_then_loads_whole(tmp_path, monkeypatch):
    # given 3 000 members in an inline-strings xlsx read in slices of ~64 KB, one of them with a
    # district outside its region at sheet row 2 500
    monkeypatch.setattr(xlsx_slices, "MIN_SHEET_BYTES", 0)
    monkeypatch.setattr(xlsx_slices, "SLICE_BYTES", 64 * 1024)
    from datetime import timedelta

    rows = [member_row(0, 身份证号=certno(i % 900, birth=date(1950, 1, 1) + timedelta(days=i // 900)))
            for i in range(3000)]
    bad = list(rows)
    bad[2498] = member_row(1, 县区="999999")
    path = write_inline_xlsx(tmp_path / "bad.xlsx", [MEMBER_HEADER] + bad)
    assert xlsx_slices.SheetSlices.open(str(path), readers._first_sheet(str(path))) is not None
    # when imported, then refused with that row named, nothing written
    job = import_file(kind="members", path=str(path))
    assert job.status == ImportJob.Status.REFUSED and job.error_count == 1
    assert job.errors[0]["row"] == 2500 and job.rows_total == 3000
    assert Member.objects.count() == 0
    # and the good file goes in whole
    ok = import_file(kind="members", path=str(write_inline_xlsx(tmp_path / "ok.xlsx", [MEMBER_HEADER] + rows)))
    assert ok.status == ImportJob.Status.DONE and Member.objects.count() == 3000


@pytest.mark.django_db
def test_an_import_whose_rows_go_back_is_refused_whole(tmp_path, tiny_slices):
    # given a members file whose row 5 is written after row 30 (in a later slice)
    path = write_inline_xlsx(tmp_path / "o.xlsx", [MEMBER_HEADER] + [member_row(n) for n in range(40)])

    def moved(xml: bytes) -> bytes:
        start5, start6 = xml.index(b'<row r="5"'), xml.index(b'<row r="6"')
        row5, xml = xml[start5:start6], xml[:start5] + xml[start6:]
        at = xml.index(b'<row r="31"')
        return xml[:at] + row5 + xml[at:]
    rewrite_sheet(path, moved)
    # when imported, then refused with the row named, nothing written
    job = import_file(kind="members", path=str(path))
    assert job.status == ImportJob.Status.REFUSED and "第 5 行出现在第" in job.message
    assert Member.objects.count() == 0
