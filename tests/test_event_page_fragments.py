"""The event pages drawn once per version of their rows (views/event_choices.py,
views/admin_event_page.py, the days on a member's own card in views/event_signup.py), on
SQLite and on PostgreSQL: what they show, in which order, and that every change made behind
the app's back (as another worker would) shows on the very next view, with no per-member
part leaking to another member."""

import re
from datetime import timedelta

import pytest

from models import (
    Day,
    DayFormat,
    Event,
    Role,
    Session,
    ZoomMeeting,
    ZoomRole,
    ZoomState,
    db,
    utcnow,
)
from views import event_choices, event_signup, zoom

pytestmark = pytest.mark.every_database

OPEN_COUNT = event_choices.FIRST_SCREEN + 2  # two open sessions load as they scroll


def names_in_order(page):
    return re.findall(r"<h3>([^<]+)</h3>", page)


def event_body(page):
    return page[page.index('<div id="event-body">') :]


@pytest.fixture
def member(sign_in):
    return sign_in(Role.MEMBER)


@pytest.fixture
def event_of_many(make_event, make_session, make_day):
    """An active event: open sessions "Open 0".."Open 9" (each with a day), two closed ones
    and one cancelled whose registration would still be open."""
    event = make_event(is_active=True)
    for number in range(OPEN_COUNT):
        session = make_session(event, name=f"Open {number}", participant_limit=5)
        make_day(session, start=f"2030-03-{number + 1:02d}T10:00", address=f"Hall {number}")
    make_session(event, name="Closed early", registration_end="2020-01-01T12:00")
    make_session(event, name="Closed late", registration_end="2020-02-01T12:00")
    cancelled = make_session(event, name="Cancelled")
    with db.connection_context():
        Session.update(cancelled_at=utcnow()).where(Session.id == cancelled.id).execute()
    return event


def test_member_event_page_lists_open_by_id_then_closed_newest_first(member, event_of_many):
    first = member.get(f"/events/{event_of_many.id}").text
    again = member.get(f"/events/{event_of_many.id}").text  # the list from the cache
    assert event_body(again) == event_body(first)
    opened = [f"Open {number}" for number in range(OPEN_COUNT)]
    closed = ["Cancelled", "Closed late", "Closed early"]  # by registration end, newest first
    assert names_in_order(event_body(again)) == opened + closed
    assert again.count("Sign up</button>") == event_choices.FIRST_SCREEN
    assert again.count('hx-trigger="revealed"') == OPEN_COUNT - event_choices.FIRST_SCREEN + 3
    assert "Hall 0" in again and "5 seats left" in again
    assert "Hall 9" not in again  # below the first screen: its card loads on scrolling


def test_member_event_page_shows_a_change_made_elsewhere_on_the_next_view(
    member, sign_in, event_of_many
):
    path = f"/events/{event_of_many.id}"
    member.get(path)
    with db.connection_context():
        sessions = list(event_of_many.sessions.order_by(Session.id))
        Session.update(name={"en": "Renamed below"}).where(Session.id == sessions[9].id).execute()
    assert "Renamed below" in member.get(path).text
    sign_in(Role.MEMBER).htmx("post", f"/sessions/{sessions[0].id}/signup")
    assert "4 seats left" in member.get(path).text
    with db.connection_context():
        Day.update(address="Moved hall").where(Day.session == sessions[1].id).execute()
    assert "Moved hall" in member.get(path).text
    with db.connection_context():
        Session.update(cancelled_at=utcnow()).where(Session.id == sessions[2].id).execute()
        Session.create(event=event_of_many, name={"en": "Added"}, timezone="Europe/Moscow")
        Session.delete().where(Session.id == sessions[3].id).execute()
    page = event_body(member.get(path).text)
    names = names_in_order(page)
    assert "Added" in names and "Open 3" not in names
    assert names.index("Open 2") > names.index("Added")  # cancelled: closed now


def test_member_event_page_moves_a_session_whose_registration_ended_meanwhile(
    member, make_event, make_session, monkeypatch
):
    event = make_event(is_active=True)
    make_session(event, name="Ends first", registration_end="2030-02-01T12:00")
    make_session(event, name="Ends later", registration_end="2030-02-20T12:00")
    page = member.get(f"/events/{event.id}").text
    assert "Registration closed" not in page and page.count("Sign up</button>") == 2
    with db.connection_context():
        first_end = Session.get(Session.name == {"en": "Ends first"}).registration_end_at
    monkeypatch.setattr(event_signup, "utcnow", lambda: first_end + timedelta(minutes=1))
    page = event_body(member.get(f"/events/{event.id}").text)
    assert page.count("Sign up</button>") == 1 and "Registration closed" in page
    assert names_in_order(page) == ["Ends later", "Ends first"]


