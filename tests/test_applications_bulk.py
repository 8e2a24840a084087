# ruff: noqa: F401, F811 - fixtures imported from test_applications_and_visits are parameters here
"""The Applications tab as a list of thousands: natural sorting, state in the URL, bulk
actions (set status, remove, export) with one confirmation and one transaction, the type-ahead
of the register form, the import's sample file, and a constant number of queries a page."""

import html
import re

import pytest
from conftest import count_queries
from test_applications_and_visits import (
    add_members,
    alerts,
    read_csv,
    registrations,
    run,  # a fixture
    seats_taken,
    stored,
    tab,
    table_request,
    table_rows,
    two_sessions,  # a fixture
)

from models import Broadcast, Email, Registration, Role, Session, Status, User, db
from sessions import booking


def bulk(client, event, query="", **form):
    return client.htmx("post", f"{tab(event)}/bulk{query}", data=form)


def ids_of(event, *emails):
    with db.connection_context():
        return [
            str(r.id)
            for r in Registration.select(Registration.id)
            .join(User)
            .where(Registration.event == event, User.email.in_(emails))
        ]


@pytest.fixture
def crowd(make_event, make_session, run):
    """An event whose one session holds 60 people, "Person 00000" … "Person 00059"."""
    event = make_event(is_active=True)
    session = make_session(event, name="Crowd")
    add_members(60)
    with db.connection_context():
        people = list(User.select().where(User.role == Role.MEMBER).order_by(User.id))
    for person in people:
        run(booking.register_user, person, session)
    return event, session


def test_names_sort_naturally_and_the_sort_is_in_the_url(admin, make_event, make_session, run):
    event = make_event()
    session = make_session(event, name="Crowd")
    for number in (10, 2, 1):
        with db.connection_context():
            person = User.create(
                email=f"p{number}@example.com", name=f"Person {number}", password_hash="-"
            )
        run(booking.register_user, person, session)
    names = [row.name for row in table_rows(table_request(admin, event, sort="name").text)]
    assert names == ["Person 1", "Person 2", "Person 10"]
    response = table_request(admin, event, sort="name", dir="desc")
    assert [row.name for row in table_rows(response.text)] == ["Person 10", "Person 2", "Person 1"]
    assert response.headers["HX-Push-Url"] == f"{tab(event)}?sort=name&dir=desc"
    assert 'aria-sort="descending"' in response.text


def test_reload_keeps_filters_sort_and_page(admin, crowd):
    event, session = crowd
    url = f"{tab(event)}?q=person&session={session.id}&status=approved&sort=name&page=2"
    page = admin.get(url)
    assert page.status_code == 200
    assert [row.name for row in table_rows(page.text)] == [f"Person {n:05d}" for n in range(50, 60)]
    # The form shows the state it came from, and every pager link keeps it.
    assert 'value="person"' in page.text
    assert re.search(rf'<option value="{session.id}" selected>', page.text)
    assert '<option value="approved" selected>' in page.text
    links = re.findall(r'href="([^"]*page[^"]*)"', page.text)
    assert links, page.text[-3000:]
    assert all("q=person" in link and "status=approved" in link for link in links), links


def test_set_status_asks_once_then_changes_every_selected_in_one_go(admin, two_sessions, app):
    event, daytime, _evening = two_sessions
    chosen = ids_of(event, "ann@example.com", "bob@example.com")
    question = bulk(admin, event, registration_ids=chosen, action=Status.PARTICIPATED)
    assert question.status_code == 200
    assert 'Set the status of 2 registrations to "Participated"?' in html.unescape(question.text)
    assert "data-modal" in question.text and 'name="confirmed" value="1"' in question.text
    assert question.text.count(" checked") == 2  # the selection is kept while asked
    assert registrations(event)[("ann@example.com", "Daytime")] == Status.APPROVED

    done = bulk(admin, event, registration_ids=chosen, action=Status.PARTICIPATED, confirmed="1")
    assert done.status_code == 200
    assert "2 statuses changed." in done.headers["HX-Trigger"]
    assert registrations(event)[("ann@example.com", "Daytime")] == Status.PARTICIPATED
    assert registrations(event)[("bob@example.com", "Daytime")] == Status.PARTICIPATED
    assert seats_taken(daytime) == 2  # Bob was denied: he takes a seat again
    with db.connection_context():
        broadcast = Broadcast.get()
        assert (broadcast.kind, sorted(broadcast.user_ids)) == (
            "status_changed",
            sorted(
                User.get(User.email == email).id for email in ("ann@example.com", "bob@example.com")
            ),
        )


