"""Applying a registration file in batches, on SQLite and PostgreSQL: every row keeps the
outcome it had when each row went through the booking rules alone (new people, moves,
revivals, sessions that fill up mid-file, invalid rows), capacity holds under two imports
racing for the same seats, and every registration gets its confirmation exactly once."""

import threading

import pytest

from imports import lifecycle
from models import Company, Email, Registration, Session, Status, Upload, User, db
from sessions import booking, registration_import

FULL = "Session seats full"


@pytest.fixture
def run(app):
    """Call an operation (booking.sign_up, ...) the way a request would, for setting up."""

    def call(operation, *args, **kwargs):
        with app.test_request_context("/"), db.connection_context():
            return operation(*args, **kwargs)

    return call


def person(email):
    with db.connection_context():
        return User.create(email=email, name=email.split("@")[0].title(), password_hash="x")


def start(app, event, lines):
    """Preview a file of `lines` ("session,email") as the admin's upload does; the upload."""
    data = ("session,email\n" + "\n".join(lines) + "\n").encode()
    with app.test_request_context("/"), db.connection_context():
        company = Company.current()
        return registration_import.start_import(event, None, "people.csv", data, company)


def apply(app, upload):
    with app.test_request_context("/"), db.connection_context():
        lifecycle.claim(upload.id)
        return lifecycle.process(upload.id)


def outcomes(upload):
    return [(row["line"], row["outcome"], row.get("message", "")) for row in upload.rows]


def held(event):
    """{(email, session name): status} of the event's participant registrations."""
    with db.connection_context():
        query = (
            Registration.select(User.email, Session.name, Registration.status)
            .join(User)
            .switch(Registration)
            .join(Session)
            .where(Registration.event == event)
        )
        return {(email, name["en"]): status for email, name, status in query.tuples()}


def seats(*sessions):
    with db.connection_context():
        return tuple(Session.get_by_id(session.id).seats_taken for session in sessions)


def emails_of(kind):
    """{address: number of emails} of one notice kind in the outbox."""
    with db.connection_context():
        counts = {}
        for email in Email.select().where(Email.kind == kind):
            counts[email.to_address] = counts.get(email.to_address, 0) + 1
        return counts


@pytest.fixture
def mixed(make_event, make_session, run):
    """An event with Small (4 seats, one taken by Sid), Open (no limit) and Full (one seat,
    Gus's), Rae's cancelled registration in Small, members new to the event, and another
    event's Away session."""
    event = make_event(is_active=True)
    small = make_session(event, name="Small", participant_limit=4)
    open_ = make_session(event, name="Open")
    full = make_session(event, name="Full", participant_limit=1)
    make_session(make_event("Other"), name="Away")
    people = {name: person(f"{name}@example.com") for name in "sid gus rae ann bob cat dan".split()}
    people.update({f"n{n}": person(f"n{n}@example.com") for n in range(6)})
    run(booking.register_user, people["sid"], small)
    run(booking.register_user, people["gus"], full)
    run(booking.withdraw, run(booking.register_user, people["rae"], small))
    return event, small, open_, full


MIXED_LINES = [
    "Small,ann@example.com",  # 2 new: registered
    "Open,n0@example.com",  # 3..8 new, a group of six into Open: registered together
    "Open,n1@example.com",
    "Open,n2@example.com",
    "Open,n3@example.com",
    "Open,n4@example.com",
    "Open,n5@example.com",
    "Small,gus@example.com",  # 9 a move from Full: takes Small's last seat but one
    "Small,rae@example.com",  # 10 a revival of her cancelled registration: the last seat
    "Small,bob@example.com",  # 11 full in the preview already
    "Full,cat@example.com",  # 12 full in the preview (Gus's seat frees only when applied)
    "Small,sid@example.com",  # 13 already registered
    "Open,ANN@example.com",  # 14 duplicate in the file
    "Open,nobody@example.com",  # 15 unknown user
    "Away,dan@example.com",  # 16 unknown session
    "Open,not-an-email",  # 17 malformed email
]

MIXED_APPLIED = [
    (2, "registered", ""),
    *[(line, "registered", "") for line in range(3, 9)],
    (9, "registered", ""),
    (10, "registered", ""),
    (11, "session_full", ""),
    (12, "session_full", ""),
    (13, "already_registered", ""),
    (14, "duplicate", ""),
    (15, "unknown_user", ""),
    (16, "unknown_session", ""),
    (17, "bad_email", ""),
]


@pytest.mark.every_database
def test_import_batch_gives_every_kind_of_row_its_outcome(backend, app, mixed):
    event, small, open_, full = mixed
    upload = apply(app, start(app, event, MIXED_LINES))

    assert outcomes(upload) == MIXED_APPLIED
    assert lifecycle.summary(upload) == {
        "registered": 9,
        "session_full": 2,
        "already_registered": 1,
        "duplicate": 1,
        "unknown_user": 1,
        "unknown_session": 1,
        "bad_email": 1,
    }
    assert held(event) == {
        ("sid@example.com", "Small"): Status.APPROVED,
        ("ann@example.com", "Small"): Status.APPROVED,
        ("gus@example.com", "Small"): Status.APPROVED,
        ("gus@example.com", "Full"): Status.CANCELLED,
        ("rae@example.com", "Small"): Status.APPROVED,
        **{(f"n{n}@example.com", "Open"): Status.APPROVED for n in range(6)},
    }
    assert seats(small, open_, full) == (4, 6, 0)
    confirmed = emails_of("registration_confirmed")
    assert confirmed == {
        address: 1
        for address in ["sid", "gus", "rae", "ann", *[f"n{n}" for n in range(6)]]
        for address in [f"{address}@example.com"]
    } | {"rae@example.com": 2}  # her first registration's and her revival's
    assert emails_of("registration_switched") == {"gus@example.com": 1}


