"""Cancelling or deleting an assessment session (admin).

Cancel, before the session date: the session is marked cancelled (`Session.cancelled_at`);
the sweep sends it no invitation or reminder, emails of it still in the outbox are dropped
when the worker meets them, raters' links stop opening and surveys stop saving. Invited
participants and raters who have not submitted are told, in one transaction with the mark:
participants through one broadcast, raters (who have no account) one outbox row each; the
worker renders every email.
Delete: only while nobody has been invited; the session goes with everything under it."""

from datetime import datetime, time

from flask_babel import gettext as _

from assessments import outreach
from foundation import schedule
from foundation.forms import Invalid
from foundation.i18n import pick_text
from foundation.i18n import recipient_locale_of as recipient_locale
from messaging import mail
from messaging.mail import Obsolete, queue_broadcast
from models import (
    AssessmentParticipant,
    AssessmentSession,
    Rater,
    Registration,
    Session,
    User,
    locked,
    utcnow,
    write_transaction,
)
from sessions import history


def is_cancelled(detail):
    return Session.get_by_id(detail.session_id).cancelled_at is not None


def starts_at(detail):
    """The start of the session date, in the session's zone."""
    zone = Session.get_by_id(detail.session_id).timezone
    return schedule.to_utc(datetime.combine(detail.session_on, time()), zone)


def invited_anyone(detail):
    return (
        AssessmentParticipant.select()
        .join(Registration)
        .where(
            Registration.session == detail.session_id,
            AssessmentParticipant.invited_at.is_null(False),
        )
        .exists()
    )


def can_cancel(detail, now=None):
    now = now or utcnow()
    return not is_cancelled(detail) and now < starts_at(detail)


def can_delete(detail):
    return not invited_anyone(detail)


def cancel(detail, now=None):
    """Cancel the session and tell who is waiting on it; returns how many were told."""
    now = now or utcnow()
    if now >= starts_at(detail):
        raise Invalid({"cancel": _("The session date has come: the session cannot be cancelled.")})
    with write_transaction():
        session = locked(Session, detail.session_id)
        if session.cancelled_at is not None:
            raise Invalid({"cancel": _("The assessment session is cancelled.")})
        session.cancelled_at = now
        session.save()
        history.record_session(history.Change.SESSION_CANCELLED, session, None, {"cancelled": True})
        participants = list(
            AssessmentParticipant.select(AssessmentParticipant, Registration, User)
            .join(Registration)
            .join(User)
            .where(
                Registration.session == session.id,
                AssessmentParticipant.invited_at.is_null(False),
            )
        )
        users = {participant.id: participant.registration.user for participant in participants}
        raters = list(
            Rater.select().where(
                Rater.participant.in_(list(users)),
                Rater.submitted_at.is_null(),
                Rater.token.is_null(False),
            )
        )
        queue_broadcast(
            f"assessment_cancelled:{session.id}",
            "assessment_cancelled",
            [user.id for user in users.values()],
            session_id=session.id,
        )
        for rater in raters:
            outreach.queue_rater_email(
                rater,
                "assessment_rater_cancelled",
                f"assessment_cancelled:{session.id}:r{rater.id}",
                recipient_locale(users[rater.participant_id]),
                session.timezone,
            )
    told = len(users) + len(raters)
    if told:
        mail.request_delivery()
    return told


def delete(detail):
    with write_transaction():
        locked(Session, detail.session_id)
        if invited_anyone(detail):
            raise Invalid(
                {"delete": _("Participants have been invited: cancel the session instead.")}
            )
        history.record_deletions([detail.session])
        Session.delete().where(Session.id == detail.session_id).execute()


# Loaders -------------------------------------------------------------------------------------


def _cancelled_detail(session_id):
    detail = AssessmentSession.get_or_none(AssessmentSession.session == session_id)
    if detail is None:
        raise Obsolete("The assessment session was deleted.")
    return detail


def _participant_cancelled(context, locale):
    detail = _cancelled_detail(context["session_id"])
    session = Session.get_by_id(detail.session_id)
    return {
        "title": pick_text(session.name, locale),
        "detail": detail,
        "assessment_name": pick_text(detail.assessment.name, locale),
    }, []


def _rater_cancelled(context, locale):
    rater = Rater.get_or_none(Rater.id == context["rater_id"])
    if rater is None:
        raise Obsolete("The rater was removed.")
    return {
        "rater_name": rater.name,
        "participant_name": rater.participant.registration.user.name,
        "assessment_name": pick_text(
            _cancelled_detail(rater.participant.registration.session_id).assessment.name, locale
        ),
    }, []


# What the worker needs to write each notice kind this module queues (background.py).
NOTICE_LOADERS = {
    "assessment_cancelled": _participant_cancelled,
    "assessment_rater_cancelled": _rater_cancelled,
}
