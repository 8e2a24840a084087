"""Calendars: an .ics file per day, and each member's private feed of their sessions' days
(a new link for it is asked for on the profile, views/profile.py)."""

from flask import Blueprint, abort, g
from peewee import JOIN

from accounts.access import VISITOR, allow, private_link
from foundation.downloads import download
from foundation.i18n import recipient_locale_of
from messaging.calendars import calendar
from models import Day, Event, Registration, RegistrationRole, Role, Session, Status, User
from sessions import booking
from views.lookups import get_or_404

URL_PREFIXES = ("/days", "/calendar")
bp = Blueprint("calendar_feeds", __name__)


def ics_response(text, filename):
    return download(text, filename, "text/calendar", {"Cache-Control": "private"})


@bp.route("/days/<int:day_id>.ics")
@allow(Role.MEMBER)
def day_ics(day_id):
    day = get_or_404(Day, day_id)
    session = day.session
    mine = booking.live_in(g.user, session)  # its event's, or a group/mentoring session's own
    is_host = session.event_id is None and session.host_id == g.user.id
    if not (g.user.is_admin or is_host or (mine and mine.session_id == session.id)):
        abort(404)  # a day of someone else's session does not exist for you
    return ics_response(
        calendar([(day, session)], recipient_locale_of(g.user)), f"day-{day.id}.ics"
    )


@bp.route("/calendar/<token>.ics")
@allow(VISITOR)
@private_link
def feed(token):
    """The private feed: whoever has the link sees the days; resetting the link revokes it."""
    user = User.get_or_none(User.calendar_token == token, User.is_active == True)  # noqa: E712
    if user is None or len(token) < 20:
        abort(404)
    days = (
        Day.with_zoom(Session, Event)  # the event too: entries are titled with it
        .join(Session)
        .join(Event, JOIN.LEFT_OUTER, on=(Session.event == Event.id))
        .join(Registration, on=(Registration.session == Session.id))
        .where(
            Registration.user == user,
            Registration.role == RegistrationRole.PARTICIPANT,
            Registration.status.in_(Status.HOLDS_SEAT),
        )
        .order_by(Day.start_at)
    )
    pairs = [(day, day.session) for day in days]
    return ics_response(calendar(pairs, recipient_locale_of(user)), "convene.ics")
