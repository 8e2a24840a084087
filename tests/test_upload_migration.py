"""Migration 013 moves every upload of the three old import tables into `upload` and
`upload_row`, nothing lost, and drops the old tables."""

import json
import uuid
from datetime import date, datetime

import pytest
from peewee_migrate import Router

import config
from models import (
    Assessment,
    AssessmentSession,
    Event,
    Session,
    SessionKind,
    Upload,
    UploadKind,
    UploadRow,
    User,
    connect_database,
    db,
)

CREATED = datetime(2026, 1, 2, 3, 4, 5)
REGISTRATION_ROWS = [
    {"line": 2, "email": "ann@example.com", "session": "Day", "outcome": "registered"},
    {"line": 3, "email": "bob@example.com", "session": "Day", "outcome": "session_full"},
]
PARTICIPANT_ROWS = [{"line": 2, "email": "cat@example.com", "outcome": "add", "message": ""}]


def fresh_database_url(request, backend, tmp_path):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    url = request.getfixturevalue("postgres_url")
    name = f"before_013_{uuid.uuid4().hex[:8]}"
    connect_database(url)
    with db.connection_context():
        db.execute_sql(f"CREATE DATABASE {name}")
    db.obj.close_all()
    return url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def at_012(request, backend, tmp_path):
    """A database migrated up to 012, with a user, an event and an assessment session."""
    connect_database(fresh_database_url(request, backend, tmp_path))
    router = Router(db.obj, migrate_dir=str(config.ROOT / "migrations"), ignore=["basemodel"])
    with db.connection_context():
        router.run("012_assessment_imports")
        user = User.create(email="admin@example.com", name="Admin", password_hash="x")
        event = Event.create(title={"en": "Event"})
        session = Session.create(kind=SessionKind.ASSESSMENT, name={"en": "360"}, timezone="UTC")
        assessment = Assessment.create(name={"en": "A"}, content={})
        day = date(2026, 2, 1)
        detail = AssessmentSession.create(
            session=session,
            assessment=assessment,
            session_on=day,
            invitation_on=day,
            completion_on=day,
            invitation_due_at=CREATED,
            closes_at=CREATED,
        )
        yield router, user, event, detail
    db.obj.close_all()


def sql(statement, values):
    """`statement` with "?" as the database's own parameter mark."""
    return db.execute_sql(statement.replace("?", db.obj.param), values)


def old_rows(user, event, detail):
    """Three bulk uploads (ids 5, 6 and 7, with rows), an applying registration import and a
    previewed assessment import, in the old tables."""
    for upload_id in (5, 6, 7):
        sql(
            "INSERT INTO bulk_upload (id, uploaded_by_id, filename, is_check, data, locale,"
            " columns, extra_columns, total, done, status, counts, created_at, finished_at)"
            " VALUES (?, ?, ?, ?, ?, 'ru', '[\"Action\", \"id\"]', '[\"x\"]', 2, 2, 'done',"
            " '{\"published\": 2}', ?, ?)",
            (upload_id, user.id, f"s{upload_id}.csv", False, b"Action,id\n", CREATED, CREATED),
        )
        for line in (2, 3):
            sql(
                "INSERT INTO bulk_upload_row (upload_id, line, cells, session_id, status,"
                " message) VALUES (?, ?, '[\"Create\", \"\"]', ?, 'published', 'ok')",
                (upload_id, line, upload_id * 10 + line),
            )
    sql(
        "INSERT INTO import_job (event_id, uploaded_by_id, filename, rows, status,"
        " applied_count, created_at) VALUES (?, ?, 'people.csv', ?, 'applying', 1, ?)",
        (event.id, user.id, json.dumps(REGISTRATION_ROWS), CREATED),
    )
    sql(
        "INSERT INTO assessment_import (assessment_session_id, uploaded_by_id, filename, rows,"
        " status, applied_count, created_at) VALUES (?, NULL, 'p.csv', ?, 'preview', 0, ?)",
        (detail.id, json.dumps(PARTICIPANT_ROWS), CREATED),
    )


@pytest.mark.every_database
def test_upload_migration_moves_every_upload_and_drops_the_old_tables(at_012):
    router, user, event, detail = at_012
    old_rows(user, event, detail)

    router.run()

    uploads = list(Upload.select().order_by(Upload.id))
    assert [(u.id, u.kind, u.filename) for u in uploads] == [
        (5, UploadKind.SESSIONS, "s5.csv"),
        (6, UploadKind.SESSIONS, "s6.csv"),
        (7, UploadKind.SESSIONS, "s7.csv"),
        (8, UploadKind.REGISTRATIONS, "people.csv"),
        (9, UploadKind.ASSESSMENT_PARTICIPANTS, "p.csv"),
    ]
    bulk, registrations, participants = uploads[0], uploads[3], uploads[4]
    assert (bulk.uploaded_by_id, bulk.locale, bulk.status, bulk.is_check) == (
        user.id,
        "ru",
        "done",
        False,
    )
    assert (bytes(bulk.data), bulk.columns, bulk.extra_columns) == (
        b"Action,id\n",
        ["Action", "id"],
        ["x"],
    )
    assert (bulk.total, bulk.done, bulk.counts, bulk.finished_at) == (
        2,
        2,
        {"published": 2},
        CREATED,
    )
    assert [
        (r.upload_id, r.line, r.cells, r.session_id, r.status, r.message)
        for r in UploadRow.select().where(UploadRow.upload == 6).order_by(UploadRow.line)
    ] == [
        (6, 2, ["Create", ""], 62, "published", "ok"),
        (6, 3, ["Create", ""], 63, "published", "ok"),
    ]
    assert UploadRow.select().count() == 6
    assert (registrations.event_id, registrations.uploaded_by_id) == (event.id, user.id)
    assert (registrations.rows, registrations.status) == (REGISTRATION_ROWS, "working")
    assert (registrations.total, registrations.done, registrations.created_at) == (2, 1, CREATED)
    assert (participants.assessment_session_id, participants.uploaded_by_id) == (detail.id, None)
    assert (participants.rows, participants.status, participants.total) == (
        PARTICIPANT_ROWS,
        "preview",
        1,
    )
    tables = set(db.get_tables())
    assert not tables & {"import_job", "bulk_upload", "bulk_upload_row", "assessment_import"}
    assert Upload.create(kind=UploadKind.SESSIONS, filename="new.csv").id == 10


@pytest.mark.every_database
def test_upload_migration_rolls_back_into_the_old_tables(at_012):
    router, user, event, detail = at_012
    old_rows(user, event, detail)
    before = {table: table_rows(table) for table in OLD_TABLES}

    router.run("013_uploads")  # the last migration run is the one rolled back
    router.rollback()

    assert {table: table_rows(table) for table in OLD_TABLES} == before
    assert not {"upload", "upload_row"} & set(db.get_tables())


OLD_TABLES = {
    "bulk_upload": "id, uploaded_by_id, filename, locale, total, done, status, counts",
    "bulk_upload_row": "upload_id, line, cells, session_id, status, message",
    "import_job": "event_id, uploaded_by_id, filename, rows, status, applied_count",
    "assessment_import": "assessment_session_id, filename, rows, status, applied_count",
}


def table_rows(table):
    columns = OLD_TABLES[table]
    order = ", ".join(columns.split(", ")[:2])  # unique in each (JSON has no order)
    cursor = db.execute_sql(f"SELECT {columns} FROM {table} ORDER BY {order}")
    return [tuple(str(value) for value in row) for row in cursor.fetchall()]
