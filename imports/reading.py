"""Reading an uploaded CSV or XLSX file safely, for every import.

A file is read as a stream of (line number, {column index: cell}) and given up at its first
problem with one clear message (FileProblem), so a crafted file costs no more time or memory
than a full one: CSV in UTF-8 (with or without a BOM) or Windows-1251, strict quoting and a
cell size limit; XLSX only after its zip and XML have passed the guards (unpacked size,
number of parts, no DTD), streamed from its first sheet. Above that: the first row that is
not blank holds the headings, blank rows are skipped (up to BLANK_ROWS_MAX), and a file with
more rows than the company allows is refused as soon as the limit is passed.
"""

import csv
import io
import re
import zipfile
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as safe_xml
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from foundation.visible_text import cell_text  # every cell: visible text only

# The one use of openpyxl's private reader (see _first_sheet_cells), written against the
# version pyproject.toml pins; tests/test_import_files.py fails by name when it changes.
OPENPYXL_TESTED = "3.1.5"
XLSX_UNPACKED_MAX_MB = 100  # a zip bomb unpacks to gigabytes; a real 100,000-row sheet to ~20 MB
XLSX_PARTS_MAX = 1000
BLANK_ROWS_MAX = 10_000
MIXED_SCRIPTS = re.compile(r"[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z]")
NOT_UTF8 = _l('The file is not UTF-8 text. Save it as "CSV UTF-8" or as XLSX.')
NOT_XLSX = _l("The file could not be opened as an Excel workbook (.xlsx).")
NO_DATA = _l("The file has no rows below its headings.")

# People files (registrations, assessment participants) name their email column so.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_HEADERS = {"email", "e-mail", "email address", "почта", "электронная почта"}


class FileProblem(Exception):
    """The file as a whole cannot be read; one clear message, nothing is imported."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def read_table(filename, data):
    """The cells of an uploaded CSV or XLSX file as a stream of (line number, {column index:
    cell}), or FileProblem."""
    name = (filename or "").lower()
    if not data:
        raise FileProblem(_("The file is empty."))
    if name.endswith(".xlsx"):
        return _rows_of_xlsx(data)
    if name.endswith((".csv", ".txt")):
        return _rows_of_csv(data)
    raise FileProblem(_("Upload a .csv or .xlsx file."))


def headed_rows(filename, data, cells_of=dict):
    """A stream: first the cells of the heading row (the first that is not blank), then
    (line, cells) for every row below it that is not blank; `cells_of` turns a row's
    {column index: cell} into the cells a reader wants. FileProblem for an empty file or
    one with more than BLANK_ROWS_MAX blank rows."""
    table = read_table(filename, data)
    has_headings, blank = False, 0
    try:
        for line, raw in table:
            if not _has_text(raw):
                blank += 1
                if blank > BLANK_ROWS_MAX:
                    raise FileProblem(
                        _(
                            "The file has more than %(max)d empty rows. Delete them and upload"
                            " it again.",
                            max=BLANK_ROWS_MAX,
                        )
                    )
            elif not has_headings:
                has_headings = True
                yield cells_of(raw)
            else:
                yield line, cells_of(raw)
    finally:
        table.close()  # the workbook too, when reading stops early
    if not has_headings:
        raise FileProblem(_("The file is empty."))


def _has_text(raw):
    """Whether a row holds anything but blanks (one call a row: every row is asked)."""
    for cell in raw.values():
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            return True  # a number or a date always shows as text
    return False


def too_many_rows(row_limit):
    return FileProblem(
        _("The file has more than %(max)d rows; at most %(max)d are allowed.", max=row_limit)
    )


def table_rows(filename, data, row_limit, read_header, read_row):
    """Every row of a file read at once: `read_header` turns the heading cells into what
    `read_row(line, cells, columns)` needs (or refuses the file); reading stops as soon as
    the file has more than `row_limit` rows."""
    rows, stream = [], headed_rows(filename, data)
    try:
        columns = read_header(next(stream))
        for line, cells in stream:
            if len(rows) == row_limit:
                raise too_many_rows(row_limit)
            rows.append(read_row(line, cells, columns))
    finally:
        stream.close()
    if not rows:
        raise FileProblem(str(NO_DATA))
    return rows


def leftmost_column(headers, names):
    """The leftmost column whose heading is one of `names` (any case), or None."""
    found = (col for col, cell in headers.items() if cell_text(cell).casefold() in names)
    return min(found, default=None)


# CSV ---------------------------------------------------------------------------------------


def _text_of(data):
    """The file's text: UTF-8 (with or without a BOM), else Windows-1251, which Excel on a
    Russian Windows writes for "CSV". Latin text read as Windows-1251 puts Cyrillic letters
    inside Latin words ("Mьller"), so such a file is refused rather than misread."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as error:
        raise FileProblem(str(NOT_UTF8)) from error
    if MIXED_SCRIPTS.search(text):
        raise FileProblem(str(NOT_UTF8))
    return text


