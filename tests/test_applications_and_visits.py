"""The admin's "Applications and visits" tab over HTTP: the registrations table with its
filters and pages, status changes in place, registering one person, the CSV export and
registering people from a CSV or XLSX file (preview, apply, result)."""

import csv
import html
import io
import re
import time
import zipfile
from collections import namedtuple

import pytest
from openpyxl import Workbook
from peewee import chunked

from imports import lifecycle
from models import (
    Company,
    Registration,
    Role,
    Session,
    Status,
    Upload,
    UploadKind,
    User,
    db,
)
from sessions import booking, registration_import

FULL = "Session seats full"
CHOOSE = "Choose one of the options."
NO_USER = "No active user has this email."


# Reading what the pages show ---------------------------------------------------------------

Row = namedtuple("Row", "id name email session status error")
ROW = re.compile(r'<tr id="registration-(\d+)">(.*?)</tr>', re.S)
PLAIN_CELL = re.compile(r"<t[hd](?: scope=\"row\")?>([^<]*)</t[hd]>")
SELECTED = re.compile(r'<option value="([a-z_]+)" selected>')
ROW_ERROR = re.compile(r'<small class="field-error" id="[^"]*" role="alert">(.*?)</small>', re.S)
ALERT = re.compile(
    r'<(p|span|small) class="[^"]*"(?: id="[^"]*")? role="alert"[^>]*>(.*?)</\1>', re.S
)
PREVIEW_ROW = re.compile(
    r'<tr class="outcome-([a-z_]+)"><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>',
    re.S,
)
COUNT = re.compile(r"<li>([^<:]+): <strong>(\d+)</strong></li>")


def table_rows(text):
    """The registration rows of a page or partial, as the admin reads them."""
    rows = []
    for registration_id, body in ROW.findall(text):
        name, email, session = (html.unescape(cell.strip()) for cell in PLAIN_CELL.findall(body))
        selected = SELECTED.findall(body)
        assert len(selected) == 1, body
        error = ROW_ERROR.search(body)
        rows.append(
            Row(
                int(registration_id),
                name,
                email,
                session,
                selected[0],
                error and html.unescape(error.group(1).strip()),
            )
        )
    return rows


def alerts(text):
    return [html.unescape(body.strip()) for _tag, body in ALERT.findall(text)]


def preview_rows(text):
    """[(line, email, session, outcome label)] of the import preview or result table."""
    return [
        (int(line), html.unescape(email), html.unescape(session), html.unescape(label))
        for _outcome, line, email, session, label in PREVIEW_ROW.findall(text)
    ]


def counts(text):
    return {html.unescape(label): int(number) for label, number in COUNT.findall(text)}


def read_csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith(b"\xef\xbb\xbf"), "a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8")[1:])))


# The database ------------------------------------------------------------------------------


def stored(model, row_id):
    with db.connection_context():
        return model.get_by_id(row_id)


def seats_taken(session):
    return stored(Session, session.id).seats_taken


def registrations(event):
    """{(email, session name): status} of every participant registration of the event."""
    with db.connection_context():
        query = (
            Registration.select(Registration, User, Session)
            .join(User)
            .switch(Registration)
            .join(Session)
            .where(Registration.event == event)
        )
        return {(r.user.email, r.session.name["en"]): r.status for r in query}


def row_count(model):
    with db.connection_context():
        return model.select().count()


def member(email, name=None, **fields):
    """A member, fast (no password hashing: these people never sign in)."""
    with db.connection_context():
        return User.create(
            email=email,
            name=name or email.split("@")[0].title(),
            password_hash="not used",
            role=Role.MEMBER,
            **fields,
        )


def add_members(count, prefix="person"):
    """`count` members person00000@example.com ... in a few statements."""
    with db.connection_context(), db.atomic():
        for batch in chunked(
            (
                {
                    "email": f"{prefix}{number:05d}@example.com",
                    "name": f"Person {number:05d}",
                    "password_hash": "not used",
                    "role": Role.MEMBER,
                }
                for number in range(count)
            ),
            1000,
        ):
            User.insert_many(batch).execute()


def named_session(event, names, **fields):
    """A session with a name per locale, e.g. {"en": "Daytime", "ru": "Дневная"}."""
    with db.connection_context():
        return Session.create(event=event, name=names, timezone="Europe/Moscow", **fields)


@pytest.fixture
def run(app):
    """Call an operation (booking.sign_up, ...) the way a request would, for setting up."""

    def call(operation, *args, **kwargs):
        with app.test_request_context("/"), db.connection_context():
            return operation(*args, **kwargs)

    return call


def tab(event):
    return f"/admin/events/{event.id}/registrations"


def table_request(client, event, **query):
    """What htmx asks for when a filter changes: only the table partial."""
    return client.htmx(
        "get", tab(event), query_string=query, headers={"HX-Target": "registrations-table"}
    )


# The table ---------------------------------------------------------------------------------


