"""The admin's event page over HTTP: what each in-place edit returns and stores."""

from conftest import count_queries

from models import Day, Event, Reminder, Session, db
from views import admin_event_page, fragments


def stored(model, row_id):
    with db.connection_context():
        return model.get_by_id(row_id)


def test_creating_an_event_leads_to_its_page(admin):
    response = admin.htmx("post", "/admin/events", data={"title_en": "Onboarding", "title_ru": ""})
    with db.connection_context():
        event = Event.get()
    assert event.title == {"en": "Onboarding"}
    assert response.headers["HX-Redirect"] == f"/admin/events/{event.id}"


def test_event_form_errors_show_next_to_the_field(admin):
    response = admin.htmx("post", "/admin/events", data={"title_en": "", "ends_on": "2030-01-01"})
    assert response.status_code == 422
    assert 'data-error-for="title_en">This field is required.' in response.text
    assert 'data-error-for="starts_on"' in response.text
    with db.connection_context():
        assert Event.select().count() == 0


def test_hiding_and_activating_an_event(admin, make_event):
    event = make_event()
    response = admin.htmx("post", f"/admin/events/{event.id}/visibility", data={"active": "1"})
    assert "Active" in response.text and stored(Event, event.id).is_active
    admin.htmx("post", f"/admin/events/{event.id}/visibility", data={"active": "0"})
    assert not stored(Event, event.id).is_active


def test_user_limit_shows_under_the_name_in_hidden_and_active_states(
    admin, make_event, make_session
):
    for is_active in (False, True):
        event = make_event(is_active=is_active)
        make_session(event, name="Limited", participant_limit=12)
        make_session(event, name="Open")
        page = admin.get(f"/admin/events/{event.id}").text
        assert page.count("User limit:") == 1
        assert "User limit: 12" in page


def test_adding_a_session_by_name_gives_its_card(admin, make_event):
    event = make_event()
    response = admin.htmx(
        "post",
        f"/admin/events/{event.id}/sessions",
        data={"name_en": "Daytime", "name_ru": "Дневная"},
    )
    assert response.status_code == 200
    assert "<h3>Daytime</h3>" in response.text
    assert "Registration end" in response.text and "Moscow (UTC+3)" in response.text
    with db.connection_context():
        session = Session.get()
    assert session.timezone == "Europe/Moscow" and session.registration_end_at is not None


def test_adding_a_duplicate_session_redraws_the_form_with_the_error(
    admin, make_event, make_session
):
    event = make_event()
    make_session(event, name="Daytime")
    response = admin.htmx("post", f"/admin/events/{event.id}/sessions", data={"name_en": "daytime"})
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#new-session-form"
    assert "A session with this name already exists in this event." in response.text
    with db.connection_context():
        assert Session.select().count() == 1


def test_registration_end_is_hidden_for_an_event_without_a_date(admin, make_event, make_session):
    event = make_event(dated=False)
    session = make_session(event, registration_end=None)
    assert "Registration end" not in admin.get(f"/admin/events/{event.id}").text
    assert 'name="registration_end"' not in admin.get(f"/admin/sessions/{session.id}/edit").text


def test_registration_end_error_uses_the_exact_wording(admin, make_event, make_session, make_day):
    session = make_session(make_event())
    make_day(session, start="2030-03-01T10:00")
    response = admin.htmx(
        "post",
        f"/admin/sessions/{session.id}",
        data={
            "name_en": "Daytime",
            "timezone": "Europe/Moscow",
            "registration_end": "2030-03-02T10:00",
        },
    )
    assert response.status_code == 422
    assert (
        "The value of &#34;Registration end&#34; should be less than "
        "the value of &#34;Start of the first day&#34;" in response.text
    )


def test_new_day_form_proposes_registration_end_plus_one_day(admin, make_event, make_session):
    session = make_session(make_event(), registration_end="2030-02-27T11:59")
    form = admin.htmx("get", f"/admin/sessions/{session.id}/days/new").text
    assert 'value="2030-02-28T11:59"' in form
    assert "Zoom conference" in form


def test_format_switch_returns_the_fields_of_that_format(admin, make_event, make_session):
    session = make_session(make_event())
    url = f"/admin/sessions/{session.id}/days/place"
    assert 'name="url"' in admin.htmx("get", url, query_string={"format": "online"}).text
    zoom = admin.htmx("get", url, query_string={"format": "zoom"}).text
    assert 'name="zoom_role"' in zoom and "40 minutes" in zoom and 'name="zoom_organizer"' in zoom
    assert 'name="address"' in admin.htmx("get", url, query_string={"format": "nonsense"}).text


