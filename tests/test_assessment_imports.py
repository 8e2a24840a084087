"""Assessment participants from a CSV/XLSX file over HTTP: the preview's outcome per row,
applying through the one-by-one rule (invited at once after the invitation date), the
result CSV, the row limit and a bad file that changes nothing."""

import io
from datetime import timedelta

import pytest
from assessment_fixtures import make_assessment, make_detail
from openpyxl import Workbook

from models import AssessmentParticipant, Company, Email, Upload, UploadKind, db, utcnow


def today_plus(days):
    return (utcnow() + timedelta(days=days)).date().isoformat()


@pytest.fixture
def detail(app):
    """A session whose invitation went out yesterday."""
    with app.app_context(), db.connection_context():
        return make_detail(
            make_assessment(),
            now=utcnow(),
            invitation_on=today_plus(-1),
            completion_on=today_plus(20),
            session_on=today_plus(27),
            reminder_1=None,
            reminder_2=None,
            reminder_3=None,
        )


def upload(admin, detail, content, name="people.csv"):
    return admin.htmx(
        "post",
        f"/admin/assessment-sessions/{detail.session_id}/imports",
        data={"file": (io.BytesIO(content), name)},
    )


def test_preview_gives_each_row_its_outcome_and_apply_adds_and_invites(admin, detail, make_user):
    ann = make_user(name="Ann Added", email="ann@example.com")
    make_user(name="Ivan Inactive", email="ivan@example.com", is_active=False)
    already = make_user(name="Al Ready", email="al@example.com")
    base = f"/admin/assessment-sessions/{detail.session_id}"
    admin.htmx("post", f"{base}/participants", data={"person": str(already.id)})
    content = (
        b"name,email\nAnn,ANN@example.com\nIvan,ivan@example.com\nAl,al@example.com\n"
        b"Nobody,nobody@example.com\nAnn again,ann@example.com\nOops,not-an-email\n"
    )
    preview = upload(admin, detail, content)
    assert preview.status_code == 200
    for text in (
        "Will add: <strong>1</strong>",
        "Inactive account: <strong>1</strong>",
        "Already a participant: <strong>1</strong>",
        "Unknown user: <strong>1</strong>",
        "Duplicate in file: <strong>1</strong>",
        "Malformed email: <strong>1</strong>",
        "Add 1 participant",
    ):
        assert text in preview.text
    with db.connection_context():
        assert AssessmentParticipant.select().count() == 1  # the preview changes nothing
        job = Upload.get()
    applied = admin.htmx("post", f"{base}/imports/{job.id}/apply")
    assert applied.status_code == 200
    assert "Added: <strong>1</strong>" in applied.text
    assert 'hx-swap-oob="true"' in applied.text and "Ann Added" in applied.text
    with db.connection_context():
        assert AssessmentParticipant.select().count() == 2
        # Added after the invitation date: invited at once, like one added by hand.
        invited = Email.select().where(Email.kind == "assessment_invitation", Email.user == ann)
        assert invited.count() == 1
    # A second click changes nothing.
    admin.htmx("post", f"{base}/imports/{job.id}/apply")
    with db.connection_context():
        assert AssessmentParticipant.select().count() == 2
    result = admin.get(f"{base}/imports/{job.id}/result.csv")
    assert result.headers["Content-Type"].startswith("text/csv")
    lines = result.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Line,Email,Outcome,Message"
    assert "2,ann@example.com,Added," in lines and "7,not-an-email,Malformed email," in lines
    assert admin.get(f"{base}/imports/sample.csv").data.decode("utf-8-sig").startswith("email")


