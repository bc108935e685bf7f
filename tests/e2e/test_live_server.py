"""The browser tests' live server (tests/e2e/conftest.py) closes every response it was given, even
when the browser drops the connection part-way (a favicon fetch cancelled by a navigation).
werkzeug's development server closes the app's response only after draining the socket, and that
drain raises on a reset connection: WhiteNoise's open file was then left to the garbage
collector, whose ResourceWarning pytest turned into the next browser test's error (a CI run,
2026-12-07: tests/e2e/test_hna_offline.py, at set-up, for favicon.svg.br)."""
from __future__ import annotations

import socket
import threading
import time

from werkzeug.serving import make_server

from tests.e2e.conftest import QuietRequestHandler, closing_every_response


class _Response:
    """A response that says when it was closed."""

    def __init__(self):
        self.closed = threading.Event()

    def __iter__(self):
        yield b"hello"

    def close(self):
        self.closed.set()


class _ResetWhileDraining:
    """werkzeug's selector for draining what the client sent after the response, as it finds a
    connection the browser has reset: reading it raises (here at once, every time)."""

    def register(self, *_args):
        pass

    def select(self, timeout=None):
        raise ConnectionResetError(104, "Connection reset by peer")

    def close(self):
        pass


def test_a_response_is_closed_when_the_connection_is_found_reset_after_it(monkeypatch):
    from werkzeug import serving

    monkeypatch.setattr(serving.selectors, "DefaultSelector", _ResetWhileDraining)
    responses = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        response = _Response()
        responses.append(response)
        return response

    server = make_server("localhost", 0, closing_every_response(app), threaded=True,
                         request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("localhost", server.server_port), timeout=10) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            # Until the server closes the connection: the head and the body may come apart.
            received = b""
            while chunk := client.recv(65536):
                received += chunk
            assert b"hello" in received
        deadline = time.monotonic() + 10
        while not responses and time.monotonic() < deadline:
            time.sleep(0.01)
        assert responses and responses[0].closed.wait(5), "the response was never closed"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
