"""The importer: messy CSV/XLSX/Parquet exports → validated, upserted rows in the store.

How it works (DuckDB does the heavy lifting, so a million rows take seconds, not minutes):
1. the file is loaded as all-VARCHAR into a temp table (GBK/GB18030 CSVs are transcoded to UTF-8 first);
2. headers are matched to the contract's canonical names (Chinese aliases, or a TOML mapping);
3. one SQL pass parses every cell (macros in sql/macros/import.sql) and a union of rule queries lists every
   problem as (row as Excel shows it, column, value, what was expected);
4. valid rows are converted to WGS-84 and upserted by key in one transaction together with the import log,
   so a refused or failed import leaves the store exactly as it was.
"""
from __future__ import annotations

import codecs
import csv
import getpass
import hashlib
import json
import math
import os
import re
import sys
import tempfile
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from metrics import month_parts

from . import coords
from .columns import KINDS, NOT_STORED, TYPE_EXPECTED, Col, Kind, normalise_header
from .store import SQL_DIR

Progress = Callable[[float, str], None] | None

CHINA_BBOX = {"lon": (73.0, 136.0), "lat": (3.0, 54.0)}
ERROR_COLUMNS = ["file", "row", "column", "value", "message"]
ERROR_LABELS_ZH = {"file": "文件", "row": "行", "column": "列", "value": "值", "message": "问题"}


class ImportRefused(Exception):
    """Raised for problems with a file as a whole (unreadable, missing required columns)."""


@dataclass
class Mapping:
    """A platform's export described in TOML (see data/mappings/): headers, values, defaults, bounding box."""
    columns: dict[str, str] = field(default_factory=dict)     # normalised source header → canonical name
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical column → {raw lower → value}
    defaults: dict[str, str] = field(default_factory=dict)    # canonical column → constant when absent
    bbox: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(CHINA_BBOX))
    sheet: str | int | None = None
    name: str | None = None

    @classmethod
    def load(cls, path: str | os.PathLike | None) -> Mapping:
        if path is None:
            return cls()
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        m = cls(name=Path(path).name)
        m.columns = {normalise_header(k): v for k, v in raw.get("columns", {}).items()}
        m.values = {col: {str(k).strip().lower(): str(v) for k, v in vals.items()}
                    for col, vals in raw.get("values", {}).items()}
        m.defaults = {k: str(v) for k, v in raw.get("defaults", {}).items()}
        if "bbox" in raw:
            m.bbox = {"lon": tuple(raw["bbox"]["lon"]), "lat": tuple(raw["bbox"]["lat"])}
        m.sheet = raw.get("source", {}).get("sheet")
        return m


@dataclass
class ImportResult:
    file: str
    kind: str
    sha256: str
    rows_in_file: int = 0
    rows_stored: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_refused: int = 0
    rows_unchanged: int = 0          # grids/workers: valid rows identical to the version in effect (no new version)
    import_id: int | None = None
    stored: bool = False
    already_imported: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ERROR_COLUMNS))

    def summary_zh(self) -> str:
        if not self.stored:
            return (f"{self.file}：已拒绝导入，发现 {len(self.errors)} 处问题（涉及 {self.rows_refused} 行），"
                    f"数据库未做任何改动。")
        text = (f"{self.file}：共 {self.rows_in_file} 行，入库 {self.rows_stored} 行"
                f"（新增 {self.rows_inserted}，更新 {self.rows_updated}）")
        if self.rows_unchanged:
            text += f"，{self.rows_unchanged} 行与现有记录相同（未产生新版本）"
        if self.rows_refused:
            text += f"，拒收 {self.rows_refused} 行（原因已保存，可复核）"
        if self.already_imported:
            text += "；此文件此前已导入过，按编号覆盖，未重复计数"
        return text + "。"


# --------------------------------------------------------------------------------------------- reading

def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def detect_encoding(path: str | os.PathLike) -> str:
    """utf-8 (with or without BOM), utf-16 by BOM, otherwise gb18030 (a superset of GBK) when not valid UTF-8."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        # a multi-byte character cut by the 1 MiB window is not evidence against UTF-8
        if e.start >= len(head) - 3 and len(head) == 1 << 20:
            return "utf-8"
        if _mostly_utf8(head):
            raise ImportRefused(f"文件编码混杂：大部分是 UTF-8，但第 {e.start + 1} 字节起不是有效的 UTF-8。"
                                "请在 Excel 中另存为“CSV UTF-8”后再导入。") from None
        if _looks_big5(head):
            raise ImportRefused("文件似乎是繁体中文 Big5 编码（按 GBK 读会成为乱码），不予导入。"
                                "请在 Excel 中另存为“CSV UTF-8”后再导入。") from None
        return "gb18030"


def _looks_big5(head: bytes) -> bool:
    """Big5 text read as GB18030 decodes without error but into rare characters: simplified-Chinese GBK text is
    almost all GB2312, Big5 bytes land outside it about half the time. Big5 when it also decodes as Big5."""
    try:
        head.decode("big5")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 2:           # (a character cut by the window end is no evidence)
            return False
    text = head.decode("gb18030", errors="replace")
    cjk = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if len(cjk) < 4:
        return False
    common = 0
    for c in cjk:
        try:
            c.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common < 0.85 * len(cjk)


_UTF8_CJK = re.compile(rb"[\xe4-\xe9][\x80-\xbf][\x80-\xbf]")


def _mostly_utf8(head: bytes) -> bool:
    """UTF-8 text with a few stray bytes, not GBK: most high bytes form valid UTF-8 CJK sequences (GBK text
    only rarely does), so decoding it as GB18030 would store garbled characters."""
    high = sum(1 for b in head if b >= 0x80)
    return high > 0 and 3 * len(_UTF8_CJK.findall(head)) >= 0.6 * high


def _transcode_to_utf8(path: Path, encoding: str, tmpdir: str) -> Path:
    out = Path(tmpdir) / (path.stem + ".utf8.csv")
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    try:
        with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            for chunk in iter(lambda: src.read(4 << 20), b""):
                dst.write(decoder.decode(chunk))
                offset += len(chunk)
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as e:
        raise ImportRefused(f"无法识别文件编码：第 {offset + e.start + 1} 字节附近既不是 UTF-8 也不是 GBK/GB18030。"
                            "请另存为 UTF-8 或 GBK 编码的 CSV。") from None
    return out


ROW_COLUMN = "__gg_row"    # Excel row numbers written by _number_records when a CSV has blank lines


Stage = Callable[[str, dict], None]


def _load_source(con, path: Path, table: str, stage: Stage, sheet=None, number_records: bool = False) -> bool:
    """Hand the file's cells, all VARCHAR, to `stage(relation, params)` (with ROW_COLUMN when row numbers cannot
    come from the record order): a CSV as its read_csv() itself, so it is parsed straight into the staged table
    without a copy of every cell first (1 M events: 0.6 s); a workbook or Parquet file through temp table `table`.
    `stage` may be called again when a first reading fails. Returns is_excel. Unreadable files are refused with a
    message, never a traceback."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str)
            if df.shape[1] == 0:
                raise ImportRefused("文件为空：第一个工作表没有表头。")
            df.columns = [str(c) for c in df.columns]
            con.register("_gg_excel", df)
            con.execute(f"create or replace temp table {table} as select * from _gg_excel")
            con.unregister("_gg_excel")
            stage(table, {})
            con.execute(f"drop table {table}")
            return True
        if suffix == ".parquet":
            con.execute(f"create or replace temp table {table}_p as select * from read_parquet(?)", [str(path)])
            cols = [r[0] for r in con.execute(f"describe {table}_p").fetchall()]
            select = ", ".join(f"cast({_q(c)} as varchar) as {_q(c)}" for c in cols)
            con.execute(f"create or replace temp table {table} as select {select} from {table}_p")
            con.execute(f"drop table {table}_p")
            stage(table, {})
            con.execute(f"drop table {table}")
            return False
        _load_csv(con, path, stage, number_records)
        return False
    except ImportRefused:
        raise
    except Exception as e:                   # corrupt XLSX/Parquet, unreadable CSV: the user gets a reason
        raise ImportRefused(read_error_message(e, path)) from None


_MAX_LINE = 2_097_152      # DuckDB's read_csv max_line_size default (bytes)


def read_error_message(e: Exception, path: Path, csv_path: Path | None = None) -> str:
    """A reader's exception as a Chinese reason: known English messages translated, no server path."""
    return "无法读取文件：" + _read_error_reason(e, Path(path), csv_path)