@pytest.fixture
def two_sessions(admin, make_event, make_session, run):
    """An event with Daytime (Ann approved, Bob denied) and Evening (Cat participated)."""
    event = make_event(is_active=True)
    daytime = make_session(event, name="Daytime")
    evening = make_session(event, name="Evening")
    ann = member("ann@example.com", "Ann Smith")
    bob = member("bob@example.com", "Bob Jones")
    cat = member("cat@corp.example.org", "Cat Brown")
    run(booking.sign_up, ann, daytime)
    denied = run(booking.sign_up, bob, daytime)
    run(booking.set_status, denied, Status.DENIED)
    visited = run(booking.register_user, cat, evening)
    run(booking.set_status, visited, Status.PARTICIPATED)
    other_event = make_event("Other event")
    run(booking.register_user, member("dan@example.com", "Dan Other"), make_session(other_event))
    return event, daytime, evening


def test_registrations_table_lists_each_registration_with_session_and_status(admin, two_sessions):
    event, _daytime, _evening = two_sessions
    page = admin.get(tab(event))
    assert page.status_code == 200
    assert "Applications and visits" in page.text
    assert 'id="register-form"' in page.text and 'id="import-area"' in page.text
    assert [(row.name, row.email, row.session, row.status) for row in table_rows(page.text)] == [
        ("Ann Smith", "ann@example.com", "Daytime", "approved"),
        ("Bob Jones", "bob@example.com", "Daytime", "denied"),
        ("Cat Brown", "cat@corp.example.org", "Evening", "participated"),
    ]
    assert "3 registrations" in page.text
    assert "dan@example.com" not in page.text  # the form's type-ahead asks for people as typed
    suggestions = admin.get("/admin/members/suggestions?email=dan")
    assert "dan@example.com" in suggestions.text and "ann@" not in suggestions.text
    assert alerts(page.text) == []


def test_registrations_table_filters_by_session_status_and_search(admin, two_sessions):
    event, daytime, evening = two_sessions

    def names(**query):
        response = table_request(admin, event, **query)
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="registrations-table"')
        assert "<html" not in response.text and 'id="register-form"' not in response.text
        return [row.name for row in table_rows(response.text)]

    assert names() == ["Ann Smith", "Bob Jones", "Cat Brown"]
    assert names(session=daytime.id) == ["Ann Smith", "Bob Jones"]
    assert names(session=evening.id) == ["Cat Brown"]
    assert names(status="denied") == ["Bob Jones"]
    assert names(session=daytime.id, status="participated") == []
    assert names(q="ann") == ["Ann Smith"]  # by name, ignoring case
    assert names(q="BROWN") == ["Cat Brown"]
    assert names(q="corp.example") == ["Cat Brown"]  # by email
    assert names(q="example.com", session=daytime.id, status="approved") == ["Ann Smith"]
    empty = table_request(admin, event, q="nobody at all")
    assert "No registrations match." in empty.text and "0 registrations" in empty.text


@pytest.mark.every_database
def test_registrations_search_ignores_case_in_cyrillic_names(
    backend, admin, make_event, make_session, run
):
    event = make_event()
    session = make_session(event, name="Дневная")
    run(booking.register_user, member("anna@example.com", "Анна Иванова"), session)
    run(booking.register_user, member("boris@example.com", "Борис Петров"), session)
    assert [row.name for row in table_rows(table_request(admin, event, q="Иванова").text)] == [
        "Анна Иванова"
    ]
    assert [row.name for row in table_rows(table_request(admin, event, q="иванова").text)] == [
        "Анна Иванова"
    ]


def test_registrations_page_keeps_the_filters_in_the_form_and_the_export_link(admin, two_sessions):
    event, daytime, _evening = two_sessions
    page = admin.get(tab(event), query_string={"session": daytime.id, "status": "denied"})
    assert f'<option value="{daytime.id}" selected>Daytime</option>' in page.text
    assert '<option value="denied" selected>Denied</option>' in page.text
    assert [row.name for row in table_rows(page.text)] == ["Bob Jones"]
    assert f"registrations.csv?session={daytime.id}&amp;status=denied" in page.text


@pytest.mark.parametrize(
    "query, message",
    [
        ({"session": "999999"}, "Unknown session in the filter; showing all sessions."),
        ({"session": "daytime"}, "Unknown session in the filter; showing all sessions."),
        ({"status": "vip"}, "Unknown status in the filter; showing all statuses."),
    ],
)
def test_registrations_unknown_filter_value_is_named_and_all_are_shown(
    admin, two_sessions, query, message
):
    event, _daytime, _evening = two_sessions
    for response in (
        admin.get(tab(event), query_string=query),
        table_request(admin, event, **query),
    ):
        assert response.status_code == 200
        assert alerts(response.text) == [message]
        assert len(table_rows(response.text)) == 3


def test_registrations_session_of_another_event_in_the_filter_is_unknown(
    admin, two_sessions, make_event, make_session
):
    event, _daytime, _evening = two_sessions
    elsewhere = make_session(make_event("Elsewhere"))
    response = table_request(admin, event, session=elsewhere.id)
    assert alerts(response.text) == ["Unknown session in the filter; showing all sessions."]
    assert len(table_rows(response.text)) == 3