def test_saving_a_day_redraws_the_days_in_order(admin, make_event, make_session, make_day):
    session = make_session(make_event())
    make_day(session, start="2030-03-03T10:00")
    response = admin.htmx(
        "post",
        f"/admin/sessions/{session.id}/days",
        data={
            "start": "2030-03-01T10:00",
            "end": "2030-03-01T11:30",
            "format": "online",
            "url": "https://us02web.zoom.us/j/85551112222",
            "passcode": "42",
        },
    )
    assert response.headers["HX-Retarget"] == f"#days-{session.id}"
    assert response.text.index("Mar 1, 2030") < response.text.index("Mar 3, 2030")
    assert "Duration: 1 h 30 min" in response.text
    assert "855 5111 2222" in response.text and "Passcode: 42" in response.text
    assert "Moscow (UTC+3)" in response.text


def test_day_errors_come_back_in_the_form_and_nothing_is_saved(admin, make_event, make_session):
    session = make_session(make_event())
    response = admin.htmx(
        "post",
        f"/admin/sessions/{session.id}/days",
        data={
            "start": "2030-03-01T10:00",
            "end": "2030-03-01T09:00",
            "format": "offline",
            "address": "",
        },
    )
    assert response.status_code == 422
    assert 'data-error-for="end">The end must be later than the start.' in response.text
    assert 'data-error-for="address">This field is required.' in response.text
    with db.connection_context():
        assert Day.select().count() == 0


def test_offline_address_is_escaped_but_its_links_work(admin, make_event, make_session, make_day):
    session = make_session(make_event())
    make_day(session, address="<img src=x onerror=alert(1)> see https://maps.example.com/x")
    page = admin.get(f"/admin/events/{session.event_id}").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert '<a href="https://maps.example.com/x" rel="noopener noreferrer nofollow"' in page


def test_deleting_a_day_and_a_session(admin, make_event, make_session, make_day):
    session = make_session(make_event())
    day = make_day(session)
    response = admin.htmx("delete", f"/admin/days/{day.id}")
    assert "No days yet." in response.text
    admin.htmx("delete", f"/admin/sessions/{session.id}")
    with db.connection_context():
        assert Day.select().count() == 0 and Session.select().count() == 0


def test_unknown_ids_answer_404(admin):
    for url in ["/admin/events/999", "/admin/sessions/999/edit", "/admin/days/999/edit"]:
        response = admin.get(url)
        assert response.status_code == 404 and "This page does not exist." in response.text


def test_event_page_in_russian_shows_russian_names_and_dates(
    sign_in, make_event, make_session, make_day
):
    client = sign_in(locale="ru")
    event = make_event(title="Training")
    session = make_session(event)
    with db.connection_context():
        session.name = {"en": "Daytime", "ru": "Дневная"}
        session.save()
    make_day(session)
    page = client.get(f"/admin/events/{event.id}").text
    assert '<html lang="ru">' in page
    assert "Training (ru)" in page and "<h3>Дневная</h3>" in page
    assert "1 мар. 2030" in page and "Москва (UTC+3)" in page


def _event_with(make_event, make_session, make_day, sessions, days):
    event = make_event()
    for number in range(sessions):
        session = make_session(event, name=f"Session {number}", participant_limit=10)
        for offset in range(days):
            make_day(
                session,
                start=f"2030-03-{offset + 1:02d}T10:00",
                format="zoom",
                address="",
                zoom_role="participant",
            )
        with db.connection_context():
            Reminder.create(session=session, offset=1, offset_unit="days")
    return event


