"""Creating group sessions (with the invitees type-ahead), and the host's "Cancel session" /
"Keep it" answer for a session below its minimum. A group session's page and invitations
are views/session_pages.py; the host's screens, views/hosting.py."""

from flask import Blueprint, abort, g, render_template, request
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import INVITEE_SEARCHES, allow, limiter, private_link
from foundation.forms import Invalid, row_ids
from foundation.i18n import current_company, viewer_timezone
from models import Role, Session, User
from sessions import group_sessions, hosting
from views.lookups import get_or_404
from views.type_ahead import searcher, too_many_searches

URL_PREFIXES = ("/group-sessions",)
bp = Blueprint("group_sessions", __name__)


def require_gate():
    """Creating group sessions exists only while the company allows it."""
    if not current_company().allows_group_sessions:
        abort(404)


@bp.route("/group-sessions/new")
@allow(Role.HOST)
def new_group_session():
    require_gate()
    return render_template("group/new.html", errors={}, form={}, zone=viewer_timezone())


@bp.route("/group-sessions", methods=["POST"])
@allow(Role.HOST)
def create_group_session():
    require_gate()
    try:
        session = group_sessions.create_group_session(g.user, request.form, current_company())
    except Invalid as error:
        invitees = User.select().where(User.id.in_(row_ids(request.form.getlist("invitees"))))
        context = {
            "errors": error.errors,
            "form": request.form,
            "zone": viewer_timezone(),
            "invitees": invitees,
        }
        return render_template("group/_form.html", **context), 422
    created = render_template("group/_created.html", session=session)
    return make_response(created, trigger={"toast": _("Created!")})


@bp.route("/group-sessions/invitees")
@allow(Role.HOST)
@limiter.limit(INVITEE_SEARCHES, key_func=searcher, on_breach=too_many_searches)
def search_invitees():
    require_gate()
    text = request.args.get("q", "")
    people = group_sessions.search_members(text)
    searched = len(text.strip()) >= 2
    return render_template("group/_invitee_results.html", people=people, searched=searched)


@bp.route("/group-sessions/<int:session_id>/decide/<token>", methods=["GET", "POST"])
@allow(Role.HOST)
@private_link
def decide(session_id, token):
    """ "Cancel session" / "Keep it" for a session below its minimum (host or admin)."""
    session = get_or_404(Session, session_id)
    if not (g.user.is_admin or session.host_id == g.user.id):
        abort(404)  # someone else's session: nothing to decide here
    try:
        decision = group_sessions.read_decision(session, token)
    except Invalid as error:
        return render_template(
            "group/decide.html", session=session, problem=error.errors["token"]
        ), 400
    done = None
    if request.method == "POST":
        if decision == "cancel":
            hosting.cancel_session(session)
            done = _("The session is cancelled and everyone in it has been told.")
        else:
            done = _("The session goes ahead.")
        session = Session.get_by_id(session.id)
    return render_template(
        "group/decide.html", session=session, decision=decision, done=done, problem=None
    )


bp.add_app_template_global(
    lambda: current_company().allows_group_sessions, "group_sessions_allowed"
)
