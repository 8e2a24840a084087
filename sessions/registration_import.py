"""Registering people for an event's sessions from a CSV or XLSX file.

Step 1 reads the file and gives every row an outcome (will register, already registered,
unknown user, ...); step 2 applies the rows that will register through
`booking.register_user`, a savepoint each inside batches of rows, so capacity holds and no
row is half-applied.
Applying twice is harmless: an applied row is "already registered" the second time.
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
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._reader import WorkSheetParser

from foundation.i18n import pick_text
from foundation.jobs import job
from foundation.visible_text import cell_text
from messaging import mail
from models import (
    Choices,
    ImportJob,
    Registration,
    RegistrationRole,
    Session,
    Status,
    User,
    write_transaction,
)
from sessions import booking

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_HEADERS = {"email", "e-mail", "email address", "почта", "электронная почта"}
SESSION_HEADERS = {"session", "session name", "сессия"}
INLINE_ROWS = 100  # larger files are applied by a background job with a progress bar
APPLY_BATCH = 100


class Outcome(Choices):
    REGISTER = "register"
    MOVE = "move"
    ALREADY = "already_registered"
    UNKNOWN_USER = "unknown_user"
    UNKNOWN_SESSION = "unknown_session"
    FULL = "session_full"
    DUPLICATE = "duplicate"
    BAD_EMAIL = "bad_email"
    REGISTERED = "registered"
    FAILED = "failed"
    LABELS = {
        REGISTER: _l("Will register"),
        MOVE: _l("Will move here from another session"),
        ALREADY: _l("Already registered"),
        UNKNOWN_USER: _l("Unknown user"),
        UNKNOWN_SESSION: _l("Unknown session"),
        FULL: _l("Session full"),
        DUPLICATE: _l("Duplicate in file"),
        BAD_EMAIL: _l("Malformed email"),
        REGISTERED: _l("Registered"),
        FAILED: _l("Not registered"),
    }
    TO_APPLY = (REGISTER, MOVE)


class FileProblem(Exception):
    """The file as a whole cannot be read; one clear message, nothing is imported."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# Reading -----------------------------------------------------------------------------------
# An uploaded file is read as a stream of (line number, {column: cell}) and given up at its
# first problem, so a crafted file costs no more time or memory than a full one.

XLSX_UNPACKED_MAX_MB = 100  # a zip bomb unpacks to gigabytes; a real 100,000-row sheet to ~20 MB
XLSX_PARTS_MAX = 1000
BLANK_ROWS_MAX = 10_000
MIXED_SCRIPTS = re.compile(r"[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z]")
NOT_UTF8 = _l('The file is not UTF-8 text. Save it as "CSV UTF-8" or as XLSX.')
NOT_XLSX = _l("The file could not be opened as an Excel workbook (.xlsx).")


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


def _rows_of_xlsx(data):
    _check_workbook_parts(data)
    try:
        # openpyxl's load_workbook, even read-only, first sizes every sheet, and a sheet with
        # no <dimension> (openpyxl's own write-only files have none) is parsed to its end just
        # for that. These are its reader's steps less that one, streaming the first sheet.
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        _sheet, part = next(reader.parser.find_sheets())
        with reader.archive.open(part.target) as source:
            sheet = WorkSheetParser(source, reader.shared_strings, data_only=True)
            for line, cells in sheet.parse():  # only the rows that hold cells
                yield line, {cell["column"] - 1: cell["value"] for cell in cells}
    except Exception as error:  # openpyxl raises whatever a damaged part makes it meet
        raise FileProblem(str(NOT_XLSX)) from error


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


def read_table(filename, data):
    """The cells of an uploaded CSV or XLSX file as a stream of (line number, {column index:
    cell}), or FileProblem; shared with the bulk session upload."""
    name = (filename or "").lower()
    if not data:
        raise FileProblem(_("The file is empty."))
    if name.endswith(".xlsx"):
        return _rows_of_xlsx(data)
    if name.endswith((".csv", ".txt")):
        return _rows_of_csv(data)
    raise FileProblem(_("Upload a .csv or .xlsx file."))


