"""What each row of a bulk file means for the sessions that exist, in file order. The
mentoring rules decide (`sessions.mentoring`: check, create, edit, delete; `sessions.hosting`:
clashes, started sessions; `meetings.platforms`: platforms and links); this module feeds
them a file in batches and never repeats one of them.

A Plan settles rows against what it knows (`sessions.bulk_memory`: loaded once per batch,
and what the rows before have done), so two clashing rows for one mentor give the same
answer in a check (nothing written) as in an upload: the first wins. When applying, the
valid rows' changes are written together at the end of the batch
(`mentoring.edit_many`, `delete_many`, `create_many`); if that fails, each row goes through
`mentoring.edit` / `delete` / `create` in a savepoint of its own, which check again, locked,
against the database, and `flush` names the rows that failed so (the caller plans the batch
again without them).
"""

import logging
from contextlib import nullcontext
from datetime import timedelta
from types import SimpleNamespace

from flask_babel import gettext as _

from foundation.forms import Invalid
from meetings import bigbluebutton
from meetings.platforms import MeetingPlatform
from models import Role, User, db
from sessions import history, hosting, mentoring, personal_schedule
from sessions.bulk_memory import PlanMemory
from sessions.bulk_rows import (
    CATEGORIES,
    COLUMNS,
    CREATE,
    DATE,
    DELETE,
    DESCRIPTION,
    DURATION,
    EDIT,
    ID,
    LINK,
    MEDIUM,
    MENTEES,
    MENTOR,
    PASSCODE,
    PLATFORM,
    RECOMMENDED_FOR,
    TIME,
    TITLE,
    TYPE,
    ZONE,
)

PUBLISHED, VALID, DELETED, INVALID = "published", "valid", "deleted", "invalid"
log = logging.getLogger(__name__)

# The mentoring rules name their problems by form field; the result names the file's column.
COLUMN_OF = {
    "title": TITLE,
    "description": DESCRIPTION,
    "session_type": TYPE,
    "mentor": MENTOR,
    "mentees": MENTEES,
    "start": f"{DATE}, {TIME}",
    "end": DURATION,
    "timezone": ZONE,
    "recommended_for": RECOMMENDED_FOR,
    "categories": CATEGORIES,
    "medium": MEDIUM,
    "platform": PLATFORM,
    "meeting_url": LINK,
    "meeting_id": LINK,
    "passcode": PASSCODE,
    "session": ID,
}
# A problem of the date or the time is one of when the session starts.
SAME_COLUMN = {DATE: f"{DATE}, {TIME}", TIME: f"{DATE}, {TIME}", ZONE: f"{DATE}, {TIME}"}


def may_create_sessions(user, company):
    return user is not None and user.is_active and mentoring.may_create(user, company)


