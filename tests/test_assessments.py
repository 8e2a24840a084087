"""Assessment sessions: the date rules, the catalog, invitations and reminders with a frozen
clock, rater links, the anonymity threshold and the report's numbers."""

import json
from datetime import datetime, timedelta

import pytest
from assessment_fixtures import (
    AFTER_CLOSE,
    BEFORE,
    INVITATION,
    add_people,
    fresh,
    give_raters,
    make_assessment,
    make_detail,
    rated,
    session_form,
)
from werkzeug.datastructures import MultiDict

from assessments import catalog, outreach, planning, report, surveys
from foundation.forms import Invalid
from messaging import mail
from models import (
    AssessmentParticipant,
    AssessmentReminder,
    Email,
    Rater,
)

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def quiet(monkeypatch):
    """No worker: what the sweep leaves in the outbox stays there to be looked at."""
    monkeypatch.setattr(mail, "request_delivery", lambda: None)


@pytest.fixture
def assessment():
    return make_assessment()


def emails(kind=None):
    query = Email.select().order_by(Email.id)
    if kind:
        query = query.where(Email.kind == kind)
    return [(email.to_address, email.kind) for email in query]


# Dates ---------------------------------------------------------------------------------------


def errors_of(assessment, **changes):
    with pytest.raises(Invalid) as caught:
        make_detail(assessment, **changes)
    return caught.value.errors


def test_dates_must_run_invitation_reminders_completion_then_session(assessment):
    assert errors_of(assessment, completion_on="2030-03-08") == {
        "completion_on": "The assessment completion date must be on or after the invitation date.",
        "reminder_1": "A reminder date must be on or before the assessment completion date.",
        "reminder_2": "A reminder date must be on or before the assessment completion date.",
        "reminder_3": "A reminder date must be on or before the assessment completion date.",
    }
    assert errors_of(assessment, session_on="2030-04-13") == {
        "session_on": "The session date must be after the assessment completion date."
    }
    assert errors_of(assessment, reminder_1="2030-03-08") == {
        "reminder_1": "A reminder date must be on or after the invitation date."
    }
    assert errors_of(assessment, reminder_3="2030-04-14") == {
        "reminder_3": "A reminder date must be on or before the assessment completion date."
    }
    assert errors_of(assessment, invitation_on="", title="") == {
        "invitation_on": "This field is required.",
        "title": "This field is required.",
    }
    assert errors_of(assessment, session_on="20-04-2030")["session_on"] == "Enter a date."


def test_equal_dates_are_allowed_where_the_rule_says_at_most(assessment):
    detail = make_detail(
        assessment, reminder_1="2030-03-09", reminder_3="2030-04-13", session_on="2030-04-14"
    )
    assert detail.session.kind == "assessment"
    assert [r.due_on.isoformat() for r in detail.reminders.order_by(AssessmentReminder.number)] == [
        "2030-03-09",
        "2030-03-16",
        "2030-04-13",
    ]
    # Days in the session's zone: 09:00 in Moscow is 06:00 UTC; the surveys close at the
    # end of the completion date.
    assert detail.invitation_due_at == INVITATION
    assert detail.closes_at == AFTER_CLOSE


def test_guidance_is_advice_not_an_error(assessment):
    dates = {
        "invitation_on": datetime(2030, 3, 9).date(),
        "completion_on": datetime(2030, 3, 23).date(),
        "session_on": datetime(2030, 3, 25).date(),
    }
    notes = planning.guidance(dates)
    assert "14 days from invitation to completion" in notes[0] and "4–6 weeks" in notes[0]
    assert "2 days from completion to the session date" in notes[1] and "7 days" in notes[1]
    assert make_detail(
        assessment,
        completion_on="2030-03-23",
        session_on="2030-03-25",
        reminder_2=None,
        reminder_3=None,
    )
    assert (
        planning.guidance(
            {
                "invitation_on": dates["invitation_on"],
                "completion_on": datetime(2030, 4, 13).date(),
                "session_on": datetime(2030, 4, 20).date(),
            }
        )
        == []
    )


# Catalog -------------------------------------------------------------------------------------