def _read_error_reason(e: Exception, path: Path, csv_path: Path | None) -> str:
    text = str(e)
    first = text.splitlines()[0] if text else type(e).__name__
    low = text.lower()
    suffix = path.suffix.lower()
    if "not a zip file" in low or "bad zip" in low or type(e).__name__ == "BadZipFile":
        return ("不是有效的 XLSX 文件：文件可能已损坏、未下载完整（被截断），或是改了扩展名的其他格式。"
                "请在 Excel 中重新另存为 .xlsx 后再导入。")
    if "excel file format cannot be determined" in low or "unsupported format, or corrupt file" in low \
            or "expected bof record" in low or (suffix == ".xls" and "xlrd" in low):
        return ("无法识别的 Excel 文件：扩展名是 " + suffix + "，内容却不是 Excel 工作簿（可能是改了扩展名的 CSV，"
                "请把扩展名改回 .csv），或文件已损坏。")
    if suffix == ".parquet" or "parquet" in low:
        return "不是有效的 Parquet 文件（文件可能已损坏或被截断）。"
    if "csv error on line" in low or "maximum line size" in low:
        line, reason = _bad_csv_record(csv_path or path)
        if line:
            return f"CSV 第 {line} 行无法读取：{reason}。"
        return "CSV 文件无法解析：有的行列数与表头不符，或引号不配对。"
    if "sniffing file" in low or "dialect" in low:
        return "无法识别 CSV 的格式：分隔符或引号不配对（例如某个单元格以引号开头却没有结束引号），或文件不是文本表格。"
    if "unicode" in low or "utf-8" in low or "encoding" in low:
        return "文件中有无法识别的字符编码。请另存为 UTF-8 或 GBK 编码的 CSV。"
    if isinstance(e, MemoryError) or "out of memory" in low:
        return "文件过大，无法读取。请拆分后再导入。"
    return _strip_paths(first, path)


def _strip_paths(text: str, path: Path) -> str:
    """No server path in a message: the file's own path becomes its name, any other absolute path its last part."""
    text = text.replace(str(path), path.name)
    return re.sub(r"(?<![\w.])/(?:[^\s\"'/]+/)+([^\s\"']+)", r"\1", text)


@contextmanager
def _csv_fields_unlimited():
    """Python's csv module refuses a field over 128 KiB (a boundary's WKT can be larger): lifted for a reading."""
    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _bad_csv_record(path: Path) -> tuple[int | None, str]:
    """The Excel row number of the first record DuckDB could not read, found with Python's csv module (DuckDB
    reports the line within its buffer, e.g. "Line: 1" for a huge cell further down)."""
    header, delimiter = _header_and_delimiter(path)
    try:
        with _csv_fields_unlimited(), open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            for n, record in enumerate(csv.reader(fh, delimiter=delimiter), start=1):
                size = sum(len(c.encode("utf-8")) for c in record) + len(record)
                if size > _MAX_LINE:
                    return n, f"这一行有 {size / 1048576:.1f} MB，超过单行上限 2 MB（某个单元格过大，或引号不配对）"
                if n > 1 and record and len(record) > len(header):
                    return n, f"这一行有 {len(record)} 列，表头只有 {len(header)} 列"
    except csv.Error as e:
        return None, str(e)
    return None, ""


def _load_csv(con, path: Path, stage: Stage, number_records: bool = False) -> None:
    if path.stat().st_size == 0:
        raise ImportRefused("文件为空。")
    encoding = detect_encoding(path)
    with tempfile.TemporaryDirectory() as tmpdir:
        src = path if encoding == "utf-8" else _transcode_to_utf8(path, encoding, tmpdir)
        if number_records:
            src = _number_records(src, tmpdir)
        try:
            _read_csv(con, src, stage)
        except duckdb.Error as e:
            if encoding != "utf-8" or "unicode" not in str(e).lower():
                raise ImportRefused(read_error_message(e, path, csv_path=src)) from None
            with open(path, "rb") as f:
                if _mostly_utf8(f.read(1 << 20)):
                    raise ImportRefused("文件中有不是 UTF-8 的字节（大部分内容是 UTF-8）。"
                                        "请在 Excel 中另存为“CSV UTF-8”后再导入。") from None
            # an ASCII-only beginning said nothing about the encoding: the rest is GBK
            gbk = _transcode_to_utf8(path, "gb18030", tmpdir)
            _read_csv(con, _number_records(gbk, tmpdir) if number_records else gbk, stage)


def _has_blank_lines(path: Path) -> bool:
    """Scanned in place (mmap): a copy of a large file through Python costs more than the search."""
    import mmap

    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(b"\n\n") >= 0 or m.find(b"\n\r\n") >= 0


def _number_records(path: Path, tmpdir: str) -> Path:
    """DuckDB skips blank lines, which would shift every later row number; a blank line is a row in Excel. So a
    CSV with blank lines is rewritten with its Excel row numbers in ROW_COLUMN and without the blank records."""
    out = Path(tmpdir) / (path.stem + ".numbered.csv")
    header, delimiter = _header_and_delimiter(path)
    with _csv_fields_unlimited(), open(path, encoding="utf-8-sig", newline="") as src, \
            open(out, "w", encoding="utf-8", newline="") as dst:
        reader = csv.reader(src, delimiter=delimiter)
        writer = csv.writer(dst, delimiter=delimiter)
        for n, record in enumerate(reader, start=1):
            if n == 1:
                writer.writerow([ROW_COLUMN, *record])
            elif record:
                writer.writerow([n, *record])
    return out


