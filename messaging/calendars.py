"""iCalendar entries for days: one VEVENT per day with a stable UID; every change raises
its SEQUENCE, so calendars update the entry instead of adding another. A deadline (a
survey due) is an entry of its own: a point in time, starting and ending when it closes."""

from datetime import UTC
from email.utils import parseaddr
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from foundation.i18n import session_path, session_title
from meetings.zoom import meeting_sync
from models import DayFormat, utcnow

PRODID = "-//Convene//Convene//EN"


def day_uid(day):
    """Unique across installations: the day's id at this installation's host."""
    return f"day-{day.id}@{urlsplit(current_app.config['PUBLIC_URL']).hostname or 'convene'}"


def _organizer():
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["cn"] = vText(name)
    return organizer


def _event_for(day, session, locale, cancelled):
    entry = Event()
    entry.add("uid", day_uid(day))
    entry.add("sequence", day.sequence)
    entry.add("dtstamp", utcnow().replace(tzinfo=UTC))
    entry.add("dtstart", day.start_at.replace(tzinfo=UTC))
    entry.add("dtend", day.end_at.replace(tzinfo=UTC))
    entry.add("summary", session_title(session, locale))
    entry.add("description", current_app.config["PUBLIC_URL"] + session_path(session))
    entry.add("organizer", _organizer())
    if day.format == DayFormat.OFFLINE:
        entry.add("location", day.address)
    elif day.format == DayFormat.ONLINE:
        # BigBlueButton rooms, and links still to come, open through the app's Join.
        link = day.url
        if not link and day.platform:  # a group or mentoring session's day
            link = f"{current_app.config['PUBLIC_URL']}/s/{day.session_id}/meeting"
        entry.add("location", link)
        entry.add("url", link)
    elif day.format == DayFormat.ZOOM:
        entry.add("location", meeting_sync.join_link(day))
        entry.add("url", meeting_sync.join_link(day))
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return entry


class Deadline(NamedTuple):
    """A moment someone has to meet: `key` names it uniquely here ("self-survey-7"), the
    summary and link are already in the reader's language."""

    key: str
    summary: str
    due_at: object  # naive UTC datetime
    link: str


def _deadline_entry(deadline):
    entry = Event()
    host = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "convene"
    entry.add("uid", f"{deadline.key}@{host}")
    entry.add("dtstamp", utcnow().replace(tzinfo=UTC))
    entry.add("dtstart", deadline.due_at.replace(tzinfo=UTC))
    entry.add("dtend", deadline.due_at.replace(tzinfo=UTC))
    entry.add("summary", deadline.summary)
    entry.add("description", deadline.link)
    entry.add("url", deadline.link)
    entry.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    entry.add("status", "CONFIRMED")
    return entry


def calendar(days_with_sessions, locale, method="PUBLISH", cancelled=False, deadlines=()):
    """A VCALENDAR of (day, session) pairs and `Deadline`s; REQUEST for invitations, CANCEL
    for removals."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add("x-wr-calname", "Convene")
    for day, session in days_with_sessions:
        cal.add_component(_event_for(day, session, locale, cancelled))
    for deadline in deadlines:
        cal.add_component(_deadline_entry(deadline))
    return cal.to_ical().decode()


def attachment(days_with_sessions, locale, method="REQUEST", cancelled=False):
    """The calendar as an email attachment (text/calendar with its METHOD)."""
    return {
        "filename": "invite.ics" if method != "CANCEL" else "cancel.ics",
        "content_type": f"text/calendar; method={method}; charset=utf-8",
        "data": calendar(days_with_sessions, locale, method, cancelled),
    }
