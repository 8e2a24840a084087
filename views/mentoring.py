"""Mentoring sessions: the list, creating ("Publish and add link") and editing, the people
type-ahead, and the tag options admins manage. The rules are sessions/mentoring/."""

import peewee as pw
from flask import Blueprint, abort, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from htmx_flask import make_response

from accounts.access import INVITEE_SEARCHES, VISITOR, allow, limiter
from foundation import images, schedule
from foundation.forms import FormReader, Invalid, row_id, row_ids
from foundation.i18n import current_company, input_value, viewer_timezone
from meetings import bigbluebutton
from meetings.platforms import MeetingPlatform
from models import (
    Day,
    NaturalOrder,
    Role,
    Session,
    SessionKind,
    TagOption,
    User,
    contains_text,
    utcnow,
)
from sessions import group_sessions, hosting, mentoring
from sessions.mentoring import MentoringValues, SessionType, TagKind
from views.listing import Filter, SortKey, list_response, read_listing, wants_table
from views.lookups import get_or_404
from views.type_ahead import searcher, too_many_searches

URL_PREFIXES = ("/mentoring", "/admin/mentoring", "/images")
bp = Blueprint("mentoring", __name__)


def may_create(user):
    return mentoring.may_create(user, current_company())


def mentoring_session_or_404(session_id):
    """A mentoring session its mentor or an admin manages."""
    session = get_or_404(Session, session_id)
    if session.kind != SessionKind.MENTORING:
        abort(404)
    if not mentoring.may_manage(g.user, session):
        abort(404)
    return session


# Reading the form ---------------------------------------------------------------------------


def _tags(form, kind):
    chosen = form.getlist(kind)
    typed = (form.get(f"{kind}_new") or "").split(",")
    return mentoring.clean_tags([*chosen, *typed])


def _person(value):
    try:
        return User.get_or_none(User.id == row_id(value))
    except ValueError:
        return None


def read_values(form, session=None):
    """(MentoringValues, reading problems): times are typed in the creator's zone."""
    company = current_company()
    reader = FormReader(form)
    zone = form.get("timezone") or viewer_timezone()
    if not schedule.is_timezone(zone):
        zone = company.timezone
    local_start = reader.local_datetime("start", zone=zone)
    local_end = reader.local_datetime("end", zone=zone)
    mentor = g.user if not g.user.is_admin and session is None else _person(form.get("mentor"))
    ids = row_ids(form.getlist("mentees"))
    mentees = list(User.select().where(User.id.in_(ids))) if ids else []
    if len(mentees) != len(ids):
        reader.error("mentees", _("Some invited people could not be found."))
    values = MentoringValues(
        title=form.get("title", ""),
        description=form.get("description", ""),
        session_type=form.get("session_type", ""),
        mentor=mentor,
        mentees=mentees,
        start_at=local_start and schedule.to_utc(local_start, zone),
        end_at=local_end and schedule.to_utc(local_end, zone),
        timezone=session.timezone if session else zone,
        recommended_for=_tags(form, TagKind.RECOMMENDED_FOR),
        categories=_tags(form, TagKind.CATEGORIES),
        medium=_tags(form, TagKind.MEDIUM),
        platform=form.get("platform", ""),
        meeting_url=form.get("meeting_url", ""),
        meeting_id=form.get("meeting_id", ""),
        passcode=form.get("passcode", ""),
        link_later=form.get("link_later") in {"on", "1"},
    )
    if form.get("remove_image") == "1":
        values.image_name = ""
    return values, reader.errors, zone


def with_image(values, errors):
    """Store the uploaded image (once the rest of the form is accepted)."""
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return errors
    try:
        values.image_name = images.save_image(upload)
    except Invalid as refusal:
        return errors | refusal.errors
    return errors