def _header_and_delimiter(path: Path, encoding: str = "utf-8-sig") -> tuple[list[str], str]:
    """The header row and its delimiter, read with Python's csv module: DuckDB's sniffer can fall back to a
    single column on a file with ragged rows, so the dialect is fixed from the header instead. The import page's
    detect_kind reads headers through this too, so a file the CLI stores is never an unknown kind there."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        first = fh.readline()
    delimiter = max([",", "\t", ";", "|"], key=first.count)
    header = next(csv.reader([first], delimiter=delimiter), [])
    return header, delimiter


def _read_csv(con, path: Path, stage: Stage) -> None:
    """Parallel read first; rows with missing trailing cells need null_padding, which the parallel reader
    cannot combine with quoted line breaks, so that case retries single-threaded."""
    header, delimiter = _header_and_delimiter(path)
    relation = ("read_csv($path, header = true, all_varchar = true, delim = $delim, quote = '\"', escape = '\"', "
                "sample_size = 20480{extra})")
    params = {"path": str(path), "delim": delimiter}

    def attempt(extra: str) -> int:
        rel = relation.format(extra=extra)
        got = len(con.execute(f"describe select * from {rel}", params).fetchall())
        if not header or got == len(header):
            stage(rel, params)
        return got

    try:
        got = attempt("")
    except duckdb.Error as e:
        if "unicode" in str(e).lower():
            raise
        got = attempt(", null_padding = true, parallel = false")
    if header and got != len(header):
        raise ImportRefused(f"无法按表头解析 CSV：表头有 {len(header)} 列，读出 {got} 列；请检查分隔符与引号。")


# --------------------------------------------------------------------------------------------- headers

def _match_headers(kind: Kind, source_cols: list[str], mapping: Mapping):
    """source header → canonical name; the ignored headers; canonical → the header the user sees."""
    alias = {}
    for col in kind.columns:
        for h in col.headers:
            alias.setdefault(normalise_header(h), col.name)
    chosen: dict[str, str] = {}
    ignored: list[str] = []
    for src in source_cols:
        n = normalise_header(src)
        canonical = mapping.columns.get(n) or alias.get(n)
        if canonical is None or canonical not in {c.name for c in kind.columns}:
            ignored.append(src)
        elif canonical in chosen.values():
            ignored.append(src)          # a second column for the same field: the first one wins
        else:
            chosen[src] = canonical
    shown = {canonical: src for src, canonical in chosen.items()}
    return chosen, ignored, shown


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


TEXT_TYPES = ("text", "geometry", "track")


def _raw(col: Col, slim: bool = False, alias: str = "") -> str:
    """The staged cell as the file had it (trimmed). Text needs no parsing, so its raw and parsed values are one
    column; every other type keeps the raw text beside the parsed value for messages — all of it (exact staging),
    or only where the cell did not parse (slim staging: elsewhere the parsed value written back as text stands in;
    a file with any problem is staged again exactly before a message is shown, see prepare)."""
    a = alias + "." if alias else ""
    if col.type in TEXT_TYPES:
        return a + _q(col.name)
    if slim:
        return f"coalesce({a}{_q('r_' + col.name)}, cast({a}{_q(col.name)} as varchar))"
    return a + _q("r_" + col.name)


def _present(col: Col, slim: bool = False) -> str:
    """SQL: the cell is not empty (in either staging)."""
    if col.type in TEXT_TYPES or not slim:
        return f"{_raw(col)} is not null"
    return f"({_q('r_' + col.name)} is not null or {_q(col.name)} is not null)"


def _unparsed(col: Col, slim: bool = False) -> str:
    """SQL: the cell is not empty yet did not parse as its type."""
    r = _q("r_" + col.name)
    return f"{r} is not null" if slim else f"{r} is not null and {_q(col.name)} is null"


# --------------------------------------------------------------------------------------------- parsing

class _Sql:
    """Collects bound parameters as named placeholders ($p0, $p1 …), so fragments can be composed in any
    order and values never get spliced into SQL text."""

    def __init__(self, prefix: str = "p"):
        self.prefix = prefix
        self.params: dict = {}

    def p(self, value) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return "$" + name


def _enum_lookup(sql: _Sql, expr: str, table: dict[str, str]) -> str:
    keys, vals = list(table), list(table.values())
    return f"(({sql.p(vals)})::varchar[])[list_position(({sql.p(keys)})::varchar[], lower({expr}))]"


def _enum_table(col: Col) -> dict[str, str]:
    table = {}
    for canonical, words in col.values.items():
        table[canonical.lower()] = canonical
        for w in words:
            table[w.lower()] = canonical
    if col.name == "satisfaction":
        table.update({f"{i}.0": str(i) for i in range(1, 6)})
    return table


def _parse_expr(sql: _Sql, col: Col, raw: str, is_excel: bool) -> str:
    t = col.type
    if t in ("text", "geometry", "track"):
        return raw
    if t == "int":
        return f"gg_parse_int({raw})"
    if t == "float":
        return f"gg_parse_float({raw})"
    if t in ("datetime", "date"):
        e = f"gg_parse_ts({raw})"
        if is_excel:
            e = f"coalesce({e}, gg_parse_excel_serial({raw}))"
        return f"cast({e} as date)" if t == "date" else e
    if t == "bool":
        return f"gg_parse_bool({raw})"
    if t == "month":
        return f"gg_parse_month({raw})"
    if t == "enum":
        return _enum_lookup(sql, raw, _enum_table(col))
    raise ValueError(t)


def _expected(col: Col) -> str:
    if col.type == "enum":
        return "应为以下之一：" + "、".join(
            f"{words[0]}({canonical})" if words else canonical for canonical, words in col.values.items())
    def num(x: float) -> str:           # 千分位 for large bounds only (years read better as 1900)
        return f"{x:,.2f}".rstrip("0").rstrip(".") if abs(x) >= 10000 else f"{x:g}"

    text = "应为" + TYPE_EXPECTED[col.type]
    if col.min is not None and col.max is not None:
        text += f"，范围 {num(col.min)}–{num(col.max)}"
    elif col.min is not None:
        text += f"，不小于 {num(col.min)}"
    return text


# --------------------------------------------------------------------------------------------- prepare

@dataclass
class Prepared:
    kind: Kind
    path: Path
    result: ImportResult
    table: str               # temp table with typed valid + invalid rows
    invalid_rows: set = field(default_factory=set)
    options: dict = field(default_factory=dict)


def _macros(con) -> None:
    con.execute((SQL_DIR / "macros" / "import.sql").read_text(encoding="utf-8"))


_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gg-sha256")


def prepare(con, kind_name: str, path, mapping: Mapping | None = None, coords_default: str = "wgs84",
            progress: Progress = None, sheet=None, slot: int = 0, display_name: str | None = None,
            number_records: bool = False, allow_move: bool = False, exact: bool = False) -> Prepared:
    """Read and validate one file into temp tables; store nothing. allow_move: grids may change street without
    saying 调整 in 调整类型. A CSV is staged slim first (raw text kept only for cells that did not parse, see _raw);
    a file with any problem is staged again exactly (exact=True), so every message quotes the cell as written.
    The file's SHA-256 is computed meanwhile on another thread (hashlib releases the GIL): 5 % of a large import."""
    digest = _HASHING.submit(sha256_of, path)
    try:
        prep = _prepare(con, kind_name, path, mapping, coords_default, progress, sheet, slot, display_name,
                        number_records, allow_move, exact)
    except ImportRefused as e:
        if getattr(e, "result", None) is not None:
            e.result.sha256 = digest.result()
        raise
    prep.result.sha256 = digest.result()
    return prep


def _prepare(con, kind_name: str, path, mapping: Mapping | None, coords_default: str, progress: Progress, sheet,
             slot: int, display_name: str | None, number_records: bool, allow_move: bool, exact: bool) -> Prepared:
    kind = KINDS[kind_name]
    mapping = mapping or Mapping()
    path = Path(path)
    shown_name = display_name or path.name
    _progress(progress, 0.05, f"读取 {shown_name}")
    result = ImportResult(file=shown_name, kind=kind.name, sha256="")        # (set by prepare)
    _macros(con)
    src, typed = f"_gg_src{slot}", f"_gg_typed{slot}"
    is_excel = path.suffix.lower() in (".xlsx", ".xlsm", ".xls")
    is_csv = not is_excel and path.suffix.lower() != ".parquet"
    slim = is_csv and not exact
    matched: dict = {}

    def stage(relation: str, params: dict) -> None:
        """The file's cells parsed into {typed}_t; `typed` is the view the rules and the store read, with each
        record's row number as Excel shows it (_row). A CSV is parsed straight from the reader when the projection
        keeps the file's order (then record n is the table's row n - 2); else, or from a table, the row number is
        stored with the row."""
        source_cols = [r[0] for r in con.execute(f"describe select * from {relation}", params).fetchall()]
        numbered = ROW_COLUMN in source_cols
        source_cols = [c for c in source_cols if c != ROW_COLUMN]
        chosen, ignored, shown = _match_headers(kind, source_cols, mapping)
        matched.update(chosen=chosen, shown=shown)
        result.ignored_columns = ignored
        missing = [c for c in kind.columns if c.required and c.name not in shown and c.name not in mapping.defaults
                   and c.default is None]
        if missing:
            result.rows_in_file = con.execute(f"select count(*) from {relation}", params).fetchall()[0][0]
            names = "、".join(f"「{c.label}」({c.name})" for c in missing)
            result.errors = pd.DataFrame([{"file": shown_name, "row": 1, "column": c.label, "value": None,
                                           "message": f"缺少必填列「{c.label}」，可用的列名：" + "、".join(c.headers)}
                                          for c in missing])
            result.rows_refused = result.rows_in_file
            raise_refused = ImportRefused(f"{shown_name} 缺少必填列 {names}")
            raise_refused.result = result
            raise raise_refused

        sql = _Sql()            # parameters of the raw projection (the inner query)
        from_reader = relation.startswith("read_csv(")
        row = (f"cast({_q(ROW_COLUMN)} as bigint)" if numbered else None if from_reader
               else "cast(rowid + 2 as bigint)")
        selects = [f"{row} as _row"] if row else []
        outer = _Sql("o")       # parameters of the parsing projection
        parsed = ["_row"] if row else []
        lazy, constant = set(), {}
        for col in kind.columns:
            cell = f"cast({_q(shown[col.name])} as varchar)" if col.name in shown else None
            default = mapping.defaults.get(col.name, col.default)
            if col.name == "coord_system":
                default = mapping.defaults.get(col.name, coords_default)
            number = col.type in ("int", "float")
            if slim and cell and col.type not in TEXT_TYPES and col.name not in mapping.values and default is None:
                # Trimming every cell is a third of the reading: a cell is parsed as it stands (f_) and trimmed
                # (t_) only when that fails — whitespace around a date, a number, a word; parsed again below.
                # (Written so that no trim() appears twice in one projection: the optimiser would hoist a common
                # subexpression out of the CASE and trim every cell after all.)
                u = _q("u_" + col.name)
                selects.append(f"nullif({cell}, '') as {u}")
                first = _parse_expr(outer, col, f"gg_number_text({u})" if number else u, is_excel)
                parsed += [f"{first} as {_q('f_' + col.name)}",
                           f"case when {first} is null then nullif(trim({u}), '') end as {_q('t_' + col.name)}"]
                lazy.add(col.name)
                continue
            raw = f"nullif(trim({cell}), '')" if cell else "cast(null as varchar)"
            if col.name in mapping.values:
                vals = mapping.values[col.name]
                fallback = sql.p(vals["_default"]) if "_default" in vals else raw
                keys = {k: v for k, v in vals.items() if k != "_default"}
                raw = (f"case when {raw} is null then null else coalesce({_enum_lookup(sql, raw, keys)}, {fallback}) "
                       "end")
            if default is not None:
                raw = f"coalesce({raw}, {sql.p(str(default))})"
            r = _q("r_" + col.name)
            if cell is None and col.name not in ("lon", "lat") and col.type not in ("geometry", "track"):
                # a column the file lacks is one value on every row (NULL or its default): computed once, given by
                # the view instead of being written a million times (the columns updated after staging excepted)
                value = _parse_expr(outer, col, f"gg_number_text({raw})" if number else raw, is_excel)
                constant[col.name] = (raw if col.type not in TEXT_TYPES else None, value)
                continue
            selects.append(f"{raw} as {r}")
            if number:          # cleaned once here, parsed in the outer projection
                selects.append(f"gg_number_text({raw}) as {_q('n_' + col.name)}")
            if col.type not in TEXT_TYPES:
                parsed.append(r)
            parsed.append(f"{_parse_expr(outer, col, _q('n_' + col.name) if number else r, is_excel)} "
                          f"as {_q(col.name)}")
        # parse in an outer projection so each raw expression is computed once
        select = f"select {', '.join(parsed)} from (select {', '.join(selects)} from {relation})"
        constants = _constants(con, constant, {**outer.params, **sql.params}, slim)
        staged = [c for c in kind.columns if c.name not in constants]
        if slim:
            # the raw text of a cell only where it did not parse (a column of NULLs on a clean file: cheap to keep)
            def kept(c: Col) -> str:
                if c.type in TEXT_TYPES:
                    return _q(c.name)
                if c.name not in lazy:
                    return f"case when {_q(c.name)} is null then {_q('r_' + c.name)} end as {_q('r_' + c.name)}, {_q(c.name)}"
                t = _q("t_" + c.name)
                value = (f"coalesce({_q('f_' + c.name)}, "
                         f"{_parse_expr(outer, c, f'gg_number_text({t})' if c.type in ('int', 'float') else t, False)})")
                return f"{value} as {_q(c.name)}, case when {value} is null then {t} end as {_q('r_' + c.name)}"

            select = f"select {'_row, ' if row else ''}{', '.join(kept(c) for c in staged)} from ({select})"
        bound = _bound(select, {**params, **outer.params, **sql.params})[1]
        if row is None and not keeps_order(con, select, bound):
            # the projection would not keep the file's order (a value list the optimiser made a join of): the cells
            # into a table first (a plain read keeps the order), numbered from there
            con.execute(f"create or replace temp table {src} as select * from {relation}", params)
            stage(src, {})
            con.execute(f"drop table {src}")
            return
        con.execute(f"create or replace temp table {typed}_t as {select}", bound)
        # straight from the reader: the table's rows are the file's records in order (insertion order is kept by a
        # projection), so record n is Excel row n + 1
        con.execute(f"create or replace temp view {typed} as select "
                    f"{'*' if row else 'cast(rowid + 2 as bigint) as _row, *'}"
                    f"{''.join(', ' + e for e in constants.values())} from {typed}_t")
        matched["one_pass"] = row is None

    _load_source(con, path, src, stage, sheet if sheet is not None else mapping.sheet, number_records)
    chosen, shown = matched["chosen"], matched["shown"]
    result.rows_in_file = con.execute(f"select count(*) from {typed}_t").fetchall()[0][0]
    _progress(progress, 0.25, f"校验 {shown_name}（{result.rows_in_file} 行）")

    errors = _rule_errors(con, kind, typed, mapping, shown, allow_move, slim)
    errors = pd.concat([errors, _python_checks(con, kind, typed, coords_default, mapping.bbox)], ignore_index=True)
    errors.insert(0, "file", shown_name)
    errors["column"] = [shown.get(c, _label(kind, c)) for c in errors["column"]]
    errors = errors.sort_values(["row", "column"], kind="stable").reset_index(drop=True)
    errors["value"] = errors["value"].astype(object).where(errors["value"].notna(), "")
    result.errors = errors[ERROR_COLUMNS]
    invalid = set(errors["row"].tolist())
    result.rows_refused = len(invalid)
    prep = Prepared(kind, path, result, typed, invalid,
                    {"mapping": mapping.name, "coords": coords_default, "source_columns": chosen,
                     "provided": sorted(set(chosen.values()) | set(mapping.defaults)),
                     "one_pass": matched.get("one_pass", False), "slim": slim})
    if invalid and is_csv:
        # Row numbers and raw text only matter when something is reported: the file is staged again exactly, and
        # since DuckDB skips blank lines, a CSV that has them with the records numbered as Excel shows them (scans
        # not worth paying on clean files).
        renumber = not number_records and _has_blank_lines(path)
        if slim or renumber:
            drop_staged(con, typed)
            return _prepare(con, kind_name, path, mapping, coords_default, progress, sheet, slot, display_name,
                            number_records or renumber, allow_move, exact=True)
    _progress(progress, 0.6, f"{shown_name}：{len(errors)} 处问题")
    return prep


