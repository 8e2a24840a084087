"""What members see over HTTP: their tabs, an event's sessions, and their actions."""

from datetime import datetime

import pytest
from conftest import count_queries

from models import Registration, Role, Session, Status, db
from sessions import booking
from views import event_choices, fragments


def plain(text):
    """Babel separates times with thin and narrow no-break spaces; compare with plain ones."""
    return " ".join(text.split())


@pytest.fixture
def member(sign_in):
    return sign_in(Role.MEMBER)


def test_member_home_lists_open_events_and_tabs(member, make_event, make_session):
    open_event = make_event("Open Event", is_active=True)
    make_event("Hidden Event")
    make_session(open_event)
    page = member.get("/home").text
    assert "Open Event" in page and "Hidden Event" not in page
    assert "Participating" in page and "Completed" in page


def test_event_page_shows_sessions_days_and_seats_in_the_viewers_zone(
    member, make_event, make_session, make_day
):
    event = make_event(is_active=True)
    session = make_session(event, participant_limit=3)
    make_day(session, start="2030-03-01T10:00")  # Moscow
    member.set_cookie("tz", "Asia/Tokyo")
    page = plain(member.get(f"/events/{event.id}").text)
    assert "3 seats left" in page
    assert "4:00 – 6:00 PM Japan (UTC+9)" in page  # 10:00 Moscow is 16:00 Tokyo
    assert "Registration end" in page and "Times are shown in Japan (UTC+9)" in page


def test_a_bad_timezone_cookie_falls_back_to_the_company_zone(
    member, make_event, make_session, make_day
):
    event = make_event(is_active=True)
    make_day(make_session(event), start="2030-03-01T10:00")
    member.set_cookie("tz", "Not/AZone")
    assert "10:00 AM – 12:00 PM Moscow (UTC+3)" in plain(member.get(f"/events/{event.id}").text)


def test_hidden_events_do_not_exist_for_members(member, make_event):
    assert member.get(f"/events/{make_event().id}").status_code == 404


def test_signing_up_shows_only_the_chosen_session(member, make_event, make_session):
    event = make_event(is_active=True)
    daytime, evening = make_session(event, name="Daytime"), make_session(event, name="Evening")
    response = member.htmx("post", f"/sessions/{daytime.id}/signup")
    assert response.status_code == 200
    assert "Approved" in response.text and "Daytime" in response.text
    assert "Change session" in response.text and "Sign up" not in response.text
    assert "You are registered." in response.headers["HX-Trigger"]
    with db.connection_context():
        assert Registration.get().session_id == daytime.id
    # Signing up for the other one directly is refused with a message.
    refused = member.htmx("post", f"/sessions/{evening.id}/signup")
    assert (
        refused.status_code == 422 and "You are already registered in this event." in refused.text
    )


def test_switch_and_withdraw_in_place(member, make_event, make_session):
    event = make_event(is_active=True)
    daytime, evening = make_session(event, name="Daytime"), make_session(event, name="Evening")
    member.htmx("post", f"/sessions/{daytime.id}/signup")
    with db.connection_context():
        registration = Registration.get()
    switched = member.htmx(
        "post", f"/registrations/{registration.id}/switch", data={"session_id": evening.id}
    )
    assert "Session changed." in switched.headers["HX-Trigger"]
    with db.connection_context():
        live = booking.live_registration(member.user, event)
        assert live.session_id == evening.id
    withdrawn = member.htmx("post", f"/registrations/{live.id}/withdraw")
    assert "Sign up" in withdrawn.text
    with db.connection_context():
        assert booking.live_registration(member.user, event) is None


def test_a_full_session_offers_the_waiting_list(member, make_event, make_session, make_user, app):
    event = make_event(is_active=True)
    session = make_session(event, participant_limit=1)
    with app.app_context(), db.connection_context():
        booking.sign_up(make_user(), session)
    page = member.get(f"/events/{event.id}").text
    assert "0 seats left" in page and "Join the waiting list" in page
    response = member.htmx("post", f"/sessions/{session.id}/waitlist")
    assert "Waiting list" in response.text
    full = member.htmx("post", f"/sessions/{session.id}/signup")
    assert full.status_code == 422


def test_closed_sessions_are_listed_newest_to_oldest(member, make_event, make_session):
    event = make_event(is_active=True)
    make_session(event, name="Oldest", registration_end="2020-01-01T11:59")
    make_session(event, name="Newest", registration_end="2020-03-01T11:59")
    make_session(event, name="Middle", registration_end="2020-02-01T11:59")
    page = member.get(f"/events/{event.id}").text
    assert "Registration closed" in page
    assert page.index("Newest") < page.index("Middle") < page.index("Oldest")
    assert "Sign up" not in page


