"""What the benchmarks share: a temp workspace that keeps every side effect inside it, the
app under the gunicorn configuration `make run` uses (and its workers' CPU time), an HTTP
client with its cookies and CSRF token, a threaded request loop for setup and warm-up,
and SQL statement counts. Their databases and seeding are in bench/seeding.py; the
measured loads (wrk) and the bare "hello" baseline are in bench/wrk.py.

Nothing here imports the app at module level: the scripts first point the environment at
their temp dir (`workspace`), then the app's modules read it when first imported.
"""

import argparse
import http.client
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
SECRET_KEY = "convene-bench-secret"  # the same in every worker, so sessions survive
PASSWORD = "bench-password"
THREADS = 32  # concurrent clients of every load
HTTP_TIMEOUT = 60  # seconds, for every request
START_TIMEOUT = 60  # seconds for a server to answer
CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')
# The access log line of every request: its method, path, status and microseconds taken.
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"


def say(text):
    print(text, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values, fraction):
    """Nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def arguments(doc, with_postgres=False):
    """--quick (and --postgres) from the command line; the script's docstring is its help."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the short run, under 2 minutes")
    if with_postgres:
        parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    return parser.parse_args()


# The workspace -----------------------------------------------------------------------------


def isolated_settings(instance):
    """Environment that keeps every side effect of the app inside the temp `instance` dir:
    the secret, the Huey queue (SQLite, never Redis) and the emails (no SMTP: .eml files)."""
    return {
        "CONVENE_INSTANCE": str(instance),
        "SECRET_KEY": SECRET_KEY,
        "REDIS_URL": "",
        "HUEY_SQLITE_PATH": str(instance / "huey.db"),
        "SMTP_HOST": "",
        "OUTBOX_DIR": str(instance / "outbox"),
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ left in the checkout
    }


@contextmanager
def workspace(prefix):
    """A temp dir with `instance/` inside, the environment pointed at it; removed after."""
    work = Path(tempfile.mkdtemp(prefix=f"convene-bench-{prefix}-"))
    try:
        (work / "instance").mkdir()
        os.environ.update(isolated_settings(work / "instance"))
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Servers under the gunicorn configuration of `make run` ------------------------------------


def gunicorn_configuration():
    """The flags `make run` starts gunicorn with: its config file when the checkout has one,
    else the Makefile's `--workers $(WEB_WORKERS)` (sync workers)."""
    config_file = ROOT / "gunicorn.conf.py"
    if config_file.exists():
        return ["-c", str(config_file)]
    found = re.search(r"^WEB_WORKERS\s*\?=\s*(\d+)", (ROOT / "Makefile").read_text(), re.M)
    return ["--workers", os.environ.get("WEB_WORKERS") or (found.group(1) if found else "2")]


def setup_line(postgres, server):
    flags = " ".join(gunicorn_configuration())
    return f"{'postgres' if postgres else 'sqlite'}; gunicorn {flags}: {server.workers} workers"


@dataclass
class Server:
    base: str
    access_log: Path
    workers: int
    pid: int  # gunicorn's master; its children are the workers

    def cpu_seconds(self):
        """The CPU time (user + system) the workers have used so far."""
        return sum(process_cpu_seconds(pid) for pid in children_of(self.pid))

    def worker_rss_mb(self):
        """The resident memory of the largest worker, in MB (VmRSS)."""
        return max((process_rss_mb(pid) for pid in children_of(self.pid)), default=0.0)

    def log_mark(self):
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def seconds_since(self, mark, expected):
        """Server-side seconds of each request the access log has since `mark`; waits a
        moment for the last of `expected` (gunicorn logs after the answer is sent)."""
        deadline = time.monotonic() + 5
        while True:
            with open(self.access_log, "rb") as log:
                log.seek(mark)
                lines = log.read().decode(errors="replace").splitlines()
            if len(lines) >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return [int(line.split()[-1]) / 1e6 for line in lines]