def _constants(con, exprs: dict[str, tuple[str | None, str]], params: dict, slim: bool) -> dict[str, str]:
    """{column: `literal AS column` (and its r_ column)} of the columns the file lacks, from {column: (raw expression
    or None for text, parsed expression)}, evaluated once. In a slim staging a raw value is kept only where it did not
    parse, as for the cells of the file."""
    if not exprs:
        return {}
    cells = [e for raw, parsed in exprs.values() for e in (raw or "null", parsed)]
    row = con.execute(*_bound("select " + ", ".join(f"{e}, typeof({e})" for e in cells), params)).fetchall()[0]

    def literal(value, sql_type: str) -> str:
        sql_type = "VARCHAR" if sql_type == "NULL" else sql_type
        text = "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"
        return f"cast({text} as {sql_type})"

    out = {}
    for i, (name, (raw, _)) in enumerate(exprs.items()):
        raw_value, _, value, sql_type = row[4 * i:4 * i + 4]
        out[name] = f"{literal(value, sql_type)} as {_q(name)}"
        if raw is not None:
            kept = None if slim and value is not None else raw_value
            out[name] += f", {literal(kept, 'VARCHAR')} as {_q('r_' + name)}"
    return out


def _label(kind: Kind, name: str) -> str:
    try:
        return kind.col(name).label
    except StopIteration:
        return name


