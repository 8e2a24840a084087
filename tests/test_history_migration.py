"""Migration 016 adds the history table (with its subject indexes) and its rollback drops it,
on SQLite and on PostgreSQL; what came before is untouched either way."""

import pytest
from peewee_migrate import Router
from test_upload_migration import fresh_database_url

import config
from models import Event, HistoryEntry, User, connect_database, db


@pytest.fixture
def before_016(request, backend, tmp_path):
    """A database migrated up to the migration before 016, with a user and an event."""
    connect_database(fresh_database_url(request, backend, tmp_path))
    router = Router(db.obj, migrate_dir=str(config.ROOT / "migrations"), ignore=["basemodel"])
    with db.connection_context():
        earlier = [name for name in router.todo if name < "016"]
        router.run(earlier[-1])
        user = User.create(email="admin@example.com", name="Admin", password_hash="x")
        event = Event.create(title={"en": "Event"})
        yield router, user, event
    db.obj.close_all()


@pytest.mark.every_database
def test_history_migration_creates_the_table_and_rolls_back(before_016):
    router, user, event = before_016
    assert "history" not in db.get_tables()

    router.run("016_history")

    entry = HistoryEntry.create(
        actor="user", actor_user=user, change="visibility_changed", event=event,
        before={"is_active": False}, after={"is_active": True},
    )  # fmt: skip
    stored = HistoryEntry.get_by_id(entry.id)
    assert (stored.actor_user_id, stored.event_id, stored.after) == (
        user.id, event.id, {"is_active": True}
    )  # fmt: skip
    indexes = {tuple(index.columns) for index in db.get_indexes("history")}
    assert {("event_id", "id"), ("session_id", "id"), ("person_id", "id")} <= indexes
    Event.delete().where(Event.id == event.id).execute()  # the entry stays, its event gone
    assert HistoryEntry.get_by_id(entry.id).event_id is None

    router.rollback()

    assert "history" not in db.get_tables()
    assert User.get_by_id(user.id).email == "admin@example.com"
