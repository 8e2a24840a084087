"""A batch of a bulk file written at once gives every row the outcome, and the database
the state, that writing its rows one at a time through the single-session rules gives:
the same file is uploaded both ways and both must match one expected result. Two uploads
applied at the same time keep each other's mentors' times."""

import threading
from collections import Counter

import pytest
from peewee import fn

from imports import lifecycle
from models import (
    Broadcast,
    Company,
    Day,
    Email,
    HistoryEntry,
    Registration,
    RegistrationRole,
    Session,
    SessionKind,
    Status,
    Upload,
    User,
    db,
)
from sessions import bulk_upload, mentoring
from tests.test_bulk_plan import (  # noqa: F401 - `world` is a fixture
    BASE,
    DAY,
    csv_file,
    upload,
    world,
)

# Good rows, bad rows and rows that clash with an earlier row of the file, mixed; the rows
# after a refused one still apply, and a later row sees what an earlier one freed.
ROWS = [
    {"title": "A", "Time (24 hrs)": "14:00", "Mentees(Email)": "e3@example.com"},
    {"title": "B", "Time (24 hrs)": "14:30"},  # clashes with A, in the file
    {"title": "C", "Date(DD-MM-YYYY)": "bad"},
    {"Action": "Edit", "id": "{s1}", "title": "S1 moved", "Time (24 hrs)": "12:00"},
    {"title": "D", "Time (24 hrs)": "10:00"},  # where s1 was until the row before
    {"Action": "Delete", "id": "{s2}"},
    {"title": "E", "Mentor(Email)": "m2@example.com", "Time (24 hrs)": "18:00"},  # s2's time
    {"title": "F", "Mentor(Email)": "ghost@example.com"},
    {"Action": "Edit", "id": "999999"},
    {"title": "G", "Time (24 hrs)": "12:30", "Mentees(Email)": "e2@example.com"},  # S1 moved
    {"Action": "Delete", "id": "{started}"},
    {"title": "H", "Mentor(Email)": "m3@example.com", "Mentees(Email)": "e1@example.com"},
]
EXPECTED_ROWS = [
    ("published", []),
    ("invalid", ["Mentor One already has a session at this time: A"]),
    ("invalid", ["Date"]),
    ("published", []),
    ("published", []),
    ("deleted", []),
    ("published", []),
    ("invalid", ["No active account has the email ghost@example.com."]),
    ("invalid", ["No mentoring session has the id 999999."]),
    ("invalid", ["Mentor One already has a session at this time: S1 moved"]),
    ("invalid", ["A session that has started cannot be edited or deleted."]),
    ("published", []),
]
# title: (mentor, start and end as hh:mm UTC on DAY, mentees holding a seat)
# (change, whose seat): every entry by the bulk upload
EXPECTED_HISTORY = Counter(
    {
        ("session_created", None): 4,  # A, D, E, H
        ("registered", "e3"): 1,  # A's mentee
        ("registered", "e1"): 1,  # H's mentee
        ("status_changed", "e1"): 1,  # no longer invited to S1 moved
        ("days_changed", None): 1,  # S1 moved
        ("session_deleted", None): 1,  # s2
    }
)
EXPECTED_SESSIONS = {
    "A": ("m1", "14:00", "15:00", ["e3"]),
    "D": ("m1", "10:00", "11:00", []),
    "E": ("m2", "18:00", "19:00", []),
    "H": ("m3", "14:00", "15:00", ["e1"]),
    "S1 moved": ("m1", "12:00", "13:00", ["e2"]),  # e1 was invited; e2 came by themselves
}


def _row_by_row(monkeypatch):
    """Every row in a batch of its own, written through `mentoring.create` / `edit` /
    `delete` (the single-session rules), as before batches were written at once."""

    def refuse(*_args, **_kwargs):
        raise RuntimeError("written one by one")

    monkeypatch.setattr(bulk_upload.BulkImporter, "batch_size", 1)
    for name in ("create_many", "edit_many", "delete_many"):
        monkeypatch.setattr(mentoring, name, refuse)


def _with_ids(people):
    return [
        {name: value.format(**people) if "{" in value else value for name, value in row.items()}
        for row in ROWS
    ]


def _sessions(people, new_ids):
    """The live mentoring sessions the upload may have touched, as EXPECTED_SESSIONS."""
    ids = [people["s1"], people["s2"], *new_ids]
    found = {}
    query = (
        Session.select(Session, Day)
        .join(Day, on=(Day.session == Session.id))
        .where(Session.id.in_(ids), Session.kind == SessionKind.MENTORING)
    )
    for session in query:
        seats = (
            Registration.select(User.email)
            .join(User)
            .where(
                Registration.session == session.id,
                Registration.role == RegistrationRole.PARTICIPANT,
                Registration.status.in_(Status.HOLDS_SEAT),
            )
        )
        found[session.name["en"]] = (
            User.get_by_id(session.host_id).email.split("@")[0],
            session.day.start_at.strftime("%H:%M"),
            session.day.end_at.strftime("%H:%M"),
            sorted(email.split("@")[0] for (email,) in seats.tuples()),
        )
        assert session.day.start_at.date() == DAY
    return found