def _rule_errors(con, kind: Kind, typed: str, mapping: Mapping, shown: dict, allow_move: bool = False,
                 slim: bool = False) -> pd.DataFrame:
    """Every row-level rule as one SELECT; their union lists every problem with row, column, value, message.
    (slim: the staging kept raw text only where a cell did not parse — the rows found are the same, the values
    may be the parsed ones written back; prepare stages such a file again exactly.)"""
    sql = _Sql()
    parts, local, conditions = [], [], []

    def rule(column: str, condition: str, message_expr: str, value_expr: str | None = None,
             other_table: bool = False):
        """other_table: the condition reads another table (grids), so the row-local prefilter below cannot clear it."""
        value_expr = value_expr or _raw(kind.col(column), slim)
        part = (f"select _row, {sql.p(column)} as column, cast({value_expr} as varchar) as value, "
                f"{message_expr} as message from {typed} where {condition}")
        if other_table:                 # always run
            parts.append(part)
        else:                           # this row's cells alone: run only if one scan finds any such row
            local.append(part)
            conditions.append(f"({condition})")

    for col in kind.columns:
        r, v = _raw(col, slim), _q(col.name)
        if col.required:
            rule(col.name, f"not {_present(col, slim)}", sql.p(f"必填项「{col.label}」为空"))
        if col.type not in TEXT_TYPES:
            rule(col.name, _unparsed(col, slim), sql.p(_expected(col)))
        if col.min is not None:
            rule(col.name, f"{v} < {sql.p(col.min)}", sql.p(_expected(col)))
        if col.max is not None:
            rule(col.name, f"{v} > {sql.p(col.max)}", sql.p(_expected(col)))
        if col.check == "id_number":
            rule(col.name, f"{r} is not null and not coalesce(gg_id_number_ok({r}), false)",
                 sql.p("应为 18 位身份证号，且校验码正确（GB 11643）"))
            # a correct check digit over an impossible birth date (19900230, 20991231) is still not an ID number
            birth = f"try_strptime(substr({r}, 7, 8), '%Y%m%d')"
            rule(col.name, f"coalesce(gg_id_number_ok({r}), false) and ({birth} is null "
                           f"or {birth} < timestamp '1900-01-01' or {birth} > current_date)",
                 sql.p("身份证号中的出生日期不存在（第 7–14 位应为 1900 年以来、不晚于今天的真实日期）"))
        if col.name in kind.key or col.name in ("grid_id", "worker_id"):
            # invisible characters make two keys that look the same different (or one key match nothing)
            rule(col.name, f"regexp_matches({r}, '[\\x00-\\x08\\x{{200B}}-\\x{{200F}}\\x{{2060}}\\x{{FEFF}}\\x{{00AD}}\\x{{00A0}}\\x{{3000}}]')",
                 sql.p("编号中含有看不见的字符（NUL、零宽字符、不换行空格或全角空格），请清理后再导入"),
                 f"regexp_replace({r}, '[\\x00-\\x08\\x{{200B}}-\\x{{200F}}\\x{{2060}}\\x{{FEFF}}\\x{{00AD}}\\x{{00A0}}\\x{{3000}}]', '�', 'g')")
        if col.name == "amount_yuan":
            # stored as DECIMAL(14,2): a third decimal would be rounded away silently, so it is refused instead
            rule(col.name, f"{v} is not null and abs({v} * 100 - round({v} * 100)) > 1e-6",
                 sql.p("金额最多两位小数（分），不做四舍五入"))

    # lifecycle: each step not earlier than the nearest earlier step that is present
    for i, step in enumerate(kind.order):
        for j in range(i - 1, -1, -1):
            prev = kind.order[j]
            between = " and ".join(f"{_q(kind.order[k])} is null" for k in range(j + 1, i)) or "true"
            rule(step, f"{_q(step)} < {_q(prev)} and {between}",
                 f"{sql.p('早于「' + kind.col(prev).label + '」（')} || cast({_q(prev)} as varchar) || "
                 f"{sql.p('），各环节时间不能倒退')}")

    if kind.has_coords:
        (lon0, lon1), (lat0, lat1) = mapping.bbox["lon"], mapping.bbox["lat"]
        box = f"经度 {lon0:g}–{lon1:g}、纬度 {lat0:g}–{lat1:g}"
        lon, lat = kind.col("lon"), kind.col("lat")
        rule("lon", f"({_present(lon, slim)}) <> ({_present(lat, slim)})", sql.p("经度和纬度须同时填写"),
             f"coalesce({_raw(lon, slim)}, {_raw(lat, slim)})")
        rule("lon", f"lon is not null and lat is not null and not (lon between {sql.p(lon0)} and {sql.p(lon1)} "
                    f"and lat between {sql.p(lat0)} and {sql.p(lat1)})",
             sql.p(f"坐标超出范围（应在{box}内）"), f"{_raw(lon, slim)} || ', ' || {_raw(lat, slim)}")

    if kind.grid_ref:
        g = _q(kind.grid_ref)
        rule(kind.grid_ref, f"{g} is not null and {g} not in (select grid_id from grids)",
             sql.p("网格编码在网格表中不存在（请先导入网格）"), other_table=True)

    if kind.name == "grids" and not allow_move:
        # a grid that changes street is a move (a new version from its 更新时间 on; the past keeps its street): only
        # when the row says so, never by a typo in a routine refresh
        current = f"(select c.street from grids c where c.grid_id = {typed}.grid_id)"
        tail = ("」，本次为其他街道：如确属区划调整，请在「调整类型」列填写“调整”（或导入时允许调整），"
                "调整自更新时间起生效，之前各期仍按原街道统计")
        rule("street", f"street <> {current} and coalesce(change_type, '') <> 'move'",
             f"{sql.p('网格原属「')} || {current} || {sql.p(tail)}", other_table=True)
    if kind.name == "events":
        rule("outcome", "category = 'dispute' and outcome in ('rectified', 'not_rectified')",
             sql.p("矛盾纠纷的办理结果应为 调解成功、调解不成功 或 转办"))
        rule("tier", "tier is not null and category is not null and category <> 'dispute'",
             sql.p("纠纷等级只适用于矛盾纠纷类事件"))
        rule("outcome", "category = 'dispute' and closed_at is not null and outcome is null",
             sql.p("已结案的矛盾纠纷须填写办理结果（调解成功、调解不成功 或 转办）"), "cast(closed_at as varchar)")
        rule("due_at", "due_at < reported_at",
             f"{sql.p('办理时限早于上报时间（')} || cast(reported_at as varchar) || {sql.p('）')}")
        if "closed_at" in shown or "closed_at" in mapping.defaults:    # a file without closure times says nothing
            rule("satisfaction", "satisfaction is not null and closed_at is null",
                 sql.p("未结案的事件不能有满意度评价（请填写结案时间，或清空满意度）"))
        rule("outcome", "category = 'hazard' and outcome in ('resolved', 'unresolved', 'transferred')",
             sql.p("安全隐患的办理结果应为 已整改 或 未整改"))
    if kind.name == "manual_scores":
        rule("unit", "level = 'street' and unit not in (select street from grids)", sql.p("街道不存在于网格表"),
             other_table=True)
        rule("unit", "level = 'community' and unit not in (select community from grids)", sql.p("社区不存在于网格表"),
             other_table=True)
        rule("unit", "level = 'grid' and unit not in (select grid_id from grids)", sql.p("网格编码不存在于网格表"),
             other_table=True)

    # duplicate keys inside the file: every repeat after the first is refused
    keys = ", ".join(_q(k) for k in kind.key)
    not_null = " and ".join(f"{_q(k)} is not null" for k in kind.key)
    key_label = "、".join(_label(kind, k) for k in kind.key)
    # (the repeated keys found by a hash aggregate first: a window over every row costs half of all the rules)
    repeated = f"select {keys} from {typed} where {not_null} group by {keys} having count(*) > 1"
    parts.append(
        f"select _row, {sql.p(kind.key[0])} as column, cast({_raw(kind.col(kind.key[0]), slim)} as varchar) as value, "
        f"{sql.p(key_label + ' 与第 ')} || first_row || {sql.p(' 行重复')} as message from ("
        f"select *, min(_row) over (partition by {keys}) as first_row "
        f"from {typed} semi join ({repeated}) using ({keys})) where _row > first_row")

    # a clean file (the usual case) is cleared of every row-local rule in one scan instead of one scan per rule
    if local and con.execute(*_bound(f"select exists (select 1 from {typed} where {' or '.join(conditions)})",
                                     sql.params)).fetchall()[0][0]:
        parts = local + parts
    df = con.execute(*_bound(" union all ".join(parts), sql.params)).df()
    return df.rename(columns={"_row": "row"}).astype({"row": "int64"})


def _bound(query: str, params: dict) -> tuple[str, dict]:
    """The query with the parameters it names ($p0 …): DuckDB refuses a named parameter a query does not use."""
    used = set(re.findall(r"\$(\w+)", query))
    return query, {k: v for k, v in params.items() if k in used}


def _python_checks(con, kind: Kind, typed: str, coords_default: str, bbox: dict | None = None) -> pd.DataFrame:
    """Geometry and track cells: parsed with shapely (few rows; DuckDB 2.0 has no spatial extension offline)."""
    problems = []
    for col in kind.columns:
        if col.type not in ("geometry", "track"):
            continue
        rows = con.execute(f"select _row, {_q(col.name)} from {typed} where {_q(col.name)} is not null").fetchall()
        converted = {}
        for row, text in rows:
            try:
                geom = parse_geometry(text, bbox) if col.type == "geometry" else parse_track(text, bbox)
            except ValueError as e:
                problems.append({"row": row, "column": col.name, "value": text[:80], "message": str(e)})
                continue
            converted[row] = geom
        if converted:
            import shapely
            cs = coords_default
            out = pd.DataFrame({"_row": list(converted),
                                "_geom": [shapely.to_geojson(coords.geometry_to_wgs84(g, cs)) if col.type == "geometry"
                                          else shapely.to_wkt(coords.geometry_to_wgs84(g, cs), rounding_precision=7)
                                          for g in converted.values()]})
            con.register("_gg_geom", out)
            _update_staged(con, typed, f"{_q(col.name)} = g._geom", "_gg_geom g", "g._row")
            con.unregister("_gg_geom")
    return pd.DataFrame(problems, columns=["row", "column", "value", "message"]).astype({"row": "int64"})


def parse_geometry(text: str, bbox: dict | None = None):
    """A valid polygon inside the bounding box from GeoJSON geometry (or Feature) text or WKT."""
    import shapely

    text = text.strip()
    try:
        if text.startswith("{"):
            obj = json.loads(text)
            if isinstance(obj, dict) and obj.get("type") == "Feature":
                obj = obj["geometry"]
            geom = shapely.from_geojson(json.dumps(obj))
        else:
            geom = shapely.from_wkt(text)
    except Exception:
        raise ValueError("无法解析边界：" + TYPE_EXPECTED["geometry"]) from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ValueError(f"边界应为多边形（Polygon/MultiPolygon），实际为 {geom.geom_type}")
    check_geometry(geom, "边界", bbox)
    if not shapely.is_valid(geom):
        reason = shapely.is_valid_reason(geom)
        raise ValueError("边界自相交（边线交叉），不是有效的多边形" if "self-intersection" in reason.lower()
                         else f"边界不是有效的多边形（{reason.split('[')[0]}）")
    return geom


