"""Assessment pages over HTTP: the admin's catalog, session form and Registrations tab, the
participant's page, the rater's private link, and the report with its PDF, CSV and command."""

import io
import re
from datetime import timedelta

import pytest
from assessment_fixtures import (
    add_people,
    fresh,
    give_raters,
    make_assessment,
    make_detail,
    rated,
)

from assessments import catalog
from models import (
    AssessmentParticipant,
    AssessmentSession,
    Email,
    Rater,
    Role,
    Session,
    User,
    db,
    utcnow,
)


def today_plus(days):
    return (utcnow() + timedelta(days=days)).date().isoformat()


APPS = {}


@pytest.fixture
def assessment(app):
    with db.connection_context():
        made = make_assessment()
    APPS[made.id] = app
    return made


def current_app_of(assessment):
    return APPS[assessment.id]


def open_session(assessment, people=(), host=None):
    """A session whose invitation went out yesterday, with `people` invited (the delivery job
    runs inline, in the app, as it does in a request)."""
    with current_app_of(assessment).app_context(), db.connection_context():
        now = utcnow()
        detail = make_detail(
            assessment,
            now=now,
            invitation_on=today_plus(-1),
            completion_on=today_plus(20),
            session_on=today_plus(27),
            reminder_1=None,
            reminder_2=None,
            reminder_3=None,
        )
        if host:
            Session.update(host=host).where(Session.id == detail.session_id).execute()
        rows = add_people(detail, people, now=now)
        return detail, [fresh(row) for row in rows]


def close(detail):
    with db.connection_context():
        AssessmentSession.update(closes_at=utcnow() - timedelta(minutes=1)).where(
            AssessmentSession.id == detail.id
        ).execute()


def test_admin_imports_exports_and_sees_an_assessment(admin, assessment):
    exported = admin.get(f"/admin/assessments/{assessment.id}/export")
    assert exported.headers["Content-Type"].startswith("application/json")
    response = admin.post(
        "/admin/assessments/import",
        data={"file": (io.BytesIO(exported.data), "copy.json")},
    )
    assert response.status_code == 303
    page = admin.get(response.headers["Location"]).text
    assert "Leadership 360" in page and "Explains where the team is going and why." in page
    bad = admin.post("/admin/assessments/import", data={"file": (io.BytesIO(b"{oops"), "bad.json")})
    assert bad.status_code == 422 and "The file is not valid JSON." in bad.text
    assert "Leadership 360" in admin.get("/admin/assessments").text


def test_admin_creates_a_session_with_errors_next_to_the_fields(admin, assessment):
    form = {
        "title": "Leadership Team Development",
        "assessment": str(assessment.id),
        "timezone": "Europe/Moscow",
        "session_on": "2030-04-20",
        "invitation_on": "2030-03-09",
        "completion_on": "2030-04-21",
    }
    refused = admin.htmx("post", "/admin/assessment-sessions", data=form)
    assert refused.status_code == 422
    assert 'data-error-for="session_on"' in refused.text
    assert "The session date must be after the assessment completion date." in refused.text
    guidance = admin.htmx(
        "post", "/admin/assessment-sessions/guidance", data=form | {"completion_on": "2030-03-20"}
    )
    assert "11 days from invitation to completion" in guidance.text
    client = admin.htmx("post", "/admin/client-organizations", data={"client_name": "AAA Parts"})
    assert "AAA Parts" in client.text and "selected" in client.text
    created = admin.htmx(
        "post",
        "/admin/assessment-sessions",
        data=form | {"completion_on": "2030-04-13", "reminder_1": "2030-03-16"},
    )
    assert created.status_code == 200
    with db.connection_context():
        detail = AssessmentSession.get()
    assert (
        created.headers["HX-Redirect"]
        == f"/admin/assessment-sessions/{detail.session_id}/registrations"
    )
    page = admin.get(f"/admin/assessment-sessions/{detail.session_id}").text
    assert 'value="2030-04-13"' in page and "Europe/Moscow" in page
    tab = admin.get(f"/admin/assessment-sessions/{detail.session_id}/registrations").text
    assert "Reminder 1" in tab and "Not sent yet" in tab and "· Moscow (UTC+3)" in tab
    assert "Leadership Team Development" in admin.get("/admin/assessment-sessions").text


