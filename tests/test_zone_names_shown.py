"""Every zone a person reads is named as they know it ("Moscow (UTC+3)", "Москва (UTC+3)"),
never as a raw id ("Europe/Moscow"): in the templates (pages and emails), in the emails of a
registration's life, in calendar entries and in the CSV export, in English and Russian."""

import re
from datetime import datetime
from pathlib import Path

import pytest
from icalendar import Calendar
from werkzeug.datastructures import MultiDict

from foundation.zones import zone_label
from models import Company, Registration, Role, Status, db
from sessions import booking, planning

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
NOW = datetime(2030, 2, 1, 12, 0)
RAW_ID = re.compile(r"\b(Europe|Asia|America|Africa|Australia|Pacific|Atlantic|Indian)/[A-Z]")
# Ways a template names a zone for people; anything else printing a zone prints its id.
NAMING = ("zone_name(", "format_span(", "format_when(", "format_day(", "days_html(", "days_text(")
# Where a zone is handed on, not printed (a field's value; the picker; a formatter).
MACHINE = ("input_value(", "timezone_picker(", "combobox_option(", "local_span(")


def _unnamed_code(expression):
    """What of an expression is printed as it is: text in quotes, keyword names and the
    calls that name a zone (or hand it on) taken out; other calls keep their arguments."""
    code = re.sub(r"\"[^\"]*\"|'[^']*'", "", expression)
    code = re.sub(r"\b\w+\s*=(?!=)", "", code)
    call = re.compile(r"(?:\b(\w+))?\(([^()]*)\)")
    while call.search(code):
        code = call.sub(lambda m: "" if f"{m[1]}(" in NAMING + MACHINE else f"[{m[2]}]", code)
    return code


def raw_zone_prints(source):
    """The `{{ … }}` expressions of a template that print a zone without naming it."""
    found = []
    for match in re.finditer(r"{{(.*?)}}", source, re.DOTALL):
        line_before = source[: match.start()].rsplit("\n", 1)[-1]
        if re.search(r'[\w-]+="[^"]*$', line_before):  # an attribute's value
            continue
        if re.search(r"\b\w*(zone|timezone)\b", _unnamed_code(match[1])):
            found.append(" ".join(match[1].split()))
    return found


def test_zone_walk_finds_a_raw_zone_printed():
    """The walk below can fail: these print an id."""
    assert raw_zone_prints('<p>{{ _("Start") ~ " (" ~ session.timezone ~ ")" }}</p>')
    assert raw_zone_prints("Times are in {{ zone }}.")
    day_form = """{{ input("start", _("Start") ~ " (" ~ session.timezone ~ ")", form.get("start",
        input_value(day.start_at, session.timezone)), errors, type="datetime-local") }}"""
    assert raw_zone_prints(day_form)
    assert not raw_zone_prints('{{ _("In %(zone)s.", zone=zone_name(zone)) }}')
    assert not raw_zone_prints('<input name="start" value="{{ input_value(day.start_at, zone) }}">')
    assert not raw_zone_prints('{{ _("Time zone") }}: {{ zone_name(session.timezone) }}')


def test_zone_no_template_prints_a_raw_zone():
    found = {
        f"{path.relative_to(TEMPLATES)}: {expression}"
        for path in TEMPLATES.rglob("*.*")
        for expression in raw_zone_prints(path.read_text())
    }
    assert not found, "\n".join(sorted(found))


def readable_parts(message):
    """The text, the HTML and the calendar entries' descriptions of an email."""
    parts = [message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()]
    for attachment in message.iter_attachments():
        if attachment.get_content_type() == "text/calendar":
            content = attachment.get_content()
            calendar = Calendar.from_ical(content if isinstance(content, str) else content.decode())
            parts += [str(entry.get("DESCRIPTION", "")) for entry in calendar.walk("VEVENT")]
    return parts


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_zone_emails_of_a_registrations_life_name_the_zone(
    ctx, smtp, make_event, make_session, make_day, make_user, locale
):
    event = make_event("Leadership Training", is_active=True)
    daytime = make_session(event, name="Daytime", participant_limit=1)
    evening = make_session(event, name="Evening")
    day = make_day(daytime, start="2030-03-01T10:00")
    make_day(evening, start="2030-03-02T18:00")
    member = make_user(locale=locale, timezone="Europe/Moscow")
    waiting = make_user(locale=locale, timezone="Europe/Moscow")
    booking.sign_up(member, daytime, NOW)
    booking.join_waiting_list(waiting, daytime, NOW)
    moved = booking.switch(Registration.get(Registration.user == member), evening, NOW)
    booking.set_status(moved, Status.DENIED)
    form = {"start": "2030-03-01T11:00", "end": "2030-03-01T13:00", "format": "offline"}
    planning.save_day(daytime, day, MultiDict(form | {"address": "Hall B"}), Company.current(), NOW)
    planning.delete_day(day)
    assert len(smtp.messages) >= 6
    label = zone_label("Europe/Moscow", NOW, locale)
    for message in smtp.messages:
        parts = readable_parts(message)
        assert label in parts[0] and label in parts[1], message["Subject"]
        assert not [part for part in parts if RAW_ID.search(part)], message["Subject"]
    assert not RAW_ID.search(" ".join(message["Subject"] for message in smtp.messages))


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_zone_exports_and_feeds_show_no_raw_zone(
    app, sign_in, make_event, make_session, make_day, make_user, locale
):
    admin = sign_in(Role.ADMIN, locale=locale, timezone="Europe/Moscow")
    event = make_event("Leadership Training", is_active=True)
    session = make_session(event, timezone="Asia/Calcutta")
    make_day(session)
    with app.app_context(), db.connection_context():
        booking.sign_up(admin.user, session, NOW)
    export = admin.get(f"/admin/events/{event.id}/registrations.csv")
    assert export.status_code == 200 and admin.user.email in export.text
    assert not RAW_ID.search(export.text)
    admin.post("/profile/calendar")  # a private feed link
    with app.app_context(), db.connection_context():
        token = type(admin.user).get_by_id(admin.user.id).calendar_token
    feed = admin.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200 and "BEGIN:VEVENT" in feed.text
    descriptions = re.findall(r"^DESCRIPTION:.*$", feed.text, re.MULTILINE)
    assert descriptions and not [text for text in descriptions if RAW_ID.search(text)]
    page = admin.get(f"/admin/events/{event.id}")
    assert zone_label("Asia/Kolkata", None, locale) in page.text
    assert not RAW_ID.search(re.sub(r'(value|data-[\w-]+)="[^"]*"', "", page.text))