def form_context(values, errors, zone, session=None):
    chosen = {kind: getattr(values, kind) for kind in TagKind.values()}
    offered = {
        kind: sorted(set(mentoring.options(kind)) | set(chosen[kind]), key=str.casefold)
        for kind in TagKind.values()
    }
    return {
        "values": values,
        "errors": errors,
        "zone": zone,
        "session": session,
        "image_name": mentoring.image_of(session) if session else None,
        "offered": offered,
        "start_value": input_value(values.start_at, zone) if values.start_at else "",
        "end_value": input_value(values.end_at, zone) if values.end_at else "",
        "bbb_ready": bigbluebutton.is_configured(),
        "platforms": MeetingPlatform.values(),
        "SessionType": SessionType,
        "TagKind": TagKind,
        "MeetingPlatform": MeetingPlatform,
    }


# Screens -----------------------------------------------------------------------------------


FILTERS = (
    Filter(
        "when",
        ("upcoming", "past", "cancelled"),
        _l("Unknown time in the filter; showing every session."),
    ),
    Filter("type", tuple(SessionType.values()), _l("Unknown type in the filter; showing both.")),
)


def title_in(locale):
    """The session's title in `locale`, as SQL (`name ->> 'en'`: SQLite and PostgreSQL)."""
    return pw.Expression(Session.name, "->>", pw.Value(locale, converter=str))


def sorts():
    return {
        "start": SortKey(Day.start_at, (Session.id,), "desc"),
        "title": SortKey(NaturalOrder(title_in(current_company().default_locale)), (Session.id,)),
    }


def sessions_matching(listing):
    """Mentoring sessions (a host's own; every one for admins), with their day as `.slot`."""
    now = utcnow()
    query = (
        Session.select(Session, Day)
        .join(Day, on=(Day.session == Session.id), attr="slot")
        .where(Session.kind == SessionKind.MENTORING)
    )
    if not g.user.is_admin:
        query = query.where(Session.host == g.user)
    if listing.q:
        mentors = User.select(User.id).where(contains_text(User.name, listing.q))
        found = Session.host.in_(mentors)
        for locale in current_company().locales:
            found |= contains_text(title_in(locale), listing.q)
        query = query.where(found)
    when = listing.filters["when"]
    if when == "cancelled":
        query = query.where(Session.cancelled_at.is_null(False))
    elif when:
        query = query.where(Session.cancelled_at.is_null())
        query = query.where(Day.end_at > now if when == "upcoming" else Day.end_at <= now)
    if listing.filters["type"]:
        query = query.where(Session.is_public == (listing.filters["type"] == SessionType.PUBLIC))
    return query


@bp.route("/mentoring")
@allow(Role.HOST)
def list_sessions():
    """One page of mentoring sessions, searched (title or mentor), filtered and sorted as
    the URL says; an htmx request from the list itself gets the table only."""
    listing = read_listing("mentoring.list_sessions", sorts(), "start", FILTERS)
    sessions = listing.fetch(sessions_matching(listing))
    mentors = {
        user.id: user for user in User.select().where(User.id.in_({s.host_id for s in sessions}))
    }
    table_only = wants_table("mentoring-table")
    template = "mentoring/_table.html" if table_only else "mentoring/list.html"
    page = render_template(
        template,
        sessions=sessions,
        mentors=mentors,
        listing=listing,
        table_only=table_only,
        may_create=may_create(g.user),
        display_status=hosting.display_status,
        DisplayStatus=hosting.DisplayStatus,
        SessionType=SessionType,
    )
    return list_response(listing, page, table_only)


@bp.route("/mentoring/new")
@allow(Role.HOST)
def new_session():
    if not may_create(g.user):
        abort(404)
    company = current_company()
    values = MentoringValues(
        mentor=None if g.user.is_admin else g.user,
        platform=MeetingPlatform.BIGBLUEBUTTON
        if bigbluebutton.is_configured()
        else MeetingPlatform.ZOOM,
        link_later=True,
    )
    context = form_context(values, {}, viewer_timezone())
    return render_template("mentoring/new.html", company=company, **context)


def _refused(values, errors, zone, session=None):
    body = render_template("mentoring/_form.html", **form_context(values, errors, zone, session))
    return make_response(body, 422)


