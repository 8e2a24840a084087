"""Group sessions: the gate, creating, invitations, public pages, capacity, the minimum."""

import re
from datetime import datetime, timedelta

import pytest

from models import Company, Email, Registration, Role, Session, SessionKind, Status, db
from sessions import booking, group_sessions

FORM = {
    "title": "Pitch practice",
    "description": "Practise your pitch",
    "start": "2030-05-01T18:00",
    "duration_hours": "1",
    "duration_minutes": "30",
    "min_participants": "2",
    "max_participants": "4",
    "timezone": "Europe/Moscow",
}


@pytest.fixture
def allowed(app):
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()


@pytest.fixture
def host(sign_in, allowed):
    return sign_in(Role.HOST, handle="pitch-host")


def create(client, **fields):
    return client.htmx("post", "/group-sessions", data={**FORM, **fields})


def the_session():
    with db.connection_context():
        return Session.get(Session.kind == SessionKind.GROUP)


def test_the_gate_hides_and_refuses_creation(sign_in, app):
    host = sign_in(Role.HOST)
    assert host.get("/group-sessions/new").status_code == 404
    assert create(host).status_code == 404
    assert "Create session" not in host.get("/host/sessions").text
    with db.connection_context():
        assert Session.select().count() == 0
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    assert host.get("/group-sessions/new").status_code == 200
    assert sign_in(Role.MEMBER).get("/group-sessions/new").status_code == 403


def test_creating_shows_created_and_counts_the_host(host):
    response = create(host)
    assert response.headers["HX-Trigger"] == '{"toast": "Created!"}'
    session = the_session()
    assert f"/s/{session.id}" in response.text
    assert (session.participant_limit, session.min_participants, session.host_id) == (
        3,
        2,
        host.user.id,
    )
    with db.connection_context():
        [day] = session.days
    assert day.start_at == datetime(2030, 5, 1, 15, 0) and day.duration == timedelta(minutes=90)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"description": ""}, "description"),
        ({"start": "2000-01-01T10:00"}, "start"),
        ({"duration_hours": "0", "duration_minutes": "10"}, "duration_minutes"),
        ({"min_participants": "5"}, "min_participants"),
        ({"max_participants": "1"}, "max_participants"),
        ({"meeting_url": "ftp://x"}, "meeting_url"),
        ({"invitees": "99999"}, "invitees"),
    ],
)
def test_bad_input_is_shown_next_to_the_field(host, fields, field):
    response = create(host, **fields)
    assert response.status_code == 422 and f'data-error-for="{field}"' in response.text
    with db.connection_context():
        assert Session.select().count() == 0


def test_invitees_get_an_email_and_their_answer_counts(host, make_user, app):
    invited, declining = make_user(name="Ivan"), make_user(name="Dana")
    create(host, invitees=[str(invited.id), str(declining.id)])
    session = the_session()
    with db.connection_context():
        email = Email.get(Email.to_address == invited.email)
        links = re.findall(r"/invitations/[\w.\-]+", email.text_body)
        decline_links = re.findall(
            r"/invitations/[\w.\-]+", Email.get(Email.to_address == declining.email).text_body
        )
    visitor = app.test_client()
    accept = links[0]
    assert "Accept the invitation" in visitor.get(accept).text  # a GET answers nothing
    visitor.post(accept)
    visitor.post(decline_links[1])
    with db.connection_context():
        statuses = {
            r.user_id: r.status
            for r in Registration.select().where(Registration.session == session)
        }
        assert Session.get_by_id(session.id).seats_taken == 1
    assert statuses[invited.id] == Status.APPROVED and statuses[declining.id] == Status.CANCELLED
    again = visitor.post(accept)
    assert "already been answered" in again.text
    assert visitor.get(accept[:-3] + "xyz").status_code == 400  # a tampered link


def test_inviting_is_not_exclusive(host, sign_in, make_user):
    create(host, invitees=[str(make_user().id)])
    member = sign_in(Role.MEMBER)
    session = the_session()
    response = member.htmx("post", f"/s/{session.id}/join")
    assert "You are registered" in response.text and "Leave" in response.text


def test_public_page_states(host, sign_in, app):
    create(host, max_participants="2")
    session = the_session()
    url = f"/s/{session.id}"
    visitor_page = app.test_client().get(url).text
    assert "Sign in to join" in visitor_page and f"/login?next=/s/{session.id}" in visitor_page
    assert 'property="og:title" content="Pitch practice"' in visitor_page
    assert "You are attending!" in host.get(url).text
    member = sign_in(Role.MEMBER)
    assert "Join" in member.get(url).text
    member.htmx("post", f"{url}/join")
    assert "Full" in sign_in(Role.MEMBER).get(url).text  # host + one member = 2 of 2
    left = member.htmx("post", f"{url}/leave")
    assert "Join" in left.text


