"""The landing page after sign-in, and the health probe."""

from flask import Blueprint, g, redirect, url_for
from peewee import DatabaseError

from accounts.access import VISITOR, allow
from models import Role, db

bp = Blueprint("home", __name__)


@bp.route("/")
@allow(Role.MEMBER)
def index():
    if g.user.is_admin:
        return redirect(url_for("admin_events.list_events"))
    return redirect(url_for("member.home"))


@bp.route("/healthz")
@allow(VISITOR)
def healthz():
    try:
        db.execute_sql("SELECT 1")
    except DatabaseError:
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}
