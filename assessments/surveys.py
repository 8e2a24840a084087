"""Raters and surveys: a participant names raters (add, edit, remove until the rater has
answered), each rater gets a private link (an unguessable token bound to that rater, valid
until the end of the completion date, revocable), and both fill in their survey: saved as
they go, submitted once."""

import re
import secrets

from flask_babel import gettext as _

from assessments import catalog, outreach
from foundation.forms import FormReader, Invalid
from messaging import mail
from models import (
    AssessmentParticipant,
    AssessmentSession,
    Rater,
    RaterRelationship,
    Registration,
    locked,
    utcnow,
    write_transaction,
)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_BYTES = 32  # 256 bits: the link is the only key a rater has


def new_token():
    return secrets.token_urlsafe(TOKEN_BYTES)


def detail_of(participant):
    return AssessmentSession.get(AssessmentSession.session == participant.registration.session_id)


def is_open(detail, now):
    return detail.invitation_due_at <= now < detail.closes_at


def _require_open(detail, participant, now, field):
    if now >= detail.closes_at:
        raise Invalid({field: _("The assessment is closed: its completion date has passed.")})
    if participant.invited_at is None:
        raise Invalid({field: _("The assessment opens on its invitation date.")})


def _read_rater(detail, form):
    reader = FormReader(form)
    name = reader.text("name", required=True, max_length=120)
    email = reader.text("email", required=True, max_length=254).lower()
    if email and not EMAIL.match(email):
        reader.error("email", _("Enter an email address, like name@example.com."))
    accepted = [key for key, _minimum in catalog.relationships(detail.assessment)]
    relationship = reader.choice("relationship", accepted)
    reader.raise_if_invalid()
    return name, email, relationship


def _check_unique(participant, email, rater_id=None):
    query = Rater.select().where(Rater.participant == participant, Rater.email == email)
    if rater_id is not None:
        query = query.where(Rater.id != rater_id)
    if query.exists():
        raise Invalid({"email": _("This person is already one of your raters.")})
    if participant.registration.user.email == email:
        raise Invalid(
            {"email": _("Your raters are other people: your own view is the self-survey.")}
        )


def add_rater(participant, form, now=None):
    now = now or utcnow()
    detail = detail_of(participant)
    _require_open(detail, participant, now, "name")
    name, email, relationship = _read_rater(detail, form)
    with write_transaction():
        locked(AssessmentParticipant, participant.id)
        _check_unique(participant, email)
        rater = Rater.create(
            participant=participant,
            name=name,
            email=email,
            relationship=relationship,
            token=new_token(),
        )
        outreach.rater_invitation(rater, participant.registration.user, detail.session.timezone)
    mail.request_delivery()
    return rater


def edit_rater(participant, rater, form, now=None):
    """Name, email and relationship change until the rater has answered; a new address gets
    a new link (the old one stops working)."""
    now = now or utcnow()
    detail = detail_of(participant)
    _require_open(detail, participant, now, "name")
    name, email, relationship = _read_rater(detail, form)
    with write_transaction():
        rater = locked(Rater, rater.id)
        if rater.submitted_at is not None:
            raise Invalid({"name": _("This rater has answered and can no longer be changed.")})
        _check_unique(participant, email, rater.id)
        readdressed = email != rater.email
        rater.name, rater.email, rater.relationship = name, email, relationship
        if readdressed:
            rater.token = new_token()
        rater.save()
        if readdressed:
            outreach.rater_invitation(rater, participant.registration.user, detail.session.timezone)
    if readdressed:
        mail.request_delivery()
    return rater


def remove_rater(participant, rater):
    with write_transaction():
        rater = locked(Rater, rater.id)
        if rater.submitted_at is not None:
            raise Invalid({"name": _("This rater has answered and can no longer be removed.")})
        rater.delete_instance()


def revoke_link(rater):
    """The link stops working at once; `send_new_link` issues another."""
    Rater.update(token=None).where(Rater.id == rater.id).execute()


def send_new_link(participant, rater, now=None):
    now = now or utcnow()
    detail = detail_of(participant)
    _require_open(detail, participant, now, "name")
    with write_transaction():
        rater = locked(Rater, rater.id)
        if rater.submitted_at is not None:
            raise Invalid({"name": _("This rater has answered and can no longer be changed.")})
        rater.token = new_token()
        rater.save()
        outreach.rater_invitation(rater, participant.registration.user, detail.session.timezone)
    mail.request_delivery()
    return rater


def rater_by_token(token, now=None):
    """(rater, detail) for a live link, else None: unknown, revoked or past the completion
    date all look the same to whoever holds the link."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None
    rater = Rater.get_or_none(Rater.token == token)
    if rater is None:
        return None
    detail = detail_of(rater.participant)
    if now >= detail.closes_at:
        return None
    return rater, detail


# Answers ------------------------------------------------------------------------------------


def save_answers(respondent, detail, form, submit=False, now=None):
    """Save what the form carries (participant or rater); with `submit`, every rating question
    needs an answer, and the survey is then closed for good."""
    now = now or utcnow()
    model = type(respondent)
    if now >= detail.closes_at:
        raise Invalid({"survey": _("The assessment is closed: its completion date has passed.")})
    answers = catalog.clean_answers(detail.assessment, form)
    with write_transaction():
        row = locked(model, respondent.id)
        if row.submitted_at is not None:
            raise Invalid({"survey": _("This survey has been submitted and cannot change.")})
        if isinstance(row, AssessmentParticipant) and row.invited_at is None:
            raise Invalid({"survey": _("The assessment opens on its invitation date.")})
        row.answers = answers
        row.saved_at = now
        if submit:
            missing = catalog.missing_ratings(detail.assessment, answers)
            if missing:
                row.save()
                errors = {
                    f"q_{key}": _("Choose a rating or \u201cNot observed\u201d.") for key in missing
                }
                errors["survey"] = _(
                    "%(count)d questions have no answer yet. Your answers are saved.",
                    count=len(missing),
                )
                raise Invalid(errors)
            row.submitted_at = now
        row.save()
    return row


def progress(detail, participant_rows):
    """Per participant: self-survey state and, per relationship, raters named / answered
    against the minimum. Two queries whatever the number of participants."""
    wanted = catalog.relationships(detail.assessment)
    raters = {}
    for rater in Rater.select().where(Rater.participant.in_([row.id for row in participant_rows])):
        raters.setdefault(rater.participant_id, []).append(rater)
    result = {}
    for row in participant_rows:
        mine = raters.get(row.id, [])
        result[row.id] = [
            {
                "key": key,
                "label": RaterRelationship.label(key),
                "minimum": minimum,
                "named": sum(r.relationship == key for r in mine),
                "answered": sum(r.relationship == key and r.submitted_at is not None for r in mine),
            }
            for key, minimum in wanted
        ]
    return result


def my_participations(user):
    return list(
        AssessmentParticipant.select(AssessmentParticipant, Registration)
        .join(Registration)
        .where(Registration.user == user)
        .order_by(AssessmentParticipant.id.desc())
    )