def test_member_event_page_keeps_each_members_own_card_to_themselves(
    member, sign_in, event_of_many
):
    path = f"/events/{event_of_many.id}"
    other = sign_in(Role.MEMBER)
    other.get(path)  # the list, drawn for the one who has no seat yet
    with db.connection_context():
        session = event_of_many.sessions.order_by(Session.id).first()
    member.htmx("post", f"/sessions/{session.id}/signup")
    mine = member.get(path).text
    assert "Withdraw" in mine and 'id="my-session"' in mine and "Open 1" not in mine
    theirs = other.get(path).text
    assert "Withdraw" not in theirs and 'id="my-session"' not in theirs
    assert "4 seats left" in theirs and "Open 1" in theirs


def test_admin_event_page_shows_the_places_below_the_first_screen_as_they_change(
    admin, event_of_many
):
    path = f"/admin/events/{event_of_many.id}"
    first = admin.get(path).text
    assert first.count('hx-trigger="revealed"') == OPEN_COUNT + 3 - 8  # three closed ones too
    assert admin.get(path).text.count("Cancelled") == first.count("Cancelled")
    with db.connection_context():
        last = event_of_many.sessions.order_by(Session.id.desc()).first()
        Session.update(name={"en": "Renamed last"}).where(Session.id == last.id).execute()
        Session.create(event=event_of_many, name={"en": "Added"}, timezone="Europe/Moscow")
    page = admin.get(path).text
    assert "Renamed last" in page and "<h3>Added</h3>" in page
    assert page.count('hx-trigger="revealed"') == OPEN_COUNT + 4 - 8
    admin.post("/locale", data={"locale": "ru", "next": "/"})
    russian = admin.get(path).text  # the list and the form, drawn anew in Russian
    assert "Загрузка…" in russian and "Добавить сессию" in russian
    assert "Loading…" not in russian and "Add session" not in russian


def test_event_pages_tops_follow_the_event_row(member, admin, event_of_many):
    member_path, admin_path = f"/events/{event_of_many.id}", f"/admin/events/{event_of_many.id}"
    assert "Leadership Training" in member.get(member_path).text
    assert ">Hide</button>" in admin.get(admin_path).text
    with db.connection_context():
        Event.update(title={"en": "Retitled"}, description="New words").where(
            Event.id == event_of_many.id
        ).execute()
    page = member.get(member_path).text
    assert "<h1>Retitled</h1>" in page and "New words" in page
    with db.connection_context():
        Event.update(is_active=False).where(Event.id == event_of_many.id).execute()
    page = admin.get(admin_path).text
    assert "<h1>Retitled</h1>" in page and ">Activate</button>" in page
    assert ">Hide</button>" not in page


@pytest.fixture
def online_and_zoom_session(make_event, make_session, make_day, sign_in):
    """A session of two seats with an online day and a Zoom day (its meeting ready) whose
    organizer is a member; returns (session, zoom day, the organizer's client)."""
    organizer = sign_in(Role.MEMBER)
    session = make_session(make_event(is_active=True), name="Hybrid", participant_limit=2)
    make_day(session, format=DayFormat.ONLINE, address="", url="https://meet.example/x")
    with db.connection_context():
        Day.update(passcode="Old code").where(Day.session == session.id).execute()
    zoom_day = make_day(
        session,
        start="2030-03-02T10:00",
        format=DayFormat.ZOOM,
        address="",
        zoom_role=ZoomRole.ADMINISTRATOR,
        zoom_organizer=organizer.user,
    )
    with db.connection_context():
        ZoomMeeting.create(
            day=zoom_day, meeting_id="1", join_url="https://zoom.example/j/1", state=ZoomState.READY
        )
    return session, zoom_day, organizer


def test_member_own_card_days_follow_each_members_seat_role_and_time(
    sign_in, online_and_zoom_session, monkeypatch
):
    session, zoom_day, organizer = online_and_zoom_session
    path = f"/events/{session.event_id}"
    mine = organizer.htmx("post", f"/sessions/{session.id}/signup").text
    assert "Start conference" in mine and "Add to calendar" in mine and "Old code" in mine
    assert "1 seat left" in mine
    holder = sign_in(Role.MEMBER)
    theirs = holder.htmx("post", f"/sessions/{session.id}/signup").text
    assert "Start conference" not in theirs and "appears 15 minutes before the start" in theirs
    assert "Add to calendar" in theirs and "0 seats left" in theirs
    waiting = sign_in(Role.MEMBER).htmx("post", f"/sessions/{session.id}/waitlist").text
    assert "You are on the waiting list" in waiting and "meet.example" not in waiting
    assert "Add to calendar" not in waiting and "Old code" not in waiting
    assert "Start conference" in organizer.get(path).text  # not the holder's drawing

    with db.connection_context():
        Day.update(passcode="New code").where(Day.session == session.id).execute()
    page = holder.get(path).text
    assert "New code" in page and "Old code" not in page
    join = f"/zoom/days/{zoom_day.id}/join"
    assert join not in page
    soon = zoom_day.start_at - timedelta(minutes=5)  # the Join button shows from now on
    for module in (event_signup, zoom):
        monkeypatch.setattr(module, "utcnow", lambda: soon)
    page = holder.get(path).text
    assert join in page and "appears 15 minutes before the start" not in page