def test_an_assessment_exports_and_imports_as_the_same_document(assessment):
    exported = catalog.export_assessment(assessment)
    copy = catalog.import_assessment(exported)
    assert copy.content == assessment.content
    assert copy.name == {"en": "Leadership 360", "ru": "Лидерство 360"}
    assert len(copy.content["groups"]) == 4
    assert all(
        len([q for q in g["questions"] if q["kind"] == "rating"]) == 3
        for g in copy.content["groups"]
    )


@pytest.mark.parametrize(
    "raw, words",
    [
        ("", "Choose a JSON file"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "one JSON object"),
        (json.dumps({"name": {"en": "X"}}), "at least one question group"),
        (
            json.dumps({"name": {"en": "X"}, "relationships": {"boss": 1}, "groups": []}),
            "Unknown relationship: boss.",
        ),
        ("[" * 5000 + "]" * 5000, "not valid JSON"),
    ],
)
def test_a_bad_assessment_file_is_refused_in_plain_words(raw, words):
    with pytest.raises(Invalid) as caught:
        catalog.import_assessment(raw)
    assert words in caught.value.errors["file"]


# Invitations ---------------------------------------------------------------------------------


@pytest.mark.every_database
def test_invitations_go_once_on_the_invitation_date(backend, quiet, assessment, make_user):
    detail = make_detail(assessment)
    anna, boris = make_user(name="Anna"), make_user(name="Boris")
    add_people(detail, [anna, boris])
    assert outreach.send_due(BEFORE) == (0, 0)
    assert emails() == []

    assert outreach.send_due(INVITATION)[0] == 2
    assert outreach.send_due(INVITATION + timedelta(minutes=1))[0] == 0  # once
    assert sorted(emails("assessment_invitation")) == sorted(
        [(anna.email, "assessment_invitation"), (boris.email, "assessment_invitation")]
    )
    # Added after the invitation date: invited at once.
    clara = make_user(name="Clara")
    add_people(detail, [clara], now=INVITATION + timedelta(days=1))
    assert emails()[-1] == (clara.email, "assessment_invitation")
    assert len(emails("assessment_invitation")) == 3


def test_moving_the_invitation_date_moves_the_invitations(quiet, assessment, make_user):
    detail = make_detail(assessment)
    add_people(detail, [make_user()])
    planning.save_session(
        detail,
        session_form(assessment, invitation_on="2030-03-12", reminder_1="2030-03-12"),
        now=BEFORE,
    )
    assert outreach.send_due(INVITATION) == (0, 0)
    assert outreach.send_due(INVITATION + timedelta(days=3))[0] == 1


def test_participants_are_removed_only_before_the_invitation_date(quiet, assessment, make_user):
    detail = make_detail(assessment)
    first, second = add_people(detail, [make_user(), make_user()])
    planning.remove_participant(detail, first, now=BEFORE)
    with pytest.raises(Invalid) as caught:
        planning.remove_participant(detail, second, now=INVITATION)
    assert caught.value.errors == {
        "remove": "Participants can be removed only before the invitation date."
    }
    assert AssessmentParticipant.select().count() == 1


# Reminders -----------------------------------------------------------------------------------


@pytest.mark.every_database
def test_reminders_go_only_to_those_not_done_and_once(backend, quiet, assessment, make_user):
    detail = make_detail(assessment)
    done, lazy, short = make_user(name="Done"), make_user(name="Lazy"), make_user(name="Short")
    p_done, p_lazy, p_short = add_people(detail, [done, lazy, short])
    outreach.send_due(INVITATION)
    full = [("manager", 4)] + [("peer", 4)] * 3 + [("direct_report", 4)] * 3
    give_raters(p_done, full)
    give_raters(p_lazy, full)
    waiting = give_raters(p_short, [("manager", 4), ("peer", None)])[1]
    for participant in (p_done, p_short):
        participant = fresh(participant)
        participant.answers = rated(assessment, 4)
        participant.submitted_at = INVITATION
        participant.save()
    Email.delete().execute()

    sent_at = datetime(2030, 3, 16, 14, 0)  # 17:00 in Moscow
    assert outreach.send_due(sent_at - timedelta(minutes=1))[1] == 1  # reminder 1, 9 March
    Email.delete().execute()
    assert outreach.send_due(sent_at)[1] == 1
    assert outreach.send_due(sent_at + timedelta(minutes=5))[1] == 0
    assert sorted(emails()) == sorted(
        [
            (lazy.email, "assessment_reminder"),  # self-survey not submitted
            (short.email, "assessment_reminder"),  # too few raters
            (waiting.email, "assessment_rater_reminder"),  # a rater who has not answered
        ]
    )
    second = AssessmentReminder.get(AssessmentReminder.number == 2)
    assert (second.sent_at, second.sent_count) == (sent_at, 3)
    third = AssessmentReminder.get(AssessmentReminder.number == 3)
    assert third.sent_at is None


