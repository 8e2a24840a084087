"""Zoom: connecting accounts (the company's in settings, an organizer's own in their profile),
the OAuth callback, Start, Join and a day's recordings, the webhook endpoint Zoom calls
(public, but every call is signed), and the Zoom facts templates ask for. A Zoom day's state
on the admin event page is the event planning screens' (views/event_planning.py)."""

import json
import secrets
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import VISITOR, allow
from foundation.forms import FormReader, Invalid
from meetings.zoom import connections, meeting_sync, oauth, webhooks
from meetings.zoom.transport import ZoomError
from models import (
    Recording,
    Registration,
    Role,
    Session,
    Status,
    ZoomConnection,
    ZoomSettings,
    ZoomState,
    utcnow,
)
from views.lookups import get_or_404, zoom_day_or_404

URL_PREFIXES = ("/zoom", "/admin/zoom")
bp = Blueprint("zoom", __name__)
JOIN_OPENS_MINUTES = 15  # participants see "Join" this long before the start
COMPANY = "company"


# Connecting --------------------------------------------------------------------------------


def _callback_url():
    return current_app.config["PUBLIC_URL"] + url_for("zoom.oauth_callback")


def _send_to_zoom(owner):
    """Remember state and the PKCE verifier in this browser's session, then go to Zoom."""
    if not oauth.is_configured():
        return _settings_answer(
            owner, _("Zoom is not configured: set ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET.")
        )
    state = secrets.token_urlsafe(24)
    verifier, challenge = oauth.new_pkce()
    session["zoom_oauth"] = {
        "state": state,
        "verifier": verifier,
        "owner": owner,
        "next": _local_path(request.form.get("next", "")),
    }
    target = oauth.authorize_url(_callback_url(), state, challenge)
    if request.htmx:
        return make_response("", 204, redirect=target)
    return redirect(target)


def _local_path(path):
    """`path` if it is an address on this site (where to return after connecting), else ""."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else ""


def _back_to(owner):
    return url_for("company_settings.settings") if owner == COMPANY else url_for("profile.profile")


def _settings_answer(owner, message):
    if request.htmx:
        return make_response("", 204, trigger={"toast": message})
    return redirect(_back_to(owner))


@bp.route("/admin/zoom/connect", methods=["POST"])
@allow(Role.ADMIN)
def connect_company():
    return _send_to_zoom(COMPANY)


@bp.route("/zoom/connect", methods=["POST"])
@allow(Role.MEMBER)
def connect_mine():
    return _send_to_zoom(g.user.id)


@bp.route("/zoom/oauth/callback")
@allow(Role.MEMBER)
def oauth_callback():
    pending = session.pop("zoom_oauth", None)
    given = request.args.get("state", "")
    if not pending or not secrets.compare_digest(str(pending.get("state", "")), given):
        return render_template(
            "zoom/connect_failed.html",
            reason=_("The Zoom sign-in did not start here, or it expired. Try again."),
        ), 400
    owner = pending.get("owner")
    if owner == COMPANY and not g.user.is_admin or owner not in (COMPANY, g.user.id):
        abort(403)
    code = request.args.get("code", "")
    if not code:
        return render_template(
            "zoom/connect_failed.html", reason=_("Zoom did not grant access.")
        ), 400
    try:
        payload = oauth.exchange_code(code, _callback_url(), pending.get("verifier", ""))
    except ZoomError as error:
        return render_template("zoom/connect_failed.html", reason=error.message), 502
    connections.connect(None if owner == COMPANY else owner, payload)
    return redirect(pending.get("next") or _back_to(owner))


@bp.route("/admin/zoom/server-to-server", methods=["POST"])
@allow(Role.ADMIN)
def connect_server_to_server():
    if not oauth.has_server_to_server():
        return _settings_answer(COMPANY, _("Set ZOOM_ACCOUNT_ID to use a Server-to-Server app."))
    try:
        payload = oauth.account_token()
    except ZoomError as error:
        return _settings_answer(COMPANY, error.message)
    connections.connect(None, payload, kind=ZoomConnection.SERVER_TO_SERVER)
    return _company_section(_("Zoom account connected."))


@bp.route("/admin/zoom/disconnect", methods=["POST"])
@allow(Role.ADMIN)
def disconnect_company():
    connection = connections.company_connection()
    if connection is not None:
        connections.disconnect(connection)
    return _company_section(_("Zoom account disconnected."))


@bp.route("/zoom/disconnect", methods=["POST"])
@allow(Role.MEMBER)
def disconnect_mine():
    connection = connections.user_connection(g.user.id)
    if connection is not None:
        connections.disconnect(connection)
    body = render_template("zoom/_my_account.html", connection=None)
    return make_response(body, 200, trigger={"toast": _("Zoom account disconnected.")})


def _company_section(toast=None, errors=None, status=200):
    body = render_template(
        "zoom/_company.html",
        connection=connections.company_connection(),
        settings=ZoomSettings.current(),
        errors=errors or {},
    )
    if request.htmx:
        return make_response(body, status, trigger={"toast": toast} if toast else None)
    return redirect(url_for("company_settings.settings")) if status == 200 else (body, status)


@bp.route("/admin/zoom/settings", methods=["POST"])
@allow(Role.ADMIN)
def save_settings():
    try:
        save_zoom_settings(request.form)
    except Invalid as error:
        return _company_section(errors=error.errors, status=422)
    return _company_section(_("Saved."))


def save_zoom_settings(form):
    """The attendance threshold and whether records are kept, from the settings form."""
    reader = FormReader(form)
    threshold = reader.integer("attendance_threshold", minimum=1, maximum=100, required=True)
    reader.raise_if_invalid()
    settings = ZoomSettings.current()
    settings.attendance_threshold = threshold
    settings.keeps_records = reader.flag("keeps_records")
    settings.save()


# Start and join ----------------------------------------------------------------------------


def _may_start(day):
    return g.user.is_admin or day.zoom_organizer_id == g.user.id


@bp.route("/zoom/days/<int:day_id>/start")
@allow(Role.MEMBER)
def start(day_id):
    """The host's way in: a fresh start_url each time (Zoom's expire after two hours)."""
    day = zoom_day_or_404(day_id)
    if not _may_start(day):
        abort(404)
    if day.zoom.state != ZoomState.READY:
        return render_template(
            "zoom/connect_failed.html", reason=_("The conference is not ready yet.")
        ), 409
    try:
        return redirect(meeting_sync.start_url(day))
    except ZoomError as error:
        return render_template("zoom/connect_failed.html", reason=error.message), 502


def join_is_open(day, now=None):
    now = now or utcnow()
    return day.start_at - timedelta(minutes=JOIN_OPENS_MINUTES) <= now <= day.end_at


@bp.route("/zoom/days/<int:day_id>/join")
@allow(Role.MEMBER)
def join(day_id):
    day = zoom_day_or_404(day_id)
    registered = (
        Registration.select()
        .where(
            Registration.session == day.session_id,
            Registration.user == g.user.id,
            Registration.status.in_(Status.HOLDS_SEAT),
        )
        .exists()
    )
    if not (registered or _may_start(day)) or not day.zoom.join_url:
        abort(404)
    if not join_is_open(day):
        return render_template(
            "zoom/connect_failed.html", reason=_("Joining opens 15 minutes before the start.")
        ), 409
    return redirect(day.zoom.join_url)


@bp.route("/zoom/days/<int:day_id>/recordings")
@allow(Role.MEMBER)
def recordings(day_id):
    """Conference records of a day, for admins and the session's participants."""
    day = zoom_day_or_404(day_id)
    if not g.user.is_admin:
        taking_part = (
            Registration.select()
            .where(Registration.session == day.session_id, Registration.user == g.user.id)
            .exists()
        )
        if not taking_part:
            abort(404)
    files = (
        Recording.select()
        .where(Recording.day == day, Recording.hidden_at.is_null())
        .order_by(Recording.start_at)
    )
    return render_template("zoom/_recordings.html", day=day, files=list(files))