class Plan:
    def __init__(self, uploader, company, now, apply):
        self.uploader, self.company, self.now, self.apply = uploader, company, now, apply
        self.memory = PlanMemory(now, apply)
        self.failed = {}  # line -> problems of a row that failed when written alone
        self.refused = {}  # the same, found by this pass's `flush`
        self._reset_pending()

    def _reset_pending(self):
        self.creates = []  # (row, values, outcome) of new sessions to write with the batch
        self.edits = {}  # session id -> (row, session, day, values, outcome)
        self.deletes = []  # (row, session, outcome)

    def prepare(self, rows, failed=None):
        """Load what `rows` need (`PlanMemory.load`). `failed`: rows that failed when
        written alone in an earlier pass over this batch, now refused with their reason."""
        self.failed = dict(failed or {})
        self.refused = {}
        self._reset_pending()
        self.memory.load(rows)
        self.mentees_time = mentees_time(rows, self.memory.users, self.now)

    # A row ------------------------------------------------------------------------------

    def settle(self, row):
        """(status, session id) of the row; its problems are added to it. When the plan
        applies and the row is valid, its change waits for `flush`, which writes the
        batch's changes together (the outcome is filled in then)."""
        if row.action == DELETE:
            return self._delete(row)
        if row.action not in (CREATE, EDIT):
            return INVALID, None
        session = self._session_to_change(row) if row.action == EDIT else None
        if self.apply and session is not None and session.id in self.edits:
            # A second edit of one session in a batch starts from what the first wrote.
            self._write_edits()
            session = self.memory.reload(session.id)
        values = values_of_row(row, self.memory.users)
        if row.action == CREATE:
            self._check_creator(row, values)
        missing = (
            row.session_id is not None
            and self.memory.sessions.get(row.session_id) is None
            and row.session_id not in self.memory.deleted_here
        )
        if row.action == CREATE or session is not None or missing:
            # An Edit of a session that is not there is checked as new: its other problems
            # are named too.
            problems = mentoring.check(
                values,
                self.company,
                session,
                self.now,
                clash_finder=self.memory.find_clash,
                **self.memory.loaded(session),
            )
            add_problems(row, problems)
        note_meeting(row, values)
        note_mentee_clashes(row, values, session, self.mentees_time, self.company.timezone)
        if row.is_valid and row.line in self.failed:
            add_problems(row, self.failed[row.line])
        if not row.is_valid:
            return INVALID, row.session_id
        key = session.id if session is not None else ("row", row.line)
        self._remember(values, key, session)
        if not self.apply:
            return VALID, (session.id if session else None)
        if session is None:
            outcome = [PUBLISHED, None]  # its id comes when the batch's sessions are written
            self.creates.append((row, values, outcome))
        else:
            outcome = [PUBLISHED, session.id]
            day = self.memory.days.get(session.id)
            self.edits[session.id] = (row, session, day, values, outcome)
        return outcome

    def flush(self):
        """Write the batch's changes: edits, deletes, then new sessions, each kind all at
        once (`mentoring.edit_many`, `delete_many`, `create_many`), or, if that fails, row
        by row through `mentoring.edit` / `delete` / `create` in a savepoint each. Answers
        {line: problems} of the rows that failed alone: the caller undoes the batch and
        plans it again without them, so that no later row is refused for clashing with a
        row that was never written."""
        self._write_edits()
        self._write_deletes()
        self._write_creates()
        return self.refused

    def _refuse(self, row, outcome, refusal):
        add_problems(row, refusal.errors)
        outcome[0] = INVALID
        self.refused[row.line] = refusal.errors

    def _write_edits(self):
        pending, self.edits = list(self.edits.values()), {}
        if not pending or self._at_once(
            "edited",
            pending,
            lambda: mentoring.edit_many(
                [(session, day, values) for _r, session, day, values, _o in pending],
                self.company,
                self.now,
            ),
        ):
            return
        for row, session, _day, values, outcome in pending:
            try:
                with db.atomic():
                    mentoring.edit(session, values, self.company, self.now)
            except Invalid as refusal:
                self._refuse(row, outcome, refusal)

    def _write_deletes(self):
        pending, self.deletes = self.deletes, []
        if not pending or self._at_once(
            "deleted",
            pending,
            lambda: mentoring.delete_many([session for _r, session, _o in pending]),
            gathered=False,
        ):
            return
        for row, session, outcome in pending:
            try:
                with db.atomic():
                    mentoring.delete(session, self.now)
            except Invalid as refusal:
                self._refuse(row, outcome, refusal)

    def _write_creates(self):
        pending, self.creates = self.creates, []
        ids = []
        if not pending or self._at_once(
            "created",
            pending,
            lambda: ids.extend(
                mentoring.create_many(
                    [values for _r, values, _o in pending], self.company, self.now
                )
            ),
        ):
            for (_row, _values, outcome), session_id in zip(pending, ids, strict=True):
                outcome[1] = session_id
            return
        for row, values, outcome in pending:
            try:
                with db.atomic():
                    outcome[1] = mentoring.create(values, self.company, self.now).id
            except Invalid as refusal:
                self._refuse(row, outcome, refusal)

    def _at_once(self, what, pending, write, gathered=True):
        """Run `write` in a savepoint; False when it failed (then the rows go one by one,
        and each says why). `gathered`: its history entries are written together at its
        end, inside the savepoint (a failure drops them with the changes); a deletion's
        must be written before its sessions go."""
        try:
            with db.atomic(), history.batch() if gathered else nullcontext():
                write()
        except Exception:  # any failure
            log.warning("writing %d %s sessions at once failed", len(pending), what, exc_info=True)
            return False
        return True

    def undo(self):
        """The batch was rolled back: forget what its rows did (it is planned again)."""
        self.memory.undo()
        self._reset_pending()

    def _check_creator(self, row, values):
        if (
            not self.uploader.is_admin
            and values.mentor is not None
            and values.mentor.id != self.uploader.id
        ):
            row.refuse(
                MENTOR, _("As a host you can create sessions only with yourself as the mentor.")
            )

    def _session_to_change(self, row):
        """The session an Edit or Delete row names, or None with the reason on the row."""
        if row.session_id is None:
            return None
        session = self.memory.sessions.get(row.session_id)
        if session is None:
            if row.session_id in self.memory.deleted_here:
                message = _(
                    "Session %(id)d was deleted by an earlier row of this file.", id=row.session_id
                )
            else:
                message = _("No mentoring session has the id %(id)d.", id=row.session_id)
            row.refuse(ID, message)
            return None
        if not mentoring.may_manage(self.uploader, session):
            row.refuse(
                ID, _("You cannot change session %(id)d: it is not yours.", id=row.session_id)
            )
            return None
        return session

    def _delete(self, row):
        session = self._session_to_change(row)
        if session is None or not row.is_valid:
            return INVALID, row.session_id
        if self.apply and session.id in self.edits:
            self._write_edits()  # the edit first, as the file says
            session = self.memory.reload(session.id)
            if session is None:
                return INVALID, row.session_id
        day = self.memory.days.get(session.id)
        add_problems(row, hosting.check_changeable(session, day, self.now))
        if row.is_valid and row.line in self.failed:
            add_problems(row, self.failed[row.line])
        if not row.is_valid:
            return INVALID, row.session_id
        self.memory.forget(session)
        if not self.apply:
            return VALID, session.id
        outcome = [DELETED, session.id]
        self.deletes.append((row, session, outcome))
        return outcome

    def _remember(self, values, key, session):
        """What a valid row did, for the clash checks of the rows after it."""
        slot = SimpleNamespace(
            id=session.id if session else None,
            host_id=values.mentor.id,
            name={self.company.default_locale: values.title.strip()},
            timezone=values.timezone or self.company.timezone,
            slot=SimpleNamespace(
                start_at=hosting.as_utc(values.start_at), end_at=hosting.as_utc(values.end_at)
            ),
        )
        self.memory.remember(slot, key, session)


