"""iCalendar entries for days: one VEVENT per day with a stable UID; every change raises
its SEQUENCE, so calendars update the entry instead of adding another."""

from datetime import UTC

from icalendar import Calendar, Event

from foundation.i18n import pick_text
from models import DayFormat, utcnow

PRODID = "-//Convene//Convene//EN"


def day_uid(day):
    return f"day-{day.id}@convene"


def _event_for(day, session, locale, cancelled):
    entry = Event()
    entry.add("uid", day_uid(day))
    entry.add("sequence", day.sequence)
    entry.add("dtstamp", utcnow().replace(tzinfo=UTC))
    entry.add("dtstart", day.start_at.replace(tzinfo=UTC))
    entry.add("dtend", day.end_at.replace(tzinfo=UTC))
    entry.add("summary", pick_text(session.name, locale))
    if day.format == DayFormat.OFFLINE:
        entry.add("location", day.address)
    elif day.format == DayFormat.ONLINE:
        entry.add("location", day.url)
        entry.add("url", day.url)
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return entry


def calendar(days_with_sessions, locale, method="PUBLISH", cancelled=False):
    """A VCALENDAR of (day, session) pairs; REQUEST for invitations, CANCEL for removals."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add("x-wr-calname", "Convene")
    for day, session in days_with_sessions:
        cal.add_component(_event_for(day, session, locale, cancelled))
    return cal.to_ical().decode()


def attachment(days_with_sessions, locale, method="REQUEST", cancelled=False):
    """The calendar as an email attachment (text/calendar with its METHOD)."""
    return {
        "filename": "invite.ics" if method != "CANCEL" else "cancel.ics",
        "content_type": f"text/calendar; method={method}; charset=utf-8",
        "data": calendar(days_with_sessions, locale, method, cancelled),
    }
