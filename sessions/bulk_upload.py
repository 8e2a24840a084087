"""Bulk session upload: a CSV (or XLSX) file creates, edits and deletes mentoring sessions,
and every row gets its own result. What this import declares to the upload lifecycle
(`imports.lifecycle`, which keeps the upload, runs it in batches, in the background for a
large file, and emails the result).

Reading the file and each row's cells is `bulk_rows`' part; what a row means for the
sessions that exist (mentor clashes, seats, who may change what, started sessions) is the
mentoring rules' (`sessions.mentoring`), called from `bulk_plan`, never copied here.

A file is read once in the request, so a file-level problem answers at once; then its rows
are checked (a dry run: nothing is written but the results) or applied, in file order, in
batches. Each batch's rows are written together (row by row in savepoints if that fails),
with an UploadRow per row in the same transaction, so an interrupted run knows exactly how
far it got; a dry run starts again (its plan lived in memory only).
"""

import gc
from contextlib import contextmanager

import peewee as pw
from flask_babel import lazy_gettext as _l

from foundation.bulk_insert import insert_rows
from foundation.downloads import safe_filename
from imports import lifecycle, results
from imports.reading import FileProblem
from messaging import mail
from models import Choices, Company, Upload, UploadKind, UploadRow, UploadStatus, User, db, utcnow
from sessions import bulk_plan, history
from sessions.bulk_rows import COLUMNS, ID, Sheet, headings, parse_row, read_sheet, sheet_rows

__all__ = ["FileProblem", "COLUMNS"]

BATCH = 500  # rows per write transaction


class RowStatus(Choices):
    PUBLISHED = "published"
    VALID = "valid"
    DELETED = "deleted"
    INVALID = "invalid"
    LABELS = {
        PUBLISHED: _l("Published"),
        VALID: _l("Valid"),
        DELETED: _l("Deleted"),
        INVALID: _l("Invalid"),
    }


def start_upload(uploader, filename, data, company, is_check, locale=None):
    """Read the whole file now (one clear FileProblem if it cannot be used) and keep it for
    checking or applying; its messages in `locale` (the page's), else the uploader's."""
    sheet = read_sheet(filename, data, company.bulk_rows_limit)
    return lifecycle.start(
        IMPORTER,
        uploader,
        filename,
        locale=locale,
        status=UploadStatus.QUEUED,
        is_check=is_check,
        data=data,
        columns=sheet.columns,
        extra_columns=sheet.extra_columns,
        total=sheet.total,
    )


class BulkRun(lifecycle.Run):
    def __init__(self, upload, now):
        super().__init__(upload, now)
        uploader = User.get_by_id(upload.uploaded_by_id)
        columns, positions, extra = headings(upload.columns)
        self.sheet = Sheet(columns, positions, extra, upload.total)
        self.plan = bulk_plan.Plan(uploader, Company.current(), now, apply=not upload.is_check)

    def rows(self, skip):
        return sheet_rows(self.upload.filename, bytes(self.upload.data), skip=skip)

    def apply(self, batch):
        with (
            _cycles_collected_after(),
            history.acting_as(history.Actor.BULK_UPLOAD, self.upload.uploaded_by_id),
        ):
            parsed, outcomes = _settle_batch(self.plan, self.sheet, batch)
        insert_rows(
            UploadRow,
            [
                _result(self.upload, row, outcome)
                for row, outcome in zip(parsed, outcomes, strict=True)
            ],
        )

    def finish(self):
        return _counts(self.upload.id)


class BulkImporter(lifecycle.Importer):
    kind = UploadKind.SESSIONS
    run_class = BulkRun
    batch_size = BATCH
    result_notice = "bulk_upload_result"

    def runs_in_background(self, upload, company):
        return upload.total > company.bulk_background_rows

    def resume_from(self, upload):
        if upload.is_check and upload.done:
            UploadRow.delete().where(UploadRow.upload == upload.id).execute()
            return 0
        return upload.done


IMPORTER = BulkImporter()


