"""User accounts, managed by admins."""

from flask import Blueprint, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from htmx_flask import make_response

from accounts.access import allow
from accounts.administration import save_user
from foundation.forms import Invalid
from models import NaturalOrder, Role, User, contains_text
from views.listing import Filter, SortKey, list_response, read_listing, wants_table
from views.lookups import get_or_404

URL_PREFIXES = ("/admin/users",)
bp = Blueprint("users", __name__, url_prefix="/admin/users")

STATES = {"active": True, "inactive": False}
FILTERS = (
    Filter("role", tuple(Role.values()), _l("Unknown role in the filter; showing all roles.")),
    Filter("status", tuple(STATES), _l("Unknown state in the filter; showing all users.")),
)
# Names and addresses sort naturally ("Person 2" before "Person 10"), in SQL: see
# models.NaturalOrder.
SORTS = {
    "name": SortKey(NaturalOrder(User.name), (User.id,)),
    "email": SortKey(NaturalOrder(User.email), (User.id,)),
    "role": SortKey(User.role, (NaturalOrder(User.name), User.id)),
}


def users_matching(listing):
    users = User.select()
    if listing.q:
        users = users.where(
            contains_text(User.name, listing.q) | contains_text(User.email, listing.q)
        )
    if listing.filters["role"]:
        users = users.where(User.role == listing.filters["role"])
    if listing.filters["status"]:
        users = users.where(User.is_active == STATES[listing.filters["status"]])
    return users


@bp.route("")
@allow(Role.ADMIN)
def list_users():
    """One page of accounts, searched, filtered and sorted as the URL says; an htmx request
    from the list itself gets the table only."""
    listing = read_listing("users.list_users", SORTS, "name", FILTERS)
    users = listing.fetch(users_matching(listing))
    context = {"users": users, "listing": listing, "edited": None, "errors": {}, "form": {}}
    table_only = wants_table("user-table")
    template = "admin/_user_table.html" if table_only else "admin/users.html"
    page = render_template(template, table_only=table_only, **context)
    return list_response(listing, page, table_only)


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
    # A <template> lets the form travel beside a table row (htmx unwraps it).
    response = make_response(f"{row}<template>{form}</template>", trigger={"toast": _("Created!")})
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
