"""Bulk upload in real headless Chromium: check a file, upload it, watch the progress of
the background job (run by a real Huey consumer) survive a reload, download the result."""

import csv
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from test_browser import assert_not_reloaded
from test_bulk_upload import consumer  # noqa: F401  (the fixture)

from models import Company, Role, Session, SessionKind, db
from sessions.bulk_rows import COLUMNS

pytestmark = pytest.mark.browser
ROWS = 600  # three batches: long enough to watch


def session_file(path):
    first = datetime.now() + timedelta(days=5)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for n in range(ROWS):
            day = (first + timedelta(days=n)).strftime("%d-%m-%Y")
            date = "2026/01/01" if n == 3 else day  # one bad row
            writer.writerow(
                ["Create", "", f"Session {n}", "About", "Public", "mentor@example.com", "", date]
                + ["IST", "17:00 Hrs", "60", "Teachers", "Pedagogy", "English", "Google Meet"]
                + ["https://meet.google.com/abc-mnop-xyz", ""]
            )


@pytest.mark.usefixtures("consumer")
def test_bulk_upload_check_upload_progress_and_result(
    browser_admin,
    live_server,
    make_user,
    tmp_path,
):
    make_user(Role.HOST, email="mentor@example.com")
    with db.connection_context():
        Company.update(bulk_background_rows=100).execute()
    upload = tmp_path / "sessions.csv"
    session_file(upload)
    page = browser_admin
    page.goto(f"{live_server.url}/bulk-upload")
    page.evaluate("window.__noReload = 'still here'")

    page.set_input_files("#bulk-form input[type=file]", str(upload))
    page.click("#bulk-form button:has-text('Check')")
    result = page.locator("#bulk-result")
    expect(result).to_contain_text("Nothing was changed: this was a check.", timeout=60_000)
    expect(result.locator(".status-valid strong")).to_have_text(f"{ROWS - 1}")
    expect(result.locator(".status-invalid strong")).to_have_text("1")
    page.click("#bulk-result a:has-text('Invalid rows')")
    expect(result.locator("tbody tr")).to_have_count(1)
    expect(result.locator("tbody tr")).to_contain_text("Date must be DD-MM-YYYY")
    assert_not_reloaded(page)
    with db.connection_context():
        assert Session.select().where(Session.kind == SessionKind.MENTORING).count() == 0

    page.click("#bulk-form button:has-text('Upload')")
    expect(result.locator("progress")).to_be_visible()
    page.reload()  # the address is the upload's: it comes back, still going or done
    result = page.locator("#bulk-result")
    expect(result).to_contain_text(
        "Done. The result is also on its way to your email.", timeout=60_000
    )
    expect(result.locator(".status-published strong")).to_have_text(f"{ROWS - 1}")
    with page.expect_download() as download:
        page.click("#bulk-result a:has-text('Download the result CSV')")
    with open(download.value.path(), encoding="utf-8-sig") as saved:
        rows = list(csv.reader(saved))
    assert rows[0] == [*COLUMNS, "Status", "Status message"]
    assert len(rows) == ROWS + 1
    assert [row[-2] for row in rows[1:]].count("Published") == ROWS - 1
    assert rows[4][-2] == "Invalid" and "Date must be DD-MM-YYYY" in rows[4][-1]
    assert rows[1][1].isdigit()  # the new session's id
    with db.connection_context():
        assert Session.select().where(Session.kind == SessionKind.MENTORING).count() == ROWS - 1
