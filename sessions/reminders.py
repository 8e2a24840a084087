"""Up to three reminders per session, each at a fixed time or a number of days or hours
before the first day; sent once, only to people who have not completed the session."""

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from foundation import schedule
from foundation.forms import FormReader, Invalid
from foundation.prepared import Prepared, slot
from messaging import mail, notifications
from models import (
    Day,
    Registration,
    RegistrationRole,
    Reminder,
    Session,
    Status,
    locked,
    utcnow,
    write_transaction,
)

MAX_PER_SESSION = 3
UNITS = {"days": _l("days"), "hours": _l("hours")}
# Who has not completed what an event session asks: registered, not yet marked participated.
NOT_COMPLETED = (Status.APPROVED, Status.CONFIRM_PARTICIPATION)


def first_start(session):
    return Day.select(Day.start_at).where(Day.session == session).order_by(Day.start_at).scalar()


def due_at(reminder, first_day_start, zone):
    """Days count on the session's wall clock ("2 days before, same time" across a change to
    summer time); hours count in absolute time."""
    if reminder.fixed_at is not None:
        return reminder.fixed_at
    if first_day_start is None:
        return None
    if reminder.offset_unit == "days":
        local_start = schedule.to_local_naive(first_day_start, zone)
        return schedule.to_utc(local_start - timedelta(days=reminder.offset), zone)
    return first_day_start - timedelta(hours=reminder.offset)


UNSENT = Prepared(
    lambda: Reminder.select().where(
        Reminder.session == slot("session_id"), Reminder.sent_at.is_null()
    )
)
NEW_DUE = Prepared(lambda: Reminder.update(due_at=slot("due_at")).where(Reminder.id == slot("id")))
UNKNOWN = object()


def recompute(session, first_day_start=UNKNOWN):
    """Days moved: unsent reminders follow the first day (`first_day_start`, when the caller
    knows it already). Statements built once: every day save runs them."""
    start = first_start(session) if first_day_start is UNKNOWN else first_day_start
    for reminder in UNSENT.rows(session_id=session.id):
        due = due_at(reminder, start, session.timezone)
        if due != reminder.due_at:
            NEW_DUE.run(id=reminder.id, due_at=due)


def save_reminder(session, reminder, form):
    """Create (reminder=None) or update a reminder from the form; at most three a session."""
    reader = FormReader(form)
    kind = reader.choice("kind", ["fixed", "relative"])
    fixed_at = offset = unit = None
    if kind == "fixed":
        local = reader.local_datetime("fixed_at", zone=session.timezone)
        fixed_at = local and schedule.to_utc(local, session.timezone)
    elif kind == "relative":
        unit = reader.choice("offset_unit", list(UNITS))
        offset = reader.integer("offset", minimum=1, maximum=365 if unit == "days" else 24 * 365)
    reader.raise_if_invalid()
    with write_transaction():
        locked(Session, session.id)
        if (
            reminder is None
            and Reminder.select().where(Reminder.session == session).count() >= MAX_PER_SESSION
        ):
            raise Invalid({"kind": _("A session has at most three reminders.")})
        if reminder is not None and reminder.is_sent:
            raise Invalid({"kind": _("This reminder has been sent and cannot change.")})
        reminder = reminder or Reminder(session=session)
        reminder.fixed_at, reminder.offset, reminder.offset_unit = fixed_at, offset, unit
        reminder.due_at = due_at(reminder, first_start(session), session.timezone)
        reminder.save()
    return reminder


def delete_reminder(reminder):
    reminder.delete_instance()


def recipient_ids(session_id):
    return [
        row.user_id
        for row in Registration.select(Registration.user).where(
            Registration.session == session_id,
            Registration.role == RegistrationRole.PARTICIPANT,
            Registration.status.in_(NOT_COMPLETED),
        )
    ]


def send_due(now=None):
    """Send every reminder that is due, each exactly once to each person.

    A due reminder becomes one broadcast (the ids of the people who have not completed the
    session), written in the transaction that marks it sent; the delivery job writes and
    renders the emails in batches, once per language and zone. Keys make a repeated or
    concurrent run queue each email once.
    """
    now = now or utcnow()
    sent = 0
    for reminder in Reminder.select().where(Reminder.due_at <= now, Reminder.sent_at.is_null()):
        with write_transaction():
            people = recipient_ids(reminder.session_id)
            marked = (
                Reminder.update(sent_at=now, sent_count=len(people))
                .where(Reminder.id == reminder.id, Reminder.sent_at.is_null())
                .execute()
            )
            if marked:
                notifications.reminder(reminder, people)
            sent += marked
    if sent:
        mail.request_delivery()
    return sent