# Webhooks ----------------------------------------------------------------------------------


@bp.route("/zoom/webhook", methods=["POST"])
@allow(VISITOR)
def webhook():
    """Zoom's event notifications: signed with the webhook secret token (x-zm-signature,
    v0:{timestamp}:{body}, within five minutes), or refused with 401."""
    secret = current_app.config.get("ZOOM_WEBHOOK_SECRET") or ""
    raw = request.get_data(cache=True)
    signed = webhooks.is_signed(
        secret,
        request.headers.get("x-zm-request-timestamp", ""),
        raw,
        request.headers.get("x-zm-signature", ""),
    )
    if not signed:
        return {"error": "invalid signature"}, 401
    try:
        event = json.loads(raw)
    except ValueError:
        return {"error": "not JSON"}, 400
    if not isinstance(event, dict):
        return {"error": "not an event"}, 400
    if event.get("event") == "endpoint.url_validation":
        plain = str((event.get("payload") or {}).get("plainToken", ""))
        return webhooks.url_validation(secret, plain)
    webhooks.handle_event(event)
    return "", 204


@bp.app_template_global()
def zoom_warnings(day, session):
    """What the admin should know about a Zoom day: the free account's limits, and a role
    that does not match the account Zoom reports. No query of its own per day."""
    warnings = []
    if connections.is_longer_than_free_limit(day):
        warnings.append(
            _("A Participant account ends meetings after 40 minutes; this day is longer.")
        )
    if day.zoom_role == "participant":
        limit = session.participant_limit
        if limit is None or limit > connections.FREE_CAPACITY:
            warnings.append(_("A Participant account admits up to 100 people."))
    mismatch = connections.role_mismatch(day.zoom_role, connections.shown_connection_for(day))
    if mismatch:
        warnings.append(mismatch)
    return warnings


@bp.app_template_global()
def zoom_account_missing(role, organizer_id):
    """Why a Zoom day with this role and organizer would have no account to run on (said on
    the day form before saving, and next to a refused day), or None when it has one."""
    accounts = {row.user_id: row for row in ZoomConnection.select()}
    organizer_id = int(organizer_id) if str(organizer_id or "").isdigit() else None
    if role == "participant" and organizer_id in accounts:
        return None
    if None in accounts:
        return None
    if role == "participant":
        return _("No Zoom account is connected: neither the organizer's own nor the company's.")
    return _("No Zoom account is connected for the company.")


@bp.route("/admin/zoom/sessions/<int:session_id>/account")
@allow(Role.ADMIN)
def day_account_notice(session_id):
    """The day form's notice, again when the role or the organizer changes."""
    event_session = get_or_404(Session, session_id)
    if event_session.event_id is None:
        abort(404)  # only an event's sessions have days with Zoom conferences
    return render_template(
        "zoom/_account_notice.html",
        session=event_session,
        role=request.args.get("zoom_role", ""),
        organizer_id=request.args.get("zoom_organizer", ""),
    )


@bp.app_template_global()
def my_zoom_connection():
    return connections.user_connection(g.user.id) if g.get("user") else None


@bp.app_template_global()
def zoom_company_connection():
    return connections.company_connection()


@bp.app_template_global()
def zoom_settings():
    return ZoomSettings.current()


@bp.app_template_global()
def zoom_join_link(day):
    return meeting_sync.join_link(day)


@bp.app_template_global()
def zoom_join_open(day):
    return join_is_open(day)


@bp.app_template_global()
def now_utc():
    return utcnow()