def test_registrations_table_shows_50_rows_a_page_with_real_pager_links(
    admin, make_event, make_session, run
):
    event = make_event()
    session = make_session(event, name="Crowd")
    add_members(51)
    with db.connection_context():
        people = list(User.select().where(User.role == Role.MEMBER).order_by(User.name))
    for person in people:
        run(booking.register_user, person, session)

    first = admin.get(tab(event))
    rows = table_rows(first.text)
    assert len(rows) == 50
    assert rows[0].name == "Person 00000" and rows[-1].name == "Person 00049"
    assert "51 registrations" in first.text and "page 1 of 2" in first.text
    assert f'href="/admin/events/{event.id}/registrations?page=2"' in first.text
    assert 'href="#"' not in first.text

    second = table_request(admin, event, page=2)
    assert [row.name for row in table_rows(second.text)] == ["Person 00050"]
    assert 'aria-current="page"><span class="visually-hidden">Page </span>2</a>' in second.text

    for nonsense in ("0", "-1", "two"):
        assert len(table_rows(table_request(admin, event, page=nonsense).text)) == 50
    # Past the last page: the last page.
    assert [row.name for row in table_rows(table_request(admin, event, page=9).text)] == [
        "Person 00050"
    ]


def test_registrations_of_an_unknown_event_is_404(admin):
    assert admin.get("/admin/events/999999/registrations").status_code == 404


# Changing a status in place ----------------------------------------------------------------


def change_status(client, registration, status):
    return client.htmx(
        "post", f"/admin/registrations/{registration.id}/status", data={"status": status}
    )


@pytest.mark.every_database
def test_status_change_returns_the_row_with_the_new_status_and_stores_it(
    backend, admin, make_event, make_session, run
):
    event = make_event(is_active=True)
    session = make_session(event, participant_limit=5)
    registration = run(booking.sign_up, member("ann@example.com", "Ann"), session)
    assert seats_taken(session) == 1

    for status, seats in [
        (Status.PARTICIPATED, 1),
        (Status.MISSED, 1),
        (Status.DENIED, 0),
        (Status.APPROVED, 1),
    ]:
        response = change_status(admin, registration, status)
        assert response.status_code == 200, response.text
        (row,) = table_rows(response.text)
        assert (row.id, row.name, row.session, row.status, row.error) == (
            registration.id,
            "Ann",
            "Daytime",
            status,
            None,
        )
        assert stored(Registration, registration.id).status == status
        assert seats_taken(session) == seats, status


@pytest.mark.every_database
def test_status_denying_frees_a_seat(backend, admin, make_event, make_session, run):
    event = make_event(is_active=True)
    session = make_session(event, participant_limit=3)
    ann = run(booking.sign_up, member("ann@example.com"), session)
    bob = run(booking.sign_up, member("bob@example.com"), session)
    assert seats_taken(session) == 2

    response = change_status(admin, ann, Status.DENIED)
    assert table_rows(response.text)[0].status == Status.DENIED
    assert seats_taken(session) == 1
    assert stored(Registration, ann.id).status == Status.DENIED
    assert stored(Registration, bob.id).status == Status.APPROVED


@pytest.mark.every_database
def test_status_denying_promotes_the_first_on_the_waiting_list(
    backend, admin, make_event, make_session, run
):
    event = make_event(is_active=True)
    session = make_session(event, participant_limit=1)
    ann = run(booking.sign_up, member("ann@example.com"), session)
    first = run(booking.join_waiting_list, member("bob@example.com"), session)
    second = run(booking.join_waiting_list, member("cat@example.com"), session)

    response = change_status(admin, ann, Status.DENIED)
    assert response.status_code == 200
    assert stored(Registration, ann.id).status == Status.DENIED
    assert stored(Registration, first.id).status == Status.APPROVED
    assert stored(Registration, first.id).queued_at is None
    assert stored(Registration, second.id).status == Status.WAITLISTED
    assert seats_taken(session) == 1
    page = admin.get(tab(event))
    assert {row.email: row.status for row in table_rows(page.text)} == {
        "ann@example.com": "denied",
        "bob@example.com": "approved",
        "cat@example.com": "waitlisted",
    }


@pytest.mark.every_database
def test_status_reapproving_in_a_full_session_is_refused(
    backend, admin, make_event, make_session, run
):
    event = make_event(is_active=True)
    session = make_session(event, participant_limit=1)
    ann = run(booking.sign_up, member("ann@example.com"), session)
    change_status(admin, ann, Status.DENIED)
    bob = run(booking.sign_up, member("bob@example.com"), session)  # takes the freed seat

    response = change_status(admin, ann, Status.APPROVED)
    assert response.status_code == 422
    (row,) = table_rows(response.text)
    assert row.status == Status.DENIED and row.error == FULL
    assert stored(Registration, ann.id).status == Status.DENIED
    assert stored(Registration, bob.id).status == Status.APPROVED
    assert seats_taken(session) == 1