def test_a_sent_reminder_cannot_move(quiet, assessment):
    detail = make_detail(assessment)
    outreach.send_due(INVITATION + timedelta(hours=8))
    with pytest.raises(Invalid) as caught:
        planning.save_session(
            detail,
            session_form(assessment, reminder_1="2030-03-10"),
            now=INVITATION + timedelta(hours=8),
        )
    assert caught.value.errors == {"reminder_1": "This reminder has been sent and cannot change."}


# Raters and their links ----------------------------------------------------------------------


@pytest.fixture
def invited(quiet, assessment, make_user):
    detail = make_detail(assessment)
    [participant] = add_people(detail, [make_user(name="Pat")])
    outreach.send_due(INVITATION)
    return detail, fresh(participant)


def rater_form(name="Rhea", email="rhea@example.com", relationship="peer"):
    return MultiDict({"name": name, "email": email, "relationship": relationship})


@pytest.mark.every_database
def test_a_rater_gets_a_private_link_that_only_they_can_use(backend, invited):
    detail, participant = invited
    now = INVITATION + timedelta(days=1)
    rhea = surveys.add_rater(participant, rater_form(), now=now)
    other = surveys.add_rater(participant, rater_form("Olga", "olga@example.com"), now=now)
    assert len(rhea.token) >= 40 and rhea.token != other.token
    assert emails("assessment_rater_invitation") == [
        ("rhea@example.com", "assessment_rater_invitation"),
        ("olga@example.com", "assessment_rater_invitation"),
    ]
    assert surveys.rater_by_token(rhea.token, now)[0].id == rhea.id
    assert surveys.rater_by_token("wrong" + rhea.token[5:], now) is None  # wrong
    assert surveys.rater_by_token(rhea.token, AFTER_CLOSE) is None  # expired
    surveys.revoke_link(rhea)
    assert surveys.rater_by_token(rhea.token, now) is None  # revoked
    renewed = surveys.send_new_link(participant, fresh(rhea), now=now)
    assert surveys.rater_by_token(renewed.token, now)[0].id == rhea.id
    assert emails("assessment_rater_invitation")[-1] == (
        "rhea@example.com",
        "assessment_rater_invitation",
    )


def test_rater_rules_name_the_field(invited):
    detail, participant = invited
    now = INVITATION + timedelta(days=1)
    surveys.add_rater(participant, rater_form(), now=now)
    for form, field, words in [
        (rater_form(email="rhea@example.com"), "email", "already one of your raters"),
        (rater_form(email="not-an-email"), "email", "Enter an email address"),
        (rater_form(relationship="friend"), "relationship", "Choose one of the options."),
        (rater_form(name=""), "name", "This field is required."),
    ]:
        with pytest.raises(Invalid) as caught:
            surveys.add_rater(participant, form, now=now)
        assert words in caught.value.errors[field]
    with pytest.raises(Invalid) as caught:
        surveys.add_rater(participant, rater_form(email="late@example.com"), now=AFTER_CLOSE)
    assert "closed" in caught.value.errors["name"]


def test_a_rater_who_answered_cannot_be_changed_or_removed(invited):
    detail, participant = invited
    now = INVITATION + timedelta(days=1)
    rater = surveys.add_rater(participant, rater_form(), now=now)
    surveys.save_answers(
        rater,
        detail,
        MultiDict(
            {
                f"q_{k}": "4"
                for k in [q["key"] for _g, q in catalog.questions(detail.assessment, "rating")]
            }
        ),
        submit=True,
        now=now,
    )
    with pytest.raises(Invalid):
        surveys.edit_rater(participant, fresh(rater), rater_form(name="New"), now=now)
    with pytest.raises(Invalid):
        surveys.remove_rater(participant, fresh(rater))
    assert Rater.select().count() == 1


