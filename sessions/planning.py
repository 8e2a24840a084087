"""What admins do to build an event: events, their sessions and the sessions' days.

Each operation reads the submitted form, checks every rule of docs/product-rules.md
("Events with alternative sessions"), and changes the database in one transaction, or
raises `forms.Invalid` and changes nothing.
"""

import peewee as pw
from flask_babel import gettext as _

from foundation import schedule
from foundation.forms import FormReader
from foundation.prepared import Prepared, slot
from meetings.meeting_links import is_web_url
from meetings.platforms import check_pasted_link
from meetings.zoom import meeting_sync
from messaging import mail, notifications
from models import (
    Day,
    DayFormat,
    Event,
    Registration,
    RegistrationRole,
    Session,
    User,
    ZoomRole,
    db,
    locked,
    utcnow,
    write_transaction,
)
from sessions import after_last_day, history, reminders

TITLE_MAX = 250
SESSION_NAME_MAX = 180
ADDRESS_MAX = 1000
URL_MAX = 2000


def registration_end_message():
    """The seed's exact wording, which users already know."""
    return _(
        'The value of "Registration end" should be less than the value of "Start of the first day"'
    )


# Events ------------------------------------------------------------------------------------


def save_event(event, form, company):
    """Create (event=None) or update an event from the form."""
    reader = FormReader(form)
    title = reader.per_locale("title", company.locales, company.default_locale, TITLE_MAX)
    description = reader.text("description", max_length=5000)
    starts_on = reader.date("starts_on")
    ends_on = reader.date("ends_on")
    if ends_on and not starts_on:
        reader.error("starts_on", _("Enter the start date too, or leave both empty."))
    if starts_on and ends_on and ends_on < starts_on:
        reader.error("ends_on", _("The end date cannot be before the start date."))
    reader.raise_if_invalid()
    event = event or Event()
    event.title = title
    event.description = description
    event.starts_on = starts_on
    event.ends_on = ends_on
    with write_transaction():
        event.save()
        if not event.has_date:
            # "Registration end" does not exist for an event without a date.
            Session.update(registration_end_at=None).where(Session.event == event).execute()
    return event


def set_event_active(event, is_active):
    """Show the event to members, or hide it; the change is kept in the history."""
    with write_transaction():
        was_active = Event.select(Event.is_active).where(Event.id == event.id).scalar()
        event.is_active = is_active
        event.save(only=[Event.is_active])
        if was_active != is_active:
            history.record_visibility(event, was_active, is_active)


# Sessions ----------------------------------------------------------------------------------


def effective_names(names, locales, default_locale):
    """The name shown in each locale, with the default locale's filling the gaps."""
    return {code: (names.get(code) or names.get(default_locale) or "") for code in locales}


def _check_unique_name(reader, event, session_id, names, company):
    mine = effective_names(names, company.locales, company.default_locale)
    siblings = Session.select(Session.id, Session.name).where(
        Session.event == event, Session.id != (session_id or 0)
    )
    for sibling in siblings:
        theirs = effective_names(sibling.name, company.locales, company.default_locale)
        for code in company.locales:
            if mine[code] and mine[code].casefold() == theirs[code].casefold():
                field = f"name_{code}" if code in names else f"name_{company.default_locale}"
                reader.error(field, _("A session with this name already exists in this event."))


def new_session_defaults(event, company, now=None):
    """The values a new session form proposes."""
    now = now or utcnow()
    registration_end = None
    if event is None or event.has_date:
        registration_end = schedule.proposed_registration_end(now, company.timezone)
    return Session(
        event=event,
        name={},
        timezone=company.timezone,
        registration_end_at=registration_end,
    )