def test_admin_registers_participants_with_type_ahead(admin, assessment, make_user):
    detail, _rows = open_session(assessment)
    pat = make_user(name="Patricia Quinn")
    base = f"/admin/assessment-sessions/{detail.session_id}"
    suggestions = admin.htmx("get", f"{base}/people?query=quin").text
    assert f'data-value="{pat.email}"' in suggestions  # a pick puts the email in the box
    added = admin.htmx("post", f"{base}/participants", data={"person": str(pat.id)})
    assert added.status_code == 200 and "Patricia Quinn" in added.text
    again = admin.htmx("post", f"{base}/participants", data={"query": pat.email})
    assert again.status_code == 422 and "Patricia Quinn is already registered." in again.text
    with db.connection_context():
        # The invitation date has passed: invited at once.
        assert Email.get().kind == "assessment_invitation"
        participant = AssessmentParticipant.get()
    refused = admin.htmx("post", f"{base}/participants/{participant.id}/remove")
    assert refused.status_code == 422
    assert "Participants can be removed only before the invitation date." in refused.text


def test_participant_names_raters_and_fills_the_self_survey(sign_in, assessment, make_user):
    client = sign_in(Role.MEMBER)
    detail, [participant] = open_session(assessment, [client.user])
    page = client.get(f"/assessments/{participant.id}").text
    assert "My raters" in page and "Self-survey" in page
    added = client.htmx(
        "post",
        f"/assessments/{participant.id}/raters",
        data={"name": "Rhea Rater", "email": "rhea@example.com", "relationship": "peer"},
    )
    assert added.status_code == 200 and "Rhea Rater" in added.text
    bad = client.htmx(
        "post",
        f"/assessments/{participant.id}/raters",
        data={"name": "X", "email": "nope", "relationship": "peer"},
    )
    assert bad.status_code == 422 and "Enter an email address" in bad.text
    with db.connection_context():
        rater = Rater.get()
    edited = client.htmx(
        "post",
        f"/assessments/{participant.id}/raters/{rater.id}",
        data={"name": "Rhea R.", "email": "rhea@example.com", "relationship": "manager"},
    )
    assert "Rhea R." in edited.text and "Manager" in edited.text
    keys = [q["key"] for _g, q in catalog.questions(assessment, "rating")]
    saved = client.htmx("post", f"/assessments/{participant.id}/survey", data={f"q_{keys[0]}": "4"})
    assert saved.status_code == 200 and "Saved at" in saved.text
    assert saved.headers["HX-Reswap"] == "none"
    early = client.htmx("post", f"/assessments/{participant.id}/survey", data={"submit": "1"})
    assert early.status_code == 422 and "12 questions have no answer yet" in early.text
    done = client.htmx(
        "post",
        f"/assessments/{participant.id}/survey",
        data={f"q_{key}": "3" for key in keys} | {"submit": "1"},
    )
    assert done.status_code == 200 and "Thank you!" in done.text
    with db.connection_context():
        assert fresh(participant).submitted_at is not None


def test_people_reach_only_their_own_assessment(sign_in, assessment, make_user):
    other = make_user()
    detail, [theirs] = open_session(assessment, [other])
    client = sign_in(Role.MEMBER)
    assert client.get(f"/assessments/{theirs.id}").status_code == 404
    with db.connection_context():
        [rater] = give_raters(theirs, [("peer", None)])
    assert (
        client.post(
            f"/assessments/{theirs.id}/raters/{rater.id}", data={"action": "remove"}
        ).status_code
        == 404
    )
    assert client.get(f"/assessment-sessions/{detail.session_id}/report").status_code == 403


