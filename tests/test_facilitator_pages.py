"""Facilitators reach their reports: a host named facilitator of an assessment session sees
it on their "My sessions" page with its dates and progress, the report link once the
completion date has passed, and gets one email when the report is ready."""

from test_assessment_pages import assessment, close, open_session  # noqa: F401  (fixture)

from assessments import outreach
from models import Email, Role, db, utcnow

PASSWORD = "correct horse battery"


def signed_in(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def test_a_facilitator_sees_their_sessions_and_the_report_once_ready(
    app,
    make_user,
    assessment,  # noqa: F811
):
    fiona = make_user(Role.HOST, name="Fiona Facilitator")
    pat = make_user(name="Pat Participant")
    detail, _rows = open_session(assessment, [pat], host=fiona)
    client = signed_in(app, fiona)

    page = client.get("/host/sessions").text
    assert "Assessment sessions you facilitate" in page
    assert "Leadership Team Development" in page
    assert "0 of 1" in page  # self-surveys submitted
    assert f"/assessment-sessions/{detail.session_id}/report" not in page

    close(detail)
    page = client.get("/host/sessions").text
    report = f"/assessment-sessions/{detail.session_id}/report"
    assert report in page and "Open the report" in page
    assert client.get(report).status_code == 200

    other = signed_in(app, make_user(Role.HOST))
    assert "Assessment sessions you facilitate" not in other.get("/host/sessions").text


def test_the_facilitator_is_emailed_once_when_the_report_is_ready(
    app,
    make_user,
    assessment,  # noqa: F811
):
    fiona = make_user(Role.HOST, name="Fiona Facilitator")
    detail, _rows = open_session(assessment, [make_user()], host=fiona)
    with app.app_context(), db.connection_context():
        assert outreach.tell_facilitators(utcnow()) == 0  # not yet
    close(detail)
    with app.app_context(), db.connection_context():
        outreach.send_due()
        outreach.send_due()
        told = list(Email.select().where(Email.user == fiona.id))
    assert [email.kind for email in told] == ["assessment_report_ready"]
    assert told[0].subject.endswith("the report is ready")
    assert f"/assessment-sessions/{detail.session_id}/report" in told[0].text_body
