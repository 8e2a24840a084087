"""Mentoring sessions in batches (the bulk upload): what `create`, `edit` and `delete` write,
in a few statements per batch instead of some twenty per session, inside the caller's write
transaction after it has checked every row there (`rules.check`). A single `edit` is
`write_edits` of one session."""

import json
from types import SimpleNamespace

from foundation.bulk_insert import insert_rows
from foundation.prepared import Prepared, slot
from messaging import notifications
from models import (
    Day,
    DayFormat,
    Invitation,
    MentoringDetails,
    Registration,
    RegistrationRole,
    Session,
    SessionKind,
    Status,
    TagOption,
    utcnow,
)
from sessions import booking, history, hosting
from sessions.hosting import as_utc
from sessions.mentoring.values import (
    SessionType,
    TagKind,
    checked_meeting,
    clean_tags,
    invited_registrations,
    read_session_type,
    seats_full,
    unique_people,
)


def remember_tags(values_list):
    """New labels become options offered next time (a new option added in place)."""
    rows = {
        (kind, label)
        for values in values_list
        for kind in TagKind.values()
        for label in clean_tags(getattr(values, kind))
    }
    if rows:
        TagOption.insert_many(
            [{"kind": kind, "label": label} for kind, label in sorted(rows)]
        ).on_conflict_ignore().execute()


def create_many(values_list, company, now=None):
    """Publish many new sessions at once (the bulk upload): what `create` writes, in a few
    statements per batch instead of some twenty per session. The caller has checked every
    values with `check`, inside its write transaction, with the mentors' rows locked and
    their clashes looked up against each other (`check(clash_finder=...)`); new sessions
    have no seats taken yet, so the invited mentees fit when `check` passed them. Any error
    leaves the caller to fall back on `create`, one session at a time. Returns the new
    sessions' ids, in the order of `values_list`."""
    now = now or utcnow()
    if not values_list:
        return []
    mentees = [unique_people(values.mentees) for values in values_list]
    session_ids = insert_rows(
        Session,
        [
            _session_row(values, company, len(people), now)
            for values, people in zip(values_list, mentees, strict=True)
        ],
        returning=Session.id,
    )
    pairs = list(zip(session_ids, values_list, strict=True))
    history.record_created(session_ids)
    insert_rows(
        MentoringDetails,
        [
            {"session": session_id, "published_at": now}
            | {kind: clean_tags(getattr(values, kind)) for kind in TagKind.values()}
            for session_id, values in pairs
        ],
    )
    insert_rows(Day, [_day_row(session_id, values) for session_id, values in pairs])
    insert_rows(
        Registration,
        [
            {
                "session": session_id,
                "user": values.mentor.id,
                "role": RegistrationRole.HOST,
                "created_at": now,
                "updated_at": now,
            }
            for session_id, values in pairs
        ],
    )
    _seat_invited(
        [
            (session_id, person)
            for session_id, people in zip(session_ids, mentees, strict=True)
            for person in people
        ],
        now,
    )
    remember_tags(values_list)
    return session_ids


def _session_row(values, company, seats_taken, now):
    return {
        "kind": SessionKind.MENTORING,
        "name": {company.default_locale: values.title.strip()},
        "description": values.description.strip(),
        "timezone": values.timezone or company.timezone,
        "registration_end_at": as_utc(values.start_at),
        "participant_limit": company.mentees_per_session_limit,
        "host": values.mentor.id,
        "is_public": read_session_type(values.session_type) == SessionType.PUBLIC,
        "seats_taken": seats_taken,
        "created_at": now,
    }


def _day_row(session_id, values):
    meeting = checked_meeting(values)
    return {
        "session": session_id,
        "start_at": as_utc(values.start_at),
        "end_at": as_utc(values.end_at),
        "format": DayFormat.ONLINE,
        "platform": meeting.platform,
        "url": meeting.url,
        "meeting_id": meeting.meeting_id,
        "passcode": meeting.passcode,
    }


def _seat_invited(seats, now):
    """The invited mentees of new sessions, [(session id, person)]: their seats (approved),
    the marks that they were invited, and their invitations with the calendar entry."""
    if not seats:
        return
    registration_ids = insert_rows(
        Registration,
        [
            {
                "session": session_id,
                "user": person.id,
                "role": RegistrationRole.PARTICIPANT,
                "status": Status.APPROVED,
                "created_at": now,
                "updated_at": now,
            }
            for session_id, person in seats
        ],
        returning=Registration.id,
    )
    history.record_registered([(session_id, person.id) for session_id, person in seats])
    insert_rows(
        Invitation,
        [
            {"registration": registration_id, "invited_at": now}
            for registration_id in registration_ids
        ],
    )
    # What an invitation's key and context read of a registration: no model row per seat.
    notifications.registrations_confirmed(
        (
            (SimpleNamespace(id=registration_id, session_id=session_id, updated_at=now), person)
            for registration_id, (session_id, person) in zip(registration_ids, seats, strict=True)
        ),
        kind="mentoring_invitation",  # invited mentees: the invitation, as in `rules._invite`
    )