def test_visitors_cannot_join_and_come_back_after_signing_in(host, app, make_user):
    create(host)
    session = the_session()
    visitor = app.test_client()
    refused = visitor.post(f"/s/{session.id}/join", headers={"X-CSRFToken": visitor.csrf_token()})
    assert refused.status_code == 302 and "/login" in refused.location
    member = make_user()
    signed_in = visitor.post(
        f"/login?next=/s/{session.id}",
        data={"email": member.email, "password": "correct horse battery"},
    )
    assert signed_in.location == f"/s/{session.id}"


def test_private_sessions_are_shown_only_to_their_people(host, sign_in, make_user, app):
    invited = make_user()
    create(host, visibility="private", invitees=[str(invited.id)])
    session = the_session()
    assert app.test_client().get(f"/s/{session.id}").status_code == 404
    assert sign_in(Role.MEMBER).get(f"/s/{session.id}").status_code == 404
    assert f"/s/{session.id}" not in app.test_client().get("/u/pitch-host").text
    stranger = sign_in(Role.MEMBER)
    assert stranger.htmx("post", f"/s/{session.id}/join").status_code == 404


def test_host_profile_and_dashboard(host, sign_in, app):
    create(host)
    create(host, title="Later", start="2030-06-01T18:00")
    profile = app.test_client().get("/u/pitch-host").text
    assert profile.index("Pitch practice") < profile.index("Later")
    member = sign_in(Role.MEMBER)
    with db.connection_context():
        first = Session.select().order_by(Session.id).first()
    member.htmx("post", f"/s/{first.id}/join")
    dashboard = host.get("/host/sessions").text
    assert dashboard.index("Pitch practice") < dashboard.index("Later")
    assert "2 of 4 attending" in dashboard and "Copy URL" in dashboard


@pytest.mark.every_database
def test_the_minimum_check_at_the_cutoff(backend, host, sign_in, app, make_user):
    admin = make_user(Role.ADMIN)
    create(host, min_participants="3")
    session = the_session()
    member = sign_in(Role.MEMBER)
    member.htmx("post", f"/s/{session.id}/join")
    start = datetime(2030, 5, 1, 15, 0)
    with app.test_request_context("/"), db.connection_context():
        company = Company.current()
        assert group_sessions.check_minimums(company, start - timedelta(hours=25)) == 0  # too early
        assert group_sessions.check_minimums(company, start - timedelta(hours=23)) == 1
        assert group_sessions.check_minimums(company, start - timedelta(hours=22)) == 0  # once
        told = {
            email.to_address
            for email in Email.select().where(Email.key.startswith("group_below_minimum"))
        }
        assert told == {host.user.email, admin.email}
        links = re.findall(
            r"/group-sessions/\d+/decide/[\w.\-]+",
            Email.get(Email.to_address == admin.email).text_body,
        )
    cancel = links[0]
    page = host.get(cancel)
    assert "Cancel session" in page.text
    host.post(cancel)
    with db.connection_context():
        assert Session.get_by_id(session.id).cancelled_at is not None
        assert Registration.get(Registration.user == member.user).status == Status.CANCELLED
        assert (
            Email.select()
            .where(Email.to_address == member.user.email, Email.key.startswith("day_cancelled"))
            .count()
            == 1
        )
    assert "Cancelled" in member.get(f"/s/{session.id}").text


@pytest.mark.every_database
def test_group_capacity_holds_under_concurrency(backend, host, app, make_user):
    import threading

    create(host, max_participants="4")
    session = the_session()
    members = [make_user() for _ in range(12)]
    results, start = [], threading.Barrier(len(members))

    def attempt(user):
        with app.app_context(), db.connection_context():
            start.wait()
            try:
                booking.sign_up(user, Session.get_by_id(session.id))
                results.append("ok")
            except booking.BookingError as refusal:
                results.append(refusal.message)

    threads = [threading.Thread(target=attempt, args=(user,)) for user in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("ok") == 3 and results.count("Session seats full") == 9
    with db.connection_context():
        assert Session.get_by_id(session.id).seats_taken == 3


def test_invitee_search_shows_names_not_addresses_and_is_limited(host, make_user):
    make_user(name="Tatiana Search", email="tatiana@example.com")
    found = host.get("/group-sessions/invitees?q=tati").text
    assert "Tatiana Search" in found and "tatiana@example.com" not in found
    assert "Tatiana Search" in host.get("/group-sessions/invitees?q=tatiana@example.com").text
    assert 'role="option"' not in host.get("/group-sessions/invitees?q=example.com").text
    for _attempt in range(60):
        host.get("/group-sessions/invitees?q=ta")
    refused = host.get("/group-sessions/invitees?q=tati")
    assert "Too many searches" in refused.text and "Tatiana" not in refused.text