@pytest.mark.every_database
def test_import_batch_keeps_file_order_when_seats_go_meanwhile(
    backend, app, make_event, make_session, run
):
    """A row-by-row move between new people into the same session: the seats go in file
    order, as they would one row at a time."""
    event = make_event(is_active=True)
    small = make_session(event, name="Small", participant_limit=3)
    other = make_session(event, name="Other")
    gus = person("gus@example.com")
    for name in ("ann", "bob", "quick"):
        person(f"{name}@example.com")
    run(booking.register_user, gus, other)
    upload = start(
        app, event, ["Small,ann@example.com", "Small,gus@example.com", "Small,bob@example.com"]
    )
    with db.connection_context():
        quick = User.get(User.email == "quick@example.com")
    run(booking.sign_up, quick, small)  # one of the three seats goes after the preview

    upload = apply(app, upload)
    assert outcomes(upload) == [(2, "registered", ""), (3, "registered", ""), (4, "failed", FULL)]
    assert held(event) == {
        ("quick@example.com", "Small"): Status.APPROVED,
        ("ann@example.com", "Small"): Status.APPROVED,
        ("gus@example.com", "Small"): Status.APPROVED,
        ("gus@example.com", "Other"): Status.CANCELLED,
    }
    assert seats(small, other) == (3, 0)


@pytest.mark.every_database
def test_import_batch_fills_a_session_row_by_row_when_the_group_does_not_fit(
    backend, app, make_event, make_session, run
):
    event = make_event(is_active=True)
    small = make_session(event, name="Small", participant_limit=5)
    for n in range(5):
        person(f"n{n}@example.com")
    upload = start(app, event, [f"Small,n{n}@example.com" for n in range(5)])
    for n in range(3):
        run(booking.sign_up, person(f"early{n}@example.com"), small)

    upload = apply(app, upload)
    assert outcomes(upload) == [
        (2, "registered", ""),
        (3, "registered", ""),
        (4, "failed", FULL),
        (5, "failed", FULL),
        (6, "failed", FULL),
    ]
    assert seats(small) == (5,)
    assert emails_of("registration_confirmed") == {
        address: 1
        for address in [
            *(f"early{n}@example.com" for n in range(3)),
            "n0@example.com",
            "n1@example.com",
        ]
    }


@pytest.mark.every_database
def test_two_imports_racing_for_one_session_never_overbook(backend, app, make_event, make_session):
    seats_left, per_file = 30, 25
    event = make_event(is_active=True)
    hall = make_session(event, name="Hall", participant_limit=seats_left)
    files = []
    for side in "ab":
        lines = []
        for n in range(per_file):
            lines.append(f"Hall,{side}{n}@example.com")
            person(f"{side}{n}@example.com")
        files.append(start(app, event, lines))
    assert all(lifecycle.summary(upload) == {"register": per_file} for upload in files)

    results, ready = {}, threading.Barrier(2)

    def apply_one(upload):
        with app.test_request_context("/"), db.connection_context():
            lifecycle.claim(upload.id)
            ready.wait()
            results[upload.id] = lifecycle.process(upload.id)

    threads = [threading.Thread(target=apply_one, args=(upload,)) for upload in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    rows = [row for upload in results.values() for row in upload.rows]
    registered = [row for row in rows if row["outcome"] == "registered"]
    refused = [row for row in rows if row["outcome"] == "failed"]
    assert len(registered) == seats_left
    assert len(refused) == 2 * per_file - seats_left
    assert {row["message"] for row in refused} == {FULL}
    with db.connection_context():
        approved = Registration.select().where(
            Registration.session == hall, Registration.status == Status.APPROVED
        )
        assert {
            user.email
            for user in User.select()
            .join(Registration)
            .where(Registration.id.in_(approved.select(Registration.id)))
        } == {row["email"] for row in registered}
    assert seats(hall) == (seats_left,)
    assert emails_of("registration_confirmed") == {row["email"]: 1 for row in registered}


@pytest.mark.every_database
def test_import_batch_applied_again_registers_and_tells_nobody_twice(
    backend, app, make_event, make_session, monkeypatch
):
    """Two batches of 4 (the second holding a move); the same file again finds everyone
    registered and writes no second email."""
    monkeypatch.setattr(registration_import.RegistrationImporter, "batch_size", 4)
    event = make_event(is_active=True)
    hall, side = make_session(event, name="Hall"), make_session(event, name="Side")
    lines = [f"Hall,n{n}@example.com" for n in range(7)] + ["Side,n0@example.com"]
    for n in range(7):
        person(f"n{n}@example.com")
    first = apply(app, start(app, event, lines[:7]))
    assert lifecycle.summary(first) == {"registered": 7}

    second = apply(app, start(app, event, lines))
    assert [row["outcome"] for row in second.rows] == ["already_registered"] * 7 + ["duplicate"]
    assert seats(hall, side) == (7, 0)
    assert emails_of("registration_confirmed") == {f"n{n}@example.com": 1 for n in range(7)}
    with db.connection_context():
        assert Upload.select().count() == 2
