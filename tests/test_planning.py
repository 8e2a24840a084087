"""The rules of docs/product-rules.md ("Events with alternative sessions") for events,
sessions and days, on SQLite and PostgreSQL."""

from datetime import datetime

import pytest
from werkzeug.datastructures import MultiDict

from foundation import schedule
from foundation.forms import Invalid
from models import Company, Day, DayFormat, Event, Registration, RegistrationRole, Session
from sessions import planning

pytestmark = [pytest.mark.every_database, pytest.mark.usefixtures("ctx")]

MESSAGE = (
    'The value of "Registration end" should be less than the value of "Start of the first day"'
)


def company():
    return Company.current()


def form(**fields):
    return MultiDict(fields)


def errors_of(call, *args):
    with pytest.raises(Invalid) as caught:
        call(*args)
    return caught.value.errors


# Events ------------------------------------------------------------------------------------


def test_event_title_is_entered_per_locale_and_may_have_no_date(backend):
    event = planning.save_event(None, form(title_en="Onboarding", title_ru="Адаптация"), company())
    event = Event.get_by_id(event.id)
    assert event.title == {"en": "Onboarding", "ru": "Адаптация"}
    assert not event.has_date and not event.is_active


def test_event_needs_a_title_in_the_default_locale_and_ordered_dates(backend):
    errors = errors_of(
        planning.save_event,
        None,
        form(title_ru="Только русский", starts_on="2030-03-05", ends_on="2030-03-01"),
        company(),
    )
    assert set(errors) == {"title_en", "ends_on"}
    assert Event.select().count() == 0


def test_removing_the_event_dates_removes_registration_ends(backend, make_event, make_session):
    event = make_event()
    session = make_session(event)
    planning.save_event(event, form(title_en="Undated"), company())
    assert Session.get_by_id(session.id).registration_end_at is None


# Sessions ----------------------------------------------------------------------------------


def session_form(**fields):
    base = {
        "name_en": "Daytime",
        "timezone": "Europe/Moscow",
        "registration_end": "2030-02-27T11:59",
    }
    return form(**{**base, **fields})


def test_session_defaults_come_from_the_company(backend, make_event):
    event = make_event()
    now = schedule.to_utc(datetime(2024, 1, 1, 8, 59), "Europe/Moscow")
    proposal = planning.new_session_defaults(event, company(), now)
    assert proposal.timezone == "Europe/Moscow"
    assert schedule.to_local_naive(proposal.registration_end_at, "Europe/Moscow") == datetime(
        2024, 1, 2, 11, 59
    )


def test_undated_event_sessions_have_no_registration_end(backend, make_event):
    event = make_event(dated=False)
    assert planning.new_session_defaults(event, company()).registration_end_at is None
    session = planning.save_session(event, None, form(name_en="Daytime"), company())
    assert session.registration_end_at is None


def test_session_name_is_required_and_at_most_180_characters(backend, make_event):
    event = make_event()
    assert "name_en" in errors_of(
        planning.save_session, event, None, session_form(name_en=" "), company()
    )
    errors = errors_of(
        planning.save_session, event, None, session_form(name_en="x" * 181), company()
    )
    assert "180" in errors["name_en"]
    assert planning.save_session(event, None, session_form(name_en="x" * 180), company()).id
    assert Session.select().count() == 1


def test_session_name_falls_back_to_the_default_locale(backend, make_event):
    session = planning.save_session(make_event(), None, session_form(name_en="Evening"), company())
    assert session.name == {"en": "Evening"}
    assert planning.effective_names(session.name, ["en", "ru"], "en") == {
        "en": "Evening",
        "ru": "Evening",
    }


def test_session_names_are_unique_in_the_event_per_locale_ignoring_case(backend, make_event):
    event, other_event = make_event(), make_event("Other")
    planning.save_session(
        event, None, session_form(name_en="Daytime", name_ru="Дневная"), company()
    )
    errors = errors_of(
        planning.save_session,
        event,
        None,
        session_form(name_en="DAYTIME", name_ru="Утро"),
        company(),
    )
    assert errors == {"name_en": "A session with this name already exists in this event."}
    errors = errors_of(
        planning.save_session,
        event,
        None,
        session_form(name_en="Morning", name_ru="дневная"),
        company(),
    )
    assert set(errors) == {"name_ru"}
    # Another event may reuse the name.
    assert planning.save_session(other_event, None, session_form(name_en="Daytime"), company()).id
    assert Session.select().where(Session.event == event).count() == 1


def test_renaming_a_session_to_its_own_name_is_fine(backend, make_event):
    event = make_event()
    session = planning.save_session(event, None, session_form(), company())
    assert planning.save_session(
        event, session, session_form(name_en="daytime"), company()
    ).name == {"en": "daytime"}


def test_registration_end_must_be_before_the_first_day(backend, make_event, make_session, make_day):
    event = make_event()
    session = make_session(event)
    make_day(session, start="2030-03-01T10:00")
    errors = errors_of(
        planning.save_session,
        event,
        session,
        session_form(registration_end="2030-03-01T10:00"),
        company(),
    )
    assert errors == {"registration_end": MESSAGE}
    stored = Session.get_by_id(session.id)
    assert schedule.to_local_naive(stored.registration_end_at, "Europe/Moscow") == datetime(
        2030, 2, 27, 11, 59
    )


