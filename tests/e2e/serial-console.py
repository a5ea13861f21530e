#!/usr/bin/env python3
"""Watches (and optionally types on) a QEMU serial console.

Connects to a QEMU "-chardev socket,server=on" UNIX socket, copies every
byte to a log file, and reports when patterns first appear, with seconds
since the connection (QEMU started with wait=on only runs the guest once we
are connected, so that is the guest's time zero).

  --success REGEX        end with exit 0 when it appears
  --fail NAME=REGEX      end with exit 1 when it appears (repeatable)
  --event NAME=REGEX     only record the time it first appears (repeatable)
  --type FILE            type FILE's bytes and a carriage return ...
  --type-after NAME      ... once event NAME has been seen ...
  --type-when-log PATH=REGEX  ... and REGEX appears in the file PATH ...
  --type-delay SECONDS   ... and both have held for SECONDS (the boot is
                         shown to stay at the prompt without the key)
  --timeout SECONDS      end with exit 2 when nothing decided by then

stdout gets one line per event ("event NAME 12.3") and a final
"result success|fail:NAME|timeout|eof SECONDS". Exit 3: no connection.
"""

import argparse
import re
import select
import socket
import sys
import time

MAX_TEXT = 4 * 1024 * 1024  # keep this much console text for matching


def named_regex(value):
    name, sep, regex = value.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=REGEX, got {value!r}")
    return name, re.compile(regex)


def path_regex(value):
    path, sep, regex = value.rpartition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"expected PATH=REGEX, got {value!r}")
    return path, re.compile(regex)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--connect-timeout", type=float, default=60.0)
    parser.add_argument("--success", type=re.compile, required=True)
    parser.add_argument("--fail", type=named_regex, action="append", default=[])
    parser.add_argument("--event", type=named_regex, action="append", default=[])
    parser.add_argument("--type", dest="type_file")
    parser.add_argument("--type-after")
    parser.add_argument("--type-when-log", type=path_regex)
    parser.add_argument("--type-delay", type=float, default=0.0)
    return parser.parse_args()


def connect(path, limit):
    deadline = time.monotonic() + limit
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)


def log_matches(spec):
    if spec is None:
        return True
    path, regex = spec
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            return regex.search(f.read()) is not None
    except OSError:
        return False


class Console:
    def __init__(self, args):
        self.args = args
        self.text = ""
        self.seen = {}
        self.start = time.monotonic()
        self.typed = False
        self.ready_since = None  # when the typing conditions first held

    def elapsed(self):
        return time.monotonic() - self.start

    def note(self, name):
        if name not in self.seen:
            self.seen[name] = self.elapsed()
            print(f"event {name} {self.seen[name]:.1f}", flush=True)

    def feed(self, data):
        self.text += data.decode("latin-1").replace("\r", "")
        if len(self.text) > MAX_TEXT:
            self.text = self.text[-MAX_TEXT // 2:]
        for name, regex in self.args.event:
            if name not in self.seen and regex.search(self.text):
                self.note(name)

    def verdict(self):
        if self.args.success.search(self.text):
            return "success"
        for name, regex in self.args.fail:
            if regex.search(self.text):
                return f"fail:{name}"
        return None

    def should_type(self):
        a = self.args
        if a.type_file is None or self.typed:
            return False
        if self.ready_since is None:
            if a.type_after is not None and a.type_after not in self.seen:
                return False
            if not log_matches(a.type_when_log):
                return False
            self.ready_since = self.elapsed()
            self.note("ready-to-type")
        return self.elapsed() - self.ready_since >= a.type_delay


def run(args):
    sock = connect(args.socket, args.connect_timeout)
    if sock is None:
        print("result no-connection 0", flush=True)
        return 3
    console = Console(args)
    with sock, open(args.log, "ab", buffering=0) as log:
        while True:
            left = args.timeout - console.elapsed()
            if left <= 0:
                print(f"result timeout {console.elapsed():.1f}", flush=True)
                return 2
            ready, _, _ = select.select([sock], [], [], min(left, 0.5))
            if ready:
                data = sock.recv(65536)
                if not data:
                    print(f"result eof {console.elapsed():.1f}", flush=True)
                    return 1
                log.write(data)
                console.feed(data)
                verdict = console.verdict()
                if verdict is not None:
                    print(f"result {verdict} {console.elapsed():.1f}", flush=True)
                    return 0 if verdict == "success" else 1
            if console.should_type():
                with open(args.type_file, "rb") as f:
                    secret = f.read()
                sock.sendall(secret + b"\r")
                console.typed = True
                console.note("typed")


def main():
    args = parse_args()
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
