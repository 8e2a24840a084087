"""Shared pieces of the assessment tests: a questionnaire, a session with chosen dates, a
participant with raters, and answers."""

from datetime import datetime

from werkzeug.datastructures import MultiDict

from assessments import catalog, demo_data, planning
from models import Assessment, AssessmentSession, Rater, Registration, db

# The session: invitation Mon 2 Mar 2030, reminders 9 and 30 Mar, completion 13 Apr,
# session 20 Apr (the seed's example), in Moscow (UTC+3): 09:00 there is 06:00 UTC.
DATES = {
    "session_on": "2030-04-20",
    "invitation_on": "2030-03-09",
    "completion_on": "2030-04-13",
    "reminder_1": "2030-03-09",
    "reminder_2": "2030-03-16",
    "reminder_3": "2030-04-06",
}
BEFORE = datetime(2030, 3, 9, 5, 59)
INVITATION = datetime(2030, 3, 9, 6, 0)
AFTER_CLOSE = datetime(2030, 4, 13, 21, 0)  # 14 Apr 00:00 in Moscow


def make_assessment(document=None):
    clean = catalog.validate(document or demo_data.LEADERSHIP_360)
    return Assessment.create(name=clean["name"], content=clean)


def session_form(assessment, **changes):
    form = {"title": "Leadership Team Development", "assessment": str(assessment.id)}
    form |= {"timezone": "Europe/Moscow"} | DATES | changes
    return MultiDict({key: value for key, value in form.items() if value is not None})


def make_detail(assessment, now=BEFORE, **changes):
    return planning.save_session(None, session_form(assessment, **changes), now=now)


def add_people(detail, users, now=BEFORE):
    return [
        planning.add_participant(detail, MultiDict({"person": str(user.id)}), now=now)
        for user in users
    ]


def fresh(row):
    return type(row).get_by_id(row.id)


def rated(assessment, value):
    """Every rating question answered `value`; text questions answered too."""
    answers = {}
    for _group, question in catalog.questions(assessment):
        answers[question["key"]] = value if question["kind"] == "rating" else f"text {value}"
    return answers


def give_raters(participant, plan, submitted=True):
    """plan: [(relationship, value or None for not submitted)]"""
    raters = []
    with db.atomic():
        for index, (relationship, value) in enumerate(plan):
            raters.append(
                Rater.create(
                    participant=participant,
                    name=f"Rater {index}",
                    email=f"rater{index}.{participant.id}@example.com",
                    relationship=relationship,
                    token=f"token-{participant.id}-{index}-" + "x" * 30,
                    answers={}
                    if value is None
                    else rated(participant_assessment(participant), value),
                    submitted_at=None if value is None else datetime(2030, 3, 20),
                )
            )
    return raters


def participant_assessment(participant):
    registration = Registration.get_by_id(participant.registration_id)
    return AssessmentSession.get(AssessmentSession.session == registration.session_id).assessment
