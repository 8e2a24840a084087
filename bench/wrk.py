"""The load generator of the HTTP benchmarks: wrk (Debian's package, installed when it is
missing), 2 threads and 32 connections, fast enough that the server and not the client is
what a figure measures. It also owns the bare Flask "hello" baseline, loaded by the same
generator, and the server's CPU per request, read from its gunicorn workers.

A load is a list of prepared requests (each member's sign-up with its own cookies and
CSRF token, or one page requested over and over), split into one share per wrk thread;
`bench/wrk_share.lua` sends each share, classifies every answer by status and marker,
and stops a thread once its share is answered. Throughput is answers over wrk's run time;
CPU per request is the workers' utime + stime over the load, divided by the answers.
"""

import os
import shutil
import signal
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import harness

THREADS, CONNECTIONS = 2, 32
CLIENT = f"wrk-t{THREADS}-c{CONNECTIONS}"
LUA = Path(__file__).with_name("wrk_share.lua")
# Sent on a connection whose thread's share is all sent while its last answers are still
# on their way. gunicorn itself refuses it (400, "Invalid HTTP Version") without the app
# or the database, so it costs the workers little CPU; recognised by its body, so it is
# never counted. (gunicorn logs a warning line for each.)
FILLER = b"GET /bench-filler HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n"
FILLER_MARKER = "Invalid HTTP Version"
GIVE_UP_SECONDS = 60  # of fillers alone answered: the thread's last answers are lost
PROBE_SECONDS = 1
SHARE_TIMEOUT = 600  # seconds wrk may take for a share run; it stops once all is answered


def ensure_wrk():
    """wrk on the PATH; Debian's package is installed when it is missing."""
    if shutil.which("wrk"):
        return
    harness.say("wrk is missing: installing Debian's package")
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=quiet, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=quiet, check=True)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    def raw(self, host):
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def browser_request(browser, method, path, form=None, htmx=False):
    """A Request carrying `browser`'s cookies (and, for htmx, its CSRF token)."""
    headers = {}
    if browser.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    if htmx:
        headers.update({"X-CSRFToken": browser.token, "HX-Request": "true"})
    body = b""
    if form is not None:
        from urllib.parse import urlencode

        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return Request(method, path, headers, body)


@dataclass
class WrkLoad:
    """What one wrk run answered: counts by (status, marker number; 0 for none)."""

    seconds: float = 0.0
    counts: dict = field(default_factory=dict)
    fillers: int = 0
    bytes: int = 0
    latency_ms: dict = field(default_factory=dict)  # p50, p95, p99, max (fillers included)
    errors: dict = field(default_factory=dict)
    cpu_seconds: float = 0.0  # the workers' CPU over the load, less the fillers' estimate
    filler_cpu_seconds: float = 0.0  # the estimate taken off
    expected: int = 0

    @property
    def count(self):
        return sum(self.counts.values())

    @property
    def per_s(self):
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self):
        return 1000 * self.cpu_seconds / max(self.count, 1)

    @property
    def mean_bytes(self):
        return self.bytes / max(self.count, 1)

    def statuses(self):
        found = {}
        for (status, _marker), number in self.counts.items():
            found[status] = found.get(status, 0) + number
        return found

    def marked(self, status, marker):
        return self.counts.get((status, marker), 0)


def lua_string(data):
    """`data` (bytes) as a Lua string literal: printable ASCII as is, the rest \\ddd."""
    return (
        '"'
        + "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\{b:03d}" for b in data)
        + '"'
    )


def raw(request, host):
    return request if isinstance(request, bytes) else request.raw(host)


def data_file(path, host, shares, counts, mode, markers):
    def strings(items):
        return "{" + ",\n".join(lua_string(item) for item in items) + "}"

    path.write_text(
        "return {\n"
        f"mode = {lua_string(mode.encode())},\n"
        f"filler = {lua_string(FILLER)},\n"
        f"filler_marker = {lua_string(FILLER_MARKER.encode())},\n"
        f"give_up_us = {GIVE_UP_SECONDS * 1_000_000},\n"
        f"markers = {strings(m.encode() for m in markers)},\n"
        f"counts = {{{', '.join(str(c) for c in counts)}}},\n"
        f"shares = {{{', '.join(strings(raw(r, host) for r in share) for share in shares)}}},\n"
        "}\n"
    )


