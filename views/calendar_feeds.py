"""Calendars: an .ics file per day, and each member's private feed of everything they are
in: the days of their event, group and mentoring sessions (hosted ones too) and the
assessment deadlines they owe (a new link for it is asked for on the profile,
views/profile.py)."""

from hashlib import sha256

from flask import Blueprint, abort, current_app, g, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from accounts.access import VISITOR, allow, private_link
from assessments import deadlines
from foundation.downloads import download
from foundation.i18n import recipient_locale_of
from messaging.calendars import Deadline, calendar
from models import Day, Role, Status, User
from sessions import booking, personal_schedule
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
    locale = recipient_locale_of(user)
    in_session = (*Status.HOLDS_SEAT, personal_schedule.HOST)
    pairs = [
        (item.day, item.session)
        for item in personal_schedule.items_of(user)
        if item.status in in_session
    ]
    with force_locale(locale):
        owed = [deadline_of(item) for item in deadlines.owed_by(user)]
    return ics_response(calendar(pairs, locale, deadlines=owed), "convene.ics")


DEADLINE_SUMMARIES = {
    deadlines.SELF_SURVEY: lambda title: _("Self-survey due: %(title)s", title=title),
    deadlines.RATER_SURVEY: lambda title: _("Rater survey due: %(title)s", title=title),
}


def deadline_of(item):
    """A deadline of the schedule as a calendar entry, in the reader's language."""
    path = url_for(item.endpoint, **item.args)
    # Named by its address, hashed: a rater's address holds their private link.
    key = f"{item.kind.replace('_', '-')}-{sha256(path.encode()).hexdigest()[:20]}"
    link = current_app.config["PUBLIC_URL"] + path
    return Deadline(key, DEADLINE_SUMMARIES[item.kind](item.title()), item.end_at, link)