def test_a_rater_answers_through_the_link_without_an_account(app, assessment, make_user):
    detail, [participant] = open_session(assessment, [make_user(name="Pat Person")])
    with db.connection_context():
        rater, other = give_raters(participant, [("peer", None), ("peer", None)])
    visitor = app.test_client()
    page = visitor.get(f"/r/{rater.token}")
    assert page.status_code == 200 and "Feedback for Pat Person" in page.text
    assert other.name not in page.text and other.email not in page.text
    assert visitor.get("/r/" + "w" * 43).status_code == 404
    keys = [q["key"] for _g, q in catalog.questions(assessment, "rating")]
    done = visitor.post(f"/r/{rater.token}", data={f"q_{k}": "5" for k in keys} | {"submit": "1"})
    assert done.status_code == 200 and "Thank you!" in done.text
    with db.connection_context():
        assert fresh(rater).submitted_at is not None and fresh(other).submitted_at is None
        Rater.update(token=None).where(Rater.id == other.id).execute()  # revoked
    assert visitor.get(f"/r/{other.token}").status_code == 404
    close(detail)
    assert visitor.get(f"/r/{rater.token}").status_code == 404  # expired


def test_the_report_opens_after_the_completion_date_with_pdf_and_csv(
    sign_in, assessment, make_user, tmp_path
):
    host = make_user(Role.HOST, name="Fiona Facilitator")
    detail, [participant] = open_session(assessment, [make_user(name="Pat Person")], host=host)
    with db.connection_context():
        participant.answers = rated(assessment, 5)
        participant.submitted_at = utcnow()
        participant.save()
        give_raters(participant, [("peer", 2), ("peer", 3), ("peer", 4), ("manager", 1)])
    admin = sign_in(Role.ADMIN)
    base = f"/assessment-sessions/{detail.session_id}/report"
    assert (
        "The report will be available after the assessment completion date" in admin.get(base).text
    )
    assert admin.get(base + ".pdf").status_code == 404
    close(detail)
    page = admin.get(base).text
    assert "Pat Person" in page and "<svg" in page and "3.00" in page
    csv = admin.get(base + ".csv")
    assert "Pat Person,Vision and direction,Peer,3,3.0,0.82,2.0,4.0" in csv.data.decode("utf-8-sig")
    pdf = admin.get(base + ".pdf")
    assert pdf.data.startswith(b"%PDF") and pdf.headers["Content-Type"] == "application/pdf"
    out = tmp_path / "report.pdf"
    result = admin.application.test_cli_runner().invoke(
        args=["assessments", "report", str(detail.session_id), "--pdf", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_the_report_is_for_admins_and_the_session_facilitator_only(app, assessment, make_user):
    from conftest import PASSWORD

    host = make_user(Role.HOST, email="fiona@example.com")
    other_host = make_user(Role.HOST, email="hugo@example.com")
    detail, _rows = open_session(assessment, host=host)
    close(detail)
    for person, status in ((host, 200), (other_host, 404)):
        client = app.test_client()
        client.post("/login", data={"email": person.email, "password": PASSWORD})
        assert client.get(f"/assessment-sessions/{detail.session_id}/report").status_code == status


def test_the_demo_report_opens_with_a_chart(app, sign_in):
    import demo

    with app.test_request_context("/"), db.connection_context():
        demo.load_once()
        finished = AssessmentSession.select().order_by(AssessmentSession.id).first()
        assert User.select().where(User.email == "pavel@convene.test").exists()
    admin = sign_in(Role.ADMIN)
    page = admin.get(f"/assessment-sessions/{finished.session_id}/report").text
    assert "Pavel Petrov" in page and "Sofia Sidorova" in page
    assert len(re.findall("<svg", page)) == 2
    ru = admin.get(
        f"/assessment-sessions/{finished.session_id}/report", headers={"Accept-Language": "ru"}
    )
    assert ru.status_code == 200


def test_an_admin_revokes_a_rater_link(admin, assessment, make_user, app):
    detail, [participant] = open_session(assessment, [make_user(name="Pat Person")])
    with db.connection_context():
        [rater] = give_raters(participant, [("peer", None)])
    base = f"/admin/assessment-sessions/{detail.session_id}"
    tab = admin.get(f"{base}/registrations").text
    assert "Raters of Pat Person" in tab and rater.name in tab
    revoked = admin.htmx("post", f"{base}/raters/{rater.id}/revoke")
    assert "Link revoked" in revoked.text
    assert app.test_client().get(f"/r/{rater.token}").status_code == 404