@pytest.mark.every_database
@pytest.mark.parametrize("status", ["vip", Status.CANCELLED, Status.WAITLISTED, ""])
def test_status_unknown_value_is_refused_and_changes_nothing(
    backend, admin, make_event, make_session, run, status
):
    event = make_event(is_active=True)
    session = make_session(event, participant_limit=2)
    ann = run(booking.sign_up, member("ann@example.com"), session)

    response = change_status(admin, ann, status)
    assert response.status_code == 422
    (row,) = table_rows(response.text)
    assert row.status == Status.APPROVED and row.error == CHOOSE
    assert stored(Registration, ann.id).status == Status.APPROVED
    assert seats_taken(session) == 1


def test_status_of_an_unknown_registration_is_404(admin):
    response = admin.htmx("post", "/admin/registrations/999999/status", data={"status": "denied"})
    assert response.status_code == 404


# Register user -----------------------------------------------------------------------------


def register(client, event, email, session_id):
    return client.htmx(
        "post",
        tab(event),
        data={"email": email, "session_id": "" if session_id is None else session_id},
    )


def refused_next_to(response, field):
    """The form came back in place of itself with one message, next to `field`."""
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#register-form"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert response.text.lstrip().startswith('<form id="register-form"')
    found = re.findall(r'data-error-for="([a-z_]+)">([^<]*)</p>', response.text)
    assert [name for name, _message in found] == [field], found
    return html.unescape(found[0][1])


@pytest.mark.every_database
def test_register_user_approves_the_member_in_the_session(backend, admin, make_event, make_session):
    event = make_event()  # hidden events too: the admin registers whom they choose
    make_session(event, name="Daytime")
    evening = make_session(event, name="Evening", participant_limit=2)
    member("ann@example.com", "Ann Smith")

    response = register(admin, event, "  Ann@Example.COM ", evening.id)
    assert response.status_code == 200, response.text
    assert "HX-Retarget" not in response.headers
    assert "Ann Smith is registered for Evening." in response.headers["HX-Trigger"]
    assert [(row.email, row.session, row.status) for row in table_rows(response.text)] == [
        ("ann@example.com", "Evening", "approved")
    ]
    assert registrations(event) == {("ann@example.com", "Evening"): Status.APPROVED}
    assert seats_taken(evening) == 1


@pytest.mark.every_database
def test_register_user_with_an_unknown_or_inactive_email_is_refused(
    backend, admin, make_event, make_session
):
    event = make_event()
    session = make_session(event)
    member("gone@example.com", is_active=False)
    for email in ("nobody@example.com", "gone@example.com", ""):
        response = register(admin, event, email, session.id)
        assert refused_next_to(response, "email") == NO_USER
    assert registrations(event) == {}
    assert seats_taken(session) == 0


@pytest.mark.every_database
def test_register_user_refuses_a_session_of_another_event(backend, admin, make_event, make_session):
    event = make_event()
    make_session(event)
    elsewhere = make_session(make_event("Other"), name="Elsewhere")
    member("ann@example.com")
    for session_id in (elsewhere.id, 999999, None, "abc"):
        response = register(admin, event, "ann@example.com", session_id)
        assert refused_next_to(response, "session_id") == CHOOSE
        assert 'value="ann@example.com"' in response.text  # what was typed stays
    assert row_count(Registration) == 0
    assert seats_taken(elsewhere) == 0


@pytest.mark.every_database
def test_register_user_in_a_full_session_is_refused(backend, admin, make_event, make_session, run):
    event = make_event()
    full = make_session(event, name="Small", participant_limit=1)
    run(booking.register_user, member("first@example.com"), full)
    member("ann@example.com")

    response = register(admin, event, "ann@example.com", full.id)
    assert refused_next_to(response, "session_id") == FULL
    assert registrations(event) == {("first@example.com", "Small"): Status.APPROVED}
    assert seats_taken(full) == 1


@pytest.mark.every_database
def test_register_user_moves_a_member_from_another_session_of_the_event(
    backend, admin, make_event, make_session, run
):
    event = make_event(is_active=True)
    daytime = make_session(event, name="Daytime", participant_limit=1)
    evening = make_session(event, name="Evening", participant_limit=3)
    ann = member("ann@example.com", "Ann")
    run(booking.sign_up, ann, daytime)
    waiting = run(booking.join_waiting_list, member("bob@example.com"), daytime)

    response = register(admin, event, "ann@example.com", evening.id)
    assert response.status_code == 200, response.text
    with db.connection_context():
        live = list(
            Registration.select().where(
                Registration.user == ann, Registration.status != Status.CANCELLED
            )
        )
    assert [(r.session_id, r.status) for r in live] == [(evening.id, Status.APPROVED)]
    assert registrations(event) == {
        ("ann@example.com", "Daytime"): Status.CANCELLED,
        ("ann@example.com", "Evening"): Status.APPROVED,
        ("bob@example.com", "Daytime"): Status.APPROVED,  # got Ann's seat
    }
    assert stored(Registration, waiting.id).status == Status.APPROVED
    assert (seats_taken(daytime), seats_taken(evening)) == (1, 1)