def check_geometry(geom, what: str, bbox: dict | None = None) -> None:
    """Every coordinate finite and inside the bounding box (China by default); the usual mistakes named."""
    import math

    import shapely

    coords_ = shapely.get_coordinates(geom)
    if not all(math.isfinite(x) for x in coords_.ravel()):
        raise ValueError(f"{what}含有无效坐标（NaN 或无穷大）")
    (lon0, lon1), (lat0, lat1) = (bbox or CHINA_BBOX)["lon"], (bbox or CHINA_BBOX)["lat"]
    x0, y0, x1, y1 = geom.bounds
    if lon0 <= x0 and x1 <= lon1 and lat0 <= y0 and y1 <= lat1:
        return
    if max(abs(x0), abs(x1), abs(y0), abs(y1)) > 1000:
        hint = "：数值像是以米为单位的投影坐标（如 EPSG:3857），请导出经纬度（WGS-84/GCJ-02/BD-09）"
    elif lat0 <= x0 and x1 <= lat1 and lon0 <= y0 and y1 <= lon1:
        hint = "：经度和纬度似乎颠倒了（应为 经度,纬度 的顺序）"
    else:
        hint = ""
    raise ValueError(f"{what}坐标超出范围（应在经度 {lon0:g}–{lon1:g}、纬度 {lat0:g}–{lat1:g} 内）{hint}")


def parse_track(text: str, bbox: dict | None = None):
    """A patrol track inside the bounding box: WKT LINESTRING or `lon,lat;lon,lat;…`."""
    import shapely

    text = text.strip()
    try:
        if text.upper().startswith("LINESTRING"):
            geom = shapely.from_wkt(text)
        else:
            pts = [tuple(float(x) for x in p.split(",")) for p in text.strip(";").split(";") if p.strip()]
            if not all(math.isfinite(v) for p in pts for v in p):
                raise ValueError("轨迹含有无效坐标（NaN 或无穷大）")
            geom = shapely.LineString(pts)
    except ValueError as e:
        if "NaN" in str(e):
            raise
        raise ValueError("无法解析轨迹：" + TYPE_EXPECTED["track"]) from None
    except Exception:
        raise ValueError("无法解析轨迹：" + TYPE_EXPECTED["track"]) from None
    if geom.geom_type != "LineString" or len(geom.coords) < 2:
        raise ValueError("轨迹至少需要两个点")
    check_geometry(geom, "轨迹", bbox)
    return geom


# --------------------------------------------------------------------------------------------- storing

def _convert_coords(con, prep: Prepared) -> None:
    """lon/lat given in GCJ-02 or BD-09 → WGS-84, vectorised."""
    if not prep.kind.has_coords:
        return
    system_col = "coord_system" if any(c.name == "coord_system" for c in prep.kind.columns) else None
    system_expr = "coord_system" if system_col else "$sys"
    params = {} if system_col else {"sys": prep.options["coords"]}
    df = con.execute(f"select _row, lon, lat, {system_expr} as sys from {prep.table} "
                     f"where lon is not null and lat is not null and {system_expr} <> 'wgs84'", params).df()
    if df.empty:
        return
    parts = []
    for system, g in df.groupby("sys"):
        lon, lat = coords.to_wgs84(g["lon"].to_numpy(), g["lat"].to_numpy(), system)
        parts.append(pd.DataFrame({"_row": g["_row"].to_numpy(), "lon": lon, "lat": lat}))
    con.register("_gg_conv", pd.concat(parts))
    _update_staged(con, prep.table, "lon = c.lon, lat = c.lat", "_gg_conv c", "c._row")
    con.unregister("_gg_conv")


ORDER_KEEPING = {"projection", "filter", "read csv"}


def keeps_order(con, select: str, params: dict) -> bool:
    """Whether a SELECT over the CSV reader keeps the file's record order: its plan has only projections and
    filters above the reader (DuckDB keeps insertion order through those; a join — e.g. an IN list over constants,
    which the optimiser turns into one — does not)."""
    plan = "\n".join(r[1] for r in con.execute("explain " + select, params).fetchall())
    operators = {m.strip().lower() for m in re.findall(r"[╭┌]─+\s*([^─│┬┴]+?)\s*[─┬┴]", plan)}
    return bool(operators) and operators <= ORDER_KEEPING


def _update_staged(con, typed: str, sets: str, source: str, row: str) -> None:
    """An update of the rows prepare() staged (the table under the view), matched by the view's row numbers."""
    base = f"{typed}_t"
    mine = f"{base}._row" if "_row" in _table_types(con, base) else f"({base}.rowid + 2)"
    con.execute(f"update {base} set {sets} from {source} where {mine} = {row}")


def drop_staged(con, typed: str) -> None:
    """What prepare() staged for one file: the view, the parsed table under it, the valid rows' table."""
    con.execute(f"drop view if exists {typed}")
    con.execute(f"drop table if exists {typed}_t")
    con.execute(f"drop table if exists {typed}_ok")


def _table_types(con, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"describe {table}").fetchall()}


def store(con, prepared: list[Prepared], skip_invalid: bool = False, user: str | None = None,
          progress: Progress = None) -> list[ImportResult]:
    """Upsert every prepared file in ONE transaction, or nothing if any is refused (without skip_invalid)."""
    results = [p.result for p in prepared]
    if not skip_invalid and any(p.invalid_rows for p in prepared):
        return results
    user = user or _whoami()
    con.execute("begin transaction")
    try:
        for n, prep in enumerate(prepared):
            _progress(progress, 0.6 + 0.4 * n / len(prepared), f"写入 {prep.result.file}")
            _store_one(con, prep, user)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        for r in results:
            r.stored = False
        raise
    _progress(progress, 1.0, "完成")
    return results


def _store_one(con, prep: Prepared, user: str) -> None:
    kind, res, table = prep.kind, prep.result, prep.table
    _convert_coords(con, prep)
    import_id = con.execute("select coalesce(max(import_id), 0) + 1 from import_log").fetchall()[0][0]
    res.already_imported = con.execute("select count(*) from import_log where sha256 = ? and kind = ?",
                                       [res.sha256, kind.name]).fetchall()[0][0] > 0
    if prep.invalid_rows:
        bad = pd.DataFrame({"_row": sorted(prep.invalid_rows)})
        con.register("_gg_bad", bad)
        con.execute(f"create or replace temp table {table}_ok as select * from {table} "
                    f"where _row not in (select _row from _gg_bad)")
        raw_cols = ", ".join(f"{_q(c.label)} := {_raw(c, prep.options.get('slim', False))}" for c in kind.columns)
        refused = res.errors.rename(columns={"row": "_row"})[["_row", "column", "value", "message"]]
        con.register("_gg_refused", refused)
        con.execute(f"insert into import_refused select ?, e._row, e.column, e.value, e.message, "
                    f"to_json(struct_pack({raw_cols}))::varchar from _gg_refused e join {table} t on t._row = e._row",
                    [import_id])
        con.unregister("_gg_refused")
        con.unregister("_gg_bad")
        source = f"{table}_ok"
    else:
        source = table                  # the view: the staged table and the columns the file lacks

    if kind.name in VERSIONED:
        provided = set(prep.options.get("provided", [])) | set(kind.key)
        counts = store_versions(con, kind.name, source, provided, import_id)
        res.rows_inserted, res.rows_updated, res.rows_unchanged = counts
        res.rows_stored = res.rows_inserted + res.rows_updated
        _log_import(con, prep, res, import_id, user)
        month_parts.bump(con)           # a grid's or worker's version reaches back: every month's board inputs
        return
    types = _table_types(con, kind.table)
    stored_cols = [c.name for c in kind.columns if c.name not in NOT_STORED]
    select = ", ".join(f"cast({_q(c)} as {types[c]}) as {_q(c)}" for c in stored_cols)
    join = " and ".join(f"t.{_q(k)} = s.{_q(k)}" for k in kind.key)
    # rows go in in time order, whatever order the file came in (an export sorted by ID, or shuffled): each import's
    # row groups then cover a short span of time and a period's scan skips the others by their min/max
    in_order = f" order by {_q(kind.time_column)}" if kind.time_column else ""
    res.rows_updated = con.execute(f"select count(*) from {kind.table} t where exists "
                                   f"(select 1 from {source} s where {join})").fetchall()[0][0]
    if kind.name == "events":
        # the days whose per grid × day summary this import changes: its rows' days and the days of the rows it
        # replaces (a corrected 上报时间 moves an event to another day)
        con.execute(f"create or replace temp table _gg_event_days as "
                    f"select distinct cast(cast(reported_at as timestamp) as date) as day from {source} "
                    f"union select distinct cast(t.reported_at as date) from {kind.table} t "
                    f"where exists (select 1 from {source} s where {join})")
    # the months whose board inputs this import changes: its rows' and those of the rows it replaces (for events,
    # the months of the days just listed)
    month = month_parts.month_of(kind.name)
    if kind.name == "events":
        touched = [r[0] for r in con.execute("select distinct strftime(day, '%Y-%m') from _gg_event_days "
                                             "where day is not null").fetchall()]
    elif month:
        touched = [r[0] for r in con.execute(
            f"select {month} from {source} where {month} is not null union select {month} from {kind.table} t "
            f"where exists (select 1 from {source} s where {join})").fetchall()]
    else:
        touched = []
    provided = set(prep.options.get("provided", stored_cols)) | set(kind.key)
    if res.rows_updated == 0 or all(c in provided for c in stored_cols):
        # whole rows: replace by key (the fast path for full exports and first imports)
        con.execute(f"delete from {kind.table} t where exists (select 1 from {source} s where {join})")
        con.execute(f"insert into {kind.table} by name select {select}, ? as import_id from {source}{in_order}",
                    [import_id])
    else:
        # the file lacks some columns: existing rows keep what the file does not say (a grid refresh must not
        # erase boundaries imported from GeoJSON); only new keys get whole rows
        sets = [f"{_q(c)} = cast(s.{_q(c)} as {types[c]})" for c in stored_cols
                if c in provided and c not in kind.key]
        con.execute(f"update {kind.table} t set {', '.join(sets + ['import_id = ?'])} from {source} s "
                    f"where {join}", [import_id])
        con.execute(f"insert into {kind.table} by name select {select}, ? as import_id from {source} s "
                    f"where not exists (select 1 from {kind.table} t where {join}){in_order}", [import_id])
    if kind.name == "events":
        from metrics import summaries

        summaries.refresh_days(con, "_gg_event_days")
        con.execute("drop table _gg_event_days")
    res.rows_stored = con.execute(f"select count(*) from {source}").fetchall()[0][0]
    res.rows_inserted = res.rows_stored - res.rows_updated
    _log_import(con, prep, res, import_id, user)
    month_parts.bump(con, touched)