def save_session(event, session, form, company, now=None):
    """Create (session=None) or update a session of `event` from the form."""
    now = now or utcnow()
    reader = FormReader(form)
    names = reader.per_locale("name", company.locales, company.default_locale, SESSION_NAME_MAX)
    zone = reader.text("timezone") or company.timezone
    if not schedule.is_timezone(zone):
        reader.error("timezone", _("Choose a time zone from the list."))
        zone = company.timezone
    registration_end = None
    if event.has_date and session is None and "registration_end" not in form:
        # "Add session" takes only the name; the deadline starts at its proposed value.
        registration_end = schedule.proposed_registration_end(now, company.timezone)
    elif event.has_date:
        local_end = reader.local_datetime("registration_end", zone=zone)
        registration_end = local_end and schedule.to_utc(local_end, zone)
    limit = None
    if reader.flag("has_limit"):
        limit = reader.integer("participant_limit", minimum=1, maximum=100000)
    reader.raise_if_invalid()

    with write_transaction():
        locked(Event, event.id)  # serialises name checks within the event
        _check_unique_name(reader, event, session and session.id, names, company)
        if session and registration_end:
            first = Day.select().where(Day.session == session).order_by(Day.start_at).first()
            if first and registration_end >= first.start_at:
                reader.error("registration_end", registration_end_message())
        reader.raise_if_invalid()
        limits_before = history.session_limits(session)
        session = session or Session(event=event)
        session.name = names
        session.timezone = zone
        session.registration_end_at = registration_end
        session.participant_limit = limit
        session.save()
        history.record_session_saved(session, limits_before)
    return session


def delete_session(session):
    """Everyone in it gets the cancellation of its days."""
    meetings = [
        meeting_sync.meeting_of(day) for day in Day.with_zoom().where(Day.session == session)
    ]
    with write_transaction():
        notifications.session_cancelled(session)
        history.record_deletions([session])
        session.delete_instance()
    mail.request_delivery()
    for meeting in meetings:
        meeting_sync.after_delete(*meeting)


# Days --------------------------------------------------------------------------------------


def day_formats(session, company):
    """Formats a day of `session` may take: Zoom only when Zoom is on and the event is dated."""
    formats = [DayFormat.OFFLINE, DayFormat.ONLINE]
    event = session.event
    if company.is_zoom_enabled and (event is None or event.has_date):
        formats.append(DayFormat.ZOOM)
    return formats


def new_day_defaults(session, company, now=None):
    days = list(session.days)
    start, end = schedule.proposed_day_slot(
        session.registration_end_at, days, now or utcnow(), session.timezone
    )
    return Day(session=session, start_at=start, end_at=end, format=DayFormat.OFFLINE)


def _read_place(reader, day_format):
    """The where of a day, by format: an address, a link, or the Zoom conference settings."""
    place = {"address": "", "url": "", "passcode": "", "zoom_role": None, "zoom_organizer": None}
    if day_format == DayFormat.OFFLINE:
        place["address"] = reader.text("address", required=True, max_length=ADDRESS_MAX)
    elif day_format == DayFormat.ONLINE:
        url = reader.text("url", required=True, max_length=URL_MAX)
        if url and not is_web_url(url):
            reader.error("url", _("Enter a link that starts with https:// or http://."))
        elif url:
            url, problem = check_pasted_link(url)  # Meet, WhatsApp and Zoom links checked
            if problem:
                reader.error("url", problem)
        place["url"] = url
        place["passcode"] = reader.text("passcode", max_length=64)
    elif day_format == DayFormat.ZOOM:
        place["zoom_role"] = reader.choice("zoom_role", ZoomRole.values())
        organizer_id = reader.integer("zoom_organizer", minimum=1)
        if organizer_id is not None:
            organizer = User.get_or_none(User.id == organizer_id, User.is_active == True)  # noqa: E712
            if organizer is None:
                reader.error("zoom_organizer", _("Choose one of the options."))
            place["zoom_organizer"] = organizer
    return place


# A day save is the admin's hottest write: its statements are built once.
def _locked_session():
    query = Session.select().where(Session.id == slot("session_id"))
    return query if isinstance(db.obj, pw.SqliteDatabase) else query.for_update()


LOCKED_SESSION = Prepared(_locked_session)
DAYS_OF_SESSION = Prepared(lambda: Day.select().where(Day.session == slot("session_id")))
PLACE_FIELDS = ("address", "url", "passcode", "zoom_role", "zoom_organizer")
DAY_UPDATE = Prepared(
    lambda: Day.update(
        {name: slot(name) for name in ("start_at", "end_at", "format", "sequence", *PLACE_FIELDS)}
    ).where(Day.id == slot("day_id"))
)  # the fields of `_read_place` and the day's times


class NeedsConfirmation(Exception):
    """A future day is being added to a session whose last day has passed: the admin must
    confirm, because finished registrations go back to "Approved"."""