@pytest.mark.every_database
def test_register_user_moving_into_a_full_session_is_refused(
    backend, admin, make_event, make_session, run
):
    event = make_event()
    daytime = make_session(event, name="Daytime")
    evening = make_session(event, name="Evening", participant_limit=1)
    run(booking.register_user, member("ann@example.com"), daytime)
    run(booking.register_user, member("bob@example.com"), evening)

    response = register(admin, event, "ann@example.com", evening.id)
    assert refused_next_to(response, "session_id") == FULL
    assert registrations(event) == {
        ("ann@example.com", "Daytime"): Status.APPROVED,
        ("bob@example.com", "Evening"): Status.APPROVED,
    }
    assert (seats_taken(daytime), seats_taken(evening)) == (1, 1)


@pytest.mark.every_database
def test_register_user_already_in_the_session_is_refused(
    backend, admin, make_event, make_session, run
):
    event = make_event()
    session = make_session(event, participant_limit=5)
    run(booking.register_user, member("ann@example.com"), session)

    response = register(admin, event, "ann@example.com", session.id)
    assert refused_next_to(response, "session_id") == "Already registered for this session."
    assert row_count(Registration) == 1
    assert seats_taken(session) == 1


# Export ------------------------------------------------------------------------------------


def test_export_has_a_header_and_one_row_per_registration(admin, two_sessions):
    event, _daytime, _evening = two_sessions
    response = admin.get(f"/admin/events/{event.id}/registrations.csv")
    assert (
        f'filename="registrations-event-{event.id}.csv"' in response.headers["Content-Disposition"]
    )
    header, *rows = read_csv(response)
    assert header == ["Name", "Email", "Session", "Status", "Registered at (UTC)"]
    assert [row[:4] for row in rows] == [
        ["Ann Smith", "ann@example.com", "Daytime", "Approved"],
        ["Bob Jones", "bob@example.com", "Daytime", "Denied"],
        ["Cat Brown", "cat@corp.example.org", "Evening", "Participated"],
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row[4]) for row in rows)


def test_export_respects_the_filters(admin, two_sessions):
    event, daytime, _evening = two_sessions
    url = f"/admin/events/{event.id}/registrations.csv"

    def names(**query):
        _header, *rows = read_csv(admin.get(url, query_string=query))
        return [row[0] for row in rows]

    assert names(session=daytime.id) == ["Ann Smith", "Bob Jones"]
    assert names(status="participated") == ["Cat Brown"]
    assert names(q="bob") == ["Bob Jones"]
    assert names(session=daytime.id, status="approved", q="example.com") == ["Ann Smith"]
    assert names(session=daytime.id, status="missed") == []
    assert names(session="999999", status="vip") == ["Ann Smith", "Bob Jones", "Cat Brown"]


def test_export_keeps_cyrillic_and_defuses_formulas(admin, make_event, make_session, run):
    event = make_event()
    session = make_session(event, name="Дневная")
    run(booking.register_user, member("anna@example.com", "Анна Иванова"), session)
    run(booking.register_user, member("evil@example.com", '=HYPERLINK("http://x","y")'), session)
    run(booking.register_user, member("plus@example.com", "+7 999"), session)

    response = admin.get(f"/admin/events/{event.id}/registrations.csv")
    _header, *rows = read_csv(response)
    assert {row[0]: row[2] for row in rows} == {
        "'+7 999": "Дневная",
        '\'=HYPERLINK("http://x","y")': "Дневная",
        "Анна Иванова": "Дневная",
    }
    assert "Анна Иванова".encode() in response.data


# Register from a file ----------------------------------------------------------------------


def upload(client, event, data, filename="people.csv"):
    files = {} if data is None else {"file": (io.BytesIO(data), filename)}
    return client.htmx(
        "post", f"/admin/events/{event.id}/imports", data=files, content_type="multipart/form-data"
    )


def apply(client, job):
    return client.htmx("post", f"/admin/imports/{job.id}/apply")


def only_job():
    with db.connection_context():
        (job,) = Upload.select()
        return job


def xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def import_event(make_event, run):
    """An event with Daytime/Дневная (4 seats, Fay in it, Gus elsewhere) and Evening/Вечерняя
    (no limit, Gus in it), members Ann..Gus, and a Weekend session in another event."""
    event = make_event()
    daytime = named_session(event, {"en": "Daytime", "ru": "Дневная"}, participant_limit=4)
    evening = named_session(event, {"en": "Evening", "ru": "Вечерняя"})
    named_session(make_event("Other"), {"en": "Weekend", "ru": "Выходные"})
    people = {
        name: member(f"{name}@example.com", name.title())
        for name in "ann bob cat dan eve fay gus".split()
    }
    run(booking.register_user, people["fay"], daytime)
    run(booking.register_user, people["gus"], evening)
    return event, daytime, evening


MIXED_FILE = "\n".join(
    [
        "Session,EMAIL",
        "Daytime,ann@example.com",  # 2 will register
        "дневная,bob@example.com",  # 3 will register (Russian name, other case)
        "Daytime,gus@example.com",  # 4 will move here from Evening (last free seat)
        "DAYTIME,cat@example.com",  # 5 session full: the rows above took the seats
        "Daytime,fay@example.com",  # 6 already registered
        "Evening,nobody@example.com",  # 7 unknown user
        "Weekend,dan@example.com",  # 8 unknown session (another event's)
        "Evening,ANN@example.com",  # 9 duplicate in file
        "Evening,not-an-email",  # 10 malformed email
        "ВЕЧЕРНЯЯ,eve@example.com",  # 11 will register
        "",
    ]
).encode()