def test_set_status_is_all_or_nothing_and_names_who_does_not_fit(
    admin,
    make_event,
    make_session,
    run,
):
    event = make_event(is_active=True)
    session = make_session(event, name="Small", participant_limit=1)
    add_members(2)
    with db.connection_context():
        first, second = User.select().where(User.role == Role.MEMBER).order_by(User.id)
    run(booking.register_user, first, session)
    waiting = run(booking.join_waiting_list, second, stored(Session, session.id))
    denied = run(
        booking.set_status, stored(Registration, ids_of(event, first.email)[0]), Status.DENIED
    )
    before = registrations(event)
    chosen = [str(denied.id), str(waiting.id)]
    # Denying the first gave the seat to the waiting person: approving both cannot fit.
    assert before[(second.email, "Small")] == Status.APPROVED
    response = bulk(admin, event, registration_ids=chosen, action=Status.APPROVED, confirmed="1")
    assert response.status_code == 422
    assert f"{first.name}: Session seats full" in alerts(response.text)
    assert registrations(event) == before
    assert seats_taken(session) == 1


def test_remove_frees_seats_for_the_waiting_list_in_one_transaction(
    admin,
    make_event,
    make_session,
    run,
):
    event = make_event(is_active=True)
    session = make_session(event, name="Small", participant_limit=2)
    add_members(3)
    with db.connection_context():
        people = list(User.select().where(User.role == Role.MEMBER).order_by(User.id))
    for person in people[:2]:
        run(booking.register_user, person, session)
    run(booking.join_waiting_list, people[2], stored(Session, session.id))
    chosen = ids_of(event, people[0].email)
    question = bulk(admin, event, registration_ids=chosen, action="remove")
    assert "Remove 1 registration? Seats it holds go to the waiting list." in question.text
    done = bulk(admin, event, registration_ids=chosen, action="remove", confirmed="1")
    assert "1 registration removed." in done.headers["HX-Trigger"]
    assert registrations(event) == {
        (people[1].email, "Small"): Status.APPROVED,
        (people[2].email, "Small"): Status.APPROVED,
    }
    assert seats_taken(session) == 2


def test_all_matching_reaches_every_page_and_only_the_filtered_rows(admin, crowd, two_sessions):
    event, session = crowd
    query = f"?q=Person+0005&session={session.id}"  # Person 00050 … 00059
    page = table_request(admin, event, q="Person 0005", session=session.id)
    assert "All 10 matching" not in page.text  # all on one page: nothing more to offer
    first_page = admin.get(f"{tab(event)}?session={session.id}")
    assert "All 60 matching, on every page" in first_page.text
    done = bulk(admin, event, query, all_matching="1", action=Status.MISSED, confirmed="1")
    assert "10 statuses changed." in done.headers["HX-Trigger"]
    statuses = registrations(event)
    assert sum(status == Status.MISSED for status in statuses.values()) == 10
    other_event, _daytime, _evening = two_sessions
    assert Status.MISSED not in registrations(other_event).values()


def test_a_selection_from_another_event_is_ignored(admin, crowd, two_sessions):
    event, _session = crowd
    other_event, _daytime, _evening = two_sessions
    foreign = ids_of(other_event, "ann@example.com")
    response = bulk(admin, event, registration_ids=foreign, action="remove", confirmed="1")
    assert response.status_code == 422
    assert "Select at least one registration." in alerts(response.text)
    assert ("ann@example.com", "Daytime") in registrations(other_event)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"action": "remove"}, "Select at least one registration."),
        (
            {"action": "cancelled", "pick": True},
            "Choose what to do with the selected registrations.",
        ),
        ({"action": "", "pick": True}, "Choose what to do with the selected registrations."),
        (
            {"action": "remove", "registration_ids": ["x", "-1", "9" * 30]},
            "Select at least one registration.",
        ),
    ],
)
def test_bulk_input_that_makes_no_sense_is_named_and_changes_nothing(
    admin, two_sessions, form, message
):
    event, _daytime, _evening = two_sessions
    before = registrations(event)
    if form.pop("pick", False):
        form["registration_ids"] = ids_of(event, "ann@example.com")
    response = bulk(admin, event, confirmed="1", **form)
    assert response.status_code == 422
    assert message in alerts(response.text)
    assert registrations(event) == before


