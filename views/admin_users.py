"""User accounts, managed by admins."""

from flask import Blueprint, g, render_template, request
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import allow
from accounts.administration import save_user
from foundation.forms import Invalid
from models import Role, User
from views.lookups import get_or_404

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


@bp.route("")
@allow(Role.ADMIN)
def list_users():
    users = User.select().order_by(User.name)
    return render_template("admin/users.html", users=users, edited=None, errors={}, form={})


@bp.route("", methods=["POST"])
@allow(Role.ADMIN)
def create_user():
    try:
        user = save_user(None, request.form, g.user)
    except Invalid as error:
        return render_template(
            "admin/_user_form.html", edited=None, errors=error.errors, form=request.form
        ), 422
    row = render_template("admin/_user_row.html", row_user=user)
    form = render_template("admin/_user_form.html", edited=None, errors={}, form={}, oob=True)
    response = make_response(row + form, trigger={"toast": _("Created!")})
    response.headers["HX-Retarget"] = "#users"
    response.headers["HX-Reswap"] = "beforeend"
    return response


@bp.route("/<int:user_id>")
@allow(Role.ADMIN)
def user_row(user_id):
    return render_template("admin/_user_row.html", row_user=get_or_404(User, user_id))


@bp.route("/<int:user_id>/edit")
@allow(Role.ADMIN)
def edit_user(user_id):
    user = get_or_404(User, user_id)
    return render_template("admin/_user_edit_row.html", edited=user, errors={}, form={})


@bp.route("/<int:user_id>", methods=["POST"])
@allow(Role.ADMIN)
def update_user(user_id):
    user = get_or_404(User, user_id)
    try:
        save_user(user, request.form, g.user)
    except Invalid as error:
        return render_template(
            "admin/_user_edit_row.html", edited=user, errors=error.errors, form=request.form
        ), 422
    return render_template("admin/_user_row.html", row_user=user)