def _log_import(con, prep: Prepared, res: ImportResult, import_id: int, user: str) -> None:
    kind = prep.kind
    res.import_id = import_id
    con.execute("insert into import_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [import_id, res.file, res.sha256, kind.name, res.rows_in_file, res.rows_stored, res.rows_inserted,
                 res.rows_updated, res.rows_refused, datetime.now().replace(microsecond=0), user,
                 json.dumps({k: v for k, v in prep.options.items() if k not in ("source_columns", "provided")},
                            ensure_ascii=False)])
    res.stored = True


# Slowly changing data kept as type-2 history (sql/migrations/002_grid_worker_history.sql): kind → history table.
VERSIONED = {"grids": "grid_versions", "workers": "worker_versions"}
ORIGIN = datetime(1900, 1, 1)      # valid_from of a first version without 更新时间: "since always"


def store_versions(con, kind_name: str, source: str, provided: set, import_id: int,
                   now: datetime | None = None) -> tuple[int, int, int]:
    """Add the rows of `source` to a kind's history. Returns (inserted, updated, unchanged) row counts.

    A row takes effect at its 更新时间 (updated_at) when given, else at the import time `now` (a key's first version
    without 更新时间: at ORIGIN, it has always held as far as the store knows). It is compared with
    the version in effect at that moment (the first version when it is older than all): columns the file does not
    have keep that version's values; an identical row adds nothing (unchanged); a changed one adds a version, or
    replaces the version that took effect at the very same moment. valid_to is then the next version's valid_from.
    """
    kind = KINDS[kind_name]
    hist, key = VERSIONED[kind_name], kind.key[0]
    now = now or datetime.now().replace(microsecond=0)
    types = _table_types(con, hist)
    src_cols = set(_table_types(con, source))
    cols = [c.name for c in kind.columns if c.name not in NOT_STORED]
    k = _q(key)

    def staged(c):
        return f"cast(s.{_q(c)} as {types[c]})" if c in src_cols else f"cast(null as {types[c]})"

    # no 更新时间: a change to a known key takes effect now; a key's first version has always held (nothing earlier
    # is known), so a later file dated before today still sorts after it
    undated = f"case when s.{k} in (select {k} from {hist}) then $now else $origin end"
    eff = f"coalesce({staged('updated_at')}, {undated})" if "updated_at" in provided else undated
    # a column the file has takes the file's value; one it lacks keeps the version's (whole rows for new keys)
    merged = [f"case when b.{k} is null or {str(c in provided).lower()} then s.{_q(c)} else b.{_q(c)} end as {_q(c)}"
              for c in cols]
    differs = " or ".join(f"m.{_q(c)} is distinct from b.{_q(c)}" for c in cols if c != key)
    con.execute(f"""
        create or replace temp table _gg_versions as
        with s as (select {', '.join(f'{staged(c)} as {_q(c)}' for c in cols)}, {eff} as valid_from
                   from {source} s),
        at_time as (select s.{k}, h.valid_from as base_from
                    from s asof left join {hist} h on s.{k} = h.{k} and s.valid_from >= h.valid_from),
        firsts as (select {k}, min(valid_from) as first_from from {hist} group by {k}),
        m as (select {', '.join(merged)}, s.valid_from, b.{k} is not null as existed,
                     b.valid_from is not distinct from s.valid_from as same_time, b.valid_from as base_from
              from s
              join at_time a on a.{k} = s.{k}
              left join firsts f on f.{k} = s.{k}
              left join {hist} b on b.{k} = s.{k} and b.valid_from = coalesce(a.base_from, f.first_from))
        select m.*, not m.existed or {differs} as changed
        from m left join {hist} b on b.{k} = m.{k} and b.valid_from = m.base_from""", {"now": now, "origin": ORIGIN})
    inserted, updated, unchanged = con.execute(
        "select count(*) filter (where not existed), count(*) filter (where existed and changed), "
        "count(*) filter (where not changed) from _gg_versions").fetchall()[0]
    con.execute(f"delete from {hist} h where exists (select 1 from _gg_versions v where v.changed and v.same_time "
                f"and v.{k} = h.{k} and v.valid_from = h.valid_from)")
    con.execute(f"insert into {hist} by name select {', '.join(_q(c) for c in cols)}, valid_from, "
                f"cast(null as timestamp) as valid_to, $import_id as import_id from _gg_versions where changed",
                {"import_id": import_id})
    con.execute(f"""
        update {hist} h set valid_to = n.next_from
        from (select {k}, valid_from, lead(valid_from) over (partition by {k} order by valid_from) as next_from
              from {hist} where {k} in (select {k} from _gg_versions where changed)) n
        where h.{k} = n.{k} and h.valid_from = n.valid_from and h.valid_to is distinct from n.next_from""")
    con.execute("drop table _gg_versions")
    return inserted, updated, unchanged


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _progress(cb: Progress, fraction: float, message: str) -> None:
    if cb is not None:
        cb(fraction, message)


# --------------------------------------------------------------------------------------------- entry point

