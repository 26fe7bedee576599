"""Checks that run before any spreadsheet parser sees a file, so hostile input is refused within
bounded memory and time: sniffing what the file is, zip-bomb limits (member count, declared and real
uncompressed sizes, compression ratio), DOCTYPE/ENTITY in any XML part (entity expansion, external
entities), and formula cells (``<f>`` elements) located by cell reference.
"""
from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

MAX_FILE_BYTES = 512 * 1024 * 1024          # an upload bigger than this is refused unread
MAX_ZIP_MEMBERS = 2_000
MAX_MEMBER_BYTES = 512 * 1024 * 1024        # one uncompressed part (a 1M-row sheet is ~300 MB)
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024    # all parts together
MAX_RATIO = 200                              # uncompressed / compressed, for parts above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_FORMULA_CELLS = 10_000
CHUNK = 1024 * 1024
MAX_SMALL_PART = 4 * 1024 * 1024            # workbook.xml and its relationships, read whole

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
# A cell with a formula: <c r="B7" ...><f>...</f> (optionally namespace-prefixed, <f/> for shared ones).
_FORMULA = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*>\s*<(?:\w+:)?f\b')
_BARE_F = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row r="([0-9]{1,7})"')


class FileRefused(Exception):
    """The file as a whole is refused; nothing was read into the database."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def sniff(path: str) -> str:
    """'xlsx' or 'csv' (anything else is refused)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(_OLE2):
        raise FileRefused("不支持旧版 xls 或加密的 Excel 文件，请另存为 .xlsx 或 .csv")
    if head.startswith(b"PK"):
        raise FileRefused("文件不是有效的 xlsx（zip 结构损坏）")
    return "csv"


def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index - 1


@dataclass
class XlsxScan:
    """What the scan found in the imported sheet: its formula cells as (row, column index), and the
    number of its last ``<row>`` (None if it has none with a number): the file's size in rows for the
    progress shown, known before the sheet is read when it is read in slices."""
    formulas: set[tuple[int, int]]
    last_row: int | None = None


def inspect_xlsx(path: str) -> XlsxScan:
    """Refuse a zip bomb or an XML part with a DTD; return what ``XlsxScan`` holds.

    Every part is decompressed once, whatever its name (a sheet need not be called ``.xml``): its real
    size, not the one its header declares, is held against the per-part, total and ratio limits, and
    its bytes are searched for a DTD in any encoding. Formulas are collected from the sheet that is
    imported (the workbook's first, wherever its part lives)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        raise FileRefused(f"文件不是有效的 xlsx（{exc}）") from None
    formulas: set[tuple[int, int]] = set()
    last_row = None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise FileRefused(f"xlsx 内含 {len(members)} 个部件，超过上限 {MAX_ZIP_MEMBERS}")
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/worksheets/") for n in names):
            raise FileRefused("文件不是 Excel 工作簿（缺少工作表）")
        declared = sum(m.file_size for m in members)
        if declared > MAX_TOTAL_BYTES:
            raise FileRefused(f"xlsx 解压后 {declared // 2**20} MB，超过上限")
        for member in members:
            _check_member_sizes(member, member.file_size)
        budget = [MAX_TOTAL_BYTES]  # what the parts may still decompress to, all together
        with open(path, "rb") as handle:
            # The two small parts that say which part is the first sheet are scanned (DTD, size) first.
            for name in (WORKBOOK, WORKBOOK_RELS):
                if name in names:
                    _scan_part(handle, archive.getinfo(name), formulas, sheet=False, budget=budget)
            sheet = first_sheet_part(handle, archive, names)
            for member in members:
                if member.filename not in (WORKBOOK, WORKBOOK_RELS):
                    imported = (member.filename == sheet if sheet is not None
                                else member.filename.startswith("xl/worksheets/"))
                    last = _scan_part(handle, member, formulas, sheet=imported, budget=budget)
                    if imported and last is not None:
                        last_row = last
    return XlsxScan(formulas, last_row)


WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_FIRST_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\b(?:\w+:)?id="([^"]+)"')
_RELATIONSHIP = re.compile(rb'<(?:\w+:)?Relationship\b[^>]*>')
_ATTRIBUTE = re.compile(rb'\b(Id|Target)="([^"]*)"')


def first_sheet_part(handle, archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The part of the workbook's first sheet (what the readers import), from workbook.xml and its
    relationships, read as bytes (both were scanned for DTDs already). None if it cannot be told:
    then every worksheet part counts as the imported one for formulas (stricter, never laxer)."""
    try:
        workbook = _small_part(handle, archive.getinfo(WORKBOOK))
        rels = _small_part(handle, archive.getinfo(WORKBOOK_RELS))
    except (KeyError, FileRefused, zlib.error, OSError, ValueError, EOFError):
        return None
    first = _FIRST_SHEET.search(workbook)
    if first is None:
        return None
    for element in _RELATIONSHIP.finditer(rels):
        attributes = dict(_ATTRIBUTE.findall(element.group(0)))
        if attributes.get(b"Id") == first.group(1):
            target = attributes.get(b"Target", b"").decode("utf-8", "replace")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            return part if part in names else None
    return None