def test_export_selected_downloads_just_those_rows(admin, two_sessions):
    event, _daytime, _evening = two_sessions
    chosen = ids_of(event, "ann@example.com", "cat@corp.example.org")
    response = bulk(admin, event, registration_ids=chosen, action="export")
    assert response.status_code == 200
    url = response.headers["HX-Redirect"]
    rows = read_csv(admin.get(url))
    assert [row[:2] for row in rows[1:]] == [
        ["Ann Smith", "ann@example.com"],
        ["Cat Brown", "cat@corp.example.org"],
    ]


def test_export_selected_without_javascript_redirects_to_the_download(admin, two_sessions):
    event, _daytime, _evening = two_sessions
    chosen = ids_of(event, "bob@example.com")
    response = admin.post(
        f"{tab(event)}/bulk", data={"registration_ids": chosen, "action": "export"}
    )
    assert response.status_code == 303
    assert [row[1] for row in read_csv(admin.get(response.location))[1:]] == ["bob@example.com"]


def test_member_suggestions_offer_ten_active_people_at_most(admin):
    add_members(30)
    with db.connection_context():
        User.update(is_active=False).where(User.email == "person00001@example.com").execute()
    options = admin.get("/admin/members/suggestions?email=person0000").text
    assert options.count('role="option"') == 9  # 00000 … 00009 but the inactive one
    assert "person00001@" not in options
    assert admin.get("/admin/members/suggestions?email=p").text.strip() == ""


def test_import_sample_names_the_events_sessions(admin, two_sessions):
    event, _daytime, _evening = two_sessions
    rows = read_csv(admin.get(f"/admin/events/{event.id}/imports/sample.csv"))
    assert rows == [
        ["email", "session"],
        ["person1@example.org", "Daytime"],
        ["person2@example.org", "Evening"],
    ]


@pytest.mark.parametrize(
    "query", ["", "?q=person&sort=name&page=2", "?status=approved&sort=date&dir=asc"]
)
def test_applications_cost_the_same_queries_at_ten_times_the_data(
    admin, make_event, make_session, run, query
):
    event = make_event(is_active=True)
    sessions = [make_session(event, name=name) for name in ("Daytime", "Evening")]

    def register(start, count):
        add_members(count, prefix=f"batch{start}-")
        with db.connection_context():
            people = list(User.select().where(User.email.startswith(f"batch{start}-")))
        with db.connection_context():
            for number, person in enumerate(people):
                session = sessions[number % 2]
                Registration.create(
                    session=session, event=event, user=person, status=Status.APPROVED
                )

    register(0, 60)
    url = tab(event) + query
    admin.get(url)  # warm-up
    with count_queries() as small:
        small_page = admin.get(url).text
    register(1, 540)
    with count_queries() as large:
        large_page = admin.get(url).text
    assert table_rows(small_page) and len(table_rows(large_page)) == 50
    assert len(large) == len(small), large
    with count_queries() as partial:
        table_request(admin, event, **dict(re.findall(r"(\w+)=(\w+)", query)))
    assert len(partial) <= len(large)


def test_no_email_is_written_in_the_request(admin, two_sessions):
    """The bulk change queues one broadcast row; the worker writes the emails."""
    event, _daytime, _evening = two_sessions
    chosen = ids_of(event, "ann@example.com")
    with db.connection_context():
        before = Email.select().count()
    with count_queries() as queries:
        bulk(admin, event, registration_ids=chosen, action=Status.MISSED, confirmed="1")
    assert not [sql for sql in queries if sql.startswith('INSERT INTO "email"')]
    with db.connection_context():
        assert Email.select().count() >= before