def detect_kind(path, mapping_path=None, sheet=None) -> str | None:
    """The data family whose headers a file matches best (all its required columns present), or None;
    ImportRefused (Chinese reason) when the file cannot be read."""
    path = Path(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            headers = list(pd.read_excel(path, sheet_name=sheet or 0, nrows=0).columns)
        elif path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq
            headers = pq.read_schema(path).names
        else:
            headers, _ = _header_and_delimiter(path, detect_encoding(path).replace("utf-8", "utf-8-sig"))
    except ImportRefused:
        raise
    except Exception as e:                  # the same Chinese reason the import itself gives, never a traceback
        raise ImportRefused(read_error_message(e, path)) from None
    mapping = Mapping.load(mapping_path)
    best, best_score = None, 0
    for kind in KINDS.values():
        chosen, _, shown = _match_headers(kind, [str(h) for h in headers], mapping)
        required = {c.name for c in kind.columns if c.required and c.default is None}
        if not required <= set(shown):
            continue
        score = len(shown) / len(kind.columns) + len(required)
        if score > best_score:
            best, best_score = kind.name, score
    return best


def ingest_files(con, kind: str, paths, mapping_path=None, coords_default: str = "wgs84",
                 skip_invalid: bool = False, user: str | None = None, progress: Progress = None,
                 display_names=None, dry_run: bool = False, allow_move: bool = False) -> list[ImportResult]:
    """Validate every file, then store them all in one transaction (or none, if any is refused).
    With dry_run, validate only: the report without storing anything."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if coords_default not in coords.SYSTEMS:
        raise ValueError(f"unknown coordinate system {coords_default!r}")
    mapping = Mapping.load(mapping_path)
    prepared, results, slots = [], [], []
    for n, path in enumerate(paths):
        name = display_names[n] if display_names else None
        try:
            prep = prepare(con, kind, path, mapping, coords_default, progress, slot=n, display_name=name,
                           allow_move=allow_move)
        except ImportRefused as e:
            res = getattr(e, "result", None)
            if res is None:
                res = ImportResult(file=name or Path(path).name, kind=kind, sha256=sha256_of(path))
                res.errors = pd.DataFrame([{"file": res.file, "row": None, "column": None, "value": None,
                                            "message": str(e)}])
            results.append(res)
            continue
        prepared.append(prep)
        results.append(prep.result)
        slots.append((n, name))
    own = [(p.result.errors, set(p.invalid_rows), p.result.rows_refused) for p in prepared]
    _cross_file_duplicates(con, prepared)
    redone = False
    for j, prep in enumerate(prepared):
        if prep.invalid_rows and prep.options.get("slim"):
            # rows refused only for a key another file of this import has: the file is staged again exactly, so
            # the report and import_refused quote its cells as written (and number its rows as Excel does)
            n, name = slots[j]
            try:
                fresh = prepare(con, kind, prep.path, mapping, coords_default, progress, slot=n, display_name=name,
                                allow_move=allow_move, exact=True, number_records=_has_blank_lines(prep.path))
            except ImportRefused:       # unreadable the second time: the slim staging's report stands
                continue
            results[next(i for i, r in enumerate(results) if r is prep.result)] = fresh.result
            prepared[j], own[j], redone = fresh, (fresh.result.errors, set(fresh.invalid_rows),
                                                  fresh.result.rows_refused), True
    if redone:
        # a file staged again may number its rows differently (blank lines): every file's cross-file messages anew
        for prep, (errors, invalid, refused) in zip(prepared, own):
            prep.result.errors, prep.invalid_rows, prep.result.rows_refused = errors, set(invalid), refused
        _cross_file_duplicates(con, prepared)
    if len(prepared) < len(results) or dry_run:   # a file refused as a whole: store nothing at all
        for p in prepared:
            drop_staged(con, p.table)
        return results
    try:
        store(con, prepared, skip_invalid=skip_invalid, user=user, progress=progress)
    finally:
        for p in prepared:
            drop_staged(con, p.table)
    return results


def _cross_file_duplicates(con, prepared: list[Prepared]) -> None:
    """The same key in two files of one import: the later file's row would silently overwrite the earlier one.
    Each such row of the later file is refused, naming the other file and its row."""
    for j, later in enumerate(prepared):
        kind = later.kind
        join = " and ".join(f"a.{_q(k)} = b.{_q(k)}" for k in kind.key)
        key_label = "、".join(_label(kind, k) for k in kind.key)
        found = []
        for earlier in prepared[:j]:
            rows = con.execute(
                f"select b._row, cast({_raw(kind.col(kind.key[0]), later.options.get('slim', False), 'b')} "
                f"as varchar), min(a._row) "
                f"from {earlier.table} a join {later.table} b on {join} group by all order by 1").fetchall()
            found += [{"file": later.result.file, "row": row, "column": _label(kind, kind.key[0]), "value": value,
                       "message": f"{key_label} 与同一次导入的文件 {earlier.result.file} 第 {first} 行重复"}
                      for row, value, first in rows if row not in later.invalid_rows]
        if found:
            res = later.result
            res.errors = pd.concat([res.errors, pd.DataFrame(found)], ignore_index=True)[ERROR_COLUMNS]
            later.invalid_rows |= {f["row"] for f in found}
            res.rows_refused = len(later.invalid_rows)


def errors_frame(results: list[ImportResult], chinese: bool = True) -> pd.DataFrame:
    df = pd.concat([r.errors for r in results], ignore_index=True) if results else pd.DataFrame(columns=ERROR_COLUMNS)
    return df.rename(columns=ERROR_LABELS_ZH) if chinese else df


__all__ = ["ImportResult", "ImportRefused", "Mapping", "detect_encoding", "errors_frame", "ingest_files",
           "parse_geometry", "parse_track", "prepare", "store"]


# --------------------------------------------------------------------------------------------- boundaries

BOUNDARY_KEYS = ("grid_id", "网格编码", "网格编号", "code", "id")


def ingest_boundaries(con, path, coords_default: str = "wgs84", key: str | None = None,
                      user: str | None = None) -> ImportResult:
    """Grid boundaries from a GeoJSON FeatureCollection (or DataV's bare list of Features) keyed by grid_id.

    Sets grids.boundary (WGS-84 GeoJSON) and fills lon/lat where empty; every feature must name an existing grid.
    """
    import shapely

    path = Path(path)
    res = ImportResult(file=path.name, kind="boundaries", sha256=sha256_of(path))
    def refuse(message: str) -> ImportResult:
        res.errors = pd.DataFrame([{"file": path.name, "row": None, "column": None, "value": None,
                                    "message": message}])
        return res

    try:
        doc = json.loads(path.read_text(encoding=detect_encoding(path).replace("utf-8", "utf-8-sig")))
    except ImportRefused as e:
        return refuse(str(e))
    except json.JSONDecodeError as e:
        return refuse(f"不是有效的 GeoJSON：第 {e.lineno} 行第 {e.colno} 列附近格式错误。")
    except (ValueError, UnicodeDecodeError):
        return refuse("不是有效的 GeoJSON：文件不是 UTF-8/GBK 编码的文本。")
    except RecursionError:
        return refuse("不是有效的 GeoJSON：嵌套层数过多。")
    kinds_zh = {str: "文字", int: "数字", float: "数字", bool: "真假值", type(None): "空值 null", list: "数组",
                dict: "对象"}
    if isinstance(doc, list):
        features = doc
    elif isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    elif isinstance(doc, dict) and isinstance(doc.get("features"), list):
        features = doc["features"]
    elif isinstance(doc, dict) and "features" in doc:
        return refuse(f"GeoJSON 的 features 应为要素数组，实际为{kinds_zh.get(type(doc['features']), '其他')}。")
    else:
        return refuse("GeoJSON 顶层应为 FeatureCollection（含 features 数组）或要素数组，实际为"
                      f"{kinds_zh.get(type(doc), '其他')}。")
    res.rows_in_file = len(features)
    known = {r[0] for r in con.execute("select grid_id from grids").fetchall()}
    rows, problems, seen = [], [], {}
    for n, feat in enumerate(features, start=1):
        if not isinstance(feat, dict):
            problems.append({"row": n, "column": None, "value": str(feat)[:80],
                             "message": f"要素应为 Feature 对象，实际为{kinds_zh.get(type(feat), '其他')}"})
            continue
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            problems.append({"row": n, "column": "properties", "value": str(props)[:80],
                             "message": f"properties 应为对象，实际为{kinds_zh.get(type(props), '其他')}"})
            continue
        raw_id = next((props[k] for k in ((key,) if key else BOUNDARY_KEYS) if props.get(k) is not None), None)
        grid_id = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else None
        where = {"row": n, "column": "properties." + (key or "grid_id"), "value": grid_id or
                 (None if raw_id is None else str(raw_id)[:80])}
        if grid_id is None:
            problems.append({**where, "message": "要素缺少网格编码属性（grid_id / 网格编码），或编码不是文字/数字"})
            continue
        if grid_id not in known:
            problems.append({**where, "message": "网格编码在网格表中不存在（请先导入网格）"})
            continue
        if grid_id in seen:
            problems.append({**where, "message": f"同一网格在第 {seen[grid_id]} 个要素已有边界（每个网格一个边界）"})
            continue
        seen[grid_id] = n
        try:
            geom = parse_geometry(json.dumps(feat.get("geometry"), allow_nan=True))
        except ValueError as e:
            problems.append({**where, "column": "geometry", "message": str(e)})
            continue
        geom = coords.geometry_to_wgs84(geom, coords_default)
        pt = geom.representative_point()
        rows.append({"grid_id": grid_id, "boundary": shapely.to_geojson(geom), "lon": pt.x, "lat": pt.y})
    res.errors = pd.DataFrame(problems, columns=["row", "column", "value", "message"])
    res.errors.insert(0, "file", path.name)
    res.rows_refused = len(problems)
    if problems:
        return res
    con.execute("begin transaction")
    try:
        import_id = con.execute("select coalesce(max(import_id), 0) + 1 from import_log").fetchall()[0][0]
        con.register("_gg_bounds", pd.DataFrame(rows, columns=["grid_id", "boundary", "lon", "lat"]))
        # a new version of each grid with the shape (lon/lat filled where empty), effective now; the past keeps its own
        con.execute("create or replace temp table _gg_bounds_t as select b.grid_id, b.boundary, "
                    "coalesce(g.lon, b.lon) as lon, coalesce(g.lat, b.lat) as lat "
                    "from _gg_bounds b join grids g using (grid_id)")
        con.unregister("_gg_bounds")
        store_versions(con, "grids", "_gg_bounds_t", {"grid_id", "boundary", "lon", "lat"}, import_id)
        month_parts.bump(con)
        con.execute("drop table _gg_bounds_t")
        res.rows_stored = res.rows_updated = len(rows)
        con.execute("insert into import_log values (?, ?, ?, 'boundaries', ?, ?, 0, ?, 0, ?, ?, ?)",
                    [import_id, res.file, res.sha256, res.rows_in_file, res.rows_stored, res.rows_updated,
                     datetime.now().replace(microsecond=0), user or _whoami(),
                     json.dumps({"coords": coords_default}, ensure_ascii=False)])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    res.import_id, res.stored = import_id, True
    return res
