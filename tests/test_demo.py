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