def _rows_of_csv(data):
    text = _text_of(data)
    if "\x00" in text:
        raise FileProblem(_("This does not look like a CSV file. Upload a .csv or .xlsx file."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # strict: an unclosed quote is an error instead of a cell that swallows the rest;
    # doublequote as every spreadsheet writes it (the sniffer says no when it sees no "").
    reader = csv.reader(_lines(text), dialect, strict=True, doublequote=True)
    while True:
        line = reader.line_num + 1  # where the next record starts
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileProblem(_csv_problem(error, line)) from error
        yield line, dict(enumerate(cells))


LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")


def _lines(text):
    """The text's lines, each ending in "\n" whatever the file used (\r\n, \r), one at a
    time: a large file is not copied again (io.StringIO would hold four bytes a letter)."""
    for match in LINE.finditer(text):
        if match.group(2):
            yield match.group(1) + "\n"
        elif match.group(1):
            yield match.group(1)  # the last line, without a final newline


def _csv_problem(error, line):
    # The csv module tells its errors apart by their text only.
    if "field larger than field limit" in str(error):
        return _(
            "Line %(line)d: a cell is longer than %(max)s characters.",
            line=line,
            max=format_decimal(csv.field_size_limit()),
        )
    return _("Line %(line)d: a quotation mark is not closed or is out of place.", line=line)


# XLSX --------------------------------------------------------------------------------------


def _rows_of_xlsx(data):
    _check_workbook_parts(data)
    try:
        yield from _first_sheet_cells(data)
    except Exception as error:  # openpyxl raises whatever a damaged part makes it meet
        raise FileProblem(str(NOT_XLSX)) from error


def _first_sheet_cells(data):
    """(line, {column index: value}) of the first sheet's rows that hold cells.

    openpyxl's load_workbook, even read-only, first sizes every sheet, and a sheet with no
    <dimension> (openpyxl's own write-only files have none) is parsed to its end just for
    that. These are its reader's steps (ExcelReader, WorkSheetParser: private API of
    openpyxl OPENPYXL_TESTED) less that one, streaming the first sheet."""
    # Loaded on demand: 8 MB that every web worker would carry for the odd upload.
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._reader import WorkSheetParser

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    _sheet, part = next(reader.parser.find_sheets())
    with reader.archive.open(part.target) as source:
        sheet = WorkSheetParser(source, reader.shared_strings, data_only=True)
        for line, cells in sheet.parse():
            yield line, {cell["column"] - 1: cell["value"] for cell in cells}


def _check_workbook_parts(data):
    """Refuse, before openpyxl reads anything, a workbook that unpacks too large (a zip bomb)
    or whose XML declares a DTD, where entities live (external entities, "billion laughs")."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
        if len(parts) > XLSX_PARTS_MAX:  # Excel writes a few dozen
            raise FileProblem(str(NOT_XLSX))
        if sum(part.file_size for part in parts) > XLSX_UNPACKED_MAX_MB * 2**20:
            raise FileProblem(
                _(
                    "The workbook unpacks to more than %(max)d MB. Keep only the email and"
                    " session columns, or save it as CSV.",
                    max=XLSX_UNPACKED_MAX_MB,
                )
            )
        for part in parts:
            if _declares_a_dtd(archive, part):
                raise FileProblem(
                    _(
                        "The workbook declares XML entities (a DTD), which spreadsheets never"
                        " need, so it was not read. Save it again as .xlsx or .csv."
                    )
                )
    except FileProblem:
        raise
    except Exception as error:  # a damaged zip: bad headers, checksums, compression
        raise FileProblem(str(NOT_XLSX)) from error


def _declares_a_dtd(archive, part):
    """Only the prolog is read, where a DTD must stand: parsing stops at the first element."""
    with archive.open(part) as stream:
        try:
            next(safe_xml.iterparse(stream, events=("start",), forbid_dtd=True), None)
        except DefusedXmlException:
            return True
        except ParseError:  # not XML (a picture) or damaged XML, which openpyxl will refuse
            return False
    return False