def _small_part(handle, member: zipfile.ZipInfo) -> bytes:
    data = b""
    for chunk in inflated_chunks(handle, member):
        data += chunk
        if len(data) > MAX_SMALL_PART:
            break
    return data[:MAX_SMALL_PART]


def _check_member_sizes(member: zipfile.ZipInfo, size: int) -> None:
    """``size``: the declared size first, then the bytes really decompressed so far."""
    if size > MAX_MEMBER_BYTES:
        raise FileRefused(f"xlsx 部件 {member.filename} 解压后过大")
    if size > RATIO_FLOOR and size > MAX_RATIO * max(member.compress_size, 1):
        raise FileRefused(f"xlsx 部件 {member.filename} 压缩比 {size // max(member.compress_size, 1)}:1 "
                          "异常，疑似压缩炸弹")


def _dtd_in(window: bytes) -> bool:
    """A DOCTYPE or ENTITY declaration in UTF-8/ASCII, or in UTF-16/UTF-32 (each character followed or
    preceded by NUL bytes, which are dropped before looking again)."""
    if _DTD.search(window):
        return True
    return b"\x00" in window and _DTD.search(window.replace(b"\x00", b"")) is not None


def _encoding_refused(head: bytes) -> bool:
    """An XML part in another encoding than UTF-8 (a UTF-16/32 byte-order mark, NULs in the first bytes,
    or an encoding declaration other than UTF-8). Excel writes UTF-8; a parser reading any other
    encoding is where a DTD could hide from a byte search (UTF-7, EBCDIC)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")) or b"\x00" in head[:64]:
        return True
    declaration = _XML_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    return declaration is not None and declaration.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8")


def _looks_like_xml(head: bytes) -> bool:
    """A part that is XML in some encoding (whatever its name says): '<' first in UTF-8, or a UTF-16/32
    byte-order mark, or '<' next to a NUL (UTF-16 without a mark)."""
    return (head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"
            or head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00", b"\x00\x00\x00<")))


_XML_ENCODING = re.compile(rb'\s*<\?xml[^>]*?\bencoding\s*=\s*["\']([^"\']*)["\']')


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # zip local file header (APPNOTE 4.3.7), 30 bytes


def inflated_chunks(handle, member: zipfile.ZipInfo):
    """The part's bytes as they really decompress, at most CHUNK at a time, from its raw data: the
    sizes a zip declares are not trusted (zipfile stops at the declared size, other readers do not).
    Only what Excel writes is read: stored or deflated, not encrypted."""
    if member.flag_bits & 0x1:
        raise FileRefused(f"xlsx 部件 {member.filename} 已加密")
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise FileRefused(f"xlsx 部件 {member.filename} 的压缩方式不受支持")
    handle.seek(member.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise FileRefused(f"xlsx 部件 {member.filename} 损坏")
    fields = _LOCAL_HEADER.unpack(header)
    handle.seek(fields[-2] + fields[-1], 1)  # the name and the extra field
    left = member.compress_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if member.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0:
        raw = handle.read(min(CHUNK, left))
        if not raw:
            break
        left -= len(raw)
        if inflater is None:
            yield raw
            continue
        data = inflater.decompress(raw, CHUNK)
        while data:
            yield data
            data = inflater.decompress(inflater.unconsumed_tail, CHUNK) if inflater.unconsumed_tail else b""
    if inflater is not None and (rest := inflater.flush()):
        yield rest


def _scan_part(handle, member: zipfile.ZipInfo, formulas: set[tuple[int, int]], *,
               sheet: bool, budget: list[int]) -> int | None:
    """Stream the part once: real size against the declared one and the limits, DTDs in any encoding,
    the encoding of an XML part, and formula cells (``sheet``: the imported sheet's part, whose last
    row number is returned)."""
    real = 0
    tail = b""
    first_row = last_row = None
    try:
        for chunk in inflated_chunks(handle, member):
            if real == 0 and _looks_like_xml(chunk) and _encoding_refused(chunk):
                raise FileRefused(f"xlsx 部件 {member.filename} 不是 UTF-8 编码的 XML，拒绝读取")
            real += len(chunk)
            budget[0] -= len(chunk)
            if real > member.file_size or budget[0] < 0:
                raise FileRefused(f"xlsx 部件 {member.filename} 实际解压大小超过声明值或上限")
            _check_member_sizes(member, real)
            window = tail + chunk
            if _dtd_in(window):
                raise FileRefused(f"xlsx 部件 {member.filename} 含 DOCTYPE/ENTITY 声明，拒绝读取")
            # "<f" or ":f" (a prefixed <x:f>) must be there for _BARE_F to match; looking for them
            # first skips the regex, which stops at every "<" of a 50 MB sheet, on formula-free chunks.
            if sheet and (b"<f" in window or b":f" in window) and _BARE_F.search(window):
                _collect_formulas(window, formulas)
            if sheet and (at := window.rfind(b"row r=\"")) > 0:  # one look per chunk, from its end
                found = _ROW_NUMBER.match(window, window.rfind(b"<", 0, at))
                last_row = int(found.group(1)) if found else last_row
                if first_row is None and (found := _ROW_NUMBER.search(window)):
                    first_row = int(found.group(1))
            tail = window[-512:]
    except (zipfile.BadZipFile, zlib.error, struct.error, ValueError) as exc:
        raise FileRefused(f"xlsx 部件 {member.filename} 损坏（{exc}）") from None
    except (OSError, EOFError, NotImplementedError) as exc:
        raise FileRefused(f"xlsx 部件 {member.filename} 无法解压（{exc}）") from None
    if first_row is not None and last_row is not None and last_row < first_row:
        # python-calamine sizes a sheet from its first and last cells: rows that end lower than they
        # start make it ask for terabytes, which aborts the whole process (not an exception).
        raise FileRefused(f"工作表的行顺序异常（第一行是第 {first_row} 行，最后一行是第 {last_row} 行），"
                          "请在 Excel 中另存后重新导入")
    return last_row


def _collect_formulas(window: bytes, formulas: set[tuple[int, int]]) -> None:
    for match in _FORMULA.finditer(window):
        formulas.add((int(match.group(2)), column_index(match.group(1).decode())))
    if not formulas:
        # A formula we could not place on a cell (unusual markup): refuse the whole file.
        raise FileRefused("工作表含公式单元格，请复制并“粘贴为数值”后再导入")
    if len(formulas) > MAX_FORMULA_CELLS:
        raise FileRefused(f"工作表含 {len(formulas)} 个以上公式单元格，请粘贴为数值后再导入")
