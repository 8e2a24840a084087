"""The demo data `make run` loads: what the README and the issues promise a first visitor."""

import re

import demo
from models import Event, Role, Session, SessionKind, User, db


def test_demo_loads_once_with_every_role_and_a_public_group_session(app):
    with app.test_request_context("/"), db.connection_context():
        assert demo.load_once() is True
        assert demo.load_once() is False  # never twice
        assert {user.role for user in User.select()} == {Role.ADMIN, Role.HOST, Role.MEMBER}
        event = Event.get()
        assert event.title == {"en": "Leadership Training", "ru": "Тренинг лидерства"}
        names = [session.name["en"] for session in Session.select().where(Session.event == event)]
        assert names == ["Daytime", "Evening"]
        group = Session.get(Session.kind == SessionKind.GROUP)
    visitor = app.test_client()
    profile = visitor.get("/u/demo-host").text
    assert f'href="/s/{group.id}"' in profile
    assert "Sign in to join" in visitor.get(f"/s/{group.id}").text


def test_demo_has_a_public_and_a_private_mentoring_session(app, make_user):
    with app.test_request_context("/"), db.connection_context():
        demo.load_once()
        public, private = (
            Session.select().where(Session.kind == SessionKind.MENTORING).order_by(Session.id)
        )
    assert (public.is_public, private.is_public) == (True, False)
    visitor = app.test_client()
    profile = visitor.get("/u/demo-host").text
    assert f'href="/s/{public.id}"' in profile and f'href="/s/{private.id}"' not in profile
    assert visitor.get(f"/s/{private.id}").status_code == 404
    member = app.test_client()
    member.post("/login", data={"email": "member@convene.test", "password": demo.PASSWORD})
    assert "One-to-one: your first 90 days" in member.get("/home").text  # invited
    member.post(f"/s/{public.id}/join", headers={"X-CSRFToken": member_token(member)})
    home = member.get("/home").text
    assert "Planning your next career step" in home and "Meeting ID 857 4606 5432" in home


def member_token(client):
    return re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/home").text).group(1)


def test_seed_demo_adds_generated_members_to_try_the_lists_at_scale(app, sign_in):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-demo", "--users", "60"])
    again = runner.invoke(args=["seed-demo", "--users", "5"])

    assert "Demo data loaded." in first.output and "Added 60 generated members" in first.output
    assert "demo not loaded" in again.output and "(the last: person65)" in again.output
    with db.connection_context():
        people = User.select().where(User.email.endswith("@people.convene.test"))
        assert people.count() == 65
        assert {user.role for user in people} == {Role.MEMBER}
        assert people.where(User.is_active == False).count() == 3  # noqa: E712 - SQL
        assert any(not user.name.isascii() for user in people)  # names in both scripts
    page = sign_in(Role.ADMIN).get("/admin/users?q=people.convene.test").text
    assert "65 users · page 1 of 2" in page
    assert page.count('<tr id="user-') == 50


def test_demo_member_is_warned_before_joining_the_group_session_of_her_evening(app):
    with app.test_request_context("/"), db.connection_context():
        demo.load_once()
        networking = Session.get(Session.name["en"] == "Evening networking")
    member = app.test_client()
    member.post("/login", data={"email": "member@convene.test", "password": demo.PASSWORD})
    answer = member.post(
        f"/s/{networking.id}/join",
        headers={"X-CSRFToken": member_token(member), "HX-Request": "true"},
    ).text
    assert "You are in “Leadership Training — Evening” at that time:" in answer
    assert "Join anyway?" in answer


def test_demo_members_history_shows_the_admins_removal(app):
    with app.test_request_context("/"), db.connection_context():
        demo.load_once()
        member = User.get(User.email == "member@convene.test")
    admin = app.test_client()
    admin.post("/login", data={"email": demo.ADMIN_EMAIL, "password": demo.PASSWORD})
    page = admin.get(f"/history/people/{member.id}").text
    (removal,) = [row for row in page.split('<tr id="history-')[1:] if "Removed" in row]
    assert "Alice Admin" in removal and "Evening" in removal and "Status: Approved" in removal