@bp.route("/mentoring", methods=["POST"])
@allow(Role.HOST)
def create_session():
    """ "Publish and add link": publish, then open the session's meeting-link step."""
    if not may_create(g.user):
        abort(404)
    values, errors, zone = read_values(request.form)
    company = current_company()
    errors = mentoring.check(values, company) | errors
    errors = errors or with_image(values, errors)
    if errors:
        return _refused(values, errors, zone)
    try:
        session = mentoring.create(values, company)
    except Invalid as refusal:
        return _refused(values, refusal.errors, zone)
    target = url_for("hosting.manage", session_id=session.id, step="link")
    if request.htmx:
        return make_response("", 204, redirect=target)
    return redirect(target, 303)


@bp.route("/mentoring/<int:session_id>/edit")
@allow(Role.HOST)
def edit_session(session_id):
    session = mentoring_session_or_404(session_id)
    values = mentoring.values_of(session)
    zone = viewer_timezone()
    return render_template("mentoring/edit.html", **form_context(values, {}, zone, session))


@bp.route("/mentoring/<int:session_id>", methods=["POST"])
@allow(Role.HOST)
def save_session(session_id):
    session = mentoring_session_or_404(session_id)
    values, errors, zone = read_values(request.form, session)
    company = current_company()
    errors = mentoring.check(values, company, session) | errors
    errors = errors or with_image(values, errors)
    if errors:
        return _refused(values, errors, zone, session)
    try:
        mentoring.edit(session, values, company)
    except Invalid as refusal:
        return _refused(values, refusal.errors, zone, session)
    target = url_for("hosting.manage", session_id=session.id)
    if request.htmx:
        return make_response("", 204, redirect=target)
    return redirect(target, 303)


@bp.route("/mentoring/people")
@allow(Role.HOST)
@limiter.limit(INVITEE_SEARCHES, key_func=searcher, on_breach=too_many_searches)
def search_people():
    """Type-ahead for the mentor (hosts) and the mentees (anyone active)."""
    wanted = request.args.get("for", "mentees")
    people = group_sessions.search_members(request.args.get("q", ""), limit=20)
    if wanted == "mentor":
        people = [person for person in people if mentoring.may_mentor(person)][:8]
    else:
        wanted = "mentees"
        people = people[:8]
    return render_template("mentoring/_people.html", people=people, wanted=wanted)


# Tag options (admins) ----------------------------------------------------------------------


def options_context(errors=None):
    return {
        "options": {
            kind: list(TagOption.select().where(TagOption.kind == kind).order_by(TagOption.label))
            for kind in TagKind.values()
        },
        "TagKind": TagKind,
        "errors": errors or {},
    }


@bp.route("/admin/mentoring/options")
@allow(Role.ADMIN)
def tag_options():
    return render_template("mentoring/options.html", **options_context())


@bp.route("/admin/mentoring/options", methods=["POST"])
@allow(Role.ADMIN)
def add_tag_option():
    errors = {}
    try:
        save_tag_option(request.form)
    except Invalid as error:
        errors = error.errors
    body = render_template("mentoring/_options.html", **options_context(errors))
    return make_response(
        body, 422 if errors else 200, trigger=None if errors else {"toast": _("Saved.")}
    )


def save_tag_option(form):
    """Offer the label typed for its kind (once: a label already offered is left as it is)."""
    reader = FormReader(form)
    kind = reader.choice("kind", TagKind.values())
    label = reader.text("label", required=True, max_length=mentoring.TAG_MAX)
    reader.raise_if_invalid()
    TagOption.insert(kind=kind, label=" ".join(label.split())).on_conflict_ignore().execute()


@bp.route("/admin/mentoring/options/<int:option_id>", methods=["DELETE"])
@allow(Role.ADMIN)
def delete_tag_option(option_id):
    """Removed from the list offered; sessions that carry the label keep it."""
    get_or_404(TagOption, option_id).delete_instance()
    return render_template("mentoring/_options.html", **options_context())


@bp.route("/images/<name>")
@allow(VISITOR)
def image(name):
    """A stored image: our own WebP re-encoding, under an unguessable name."""
    path = images.image_path(name)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/webp", max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