MIXED_PREVIEW = [
    (2, "ann@example.com", "Daytime", "Will register"),
    (3, "bob@example.com", "дневная", "Will register"),
    (4, "gus@example.com", "Daytime", "Will move here from another session"),
    (5, "cat@example.com", "DAYTIME", "Session full"),
    (6, "fay@example.com", "Daytime", "Already registered"),
    (7, "nobody@example.com", "Evening", "Unknown user"),
    (8, "dan@example.com", "Weekend", "Unknown session"),
    (9, "ann@example.com", "Evening", "Duplicate in file"),
    (10, "not-an-email", "Evening", "Malformed email"),
    (11, "eve@example.com", "ВЕЧЕРНЯЯ", "Will register"),
]


def test_import_preview_gives_every_row_its_outcome(admin, import_event):
    event, _daytime, _evening = import_event
    before = registrations(event)

    response = upload(admin, event, MIXED_FILE)
    assert response.status_code == 200, response.text
    assert preview_rows(response.text) == MIXED_PREVIEW
    assert counts(response.text) == {
        "Will register": 3,
        "Will move here from another session": 1,
        "Session full": 1,
        "Already registered": 1,
        "Unknown user": 1,
        "Unknown session": 1,
        "Duplicate in file": 1,
        "Malformed email": 1,
    }
    assert "Register 4 people" in response.text
    assert only_job().status == "preview"
    assert registrations(event) == before  # a preview registers nobody


def test_import_apply_registers_the_valid_rows_once(admin, import_event):
    event, daytime, evening = import_event
    upload(admin, event, MIXED_FILE)
    job = only_job()

    response = apply(admin, job)
    assert response.status_code == 200
    assert "Done." in response.text and "Download the result" in response.text
    assert f"/admin/imports/{job.id}/apply" not in response.text
    outcomes = {line: label for line, _email, _session, label in preview_rows(response.text)}
    assert [outcomes[line] for line in (2, 3, 4, 11)] == ["Registered"] * 4
    assert outcomes[5] == "Session full" and outcomes[7] == "Unknown user"
    expected = {
        ("ann@example.com", "Daytime"): Status.APPROVED,
        ("bob@example.com", "Daytime"): Status.APPROVED,
        ("fay@example.com", "Daytime"): Status.APPROVED,
        ("gus@example.com", "Daytime"): Status.APPROVED,
        ("gus@example.com", "Evening"): Status.CANCELLED,
        ("eve@example.com", "Evening"): Status.APPROVED,
    }
    assert registrations(event) == expected
    assert (seats_taken(daytime), seats_taken(evening)) == (4, 1)
    assert stored(Upload, job.id).status == "done"

    again = apply(admin, job)
    assert again.status_code == 200
    assert "Done." in again.text and f"/admin/imports/{job.id}/apply" not in again.text
    assert registrations(event) == expected
    assert (seats_taken(daytime), seats_taken(evening)) == (4, 1)
    progress = admin.htmx("get", f"/admin/imports/{job.id}")
    assert "Done." in progress.text and "every 1s" not in progress.text


