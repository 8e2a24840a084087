"""Admin lists whose state lives in the URL: `?q=&<filter>=&sort=&dir=&page=`.

A view declares its filters and sort keys once; `read_listing` reads them from the query
string (a value it does not know is dropped, never an error), `Listing.fetch` counts the
matches and loads one page in two statements whatever the table's size, and the templates
build every header and pager link from the same state, so reload, Back and a shared link
show the same page.
"""

from dataclasses import dataclass, field

from flask import request, url_for
from htmx_flask import make_response

from foundation.forms import page_number

PAGE_SIZE = 50
MAX_QUERY = 100  # characters of a search


@dataclass(frozen=True)
class Filter:
    """A select box of the list: the accepted `values`, and what to say when the URL names
    another one (the list then shows everything)."""

    name: str
    values: tuple
    unknown: str


@dataclass(frozen=True)
class SortKey:
    """A sortable column: `primary` is ordered in the chosen direction, `then` (already
    ordered) breaks ties; `first_dir` is the direction of a first click on its header."""

    primary: object
    then: tuple = ()
    first_dir: str = "asc"


@dataclass
class Listing:
    endpoint: str
    sorts: dict
    default_sort: str
    route_args: dict = field(default_factory=dict)  # the list's place, e.g. its event
    q: str = ""
    filters: dict = field(default_factory=dict)
    sort: str = ""
    dir: str = "asc"
    page: int = 1
    page_size: int = PAGE_SIZE
    total: int = 0
    problems: list = field(default_factory=list)

    # Links -------------------------------------------------------------------------------

    def params(self, **changes):
        """The query string's values for this state with `changes`; defaults are left out,
        so the plain list is the plain address."""
        values = {"q": self.q, **self.filters, "sort": self.sort, "dir": self.dir}
        values["page"] = self.page
        values.update(changes)
        default = (self.default_sort, self.first_dir(self.default_sort))
        if (values["sort"], values["dir"]) == default:
            values["sort"] = values["dir"] = ""
        if values["page"] == 1:
            values["page"] = ""
        return {name: value for name, value in values.items() if value not in ("", None)}

    def url(self, **changes):
        return url_for(self.endpoint, **self.route_args, **self.params(**changes))

    def first_dir(self, key):
        return self.sorts[key].first_dir

    def sort_url(self, key):
        """The header link of column `key`: the other direction if the list is sorted by it,
        else its first direction; always from the first page."""
        if key == self.sort:
            direction = "desc" if self.dir == "asc" else "asc"
        else:
            direction = self.first_dir(key)
        return self.url(sort=key, dir=direction, page=1)

    def aria_sort(self, key):
        if key != self.sort:
            return None
        return "ascending" if self.dir == "asc" else "descending"

    # Pages -------------------------------------------------------------------------------

    @property
    def pages(self):
        return max(1, -(-self.total // self.page_size))

    @property
    def first_row(self):
        return min(self.total, (self.page - 1) * self.page_size + 1)

    @property
    def last_row(self):
        return min(self.total, self.page * self.page_size)

    def page_numbers(self):
        """The pages the pager names: the first, the last and two on each side of the
        current one; None stands for a gap."""
        shown = {1, self.pages, *range(self.page - 2, self.page + 3)}
        numbers, previous = [], 0
        for number in sorted(n for n in shown if 1 <= n <= self.pages):
            if number > previous + 1:
                numbers.append(None)
            numbers.append(number)
            previous = number
        return numbers

    # The query ---------------------------------------------------------------------------

    def order(self, query):
        key = self.sorts[self.sort]
        primary = key.primary.desc() if self.dir == "desc" else key.primary.asc()
        return query.order_by(primary, *key.then)

    def fetch(self, query):
        """Count the matches and load the current page (past the last page: the last one)."""
        self.total = query.count()
        self.page = min(self.page, self.pages)
        return list(self.order(query).paginate(self.page, self.page_size))


def read_listing(endpoint, sorts, default_sort, filters=(), args=None, **route_args):
    """The list state in `args` (the request's query string): search text, the declared
    filters, sort and page. Anything unknown falls back to the default, with a message for
    a filter value (the person chose it and should know it was not applied)."""
    args = request.args if args is None else args
    listing = Listing(endpoint, sorts, default_sort, route_args)
    listing.q = " ".join(args.get("q", "").split())[:MAX_QUERY]
    for declared in filters:
        value = args.get(declared.name, "")
        if value and value not in declared.values:
            listing.problems.append(declared.unknown)
            value = ""
        listing.filters[declared.name] = value
    sort = args.get("sort", "")
    listing.sort = sort if sort in sorts else default_sort
    direction = args.get("dir", "")
    listing.dir = direction if direction in ("asc", "desc") else listing.first_dir(listing.sort)
    listing.page = page_number(args.get("page", "1"))
    return listing


def wants_table(table_id):
    """Whether an htmx request asks for the list's table only (search, sort, a page)."""
    return bool(request.htmx) and request.htmx.target == table_id


def list_response(listing, page, table_only, **headers):
    """The answer of a list: the page, or its table (then the address bar gets the list's own
    address, without the empty fields a search form sends)."""
    if table_only:
        headers.setdefault("push_url", listing.url())
    response = make_response(page, **headers)
    response.vary.update(("HX-Request", "HX-Target"))  # one address, two answers: cache apart
    return response