@contextmanager
def gunicorn(app_spec, cwd, logs, name, env=None, health="/healthz"):
    """`app_spec` under gunicorn with the configuration of `make run` on a free loopback
    port, its access log (with each request's server-side time) in `logs`."""
    port, access_log, error_log = free_port(), logs / f"{name}-access.log", logs / f"{name}.log"
    command = [
        str(VENV_BIN / "gunicorn"),
        *gunicorn_configuration(),
        "--chdir",  # where the app's module is, whatever the configuration says
        str(cwd),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(access_log),
        "--access-logformat",
        ACCESS_FORMAT,
        "--error-logfile",
        str(error_log),
        app_spec,
    ]
    environment = {**os.environ, **(env or {})}
    # Its own process group, so the workers go with the master if it must be killed.
    server = subprocess.Popen(command, cwd=cwd, env=environment, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(base, health, server, error_log)
        booted = tail(error_log, 200).count("Booting worker")
        yield Server(base, access_log, booted, server.pid)
    finally:
        stop_process_group(server)


def children_of(parent):
    """The ids of the processes whose parent is `parent` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def process_cpu_seconds(pid):
    """utime + stime of process `pid` (all its threads), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_mb(pid):
    """VmRSS of process `pid` in MB, 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else 0.0


def wait_until_answering(base, path, server, log):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{tail(log)}")
        try:
            if Browser(base).get(path).status == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise RuntimeError(f"{base}{path} did not answer in {START_TIMEOUT} s:\n{tail(log)}")


def stop_process_group(process, timeout=20):
    if process.poll() is not None:
        return
    process.terminate()  # gunicorn's graceful stop: the master stops its workers
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def convene(url, work, name):
    """The real app (`make run`'s "app:create_app()") on the database at `url`."""
    with gunicorn("app:create_app()", ROOT, work, name, {"DATABASE_URL": url}) as server:
        yield server


def warm_up(send, server):
    """A few untimed requests at once, so that every worker has loaded what it needs."""
    workers = max(server.workers, 1)
    run_load(send, requests=4 * workers, threads=2 * workers)


# The HTTP client ---------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: bytes
    headers: object
    seconds: float = 0.0  # from connecting to the last byte read

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class Browser:
    """One person's browser: its cookies (the signed session) and the page's CSRF token.
    A fresh connection for each request, as sync workers close them; no proxies, loopback."""

    def __init__(self, base):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies, self.token = {}, None

    def request(self, method, path, body=None, headers=None):
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=HTTP_TIMEOUT)
        try:
            sent = {"Connection": "close", **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in list(self.cookies.items()))
            if isinstance(body, dict):
                body = urllib.parse.urlencode(body).encode()
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            body = response.read()
            answer = Answer(response.status, body, response.headers, time.perf_counter() - started)
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def htmx_post(self, path, form=None):
        headers = {"X-CSRFToken": self.token, "HX-Request": "true"}
        return self.request("POST", path, form or b"", headers)

    def sign_in(self, email, landing):
        """Sign in through the login form; keep the token of the `landing` page (signing in
        clears the session, and with it the token of the login page)."""
        form = {"email": email, "password": PASSWORD, "csrf_token": token_in(self.get("/login"))}
        answer = self.request("POST", "/login", form)
        if answer.status != 302:
            raise RuntimeError(f"{email} could not sign in: {answer.status}")
        self.token = token_in(self.get(landing))
        return self


class InProcessBrowser(Browser):
    """The same requests through the Flask test client of `app`, in this process (for
    counting the SQL statements a request runs). The test client keeps the cookies."""

    def __init__(self, app):
        self.client, self.cookies, self.token = app.test_client(), {}, None

    def request(self, method, path, body=None, headers=None):
        started = time.perf_counter()
        response = self.client.open(path, method=method, data=body, headers=headers or {})
        data = response.get_data()
        return Answer(response.status_code, data, response.headers, time.perf_counter() - started)


def token_in(answer):
    found = CSRF_IN_PAGE.search(answer.text)
    if not found:
        raise RuntimeError(f"no CSRF token in the page ({answer.status})")
    return found.group(1)


# The load loop -----------------------------------------------------------------------------


@dataclass
class Load:
    wall: float = 0.0
    answers: list = field(default_factory=list)  # (request number, Answer)

    @property
    def count(self):
        return len(self.answers)

    @property
    def per_s(self):
        return self.count / self.wall if self.wall else 0.0

    def latency_ms(self, fraction):
        return percentile([answer.seconds for _n, answer in self.answers], fraction) * 1000

    @property
    def mean_bytes(self):
        return sum(len(answer.body) for _n, answer in self.answers) / max(self.count, 1)

    def statuses(self):
        counts = {}
        for _n, answer in self.answers:
            counts[answer.status] = counts.get(answer.status, 0) + 1
        return counts


def run_load(send, requests=None, seconds=None, min_requests=1, threads=THREADS):
    """Call `send(number)` -> Answer for number 0, 1, ... from `threads` threads at once,
    until `requests` calls were made, or `seconds` have passed and at least `min_requests`
    were made. The wall time runs to the last answer."""
    lock, load, issued = threading.Lock(), Load(), [0]
    started = time.perf_counter()

    def next_number():
        with lock:
            number, late = issued[0], time.perf_counter() - started >= (seconds or 0)
            if number >= (requests or 10**9) or (seconds and late and number >= min_requests):
                return None
            issued[0] += 1
            return number

    def client():
        while (number := next_number()) is not None:
            began = time.perf_counter()
            try:
                answer = send(number)
            except OSError as error:  # a refused or broken connection is an answer too
                answer = Answer(0, str(error).encode(), {}, time.perf_counter() - began)
            with lock:
                load.answers.append((number, answer))

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    load.wall = time.perf_counter() - started
    return load


# SQL statements ----------------------------------------------------------------------------


class StatementCounter:
    """Counts the SQL statements the database runs while it is active (the wrapper around
    `db.obj.execute_sql` that tests/conftest.py's `count_queries` uses)."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        from models import db

        self.database, self.original = db.obj, db.obj.execute_sql

        def counting(sql, *args, **kwargs):
            self.count += 1
            return self.original(sql, *args, **kwargs)

        self.database.execute_sql = counting
        return self

    def __exit__(self, *_exc):
        self.database.execute_sql = self.original
