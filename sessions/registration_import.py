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

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from foundation.i18n import pick_text
from foundation.jobs import job
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
INLINE_ROWS = 500  # larger files are applied by a background job with a progress bar
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


def _rows_of_csv(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileProblem(
            _('The file is not UTF-8 text. Save it as "CSV UTF-8" or as XLSX.')
        ) from error
    if "\x00" in text:
        raise FileProblem(_("This does not look like a CSV file. Upload a .csv or .xlsx file."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _rows_of_xlsx(data):
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise FileProblem(
            _("The file could not be opened as an Excel workbook (.xlsx).")
        ) from error
    try:  # read-only workbooks parse the sheet only now, so a damaged one fails here
        return [
            ["" if cell is None else str(cell) for cell in row]
            for row in workbook.worksheets[0].iter_rows(values_only=True)
        ]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError, IndexError) as error:
        raise FileProblem(
            _("The file could not be opened as an Excel workbook (.xlsx).")
        ) from error
    finally:
        workbook.close()


def read_rows(filename, data, row_limit):
    """[(line number, email, session name)] from an uploaded file, or FileProblem."""
    name = (filename or "").lower()
    if not data:
        raise FileProblem(_("The file is empty."))
    if name.endswith(".xlsx"):
        table = _rows_of_xlsx(data)
    elif name.endswith((".csv", ".txt")):
        table = _rows_of_csv(data)
    else:
        raise FileProblem(_("Upload a .csv or .xlsx file."))
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise FileProblem(_("The file is empty."))
    headers = [cell.strip().casefold() for cell in table[0]]
    email_col = next((i for i, h in enumerate(headers) if h in EMAIL_HEADERS), None)
    session_col = next((i for i, h in enumerate(headers) if h in SESSION_HEADERS), None)
    if email_col is None or session_col is None:
        raise FileProblem(_('The first row must name an "email" column and a "session" column.'))
    body = table[1:]
    if not body:
        raise FileProblem(_("The file has no rows below its headings."))
    if len(body) > row_limit:
        raise FileProblem(
            _(
                "The file has %(count)d rows; at most %(max)d are allowed.",
                count=len(body),
                max=row_limit,
            )
        )

    def cell(row, col):
        return row[col].strip() if col < len(row) else ""

    return [
        (line, cell(row, email_col).lower(), cell(row, session_col))
        for line, row in enumerate(body, start=2)
    ]


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
