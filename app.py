"""The Flask application: configuration, extensions, blueprints and shell commands."""

import logging
import threading

import click
from flask import Flask, current_app, g, render_template
from flask.templating import Environment
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

import background
import config
from accounts import access
from accounts.administration import PASSWORD_MIN, password_changed, set_new_password
from foundation import i18n
from foundation.forms import RowIdConverter, read_visible_text, refuse_nul
from meetings.meeting_links import format_zoom_id, linkify, recognise_platform
from messaging import mail, notifications
from models import DayFormat, EmailStatus, Role, Status, User, ZoomRole, connect_database, db
from views import (
    assessment_catalog,
    assessment_report,
    assessment_sessions,
    assessment_surveys,
    auth,
    bigbluebutton,
    bulk_upload,
    calendar_feeds,
    company_settings,
    email_log,
    event_planning,
    event_registrations,
    event_signup,
    fragments,
    group_sessions,
    history,
    home,
    hosting,
    mentoring,
    my_schedule,
    profile,
    session_pages,
    users,
    zoom,
)

# Each owns the URL prefixes it declares (views/__init__.py has the map).
VIEW_MODULES = (
    home,
    my_schedule,
    auth,
    profile,
    calendar_feeds,
    event_signup,
    event_planning,
    event_registrations,
    email_log,
    company_settings,
    users,
    history,
    group_sessions,
    session_pages,
    hosting,
    mentoring,
    bulk_upload,
    zoom,
    bigbluebutton,
    assessment_catalog,
    assessment_sessions,
    assessment_surveys,
    assessment_report,
)
csrf = CSRFProtect()
SERVER_ERROR_TEXT = "Something went wrong on our side. Nothing was changed.\n"


class SerialCompileEnvironment(Environment):
    """Templates compiled one at a time per process. Jinja's lexer reads number literals with
    ast.literal_eval, and CPython 3.11's AST module is not safe when two threads build trees
    at once ("AST constructor recursion depth mismatch"): the job worker's threads render
    their first emails together. Each template compiles once, so the lock costs nothing."""

    _compiling = threading.RLock()

    def compile(self, *args, **kwargs):
        with self._compiling:
            return super().compile(*args, **kwargs)


class Convene(Flask):
    jinja_environment = SerialCompileEnvironment


def create_app(test_config=None):
    app = Convene(__name__, instance_path=str(config.INSTANCE))
    app.url_map.converters["int"] = RowIdConverter  # before any route: ids stay in range
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.update(test_config)

    configure_logging(app.config["LOG_LEVEL"])
    connect_database(app.config["DATABASE_URL"])
    csrf.init_app(app)
    access.init_limiter(app)
    Htmx(app)
    read_visible_text(app)  # forms and queries hold visible text only (after htmx's class)
    i18n.init_app(app)
    background.install()

    for view_module in VIEW_MODULES:  # one URL prefix, one module: see views/__init__.py
        app.register_blueprint(view_module.bp)
    csrf.exempt(zoom.webhook)  # Zoom signs its calls instead (views/zoom.py)
    for callback in bigbluebutton.CALLBACKS:  # signed by BigBlueButton or by a token of ours
        csrf.exempt(callback)
    app.view_functions["static"].audience = access.VISITOR
    app.jinja_env.filters.update(
        linkify=linkify,
        platform=recognise_platform,
        zoom_id=format_zoom_id,
        mask_private_links=access.mask_private_links,
    )
    app.jinja_env.globals.update(
        Role=Role, DayFormat=DayFormat, ZoomRole=ZoomRole, Status=Status, EmailStatus=EmailStatus
    )
    app.jinja_env.globals["too_large_text"] = too_large_text  # base.html's toast texts
    app.jinja_env.globals["drawn_for"] = fragments.drawn_for  # base.html's parts, drawn once

    # An account's new password is told to its owner (accounts announce, messaging sends).
    password_changed.connect(notifications.password_changed)
    _wire_requests(app)
    _register_error_pages(app)
    _register_commands(app)
    return app


def too_large_text():
    """What a request over MAX_CONTENT_LENGTH is told, in the viewer's language."""
    limit = current_app.config["MAX_CONTENT_LENGTH"] / 2**20
    return _(
        "What you sent is larger than %(max)s MB, the most this site accepts. Nothing was changed.",
        max=format_decimal(limit, "#,##0.#"),
    )


