"""Test fixtures: real databases (SQLite always, a throwaway PostgreSQL cluster for tests
marked to run on both), an app per test, signed-in clients, factories and a live server
for the browser tests. Nothing here skips: a service that cannot start fails the run."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

import tasks
from app import create_app, migrate_database
from foundation import schedule
from models import (
    ALL_MODELS,
    Company,
    Day,
    DayFormat,
    Event,
    Role,
    Session,
    User,
    connect_database,
    db,
)
from views import fragments

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "correct horse battery"
ZONE = "Europe/Moscow"
CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')
# Factory users get a cheap hash: hundreds of sign-ins would otherwise spend minutes in
# scrypt. Accounts made through the app (and their tests) still use the real algorithm.
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "every_database: run the test on SQLite and again on PostgreSQL"
    )
    # Real Huey tasks, run inline where they are enqueued (scheduled ones are tested by
    # calling the job function with a frozen clock: docs/stack-notes.md, "Huey").
    tasks.huey.immediate = True


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "every_database"
    ):
        metafunc.parametrize(
            "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
        )


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Databases ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One migrated SQLite file; each test gets a copy (migrations run once per session)."""
    path = tmp_path_factory.mktemp("template") / "convene.db"
    connect_database(f"sqlite:///{path}")
    migrate_database()
    db.obj.close_all()  # pooled connections keep the WAL open: close them to copy one file
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL 15 cluster on loopback, migrated, stopped at the end."""
    base = Path(tempfile.mkdtemp(prefix="convene-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()
    subprocess.run(
        [*as_postgres, PG_BIN / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
    subprocess.run(
        [
            *as_postgres,
            PG_BIN / "pg_ctl",
            "-D",
            data,
            "-o",
            options,
            "-l",
            base / "log",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        connect_database(url)
        migrate_database()
        yield url
    finally:
        subprocess.run(
            [*as_postgres, PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def backend():
    """SQLite unless the test is marked `every_database` (then both, see above)."""
    return "sqlite"


def _empty_postgres():
    tables = ", ".join(f'"{model._meta.table_name}"' for model in ALL_MODELS)
    with db.connection_context():
        db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def app(request, backend, tmp_path, sqlite_template):
    if backend == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        shutil.copy(sqlite_template, tmp_path / "convene.db")
        url = f"sqlite:///{tmp_path / 'convene.db'}"
    application = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "HUEY_SQLITE_PATH": str(tmp_path / "huey.db"),
            "OUTBOX_DIR": str(tmp_path / "outbox"),
            "IMAGE_DIR": str(tmp_path / "images"),
            "SMTP_HOST": None,
            "PUBLIC_URL": "http://127.0.0.1:5000",  # whatever HOST and PORT the run has
            "RATELIMIT_STORAGE_URI": "memory://",  # counts start empty in every test
            "NOTICE_HOLD_SECONDS": 0,  # tests that want the hold set it
        }
    )
    if backend == "postgres":
        _empty_postgres()
    with db.connection_context():
        Company.create(
            timezone=ZONE, locales=["en", "ru"], default_locale="en", is_zoom_enabled=True
        )
    application.test_client_class = CsrfClient
    # The fragments drawn once are kept per process, keyed by their rows, which every fresh
    # test database repeats: each test starts with none drawn, so what it counts (queries,
    # draws) does not depend on which tests ran before it.
    fragments.CACHE.clear()
    yield application
    if not db.is_closed():
        db.close()


@pytest.fixture
def ctx(app):
    """A request context with an open connection, for calling operations directly."""
    with app.test_request_context("/"), db.connection_context():
        yield


@contextmanager
def count_queries():
    """Count the SQL statements the database executes inside the block."""
    statements = []
    original = db.obj.execute_sql

    def counting(sql, *args, **kwargs):
        statements.append(sql)
        return original(sql, *args, **kwargs)

    db.obj.execute_sql = counting
    try:
        yield statements
    finally:
        db.obj.execute_sql = original


# Clients -----------------------------------------------------------------------------------


class CsrfClient(FlaskClient):
    """A test client that sends the page's CSRF token with every change, like htmx does.

    `client.raw_post` and friends are the plain client, for proving refusals.
    """

    def csrf_token(self):
        page = self.get("/login", follow_redirects=True)
        return CSRF_IN_PAGE.search(page.text).group(1)

    def open(self, *args, **kwargs):
        method = kwargs.get("method", "GET").upper()
        if method not in {"GET", "HEAD", "OPTIONS"} and not kwargs.pop("without_csrf", False):
            headers = dict(kwargs.pop("headers", None) or {})
            if "X-CSRFToken" not in headers:  # fetched only when missing: a page of its own
                headers["X-CSRFToken"] = self.csrf_token()
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def htmx(self, method, url, **kwargs):
        headers = {"HX-Request": "true", **kwargs.pop("headers", {})}
        return getattr(self, method)(url, headers=headers, **kwargs)


@pytest.fixture
def make_user(app):
    def make(role=Role.MEMBER, email=None, **fields):
        with db.connection_context():
            count = User.select().count()
            fields.setdefault("name", f"{role.title()} {count}")
            user = User(email=email or f"{role}{count}@example.com", role=role, **fields)
            user.password_hash = FAST_HASH
            user.save()
            return user

    return make


@pytest.fixture
def sign_in(app, make_user):
    """`sign_in(role)` -> a client signed in as a new user of that role (None: a visitor)."""

    def sign(role=Role.ADMIN, **fields):
        client = app.test_client()
        if role is None:
            return client
        user = make_user(role, **fields)
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.text
        client.user = user
        return client

    return sign


@pytest.fixture
def admin(sign_in):
    return sign_in(Role.ADMIN)


# Factories ---------------------------------------------------------------------------------


def local(text):
    return datetime.fromisoformat(text)


@pytest.fixture
def make_event(app):
    def make(title="Leadership Training", dated=True, **fields):
        with db.connection_context():
            starts_on = datetime(2030, 3, 1).date() if dated else None
            return Event.create(
                title={"en": title, "ru": f"{title} (ru)"}, starts_on=starts_on, **fields
            )

    return make


@pytest.fixture
def make_session(app):
    def make(event, name="Daytime", registration_end="2030-02-27T11:59", **fields):
        fields.setdefault("timezone", ZONE)
        end = (
            schedule.to_utc(local(registration_end), fields["timezone"])
            if registration_end
            else None
        )
        with db.connection_context():
            return Session.create(event=event, name={"en": name}, registration_end_at=end, **fields)

    return make


@pytest.fixture
def make_day(app):
    def make(session, start="2030-03-01T10:00", hours=2, **fields):
        fields.setdefault("format", DayFormat.OFFLINE)
        fields.setdefault("address", "Main hall")
        start_at = schedule.to_utc(local(start), session.timezone)
        with db.connection_context():
            return Day.create(
                session=session,
                start_at=start_at,
                end_at=start_at + timedelta(hours=hours),
                **fields,
            )

    return make


# Mail --------------------------------------------------------------------------------------


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback; the app delivers to it."""
    from smtp_sink import start_sink

    sink, controller = start_sink()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_TLS="none")
    sink.port = controller.port
    yield sink
    controller.stop()


# Browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium; never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def live_server(app):
    """The app served over HTTP from a thread, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


@pytest.fixture
def browser_as(page, live_server, make_user):
    """`browser_as(role)`: the Chromium page, signed in as a new user of that role."""

    def sign(role):
        user = make_user(role)
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{live_server.url}/{'admin/events' if role == Role.ADMIN else 'home'}")
        page.user = user
        return page

    return sign


@pytest.fixture
def browser_admin(browser_as):
    return browser_as(Role.ADMIN)


# BigBlueButton -------------------------------------------------------------------------------

BBB_SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"


@pytest.fixture
def bbb(app):
    """A BigBlueButton stand-in on loopback; the app is configured to use it."""
    from bbb_standin import BigBlueButtonStandIn

    server = BigBlueButtonStandIn(BBB_SECRET).start()
    app.config.update(BBB_URL=server.url, BBB_SECRET=BBB_SECRET, BBB_CHECKSUM="sha256")
    yield server
    server.stop()
