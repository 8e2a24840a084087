"""CSV downloads that spreadsheets open safely."""

import csv
import io

from foundation.downloads import download

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula is prefixed with a quote (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_download(rows, filename):
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    # A BOM so that Excel reads the UTF-8 (Cyrillic names) correctly.
    return download("\ufeff" + out.getvalue(), filename, "text/csv")
