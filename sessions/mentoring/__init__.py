"""Mentoring sessions (docs/product-rules.md, "Mentoring sessions"): the rules, one place
each, for the screens and for the bulk upload alike. Plain values in, a session or a list
of problems out.

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

Layout: `values` (the values and what they name), `rules` (one session: check, create,
edit, cancel, delete, enroll, leave), `batch` (the same writes for many sessions at once).
Callers import the API from here.
"""

from meetings.platforms import Meeting, MeetingPlatform
from sessions.hosting import Problems, as_utc, find_clash
from sessions.mentoring.batch import create_many, delete_many, edit_many
from sessions.mentoring.rules import (
    cancel,
    check,
    create,
    delete,
    edit,
    enroll,
    image_of,
    leave,
    options,
    set_meeting,
    values_of,
)
from sessions.mentoring.values import (
    DESCRIPTION_MAX,
    TAG_MAX,
    TAGS_PER_LIST,
    TITLE_MAX,
    MentoringValues,
    SessionType,
    TagKind,
    checked_meeting,
    clean_tags,
    invited_registrations,
    may_create,
    may_manage,
    may_mentor,
    people_by_email,
    read_session_type,
)

__all__ = [
    "DESCRIPTION_MAX",
    "TAG_MAX",
    "TAGS_PER_LIST",
    "TITLE_MAX",
    "Meeting",
    "MeetingPlatform",
    "MentoringValues",
    "Problems",
    "SessionType",
    "TagKind",
    "as_utc",
    "cancel",
    "check",
    "checked_meeting",
    "clean_tags",
    "create",
    "create_many",
    "delete",
    "delete_many",
    "edit",
    "edit_many",
    "enroll",
    "find_clash",
    "image_of",
    "invited_registrations",
    "leave",
    "may_create",
    "may_manage",
    "may_mentor",
    "options",
    "people_by_email",
    "read_session_type",
    "set_meeting",
    "values_of",
]
