"""gunicorn settings for `make run` (and for production: `gunicorn -c gunicorn.conf.py`).

Sync workers, two per core: SQLite lets one writer in at a time, so threads inside a worker
only wait on each other (one holds the write lock while a sibling renders under the GIL);
separate processes keep every core busy instead. On PostgreSQL the same rule sizes a web
host; add hosts rather than threads.
"""

import multiprocessing
import os

wsgi_app = "app:create_app()"
bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '5000'}"
workers = int(os.environ.get("WEB_WORKERS") or 2 * multiprocessing.cpu_count())
worker_class = "sync"
accesslog = "-"
