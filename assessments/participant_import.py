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
from messaging import mail
from models import (
    AssessmentImport,
    Choices,
    Registration,
    User,
    utcnow,
    write_transaction,
)
from sessions.registration_import import (
    BLANK_ROWS_MAX,
    EMAIL,
    EMAIL_HEADERS,
    FileProblem,
    read_table,
)

PREVIEW_SHOWN = 200


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
    return "" if cell is None else str(cell).strip()


def _email_rows(table, row_limit):
    column, rows, blank = None, [], 0
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
        elif column is None:
            headers = {col: _text(cell).casefold() for col, cell in cells.items()}
            column = min((col for col, h in headers.items() if h in EMAIL_HEADERS), default=None)
            if column is None:
                raise FileProblem(_('The first row must name an "email" column.'))
        elif len(rows) == row_limit:
            raise FileProblem(
                _(
                    "The file has more than %(max)d rows; at most %(max)d are allowed.",
                    max=row_limit,
                )
            )
        else:
            rows.append((line, _text(cells.get(column)).lower()))
    if column is None:
        raise FileProblem(_("The file is empty."))
    if not rows:
        raise FileProblem(_("The file has no rows below its headings."))
    return rows


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


def summary(upload):
    counts = {}
    for row in upload.rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return counts


def claim(upload_id):
    """Mark a previewed upload as applied; False when it already was (a double click)."""
    return (
        AssessmentImport.update(status="done")
        .where(AssessmentImport.id == upload_id, AssessmentImport.status == "preview")
        .execute()
        == 1
    )


def apply(upload, detail, now=None):
    """Add every row that will be added, one by one through the one-by-one rule (each its
    own transaction, so a refused row undoes nothing); the emails go out together."""
    rows = upload.rows
    with mail.one_delivery_request():
        for row in rows:
            if row["outcome"] != Outcome.ADD:
                continue
            try:
                planning.add_participant(detail, {"person": row["email"]}, now)
            except Invalid as refusal:
                message = " ".join(str(text) for text in refusal.errors.values())
                row["outcome"], row["message"] = Outcome.FAILED, message
            else:
                row["outcome"] = Outcome.ADDED
    with write_transaction():
        AssessmentImport.update(rows=rows, status="done").where(
            AssessmentImport.id == upload.id
        ).execute()
    upload.rows, upload.status = rows, "done"
    return upload


def result_rows(upload):
    yield [_("Line"), _("Email"), _("Outcome"), _("Message")]
    for row in upload.rows:
        yield [row["line"], row["email"], Outcome.label(row["outcome"]), row.get("message", "")]