def edit_many(edits, company, now=None):
    """Change many published sessions at once (the bulk upload): what `edit` writes, through
    the same code, in three statements per session and a few per batch. `edits` is
    [(session, day, values)], read inside the caller's write transaction (the day being
    `hosting.only_day`, locked); the caller has checked every values with `check` there,
    with the mentors' rows locked and their clashes looked up against each other
    (`check(clash_finder=...)`). "Session seats full" is `Problems`; on any error the
    caller falls back on `edit`, one session at a time."""
    try:
        write_edits(edits, company, now or utcnow())
    except booking.BookingError as refusal:
        raise seats_full(refusal) from refusal


# What an edit writes to every session it changes: built once (a bulk file edits
# thousands); JSON values are bound as text.
SESSION_TEXTS = Prepared(
    lambda: Session.update(
        {name: slot(name) for name in ("name", "description", "timezone", "registration_end_at")}
    ).where(Session.id == slot("session_id"))
)
DETAILS_TAGS = Prepared(
    lambda: MentoringDetails.update({kind: slot(kind) for kind in TagKind.values()}).where(
        MentoringDetails.session == slot("session_id")
    )
)
DETAILS_TAGS_AND_IMAGE = Prepared(
    lambda: MentoringDetails.update(
        {kind: slot(kind) for kind in (*TagKind.values(), "image_name")}
    ).where(MentoringDetails.session == slot("session_id"))
)


def write_edits(edits, company, now):
    """Inside a write transaction, the mentors locked, each (session, day, values) checked
    and its session and day read there: write the new values. Who was invited and who is
    told is read once for all of them; the updated calendar entries are one statement."""
    if not edits:
        return
    session_ids = [session.id for session, _day, _values in edits]
    invited = {}
    for registration in invited_registrations(session_ids):
        invited.setdefault(registration.session_id, []).append(registration)
    wanted = {
        session.id: {person.id: person for person in unique_people(values.mentees)}
        for session, _day, values in edits
    }
    for session, _day, _values in edits:
        for registration in invited.get(session.id, []):
            if registration.user_id not in wanted[session.id]:
                booking.release_inside(registration, now)
                notifications.registration_cancelled(Registration.get_by_id(registration.id))
    told = hosting.sessions_with_seats_taken(session_ids)
    moved = []
    for session, day, values in edits:
        start_at, end_at = as_utc(values.start_at), as_utc(values.end_at)
        names = dict(session.name) | {company.default_locale: values.title.strip()}
        SESSION_TEXTS.run(
            session_id=session.id,
            name=json.dumps(names),
            description=values.description.strip(),
            timezone=values.timezone or session.timezone,
            registration_end_at=start_at,
        )
        tags = {kind: json.dumps(clean_tags(getattr(values, kind))) for kind in TagKind.values()}
        if values.image_name is None:
            DETAILS_TAGS.run(session_id=session.id, **tags)
        else:
            DETAILS_TAGS_AND_IMAGE.run(session_id=session.id, image_name=values.image_name, **tags)
        meeting = checked_meeting(values)
        is_told = session.id in told
        if hosting.move_day_only(day, start_at, end_at, meeting, is_told) and is_told:
            moved.append(day.id)
    if moved:
        hosting.tell_days_changed(moved)
    invite_all(
        [
            (session, mentee)
            for session, _day, _values in edits
            for mentee in wanted[session.id].values()
        ],
        now,
    )
    remember_tags([values for _session, _day, values in edits])


def invite_all(invitations, now):
    """`_invite` for many (session, mentee) pairs: who holds a seat already is read at once,
    the others take theirs (the atomic step of booking), the invitations in one statement."""
    if not invitations:
        return
    live = {}  # (session id, user id) -> the id of their live registration
    session_ids = list({session.id for session, _mentee in invitations})
    user_ids = list({mentee.id for _session, mentee in invitations})
    query = Registration.select(Registration.session, Registration.user, Registration.id).where(
        Registration.session.in_(session_ids),
        Registration.user.in_(user_ids),
        Registration.status.not_in([Status.CANCELLED, Status.INVITED]),
    )
    for session_id, user_id, registration_id in query.tuples():
        live.setdefault((session_id, user_id), registration_id)
    registration_ids = []
    for session, mentee in invitations:
        registration_id = live.get((session.id, mentee.id))
        if session.event_id:  # one live registration per event: `live_in` looks there
            registration = booking.live_in(mentee, session)
            registration_id = registration and registration.id
        if registration_id is None:
            registration_id = booking.seat_inside(session, mentee, now, "mentoring_invitation").id
        registration_ids.append(registration_id)
    insert_rows(
        Invitation,
        [{"registration": rid, "invited_at": now} for rid in registration_ids],
        ignore=True,
    )


def delete_many(sessions):
    """Delete many sessions at once (the bulk upload), inside the caller's write transaction,
    each checked there with `hosting.check_changeable` (what `delete` checks)."""
    hosting.delete_many(sessions)
