"""Small pieces both benchmarks use: printing as they go, and a free loopback port."""

import socket


def say(text):
    print(text, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
