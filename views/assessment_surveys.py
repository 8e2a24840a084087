"""The participant's assessment page (raters and the self-survey) and the rater's survey
behind a private link, with no account."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import VISITOR, allow, private_link
from assessments import catalog, surveys
from foundation.forms import Invalid
from models import AssessmentParticipant, Rater, RaterRelationship, Registration, Role, utcnow

URL_PREFIXES = ("/assessments", "/r")
bp = Blueprint("assessment_surveys", __name__)


def own_participant_or_404(participant_id):
    """The signed-in person's own participation; anyone else's is "not found"."""
    participant = (
        AssessmentParticipant.select(AssessmentParticipant, Registration)
        .join(Registration)
        .where(AssessmentParticipant.id == participant_id, Registration.user == g.user)
        .first()
    )
    if participant is None:
        abort(404)
    return participant


def own_rater_or_404(participant, rater_id):
    rater = Rater.get_or_none(Rater.id == rater_id, Rater.participant == participant)
    if rater is None:
        abort(404)
    return rater


def page_context(participant, errors=None, form=None, editing=None):
    detail = surveys.detail_of(participant)
    raters = list(participant.raters.order_by(Rater.id))
    return {
        "participant": participant,
        "detail": detail,
        "raters": raters,
        "progress": surveys.progress(detail, [participant])[participant.id],
        "relationships": [
            (key, RaterRelationship.label(key))
            for key, _m in catalog.relationships(detail.assessment)
        ],
        "errors": errors or {},
        "form": form or {},
        "editing": editing,
        "now": utcnow(),
        "is_open": surveys.is_open(detail, utcnow()) and participant.invited_at is not None,
        "answers": participant.answers,
    }


@bp.route("/assessments")
@allow(Role.MEMBER)
def my_assessments():
    rows = surveys.my_participations(g.user)
    details = {row.id: surveys.detail_of(row) for row in rows}
    return render_template("assessments/mine.html", rows=rows, details=details)


@bp.route("/assessments/<int:participant_id>")
@allow(Role.MEMBER)
def participant_page(participant_id):
    participant = own_participant_or_404(participant_id)
    return render_template("assessments/participant.html", **page_context(participant))


def raters_answer(participant, errors=None, form=None, editing=None):
    context = page_context(participant, errors, form, editing)
    status = 422 if errors else 200
    if request.htmx:
        return render_template("assessments/_raters.html", **context), status
    if errors:
        return render_template("assessments/participant.html", **context), status
    return redirect(
        url_for("assessment_surveys.participant_page", participant_id=participant.id), 303
    )


@bp.route("/assessments/<int:participant_id>/raters", methods=["POST"])
@allow(Role.MEMBER)
def add_rater(participant_id):
    participant = own_participant_or_404(participant_id)
    try:
        surveys.add_rater(participant, request.form)
    except Invalid as error:
        return raters_answer(participant, error.errors, request.form)
    return raters_answer(participant)


@bp.route("/assessments/<int:participant_id>/raters/<int:rater_id>/edit")
@allow(Role.MEMBER)
def edit_rater_form(participant_id, rater_id):
    participant = own_participant_or_404(participant_id)
    rater = own_rater_or_404(participant, rater_id)
    return raters_answer(participant, editing=rater.id)


@bp.route("/assessments/<int:participant_id>/raters/<int:rater_id>", methods=["POST"])
@allow(Role.MEMBER)
def change_rater(participant_id, rater_id):
    """One address for the row's actions: save, remove, revoke the link, send a new one."""
    participant = own_participant_or_404(participant_id)
    rater = own_rater_or_404(participant, rater_id)
    action = request.form.get("action", "save")
    try:
        if action == "remove":
            surveys.remove_rater(participant, rater)
        elif action == "revoke":
            surveys.revoke_link(rater)
        elif action == "renew":
            surveys.send_new_link(participant, rater)
        else:
            surveys.edit_rater(participant, rater, request.form)
    except Invalid as error:
        editing = rater.id if action == "save" else None
        return raters_answer(
            participant,
            {f"rater_{rater.id}": next(iter(error.errors.values()))} | error.errors,
            request.form,
            editing,
        )
    return raters_answer(participant)


def survey_answer(respondent, detail, template, context, submit):
    try:
        row = surveys.save_answers(respondent, detail, request.form, submit=submit)
    except Invalid as error:
        context |= {
            "errors": error.errors,
            "answers": catalog.clean_answers(detail.assessment, request.form),
        }
        if request.htmx:
            return render_template("assessments/_survey.html", **context), 422
        return render_template(template, **context), 422
    context |= {"errors": {}, "answers": row.answers, "respondent": row}
    if request.htmx and not submit:
        # Saving as one goes: only the "Saved at" line changes, the form and focus stay.
        state = render_template("assessments/_save_state.html", oob=True, **context)
        trigger = {"toast": _("Saved.")} if "submit" in request.form else None
        return make_response(state, reswap="none", trigger=trigger)
    if request.htmx:
        message = _("Submitted. Thank you!")
        return make_response(
            render_template("assessments/_survey.html", **context), trigger={"toast": message}
        )
    return render_template(template, **context)


@bp.route("/assessments/<int:participant_id>/survey", methods=["POST"])
@allow(Role.MEMBER)
def save_self_survey(participant_id):
    participant = own_participant_or_404(participant_id)
    context = page_context(participant) | {
        "respondent": participant,
        "action": url_for("assessment_surveys.save_self_survey", participant_id=participant.id),
        "is_self": True,
    }
    return survey_answer(
        participant,
        context["detail"],
        "assessments/participant.html",
        context,
        submit=request.form.get("submit") == "1",
    )


# Raters, through their private link --------------------------------------------------------


def rater_or_404(token):
    found = surveys.rater_by_token(token)
    if found is None:
        abort(404)
    return found


def rater_context(rater, detail, token):
    return {
        "rater": rater,
        "respondent": rater,
        "detail": detail,
        "participant_name": rater.participant.registration.user.name,
        "answers": rater.answers,
        "errors": {},
        "action": url_for("assessment_surveys.rater_survey", token=token),
        "is_self": False,
        "now": utcnow(),
    }


@bp.route("/r/<token>")
@allow(VISITOR)
@private_link
def rater_survey(token):
    rater, detail = rater_or_404(token)
    return render_template("assessments/rater.html", **rater_context(rater, detail, token))


@bp.route("/r/<token>", methods=["POST"])
@allow(VISITOR)
@private_link
def save_rater_survey(token):
    rater, detail = rater_or_404(token)
    return survey_answer(
        rater,
        detail,
        "assessments/rater.html",
        rater_context(rater, detail, token),
        submit=request.form.get("submit") == "1",
    )
