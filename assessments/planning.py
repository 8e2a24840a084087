"""Assessment sessions: creating and editing one with its key dates (invitation ≤ each
reminder ≤ completion < session date, all days in the session's time zone), the guidance
beside the dates, and the participants on its Registrations tab."""

from datetime import datetime, time, timedelta

from flask_babel import gettext as _

from assessments import outreach
from foundation import schedule
from foundation.forms import FormReader, Invalid
from foundation.i18n import current_company
from messaging import mail
from models import (
    Assessment,
    AssessmentParticipant,
    AssessmentReminder,
    AssessmentSession,
    ClientOrganization,
    Registration,
    RegistrationRole,
    Role,
    Session,
    SessionKind,
    Status,
    User,
    contains_text,
    locked,
    utcnow,
    write_transaction,
)
from sessions import history

# Session time: invitations go out at 09:00 on their day, reminders at 17:00 on theirs (a
# reminder on the invitation date, as the seed suggests, then comes at the end of that day).
SEND_HOUR = time(9, 0)
REMINDER_HOUR = time(17, 0)
MAX_REMINDERS = 3
TITLE_MAX = 180
REMINDER_FIELDS = tuple(f"reminder_{number}" for number in range(1, MAX_REMINDERS + 1))


def send_time(day, zone, hour=SEND_HOUR):
    return schedule.to_utc(datetime.combine(day, hour), zone)


def closing_time(completion_on, zone):
    """Surveys close at the end of the completion date (its last day to submit)."""
    return schedule.to_utc(datetime.combine(completion_on + timedelta(days=1), time()), zone)


def check_dates(reader, dates):
    """invitation ≤ each reminder ≤ completion < session date; each error by its field."""
    invitation, completion, session_on = (
        dates.get("invitation_on"),
        dates.get("completion_on"),
        dates.get("session_on"),
    )
    if invitation and completion and completion < invitation:
        reader.error(
            "completion_on",
            _("The assessment completion date must be on or after the invitation date."),
        )
    if completion and session_on and session_on <= completion:
        reader.error(
            "session_on", _("The session date must be after the assessment completion date.")
        )
    for name in REMINDER_FIELDS:
        reminder = dates.get(name)
        if reminder is None:
            continue
        if invitation and reminder < invitation:
            reader.error(name, _("A reminder date must be on or after the invitation date."))
        elif completion and reminder > completion:
            reader.error(
                name, _("A reminder date must be on or before the assessment completion date.")
            )


def guidance(dates):
    """Advice, not errors: the notes shown beside the dates for what was entered."""
    notes = []
    invitation, completion, session_on = (
        dates.get("invitation_on"),
        dates.get("completion_on"),
        dates.get("session_on"),
    )
    if invitation and completion and completion >= invitation:
        days = (completion - invitation).days
        if days < 28:
            notes.append(
                _(
                    "%(days)d days from invitation to completion. Several participants usually"
                    " need 4–6 weeks to choose their raters and complete the surveys.",
                    days=days,
                )
            )
    if completion and session_on and session_on > completion:
        days = (session_on - completion).days
        if days < 7:
            notes.append(
                _(
                    "%(days)d days from completion to the session date. Allow about 7 days"
                    " for facilitators to review the reports.",
                    days=days,
                )
            )
    return notes


def read_dates(form):
    reader = FormReader(form)
    dates = {
        name: reader.date(name, required=name in {"session_on", "invitation_on", "completion_on"})
        for name in ("session_on", "invitation_on", "completion_on", *REMINDER_FIELDS)
    }
    return reader, dates


def facilitators():
    return list(
        User.select()
        .where(User.is_active == True, User.role.in_([Role.HOST, Role.ADMIN]))  # noqa: E712
        .order_by(User.name)
    )


def save_session(detail, form, now=None):
    """Create (detail=None) or update an assessment session from the form."""
    now = now or utcnow()
    reader, dates = read_dates(form)
    title = reader.text("title", required=True, max_length=TITLE_MAX)
    assessment_id = reader.choice(
        "assessment", [str(row.id) for row in Assessment.select(Assessment.id)]
    )
    client_id = reader.choice(
        "client",
        [str(row.id) for row in ClientOrganization.select(ClientOrganization.id)],
        required=False,
    )
    host_id = reader.choice("host", [str(user.id) for user in facilitators()], required=False)
    zone = reader.text("timezone") or current_company().timezone
    if not schedule.is_timezone(zone):
        reader.error("timezone", _("Choose a time zone from the list."))
    check_dates(reader, dates)
    if detail is not None and detail.session.cancelled_at is not None:
        reader.error("title", _("The assessment session is cancelled."))
    reader.raise_if_invalid()
    with write_transaction():
        if detail is None:
            session = Session.create(
                kind=SessionKind.ASSESSMENT,
                name={current_company().default_locale: title},
                timezone=zone,
                is_public=False,
                host=host_id,
            )
            history.record_session_saved(session, None)
            detail = AssessmentSession(session=session)
        else:
            session = locked(Session, detail.session_id)
            history.record_host(session, session.host_id, host_id and int(host_id))
            session.name = {current_company().default_locale: title}
            session.timezone, session.host = zone, host_id
            session.save()
            if str(detail.assessment_id) != assessment_id and _has_answers(session):
                raise Invalid(
                    {"assessment": _("Surveys have answers: the assessment cannot change.")}
                )
        detail.assessment = int(assessment_id)
        detail.client = client_id and int(client_id)
        detail.session_on = dates["session_on"]
        detail.invitation_on = dates["invitation_on"]
        detail.completion_on = dates["completion_on"]
        detail.invitation_due_at = send_time(dates["invitation_on"], zone)
        detail.closes_at = closing_time(dates["completion_on"], zone)
        detail.save()
        _save_reminders(detail, dates, zone)
        invited = outreach.invite_due(detail, now)
    if invited:
        mail.request_delivery()
    return detail


