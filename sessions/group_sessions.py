"""Group sessions (docs/product-rules.md, "Group sessions"): a session of its own with one
day, a host who counts as one participant, a public page, non-exclusive invitations, and
the minimum-participants check before the start. Seats go through `booking`, the one
capacity mechanism."""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from foundation import schedule
from foundation.forms import FormReader, Invalid, row_ids
from meetings.meeting_links import is_web_url
from meetings.platforms import check_pasted_link
from messaging import mail, notifications
from models import (
    Day,
    DayFormat,
    Registration,
    RegistrationRole,
    Role,
    Session,
    SessionKind,
    Status,
    User,
    contains_text,
    utcnow,
    write_transaction,
)
from sessions import booking, history, hosting

INVITATION_SALT = "group-invitation"
MINIMUM_SALT = "group-minimum"


# Creating ----------------------------------------------------------------------------------


def create_group_session(creator, form, company, now=None):
    """Create a group session hosted by `creator` from the form, inviting whoever it names."""
    now = now or utcnow()
    reader = FormReader(form)
    title = reader.text("title", required=True, max_length=180)
    description = reader.text("description", required=True, max_length=5000)
    zone = reader.text("timezone") or company.timezone
    if not schedule.is_timezone(zone):
        zone = company.timezone
    local_start = reader.local_datetime("start", zone=zone)
    duration = _read_duration(reader, company)
    minimum = reader.integer("min_participants", minimum=1, maximum=10000)
    maximum = reader.integer("max_participants", minimum=2, maximum=10000)
    url = _read_meeting_url(reader)
    start = local_start and schedule.to_utc(local_start, zone)
    if start and start <= now:
        reader.error("start", _("Choose a time in the future."))
    if minimum and maximum and minimum > maximum:
        reader.error("min_participants", _("The minimum cannot be larger than the maximum."))
    invitees = _read_invitees(reader, form, creator)
    reader.raise_if_invalid()
    with write_transaction():
        # The host-clash rule (docs/product-rules.md): lock the host's row, check again.
        hosting.lock_host_and_check(creator.id, start, start + duration)
        session = Session.create(
            kind=SessionKind.GROUP,
            name={company.default_locale: title},
            description=description,
            timezone=zone,
            registration_end_at=start,
            participant_limit=maximum - 1,  # the host counts as one
            min_participants=minimum,
            host=creator,
            is_public=form.get("visibility", "public") != "private",
        )
        Day.create(
            session=session,
            start_at=start,
            end_at=start + duration,
            format=DayFormat.ONLINE,
            url=url,
        )
        Registration.create(session=session, user=creator, role=RegistrationRole.HOST)
        history.record_session_saved(session, None)
        for user in invitees:
            _invite(session, user, now)
    mail.request_delivery()
    return session


def _read_duration(reader, company):
    hours = reader.integer("duration_hours", minimum=0, maximum=24)
    minutes = reader.integer("duration_minutes", minimum=0, maximum=59)
    duration = timedelta(hours=hours or 0, minutes=minutes or 0)
    if (
        hours is not None
        and minutes is not None
        and duration < timedelta(minutes=company.min_duration_minutes)
    ):
        reader.error(
            "duration_minutes",
            _("A session lasts at least %(num)d minutes.", num=company.min_duration_minutes),
        )
    return duration


def _read_meeting_url(reader):
    url = reader.text("meeting_url", max_length=2000)
    if url and not is_web_url(url):
        reader.error("meeting_url", _("Enter a link that starts with https:// or http://."))
    elif url:
        url, problem = check_pasted_link(url)  # Meet, WhatsApp and Zoom links checked
        if problem:
            reader.error("meeting_url", problem)
    return url


def _read_invitees(reader, form, creator):
    ids = row_ids(form.getlist("invitees"))
    users = list(User.select().where(User.id.in_(ids), User.is_active == True))  # noqa: E712
    if len(users) != len(ids):
        reader.error("invitees", _("Some invited people could not be found."))
    return [user for user in users if user.id != creator.id]


def _invite(session, user, now):
    registration = Registration.create(
        session=session, user=user, status=Status.INVITED, created_at=now, updated_at=now
    )
    history.record_status(registration, None, Status.INVITED, history.Change.REGISTERED)
    notifications.group_invitation(registration, invitation_links(registration))


