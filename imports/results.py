"""An upload's result as a file: the rows of a previewed import's result, and the CSV text
of a result sent by email. Both go through `foundation.exports.spreadsheet_safe`; a download
is `foundation.exports.csv_download` of the same rows."""

import csv
import io

from flask_babel import gettext as _

from foundation.exports import spreadsheet_safe


def result_text(rows):
    """The rows as CSV text, values that a spreadsheet would run as formulas made inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    for values in rows:
        writer.writerow([spreadsheet_safe(value) for value in values])
    return "\ufeff" + out.getvalue()


def previewed_rows(upload, columns, outcomes):
    """The result of an import with a preview: Line, the importer's `columns` ((heading,
    key in a row)), Outcome and Message, one line per row of the file."""
    yield [_("Line"), *(heading for heading, _key in columns), _("Outcome"), _("Message")]
    for row in upload.rows:
        yield [
            row["line"],
            *(row[key] for _heading, key in columns),
            outcomes.label(row["outcome"]),
            row.get("message", ""),
        ]
