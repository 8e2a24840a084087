"""A job worker runs jobs in several threads of one process: they share one app (foundation/jobs.py)
and compile its templates one at a time (app.py)."""

import threading
import time

from flask import current_app

from foundation import jobs


def test_a_consumers_threads_build_one_app_between_them(app, monkeypatch):
    built, seen, start = [], [], threading.Barrier(8)

    def slow_factory():
        built.append(1)
        time.sleep(0.05)  # long enough for every other thread to arrive meanwhile
        return app

    monkeypatch.setattr(jobs, "_app", None)
    monkeypatch.setattr(jobs, "_app_factory", slow_factory)
    job = jobs._in_app(lambda: seen.append(current_app._get_current_object()))

    def run_in_a_worker_thread():  # no app context, as in a consumer's thread
        start.wait()
        job()

    threads = [threading.Thread(target=run_in_a_worker_thread) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(built) == 1
    assert seen == [app] * 8


def test_templates_compile_one_at_a_time(app):
    """The job worker's threads render their first emails together; a template compiling in
    one waits for the other's (app.py SerialCompileEnvironment says why)."""
    compiled = []
    compile_in_a_thread = threading.Thread(
        target=lambda: compiled.append(app.jinja_env.from_string("{{ 1 + 2 }}").render())
    )
    with type(app.jinja_env)._compiling:  # another thread is compiling
        compile_in_a_thread.start()
        compile_in_a_thread.join(0.2)
        assert compile_in_a_thread.is_alive() and compiled == []
    compile_in_a_thread.join()
    assert compiled == ["3"]
