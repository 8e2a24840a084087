"""Bulk session upload through the screen and the command: file-level answers, the result
of every row, the result CSV and its email, the background job."""

import csv
import io
import os
import re
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import tasks
from imports import lifecycle
from models import Company, Email, Role, Session, SessionKind, Upload, UploadRow, User, db
from sessions import bulk_upload, mentoring
from sessions.bulk_rows import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "mentored-sample.csv"


def post_file(client, data, filename="sessions.csv", mode="check"):
    return client.post(
        "/bulk-upload",
        data={"file": (io.BytesIO(data), filename), "mode": mode},
        headers={"HX-Request": "true"},
    )


def read_csv(text):
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def only_upload():
    with db.connection_context():
        return Upload.get()


def result_rows():
    with db.connection_context():
        return list(UploadRow.select().order_by(UploadRow.line))


@pytest.fixture
def host_may_create(app):
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()


def test_bulk_upload_page_offers_the_sample_and_both_buttons(admin):
    page = admin.get("/bulk-upload")

    assert page.status_code == 200
    assert page.text.count("<h1>") == 1
    assert "Download sample CSV" in page.text
    assert 'value="check"' in page.text and 'value="apply"' in page.text


def test_bulk_upload_sample_has_the_17_columns_and_two_rows(admin):
    response = admin.get("/bulk-upload/sample.csv")

    rows = read_csv(response.text)
    assert response.mimetype == "text/csv"
    assert rows[0] == list(COLUMNS) and len(rows[0]) == 17
    assert len(rows) == 3
    assert [row[0] for row in rows[1:]] == ["Create", "Create"]


def test_bulk_upload_hosts_need_the_company_to_allow_it(sign_in):
    host = sign_in(Role.HOST)
    assert host.get("/bulk-upload").status_code == 403
    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    assert host.get("/bulk-upload").status_code == 200
    assert sign_in(Role.MEMBER).get("/bulk-upload").status_code == 403


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "s.csv", "The file is empty."),
        (b"Action,id\r\n", "s.csv", "Headings missing:"),
        (",".join(COLUMNS).encode() + b"\r\n", "s.csv", "The file has no rows below its headings."),
        (b"%PDF-1.4", "s.pdf", "Upload a .csv or .xlsx file."),
    ],
)
def test_bulk_upload_file_problems_answer_at_once(admin, data, filename, message):
    response = post_file(admin, data, filename)

    assert response.status_code == 422
    assert message in response.text
    assert response.headers["HX-Retarget"] == "#bulk-problem"
    with db.connection_context():
        assert Upload.select().count() == 0


def test_bulk_upload_too_many_rows_for_the_company(admin):
    with db.connection_context():
        Company.update(bulk_rows_limit=3).execute()
    data = SAMPLE.read_bytes()

    response = post_file(admin, data)

    assert response.status_code == 422
    assert "The file has more than 3 rows; at most 3 are allowed." in response.text


def test_bulk_upload_without_a_file(admin):
    response = admin.post("/bulk-upload", data={"mode": "check"}, headers={"HX-Request": "true"})

    assert response.status_code == 422
    assert "Choose a CSV file to check or upload." in response.text


def test_bulk_upload_result_csv_keeps_every_column_and_adds_status(admin):
    post_file(admin, SAMPLE.read_bytes(), "mentored-sample.csv")
    upload = only_upload()

    response = admin.get(f"/bulk-upload/{upload.id}/result.csv")

    rows = read_csv(response.text)
    assert rows[0] == [*COLUMNS, "Status", "Status message"]
    assert len(rows) == 6
    assert all(len(row) == 19 for row in rows)
    assert rows[3][1] == "123345"  # the Edit row keeps its id
    assert re.search(r"mentored-sample-result-\d+\.csv", response.headers["Content-Disposition"])


def test_bulk_upload_command_prints_a_summary(app, make_user, tmp_path):
    make_user(Role.ADMIN, email="boss@example.com")
    out = tmp_path / "result.csv"

    result = app.test_cli_runner().invoke(
        args=[
            "sessions",
            "upload",
            str(SAMPLE),
            "--as",
            "boss@example.com",
            "--check",
            "--out",
            str(out),
        ]
    )

    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"published=0 valid=\d+ deleted=0 invalid=\d+\n", result.output)
    assert read_csv(out.read_text())[0][-2:] == ["Status", "Status message"]


def test_bulk_upload_command_exits_1_on_a_file_problem(app, make_user, tmp_path):
    make_user(Role.ADMIN, email="boss@example.com")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    result = app.test_cli_runner().invoke(
        args=["sessions", "upload", str(empty), "--as", "boss@example.com"]
    )

    assert result.exit_code == 1
    assert "The file is empty." in result.output


