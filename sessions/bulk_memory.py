"""What a bulk file's plan knows while it settles rows: loaded once per batch (the people
its emails name, the sessions its ids name with their days and details, each mentor's
sessions to come) and kept in memory as the rows before change them, so that the mentoring
rules' clash check (`find_clash`) sees the file's earlier rows as well as the database.

When applying, a batch is read again inside its write transaction (what the rows before
wrote is in the database by then, and another writer may have added since), the mentors
(and on PostgreSQL the days) locked; a check keeps what the rows before did in memory
instead. Memory stays flat in the file's size.
"""

from types import SimpleNamespace

import peewee as pw

from foundation.prepared import Prepared, slot
from models import Day, MentoringDetails, Session, SessionKind, User, db
from sessions import hosting, mentoring

CHUNK = 500  # ids, emails or mentors per query
USERS_KEPT = 20_000  # people kept from one batch to the next (a few MB; a file names them again)


def _slots_near():
    """The live hosted sessions (with their day's times) of a list of (mentor id, start,
    end) that overlap or touch its time and end at `now` or later: what a batch's clash
    checks can meet, not each mentor's whole future. The list is a VALUES of CHUNK places,
    so the statement is built once per process (places left over hold no one)."""
    asked = pw.ValuesList(
        [tuple(slot(f"{name}{n}") for name in "hse") for n in range(CHUNK)], alias="asked"
    )
    host_id, start_at, end_at = (getattr(asked.c, f"column{n}") for n in (1, 2, 3))
    return (
        Session.select(
            Session.id, Session.host, Session.name, Session.timezone, Day.start_at, Day.end_at
        )
        .join(Day, on=(Day.session == Session.id))
        .join_from(
            Session,
            asked,
            on=(host_id == Session.host) & (Day.start_at <= end_at) & (Day.end_at >= start_at),
        )
        .where(
            Session.kind.in_(hosting.HOSTED_KINDS),
            Session.cancelled_at.is_null(),
            Day.end_at >= slot("now"),
        )
        .tuples()
    )


SLOTS_NEAR = Prepared(_slots_near)


def chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _is_postgres():
    return not isinstance(db.obj, pw.SqliteDatabase)


