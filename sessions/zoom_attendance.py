"""Zoom attendance turned into statuses: per registration, the minutes attended in the
session's Zoom days that have ended (Administrator role), or the days they were seen in
(Participant role: presence only), and the "participated"/"missed" it suggests against the
company's threshold (a share of the days' length, 50 % by default)."""

from models import (
    Day,
    DayFormat,
    Registration,
    RegistrationRole,
    Session,
    Status,
    User,
    ZoomAttendance,
    ZoomMeeting,
    ZoomSettings,
    utcnow,
)
from sessions import booking, history

# Statuses the one click may change; denied, cancelled and the waiting list stay as they are.
DECIDABLE = (Status.APPROVED, Status.CONFIRM_PARTICIPATION, Status.PARTICIPATED, Status.MISSED)


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


def attendance(event, now=None):
    """{user id: {"minutes": int or None, "share": 0..1, "suggested": status}} for the event's
    participants in sessions with ended Zoom days; two queries whatever the number of people."""
    by_session = ended_zoom_days(event, now)
    if not by_session:
        return {}
    day_ids = [day.id for days in by_session.values() for day in days]
    seen = {}
    for row in ZoomAttendance.select().where(ZoomAttendance.day.in_(day_ids)):
        seen.setdefault(row.person, {})[row.day_id] = row.seconds
    threshold = ZoomSettings.current().attendance_threshold / 100
    result = {}
    registrations = (
        Registration.select(Registration.user, Registration.session, User.email)
        .join(User)
        .where(
            Registration.session.in_(list(by_session)),
            Registration.role == RegistrationRole.PARTICIPANT,
        )
        .tuples()
    )
    for user_id, session_id, email in registrations:
        days = by_session[session_id]
        mine = seen.get(email.lower(), {})
        timed = [day for day in days if mine.get(day.id) is not None]
        if timed or any(day.zoom_role == "administrator" for day in days):
            seconds = sum(mine.get(day.id) or 0 for day in days)
            total = sum(day.duration.total_seconds() for day in days) or 1
            share, minutes = min(seconds / total, 1.0), seconds // 60
        else:
            share, minutes = sum(1 for day in days if day.id in mine) / len(days), None
        result[user_id] = {
            "minutes": minutes,
            "present": bool(mine),
            "share": share,
            "suggested": Status.PARTICIPATED if share >= threshold else Status.MISSED,
        }
    return result


def apply_attendance(event, now=None):
    """The admin's one click: each decidable registration takes the status its attendance
    suggests, one transaction per status (booking.set_statuses: all or nothing, the people
    told through one broadcast per session). Returns how many changed."""
    suggestions = attendance(event, now)
    registrations = Registration.select(
        Registration.id, Registration.user, Registration.status
    ).where(
        Registration.event == event,
        Registration.role == RegistrationRole.PARTICIPANT,
        Registration.user.in_(list(suggestions) or [0]),
        Registration.status.in_(DECIDABLE),
    )
    by_status = {}
    for registration in registrations:
        suggested = suggestions[registration.user_id]["suggested"]
        if registration.status != suggested:
            by_status.setdefault(suggested, []).append(registration.id)
    with history.acting_as(history.Actor.ZOOM_ATTENDANCE):
        return sum(booking.set_statuses(ids, status, now) for status, ids in by_status.items())
