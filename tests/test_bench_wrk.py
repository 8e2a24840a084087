"""The benchmarks' load driver (bench/wrk.py) counts what the server answered, exactly:
each request of a share reaches the server once (the request wrk builds to check the
script is never sent), answers are classified by status and marker, the fillers sent
while the last answers are on their way are never counted, and the workers' CPU time
over the load is read."""

from bench import wrk


def test_wrk_share_sends_each_request_once_and_classifies_the_answers(tmp_path):
    with wrk.bare_hello(tmp_path) as bare:
        server = bare.server
        mark = server.log_mark()
        requests = [wrk.Request("GET", "/hello"), wrk.Request("GET", "/missing")]
        load = wrk.run(server, requests, count=201, markers=("Hello",))
        logged = server.seconds_since(mark, 201)
    # The first thread's share is /hello (101 times), the second's /missing (100 times).
    assert load.counts == {(200, 1): 101, (404, 0): 100}
    assert len(logged) == 201  # what the server's access log holds: no request twice
    assert load.seconds > 0 and load.per_s == 201 / load.seconds
    assert load.cpu_seconds > 0


def test_wrk_probe_cycles_for_its_seconds(tmp_path):
    with wrk.bare_hello(tmp_path) as bare:
        load = wrk.run(bare.server, [wrk.Request("GET", "/hello")], seconds=1)
    assert set(load.counts) == {(200, 0)}
    assert load.count > 10
