"""What Convene tells people, and when. Each function queues its emails in the outbox
inside the caller's transaction, so nothing is told of a change that rolled back.

Keys make every notice idempotent: the same notice for the same change and person is
queued once, however often the code path runs.
"""

from messaging.calendars import attachment
from messaging.mail import queue_email, recipient_locale
from models import Day, Registration, RegistrationRole, Session, Status, User


def _days(session):
    return list(Day.select().where(Day.session == session).order_by(Day.start_at))


def _stamp(registration):
    return registration.updated_at.strftime("%Y%m%d%H%M%S%f")


def registration_confirmed(registration, template="registration_confirmed", left_session=None):
    """Approved (signed up, registered by an admin, promoted, moved): with the calendar, and
    for a move, the cancellation of the days of the session left behind."""
    session, user = Session.get_by_id(registration.session_id), User.get_by_id(registration.user_id)
    locale, days = recipient_locale(user), _days(session)
    files = [attachment([(day, session) for day in days], locale)] if days else []
    if left_session is not None and (left_days := _days(left_session)):
        files.append(attachment([(day, left_session) for day in left_days], locale, "CANCEL", True))
    queue_email(
        f"{template}:{registration.id}:{_stamp(registration)}",
        user,
        template,
        files,
        session=session,
        days=days,
        registration=registration,
        left_session=left_session,
    )


def registration_promoted(registration):
    registration_confirmed(registration, "waitlist_promoted")


def registration_switched(registration, left_session):
    registration_confirmed(registration, "registration_switched", left_session)


def registration_cancelled(registration):
    session, user = Session.get_by_id(registration.session_id), User.get_by_id(registration.user_id)
    days = _days(session)
    files = (
        [
            attachment(
                [(day, session) for day in days], recipient_locale(user), "CANCEL", cancelled=True
            )
        ]
        if days
        else []
    )
    queue_email(
        f"registration_cancelled:{registration.id}:{_stamp(registration)}",
        user,
        "registration_cancelled",
        files,
        session=session,
        days=days,
        registration=registration,
    )


def status_changed(registration):
    session, user = Session.get_by_id(registration.session_id), User.get_by_id(registration.user_id)
    queue_email(
        f"status_changed:{registration.id}:{_stamp(registration)}",
        user,
        "status_changed",
        session=session,
        registration=registration,
        status=registration.status,
    )


def _people_in(session):
    return list(
        User.select()
        .join(Registration)
        .where(
            Registration.session == session,
            Registration.status.in_(Status.HOLDS_SEAT)
            | (Registration.role == RegistrationRole.HOST),
        )
        .distinct()
    )


def day_changed(day):
    """An updated calendar entry (same UID, higher SEQUENCE) for everyone in the session."""
    session = Session.get_by_id(day.session_id)
    for user in _people_in(session):
        queue_email(
            f"day_changed:{day.id}:{day.sequence}:{user.id}",
            user,
            "day_changed",
            [attachment([(day, session)], recipient_locale(user))],
            session=session,
            day=day,
        )


def day_cancelled(day, session=None):
    """METHOD:CANCEL for a deleted day (or every day of a deleted session)."""
    session = session or Session.get_by_id(day.session_id)
    for user in _people_in(session):
        queue_email(
            f"day_cancelled:{day.id}:{user.id}",
            user,
            "day_cancelled",
            [attachment([(day, session)], recipient_locale(user), "CANCEL", cancelled=True)],
            session=session,
            day=day,
        )


def reminder(reminder_row, session, user):
    queue_email(
        f"reminder:{reminder_row.id}:{user.id}",
        user,
        "reminder",
        session=session,
        days=_days(session),
        reminder=reminder_row,
    )


def group_invitation(registration, links):
    """Invited to a group session: Accept / Decline links (signed, single-purpose)."""
    session, user = Session.get_by_id(registration.session_id), User.get_by_id(registration.user_id)
    days = _days(session)
    queue_email(
        f"group_invitation:{registration.id}",
        user,
        "group_invitation",
        session=session,
        days=days,
        links=links,
        host=session.host,
    )


def group_below_minimum(session, person, links):
    queue_email(
        f"group_below_minimum:{session.id}:{person.id}",
        person,
        "group_below_minimum",
        session=session,
        days=_days(session),
        links=links,
        count=session.seats_taken + 1,
    )