def _since(model, first_id):
    return model.select().where(model.id > first_id)


@pytest.mark.every_database
@pytest.mark.parametrize("written", ["in one batch", "row by row"])
def test_bulk_batch_gives_what_row_by_row_gives(backend, app, world, monkeypatch, written):  # noqa: F811
    if written == "row by row":
        _row_by_row(monkeypatch)
    with db.connection_context():
        last = {
            model: model.select(fn.MAX(model.id)).scalar() or 0
            for model in (Email, HistoryEntry, Broadcast)
        }

    results = upload(app, world, _with_ids(world), False)

    assert len(results) == len(EXPECTED_ROWS)
    for line, ((status, message, _id), (expected, fragments)) in enumerate(
        zip(results, EXPECTED_ROWS, strict=True), start=2
    ):
        assert status == expected, (line, message)
        assert all(fragment in message for fragment in fragments), (line, message)
    new_ids = [session_id for status, _m, session_id in results if status == "published"]
    with db.connection_context():
        assert _sessions(world, new_ids) == EXPECTED_SESSIONS
        assert Session.get_or_none(Session.id == world["s2"]) is None
        assert Session.get_or_none(Session.id == world["started"]) is not None
        emails = Counter(
            (email.kind, email.to_address.split("@")[0]) for email in _since(Email, last[Email])
        )
        broadcasts = Counter(
            (broadcast.kind, tuple(sorted(broadcast.user_ids)))
            for broadcast in _since(Broadcast, last[Broadcast])
        )
        history = Counter(
            (entry.change, entry.person and entry.person.email.split("@")[0])
            for entry in _since(HistoryEntry, last[HistoryEntry])
        )
        assert {entry.actor for entry in _since(HistoryEntry, last[HistoryEntry])} == {
            "bulk_upload"
        }
    assert emails == Counter(
        {
            ("mentoring_invitation", "e3"): 1,
            ("mentoring_invitation", "e1"): 1,
            ("registration_cancelled", "e1"): 1,  # no longer invited to S1 moved
            ("day_changed", "m1"): 1,  # S1 moved: an updated calendar entry each
            ("day_changed", "e2"): 1,
            ("day_cancelled", "m2"): 1,  # s2 deleted
            ("bulk_upload_result", "admin"): 1,
        }
    )
    people = {name: world[name].id for name in ("m1", "m2", "e1", "e2")}
    assert broadcasts == Counter(
        {
            ("day_changed", tuple(sorted([people["m1"], people["e2"]]))): 1,
            ("day_cancelled", (people["m2"],)): 1,
        }
    )
    assert history == EXPECTED_HISTORY


@pytest.mark.every_database
def test_bulk_two_uploads_at_once_keep_each_other_out(backend, app, world):  # noqa: F811
    """Two job workers apply two files at the same time, each clashing with the other at
    one row: each file's other rows are all published, and of the two clashing rows exactly
    one is, the other refused for the clash (the mentors' rows are locked per batch)."""
    files = {
        "first": [
            {"title": "First 14", "Mentor(Email)": "m3@example.com", "Time (24 hrs)": "14:00"},
            {"title": "First 16", "Mentor(Email)": "m3@example.com", "Time (24 hrs)": "16:00"},
            {"title": "First 20", "Mentor(Email)": "m1@example.com", "Time (24 hrs)": "20:00"},
        ],
        "second": [
            {"title": "Second 14", "Mentor(Email)": "m3@example.com", "Time (24 hrs)": "14:30"},
            {"title": "Second 18", "Mentor(Email)": "m3@example.com", "Time (24 hrs)": "18:00"},
            {"title": "Second 20", "Mentor(Email)": "m2@example.com", "Time (24 hrs)": "20:00"},
        ],
    }
    uploads = {}
    with app.test_request_context("/"), db.connection_context():
        for name, rows in files.items():
            data = csv_file([{**BASE, **row} for row in rows])
            uploads[name] = bulk_upload.start_upload(
                world["admin"], f"{name}.csv", data, Company.current(), False
            ).id
    ready, failures = threading.Barrier(2), []

    def apply(upload_id):
        try:
            with app.test_request_context("/"), db.connection_context():
                ready.wait(timeout=10)
                lifecycle.process(upload_id)
        except Exception as error:  # reported below, with the test's failure
            failures.append(error)

    workers = [threading.Thread(target=apply, args=(upload_id,)) for upload_id in uploads.values()]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not failures

    with app.test_request_context("/"), db.connection_context():
        results = {
            row.cells[2]: (row.status, row.message)
            for upload_id in uploads.values()
            for row in bulk_upload.result_rows(Upload.get_by_id(upload_id))
        }
        titles = {session.name["en"] for session in Session.select()}
    clashing = {title: results.pop(title) for title in ("First 14", "Second 14")}
    assert all(status == "published" for status, _message in results.values()), results
    assert sorted(status for status, _m in clashing.values()) == ["invalid", "published"]
    refused = next(message for status, message in clashing.values() if status == "invalid")
    assert "Mentor Three already has a session at this time" in refused
    assert titles >= set(results) and len(titles & set(clashing)) == 1
