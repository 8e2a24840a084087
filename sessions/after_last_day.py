"""After a session's last day: its approved participants are asked whether they took part
(the minutely sweep), and a day added later to a finished session reopens it. Each is one
UPDATE over many registrations, with its history entries written by one INSERT … SELECT;
no seat moves (every status here holds one)."""

import peewee as pw

from models import Day, Registration, RegistrationRole, Status, utcnow, write_transaction
from sessions import history


def _ended_sessions(now):
    return Day.select(Day.session).group_by(Day.session).having(pw.fn.MAX(Day.end_at) <= now)


def ask_to_confirm_participation(now=None):
    """After a session's last day, approved participants are asked whether they took part."""
    now = now or utcnow()
    asked = (
        (Registration.status == Status.APPROVED)
        & (Registration.role == RegistrationRole.PARTICIPANT)
        & Registration.session.in_(_ended_sessions(now))
    )
    with write_transaction():
        history.record_status_updates(asked, Status.CONFIRM_PARTICIPATION)
        return (
            Registration.update(status=Status.CONFIRM_PARTICIPATION, updated_at=now)
            .where(asked)
            .execute()
        )


def reopen_after_new_day(session, now=None):
    """A future day was added to a finished session: "confirm participation",
    "participated" and "missed" go back to approved (denied stays). All hold a seat, so
    the counter does not move."""
    now = now or utcnow()
    finished = (Registration.session == session) & Registration.status.in_(
        [Status.CONFIRM_PARTICIPATION, Status.PARTICIPATED, Status.MISSED]
    )
    history.record_status_updates(finished, Status.APPROVED)
    return Registration.update(status=Status.APPROVED, updated_at=now).where(finished).execute()