def _has_answers(session):
    return (
        AssessmentParticipant.select()
        .join(Registration)
        .where(Registration.session == session, AssessmentParticipant.saved_at.is_null(False))
        .exists()
    )


def _save_reminders(detail, dates, zone):
    existing = {row.number: row for row in detail.reminders}
    errors = {}
    for number, name in enumerate(REMINDER_FIELDS, 1):
        day, row = dates.get(name), existing.get(number)
        if row is not None and row.sent_at is not None:
            if day != row.due_on:
                errors[name] = _("This reminder has been sent and cannot change.")
            continue
        if day is None:
            if row is not None:
                row.delete_instance()
            continue
        row = row or AssessmentReminder(assessment_session=detail, number=number)
        row.due_on, row.due_at = day, send_time(day, zone, REMINDER_HOUR)
        row.save()
    if errors:
        raise Invalid(errors)


def add_client(form):
    reader = FormReader(form)
    name = reader.text("client_name", required=True, max_length=120)
    reader.raise_if_invalid()
    with write_transaction():
        existing = ClientOrganization.get_or_none(ClientOrganization.name == name)
        return existing or ClientOrganization.create(name=name)


# Participants ------------------------------------------------------------------------------


def search_people(detail, text, limit=8):
    """Type-ahead: active people whose name or email contains `text`, not yet registered."""
    text = text.strip()[:100]
    if len(text) < 2:
        return []
    registered = Registration.select(Registration.user).where(
        Registration.session == detail.session_id
    )
    return list(
        User.select()
        .where(
            User.is_active == True,  # noqa: E712
            contains_text(User.name, text) | contains_text(User.email, text),
            User.id.not_in(registered),
        )
        .order_by(User.name)
        .limit(limit)
    )


def add_participant(detail, form, now=None):
    """Register a person; after the invitation date they are invited at once."""
    now = now or utcnow()
    reader = FormReader(form)
    raw = reader.text("person", max_length=254) or reader.text("query", max_length=254)
    if not raw:
        reader.error("person", _("This field is required."))
    reader.raise_if_invalid()
    person = None
    if raw.isascii() and raw.isdigit() and len(raw) < 12:  # "²" is a digit int() refuses
        person = User.get_or_none(User.id == int(raw), User.is_active == True)  # noqa: E712
    if person is None:
        person = User.get_or_none(User.email == raw.lower(), User.is_active == True)  # noqa: E712
    if person is None:
        raise Invalid({"person": _("Choose a person from the suggestions (or type their email).")})
    if now >= detail.closes_at:
        raise Invalid({"person": _("The assessment is closed: its completion date has passed.")})
    if detail.session.cancelled_at is not None:
        raise Invalid({"person": _("The assessment session is cancelled.")})
    with write_transaction():
        locked(Session, detail.session_id)
        if (
            Registration.select()
            .where(Registration.session == detail.session_id, Registration.user == person)
            .exists()
        ):
            raise Invalid({"person": _("%(name)s is already registered.", name=person.name)})
        registration = Registration.create(
            session=detail.session_id,
            user=person,
            role=RegistrationRole.PARTICIPANT,
            status=Status.APPROVED,
        )
        participant = AssessmentParticipant.create(registration=registration)
        history.record_status(registration, None, Status.APPROVED, history.Change.REGISTERED)
        invited = outreach.invite_due(detail, now)
    if invited:
        mail.request_delivery()
    return participant


def remove_participant(detail, participant, now=None):
    now = now or utcnow()
    if participant.invited_at is not None or now >= detail.invitation_due_at:
        raise Invalid({"remove": _("Participants can be removed only before the invitation date.")})
    with write_transaction():
        history.record_removals([participant.registration])
        Registration.delete().where(Registration.id == participant.registration_id).execute()


def participants(detail):
    """The session's participants with their user, in name order."""
    return list(
        AssessmentParticipant.select(AssessmentParticipant, Registration, User)
        .join(Registration)
        .join(User)
        .where(Registration.session == detail.session_id)
        .order_by(User.name)
    )
