"""Registering people for an event's sessions from a CSV or XLSX file: what this import
declares to the upload lifecycle (`imports.lifecycle`), which reads the file, keeps the
preview and applies it in batches.

The preview gives every row an outcome (will register, already registered, unknown user,
...); applying registers the rows that will register, a batch at a time: people new to the
event take their session's seats together in one guarded statement (`seat_batches`), and
a move, a revival or a session without room for the whole group goes through
`booking.register_user`, a savepoint each, so capacity holds, no row is half-applied and
every row keeps its exact outcome. Applying twice is harmless: an applied row is "already
registered" the second time.
"""

import peewee as pw
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from foundation.i18n import pick_text, viewer_timezone
from imports import lifecycle, results
from imports.lifecycle import INLINE_ROWS
from imports.reading import EMAIL, EMAIL_HEADERS, FileProblem, cell_text, leftmost_column
from imports.reading import table_rows as read_file
from models import (
    Choices,
    Registration,
    RegistrationRole,
    Session,
    Status,
    UploadKind,
    User,
    db,
    utcnow,
)
from sessions import booking, history, personal_schedule, seat_batches

SESSION_HEADERS = {"session", "session name", "сессия"}


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


# Reading -----------------------------------------------------------------------------------


def read_rows(filename, data, row_limit):
    """[(line number, email, session name)] from an uploaded file, or FileProblem."""
    return read_file(filename, data, row_limit, _columns, _registration_row)


def _columns(headers):
    """(email column, session column) named by the header row, the leftmost of each."""
    email_col = leftmost_column(headers, EMAIL_HEADERS)
    session_col = leftmost_column(headers, SESSION_HEADERS)
    if email_col is None or session_col is None:
        raise FileProblem(_('The first row must name an "email" column and a "session" column.'))
    return email_col, session_col


def _registration_row(line, cells, columns):
    email, session = (cell_text(cells.get(col)) for col in columns)
    return line, email.lower(), session


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


def _users_and_live_sessions(event, rows):
    """The active users the rows name, and the session each is registered in now."""
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
    return users, live


def preview(event, rows, locales):
    """Give every row its outcome, as applying would find it now (capacity included)."""
    sessions = _sessions_by_name(event, locales)
    users, live = _users_and_live_sessions(event, rows)
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
    """Read the file and keep its preview (applying checks every row again)."""
    rows = preview(event, read_rows(filename, data, company.bulk_rows_limit), company.locales)
    personal_schedule.note_clashes(rows, event.id, viewer_timezone())  # told, not refused
    return lifecycle.start_previewed(IMPORTER, uploader, filename, rows, event=event)


# Apply -------------------------------------------------------------------------------------