def configure_logging(level_name):
    """One logging setup for the web app, the job worker and the commands: to stderr, at
    LOG_LEVEL. Flask logs every unhandled exception through it, with its traceback."""
    level = logging.getLevelName(level_name)
    logging.basicConfig(
        level=level if isinstance(level, int) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    huey_log = logging.getLogger("huey")
    if huey_log.handlers:  # the job consumer prints huey's lines itself: not twice
        huey_log.propagate = False
    if not isinstance(level, int):
        logging.getLogger(__name__).warning("LOG_LEVEL=%s is not a level; using INFO", level_name)


def _wire_requests(app):
    @app.before_request
    def open_request():
        db.connect(reuse_if_open=True)
        access.load_user()
        refuse_nul()
        return access.enforce_access()

    app.after_request(access.add_security_headers)

    @app.context_processor
    def template_context():
        return {"user": g.get("user"), "company": i18n.current_company()}

    @app.teardown_request
    def close_request(_exc):
        if not db.is_closed():
            db.close()


def _register_error_pages(app):
    def error_page(status, message):
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_refused(_error):
        # Flask-WTF checks the token before the sign-in is loaded. A visitor whose session is
        # gone is told to sign in again (401 or the sign-in page), as any other request of
        # theirs would be; only a signed-in user's stale token means the form has expired.
        if "user" not in g:
            access.load_user()
        signed_out = access.enforce_access() if g.user is None else None
        if signed_out is not None:
            return signed_out
        return error_page(400, _("The form has expired. Reload the page and try again."))

    @app.errorhandler(BadRequest)
    def bad_request(error):
        # Our own refusals carry their words; werkzeug's generic one is replaced.
        if error.description == BadRequest.description:
            return error_page(400, _("The request could not be read. Nothing was changed."))
        return error_page(400, error.description)

    @app.errorhandler(403)
    def forbidden(_error):
        return error_page(403, _("You do not have access to this page."))

    @app.errorhandler(404)
    def not_found(_error):
        return error_page(404, _("This page does not exist."))

    @app.errorhandler(405)
    def wrong_method(_error):
        return error_page(405, _("This address does not accept that request."))

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error):
        # Raised while Flask-WTF reads the form for its token, before the sign-in is loaded:
        # load it for the user's language. (htmx swaps no 413 answer: app.js shows the same
        # words, which every page carries, as a toast.)
        if "user" not in g:
            access.load_user()
        return error_page(413, too_large_text())

    @app.errorhandler(500)
    def server_error(_error):
        # Flask has logged the traceback already. The branded page needs the database (the
        # company's languages); when that is what failed, plain words must do.
        try:
            return error_page(500, _("Something went wrong on our side. Nothing was changed."))
        except Exception:
            app.logger.exception("The error page itself failed")
            return SERVER_ERROR_TEXT, 500, {"Content-Type": "text/plain; charset=utf-8"}


def migrate_database():
    """Apply every migration under migrations/ that this database has not had yet."""
    from peewee_migrate import Router  # on demand: no web worker migrates

    with db.connection_context():
        Router(db.obj, migrate_dir=str(config.ROOT / "migrations"), ignore=["basemodel"]).run()


def _register_commands(app):
    @app.cli.command("migrate")
    def migrate_command():
        """Create or upgrade the database schema."""
        migrate_database()
        click.echo("Database is up to date.")

    @app.cli.command("seed-demo")
    @click.option(
        "--users",
        "people",
        type=click.IntRange(0, 100_000),
        default=0,
        help="Also add this many generated members, to try the lists at scale.",
    )
    def seed_demo_command(people):
        """Load the demo data into an empty database (does nothing otherwise); `--users N`
        adds N generated members either way."""
        import demo

        with db.connection_context():
            loaded = demo.load_once()
            last = demo.add_people(people) if people else None
        click.echo("Demo data loaded." if loaded else "Database already has data; demo not loaded.")
        with db.connection_context():
            report = demo.bigbluebutton_report_command()
        if report:
            click.echo(
                f"BigBlueButton stand-in: send the finished session's reports with\n  {report}"
            )
        if last:
            click.echo(f"Added {people} generated members (the last: person{last}).")

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--name", default="Admin")
    @click.password_option()
    def create_admin_command(email, name, password):
        """Create an admin (or make an existing user one) who signs in with EMAIL."""
        if len(password) < PASSWORD_MIN:
            raise click.BadParameter(
                f"use at least {PASSWORD_MIN} characters", param_hint="password"
            )
        with db.connection_context():
            user = User.get_or_none(User.email == email.strip().lower())
            if user is None:
                user = User(email=email.strip().lower(), name=name)
                user.set_password(password)
            user.role, user.is_active = Role.ADMIN, True
            user.save()
            if not user.check_password(password):  # an existing account: a new password
                set_new_password(user, password)  # ends its sessions, tells its owner
                mail.request_delivery()
        click.echo(f"Admin {user.email} is ready.")
