"""The rules of one mentoring session, for the screens and for the bulk upload alike: every
problem of its values (`check`), publishing (`create`), changing (`edit`), the meeting link,
cancelling and deleting, what it has now (`values_of`), and what mentees do (`enroll`,
`leave`)."""

import peewee as pw
from flask_babel import gettext as _

from foundation import schedule
from foundation.i18n import pick_text
from meetings.platforms import meeting_of
from messaging import mail
from models import (
    Day,
    DayFormat,
    Invitation,
    MentoringDetails,
    Registration,
    RegistrationRole,
    Session,
    SessionKind,
    TagOption,
    User,
    locked,
    utcnow,
    write_transaction,
)
from sessions import booking, history, hosting
from sessions.hosting import Problems, as_utc, find_clash
from sessions.mentoring.batch import remember_tags, write_edits
from sessions.mentoring.values import (
    DESCRIPTION_MAX,
    TAG_MAX,
    TAGS_PER_LIST,
    TITLE_MAX,
    MentoringValues,
    SessionType,
    TagKind,
    clean_tags,
    invited_registrations,
    may_mentor,
    meeting_for,
    read_session_type,
    seats_full,
    unique_people,
)

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
        elif max(map(len, labels), default=0) > TAG_MAX:
            problems[kind] = _("An option has at most %(max)d characters.", max=TAG_MAX)


def _check_people(values, session_type, limit, problems):
    mentor = values.mentor
    if mentor is None:
        problems["mentor"] = _("Choose a mentor.")
    elif not may_mentor(mentor):
        problems["mentor"] = _(
            "%(name)s cannot be a mentor: mentors are active hosts.", name=mentor.name
        )
    mentees = unique_people(values.mentees)
    if mentor is not None and mentor.id in {person.id for person in mentees}:
        problems["mentees"] = _("The mentor cannot also be a mentee.")
    elif not all(person.is_active for person in mentees):
        problems["mentees"] = _(
            "%(name)s has no active account.",
            name=next(person.name for person in mentees if not person.is_active),
        )
    elif session_type == SessionType.PRIVATE and not mentees:
        problems["mentees"] = _("A private session needs at least one invited mentee.")
    elif len(mentees) > limit:
        problems["mentees"] = booking.seats_full_message()


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
    problems |= meeting_for(values)[1]
    if "mentor" not in problems and "start" not in problems and "end" not in problems:
        clash = clash_finder(values.mentor.id, start_at, end_at, session.id if session else None)
        if clash is not None:
            problems["start"] = hosting.clash_message(clash)
    return problems


# Writing -----------------------------------------------------------------------------------


def _invite(session, mentee, now):
    """Inside the transaction: the mentee's seat (atomic step of booking) and the mark
    that they were invited. Their invitation email carries the calendar entry."""
    live = booking.live_in(mentee, session)
    registration = live or booking.seat_inside(session, mentee, now, "mentoring_invitation")
    Invitation.insert(registration=registration.id, invited_at=now).on_conflict_ignore().execute()
    return registration


def create(values, company, now=None):
    """Publish a new mentoring session from `values`; Problems when anything is wrong."""
    now = now or utcnow()
    problems = check(values, company, now=now)
    if problems:
        raise Problems(problems)
    meeting = meeting_for(values)[0]
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
            history.record_session_saved(session, None)
            for mentee in unique_people(values.mentees):
                _invite(session, mentee, now)
            remember_tags([values])
    except booking.BookingError as refusal:
        raise seats_full(refusal) from refusal
    mail.request_delivery()
    return Session.get_by_id(session.id)


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
            write_edits([(fresh, day, values)], company, now)
    except booking.BookingError as refusal:
        raise seats_full(refusal) from refusal
    mail.request_delivery()
    return Session.get_by_id(session.id)


def set_meeting(session, platform, url="", meeting_id="", passcode="", link_later=False, now=None):
    """The "add meeting link" step alone (see `hosting.set_meeting`)."""
    return hosting.set_meeting(session, platform, url, meeting_id, passcode, link_later, now)


def cancel(session, now=None):
    return hosting.cancel(session, now)


def delete(session, now=None):
    hosting.delete(session, now)


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
