"""Migration 015 turns Zoom's attendance and recordings into the platform-neutral tables,
every row kept, and rolls back to them, dropping only what BigBlueButton wrote."""

from datetime import datetime

import pytest
from peewee_migrate import Router
from test_upload_migration import fresh_database_url, sql

import config
from models import (
    Attendance,
    Day,
    Recording,
    Session,
    SessionKind,
    User,
    connect_database,
    db,
)

START = datetime(2026, 3, 4, 10)


@pytest.fixture
def at_014(request, backend, tmp_path):
    """A database migrated up to 014, with a Zoom day's attendance and recording."""
    connect_database(fresh_database_url(request, backend, tmp_path))
    router = Router(db.obj, migrate_dir=str(config.ROOT / "migrations"), ignore=["basemodel"])
    with db.connection_context():
        router.run("014_zoom_meetings")
        user = User.create(email="ann@example.com", name="Ann", password_hash="x")
        session = Session.create(kind=SessionKind.EVENT, name={"en": "Talk"}, timezone="UTC")
        day = Day.create(session=session, start_at=START, end_at=START.replace(hour=11))
        sql(
            "INSERT INTO zoomattendance (day_id, person, email, name, seconds, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [day.id, "ann@example.com", "ann@example.com", "Ann", 1800, START],
        )
        sql(
            "INSERT INTO zoomrecording (day_id, file_id, recording_type, file_type, start_at, "
            "end_at, file_size, play_url, download_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [day.id, "zoom-file-1", "shared_screen", "MP4", START, START, 10, "https://p", ""],
        )
        yield router, user, day
    db.obj.close_all()


def columns(table):
    return {column.name for column in db.get_columns(table)}


@pytest.mark.every_database
def test_the_zoom_rows_move_into_the_neutral_tables(at_014):
    router, user, day = at_014
    router.run()
    [seen] = Attendance.select()
    assert (seen.day_id, seen.person, seen.seconds, seen.user_id) == (
        day.id,
        "ann@example.com",
        1800,
        None,
    )
    [kept] = Recording.select()
    assert (kept.file_id, kept.platform, kept.hidden_at, kept.play_url) == (
        "zoom-file-1",
        "zoom",
        None,
        "https://p",
    )
    assert {"allows_bbb_recordings", "bbb_auto_start_recording"} <= columns("company")
    assert {"zoomattendance", "zoomrecording"}.isdisjoint(db.get_tables())
    indexes = {index.name for index in db.get_indexes("recording")}
    assert {"recording_file_id", "recording_day_id"} <= indexes


@pytest.mark.every_database
def test_rolling_back_keeps_zoom_and_drops_what_bigbluebutton_wrote(at_014):
    router, user, day = at_014
    router.run("015_meeting_records")  # the last migration run is the one rolled back
    Recording.create(day=day, platform="bigbluebutton", file_id="bbb-1", play_url="https://b")
    Attendance.create(day=day, person=f"user:{user.id}", user=user, seconds=60)
    router.rollback()
    assert "recording" not in db.get_tables() and "attendance" not in db.get_tables()
    assert [row[0] for row in db.execute_sql("SELECT file_id FROM zoomrecording")] == [
        "zoom-file-1"
    ]
    assert [row[0] for row in db.execute_sql("SELECT person FROM zoomattendance")] == [
        "ann@example.com"
    ]
    assert "user_id" not in columns("zoomattendance")
    assert "platform" not in columns("zoomrecording")
    assert "allows_bbb_recordings" not in columns("company")
    router.run()  # and forward again
    assert Recording.select().count() == 1 and Attendance.select().count() == 1
