"""Attendance turned into statuses, whatever the meeting platform. The Zoom and BigBlueButton
adapters (meetings/zoom/attendance.py, meetings/bigbluebutton_records.py) store `Attendance`
rows; this module reads them for a set of ended days, matches them to registrations (by
Convene user id when the platform knows it, else by e-mail), and suggests "participated" or
"missed" against the company's threshold (a share of the days' length, 50 % by default).

Timed days count the minutes attended; a Zoom day on a Participant-role account only knows
who was there, so it counts the days a person was seen. `mark_from_attendance` is the one
place that turns suggestions into statuses, for an event's Zoom days and a hosted session's
BigBlueButton day alike.
"""

from meetings.platforms import meeting_of
from models import (
    Attendance,
    Day,
    DayFormat,
    Registration,
    RegistrationRole,
    Session,
    Status,
    User,
    ZoomMeeting,
    ZoomRole,
    ZoomSettings,
    utcnow,
)
from sessions import booking, history

# Statuses the one click may change; denied, cancelled and the waiting list stay as they are.
DECIDABLE = (Status.APPROVED, Status.CONFIRM_PARTICIPATION, Status.PARTICIPATED, Status.MISSED)


def threshold_percent():
    """The company's attendance threshold, set with the Zoom settings, for every platform."""
    return ZoomSettings.current().attendance_threshold


def is_timed(day):
    """Whether the day's report has time spent (not only presence)."""
    return day.format != DayFormat.ZOOM or day.zoom_role == ZoomRole.ADMINISTRATOR


# Which days -----------------------------------------------------------------------------------


def ended_zoom_days(event, now=None):
    """{session id: [days]} of the event's Zoom days that have a meeting and have ended."""
    days = (
        Day.with_zoom()
        .join(Session)
        .where(
            Session.event == event,
            Day.format == DayFormat.ZOOM,
            ZoomMeeting.meeting_id.is_null(False),
            Day.end_at <= (now or utcnow()),
        )
    )
    by_session = {}
    for day in days:
        by_session.setdefault(day.session_id, []).append(day)
    return by_session


def has_zoom_days(event):
    return (
        Day.select()
        .join(Session)
        .where(Session.event == event, Day.format == DayFormat.ZOOM)
        .exists()
    )


def reported_bigbluebutton_days(session, now=None):
    """{session id: [days]} of the session's ended BigBlueButton days whose attendance
    report has arrived (before it, nobody would be counted present)."""
    reported = Attendance.select(Attendance.day).distinct()
    days = [
        day
        for day in Day.select().where(
            Day.session == session, Day.end_at <= (now or utcnow()), Day.id.in_(reported)
        )
        if meeting_of(day).is_bigbluebutton
    ]
    return {session.id: days} if days else {}


# Suggestions ----------------------------------------------------------------------------------


def _seen(day_ids):
    """({user id: {day id: seconds}}, {person: {day id: seconds}}) of the days' rows."""
    by_user, by_person = {}, {}
    for row in Attendance.select().where(Attendance.day.in_(day_ids)):
        if row.user_id is not None:
            by_user.setdefault(row.user_id, {})[row.day_id] = row.seconds
        else:
            by_person.setdefault(row.person, {})[row.day_id] = row.seconds
    return by_user, by_person


def _suggestion(days, mine, threshold):
    timed = [day for day in days if mine.get(day.id) is not None]
    if timed or any(is_timed(day) for day in days):
        seconds = sum(mine.get(day.id) or 0 for day in days)
        total = sum(day.duration.total_seconds() for day in days) or 1
        share, minutes = min(seconds / total, 1.0), seconds // 60
    else:
        share, minutes = sum(1 for day in days if day.id in mine) / len(days), None
    return {
        "minutes": minutes,
        "present": bool(mine),
        "share": share,
        "suggested": Status.PARTICIPATED if share >= threshold else Status.MISSED,
    }


def suggestions(by_session):
    """{user id: {"minutes": int or None, "present", "share": 0..1, "suggested": status}}
    for the participants of the sessions in `by_session` ({session id: [ended days]});
    two queries whatever the number of people."""
    if not by_session:
        return {}
    by_user, by_person = _seen([day.id for days in by_session.values() for day in days])
    threshold = threshold_percent() / 100
    registrations = (
        Registration.select(Registration.user, Registration.session, User.email)
        .join(User)
        .where(
            Registration.session.in_(list(by_session)),
            Registration.role == RegistrationRole.PARTICIPANT,
        )
        .tuples()
    )
    result = {}
    for user_id, session_id, email in registrations:
        mine = by_user.get(user_id) or by_person.get(email.lower(), {})
        result[user_id] = _suggestion(by_session[session_id], mine, threshold)
    return result


def event_attendance(event, now=None):
    """The suggestions for an event's participants in sessions with ended Zoom days."""
    return suggestions(ended_zoom_days(event, now))


def session_attendance(session, now=None):
    """The suggestions for a hosted session's participants, once its BigBlueButton report
    has arrived ({} before)."""
    return suggestions(reported_bigbluebutton_days(session, now))


# The one click --------------------------------------------------------------------------------


def mark_from_attendance(suggested, scope, actor, now=None):
    """Each decidable participant registration within `scope` (a condition on
    Registration) takes the status its attendance suggests, one transaction per status
    (booking.set_statuses: all or nothing, the people told through one broadcast per
    session), recorded in the history as the platform's attendance (`actor`). A second
    click changes nothing. Returns how many changed."""
    registrations = Registration.select(
        Registration.id, Registration.user, Registration.status
    ).where(
        scope,
        Registration.role == RegistrationRole.PARTICIPANT,
        Registration.user.in_(list(suggested) or [0]),
        Registration.status.in_(DECIDABLE),
    )
    by_status = {}
    for registration in registrations:
        status = suggested[registration.user_id]["suggested"]
        if registration.status != status:
            by_status.setdefault(status, []).append(registration.id)
    with history.acting_as(actor):
        return sum(booking.set_statuses(ids, status, now) for status, ids in by_status.items())


def apply_event_attendance(event, now=None):
    """An admin's click for an event's Zoom days."""
    return mark_from_attendance(
        event_attendance(event, now),
        Registration.event == event,
        history.Actor.ZOOM_ATTENDANCE,
        now,
    )


def apply_session_attendance(session, now=None):
    """A host's click for a session's BigBlueButton day."""
    return mark_from_attendance(
        session_attendance(session, now),
        Registration.session == session,
        history.Actor.BIGBLUEBUTTON_ATTENDANCE,
        now,
    )
