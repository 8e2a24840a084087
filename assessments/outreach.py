"""Invitations on the invitation date and reminders on each reminder date, each exactly
once per person: the row that records it (invited_at, a reminder's sent_at) and the
outbox rows are written in one transaction, and outbox keys make a repeated or concurrent
run queue each email once. Dates are read when the sweep runs, so moving a date moves the
work. Below: the loaders the worker renders these notices with."""

from datetime import timedelta

from flask import current_app

from foundation.i18n import pick_text
from foundation.i18n import recipient_locale_of as recipient_locale
from messaging import mail
from messaging.mail import Obsolete, queue_email
from models import (
    AssessmentParticipant,
    AssessmentReminder,
    AssessmentSession,
    Email,
    Rater,
    Registration,
    Session,
    User,
    utcnow,
    write_transaction,
)

# Producers ---------------------------------------------------------------------------------


def _participant_rows(detail):
    return (
        AssessmentParticipant.select(AssessmentParticipant, Registration, User)
        .join(Registration)
        .join(User)
        .where(Registration.session == detail.session_id)
    )


def _cancelled(detail):
    return Session.get_by_id(detail.session_id).cancelled_at is not None


def invite_due(detail, now):
    """Inside the caller's transaction: if the invitation date has come, invite every
    participant not yet invited. Returns how many were."""
    if now < detail.invitation_due_at or now >= detail.closes_at or _cancelled(detail):
        return 0
    invited = 0
    for participant in _participant_rows(detail).where(AssessmentParticipant.invited_at.is_null()):
        claimed = (
            AssessmentParticipant.update(invited_at=now)
            .where(
                AssessmentParticipant.id == participant.id,
                AssessmentParticipant.invited_at.is_null(),
            )
            .execute()
        )
        if claimed:
            queue_email(
                f"assessment_invitation:{participant.id}",
                participant.registration.user,
                "assessment_invitation",
                participant_id=participant.id,
            )
            invited += 1
    return invited


def queue_rater_email(rater, kind, key, locale, zone):
    """A rater has no account: the email goes to their address, in the participant's
    language (the best guess of a colleague's), with times in the session's zone."""
    Email.insert(
        key=key[:255],
        to_address=rater.email,
        user=None,
        kind=kind,
        context={"rater_id": rater.id},
        locale=locale,
        zone=zone,
    ).on_conflict_ignore().execute()


def rater_invitation(rater, participant_user, zone):
    """A new private link: each token is its own notice."""
    queue_rater_email(
        rater,
        "assessment_rater_invitation",
        f"assessment_rater:{rater.id}:{rater.token[:12]}",
        recipient_locale(participant_user),
        zone,
    )


def reminder_recipients(detail):
    """Participants whose self-survey is not submitted or who have fewer raters than the
    assessment asks for, and raters (with a live link) who have not submitted."""
    minimums = detail.assessment.content["relationships"]
    people, raters = [], []
    by_participant = {}
    participants = list(_participant_rows(detail))
    for rater in Rater.select().where(
        Rater.participant.in_([participant.id for participant in participants])
    ):
        by_participant.setdefault(rater.participant_id, []).append(rater)
    for participant in participants:
        named = by_participant.get(participant.id, [])
        short = any(
            sum(rater.relationship == key for rater in named) < minimum
            for key, minimum in minimums.items()
        )
        if participant.submitted_at is None or short:
            people.append(participant)
        raters += [r for r in named if r.submitted_at is None and r.token is not None]
    return people, raters


def send_due_reminders(now):
    sent = 0
    due = (
        AssessmentReminder.select()
        .where(AssessmentReminder.due_at <= now, AssessmentReminder.sent_at.is_null())
        .order_by(AssessmentReminder.due_at)
    )
    for reminder in due:
        with write_transaction():
            detail = AssessmentSession.get_by_id(reminder.assessment_session_id)
            ended = now >= detail.closes_at or _cancelled(detail)  # marked, never sent
            people, raters = ([], []) if ended else reminder_recipients(detail)
            marked = (
                AssessmentReminder.update(sent_at=now, sent_count=len(people) + len(raters))
                .where(AssessmentReminder.id == reminder.id, AssessmentReminder.sent_at.is_null())
                .execute()
            )
            if not marked:
                continue
            zone = detail.session.timezone
            for participant in people:
                queue_email(
                    f"assessment_reminder:{reminder.id}:p{participant.id}",
                    participant.registration.user,
                    "assessment_reminder",
                    participant_id=participant.id,
                )
            users = {p.id: p.registration.user for p in _participant_rows(detail)}
            for rater in raters:
                queue_rater_email(
                    rater,
                    "assessment_rater_reminder",
                    f"assessment_reminder:{reminder.id}:r{rater.id}",
                    recipient_locale(users[rater.participant_id]),
                    zone,
                )
            sent += 1
    return sent