def search_members(text, limit=8):
    """Type-ahead for invitations: active people whose name contains `text`, or whose email
    is exactly `text` (a host who knows an address may use it; nobody browses addresses)."""
    text = text.strip()[:100]
    if len(text) < 2:
        return []
    query = User.select().where(
        User.is_active == True,  # noqa: E712
        contains_text(User.name, text) | (User.email == text.lower()),
    )
    return list(query.order_by(User.name).limit(limit))


# Invitations -------------------------------------------------------------------------------


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def invitation_links(registration):
    serializer = _serializer(INVITATION_SALT)
    base = current_app.config["PUBLIC_URL"]
    return {
        action: f"{base}/invitations/{serializer.dumps([registration.id, action])}"
        for action in ("accept", "decline")
    }


def read_invitation(token, max_age=60 * 60 * 24 * 60):
    """(registration, action) from a signed link, or Invalid with a message to show."""
    try:
        registration_id, action = _serializer(INVITATION_SALT).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise Invalid({"token": _("This invitation link has expired.")}) from error
    except (BadSignature, ValueError, TypeError) as error:
        raise Invalid({"token": _("This invitation link is not valid.")}) from error
    registration = Registration.get_or_none(Registration.id == registration_id)
    if registration is None or action not in ("accept", "decline"):
        raise Invalid({"token": _("This invitation link is not valid.")})
    return registration, action


def answer_invitation(registration, action, now=None):
    """Accept (take a seat, like anyone joining) or decline; an invitation is answered once."""
    if registration.status != Status.INVITED:
        raise booking.BookingError(_("This invitation has already been answered."))
    if action == "decline":
        registration.status, registration.updated_at = Status.CANCELLED, now or utcnow()
        with write_transaction():
            registration.save(only=[Registration.status, Registration.updated_at])
            history.record_status(registration, Status.INVITED, Status.CANCELLED)
        return registration
    return booking.sign_up(registration.user, registration.session, now)


# The minimum-participants check -------------------------------------------------------------


def participants_count(session):
    """Everyone attending, the host included."""
    return session.seats_taken + 1


def check_minimums(company, now=None):
    """At the cut-off before the start, tell host and admins of sessions below their minimum."""
    now = now or utcnow()
    cutoff = now + timedelta(hours=company.group_minimum_cutoff_hours)
    due = Session.select().where(
        Session.kind == SessionKind.GROUP,
        Session.cancelled_at.is_null(),
        Session.minimum_checked_at.is_null(),
        Session.registration_end_at <= cutoff,
        Session.registration_end_at > now,
    )
    told = 0
    for session in due:
        with write_transaction():
            won = (
                Session.update(minimum_checked_at=now)
                .where(Session.id == session.id, Session.minimum_checked_at.is_null())
                .execute()
            )
            if (
                won
                and session.min_participants
                and participants_count(session) < session.min_participants
            ):
                for person in _host_and_admins(session):
                    notifications.group_below_minimum(session, person, decision_links(session))
                told += 1
    if told:
        mail.request_delivery()
    return told


def _host_and_admins(session):
    admins = User.select().where(User.role == Role.ADMIN, User.is_active == True)  # noqa: E712
    people = {user.id: user for user in admins}
    if session.host_id:
        people[session.host_id] = User.get_by_id(session.host_id)
    return list(people.values())


def decision_links(session):
    serializer = _serializer(MINIMUM_SALT)
    base = f"{current_app.config['PUBLIC_URL']}/group-sessions/{session.id}/decide"
    return {
        decision: f"{base}/{serializer.dumps([session.id, decision])}"
        for decision in ("cancel", "keep")
    }


def read_decision(session, token):
    try:
        session_id, decision = _serializer(MINIMUM_SALT).loads(token, max_age=60 * 60 * 24 * 30)
    except (BadSignature, ValueError, TypeError) as error:
        raise Invalid({"token": _("This link is not valid.")}) from error
    if session_id != session.id or decision not in ("cancel", "keep"):
        raise Invalid({"token": _("This link is not valid.")})
    return decision