def run(server, requests, count=None, markers=(), seconds=None):
    """Send `count` requests (default: each of `requests` once, in turn; a Request or raw
    bytes), split evenly over the threads, and wait for every answer; with `seconds`, cycle
    through them for that long instead (the probe). Returns the WrkLoad, with the workers'
    CPU time over it."""
    count = len(requests) if count is None else count
    shares = [requests[n::THREADS] or requests for n in range(THREADS)]
    counts = [count // THREADS + (1 if n < count % THREADS else 0) for n in range(THREADS)]
    host = server.base.removeprefix("http://")
    with tempfile.TemporaryDirectory(prefix="convene-wrk-") as folder:
        data = Path(folder) / "requests.lua"
        data_file(data, host, shares, counts, "loop" if seconds else "share", markers)
        limit = seconds or SHARE_TIMEOUT
        command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{limit}s", "--timeout", "60s"]
        command += ["-s", str(LUA), server.base, "--", str(data)]
        cpu_before = server.cpu_seconds()
        output, finished = drive(command, 0 if seconds else THREADS, server.cpu_seconds)
        cpu_after = server.cpu_seconds() if seconds else finished["cpu"]
    load = parse(output)
    load.cpu_seconds, load.expected = cpu_after - cpu_before, 0 if seconds else count
    if not seconds:
        load.seconds = (max(finished["last"]) - min(finished["first"])) / 1e6
        load.filler_cpu_seconds = finished["fillers"] * filler_cpu_seconds(server)
        load.cpu_seconds -= load.filler_cpu_seconds
        if load.count != count:
            harness.say(f"WARNING: wrk had {load.count} answers of {count} ({load.errors})")
    return load


def drive(command, threads_to_finish, cpu_seconds):
    """Run wrk; once `threads_to_finish` threads said their share is answered, note the
    workers' CPU time, and once each has finished or given up, stop wrk (SIGINT: it then
    prints its summary). Returns (wrk's output, {"first": [...], "last": [...], "cpu":
    seconds}): the monotonic times of each thread's first request and last answer."""
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines, finished = [], {"first": [], "last": [], "fillers": 0, "cpu": 0.0}
    gave_up, stopped = set(), False
    for line in wrk.stdout:
        lines.append(line)
        if line.startswith("bench-wrk gave-up "):
            gave_up.add(line.split()[2])
        elif line.startswith("bench-wrk finished "):
            values = dict(pair.split("=") for pair in line.split()[2:])
            finished["first"].append(int(values["first_us"]))
            finished["last"].append(int(values["last_us"]))
            finished["fillers"] += int(values["fillers"])
            if len(finished["last"]) == threads_to_finish:
                finished["cpu"] = cpu_seconds()
        done = len(finished["last"]) + len(gave_up)
        if threads_to_finish and done == threads_to_finish and not stopped:
            wrk.send_signal(signal.SIGINT)
            stopped = True
    errors = wrk.stderr.read()
    wrk.wait()
    output = "".join(lines)
    if wrk.returncode != 0 or "bench-wrk summary" not in output:
        raise RuntimeError(f"wrk failed ({wrk.returncode}):\n{errors}\n{output[-2000:]}")
    if len(finished["last"]) < threads_to_finish:
        raise RuntimeError(f"wrk stopped before every answer came:\n{output[-2000:]}")
    return output, finished


def parse(output):
    load = WrkLoad()
    for line in output.splitlines():
        if not line.startswith("bench-wrk "):
            continue
        kind, *pairs = line.split()[1:]
        values = dict(pair.split("=", 1) for pair in pairs)
        if kind == "summary":
            load.seconds = int(values.pop("duration_us")) / 1e6
            values.pop("requests")
            load.errors = {k: int(v) for k, v in values.items() if int(v)}
        elif kind == "latency":
            load.latency_ms = {k: int(v) / 1000 for k, v in values.items()}
        elif kind == "thread":
            load.fillers += int(values.pop("fillers"))
            load.bytes += int(values.pop("bytes"))
            values.pop("answered")
            for key, number in values.items():
                status, marker = key.split(":")
                key = (int(status), int(marker))
                load.counts[key] = load.counts.get(key, 0) + int(number)
    return load


FILLER_CPU = {}  # gunicorn master's pid: the workers' CPU seconds per filler refused


def filler_cpu_seconds(server):
    """What refusing one filler costs the workers, measured once per server: fillers alone
    for PROBE_SECONDS. A share run's CPU is taken off this times its fillers, which
    matters when a share is not much larger than the connections."""
    if server.pid not in FILLER_CPU:
        load = run(server, [FILLER], seconds=PROBE_SECONDS)
        FILLER_CPU[server.pid] = load.cpu_seconds / max(load.fillers, 1)
    return FILLER_CPU[server.pid]


def sized(server, request, seconds, min_requests=1):
    """The same `request` for about `seconds`: a probe of PROBE_SECONDS (which also warms
    every worker up) gives the rate, then a share run of that many answers is measured."""
    probe = run(server, [request], seconds=PROBE_SECONDS)
    return run(server, [request], count=max(min_requests, round(probe.per_s * seconds)))


# The bare baseline -------------------------------------------------------------------------

BARE_APP = '''"""The baseline: the least a Flask app on this gunicorn configuration can do."""
from flask import Flask

app = Flask(__name__)


@app.route("/hello")
def hello():
    return "Hello"
'''


class Bare:
    """The bare Flask "hello" under the same gunicorn configuration, loaded by the same wrk.
    It runs beside the app (idle meanwhile) and is measured right before and after each
    measurement of the app, so that a ratio compares the two under the same load from
    whatever else runs on the machine."""

    def __init__(self, server):
        self.server = server

    def around(self, measurement, seconds):
        """(what `measurement()` returns, Baseline of a bare run right before and after)."""
        before = sized(self.server, Request("GET", "/hello"), seconds)
        result = measurement()
        after = sized(self.server, Request("GET", "/hello"), seconds)
        return result, Baseline([before, after])


@dataclass
class Baseline:
    loads: list

    @property
    def per_s(self):
        return sum(load.per_s for load in self.loads) / len(self.loads)

    @property
    def cpu_ms(self):
        answers = sum(load.count for load in self.loads)
        return 1000 * sum(load.cpu_seconds for load in self.loads) / max(answers, 1)


@contextmanager
def bare_hello(work):
    """The bare app, written to `work` and started there."""
    ensure_wrk()
    (work / "bench_hello.py").write_text(BARE_APP)
    with harness.gunicorn("bench_hello:app", work, work, "bare", health="/hello") as server:
        yield Bare(server)
