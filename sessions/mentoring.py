"""Mentoring sessions (PRODUCT.md C, issue 12): the rules, one place each, for the screens
and for the bulk upload alike. Plain values in, a session or a list of problems out.

API
---
`MentoringValues(...)`: the plain values of one session (a dataclass):
    title, description            texts (title at most 180, description at most 5000)
    session_type                  "public" or "private" (case and spaces ignored)
    mentor                        a User (must be an active host or admin)
    mentees                       Users invited (optional for public, >= 1 for private)
    start_at, end_at              aware datetimes, or naive ones read as UTC
    timezone                      IANA zone the session is shown in (default: company's)
    recommended_for, categories, medium    lists of labels
    platform                      a key or a name as typed ("Big Blue Button", "zoom");
                                  empty: BigBlueButton
    meeting_url, meeting_id, passcode      the link, Zoom meeting ID and passcode
    image_name                    a stored image's name (foundation.images.save_image);
                                  None keeps the current one, "" removes it
    link_later                    True: a link platform may be published without its link
                                  (BigBlueButton needs no link; it is refused with "BigBlueButton
                                  is not configured..." unless BBB_URL and BBB_SECRET are set)

`check(values, company, session=None, now=None) -> {field: message}`: every problem of
    the values, without writing (what `create` / `edit` would refuse, the clash included;
    the clash is checked again, locked, when writing).
`create(values, company, now=None) -> Session`: publish a new session; invited mentees take
    their seats at once and are emailed their calendar entry.
`edit(session, values, company, now=None) -> Session`: change a published session (type
    and mentor must stay as they are); a new time or link sends everyone an updated
    calendar entry (same UID, higher SEQUENCE); removed mentees are told.
`create_many(values_list, company, now)` / `edit_many([(session, day, values)], company,
    now)` / `delete_many(sessions)`: the same writes for a batch (the bulk upload), inside
    the caller's write transaction, after it has checked every row there (`edit` is
    `edit_many` of one session, after its own check and locks).
`set_meeting(session, platform, url, meeting_id, passcode, link_later, now=None)`: the
    "add meeting link" step alone.
`cancel(session, now=None)` / `delete(session, now=None)`: everyone is emailed the calendar
    cancellation. A session that has started cannot be edited, cancelled or deleted.
`enroll(user, session)` / `leave(user, session)`: a mentee takes or gives back a seat (the
    one atomic seat step of `booking`).
`find_clash(mentor_id, start_at, end_at, ignore_session_id=None)`: the mentor's session
    that overlaps or touches the interval, if any.
`people_by_email(emails) -> (users, missing addresses)`: accounts for a file's addresses.
`values_of(session) -> MentoringValues`: what a session has now (an Edit may start there).

Every refusal is `Problems` (a `foundation.forms.Invalid`): `.errors` is {field: message},
the messages translated plain words. Fields: title, description, session_type, mentor,
mentees, start, end, timezone, recommended_for, categories, medium, platform,
meeting_url, meeting_id, passcode, session (the session as a whole: started, cancelled).
An enrollment refusal is `booking.BookingError` (e.g. "Session seats full").

Seats: the limit is the company's `mentees_per_session_limit`, fixed on the session when
it is created (`Session.participant_limit`); invited mentees hold seats (status approved,
with an `Invitation` row), so inviting past the limit answers "Session seats full".
The mentor is the session's host (a host registration), never a mentee.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

import peewee as pw
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from foundation import schedule
from foundation.bulk_insert import insert_rows
from foundation.i18n import pick_text
from meetings.platforms import Meeting, MeetingPlatform, check_meeting, meeting_of
from messaging import mail, notifications
from models import (
    Choices,
    Day,
    DayFormat,
    Invitation,
    MentoringDetails,
    Registration,
    RegistrationRole,
    Role,
    Session,
    SessionKind,
    Status,
    TagOption,
    User,
    locked,
    utcnow,
    write_transaction,
)
from sessions import booking, hosting
from sessions.hosting import Problems, as_utc, find_clash  # noqa: F401 (part of the API)

TITLE_MAX = 180
DESCRIPTION_MAX = 5000
TAG_MAX = 100
TAGS_PER_LIST = 30


class SessionType(Choices):
    PUBLIC = "public"
    PRIVATE = "private"
    LABELS = {PUBLIC: _l("Public"), PRIVATE: _l("Private")}


class TagKind(Choices):
    RECOMMENDED_FOR = "recommended_for"
    CATEGORIES = "categories"
    MEDIUM = "medium"
    LABELS = {
        RECOMMENDED_FOR: _l("Recommended for"),
        CATEGORIES: _l("Categories"),
        MEDIUM: _l("Medium"),
    }


@dataclass
class MentoringValues:
    title: str = ""
    description: str = ""
    session_type: str = SessionType.PUBLIC
    mentor: User | None = None
    mentees: list = field(default_factory=list)
    start_at: datetime | None = None
    end_at: datetime | None = None
    timezone: str = ""
    recommended_for: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    medium: list = field(default_factory=list)
    platform: str = ""
    meeting_url: str = ""
    meeting_id: str = ""
    passcode: str = ""
    link_later: bool = False
    image_name: str | None = None  # a stored image (foundation/images); None keeps, "" removes


def read_session_type(text):
    """ "public" / "private" as typed ("Public", " PRIVATE "), or None."""
    folded = re.sub(r"\s+", "", (text or "").casefold())
    return folded if folded in SessionType.LABELS else None


def clean_tags(labels):
    """Labels trimmed, inner spaces collapsed, duplicates (ignoring case) dropped."""
    seen, result = set(), []
    for label in labels or []:
        text = re.sub(r"\s+", " ", str(label)).strip()
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return result


def may_create(user, company):
    """Admins always; hosts while the company lets hosts create sessions (then they are
    the mentor of what they create)."""
    return user.is_admin or (user.has_role(Role.HOST) and company.allows_group_sessions)


def may_manage(user, session):
    """A session is managed by its mentor (host) and by admins."""
    return user.is_admin or session.host_id == user.id


def people_by_email(emails):
    """(users, missing): the accounts of these addresses (any case, blanks and repeats
    ignored) in the order given, and the addresses that have none."""
    wanted = []
    for email in emails or []:
        address = (email or "").strip().lower()
        if address and address not in wanted:
            wanted.append(address)
    found = (
        {user.email: user for user in User.select().where(User.email.in_(wanted))} if wanted else {}
    )
    return [found[a] for a in wanted if a in found], [a for a in wanted if a not in found]


def may_mentor(user):
    return user is not None and user.is_active and user.has_role(Role.HOST)


# Checking ----------------------------------------------------------------------------------


def _check_texts(values, problems):
    title = (values.title or "").strip()
    description = (values.description or "").strip()
    if not title:
        problems["title"] = _("This field is required.")
    elif len(title) > TITLE_MAX:
        problems["title"] = _(
            "At most %(max)d characters (now %(count)d).", max=TITLE_MAX, count=len(title)
        )
    if not description:
        problems["description"] = _("This field is required.")
    elif len(description) > DESCRIPTION_MAX:
        problems["description"] = _(
            "At most %(max)d characters (now %(count)d).",
            max=DESCRIPTION_MAX,
            count=len(description),
        )


def _check_tags(values, problems):
    for kind in TagKind.values():
        labels = clean_tags(getattr(values, kind))
        if len(labels) > TAGS_PER_LIST:
            problems[kind] = _("Choose at most %(num)d options.", num=TAGS_PER_LIST)
        elif any(len(label) > TAG_MAX for label in labels):
            problems[kind] = _("An option has at most %(max)d characters.", max=TAG_MAX)


def _check_people(values, session_type, limit, problems):
    mentor = values.mentor
    if mentor is None:
        problems["mentor"] = _("Choose a mentor.")
    elif not may_mentor(mentor):
        problems["mentor"] = _(
            "%(name)s cannot be a mentor: mentors are active hosts.", name=mentor.name
        )
    mentees = _unique_people(values.mentees)
    if mentor is not None and any(person.id == mentor.id for person in mentees):
        problems["mentees"] = _("The mentor cannot also be a mentee.")
    elif any(not person.is_active for person in mentees):
        problems["mentees"] = _(
            "%(name)s has no active account.",
            name=next(person.name for person in mentees if not person.is_active),
        )
    elif session_type == SessionType.PRIVATE and not mentees:
        problems["mentees"] = _("A private session needs at least one invited mentee.")
    elif len(mentees) > limit:
        problems["mentees"] = booking.seats_full_message()


def _unique_people(people):
    found = {}
    for person in people or []:
        found.setdefault(person.id, person)
    return list(found.values())


def _meeting_for(values):
    return check_meeting(
        values.platform, values.meeting_url, values.meeting_id, values.passcode, values.link_later
    )


_LOAD = object()  # check() reads the session's details and day itself


def check(
    values, company, session=None, now=None, clash_finder=find_clash, details=_LOAD, day=_LOAD
):
    """{field: message} for every problem of `values`, as a new session or as an edit of
    `session`; empty when they would be accepted. `clash_finder` (`find_clash`'s
    signature) lets the bulk upload look for clashes in what it loaded once and in the
    rows before, without writing them; `details` and `day` (the session's MentoringDetails
    and `hosting.only_day`) let it pass what it loaded once for a batch."""
    now = now or utcnow()
    problems = {}
    if session is None:
        details = day = None
    else:
        if details is _LOAD:
            details = MentoringDetails.get_or_none(MentoringDetails.session == session)
        if day is _LOAD:
            day = hosting.only_day(session)
        problems |= hosting.check_changeable(session, day, now)
    _check_texts(values, problems)
    session_type = read_session_type(values.session_type)
    if session_type is None:
        problems["session_type"] = _("Choose Public or Private.")
    if values.timezone and not schedule.is_timezone(values.timezone):
        problems["timezone"] = _("Choose a time zone from the list.")
    limit = session.participant_limit if session else None
    _check_people(values, session_type, limit or company.mentees_per_session_limit, problems)
    if details is not None and details.is_published:
        if session_type is not None and (session_type == SessionType.PUBLIC) != session.is_public:
            problems["session_type"] = _("The session type cannot be changed after publishing.")
        if values.mentor is not None and values.mentor.id != session.host_id:
            problems["mentor"] = _("The mentor cannot be changed after publishing.")
    start_at, end_at = as_utc(values.start_at), as_utc(values.end_at)
    unchanged_start = day is not None and start_at == day.start_at
    hosting.check_times(start_at, end_at, company, now, problems, not unchanged_start)
    _check_tags(values, problems)
    problems |= _meeting_for(values)[1]
    if "mentor" not in problems and "start" not in problems and "end" not in problems:
        clash = clash_finder(values.mentor.id, start_at, end_at, session.id if session else None)
        if clash is not None:
            problems["start"] = hosting.clash_message(clash)
    return problems


# Writing -----------------------------------------------------------------------------------


def _remember_tags(values):
    """New labels become options offered next time (a new option added in place)."""
    _remember_tags_of([values])


def _remember_tags_of(values_list):
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


def _invite(session, mentee, now):
    """Inside the transaction: the mentee's seat (atomic step of booking) and the mark
    that they were invited. Their invitation email carries the calendar entry."""
    live = booking.live_in(mentee, session)
    registration = live or booking.seat_inside(session, mentee, now, "mentoring_invitation")
    Invitation.insert(registration=registration.id, invited_at=now).on_conflict_ignore().execute()
    return registration


def _seats_full(refusal):
    return Problems({"mentees": refusal.message})


def create(values, company, now=None):
    """Publish a new mentoring session from `values`; Problems when anything is wrong."""
    now = now or utcnow()
    problems = check(values, company, now=now)
    if problems:
        raise Problems(problems)
    meeting = _meeting_for(values)[0]
    start_at, end_at = as_utc(values.start_at), as_utc(values.end_at)
    zone = values.timezone or company.timezone
    try:
        with write_transaction():
            hosting.lock_host_and_check(values.mentor.id, start_at, end_at)
            session = Session.create(
                kind=SessionKind.MENTORING,
                name={company.default_locale: values.title.strip()},
                description=values.description.strip(),
                timezone=zone,
                registration_end_at=start_at,
                participant_limit=company.mentees_per_session_limit,
                host=values.mentor.id,
                is_public=read_session_type(values.session_type) == SessionType.PUBLIC,
                created_at=now,
            )
            MentoringDetails.create(
                session=session,
                published_at=now,
                image_name=values.image_name or "",
                **{kind: clean_tags(getattr(values, kind)) for kind in TagKind.values()},
            )
            _write_day(session, start_at, end_at, meeting)
            Registration.create(
                session=session, user=values.mentor.id, role=RegistrationRole.HOST, created_at=now
            )
            for mentee in _unique_people(values.mentees):
                _invite(session, mentee, now)
            _remember_tags(values)
    except booking.BookingError as refusal:
        raise _seats_full(refusal) from refusal
    mail.request_delivery()
    return Session.get_by_id(session.id)


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
    mentees = [_unique_people(values.mentees) for values in values_list]
    session_ids = insert_rows(
        Session,
        [
            {
                "kind": SessionKind.MENTORING,
                "name": {company.default_locale: values.title.strip()},
                "description": values.description.strip(),
                "timezone": values.timezone or company.timezone,
                "registration_end_at": as_utc(values.start_at),
                "participant_limit": company.mentees_per_session_limit,
                "host": values.mentor.id,
                "is_public": read_session_type(values.session_type) == SessionType.PUBLIC,
                "seats_taken": len(people),
                "created_at": now,
            }
            for values, people in zip(values_list, mentees, strict=True)
        ],
        returning=Session.id,
    )
    insert_rows(
        MentoringDetails,
        [
            {"session": session_id, "published_at": now}
            | {kind: clean_tags(getattr(values, kind)) for kind in TagKind.values()}
            for session_id, values in zip(session_ids, values_list, strict=True)
        ],
    )
    days = []
    for session_id, values in zip(session_ids, values_list, strict=True):
        meeting = _meeting_for(values)[0]
        days.append(
            {
                "session": session_id,
                "start_at": as_utc(values.start_at),
                "end_at": as_utc(values.end_at),
                "format": DayFormat.ONLINE,
                "platform": meeting.platform,
                "url": meeting.url,
                "meeting_id": meeting.meeting_id,
                "passcode": meeting.passcode,
            }
        )
    insert_rows(Day, days)
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
            for session_id, values in zip(session_ids, values_list, strict=True)
        ],
    )
    seats = [
        (session_id, person)
        for session_id, people in zip(session_ids, mentees, strict=True)
        for person in people
    ]
    if seats:
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
        insert_rows(
            Invitation,
            [
                {"registration": registration_id, "invited_at": now}
                for registration_id in registration_ids
            ],
        )
        notifications.registrations_confirmed(
            (
                (Registration(id=registration_id, session=session_id, updated_at=now), person)
                for registration_id, (session_id, person) in zip(
                    registration_ids, seats, strict=True
                )
            ),
            kind="mentoring_invitation",  # invited mentees: the invitation, as in `_invite`
        )
    _remember_tags_of(values_list)
    return session_ids


def _write_day(session, start_at, end_at, meeting):
    return Day.create(
        session=session,
        start_at=start_at,
        end_at=end_at,
        format=DayFormat.ONLINE,
        platform=meeting.platform,
        url=meeting.url,
        meeting_id=meeting.meeting_id,
        passcode=meeting.passcode,
    )


def invited_registrations(session):
    """The live registrations of invited mentees (of a session, or of a list of ids)."""
    sessions = session if isinstance(session, list) else [session]
    return list(
        Registration.select()
        .join(Invitation)
        .where(Registration.session.in_(sessions), Registration.status.in_(Status.HOLDS_SEAT))
    )


def edit(session, values, company, now=None):
    """Change a published session. Type and mentor stay; a new time is clash-checked; who
    is invited follows `values.mentees` (new ones take seats, removed ones are told)."""
    now = now or utcnow()
    problems = check(values, company, session=session, now=now)
    if problems:
        raise Problems(problems)
    start_at, end_at = as_utc(values.start_at), as_utc(values.end_at)
    try:
        with write_transaction():
            hosting.lock_host_and_check(session.host_id, start_at, end_at, session.id)
            day = locked(Day, hosting.only_day(session).id)
            fresh = Session.get_by_id(session.id)
            problems = hosting.check_changeable(fresh, day, now)
            if problems:
                raise Problems(problems)
            _write_edits([(fresh, day, values)], company, now)
    except booking.BookingError as refusal:
        raise _seats_full(refusal) from refusal
    mail.request_delivery()
    return Session.get_by_id(session.id)


def edit_many(edits, company, now=None):
    """Change many published sessions at once (the bulk upload): what `edit` writes, through
    the same code, in three statements per session and a few per batch. `edits` is
    [(session, day, values)], read inside the caller's write transaction (the day being
    `hosting.only_day`, locked); the caller has checked every values with `check` there,
    with the mentors' rows locked and their clashes looked up against each other
    (`check(clash_finder=...)`). "Session seats full" is `Problems`; on any error the
    caller falls back on `edit`, one session at a time."""
    try:
        _write_edits(edits, company, now or utcnow())
    except booking.BookingError as refusal:
        raise _seats_full(refusal) from refusal


def _write_edits(edits, company, now):
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
        session.id: {person.id: person for person in _unique_people(values.mentees)}
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
        Session.update(
            name=names,
            description=values.description.strip(),
            timezone=values.timezone or session.timezone,
            registration_end_at=start_at,
        ).where(Session.id == session.id).execute()
        image = {} if values.image_name is None else {"image_name": values.image_name}
        MentoringDetails.update(
            **{kind: clean_tags(getattr(values, kind)) for kind in TagKind.values()}, **image
        ).where(MentoringDetails.session == session.id).execute()
        meeting = _meeting_for(values)[0]
        is_told = session.id in told
        if hosting.move_day_only(day, start_at, end_at, meeting, is_told) and is_told:
            moved.append(day.id)
    if moved:
        hosting.tell_days_changed(moved)
    _invite_all(
        [
            (session, mentee)
            for session, _day, _values in edits
            for mentee in wanted[session.id].values()
        ],
        now,
    )
    _remember_tags_of([values for _session, _day, values in edits])


def _invite_all(invitations, now):
    """`_invite` for many (session, mentee) pairs: who holds a seat already is read at once,
    the others take theirs (the atomic step of booking), the invitations in one statement."""
    if not invitations:
        return
    live = {}
    session_ids = list({session.id for session, _mentee in invitations})
    user_ids = list({mentee.id for _session, mentee in invitations})
    for registration in Registration.select().where(
        Registration.session.in_(session_ids),
        Registration.user.in_(user_ids),
        Registration.status.not_in([Status.CANCELLED, Status.INVITED]),
    ):
        live.setdefault((registration.session_id, registration.user_id), registration)
    registration_ids = []
    for session, mentee in invitations:
        registration = live.get((session.id, mentee.id))
        if session.event_id:  # one live registration per event: `live_in` looks there
            registration = booking.live_in(mentee, session)
        registration = registration or booking.seat_inside(
            session, mentee, now, "mentoring_invitation"
        )
        registration_ids.append(registration.id)
    Invitation.insert_many(
        [{"registration": rid, "invited_at": now} for rid in registration_ids]
    ).on_conflict_ignore().execute()


def set_meeting(session, platform, url="", meeting_id="", passcode="", link_later=False, now=None):
    """The "add meeting link" step alone (see `hosting.set_meeting`)."""
    return hosting.set_meeting(session, platform, url, meeting_id, passcode, link_later, now)


def cancel(session, now=None):
    return hosting.cancel(session, now)


def delete(session, now=None):
    hosting.delete(session, now)


def delete_many(sessions):
    """Delete many sessions at once (the bulk upload), inside the caller's write transaction,
    each checked there with `hosting.check_changeable` (what `delete` checks)."""
    hosting.delete_many(sessions)


def values_of(session):
    """The values a session has now (the edit form starts from them; the bulk upload's Edit
    may start from them too)."""
    details = MentoringDetails.get(MentoringDetails.session == session)
    day = hosting.only_day(session)
    meeting = meeting_of(day)
    return MentoringValues(
        title=pick_text(session.name),
        description=session.description,
        session_type=SessionType.PUBLIC if session.is_public else SessionType.PRIVATE,
        mentor=User.get_by_id(session.host_id),
        mentees=[
            User.get_by_id(registration.user_id) for registration in invited_registrations(session)
        ],
        start_at=day.start_at,
        end_at=day.end_at,
        timezone=session.timezone,
        recommended_for=list(details.recommended_for),
        categories=list(details.categories),
        medium=list(details.medium),
        platform=meeting.platform,
        meeting_url=meeting.url,
        meeting_id=meeting.meeting_id,
        passcode=meeting.passcode,
        link_later=meeting.link_pending,
    )


# What mentees do ---------------------------------------------------------------------------


def enroll(user, session, now=None):
    """Take a seat (public sessions; private ones for their invited mentees only)."""
    if session.kind != SessionKind.MENTORING:
        raise booking.BookingError(_("This event is not open for registration."))
    return booking.sign_up(user, session, now)


def leave(user, session, now=None):
    """Give the seat back, until the start."""
    mine = booking.live_in(user, session)
    if mine is None:
        raise booking.BookingError(_("You are not registered for this session."))
    return booking.withdraw(mine, now)


def image_of(session):
    """The name of a mentoring session's image, or None."""
    details = MentoringDetails.get_or_none(MentoringDetails.session == session)
    return details.image_name if details and details.image_name else None


def options(kind):
    """The labels offered for a tag list, in alphabetical order."""
    return [
        row.label
        for row in TagOption.select()
        .where(TagOption.kind == kind)
        .order_by(pw.fn.LOWER(TagOption.label))
    ]


__all__ = [
    "Meeting",
    "MeetingPlatform",
    "MentoringValues",
    "Problems",
    "SessionType",
    "TagKind",
    "cancel",
    "check",
    "create",
    "create_many",
    "delete",
    "edit",
    "edit_many",
    "delete_many",
    "enroll",
    "find_clash",
    "leave",
    "options",
    "read_session_type",
    "set_meeting",
    "values_of",
]