def test_import_result_download_lists_every_row_with_its_outcome(admin, import_event):
    event, _daytime, _evening = import_event
    upload(admin, event, MIXED_FILE)
    job = only_job()
    apply(admin, job)

    response = admin.get(f"/admin/imports/{job.id}/result.csv")
    assert f'filename="import-{job.id}-result.csv"' in response.headers["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header == ["Line", "Email", "Session", "Outcome", "Message"]
    assert [tuple(row[:4]) for row in rows] == [
        ("2", "ann@example.com", "Daytime", "Registered"),
        ("3", "bob@example.com", "дневная", "Registered"),
        ("4", "gus@example.com", "Daytime", "Registered"),
        ("5", "cat@example.com", "DAYTIME", "Session full"),
        ("6", "fay@example.com", "Daytime", "Already registered"),
        ("7", "nobody@example.com", "Evening", "Unknown user"),
        ("8", "dan@example.com", "Weekend", "Unknown session"),
        ("9", "ann@example.com", "Evening", "Duplicate in file"),
        ("10", "not-an-email", "Evening", "Malformed email"),
        ("11", "eve@example.com", "ВЕЧЕРНЯЯ", "Registered"),
    ]


def test_import_apply_respects_seats_taken_since_the_preview(admin, make_event, make_session, run):
    event = make_event(is_active=True)
    session = make_session(event, name="Daytime", participant_limit=2)
    member("ann@example.com")
    member("bob@example.com")
    upload(admin, event, b"email,session\nann@example.com,Daytime\nbob@example.com,Daytime\n")
    job = only_job()
    run(booking.sign_up, member("quick@example.com"), session)  # one seat goes meanwhile

    response = apply(admin, job)
    assert preview_rows(response.text) == [
        (2, "ann@example.com", "Daytime", "Registered"),
        (3, "bob@example.com", "Daytime", f"Not registered — {FULL}"),
    ]
    assert registrations(event) == {
        ("quick@example.com", "Daytime"): Status.APPROVED,
        ("ann@example.com", "Daytime"): Status.APPROVED,
    }
    assert seats_taken(session) == 2


def test_import_reads_a_semicolon_csv_with_a_bom_and_crlf(admin, make_event, make_session):
    event = make_event()
    make_session(event, name="Daytime")
    member("ann@example.com")
    member("bob@example.com")
    data = "\ufeffE-mail;Session\r\nann@example.com;Daytime\r\nbob@example.com;daytime\r\n"

    response = upload(admin, event, data.encode("utf-8"))
    assert response.status_code == 200, response.text
    assert preview_rows(response.text) == [
        (2, "ann@example.com", "Daytime", "Will register"),
        (3, "bob@example.com", "daytime", "Will register"),
    ]
    apply(admin, only_job())
    assert registrations(event) == {
        ("ann@example.com", "Daytime"): Status.APPROVED,
        ("bob@example.com", "Daytime"): Status.APPROVED,
    }


def test_import_reads_an_xlsx_made_with_openpyxl(admin, make_event, make_session):
    event = make_event()
    make_session(event, name="Daytime")
    named_session(event, {"en": "Evening", "ru": "Вечерняя"})
    member("ann@example.com")
    member("bob@example.com")
    data = xlsx(
        [
            ["Comment", "SESSION", "email"],
            ["first", "Daytime", "Ann@Example.com"],
            [None, None, None],  # an empty row is skipped
            [None, "вечерняя", "bob@example.com"],
        ]
    )

    response = upload(admin, event, data, "people.xlsx")
    assert response.status_code == 200, response.text
    assert preview_rows(response.text) == [  # lines are the sheet's row numbers
        (2, "ann@example.com", "Daytime", "Will register"),
        (4, "bob@example.com", "вечерняя", "Will register"),
    ]
    response = apply(admin, only_job())
    assert "Done." in response.text
    assert registrations(event) == {
        ("ann@example.com", "Daytime"): Status.APPROVED,
        ("bob@example.com", "Evening"): Status.APPROVED,
    }


def replace_part(workbook, name, *chunks):
    """`workbook` (XLSX bytes) with its part `name` replaced by (or added as) `chunks`."""
    original, out = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as changed:
        for other in original.namelist():
            if other != name:
                changed.writestr(other, original.read(other))
        with changed.open(name, "w", force_zip64=True) as part:
            for chunk in chunks:
                part.write(chunk)
    return out.getvalue()


def broken_sheet_xlsx():
    """A workbook whose worksheet XML is cut off (a damaged download)."""
    good = xlsx([["email", "session"], ["a@example.com", "Daytime"]])
    sheet = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml")
    return replace_part(good, "xl/worksheets/sheet1.xml", sheet[: len(sheet) // 2])


def png():
    """The first bytes of a real PNG image."""
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\x00\x00\x01" * 2 + b"\x08\x06\x00\x00\x00"
    )


NOT_UTF8 = 'The file is not UTF-8 text. Save it as "CSV UTF-8" or as XLSX.'
NOT_CSV = "This does not look like a CSV file. Upload a .csv or .xlsx file."
NOT_XLSX = "The file could not be opened as an Excel workbook (.xlsx)."
COLUMNS = 'The first row must name an "email" column and a "session" column.'
BAD_FILES = [
    ("no file", None, "people.csv", {"Choose a file to upload."}),
    ("empty", b"", "people.csv", {"The file is empty."}),
    ("blank lines only", b"\n \n,\n", "people.csv", {"The file is empty."}),
    ("header only", b"email,session\n", "people.csv", {"The file has no rows below its headings."}),
    ("no email column", b"name,session\nAnn,Daytime\n", "people.csv", {COLUMNS}),
    ("no session column", b"email,group\nann@example.com,Daytime\n", "people.csv", {COLUMNS}),
    (
        "latin-1",
        "email,session\njosé@example.com,Daytime\n".encode("latin-1"),
        "people.csv",
        {NOT_UTF8},
    ),
    # A picture renamed .csv: either message tells the admin what to upload instead.
    ("png renamed csv", png(), "people.csv", {NOT_UTF8, NOT_CSV}),
    ("binary renamed csv", b"email,session\x00\x00\x01\x02\x03", "people.csv", {NOT_CSV}),
    ("pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "people.pdf", {"Upload a .csv or .xlsx file."}),
    ("not a zip xlsx", b"email,session\nann@example.com,Daytime\n", "people.xlsx", {NOT_XLSX}),
    ("truncated xlsx", xlsx([["email", "session"]])[:300], "people.xlsx", {NOT_XLSX}),
    ("damaged sheet xlsx", broken_sheet_xlsx(), "people.xlsx", {NOT_XLSX}),
]


@pytest.mark.parametrize(
    "data, filename, messages",
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_import_bad_file_is_refused_with_one_message(
    admin, make_event, make_session, data, filename, messages
):
    event = make_event()
    make_session(event, name="Daytime")
    member("ann@example.com")

    response = upload(admin, event, data, filename)
    assert response.status_code == 422
    found = alerts(response.text)
    assert len(found) == 1 and found[0] in messages, found
    assert 'name="file"' in response.text  # the form is back to choose another file
    assert row_count(Upload) == 0
    assert row_count(Registration) == 0


def test_import_more_rows_than_the_company_limit_is_refused(admin, make_event, make_session):
    event = make_event()
    make_session(event, name="Daytime")
    add_members(4)
    with db.connection_context():
        Company.update(bulk_rows_limit=3).execute()
    lines = ["email,session"] + [f"person{n:05d}@example.com,Daytime" for n in range(4)]

    response = upload(admin, event, "\n".join(lines).encode())
    assert response.status_code == 422
    assert alerts(response.text) == ["The file has more than 3 rows; at most 3 are allowed."]
    assert row_count(Upload) == 0 and row_count(Registration) == 0

    assert upload(admin, event, "\n".join(lines[:4]).encode()).status_code == 200
    assert row_count(Upload) == 1 and row_count(Registration) == 0


def test_import_of_10000_rows_fills_the_session_exactly(
    admin, make_event, make_session, monkeypatch
):
    started = time.perf_counter()
    rows = 10_000
    assert rows > registration_import.INLINE_ROWS
    event = make_event()
    session = make_session(event, name="Main hall", participant_limit=rows - 10)
    add_members(rows)
    with db.connection_context():
        Company.update(bulk_rows_limit=rows).execute()
    data = "email,session\n" + "".join(
        f"person{number:05d}@example.com,Main hall\n" for number in range(rows)
    )
    queued = []
    in_background = lifecycle.process_in_background

    def spy(job_id):
        queued.append(job_id)
        return in_background(job_id)

    monkeypatch.setattr(lifecycle, "process_in_background", spy)

    preview = upload(admin, event, data.encode())
    assert preview.status_code == 200
    assert counts(preview.text) == {"Will register": 9_990, "Session full": 10}
    assert "Register 9990 people" in preview.text
    assert "The first 200 rows are shown" in preview.text
    job = only_job()
    assert [row["outcome"] for row in job.rows[-11:]] == ["register"] + ["session_full"] * 10

    previewed = time.perf_counter()
    response = apply(admin, job)
    applied = time.perf_counter()
    assert response.status_code == 200
    assert queued == [job.id]  # through the Huey task, run inline in immediate mode
    assert "Done." in response.text
    job = stored(Upload, job.id)
    assert (job.status, job.done) == ("done", rows)
    assert lifecycle.summary(job) == {"registered": 9_990, "session_full": 10}
    with db.connection_context():
        approved = Registration.select().where(
            Registration.session == session, Registration.status == Status.APPROVED
        )
        assert approved.count() == 9_990
        assert Registration.select().count() == 9_990
        assert (
            approved.join(User).where(User.email == "person09989@example.com").exists()
            and not approved.join(User).where(User.email == "person09990@example.com").exists()
        )
    assert seats_taken(session) == 9_990
    print(
        f"10,000 rows: setup and preview {previewed - started:.1f} s,"
        f" apply {applied - previewed:.1f} s, total {time.perf_counter() - started:.1f} s"
    )


# Access ------------------------------------------------------------------------------------


ADMIN_ONLY = [
    ("get", "/admin/events/{event}/registrations"),
    ("get", "/admin/events/{event}/registrations.csv"),
    ("post", "/admin/events/{event}/registrations"),
    ("post", "/admin/registrations/{registration}/status"),
    ("post", "/admin/events/{event}/imports"),
    ("get", "/admin/imports/{job}"),
    ("post", "/admin/imports/{job}/apply"),
    ("get", "/admin/imports/{job}/result.csv"),
]


@pytest.mark.parametrize("method, url", ADMIN_ONLY, ids=[f"{m} {u}" for m, u in ADMIN_ONLY])
def test_access_a_member_is_refused(sign_in, make_event, make_session, run, method, url):
    event = make_event(is_active=True)
    session = make_session(event)
    client = sign_in(Role.MEMBER)
    registration = run(booking.sign_up, client.user, session)
    other = member("ann@example.com")
    with db.connection_context():
        job = Upload.create(
            kind=UploadKind.REGISTRATIONS,
            event=event,
            filename="people.csv",
            rows=[
                {
                    "line": 2,
                    "email": other.email,
                    "session": "Daytime",
                    "session_id": session.id,
                    "user_id": other.id,
                    "outcome": "register",
                }
            ],
        )
    data = {
        "status": Status.DENIED,
        "email": other.email,
        "session_id": session.id,
        "file": (io.BytesIO(b"email,session\nann@example.com,Daytime\n"), "people.csv"),
    }
    target = url.format(event=event.id, registration=registration.id, job=job.id)
    kwargs = {"data": data, "content_type": "multipart/form-data"} if method == "post" else {}

    response = client.htmx(method, target, **kwargs)
    assert response.status_code == 403
    assert "You do not have access to this page." in response.text
    assert stored(Registration, registration.id).status == Status.APPROVED
    assert stored(Upload, job.id).status == "preview"
    assert row_count(Upload) == 1
    assert registrations(event) == {(client.user.email, "Daytime"): Status.APPROVED}
