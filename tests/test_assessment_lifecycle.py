"""Cancelling and deleting an assessment session: the modal confirmation, who is told (one
broadcast to the invited participants, a row per rater who has not answered, emails
rendered by the worker), the sweep that skips a cancelled session, links that stop, and
deletion only while nobody was invited."""

from datetime import datetime, timedelta

import pytest
from assessment_fixtures import (
    BEFORE,
    INVITATION,
    add_people,
    fresh,
    give_raters,
    make_assessment,
    make_detail,
)
from werkzeug.datastructures import MultiDict

from assessments import lifecycle, outreach, planning, surveys
from foundation.forms import Invalid
from messaging import mail
from models import (
    AssessmentParticipant,
    AssessmentReminder,
    AssessmentSession,
    Broadcast,
    Email,
    Session,
    db,
)


@pytest.fixture
def setup(app, make_user):
    """A session invited on 9 March 2030 with two participants, one of them with a rater who
    answered and one who did not; the reminders are still ahead."""
    people = [make_user(name="Pia Part"), make_user(name="Quinn Part")]
    with app.test_request_context("/"), db.connection_context():
        detail = make_detail(make_assessment())
        first, _second = add_people(detail, people)
        outreach.send_due(INVITATION)
        answered, waiting = give_raters(first, [("peer", 4), ("peer", None)])
        Email.delete().execute()
    return detail, people, answered, waiting


def test_cancel_asks_first_then_tells_who_is_waiting_and_stops_everything(admin, app, smtp, setup):
    detail, people, answered, waiting = setup
    base = f"/admin/assessment-sessions/{detail.session_id}"
    assert "Cancel the session" in admin.get(base).text
    before = len(smtp.messages)  # the invitations of the setup
    asked = admin.htmx("post", f"{base}/cancel")
    assert asked.status_code == 200 and "<dialog" in asked.text and "data-modal" in asked.text
    assert 'name="confirmed" value="1"' in asked.text
    with db.connection_context():
        assert Session.get_by_id(detail.session_id).cancelled_at is None  # only asked
    done = admin.htmx("post", f"{base}/cancel", data={"confirmed": "1"})
    assert done.status_code == 200 and done.headers["HX-Redirect"] == base
    assert "3 people will be told" in done.headers["HX-Trigger"]
    with db.connection_context():
        assert Session.get_by_id(detail.session_id).cancelled_at is not None
        [broadcast] = Broadcast.select().where(Broadcast.kind == "assessment_cancelled")
        assert sorted(broadcast.user_ids) == sorted(person.id for person in people)
        rows = Email.select().where(Email.kind == "assessment_rater_cancelled")
        assert [row.to_address for row in rows] == [waiting.email]  # not the one who answered
    with app.app_context(), db.connection_context():
        mail.deliver_due()
    got = sorted((message["To"], message["Subject"]) for message in smtp.messages[before:])
    assert got == sorted(
        [(person.email, "Cancelled: Leadership Team Development") for person in people]
        + [(waiting.email, "Feedback for Pia Part is no longer needed")]
    )
    page = admin.get(base).text
    assert "Cancelled" in page and "Cancel the session" not in page
    assert "Delete the session" not in page  # people were invited
    # The link stops; the sweep sends no reminder; nobody can be added; a second cancel says so.
    assert admin.get(f"/r/{waiting.token}").status_code == 404
    with app.test_request_context("/"), db.connection_context():
        assert surveys.rater_by_token(waiting.token, INVITATION) is None
        Email.delete().execute()
        outreach.send_due(datetime(2030, 3, 16, 14, 0))
        assert Email.select().count() == 0
        assert AssessmentReminder.get(AssessmentReminder.number == 2).sent_count == 0
        with pytest.raises(Invalid):
            planning.add_participant(fresh(detail), MultiDict({"person": "x@example.com"}))
    again = admin.htmx("post", f"{base}/cancel", data={"confirmed": "1"})
    assert again.status_code == 422 and "The assessment session is cancelled." in again.text


def test_emails_queued_before_the_cancel_are_dropped(app, setup, monkeypatch):
    monkeypatch.setattr(mail, "request_delivery", lambda: None)
    detail, _people, _answered, waiting = setup
    with app.test_request_context("/"), db.connection_context():
        outreach.send_due(datetime(2030, 3, 9, 14, 0))  # reminder 1 queued, not delivered
        assert Email.select().where(Email.kind == "assessment_rater_reminder").count() == 1
        lifecycle.cancel(fresh(detail), now=datetime(2030, 3, 10))
        mail.deliver_due()
        reminder = Email.get(Email.kind == "assessment_rater_reminder")
        assert reminder.status != "sent"


def test_a_session_not_yet_invited_is_never_invited_once_cancelled(app, make_user, monkeypatch):
    monkeypatch.setattr(mail, "request_delivery", lambda: None)
    with app.test_request_context("/"), db.connection_context():
        detail = make_detail(make_assessment())
        add_people(detail, [make_user()])
        assert lifecycle.cancel(detail, now=BEFORE) == 0  # nobody invited: nobody told
        assert outreach.send_due(INVITATION) == (0, 0)
        assert AssessmentParticipant.get().invited_at is None
        assert Email.select().count() == 0


def test_cancel_is_refused_from_the_session_date(app, setup):
    detail, *_rest = setup
    with app.test_request_context("/"), db.connection_context():
        start = datetime(2030, 4, 19, 21, 0)  # 20 April 00:00 in Moscow
        assert lifecycle.can_cancel(detail, start - timedelta(minutes=1))
        assert not lifecycle.can_cancel(detail, start)
        with pytest.raises(Invalid) as refused:
            lifecycle.cancel(detail, now=start)
        assert "cannot be cancelled" in refused.value.errors["cancel"]


def test_delete_only_while_nobody_was_invited(admin, app, make_user, setup):
    invited, *_rest = setup
    with app.test_request_context("/"), db.connection_context():
        waiting = make_detail(make_assessment())
        add_people(waiting, [make_user()])
    base = f"/admin/assessment-sessions/{waiting.session_id}"
    asked = admin.htmx("post", f"{base}/delete")
    assert "<dialog" in asked.text and "Delete Leadership Team Development?" in asked.text
    deleted = admin.htmx("post", f"{base}/delete", data={"confirmed": "1"})
    assert deleted.headers["HX-Redirect"] == "/admin/assessment-sessions"
    with db.connection_context():
        assert AssessmentSession.get_or_none(AssessmentSession.id == waiting.id) is None
        assert Session.get_or_none(Session.id == waiting.session_id) is None
        assert AssessmentParticipant.select().count() == 2  # the other session's
    assert admin.get(base).status_code == 404
    refused = admin.htmx(
        "post", f"/admin/assessment-sessions/{invited.session_id}/delete", data={"confirmed": "1"}
    )
    assert refused.status_code == 422
    assert "Participants have been invited: cancel the session instead." in refused.text
    plain = admin.post(f"/admin/assessment-sessions/{invited.session_id}/cancel")
    assert plain.status_code == 200 and "<dialog" in plain.text and " open " in plain.text
