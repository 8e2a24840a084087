"""The assessment deadlines a person owes, as items of their schedule
(`sessions.personal_schedule.ScheduleItem`): their own self-survey in each assessment they
take part in, and each survey they were asked to answer as a rater (a rater is matched to
the account by email). A deadline is the end of the completion date: one moment, not a
stretch of time, so it never clashes with a session. It is shown as the last minute
before it closes ("Due Apr 13, 2030, 11:59 PM"), on the completion date itself, since
midnight reads as the next day.

Each kind is one query whatever the number of deadlines.
"""

from datetime import timedelta

from models import (
    AssessmentParticipant,
    AssessmentSession,
    Rater,
    Registration,
    Session,
    SessionKind,
    Status,
    utcnow,
)
from sessions.personal_schedule import OWED, ScheduleItem

LAST_MINUTE = timedelta(minutes=1)
SELF_SURVEY = "self_survey"
RATER_SURVEY = "rater_survey"


def _deadline(kind, session, endpoint, args, user_id):
    session.event = None  # an assessment session stands alone
    return ScheduleItem(
        kind=kind,
        session=session,
        start_at=None,
        end_at=session.detail.closes_at - LAST_MINUTE,
        zone=session.timezone,
        endpoint=endpoint,
        args=args,
        status=OWED,
        user_id=user_id,
    )


def _open_details(query, now):
    return query.where(
        AssessmentSession.closes_at > now,
        Session.cancelled_at.is_null(),
        Session.kind == SessionKind.ASSESSMENT,
    )


def self_surveys_owed(person, now):
    query = (
        AssessmentParticipant.select(
            AssessmentParticipant, Registration, Session, AssessmentSession
        )
        .join(Registration)
        .join(Session)
        .join(AssessmentSession, on=(AssessmentSession.session == Session.id), attr="detail")
        .where(
            Registration.user == person.id,
            Registration.status != Status.CANCELLED,
            AssessmentParticipant.submitted_at.is_null(),
        )
    )
    return [
        _deadline(
            SELF_SURVEY,
            part.registration.session,
            "assessment_surveys.participant_page",
            {"participant_id": part.id},
            person.id,
        )
        for part in _open_details(query, now)
    ]


def rater_surveys_owed(person, now):
    query = (
        Rater.select(Rater, AssessmentParticipant, Registration, Session, AssessmentSession)
        .join(AssessmentParticipant)
        .join(Registration)
        .join(Session)
        .join(AssessmentSession, on=(AssessmentSession.session == Session.id), attr="detail")
        .where(
            Rater.email == person.email,
            Rater.token.is_null(False),
            Rater.submitted_at.is_null(),
            Registration.status != Status.CANCELLED,
        )
    )
    return [
        _deadline(
            RATER_SURVEY,
            rater.participant.registration.session,
            "assessment_surveys.rater_survey",
            {"token": rater.token},
            person.id,
        )
        for rater in _open_details(query, now)
    ]


def owed_by(person, now=None):
    """The deadlines `person` still has to meet, soonest first: two queries."""
    now = now or utcnow()
    owed = self_surveys_owed(person, now) + rater_surveys_owed(person, now)
    return sorted(owed, key=lambda item: item.end_at)