def values_of_row(row, users):
    """The mentoring values a row names (`users`: email -> User or None); unknown or
    inactive people are refused on the row."""
    mentor = users.get(row.mentor_email)
    if row.mentor_email and (mentor is None or not mentor.is_active):
        if MENTOR not in row.problem_columns:
            row.refuse(
                MENTOR, _("No active account has the email %(email)s.", email=row.mentor_email)
            )
        mentor = None
    unknown = [
        email
        for email in row.mentee_emails
        if users.get(email) is None or not users[email].is_active
    ]
    if unknown:
        row.refuse(
            MENTEES,
            _(
                "No active account has these mentee emails: %(emails)s.",
                emails=", ".join(unknown),
            ),
        )
    return mentoring.MentoringValues(
        title=row.title,
        description=row.description,
        session_type=row.session_type,
        mentor=mentor,
        mentees=[users[email] for email in row.mentee_emails if email not in unknown],
        start_at=row.start_at,
        end_at=row.end_at,
        timezone=row.zone,
        recommended_for=row.recommended_for,
        categories=row.categories,
        medium=row.medium,
        platform=row.platform,
        meeting_url=row.link,
        passcode=row.passcode,
    )


def add_problems(row, problems):
    """The mentoring rules' problems, each named by its column, unless the file's own
    reading already named a problem there."""
    taken = {SAME_COLUMN.get(column, column) for column in row.problem_columns}
    for field, message in problems.items():
        column = COLUMN_OF.get(field)
        if column in taken:
            continue
        label = _("Session %(id)d", id=row.session_id) if field == "session" else column or ""
        row.refuse(column, f"{label}: {message}" if label else message)