def test_an_xlsx_file_is_read_and_the_page_works_without_htmx(admin, detail, make_user):
    make_user(name="Xena Xlsx", email="xena@example.com")
    book = Workbook()
    book.active.append(["Email"])
    book.active.append(["xena@example.com"])
    data = io.BytesIO()
    book.save(data)
    page = admin.post(
        f"/admin/assessment-sessions/{detail.session_id}/imports",
        data={"file": (io.BytesIO(data.getvalue()), "people.xlsx")},
    )
    assert page.status_code == 200 and "Will add: <strong>1</strong>" in page.text
    with db.connection_context():
        job = Upload.get()
    done = admin.post(f"/admin/assessment-sessions/{detail.session_id}/imports/{job.id}/apply")
    assert done.status_code == 200 and "Xena Xlsx" in done.text


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "people.csv", "The file is empty."),
        (b"who\nann@example.com\n", "people.csv", "The first row must name an"),
        (b"email\n", "people.csv", "The file has no rows below its headings."),
        (b"email\nann@example.com\n", "people.pdf", "Upload a .csv or .xlsx file."),
        (b"PK\x03\x04broken", "people.xlsx", "could not be opened as an Excel workbook"),
        (b"email\na@example.com\nb@example.com\nc@example.com\n", "people.csv", "more than 2"),
    ],
)
def test_a_bad_file_gets_one_message_and_changes_nothing(admin, detail, content, name, message):
    with db.connection_context():
        Company.update(bulk_rows_limit=2).execute()
    refused = upload(admin, detail, content, name)
    assert refused.status_code == 422
    assert message in refused.text and refused.text.count('role="alert"') == 1
    assert refused.headers["HX-Retarget"] == "#import-area"
    with db.connection_context():
        assert Upload.select().count() == 0
        assert AssessmentParticipant.select().count() == 0


def test_no_file_and_a_closed_session_are_refused(admin, detail):
    none = admin.htmx("post", f"/admin/assessment-sessions/{detail.session_id}/imports")
    assert none.status_code == 422 and "Choose a file to upload." in none.text
    with db.connection_context():
        detail.closes_at = utcnow() - timedelta(minutes=1)
        detail.save()
    closed = upload(admin, detail, b"email\nann@example.com\n")
    assert closed.status_code == 422 and "completion date has passed" in closed.text


def test_the_one_by_one_add_takes_no_unicode_digit_for_an_id(admin, detail):
    refused = admin.htmx(
        "post", f"/admin/assessment-sessions/{detail.session_id}/participants", data={"query": "²"}
    )
    assert refused.status_code == 422 and "Choose a person from the suggestions" in refused.text


def test_a_large_file_is_added_by_the_job_with_progress(admin, detail, make_user):
    """More rows to add than INLINE_ROWS: the job adds them (inline here, Huey's immediate
    mode); the page polls the import's state until it is done."""
    from sessions.registration_import import INLINE_ROWS

    count = INLINE_ROWS + 5
    with db.connection_context(), db.atomic():
        for number in range(count):
            make_user(name=f"Bulk {number}", email=f"bulk{number}@example.com")
    content = "email\n" + "".join(f"bulk{number}@example.com\n" for number in range(count))
    base = f"/admin/assessment-sessions/{detail.session_id}"
    preview = upload(admin, detail, content.encode())
    assert f"Will add: <strong>{count}</strong>" in preview.text
    with db.connection_context():
        job = Upload.get()
    applied = admin.htmx("post", f"{base}/imports/{job.id}/apply")
    assert applied.status_code == 200
    state = admin.htmx("get", f"{base}/imports/{job.id}")
    assert f"Added: <strong>{count}</strong>" in state.text and "every 1s" not in state.text
    with db.connection_context():
        assert AssessmentParticipant.select().count() == count
        assert Upload.get().done == count


def test_a_restarted_apply_settles_the_rows_already_gone_through(app, detail, make_user):
    from imports import lifecycle

    make_user(name="Done Before", email="before@example.com")
    make_user(name="Still To Do", email="after@example.com")
    rows = [
        {"line": 2, "email": "before@example.com", "outcome": "add", "message": ""},
        {"line": 3, "email": "gone@example.com", "outcome": "add", "message": ""},
        {"line": 4, "email": "after@example.com", "outcome": "add", "message": ""},
    ]
    with app.test_request_context("/"), db.connection_context():
        from werkzeug.datastructures import MultiDict

        from assessments import planning

        planning.add_participant(detail, MultiDict({"person": "before@example.com"}))
        job = Upload.create(
            kind=UploadKind.ASSESSMENT_PARTICIPANTS,
            assessment_session=detail,
            filename="f.csv",
            rows=rows,
            status="working",
            done=2,
        )
        lifecycle.process(job.id)
        outcomes = [row["outcome"] for row in Upload.get_by_id(job.id).rows]
    assert outcomes == ["added", "failed", "added"]
