"""Checks that run before any spreadsheet parser sees a file, so hostile input is refused within
bounded memory and time: sniffing what the file is, zip-bomb limits (member count, declared and real
uncompressed sizes, compression ratio), DOCTYPE/ENTITY in any XML part (entity expansion, external
entities), and formula cells (``<f>`` elements) located by cell reference.
"""
from __future__ import annotations

import re
import struct
import zipfile
import zlib

MAX_FILE_BYTES = 512 * 1024 * 1024          # an upload bigger than this is refused unread
MAX_ZIP_MEMBERS = 2_000
MAX_MEMBER_BYTES = 512 * 1024 * 1024        # one uncompressed part (a 1M-row sheet is ~300 MB)
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024    # all parts together
MAX_RATIO = 200                              # uncompressed / compressed, for parts above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_FORMULA_CELLS = 10_000
CHUNK = 1024 * 1024

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
# A cell with a formula: <c r="B7" ...><f>...</f> (optionally namespace-prefixed, <f/> for shared ones).
_FORMULA = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*>\s*<(?:\w+:)?f\b')
_BARE_F = re.compile(rb"<(?:\w+:)?f[\s>/]")


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


def inspect_xlsx(path: str) -> set[tuple[int, int]]:
    """Refuse a zip bomb or an XML part with a DTD; return the formula cells as (row, column index)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        raise FileRefused(f"文件不是有效的 xlsx（{exc}）") from None
    formulas: set[tuple[int, int]] = set()
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
            _check_member_sizes(member)
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")) or "/" not in member.filename:
                _scan_xml(archive, member, formulas)
    return formulas


def _check_member_sizes(member: zipfile.ZipInfo) -> None:
    if member.file_size > MAX_MEMBER_BYTES:
        raise FileRefused(f"xlsx 部件 {member.filename} 解压后过大")
    if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
        raise FileRefused(f"xlsx 部件 {member.filename} 压缩比 {member.file_size // max(member.compress_size, 1)}:1 "
                          "异常，疑似压缩炸弹")


def _scan_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo, formulas: set[tuple[int, int]]) -> None:
    """Stream the part once: real size against the declared one, DTDs, and formula cells."""
    sheet = member.filename == "xl/worksheets/sheet1.xml"  # the sheet that is imported
    real = 0
    tail = b""
    try:
        with archive.open(member) as stream:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                real += len(chunk)
                if real > member.file_size or real > MAX_MEMBER_BYTES:
                    raise FileRefused(f"xlsx 部件 {member.filename} 实际解压大小超过声明值")
                window = tail + chunk
                if _DTD.search(window):
                    raise FileRefused(f"xlsx 部件 {member.filename} 含 DOCTYPE/ENTITY 声明，拒绝读取 "
                                      "(DTDs and entities are refused: entity expansion / external entities)")
                # "<f" or ":f" (a prefixed <x:f>) must be there for _BARE_F to match; looking for them
                # first skips the regex, which stops at every "<" of a 50 MB sheet, on formula-free chunks.
                if sheet and (b"<f" in window or b":f" in window) and _BARE_F.search(window):
                    _collect_formulas(window, formulas)
                tail = window[-512:]
    except (zipfile.BadZipFile, zlib.error, struct.error, ValueError) as exc:
        raise FileRefused(f"xlsx 部件 {member.filename} 损坏（{exc}）") from None
    except (OSError, EOFError, NotImplementedError) as exc:
        raise FileRefused(f"xlsx 部件 {member.filename} 无法解压（{exc}）") from None


def _collect_formulas(window: bytes, formulas: set[tuple[int, int]]) -> None:
    for match in _FORMULA.finditer(window):
        formulas.add((int(match.group(2)), column_index(match.group(1).decode())))
    if not formulas:
        # A formula we could not place on a cell (unusual markup): refuse the whole file.
        raise FileRefused("工作表含公式单元格，请复制并“粘贴为数值”后再导入")
    if len(formulas) > MAX_FORMULA_CELLS:
        raise FileRefused(f"工作表含 {len(formulas)} 个以上公式单元格，请粘贴为数值后再导入")