def test_participant_limit_is_a_toggle_and_a_number(backend, make_event):
    event = make_event()
    session = planning.save_session(
        event, None, session_form(has_limit="on", participant_limit="25"), company()
    )
    assert session.participant_limit == 25
    errors = errors_of(
        planning.save_session,
        event,
        session,
        session_form(has_limit="on", participant_limit="0"),
        company(),
    )
    assert "participant_limit" in errors
    errors = errors_of(
        planning.save_session,
        event,
        session,
        session_form(has_limit="on", participant_limit="ten"),
        company(),
    )
    assert errors["participant_limit"] == "Enter a whole number."
    planning.save_session(event, session, session_form(participant_limit="25"), company())
    assert Session.get_by_id(session.id).participant_limit is None


def test_session_time_zone_must_be_a_real_zone(backend, make_event):
    errors = errors_of(
        planning.save_session, make_event(), None, session_form(timezone="Moscow"), company()
    )
    assert errors["timezone"] == "Choose a time zone from the list."


# Days --------------------------------------------------------------------------------------


def day_form(**fields):
    base = {
        "start": "2030-03-01T10:00",
        "end": "2030-03-01T12:00",
        "format": "offline",
        "address": "Hall A",
    }
    return form(**{**base, **fields})


def test_day_times_are_entered_in_the_session_zone_and_stored_in_utc(
    backend, make_event, make_session
):
    session = make_session(make_event())
    day = planning.save_day(session, None, day_form(), company())
    stored = Day.get_by_id(day.id)
    assert stored.start_at == datetime(2030, 3, 1, 7, 0)  # Moscow is UTC+3
    assert stored.duration.total_seconds() == 2 * 3600


def test_days_of_a_session_never_overlap(backend, make_event, make_session, make_day):
    session = make_session(make_event())
    make_day(session, start="2030-03-01T10:00", hours=2)
    for start, end in [
        ("2030-03-01T11:00", "2030-03-01T13:00"),
        ("2030-03-01T09:00", "2030-03-01T13:00"),
    ]:
        errors = errors_of(
            planning.save_day, session, None, day_form(start=start, end=end), company()
        )
        assert errors == {"start": "This day overlaps another day of the session."}
    # Touching is not overlapping; another session may use the same dates.
    assert planning.save_day(
        session, None, day_form(start="2030-03-01T12:00", end="2030-03-01T13:00"), company()
    )
    other = make_session(session.event, name="Evening")
    assert planning.save_day(other, None, day_form(), company())
    assert Day.select().where(Day.session == session).count() == 2


def test_a_day_may_not_start_before_the_registration_end(backend, make_event, make_session):
    session = make_session(make_event(), registration_end="2030-03-01T11:59")
    errors = errors_of(planning.save_day, session, None, day_form(), company())
    assert errors == {"start": MESSAGE}
    assert Day.select().count() == 0


def test_a_day_ends_after_it_starts(backend, make_event, make_session):
    session = make_session(make_event())
    errors = errors_of(
        planning.save_day, session, None, day_form(end="2030-03-01T10:00"), company()
    )
    assert errors == {"end": "The end must be later than the start."}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"format": "offline", "address": ""}, "address"),
        ({"format": "online", "url": ""}, "url"),
        ({"format": "online", "url": "javascript:alert(1)"}, "url"),
        ({"format": "zoom", "zoom_role": "owner"}, "zoom_role"),
        ({"format": "hologram"}, "format"),
        ({"start": "tomorrow"}, "start"),
    ],
)
def test_bad_day_input_names_the_field_and_saves_nothing(
    backend, make_event, make_session, fields, field
):
    session = make_session(make_event())
    assert field in errors_of(planning.save_day, session, None, day_form(**fields), company())
    assert Day.select().count() == 0


def test_online_day_keeps_its_link(backend, make_event, make_session, make_day):
    session = make_session(make_event())
    day = make_day(session)
    planning.save_day(
        session,
        day,
        day_form(format="online", url="https://meet.google.com/abc-defg-hij"),
        company(),
    )
    stored = Day.get_by_id(day.id)
    assert (stored.format, stored.url, stored.address) == (
        "online",
        "https://meet.google.com/abc-defg-hij",
        "",
    )


def test_address_of_an_active_event_is_edited_without_hiding_it(
    backend, make_event, make_session, make_day
):
    event = make_event(is_active=True)
    session = make_session(event)
    day = make_day(session)
    planning.save_day(
        session, day, day_form(address="Hall B, https://maps.example.com/b"), company()
    )
    assert Day.get_by_id(day.id).address == "Hall B, https://maps.example.com/b"
    assert Event.get_by_id(event.id).is_active


def test_zoom_is_offered_only_when_enabled_and_the_event_is_dated(
    backend, make_event, make_session
):
    settings = company()
    dated, undated = (
        make_session(make_event()),
        make_session(make_event(dated=False), registration_end=None),
    )
    assert DayFormat.ZOOM in planning.day_formats(dated, settings)
    assert DayFormat.ZOOM not in planning.day_formats(undated, settings)
    settings.is_zoom_enabled = False
    assert DayFormat.ZOOM not in planning.day_formats(dated, settings)
    errors = errors_of(
        planning.save_day, dated, None, day_form(format="zoom", zoom_role="participant"), settings
    )
    assert errors == {"format": "Choose one of the options."}


def test_zoom_organizer_gets_access_to_the_event(backend, make_event, make_session, make_user):
    session = make_session(make_event())
    organizer = make_user()
    fields = day_form(format="zoom", zoom_role="administrator", zoom_organizer=str(organizer.id))
    day = planning.save_day(session, None, fields, company())
    assert Day.get_by_id(day.id).zoom_organizer_id == organizer.id
    access = Registration.get(Registration.session == session, Registration.user == organizer)
    assert access.role == RegistrationRole.HOST
    planning.save_day(session, day, fields, company())  # saving again grants nothing twice
    assert Registration.select().count() == 1