def test_other_peoples_registrations_do_not_exist(member, sign_in, make_event, make_session):
    event = make_event(is_active=True)
    session = make_session(event)
    other = sign_in(Role.MEMBER)
    other.htmx("post", f"/sessions/{session.id}/signup")
    with db.connection_context():
        theirs = Registration.get()
    assert member.htmx("post", f"/registrations/{theirs.id}/withdraw").status_code == 404
    with db.connection_context():
        assert Registration.get_by_id(theirs.id).status == Status.APPROVED


def test_confirming_participation_moves_the_event_to_completed(
    member, make_event, make_session, app
):
    event = make_event("Finished Course", is_active=True)
    session = make_session(event)
    with app.app_context(), db.connection_context():
        booking.sign_up(member.user, session, datetime(2030, 1, 1))
        Registration.update(status=Status.CONFIRM_PARTICIPATION).execute()
        registration = Registration.get()
    assert "Did you take part in this session?" in member.get("/home").text
    member.post(f"/registrations/{registration.id}/confirm", data={"took_part": "yes"})
    completed = member.get("/home?tab=completed").text
    assert "Finished Course" in completed and "Participated" in completed


def test_profile_sets_the_time_zone_and_rejects_unknown_ones(member):
    bad = member.htmx("post", "/profile", data={"name": "Maria", "timezone": "Mars/Base"})
    assert bad.status_code == 422 and "Choose a time zone from the list." in bad.text
    member.htmx(
        "post", "/profile", data={"name": "Maria", "timezone": "Asia/Tokyo", "locale": "ru"}
    )
    with db.connection_context():
        from models import User

        user = User.get_by_id(member.user.id)
    assert (user.name, user.timezone, user.locale) == ("Maria", "Asia/Tokyo", "ru")


def test_member_pages_issue_a_constant_number_of_queries(
    member, make_event, make_session, make_day, app
):
    def event_with(sessions):
        event = make_event(is_active=True)
        for number in range(sessions):
            session = make_session(event, name=f"S{number}", participant_limit=5)
            make_day(session)
        return event

    small, large = event_with(1), event_with(30)

    def page_queries(event, cards_drawn_before):
        """A card drawn before (same rows, language, zone) needs no day objects: compare
        pages whose cards were all drawn before, and pages whose cards were not."""
        if cards_drawn_before:
            member.get(f"/events/{event.id}")
        else:
            fragments.CACHE.clear()
        with count_queries() as queries:
            page = member.get(f"/events/{event.id}").text
        return len(queries), page

    for drawn_before in (False, True):
        small_count, _page = page_queries(small, drawn_before)
        large_count, large_page = page_queries(large, drawn_before)
        assert small_count == large_count
    first = event_choices.FIRST_SCREEN  # drawn; the others load as they scroll into view
    assert large_page.count("Sign up</button>") == first
    assert large_page.count('hx-trigger="revealed"') == 30 - first
    with db.connection_context():
        last = large.sessions.order_by(Session.id.desc()).first()
    card = member.get(f"/sessions/{last.id}/card").text
    assert "Sign up</button>" in card and "S29" in card and "revealed" not in card
    with app.app_context(), db.connection_context():
        booking.register_user(member.user, small.sessions[0])
    with count_queries() as home_small:
        member.get("/home")
    with app.app_context(), db.connection_context():
        for event in [event_with(1) for _ in range(10)]:
            booking.register_user(member.user, event.sessions[0])
    with count_queries() as home_large:
        member.get("/home")
    assert len(home_small) == len(home_large)


def test_member_cards_drawn_once_still_show_the_seats_left_now(sign_in, make_event, make_session):
    event = make_event(is_active=True)
    session = make_session(event, name="Daytime", participant_limit=5)
    first, second = sign_in(Role.MEMBER), sign_in(Role.MEMBER)
    assert "5 seats left" in first.get(f"/events/{event.id}").text
    assert "5 seats left" in first.get(f"/events/{event.id}").text  # drawn from the cache
    second.htmx("post", f"/sessions/{session.id}/signup")
    assert "4 seats left" in first.get(f"/events/{event.id}").text
    first.post("/locale", data={"locale": "ru", "next": "/"})
    assert "5 seats left" not in first.get(f"/events/{event.id}").text
