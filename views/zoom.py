"""Zoom: connecting accounts (the company's in settings, an organizer's own in their profile),
the OAuth callback, a Zoom day's state on the admin page (polled while "Creating…"), Start
and Join, and the webhook endpoint Zoom calls (public, but every call is signed)."""

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
from flask_babel import ngettext
from htmx_flask import make_response

from accounts.access import VISITOR, allow
from foundation.forms import FormReader, Invalid
from meetings import zoom, zoom_sync
from models import (
    Day,
    DayFormat,
    Event,
    Registration,
    Role,
    Session,
    Status,
    ZoomConnection,
    ZoomRecording,
    ZoomSettings,
    ZoomState,
    utcnow,
)
from sessions import zoom_attendance
from views.lookups import get_or_404

bp = Blueprint("zoom", __name__)
JOIN_OPENS_MINUTES = 15  # participants see "Join" this long before the start
COMPANY = "company"


# Connecting --------------------------------------------------------------------------------


def _callback_url():
    return current_app.config["PUBLIC_URL"] + url_for("zoom.oauth_callback")


def _send_to_zoom(owner):
    """Remember state and the PKCE verifier in this browser's session, then go to Zoom."""
    if not zoom.is_configured():
        return _settings_answer(
            owner, _("Zoom is not configured: set ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET.")
        )
    state = secrets.token_urlsafe(24)
    verifier, challenge = zoom.new_pkce()
    session["zoom_oauth"] = {
        "state": state,
        "verifier": verifier,
        "owner": owner,
        "next": _local_path(request.form.get("next", "")),
    }
    target = zoom.authorize_url(_callback_url(), state, challenge)
    if request.htmx:
        return make_response("", 204, redirect=target)
    return redirect(target)


def _local_path(path):
    """`path` if it is an address on this site (where to return after connecting), else ""."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else ""


def _back_to(owner):
    return url_for("admin_settings.settings") if owner == COMPANY else url_for("member.profile")


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
        payload = zoom.exchange_code(code, _callback_url(), pending.get("verifier", ""))
    except zoom.ZoomError as error:
        return render_template("zoom/connect_failed.html", reason=error.message), 502
    zoom_sync.connect(None if owner == COMPANY else owner, payload)
    return redirect(pending.get("next") or _back_to(owner))


@bp.route("/admin/zoom/server-to-server", methods=["POST"])
@allow(Role.ADMIN)
def connect_server_to_server():
    if not zoom.has_server_to_server():
        return _settings_answer(COMPANY, _("Set ZOOM_ACCOUNT_ID to use a Server-to-Server app."))
    try:
        payload = zoom.account_token()
    except zoom.ZoomError as error:
        return _settings_answer(COMPANY, error.message)
    zoom_sync.connect(None, payload, kind=ZoomConnection.SERVER_TO_SERVER)
    return _company_section(_("Zoom account connected."))


@bp.route("/admin/zoom/disconnect", methods=["POST"])
@allow(Role.ADMIN)
def disconnect_company():
    connection = zoom_sync.company_connection()
    if connection is not None:
        zoom_sync.disconnect(connection)
    return _company_section(_("Zoom account disconnected."))


@bp.route("/zoom/disconnect", methods=["POST"])
@allow(Role.MEMBER)
def disconnect_mine():
    connection = zoom_sync.user_connection(g.user.id)
    if connection is not None:
        zoom_sync.disconnect(connection)
    body = render_template("zoom/_my_account.html", connection=None)
    return make_response(body, 200, trigger={"toast": _("Zoom account disconnected.")})


def _company_section(toast=None, errors=None, status=200):
    body = render_template(
        "zoom/_company.html",
        connection=zoom_sync.company_connection(),
        settings=ZoomSettings.current(),
        errors=errors or {},
    )
    if request.htmx:
        return make_response(body, status, trigger={"toast": toast} if toast else None)
    return redirect(url_for("admin_settings.settings")) if status == 200 else (body, status)


@bp.route("/admin/zoom/settings", methods=["POST"])
@allow(Role.ADMIN)
def save_settings():
    reader = FormReader(request.form)
    threshold = reader.integer("attendance_threshold", minimum=1, maximum=100, required=True)
    try:
        reader.raise_if_invalid()
    except Invalid as error:
        return _company_section(errors=error.errors, status=422)
    settings = ZoomSettings.current()
    settings.attendance_threshold = threshold
    settings.keeps_records = reader.flag("keeps_records")
    settings.save()
    return _company_section(_("Saved."))


# A Zoom day on the admin page ----------------------------------------------------------------


def zoom_day_or_404(day_id):
    day = get_or_404(Day, day_id)
    if day.format != DayFormat.ZOOM:
        abort(404)
    return day


@bp.route("/admin/days/<int:day_id>/zoom")
@allow(Role.ADMIN)
def day_state(day_id):
    """The day's conference block; the page polls it while the meeting is being made."""
    day = zoom_day_or_404(day_id)
    return render_template("zoom/_day_state.html", day=day, session=day.session)