def test_event_page_query_count_does_not_grow_with_its_size(
    admin, make_event, make_session, make_day
):
    small = _event_with(make_event, make_session, make_day, sessions=2, days=1)
    large = _event_with(make_event, make_session, make_day, sessions=50, days=5)
    admin.get(f"/admin/events/{small.id}")  # warm-up: the first page loads nothing extra

    def page(event, cards_drawn_before):
        """A card drawn before needs no day objects: compare pages whose cards were all
        drawn before, and pages whose cards were not."""
        if cards_drawn_before:
            admin.get(f"/admin/events/{event.id}")
        else:
            fragments.CACHE.clear()
        with count_queries() as queries:
            return admin.get(f"/admin/events/{event.id}"), queries

    _page, fresh_small = page(small, False)
    _page, fresh_large = page(large, False)
    assert len(fresh_small) == len(fresh_large), fresh_large
    small_page, small_queries = page(small, True)
    large_page, large_queries = page(large, True)
    first = admin_event_page.FIRST_SCREEN
    assert small_page.text.count('class="day"') == 2
    assert large_page.text.count('class="day"') == first * 5  # the first screenful, drawn
    assert large_page.text.count('class="reminder"') == first  # with their reminders
    assert large_page.text.count('hx-trigger="revealed"') == 50 - first  # the rest, lazily
    assert len(large_queries) == len(small_queries), large_queries
    with db.connection_context():
        last = Session.select().where(Session.event == large).order_by(Session.id.desc()).get()
    with count_queries() as card_queries:
        lazy_card = admin.get(f"/admin/sessions/{last.id}").text
    assert lazy_card.count('class="day"') == 5 and lazy_card.count('class="reminder"') == 1
    assert len(card_queries) <= len(small_queries)


def test_event_page_saving_a_day_answers_its_row_and_reminder_due_times(
    admin, make_event, make_session, make_day
):
    event = _event_with(make_event, make_session, make_day, sessions=1, days=3)
    with db.connection_context():
        session = Session.get(Session.event == event)
        first_day = session.days.order_by(Day.start_at).first()
        reminder = session.reminders.get()
    form = {"start": "2030-03-01T09:00", "end": "2030-03-01T10:00", "format": "offline"}
    answer = admin.htmx("post", f"/admin/days/{first_day.id}", data=form | {"address": "Hall"})
    assert answer.status_code == 200 and len(answer.data) <= 3000
    assert answer.text.count('class="day"') == 1 and "Hall" in answer.text
    assert f'id="reminder-due-{reminder.id}" hx-swap-oob="true"' in answer.text
    assert "28 Feb 2030" in answer.text or "Feb 28, 2030" in answer.text  # a day before, 09:00
    moved = {"start": "2030-03-05T09:00", "end": "2030-03-05T10:00", "format": "offline"}
    answer = admin.htmx("post", f"/admin/days/{first_day.id}", data=moved | {"address": "Hall"})
    assert answer.headers["HX-Retarget"] == f"#days-{session.id}"  # it moved past the others
    assert answer.text.count('class="day"') == 3


def test_event_page_adding_or_deleting_a_day_moves_the_reminder_due_times_in_place(
    admin, make_event, make_session, make_day
):
    event = _event_with(make_event, make_session, make_day, sessions=1, days=1)
    with db.connection_context():
        session = Session.get(Session.event == event)
        reminder = session.reminders.get()
    form = {"start": "2030-02-28T10:00", "end": "2030-02-28T11:00", "format": "offline"}
    added = admin.htmx("post", f"/admin/sessions/{session.id}/days", data=form | {"address": "A"})
    due = f'id="reminder-due-{reminder.id}" hx-swap-oob="true"'
    assert due in added.text and "Feb 27, 2030" in added.text  # a day before the new first day
    with db.connection_context():
        new_day = session.days.order_by(Day.start_at).first()
    deleted = admin.htmx("delete", f"/admin/days/{new_day.id}")
    assert due in deleted.text and "Feb 28, 2030" in deleted.text


def test_event_page_cards_are_drawn_once_per_version_and_language(
    admin, make_event, make_session, make_day, monkeypatch
):
    event = _event_with(make_event, make_session, make_day, sessions=2, days=2)
    fragments.CACHE.clear()
    admin.get(f"/admin/events/{event.id}")
    drawn = len(fragments.CACHE)
    cards = [key for key in fragments.CACHE if key[0] == admin_event_page.CARD]
    assert len(cards) == 2
    admin.get(f"/admin/events/{event.id}")
    assert len(fragments.CACHE) == drawn  # the same cards, list and form, from the cache
    with db.connection_context():
        Session.update(name={"en": "Renamed"}).where(Session.event == event).execute()
    assert admin.get(f"/admin/events/{event.id}").text.count("<h3>Renamed</h3>") == 2
    admin.post("/locale", data={"locale": "ru", "next": "/"})
    assert "Дни" in admin.get(f"/admin/events/{event.id}").text  # another language, drawn anew
