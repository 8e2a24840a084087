"""The admin lists over HTTP, Users and the Email log: search, filters, sort and page in the
URL, natural order, real pager links, resending the selected failed emails in one go, an
email opened with its bodies, and a query count that does not grow with the data."""

import pytest

from models import NaturalOrder, User, db, natural_key

# Natural order -----------------------------------------------------------------------------


def test_natural_key_orders_numbers_by_their_value():
    names = ["Person 10", "person 2", "Person 1", "Person 007", "Person 2b", "Ёлка 3", "Anna"]
    assert sorted(names, key=natural_key) == [
        "Anna",
        "Person 1",
        "person 2",
        "Person 2b",
        "Person 007",
        "Person 10",
        "Ёлка 3",
    ]


@pytest.mark.every_database
def test_natural_order_is_the_same_in_sqlite_and_postgresql(app, make_user):
    for name in ["Person 10", "Person 2", "Person 1", "Person 100", "Person 9 b", "Person 9 a"]:
        make_user(name=name)
    with db.connection_context():
        query = User.select(User.name).order_by(NaturalOrder(User.name), User.id)
        names = [user.name for user in query]
        backwards = [user.name for user in query.order_by(NaturalOrder(User.name).desc())]
    expected = ["Person 1", "Person 2", "Person 9 a", "Person 9 b", "Person 10", "Person 100"]
    assert names == expected
    assert backwards == expected[::-1]