def read_rows(filename, data, row_limit):
    """[(line number, email, session name)] from an uploaded file, or FileProblem."""
    table = read_table(filename, data)
    try:
        return _registration_rows(table, row_limit)
    finally:
        table.close()  # the workbook too, when reading stops early


def table_rows(table, row_limit, read_header, read_row):
    """The first row that is not blank names the columns (`read_header` turns its cells into
    what `read_row` needs, or refuses the file); every other row that is not blank is read by
    `read_row(line, cells, columns)`. Reading stops at once when the file has more rows than
    `row_limit` (or more than BLANK_ROWS_MAX blank ones), so a huge file costs no more than a
    full one. Shared by every import of people from a file."""
    columns, rows, blank = None, [], 0
    for line, cells in table:
        if not any(_text(cell) for cell in cells.values()):
            blank += 1
            if blank > BLANK_ROWS_MAX:
                raise FileProblem(
                    _(
                        "The file has more than %(max)d empty rows. Delete them and upload it"
                        " again.",
                        max=BLANK_ROWS_MAX,
                    )
                )
        elif columns is None:
            columns = read_header(cells)
        elif len(rows) == row_limit:
            raise FileProblem(
                _(
                    "The file has more than %(max)d rows; at most %(max)d are allowed.",
                    max=row_limit,
                )
            )
        else:
            rows.append(read_row(line, cells, columns))
    if columns is None:
        raise FileProblem(_("The file is empty."))
    if not rows:
        raise FileProblem(_("The file has no rows below its headings."))
    return rows


def _registration_row(line, cells, columns):
    email, session = (_text(cells.get(col)) for col in columns)
    return line, email.lower(), session


def _registration_rows(table, row_limit):
    return table_rows(table, row_limit, _columns, _registration_row)


def _text(cell):
    return cell_text(cell)


def _columns(headers):
    """(email column, session column) named by the header row, the leftmost of each."""
    headers = {col: _text(cell).casefold() for col, cell in headers.items()}
    email_col = min((col for col, h in headers.items() if h in EMAIL_HEADERS), default=None)
    session_col = min((col for col, h in headers.items() if h in SESSION_HEADERS), default=None)
    if email_col is None or session_col is None:
        raise FileProblem(_('The first row must name an "email" column and a "session" column.'))
    return email_col, session_col


# Preview -----------------------------------------------------------------------------------


def _sessions_by_name(event, locales):
    sessions = {}
    for session in Session.select().where(Session.event == event):
        for code in locales:
            sessions.setdefault(pick_text(session.name, code).casefold(), session)
    return sessions