class PlanMemory:
    def __init__(self, now, apply):
        self.now, self.apply = now, apply
        self.users = {}  # email -> User, or None when no account has it
        self.sessions = {}  # id -> Session, or None (no mentoring session, or deleted here)
        self.days = {}  # session id -> its day (`hosting.only_day`)
        self.details = {}  # session id -> its MentoringDetails
        self.deleted_here = set()
        self._deleted_before = set()
        self.slots = {}  # mentor id -> {session id or row key: session with its `.slot`}

    # Loading, once per batch --------------------------------------------------------------

    def load(self, rows):
        """Load what `rows` need (read again, and locked, when applying)."""
        if self.apply:
            self._deleted_before = set(self.deleted_here)
            self.sessions, self.days, self.details, self.slots = {}, {}, {}, {}
        self._load_people(rows)
        ids = {row.session_id for row in rows if row.session_id} - set(self.sessions)
        self._load_sessions(ids)
        mentors = {
            self.users[row.mentor_email].id for row in rows if self.users.get(row.mentor_email)
        }
        mentors |= {
            self.sessions[row.session_id].host_id
            for row in rows
            if self.sessions.get(row.session_id)
        }
        if self.apply and _is_postgres():
            # The mentors' rows locked (SQLite: the write transaction holds the database),
            # in one order: no deadlock between two uploads; then the days to change, and
            # their sessions read again.
            for chunk in chunks(sorted(mentors)):
                list(User.select(User.id).where(User.id.in_(chunk)).for_update())
            self._load_sessions(ids, lock=True)
        if self.apply:
            self._load_slots_near(rows, mentors)
            return
        # A check keeps each mentor's sessions to come from batch to batch (with what the
        # rows before did): loaded once, whole.
        for chunk in chunks(mentors - set(self.slots)):
            for mentor_id in chunk:
                self.slots[mentor_id] = {}
            for session in hosting.hosted_slots(chunk, self.now):
                self.slots[session.host_id][session.id] = session

    def _load_slots_near(self, rows, mentors):
        """When applying, the slots are read again for every batch (the rows before wrote
        theirs): only those near the batch's rows' times, per mentor from the earliest
        start to the latest end of their rows, a superset of what a row can clash with."""
        windows = {}
        for row in rows:
            if row.start_at is None or row.end_at is None:
                continue
            hosts = {self.users[row.mentor_email].id} if self.users.get(row.mentor_email) else set()
            if self.sessions.get(row.session_id):
                hosts.add(self.sessions[row.session_id].host_id)
            for host_id in hosts:
                start_at, end_at = windows.get(host_id, (row.start_at, row.end_at))
                windows[host_id] = (min(start_at, row.start_at), max(end_at, row.end_at))
        self.slots = {mentor_id: {} for mentor_id in mentors}
        asked = list(windows.items())
        for start in range(0, len(asked), CHUNK):
            places = {"now": self.now}
            chunk = asked[start : start + CHUNK]
            for n in range(CHUNK):
                host_id, (start_at, end_at) = chunk[n] if n < len(chunk) else (None, (None, None))
                places |= {f"h{n}": host_id, f"s{n}": start_at, f"e{n}": end_at}
            for session_id, host_id, name, zone, start_at, end_at in SLOTS_NEAR.rows(**places):
                self.slots.setdefault(host_id, {})[session_id] = SimpleNamespace(
                    id=session_id,
                    host_id=host_id,
                    name=name,
                    timezone=zone,
                    slot=SimpleNamespace(start_at=start_at, end_at=end_at),
                )

    def _load_people(self, rows):
        if len(self.users) > USERS_KEPT:
            self.users = {}  # memory stays flat however many people a file names
        emails = {email for row in rows for email in (row.mentor_email, *row.mentee_emails)}
        for chunk in chunks(email for email in emails if email and email not in self.users):
            found, _missing = mentoring.people_by_email(chunk)
            self.users.update(dict.fromkeys(chunk))
            self.users.update({user.email: user for user in found})

    def _load_sessions(self, ids, lock=False):
        """The mentoring sessions of these ids, their days (locked, `lock`) and details."""
        for chunk in chunks(sorted(ids)):
            found = {
                session.id: session
                for session in Session.select().where(
                    Session.id.in_(chunk), Session.kind == SessionKind.MENTORING
                )
            }
            self.sessions.update({session_id: found.get(session_id) for session_id in chunk})
            for session_id in chunk:
                self.days.pop(session_id, None)  # read again (locked) when asked twice
            days = Day.select().where(Day.session.in_(list(found))).order_by(Day.start_at)
            if lock:
                days = days.for_update()
            for day in days:
                self.days.setdefault(day.session_id, day)
            for details in MentoringDetails.select().where(
                MentoringDetails.session.in_(list(found))
            ):
                self.details[details.session_id] = details

    def reload(self, session_id):
        """One session read again after the batch's pending edits were written."""
        for store in (self.sessions, self.days, self.details):
            store.pop(session_id, None)
        self._load_sessions({session_id}, lock=_is_postgres())
        return self.sessions.get(session_id)

    def loaded(self, session):
        """What `mentoring.check` would read about `session`, from what was loaded."""
        if session is None:
            return {}
        return {"details": self.details.get(session.id), "day": self.days.get(session.id)}

    # Clashes ------------------------------------------------------------------------------

    def find_clash(self, host_id, start_at, end_at, ignore_session_id=None):
        """`hosting.find_clash` over what was loaded and what the rows before did."""
        clashes = [
            session
            for key, session in self.slots.get(host_id, {}).items()
            if key != ignore_session_id
            and hosting.overlaps_or_touches(
                start_at, end_at, session.slot.start_at, session.slot.end_at
            )
        ]
        return min(clashes, key=lambda session: session.slot.start_at, default=None)

    def remember(self, slot, key, session):
        """What a valid row did (`slot`: the session as clash checks see it), for the rows
        after it."""
        self.slots.setdefault(slot.host_id, {})[key] = slot
        if session is not None:
            self.sessions[session.id] = session

    def forget(self, session):
        """A row deleted `session`: no clash with it, and no later row may change it."""
        self.slots.get(session.host_id, {}).pop(session.id, None)
        self.sessions[session.id] = None
        self.deleted_here.add(session.id)

    def undo(self):
        """The batch was rolled back: what its rows deleted is there again."""
        if self.apply:
            self.deleted_here = set(self._deleted_before)