def test_a_survey_saves_as_it_goes_and_is_submitted_once(invited):
    detail, participant = invited
    now = INVITATION + timedelta(days=1)
    keys = [q["key"] for _g, q in catalog.questions(detail.assessment, "rating")]
    surveys.save_answers(participant, detail, MultiDict({f"q_{keys[0]}": "5"}), now=now)
    assert fresh(participant).answers == {keys[0]: 5}
    with pytest.raises(Invalid) as caught:
        surveys.save_answers(
            participant, detail, MultiDict({f"q_{keys[0]}": "5"}), submit=True, now=now
        )
    assert "11 questions have no answer yet" in caught.value.errors["survey"]
    assert fresh(participant).submitted_at is None
    form = MultiDict({f"q_{key}": "na" if key == keys[1] else "3" for key in keys})
    surveys.save_answers(participant, detail, form, submit=True, now=now)
    assert fresh(participant).submitted_at == now
    assert fresh(participant).answers[keys[1]] == "na"
    with pytest.raises(Invalid) as caught:
        surveys.save_answers(fresh(participant), detail, form, now=now)
    assert caught.value.errors == {"survey": "This survey has been submitted and cannot change."}


# The report ----------------------------------------------------------------------------------


@pytest.mark.every_database
def test_report_numbers_and_the_anonymity_threshold(backend, invited):
    detail, participant = invited
    assessment = detail.assessment
    participant.answers = rated(assessment, 5)
    participant.submitted_at = INVITATION
    participant.save()
    give_raters(
        participant,
        [
            ("manager", 2),
            ("peer", 2),
            ("peer", 3),
            ("peer", 4),
            ("direct_report", 5),
            ("direct_report", 1),
            ("direct_report", None),
        ],
    )
    [result] = report.session_report(detail, "en")
    group = result["groups"][0]
    assert group["title"] == "Vision and direction"
    assert group["self"] == 5
    rows = {row["key"]: row for row in group["relationships"]}
    assert rows["manager"] | {} == {
        "key": "manager",
        "label": rows["manager"]["label"],
        "count": 1,
        "average": None,
        "spread": None,
        "low": None,
        "high": None,
    }  # 1 rater: hidden
    assert (rows["peer"]["count"], rows["peer"]["average"], rows["peer"]["spread"]) == (3, 3, 0.82)
    assert (rows["peer"]["low"], rows["peer"]["high"]) == (2, 4)
    assert (rows["direct_report"]["count"], rows["direct_report"]["average"]) == (2, None)
    everyone = group["all"]
    assert (everyone["count"], everyone["average"], everyone["spread"]) == (6, 2.83, 1.34)
    assert result["raters_answered"] == 6 and result["raters_named"] == 7
    texts = result["texts"][0]
    assert texts["answers"] == sorted(["text 1", "text 2", "text 2", "text 3", "text 4", "text 5"])
    assert "text 5" not in [t for t in texts["answers"] if t == "self"]
    csv_rows = list(report.score_rows([result]))
    assert csv_rows[1][:5] == [result["name"], "Vision and direction", "Self", "", 5]
    chart = report.chart(result)
    assert chart["bars"][0]["kind"] == "self" and chart["bars"][0]["width"] == 400


def test_not_observed_answers_are_left_out_of_scores(invited):
    detail, participant = invited
    answers = rated(detail.assessment, 4)
    first_key = detail.assessment.content["groups"][0]["questions"][0]["key"]
    answers[first_key] = "na"
    assert report._group_score(answers, detail.assessment.content["groups"][0]) == 4
    answers = {key: "na" for key in answers}
    assert report._group_score(answers, detail.assessment.content["groups"][0]) is None


def test_the_report_waits_for_the_completion_date(invited):
    detail, _participant = invited
    assert not report.is_available(detail, AFTER_CLOSE - timedelta(seconds=1))
    assert report.is_available(detail, AFTER_CLOSE)