def save_day(session, day, form, company, now=None):
    """Create (day=None) or update a day of `session` from the form.

    Adding a future day to a finished session needs `confirmed=1` in the form (the seed's
    dialog); then its "confirm participation", "participated" and "missed" registrations
    return to "approved" in the same transaction.
    """
    now = now or utcnow()
    reader = FormReader(form)
    local_start = reader.local_datetime("start", zone=session.timezone)
    local_end = reader.local_datetime("end", zone=session.timezone)
    day_format = reader.choice("format", day_formats(session, company))
    place = _read_place(reader, day_format)
    start = local_start and schedule.to_utc(local_start, session.timezone)
    end = local_end and schedule.to_utc(local_end, session.timezone)
    if start and end and end <= start:
        reader.error("end", _("The end must be later than the start."))
    reader.raise_if_invalid()

    with write_transaction():
        fields = {"start_at": start, "end_at": end, "format": day_format, **place}
        day, session, reopens = _write_day(session, day, reader, fields, form, now)
        day.session = session  # as read under the lock, with the days as they were
        meeting_sync.mark_pending(day)
        if day.zoom_organizer:
            _give_access(session, day.zoom_organizer)
        if reopens:
            after_last_day.reopen_after_new_day(session, now)
        reminders.recompute(session, _first_start(session, day))
        notifications.day_changed(day, session)
    mail.request_delivery()
    meeting_sync.after_save(day)  # the meeting follows the day, in a job
    return day


def _write_day(session, day, reader, fields, form, now):
    """Inside the save's transaction: check the day's `fields` against the session read
    under the lock, then write them. (the day, the locked session, whether finished
    registrations reopen)."""
    start, end = fields["start_at"], fields["end_at"]
    locked_session = LOCKED_SESSION.first(session_id=session.id)  # serialises overlap checks
    if locked_session.event_id:
        locked_session.event = session.event  # for the notice's snapshot, read with the day
    session = locked_session
    session.day_list = DAYS_OF_SESSION.rows(session_id=session.id)
    clash = schedule.first_overlap(start, end, session.day_list, ignore_id=day and day.id)
    if clash:
        reader.error("start", _("This day overlaps another day of the session."))
    if session.registration_end_at and start <= session.registration_end_at:
        reader.error("start", registration_end_message())
    reader.raise_if_invalid()
    # The session has ended when its last day, as read under the lock, has.
    last_end = max((other.end_at for other in session.day_list), default=None)
    reopens = end > now and last_end is not None and last_end <= now
    if reopens and form.get("confirmed") != "1":
        raise NeedsConfirmation()
    day_before = history.day_values(day)
    is_new = day is None
    if is_new:
        day = Day(session=session)
    else:
        # Calendars replace the entry with the same UID only for a higher SEQUENCE: count
        # from the row read under the lock, or two saves at once would both send N + 1.
        current = next((other for other in session.day_list if other.id == day.id), day)
        day.sequence = current.sequence + 1
    for field, value in fields.items():
        setattr(day, field, value)
    if is_new:
        day.save()
    else:
        written = {name: day.__data__.get(name) for name in fields}
        DAY_UPDATE.run(day_id=day.id, sequence=day.sequence, **written)
    history.record_days(session, day_before, history.day_values(day))
    return day, session, reopens


def moved_past_another(saved):
    """Whether the day `save_day` returned now sits elsewhere in its session's order (by
    start), judged from the days read under the save's lock, with no statement of its own."""
    before = saved.session.day_list
    after = [*(other for other in before if other.id != saved.id), saved]
    return _ids_by_start(before) != _ids_by_start(after)


def _ids_by_start(days):
    return [day.id for day in sorted(days, key=lambda day: (day.start_at, day.id or 0))]


def _first_start(session, saved):
    """The session's first day start once `saved` is written, from the days read under the
    lock (the reminders follow it)."""
    starts = [other.start_at for other in session.day_list if other.id != saved.id]
    return min([*starts, saved.start_at])


def _give_access(session, user):
    """Choosing a Zoom organizer gives them access to the event, as a host of the session."""
    Registration.insert(
        session=session, event=session.event_id, user=user, role=RegistrationRole.HOST
    ).on_conflict_ignore().execute()


def delete_day(day):
    meeting = meeting_sync.meeting_of(day)
    with write_transaction():
        notifications.day_cancelled(day)
        history.record_days(day.session, history.day_values(day), None)
        day.delete_instance()
        reminders.recompute(day.session)
    mail.request_delivery()
    meeting_sync.after_delete(*meeting)