class RegistrationRun(lifecycle.PreviewedRun):
    """Applies a batch as set operations: the rows of people new to the event go into each
    session together (one guarded seat statement per session, one INSERT of their
    registrations, one of their confirmations); a move, a revival, and every row of a
    session that cannot seat the whole group go through `booking.register_user`, one
    savepoint each, in file order, so each keeps its exact outcome."""

    to_apply = Outcome.TO_APPLY

    def __init__(self, upload, now):
        super().__init__(upload, now)
        self.sessions, self.users = {}, {}

    def apply(self, batch):
        # The batch's registrations are the import's, written to the history in one INSERT.
        with history.batch(history.Actor.IMPORT, self.upload.uploaded_by_id):
            self._apply_rows(batch)

    def _apply_rows(self, batch):
        wanted = [row for row in batch if row["outcome"] in self.to_apply]
        self._load(wanted)
        known = self._registered(wanted)
        group = []  # rows of people new to the event since the last row-by-row one
        for row in wanted:
            if self._is_new(row, known):
                group.append(row)
                continue
            # A move frees a seat a later row may take: the rows before it go in first.
            self._register_group(group)
            group = []
            row["outcome"], row["message"] = self.apply_row(row)
        self._register_group(group)

    def _load(self, rows):
        """The batch's sessions and users not met yet, one query each."""
        for model, cache, key in (
            (Session, self.sessions, "session_id"),
            (User, self.users, "user_id"),
        ):
            missing = {row[key] for row in rows if row[key] not in cache}
            for chunk in _in_chunks(missing):
                cache.update(
                    {found.id: found for found in model.select().where(model.id.in_(chunk))}
                )
            cache.update(dict.fromkeys(missing - cache.keys()))

    def _registered(self, rows):
        """{user id: [(session id, role, status)]} of the batch's people in this event."""
        known = {}
        user_ids = [row["user_id"] for row in rows if self.users.get(row["user_id"])]
        session_ids = list({row["session_id"] for row in rows})
        for chunk in _in_chunks(user_ids):
            query = Registration.select(
                Registration.user, Registration.session, Registration.role, Registration.status
            ).where(
                Registration.user.in_(chunk),
                (Registration.event == self.upload.event_id)
                | Registration.session.in_(session_ids),
            )
            for found in query.tuples():
                known.setdefault(found[0], []).append(found[1:])
        return known

    def _is_new(self, row, known):
        """Whether the row's person has no live registration in the event and none at all
        in the session: then registering is a plain insert (else a move or a revival)."""
        if self.sessions.get(row["session_id"]) is None or self.users.get(row["user_id"]) is None:
            return False
        for session_id, role, status in known.get(row["user_id"], ()):
            if session_id == row["session_id"]:
                return False
            if role == RegistrationRole.PARTICIPANT and status != Status.CANCELLED:
                return False
        return True

    def _register_group(self, rows):
        """The rows of people new to the event, session by session: all of a session's
        rows at once when its seats take them all, else one by one."""
        by_session = {}
        for row in rows:
            by_session.setdefault(row["session_id"], []).append(row)
        # Sessions in id order, as booking locks them: two imports cannot deadlock here.
        for session_id, group in sorted(by_session.items()):
            if not self._register_together(self.sessions[session_id], group):
                for row in group:
                    row["outcome"], row["message"] = self.apply_row(row)

    def _register_together(self, session, rows):
        """One savepoint: the group's seats and registrations, or nothing (False) when the
        seats do not fit or someone registered meanwhile (PostgreSQL's unique index)."""
        try:
            with db.atomic():
                if not seat_batches.take_seats(session.id, len(rows)):
                    return False
                users = [self.users[row["user_id"]] for row in rows]
                seat_batches.register_approved(session, users, utcnow())
        except pw.IntegrityError:
            return False
        # After the savepoint held: the batch's entries cannot be taken back by a rollback.
        history.record_many([_registered_entry(session, user) for user in users])
        for row in rows:
            row["outcome"], row["message"] = Outcome.REGISTERED, ""
        return True

    def apply_row(self, row):
        session, user = self.sessions.get(row["session_id"]), self.users.get(row["user_id"])
        if session is None or user is None:
            return Outcome.FAILED, _("The session or the user no longer exists.")
        try:
            booking.register_user(user, session)
        except booking.AlreadyRegistered as refusal:
            return Outcome.ALREADY, refusal.message
        except booking.BookingError as refusal:
            return Outcome.FAILED, refusal.message
        return Outcome.REGISTERED, ""

    def settle(self, pending):
        for chunk in _in_chunks(pending):
            registered = {
                (registration.user_id, registration.session_id)
                for registration in Registration.select(
                    Registration.user, Registration.session
                ).where(
                    Registration.event == self.upload.event_id,
                    Registration.user.in_([row["user_id"] for row in chunk]),
                    Registration.status.in_(Status.HOLDS_SEAT),
                )
            }
            for row in chunk:
                done = (row["user_id"], row["session_id"]) in registered
                row["outcome"] = Outcome.REGISTERED if done else Outcome.FAILED
                row["message"] = ""


class RegistrationImporter(lifecycle.Importer):
    kind = UploadKind.REGISTRATIONS
    run_class = RegistrationRun
    batch_size = 500

    def runs_in_background(self, upload, company):
        return upload.total > INLINE_ROWS


IMPORTER = RegistrationImporter()


def result_rows(upload):
    columns = [(_("Email"), "email"), (_("Session"), "session")]
    return results.previewed_rows(upload, columns, Outcome)


def _registered_entry(session, user):
    """The history entry of a person the import registered, as a row-by-row one reads."""
    return history.entry(
        history.Change.REGISTERED,
        event=session.event_id,
        session=session.id,
        person=user.id,
        after={"status": Status.APPROVED},
    )
