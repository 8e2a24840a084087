"""Participants of an assessment session from a CSV or XLSX file (Registrations tab).

The file is read by the event registrations import's reader
(`sessions.registration_import.read_table`): one `email` column, any other column (a
`name`) ignored. Step 1 gives every row an outcome; step 2 adds each row that will be added
through `planning.add_participant`, the rule the one-by-one add follows (so a participant
added after the invitation date is invited at once). Applying twice is harmless: an added
row is "already a participant" the second time."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from assessments import planning
from foundation.forms import Invalid
from foundation.jobs import job
from foundation.visible_text import cell_text
from messaging import mail
from models import (
    AssessmentImport,
    AssessmentParticipant,
    AssessmentSession,
    Choices,
    Registration,
    User,
    utcnow,
    write_transaction,
)
from sessions.registration_import import (
    EMAIL,
    EMAIL_HEADERS,
    INLINE_ROWS,
    FileProblem,
    read_table,
    summary,
    table_rows,  # outcome counts of an upload's rows: the same for both imports
)

PREVIEW_SHOWN = 200
PROGRESS_EVERY = 50  # rows between two moves of the progress bar


class Outcome(Choices):
    ADD = "add"
    ALREADY = "already_participant"
    UNKNOWN_USER = "unknown_user"
    INACTIVE = "inactive"
    DUPLICATE = "duplicate"
    BAD_EMAIL = "bad_email"
    ADDED = "added"
    FAILED = "failed"
    LABELS = {
        ADD: _l("Will add"),
        ALREADY: _l("Already a participant"),
        UNKNOWN_USER: _l("Unknown user"),
        INACTIVE: _l("Inactive account"),
        DUPLICATE: _l("Duplicate in file"),
        BAD_EMAIL: _l("Malformed email"),
        ADDED: _l("Added"),
        FAILED: _l("Not added"),
    }


def read_rows(filename, data, row_limit):
    """[(line number, email)] from an uploaded file, or FileProblem."""
    table = read_table(filename, data)
    try:
        return _email_rows(table, row_limit)
    finally:
        table.close()


def _text(cell):
    return cell_text(cell)


def _email_column(cells):
    headers = {col: _text(cell).casefold() for col, cell in cells.items()}
    column = min((col for col, h in headers.items() if h in EMAIL_HEADERS), default=None)
    if column is None:
        raise FileProblem(_('The first row must name an "email" column.'))
    return column


def _email_rows(table, row_limit):
    return table_rows(
        table,
        row_limit,
        _email_column,
        lambda line, cells, column: (line, _text(cells.get(column)).lower()),
    )


def _chunks(values, size=500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def preview(detail, rows):
    """Every row's outcome, as adding would find it now."""
    emails = {email for _line, email in rows if EMAIL.match(email)}
    users = {}
    for chunk in _chunks(emails):
        users.update({user.email: user for user in User.select().where(User.email.in_(chunk))})
    registered = {
        row.user_id
        for row in Registration.select(Registration.user).where(
            Registration.session == detail.session_id
        )
    }
    seen, previewed = set(), []
    for line, email in rows:
        user = users.get(email)
        if not EMAIL.match(email):
            outcome = Outcome.BAD_EMAIL
        elif email in seen:
            outcome = Outcome.DUPLICATE
        elif user is None:
            outcome = Outcome.UNKNOWN_USER
        elif not user.is_active:
            outcome = Outcome.INACTIVE
        elif user.id in registered:
            outcome = Outcome.ALREADY
        else:
            outcome = Outcome.ADD
        seen.add(email)
        previewed.append({"line": line, "email": email, "outcome": outcome, "message": ""})
    return previewed


def check_open(detail, now=None):
    """A closed or cancelled session takes no participants: said once, before reading."""
    now = now or utcnow()
    if detail.session.cancelled_at is not None:
        raise FileProblem(_("The assessment session is cancelled."))
    if now >= detail.closes_at:
        raise FileProblem(_("The assessment is closed: its completion date has passed."))


def start_import(detail, uploader, filename, data, company):
    check_open(detail)
    rows = preview(detail, read_rows(filename, data, company.bulk_rows_limit))
    with write_transaction():
        return AssessmentImport.create(
            assessment_session=detail, uploaded_by=uploader, filename=filename[:255], rows=rows
        )


def claim(upload_id):
    """Mark a previewed upload as queued; False when it already was (a double click)."""
    return (
        AssessmentImport.update(status="queued")
        .where(AssessmentImport.id == upload_id, AssessmentImport.status == "preview")
        .execute()
        == 1
    )


def runs_in_background(upload):
    return summary(upload).get(Outcome.ADD, 0) > INLINE_ROWS


@job(retries=3, retry_delay=10)
def apply_in_background(upload_id):
    """A large file is applied by the worker (the page polls its progress)."""
    apply(upload_id)


def apply(upload_id, now=None):
    """Add every row that will be added, one by one through the one-by-one rule (each its
    own transaction, so a refused row undoes nothing); the emails go out together. The
    progress counter moves every PROGRESS_EVERY rows; after a restart, the rows already
    gone through take their outcome from the database."""
    upload = AssessmentImport.get_by_id(upload_id)
    detail = AssessmentSession.get_by_id(upload.assessment_session_id)
    AssessmentImport.update(status="applying").where(AssessmentImport.id == upload_id).execute()
    rows = upload.rows
    _settle(detail, rows[: upload.applied_count])
    with mail.one_delivery_request():
        for index in range(upload.applied_count, len(rows)):
            row = rows[index]
            if row["outcome"] == Outcome.ADD:
                row["outcome"], row["message"] = _add(detail, row["email"], now)
            if (index + 1) % PROGRESS_EVERY == 0:
                AssessmentImport.update(applied_count=index + 1).where(
                    AssessmentImport.id == upload_id
                ).execute()
    with write_transaction():
        AssessmentImport.update(rows=rows, applied_count=len(rows), status="done").where(
            AssessmentImport.id == upload_id
        ).execute()


def _add(detail, email, now):
    try:
        planning.add_participant(detail, {"person": email}, now)
    except Invalid as refusal:
        return Outcome.FAILED, " ".join(str(text) for text in refusal.errors.values())
    return Outcome.ADDED, ""


def _settle(detail, applied_rows):
    pending = [row for row in applied_rows if row["outcome"] == Outcome.ADD]
    for chunk in _chunks(pending):
        added = {
            row.registration.user.email
            for row in AssessmentParticipant.select(AssessmentParticipant, Registration, User)
            .join(Registration)
            .join(User)
            .where(
                Registration.session == detail.session_id,
                User.email.in_([row["email"] for row in chunk]),
            )
        }
        for row in chunk:
            row["outcome"] = Outcome.ADDED if row["email"] in added else Outcome.FAILED


def result_rows(upload):
    yield [_("Line"), _("Email"), _("Outcome"), _("Message")]
    for row in upload.rows:
        yield [row["line"], row["email"], Outcome.label(row["outcome"]), row.get("message", "")]
