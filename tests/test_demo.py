"""The demo data `make run` loads: what the README and the issues promise a first visitor."""

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
