"""Participants of an assessment session from a CSV or XLSX file (Registrations tab): what
this import declares to the upload lifecycle (`imports.lifecycle`).

One `email` column, any other column (a `name`) ignored. The preview gives every row an
outcome; applying adds each row that will be added through `planning.add_participant`, the
rule the one-by-one add follows (so a participant added after the invitation date is
invited at once). Applying twice is harmless: an added row is "already a participant" the
second time."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from assessments import planning
from foundation.forms import Invalid
from imports import lifecycle, results
from imports.reading import EMAIL, EMAIL_HEADERS, FileProblem, cell_text, leftmost_column
from imports.reading import table_rows as read_file
from models import (
    AssessmentParticipant,
    AssessmentSession,
    Choices,
    Registration,
    UploadKind,
    User,
    utcnow,
)

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
    return read_file(
        filename,
        data,
        row_limit,
        _email_column,
        lambda line, cells, column: (line, cell_text(cells.get(column)).lower()),
    )


def _email_column(headers):
    column = leftmost_column(headers, EMAIL_HEADERS)
    if column is None:
        raise FileProblem(_('The first row must name an "email" column.'))
    return column


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
    return lifecycle.start_previewed(IMPORTER, uploader, filename, rows, assessment_session=detail)


class ParticipantRun(lifecycle.PreviewedRun):
    """Each row is added through the one-by-one rule, in a transaction of its own nested in
    the batch's (a refused row undoes nothing else); the emails go out together."""

    to_apply = (Outcome.ADD,)

    def __init__(self, upload, now):
        super().__init__(upload, now)
        self.detail = AssessmentSession.get_by_id(upload.assessment_session_id)

    def apply_row(self, row):
        try:
            planning.add_participant(self.detail, {"person": row["email"]}, self.now)
        except Invalid as refusal:
            return Outcome.FAILED, " ".join(str(text) for text in refusal.errors.values())
        return Outcome.ADDED, ""

    def settle(self, pending):
        for chunk in _chunks(pending):
            added = {
                row.registration.user.email
                for row in AssessmentParticipant.select(AssessmentParticipant, Registration, User)
                .join(Registration)
                .join(User)
                .where(
                    Registration.session == self.detail.session_id,
                    User.email.in_([row["email"] for row in chunk]),
                )
            }
            for row in chunk:
                row["outcome"] = Outcome.ADDED if row["email"] in added else Outcome.FAILED


class ParticipantImporter(lifecycle.Importer):
    kind = UploadKind.ASSESSMENT_PARTICIPANTS
    run_class = ParticipantRun
    batch_size = PROGRESS_EVERY

    def runs_in_background(self, upload, company):
        return lifecycle.summary(upload).get(Outcome.ADD, 0) > lifecycle.INLINE_ROWS


IMPORTER = ParticipantImporter()


def result_rows(upload):
    return results.previewed_rows(upload, [(_("Email"), "email")], Outcome)
