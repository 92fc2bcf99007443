#!/usr/bin/python3
"""Berth test backend: a tiny tornado app that stands in for a single-user server.

Listens on 0.0.0.0:$PORT (default 8888) and answers ANY path; no path prefix is
special, so the proxy can forward /user/<name>/... unchanged.

  <any>/echo, any other path      200 JSON {method, path, query, headers, env, ...}
  GET <any>/bytes/<n>             200, n bytes of application/octet-stream, streamed
  POST|PUT <any>/upload           reads the streamed body -> {"bytes": n, "sha256": hex}
  GET <any>/ws                    WebSocket echo (text and binary); any other path
                                  carrying "Upgrade: websocket" is a WS echo too
  <any>/status/<code>             answers that status code

Environment knobs for tests:
  PORT               listen port (default 8888)
  BACKEND_EXIT_CODE  log a few lines (incl. "backend failing on purpose") and exit with it
  BACKEND_DELAY_S    sleep this many seconds before listening
SIGTERM / SIGINT exit immediately with status 0 (the process is PID 1 in its container,
so the handlers are installed explicitly).
"""

import asyncio
import hashlib
import json
import os
import signal
import sys
import time

ENV_PREFIXES = ("JUPYTERHUB_", "JPY_", "BERTH_")
ENV_NAMES = {
    "MEM_LIMIT",
    "MEM_GUARANTEE",
    "CPU_LIMIT",
    "CPU_GUARANTEE",
    "JUPYTER_IMAGE_SPEC",
    "JUPYTER_IMAGE",
    "GITHUB_TOKEN",
}
CHUNK = 64 * 1024
ZEROS = b"\0" * CHUNK


def log(msg):
    print("[backend] %s" % msg, flush=True)


def _terminate(signum, _frame):
    log("received signal %d, exiting" % signum)
    os._exit(0)


signal.signal(signal.SIGTERM, _terminate)
signal.signal(signal.SIGINT, _terminate)

# Fail / delay before importing tornado so that both paths are as fast as possible.
if os.environ.get("BACKEND_EXIT_CODE", "") != "":
    code = int(os.environ["BACKEND_EXIT_CODE"])
    log("starting berth test backend (pid %d)" % os.getpid())
    log("BACKEND_EXIT_CODE=%d is set" % code)
    log("backend failing on purpose")
    print("[backend] exiting with code %d" % code, file=sys.stderr, flush=True)
    sys.exit(code)

if os.environ.get("BACKEND_DELAY_S", "") != "":
    delay = float(os.environ["BACKEND_DELAY_S"])
    log("BACKEND_DELAY_S=%s: sleeping before listening" % delay)
    time.sleep(delay)

import logging  # noqa: E402

import tornado.httpserver  # noqa: E402
import tornado.routing  # noqa: E402
import tornado.web  # noqa: E402
import tornado.websocket  # noqa: E402


def selected_env():
    return {
        k: v
        for k, v in os.environ.items()
        if k.startswith(ENV_PREFIXES) or k in ENV_NAMES
    }


def header_dict(request):
    out = {}
    for name, value in request.headers.get_all():
        key = name.lower()
        if key in out:
            out[key] = out[key] + ("; " if key == "cookie" else ", ") + value
        else:
            out[key] = value
    return out


class Base(tornado.web.RequestHandler):
    def set_default_headers(self):
        self.set_header("Server", "berth-test-backend")

    def write_json(self, obj, status=200):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(obj, sort_keys=True))

    def echo(self):
        body = self.request.body or b""
        self.write_json(
            {
                "method": self.request.method,
                "path": self.request.path,
                "query": self.request.query,
                "uri": self.request.uri,
                "headers": header_dict(self.request),
                "env": selected_env(),
                "remote_ip": self.request.remote_ip,
                "body_bytes": len(body),
            }
        )


class EchoHandler(Base):
    """Catch-all: every unmatched request gets the echo document."""

    def get(self, *_a):
        self.echo()

    post = put = patch = delete = options = get

    def head(self, *_a):
        self.set_header("Content-Type", "application/json")
        self.finish()


class StatusHandler(Base):
    def get(self, code):
        code = int(code)
        if code < 200 or code > 999:
            code = 400
        self.set_status(code)
        if code in (204, 304):
            self.finish()
        else:
            self.write_json({"status": code}, status=code)

    post = put = patch = delete = get


class BytesHandler(Base):
    async def get(self, n):
        n = int(n)
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Length", str(n))
        sent = 0
        while sent < n:
            size = min(CHUNK, n - sent)
            self.write(ZEROS if size == CHUNK else ZEROS[:size])
            sent += size
            await self.flush()
        self.finish()

    def head(self, n):
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Length", str(int(n)))
        self.finish()


@tornado.web.stream_request_body
class UploadHandler(Base):
    def prepare(self):
        self.nbytes = 0
        self.hash = hashlib.sha256()

    def data_received(self, chunk):
        self.nbytes += len(chunk)
        self.hash.update(chunk)

    def _done(self, *_a):
        log("upload: %d bytes" % self.nbytes)
        self.write_json({"bytes": self.nbytes, "sha256": self.hash.hexdigest()})

    post = put = _done

    def get(self, *_a):
        # body already consumed (empty); answer like the echo endpoint
        self.echo()


class WSEchoHandler(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin):
        return True

    def select_subprotocol(self, subprotocols):
        return subprotocols[0] if subprotocols else None

    def open(self, *_a):
        log("websocket open %s" % self.request.path)

    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))

    def on_close(self):
        log("websocket closed %s" % self.request.path)


class WebSocketUpgrade(tornado.routing.Matcher):
    """Matches any request asking for a WebSocket upgrade, whatever its path."""

    def match(self, request):
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return {}
        return None


def make_app():
    return tornado.web.Application(
        [
            (r".*/ws", WSEchoHandler),
            tornado.routing.Rule(WebSocketUpgrade(), WSEchoHandler),
            (r".*/upload", UploadHandler),
            (r".*/bytes/(\d+)", BytesHandler),
            (r".*/status/(\d+)", StatusHandler),
            (r".*", EchoHandler),
        ],
        websocket_max_message_size=64 * 1024 * 1024,
    )


async def main():
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="[backend] %(message)s"
    )
    port = int(os.environ.get("PORT", "8888"))
    server = tornado.httpserver.HTTPServer(
        make_app(), max_body_size=16 * 1024 ** 3, xheaders=False
    )
    server.listen(port, address="0.0.0.0")
    log("listening on 0.0.0.0:%d" % port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