REPORT_READY_WINDOW = timedelta(days=2)  # a sweep stopped for a while still tells


def tell_facilitators(now):
    """Once the completion date has passed, the session's facilitator hears that the report
    is ready: once (the key), and only for sessions that closed lately."""
    told = 0
    for detail in (
        AssessmentSession.select(AssessmentSession, Session)
        .join(Session)
        .where(
            AssessmentSession.closes_at <= now,
            AssessmentSession.closes_at > now - REPORT_READY_WINDOW,
            Session.cancelled_at.is_null(),
            Session.host.is_null(False),
        )
    ):
        host = User.get_or_none(User.id == detail.session.host_id)
        if host is None:
            continue
        with write_transaction():
            queue_email(
                f"assessment_report_ready:{detail.id}",
                host,
                "assessment_report_ready",
                session_id=detail.session_id,
            )
        told += 1
    return told


def send_due(now=None):
    """The minutely sweep: invitations whose date has come, then reminders that are due,
    then the facilitators of sessions whose reports are ready."""
    now = now or utcnow()
    invited = 0
    for detail in (
        AssessmentSession.select()
        .join(Session)
        .where(
            AssessmentSession.invitation_due_at <= now,
            AssessmentSession.closes_at > now,
            Session.cancelled_at.is_null(),
        )
    ):
        with write_transaction():
            invited += invite_due(detail, now)
    reminded = send_due_reminders(now)
    if tell_facilitators(now) or invited or reminded:
        mail.request_delivery()
    return invited, reminded


# Loaders -----------------------------------------------------------------------------------


def _link(path):
    return current_app.config["PUBLIC_URL"] + path


def _participant(participant_id):
    participant = AssessmentParticipant.get_or_none(AssessmentParticipant.id == participant_id)
    if participant is None:
        raise Obsolete("The participant was removed.")
    detail = AssessmentSession.get(AssessmentSession.session == participant.registration.session_id)
    if _cancelled(detail):
        raise Obsolete("The assessment session was cancelled.")
    return participant, detail


def _rater(rater_id):
    rater = Rater.get_or_none(Rater.id == rater_id)
    if rater is None or rater.token is None:
        raise Obsolete("The rater was removed or the link revoked.")
    participant, detail = _participant(rater.participant_id)
    return rater, participant, detail


def _participant_notice(context, locale):
    participant, detail = _participant(context["participant_id"])
    session = Session.get_by_id(detail.session_id)
    return {
        "title": pick_text(session.name, locale),
        "detail": detail,
        "assessment_name": pick_text(detail.assessment.name, locale),
        "link": _link(f"/assessments/{participant.id}"),
    }, []


def _rater_notice(context, locale):
    rater, participant, detail = _rater(context["rater_id"])
    return {
        "rater_name": rater.name,
        "participant_name": participant.registration.user.name,
        "detail": detail,
        "assessment_name": pick_text(detail.assessment.name, locale),
        "link": _link(f"/r/{rater.token}"),
    }, []


def _report_ready(context, locale):
    detail = AssessmentSession.get_or_none(AssessmentSession.session == context["session_id"])
    if detail is None or _cancelled(detail):
        raise Obsolete("The assessment session was cancelled or deleted.")
    session = Session.get_by_id(detail.session_id)
    return {
        "title": pick_text(session.name, locale),
        "link": _link(f"/assessment-sessions/{session.id}/report"),
    }, []


# What the worker needs to write each notice kind this module queues (background.py).
NOTICE_LOADERS = {
    "assessment_invitation": _participant_notice,
    "assessment_reminder": _participant_notice,
    "assessment_rater_invitation": _rater_notice,
    "assessment_rater_reminder": _rater_notice,
    "assessment_report_ready": _report_ready,
}