@contextmanager
def _cycles_collected_after():
    """Python's cycle collector paused for a batch. A batch makes some hundred thousand
    short-lived objects (rows, values, model rows, statements' parameters); the collector
    kept walking them, and the whole heap with them, for about a tenth of the batch's time
    (measured), while reference counting frees nearly all of them anyway. What cycles a
    batch leaves are collected after it. Another thread that paused it too leaves it
    running when the first one is done (the collector is never left off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _settle_batch(plan, sheet, batch):
    """Inside the batch's write transaction (nothing changes between reading and writing):
    each row's outcome, its change written. A row that fails when written alone (after the
    batch's write at once failed) may have kept a later row out with a clash that never
    happened: then the batch is undone and planned again, that row refused up front."""
    failed = {}
    while True:
        parsed = [parse_row(line, cells, sheet) for line, cells in batch]
        with db.atomic() as savepoint:
            plan.prepare(parsed, failed)
            outcomes = [plan.settle(row) for row in parsed]
            refused = plan.flush()
            if not refused or refused.keys() <= failed.keys():
                return parsed, outcomes
            failed |= refused
            savepoint.rollback()
            plan.undo()


def _result(upload, row, outcome):
    """The result row of a data row: `outcome` is (status, session id) from the plan."""
    status, session_id = outcome
    return {
        "upload": upload.id,
        "line": row.line,
        "cells": row.cells,
        "session_id": session_id,
        "status": status,
        "message": " ".join([*row.messages(), *row.notes]),
    }


def _counts(upload_id):
    counts = dict.fromkeys(RowStatus.values(), 0)
    query = UploadRow.select(UploadRow.status, pw.fn.COUNT(UploadRow.id).alias("n"))
    for found in query.where(UploadRow.upload == upload_id).group_by(UploadRow.status):
        counts[found.status] = found.n
    return counts


def summary_line(upload):
    counts = upload.counts or {}
    return " ".join(f"{status}={counts.get(status, 0)}" for status in RowStatus.values())


# Results -----------------------------------------------------------------------------------


def result_rows(upload, only_invalid=False, limit=None):
    """The upload's rows as they were given, with the new id of a created session, its
    status and its message, in file order."""
    query = UploadRow.select().where(UploadRow.upload == upload.id)
    if only_invalid:
        query = query.where(UploadRow.status == RowStatus.INVALID)
    query = query.order_by(UploadRow.line)
    if limit:
        query = query.limit(limit)
    return query


RESULT_COLUMNS = ("Status", "Status message")


def result_table(upload):
    """The result CSV's rows: every column of the file, then Status and Status message (a
    result uploaded again gets new ones, not a second pair)."""
    width = len(upload.columns)
    id_column = upload.columns.index(ID)
    kept = [index for index, name in enumerate(upload.columns) if name not in RESULT_COLUMNS]
    yield [*(upload.columns[index] for index in kept), *RESULT_COLUMNS]
    for row in result_rows(upload).iterator():
        cells = (list(row.cells) + [""] * width)[:width]
        if row.session_id and not cells[id_column]:
            cells[id_column] = str(row.session_id)
        yield [*(cells[index] for index in kept), RowStatus.label(row.status), row.message]


def result_csv(upload):
    """The result as CSV text (the email's attachment, the command's --out file)."""
    return results.result_text(result_table(upload))


def result_filename(upload):
    stem = safe_filename(upload.filename, "sessions").rsplit(".", 1)[0][:80]
    return f"{stem}-result-{upload.id}.csv"


def _result_notice(context, _locale):
    upload = Upload.get_or_none(
        Upload.id == context["upload_id"], Upload.kind == UploadKind.SESSIONS
    )
    if upload is None:
        raise mail.Obsolete("the upload was deleted")
    attachment = {
        "filename": result_filename(upload),
        "content_type": "text/csv; charset=utf-8",
        "data": result_csv(upload),
    }
    return {"upload": upload, "counts": upload.counts, "statuses": RowStatus}, [attachment]


def may_upload(user, company):
    """Admins, and hosts when the company lets hosts create sessions."""
    return bulk_plan.may_create_sessions(user, company)


def sample_rows(uploader, company, now=None):
    """The sample CSV: the 17 headings and two example rows that pass as they are."""
    return bulk_plan.sample_rows(uploader, company, now or utcnow())


def uploads_of(user, limit=5):
    return list(
        Upload.select(
            Upload.id,
            Upload.kind,
            Upload.filename,
            Upload.status,
            Upload.is_check,
            Upload.total,
            Upload.done,
            Upload.counts,
            Upload.created_at,
        )
        .where(Upload.uploaded_by == user, Upload.kind == UploadKind.SESSIONS)
        .order_by(Upload.id.desc())
        .limit(limit)
    )


# What the worker needs to write each notice kind this module queues (background.py).
NOTICE_LOADERS = {
    "bulk_upload_result": _result_notice,
}
