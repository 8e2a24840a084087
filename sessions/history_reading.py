"""Reading the history (`sessions.history` writes it): one subject's entries (an event, a
session, a person), filtered by change and actor, newest first, a page at a time; and
each entry put into words in the reader's language and time zone.

A page costs the same few statements whatever the number of entries: the count, the page
(with its people, sessions and events joined), and one look-up each of the sessions and
people its before/after values name.
"""

from dataclasses import dataclass
from datetime import datetime

import peewee as pw
from flask_babel import gettext as _

from foundation.i18n import format_when, pick_text
from models import DayFormat, Event, HistoryEntry, Session, Status, User, contains_text
from sessions.history import Actor, Change

ActorUser = User.alias("actor_user")
Person = User.alias("person")


def entries_of(*, event=None, session=None, person=None, change="", actor="", text=""):
    """The query of one subject's entries (with their people, session and event joined),
    narrowed by change, actor and a name in `text`; ordered by the listing."""
    outer = pw.JOIN.LEFT_OUTER  # an entry may name no person, session or event
    query = (
        HistoryEntry.select(HistoryEntry, ActorUser, Person, Session, Event)
        .join_from(HistoryEntry, ActorUser, outer, on=(HistoryEntry.actor_user == ActorUser.id))
        .join_from(HistoryEntry, Person, outer, on=(HistoryEntry.person == Person.id))
        .join_from(HistoryEntry, Session, outer, on=(HistoryEntry.session == Session.id))
        .join_from(HistoryEntry, Event, outer, on=(HistoryEntry.event == Event.id))
    )
    if event is not None:
        query = query.where(HistoryEntry.event == event)
    if session is not None:
        query = query.where(HistoryEntry.session == session)
    if person is not None:
        query = query.where(HistoryEntry.person == person)
    if change:
        query = query.where(HistoryEntry.change == change)
    if actor:
        query = query.where(HistoryEntry.actor == actor)
    if text:
        query = query.where(contains_text(Person.name, text) | contains_text(ActorUser.name, text))
    return query


@dataclass
class Line:
    """One entry in words, as a page or the CSV shows it."""

    id: int
    when: str
    actor: str
    change: str
    person: str
    session: str
    before: str
    after: str


def lines(entries, zone):
    """The entries in words, in the reader's language, times in `zone`: two look-ups for
    the sessions and people their values name, whatever their number."""
    names = _named_in_values(entries)
    return [
        Line(
            id=entry.id,
            when=format_when(entry.changed_at, zone),
            actor=actor_text(entry),
            change=Change.label(entry.change),
            person=entry.person.name if entry.person_id and entry.person.id else "",
            session=_session_text(entry),
            before=_values_text(entry.before, names, zone),
            after=_values_text(entry.after, names, zone),
        )
        for entry in entries
    ]


def actor_text(entry):
    """ "Ann Admin", or a machine actor ("Import"), with the person who started it if any."""
    person = entry.actor_user.name if entry.actor_user_id and entry.actor_user.id else ""
    if entry.actor == Actor.USER:
        return person or _("A deleted user")
    label = str(Actor.label(entry.actor))
    return _("%(actor)s (by %(name)s)", actor=label, name=person) if person else label


def _session_text(entry):
    if entry.session_id and entry.session.id:
        return pick_text(entry.session.name)
    if entry.event_id and entry.event.id:
        return pick_text(entry.event.title)
    return ""


def _named_in_values(entries):
    """{("session", id): name, ("host", id): name} for the ids the entries' values name."""
    session_ids, user_ids = set(), set()
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            if values.get("session"):
                session_ids.add(values["session"])
            if values.get("host"):
                user_ids.add(values["host"])
    names = {}
    if session_ids:
        for row in Session.select(Session.id, Session.name).where(Session.id.in_(session_ids)):
            names["session", row.id] = pick_text(row.name)
    if user_ids:
        for row in User.select(User.id, User.name).where(User.id.in_(user_ids)):
            names["host", row.id] = row.name
    return names


def _values_text(values, names, zone):
    """`{"status": "approved", "session": 12}` as "Status: Approved; Session: Evening"."""
    if not values:
        return ""
    parts = []
    for key, value in values.items():
        label, text = _value_text(key, value, names, zone)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


def _value_text(key, value, names, zone):
    if key == "status":
        return _("Status"), str(Status.label(value))
    if key == "session":
        return _("Session"), names.get(("session", value), _("a deleted session"))
    if key == "host":
        return _("Host"), names.get(("host", value), _("nobody")) if value else _("nobody")
    if key in ("start", "end", "registration_end"):
        label = {"start": _("Start"), "end": _("End"), "registration_end": _("Registration end")}
        return label[key], format_when(datetime.fromisoformat(value), zone) if value else "—"
    if key == "format":
        return _("Format"), str(DayFormat.label(value))
    if key == "place":
        return _("Place"), value or "—"
    if key == "limit":
        return _("Seats"), str(value) if value is not None else _("No limit")
    if key == "minimum":
        return _("Minimum"), str(value) if value is not None else "—"
    if key == "is_active":
        return "", _("Visible to members") if value else _("Hidden from members")
    if key == "name":
        return _("Name"), pick_text(value) if isinstance(value, dict) else str(value)
    if key == "cancelled":
        return "", _("Cancelled")
    return key, str(value)


def csv_rows(line_list):
    """The header and the rows of the CSV export (the same words as the page)."""
    yield [_("When"), _("Who"), _("What"), _("Person"), _("Session"), _("Before"), _("After")]
    for line in line_list:
        yield [
            line.when,
            line.actor,
            line.change,
            line.person,
            line.session,
            line.before,
            line.after,
        ]