def note_meeting(row, values):
    """How a tolerated meeting cell was read: a Zoom meeting number where the link
    belongs, a passcode that only Zoom uses."""
    meeting = mentoring.checked_meeting(values)
    if row.link and "://" not in row.link and meeting.url and meeting.url != row.link:
        row.notes.append(
            _(
                'Meeting Link "%(typed)s" is not a link; it was read as %(url)s.',
                typed=row.link,
                url=meeting.url,
            )
        )
    if row.passcode and meeting.platform != MeetingPlatform.ZOOM:
        row.notes.append(_("Meeting Passcode is used only with Zoom; it was left out."))


def mentees_time(rows, users, now):
    """{(line, user id): their live sessions to come that overlap the row's time} for every
    mentee a batch names: the database finds the overlaps (one query per 500 mentees named),
    so the clash notes cost the same for any file and any schedule."""
    wanted = [
        (row.line, users[email].id, row.start_at, row.end_at)
        for row in rows
        if row.start_at and row.end_at
        for email in row.mentee_emails
        if users.get(email)
    ]
    found = personal_schedule.live_clashes_of_many(
        [(user_id, start_at, end_at) for _line, user_id, start_at, end_at in wanted], now
    )
    return {
        (line, user_id): items
        for (line, user_id, _start, _end), items in zip(wanted, found, strict=True)
        if items
    }


def note_mentee_clashes(row, values, session, known, zone):
    """A note (never a refusal) for each mentee who is in another live session at the
    row's time; the session being edited is not a clash with itself."""
    if not (row.is_valid and values.start_at and values.end_at):
        return
    interval = [(hosting.as_utc(values.start_at), hosting.as_utc(values.end_at))]
    exclude = session and personal_schedule.owner_of(session)
    for mentee in values.mentees:
        clashes = personal_schedule.overlapping(
            known.get((row.line, mentee.id), []), interval, exclude
        )
        if clashes:
            title, when = personal_schedule.describe(clashes[0], values.timezone or zone)
            row.notes.append(
                _(
                    "%(email)s is in “%(title)s” at that time: %(when)s.",
                    email=mentee.email,
                    title=title,
                    when=when,
                )
            )


def sample_rows(uploader, company, now):
    """The 17 headings and two rows that pass as they are: the first host (else the
    uploader) as mentor, next week; BigBlueButton when it is configured, else Zoom, then
    Google Meet."""
    mentor = uploader
    if uploader.is_admin:
        host = (
            User.select()
            .where(User.role == Role.HOST, User.is_active == True)  # noqa: E712
            .order_by(User.id)
            .first()
        )
        mentor = host or uploader
    first, second = (now + timedelta(days=days) for days in (7, 8))
    if bigbluebutton.is_configured():
        meeting = ["BigBlueButton", "", ""]
    else:
        meeting = ["Zoom", "https://us02web.zoom.us/j/12345678901?pwd=example", "123456"]
    yield list(COLUMNS)
    yield [
        "Create",
        "",
        "School improvement",
        "Ideas for improving a school, with examples",
        "Public",
        mentor.email,
        "",
        first.strftime("%d-%m-%Y"),
        "IST",
        "17:00 Hrs",
        "60",
        "Headmasters, Teachers",
        "Leadership",
        "English",
        *meeting,
    ]
    yield [
        "Create",
        "",
        "Pedagogy in practice",
        "Teaching methods that work in large classes",
        "Public",
        mentor.email,
        "",
        second.strftime("%d-%m-%Y"),
        "UTC",
        "09:30",
        "90",
        "Teachers",
        "Pedagogy, Communication",
        "English, Hindi",
        "Google Meet",
        "https://meet.google.com/abc-mnop-xyz",
        "",
    ]