@bp.route("/admin/days/<int:day_id>/zoom/retry", methods=["POST"])
@allow(Role.ADMIN)
def retry_day(day_id):
    day = zoom_day_or_404(day_id)
    zoom_sync.retry(day)
    return render_template("zoom/_day_state.html", day=Day.get_by_id(day.id), session=day.session)


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
    if day.zoom_state != ZoomState.READY:
        return render_template(
            "zoom/connect_failed.html", reason=_("The conference is not ready yet.")
        ), 409
    try:
        return redirect(zoom_sync.start_url(day))
    except zoom.ZoomError as error:
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
    if not (registered or _may_start(day)) or not day.zoom_join_url:
        abort(404)
    if not join_is_open(day):
        return render_template(
            "zoom/connect_failed.html", reason=_("Joining opens 15 minutes before the start.")
        ), 409
    return redirect(day.zoom_join_url)


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
    files = ZoomRecording.select().where(ZoomRecording.day == day).order_by(ZoomRecording.start_at)
    return render_template("zoom/_recordings.html", day=day, files=list(files))


# Webhooks ----------------------------------------------------------------------------------


@bp.route("/zoom/webhook", methods=["POST"])
@allow(VISITOR)
def webhook():
    """Zoom's event notifications: signed with the webhook secret token (x-zm-signature,
    v0:{timestamp}:{body}, within five minutes), or refused with 401."""
    secret = current_app.config.get("ZOOM_WEBHOOK_SECRET") or ""
    raw = request.get_data(cache=True)
    signed = zoom.is_signed(
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
        return zoom.url_validation(secret, plain)
    zoom_sync.handle_event(event)
    return "", 204


@bp.app_template_global()
def zoom_warnings(day, session):
    """What the admin should know about a Zoom day: the free account's limits, and a role
    that does not match the account Zoom reports. No query of its own per day."""
    warnings = []
    if zoom_sync.is_longer_than_free_limit(day):
        warnings.append(
            _("A Participant account ends meetings after 40 minutes; this day is longer.")
        )
    if day.zoom_role == "participant":
        limit = session.participant_limit
        if limit is None or limit > zoom_sync.FREE_CAPACITY:
            warnings.append(_("A Participant account admits up to 100 people."))
    mismatch = zoom_sync.role_mismatch(day.zoom_role, zoom_sync.shown_connection_for(day))
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


@bp.route("/admin/sessions/<int:session_id>/zoom-account")
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
    return zoom_sync.user_connection(g.user.id) if g.get("user") else None


@bp.app_template_global()
def zoom_company_connection():
    return zoom_sync.company_connection()


@bp.app_template_global()
def zoom_settings():
    return ZoomSettings.current()


# Attendance on the Applications tab --------------------------------------------------------


@bp.app_template_global()
def zoom_attendance_of(event_id):
    """The event's Zoom attendance per user, once per request (None: no Zoom days)."""
    cache = g.setdefault("zoom_attendance", {})
    if event_id not in cache:
        event = Event.get_or_none(Event.id == event_id)
        shown = event is not None and zoom_attendance.has_zoom_days(event)
        cache[event_id] = zoom_attendance.attendance(event) if shown else None
    return cache[event_id]


@bp.route("/admin/events/<int:event_id>/zoom-attendance", methods=["POST"])
@allow(Role.ADMIN)
def apply_attendance(event_id):
    """One click: participated or missed from Zoom attendance; answers with the table and,
    out of band, the panel."""
    from views.admin_registrations import table_context

    event = get_or_404(Event, event_id)
    changed = zoom_attendance.apply_attendance(event)
    g.pop("zoom_attendance", None)
    context = table_context(event)  # the list as its address says (the query string)
    body = render_template("admin/_registrations_table.html", **context) + render_template(
        "zoom/_attendance_panel.html", event=event, oob=True
    )
    message = ngettext("%(num)d status changed.", "%(num)d statuses changed.", changed)
    return make_response(body, 200, trigger={"toast": message})


@bp.app_template_global()
def zoom_join_link(day):
    return zoom_sync.join_link(day)


@bp.app_template_global()
def zoom_join_open(day):
    return join_is_open(day)


@bp.app_template_global()
def now_utc():
    return utcnow()