def _in_chunks(values, size=500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def preview(event, rows, locales):
    """Give every row its outcome, as applying would find it now (capacity included)."""
    sessions = _sessions_by_name(event, locales)
    emails = {email for _line, email, _name in rows if EMAIL.match(email)}
    users, live = {}, {}
    for chunk in _in_chunks(emails):
        active = User.select().where(User.email.in_(chunk), User.is_active == True)  # noqa: E712
        users.update({user.email: user for user in active})
    for chunk in _in_chunks([user.id for user in users.values()]):
        query = Registration.select(Registration.user, Registration.session).where(
            Registration.event == event,
            Registration.user.in_(chunk),
            Registration.role == RegistrationRole.PARTICIPANT,
            Registration.status != Status.CANCELLED,
        )
        live.update({registration.user_id: registration.session_id for registration in query})
    seats = {session.id: session.seats_left for session in sessions.values()}
    seen, previewed = set(), []
    for line, email, name in rows:
        session, user = sessions.get(name.casefold()), users.get(email)
        if not EMAIL.match(email):
            outcome = Outcome.BAD_EMAIL
        elif email in seen:
            outcome = Outcome.DUPLICATE
        elif user is None:
            outcome = Outcome.UNKNOWN_USER
        elif session is None:
            outcome = Outcome.UNKNOWN_SESSION
        elif live.get(user.id) == session.id:
            outcome = Outcome.ALREADY
        elif seats[session.id] == 0:
            outcome = Outcome.FULL
        else:
            outcome = Outcome.MOVE if user.id in live else Outcome.REGISTER
            if seats[session.id] is not None:
                seats[session.id] -= 1
        seen.add(email)
        previewed.append(
            {
                "line": line,
                "email": email,
                "session": name,
                "session_id": session and session.id,
                "user_id": user and user.id,
                "outcome": outcome,
            }
        )
    return previewed


def start_import(event, uploader, filename, data, company):
    """Read the file and keep its preview. The preview only reads (applying checks every row
    again), so it runs before the write transaction, which holds the insert alone."""
    rows = preview(event, read_rows(filename, data, company.bulk_rows_limit), company.locales)
    with write_transaction():
        return ImportJob.create(
            event=event, uploaded_by=uploader, filename=filename[:255], rows=rows
        )


def summary(job):
    counts = {}
    for row in job.rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return counts


# Apply -------------------------------------------------------------------------------------


def claim(job_id):
    """Mark a previewed job as queued; False when it was already claimed (applied once)."""
    return (
        ImportJob.update(status="queued")
        .where(ImportJob.id == job_id, ImportJob.status == "preview")
        .execute()
        == 1
    )


@job(retries=3, retry_delay=10)
def apply_import(job_id):
    """Apply a large import in the background (the page polls its progress)."""
    apply(job_id)


def apply(job_id):
    """Register every row that will register, in transactions of APPLY_BATCH rows with a
    savepoint per row (a refused row never undoes the others). Progress is a counter moved
    with each batch, so the progress bar moves and a restart resumes after the last batch;
    the rows' outcomes are written once, at the end."""
    job = ImportJob.get_by_id(job_id)
    ImportJob.update(status="applying").where(ImportJob.id == job_id).execute()
    rows, sessions, users = job.rows, {}, {}
    _settle(rows[: job.applied_count], job.event_id)
    with mail.one_delivery_request():  # the emails of all rows go out together at the end
        for start in range(job.applied_count, len(rows), APPLY_BATCH):
            batch = rows[start : start + APPLY_BATCH]
            with write_transaction():
                for row in batch:
                    if row["outcome"] in Outcome.TO_APPLY:
                        row["outcome"], row["message"] = _apply_row(row, sessions, users)
                ImportJob.update(applied_count=start + len(batch)).where(
                    ImportJob.id == job_id
                ).execute()
    ImportJob.update(rows=rows, applied_count=len(rows), status="done").where(
        ImportJob.id == job_id
    ).execute()


def _settle(applied_rows, event_id):
    """After a restart, the rows of the batches already applied take their outcome from
    what the database holds (their outcomes in memory died with the worker)."""
    pending = [row for row in applied_rows if row["outcome"] in Outcome.TO_APPLY]
    for chunk in _in_chunks(pending):
        registered = {
            (registration.user_id, registration.session_id)
            for registration in Registration.select(Registration.user, Registration.session).where(
                Registration.event == event_id,
                Registration.user.in_([row["user_id"] for row in chunk]),
                Registration.status.in_(Status.HOLDS_SEAT),
            )
        }
        for row in chunk:
            done = (row["user_id"], row["session_id"]) in registered
            row["outcome"] = Outcome.REGISTERED if done else Outcome.FAILED
            row["message"] = ""


def _apply_row(row, sessions, users):
    session_id, user_id = row["session_id"], row["user_id"]
    if session_id not in sessions:
        sessions[session_id] = Session.get_or_none(Session.id == session_id)
    if user_id not in users:
        users[user_id] = User.get_or_none(User.id == user_id)
    session, user = sessions[session_id], users[user_id]
    if session is None or user is None:
        return Outcome.FAILED, _("The session or the user no longer exists.")
    try:
        booking.register_user(user, session)
    except booking.AlreadyRegistered as refusal:
        return Outcome.ALREADY, refusal.message
    except booking.BookingError as refusal:
        return Outcome.FAILED, refusal.message
    return Outcome.REGISTERED, ""


def result_rows(job):
    yield [_("Line"), _("Email"), _("Session"), _("Outcome"), _("Message")]
    for row in job.rows:
        yield [
            row["line"],
            row["email"],
            row["session"],
            Outcome.label(row["outcome"]),
            row.get("message", ""),
        ]