def test_bulk_upload_command_refuses_an_unknown_uploader(app):
    result = app.test_cli_runner().invoke(
        args=["sessions", "upload", str(SAMPLE), "--as", "nobody@example.com"]
    )

    assert result.exit_code == 1
    with db.connection_context():
        assert Email.select().count() == 0


# The result by email -----------------------------------------------------------------------


def test_bulk_upload_emails_the_result_csv_to_the_uploader(admin, smtp):
    post_file(admin, SAMPLE.read_bytes(), "mentored-sample.csv", mode="apply")

    [message] = smtp.messages
    assert message["To"] == admin.user.email
    assert "Bulk upload mentored-sample.csv" in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename().startswith("mentored-sample-result-")
    rows = read_csv(attachment.get_content())
    assert rows[0][-2:] == ["Status", "Status message"] and len(rows) == 6


def test_bulk_upload_a_check_sends_no_email(admin, smtp):
    post_file(admin, SAMPLE.read_bytes(), mode="check")

    assert smtp.messages == []


# The background job, in a real Huey consumer -----------------------------------------------


@pytest.fixture
def consumer(app, smtp, tmp_path, monkeypatch):
    """A real Huey consumer process on a queue file of its own; the app enqueues into it."""
    queue = tmp_path / "queue.db"
    monkeypatch.setitem(tasks.huey.storage_kwargs, "filename", str(queue))
    tasks.huey.immediate = False
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "HUEY_SQLITE_PATH": str(queue),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SECRET_KEY": "consumer-test",
        "CONVENE_INSTANCE": str(tmp_path),
    }
    command = [str(ROOT / ".venv/bin/huey_consumer"), "tasks.huey", "-k", "thread", "-w", "2"]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(20)
        tasks.huey.immediate = True


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_bulk_upload_large_file_runs_in_the_background_and_shows_progress(admin, consumer, smtp):
    with db.connection_context():
        Company.update(bulk_background_rows=2).execute()

    response = post_file(admin, SAMPLE.read_bytes(), "mentored-sample.csv", mode="apply")

    assert "<progress" in response.text and 'hx-trigger="every 1s"' in response.text
    upload = only_upload()
    wait_for(lambda: not only_upload().is_working)
    fragment = admin.get(f"/bulk-upload/{upload.id}", headers={"HX-Request": "true"})
    assert "<progress" not in fragment.text
    assert "Download the result CSV" in fragment.text
    wait_for(lambda: len(smtp.messages) == 1)
    [attachment] = list(smtp.messages[0].iter_attachments())
    assert len(read_csv(attachment.get_content())) == 6


# The peer product's own sample file ---------------------------------------------------------


@pytest.fixture
def sample_people(app, make_user):
    app.config.update(BBB_URL="http://127.0.0.1:9/bigbluebutton/", BBB_SECRET="secret")
    admin = make_user(Role.ADMIN, email="admin@convene.test")
    for n in (1, 2, 3):
        make_user(Role.HOST, email=f"mentor{n}@example.com", name=f"Mentor {n}")
    for n in (1, 2, 3, 4):
        make_user(Role.MEMBER, email=f"mentee{n}@example.com")
    return admin


def sample_results(app, admin, data, is_check):
    with app.test_request_context("/"), db.connection_context():
        started = bulk_upload.start_upload(
            admin, "mentored-sample.csv", data, Company.current(), is_check
        )
        done = lifecycle.process(started.id)
        return [(row.status, row.message) for row in bulk_upload.result_rows(done)]


def test_bulk_upload_the_peer_sample_as_it_is(app, sample_people):
    results = sample_results(app, sample_people, SAMPLE.read_bytes(), True)

    assert [status for status, _message in results] == ["invalid"] * 5
    future = "Date(DD-MM-YYYY), Time (24 hrs): Choose a time in the future."
    assert results[0][1] == future  # "Big Blue Button" and "13:00 Hrs" are understood
    assert results[1][1] == future
    assert "No mentoring session has the id 123345." in results[2][1]
    assert "No active account has these mentee emails: mentee5@example.org." in results[2][1]
    assert (
        'Meeting Link "5551112222" is not a link; it was read as https://zoom.us/j/5551112222.'
        in results[2][1]
    )
    assert results[3][1] == f"No mentoring session has the id 234555. {future}"
    assert results[4][1] == "No mentoring session has the id 196745."


