"""The job worker's entry point: `huey_consumer tasks.huey -k thread -w 2`.

Every job and periodic sweep is listed in background.py, which the app factory installs;
jobs run inside an app made by that factory, as the web app is.
"""

import background  # noqa: F401  (the one list of jobs; see its docstring)
from app import create_app
from foundation.jobs import huey, run_jobs_in

__all__ = ["huey"]  # what `huey_consumer tasks.huey` loads

run_jobs_in(create_app)