def test_bulk_upload_the_peer_sample_with_its_sessions_and_a_future_date(
    app, make_user, sample_people
):
    make_user(Role.MEMBER, email="mentee5@example.org")
    day = datetime.now() + timedelta(days=20)
    with app.test_request_context("/"), db.connection_context():
        mentor3 = User.get(User.email == "mentor3@example.com")
        ids = []
        for hour in (2, 5, 8):
            start = datetime.combine(day.date(), datetime.min.time()) + timedelta(hours=hour)
            values = mentoring.MentoringValues(
                title=f"At {hour}",
                description="About",
                session_type="public",
                mentor=mentor3,
                start_at=start,
                end_at=start + timedelta(minutes=30),
                timezone="UTC",
            )
            ids.append(mentoring.create(values, Company.current()).id)
    data = SAMPLE.read_bytes().replace(b"05-02-2024", day.strftime("%d-%m-%Y").encode())
    for old, new in zip((b"123345", b"234555", b"196745"), ids, strict=True):
        data = data.replace(old, str(new).encode())

    results = sample_results(app, sample_people, data, False)

    statuses = [status for status, _message in results]
    assert statuses == ["published", "published", "published", "invalid", "deleted"]
    assert results[0][1] == results[1][1] == ""
    assert (
        results[2][1]
        == 'Meeting Link "5551112222" is not a link; it was read as https://zoom.us/j/5551112222.'
    )
    assert "Mentor 3 already has a session at this time: Communication Skills" in results[3][1]


def test_bulk_upload_new_sessions_fall_back_one_by_one(app, sample_people, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise RuntimeError("a batch that cannot be written at once")

    monkeypatch.setattr(mentoring, "create_many", refuse)
    day = (datetime.now() + timedelta(days=9)).strftime("%d-%m-%Y").encode()
    data = SAMPLE.read_bytes().replace(b"05-02-2024", day)

    results = sample_results(app, sample_people, data, False)

    assert [status for status, _message in results][:2] == ["published", "published"]
    with db.connection_context():
        assert Session.select().where(Session.kind == SessionKind.MENTORING).count() == 2


def test_bulk_upload_threshold_and_row_limit_are_company_settings(admin):
    with db.connection_context():
        company = Company.current()
    assert (company.bulk_rows_limit, company.bulk_background_rows) == (10_000, 200)
    form = {
        "timezone": "UTC",
        "locales": ["en", "ru"],
        "default_locale": "en",
        "mentees_per_session_limit": "20",
        "bulk_rows_limit": "5000",
        "bulk_background_rows": "50",
        "min_duration_minutes": "30",
        "group_minimum_cutoff_hours": "24",
    }

    page = admin.get("/admin/settings")
    response = admin.post("/admin/settings", data=form, headers={"HX-Request": "true"})

    assert 'name="bulk_background_rows"' in page.text
    assert response.status_code < 400, response.text
    with db.connection_context():
        company = Company.current()
    assert (company.bulk_rows_limit, company.bulk_background_rows) == (5000, 50)


@pytest.mark.parametrize("bbb", [True, False], ids=["with BigBlueButton", "without"])
def test_bulk_upload_the_downloaded_sample_passes_as_it_is(app, admin, make_user, bbb):
    make_user(Role.HOST, email="host@example.com")
    if bbb:
        app.config.update(BBB_URL="http://127.0.0.1:9/bigbluebutton/", BBB_SECRET="secret")
    sample = admin.get("/bulk-upload/sample.csv").data

    post_file(admin, sample, "sessions-sample.csv", mode="apply")

    upload = only_upload()
    assert upload.counts == {"published": 2, "valid": 0, "deleted": 0, "invalid": 0}
    with db.connection_context():
        sessions = list(Session.select().where(Session.kind == SessionKind.MENTORING))
    assert {session.host.email for session in sessions} == {"host@example.com"}


def test_bulk_upload_reads_a_workbook_too(admin, make_user):
    from openpyxl import Workbook

    make_user(Role.HOST, email="host@example.com")
    sample = read_csv(admin.get("/bulk-upload/sample.csv").data.decode("utf-8-sig"))
    book = Workbook()
    for row in sample:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)

    post_file(admin, out.getvalue(), "sessions.xlsx")

    assert only_upload().counts["valid"] == 2


def test_bulk_upload_messages_in_the_page_language(admin):
    admin.post("/locale", data={"locale": "ru", "next": "/"})

    post_file(admin, SAMPLE.read_bytes())

    rows = result_rows()
    assert "Нет менторской сессии с id 196745." in rows[4].message


def test_bulk_upload_a_result_uploaded_again_keeps_one_status_pair(admin):
    post_file(admin, SAMPLE.read_bytes())
    first = admin.get(f"/bulk-upload/{only_upload().id}/result.csv").data

    post_file(admin, first, "again.csv")

    with db.connection_context():
        again = Upload.select().order_by(Upload.id.desc()).first()
    assert again.extra_columns == ["Status", "Status message"]
    rows = read_csv(admin.get(f"/bulk-upload/{again.id}/result.csv").text)
    assert rows[0] == [*COLUMNS, "Status", "Status message"]
