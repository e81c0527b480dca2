#!/usr/bin/env python3
"""Slow clients against `ragops serve`, with a liveness probe and honest
clients measured meanwhile (tests/integration/t0150-serve-slowloris.sh).

  slowloris.py URL --seconds S --attack-from A[,B...] --honest-from H

ATTACKERS sockets (spread over the --attack-from addresses, all loopback)
each send the start of a request ("GET / HTTP/1.1", Host, then a header
that never ends) and then one byte every TICK seconds; a socket the server
closes is opened again at its next tick, as slowloris does.  Meanwhile,
from --honest-from, a /healthz probe on a fresh connection every 0.2 s
(as an orchestrator's probe would) and honest clients: GET
/api/documents?limit=1 every 0.5 s and POST /api/feedback every 2 s.

Prints one JSON object: probe and honest latencies (p50, p99, max) and
failures (a timeout counts as a failure and as PROBE_TIMEOUT seconds),
and how long the server let attacking sockets live.
"""
import argparse
import errno
import http.client
import json
import selectors
import socket
import threading
import time
import urllib.parse

PROBE_TIMEOUT = 3.0
HONEST_TIMEOUT = 5.0


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100.0 * (len(v) - 1) + 0.5))]


def summary(latencies):
    return {"n": len(latencies), "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "max": max(latencies) if latencies else None}


class Attack:
    """ATTACKERS slow sockets driven by one selector loop."""

    def __init__(self, host, port, sources, count, tick):
        self.host, self.port, self.sources, self.tick = host, port, sources, tick
        self.sel = selectors.DefaultSelector()
        # slot: [socket or None, opened_at, next_tick]
        self.slots = [[None, 0.0, 0.0] for _ in range(count)]
        self.opened = self.refused = self.closed_by_server = 0
        self.lifetimes = []      # seconds each socket lived before the server closed it
        self.pending_start = set()   # slots whose request line is not sent yet

    def open(self, i, now):
        src = self.sources[i % len(self.sources)]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((src, 0))
            s.setblocking(False)
            rc = s.connect_ex((self.host, self.port))
            if rc not in (0, errno.EINPROGRESS):
                raise OSError(rc, "connect")
        except OSError:
            s.close()
            self.refused += 1
            return
        self.slots[i][0], self.slots[i][1] = s, now
        self.sel.register(s, selectors.EVENT_READ, i)
        self.opened += 1
        self.pending_start.add(i)

    def drop(self, i, now, by_server):
        s = self.slots[i][0]
        if s is None:
            return
        if by_server:
            self.closed_by_server += 1
            self.lifetimes.append(now - self.slots[i][1])
        self.sel.unregister(s)
        s.close()
        self.slots[i][0] = None

    def step(self, i, now):
        s = self.slots[i][0]
        if s is None:
            self.open(i, now)
            return
        try:
            if i in self.pending_start:
                s.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                self.pending_start.discard(i)
            else:
                s.send(b"a")
        except BlockingIOError:
            # Still connecting (the server has not accepted it): try at the next tick.
            pass
        except OSError:
            self.drop(i, now, True)

    def run(self, until):
        start = time.monotonic()
        for i, slot in enumerate(self.slots):
            slot[2] = start + self.tick * i / len(self.slots)   # spread over one tick
        while True:
            now = time.monotonic()
            if now >= until:
                break
            due = min(slot[2] for slot in self.slots)
            for key, _ in self.sel.select(timeout=max(0.0, min(due, until) - now)):
                i = key.data
                try:
                    data = key.fileobj.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.drop(i, time.monotonic(), True)
            now = time.monotonic()
            for i, slot in enumerate(self.slots):
                if slot[2] <= now:
                    self.step(i, now)
                    slot[2] += self.tick
        now = time.monotonic()
        alive = [now - slot[1] for slot in self.slots if slot[0] is not None]
        for i in range(len(self.slots)):
            self.drop(i, now, False)
        return {"sockets_opened": self.opened, "connect_failed": self.refused,
                "closed_by_server": self.closed_by_server,
                "lifetime_max": max(self.lifetimes) if self.lifetimes else None,
                "open_at_end": len(alive), "open_at_end_oldest": max(alive) if alive else None}


def timed_request(host, port, source, method, path, body, timeout):
    """(status or error name, seconds) of one request on a fresh connection."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0))
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body, headers)
        r = conn.getresponse()
        r.read()
        return r.status, time.monotonic() - t0
    except Exception as e:   # a timeout, a refusal, a reset: all failures
        return type(e).__name__, max(time.monotonic() - t0, timeout if "imeout" in type(e).__name__ else 0)
    finally:
        conn.close()


def every(interval, until, fn):
    nxt = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= until:
            return
        if nxt > now:
            time.sleep(min(nxt, until) - now)
            continue
        fn()
        nxt += interval
        if nxt < time.monotonic():
            nxt = time.monotonic()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--attackers", type=int, default=300)
    ap.add_argument("--tick", type=float, default=2.0)
    ap.add_argument("--attack-from", default="127.0.0.1")
    ap.add_argument("--honest-from", default="127.0.0.1")
    ap.add_argument("--warmup", type=float, default=2.0,
                    help="seconds of attack before measuring (the sockets are opened over one tick)")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    host, port = u.hostname, u.port
    start = time.monotonic()
    until = start + a.seconds
    attack = Attack(host, port, a.attack_from.split(","), a.attackers, a.tick)
    attack_result = {}
    t = threading.Thread(target=lambda: attack_result.update(attack.run(until)))
    t.start()
    time.sleep(a.warmup)

    lock = threading.Lock()
    probes, probe_failures = [], {}
    honest, honest_failures = [], {}

    pending = []   # the request threads, joined at the end

    def probe():
        def go():
            status, secs = timed_request(host, port, a.honest_from, "GET", "/healthz", None, PROBE_TIMEOUT)
            with lock:
                probes.append(secs)
                if status != 200:
                    probe_failures[str(status)] = probe_failures.get(str(status), 0) + 1
        # Each probe on its own thread: a hung one does not delay the next.
        th = threading.Thread(target=go)
        th.start()
        pending.append(th)

    counter = [0]

    def honest_client():
        counter[0] += 1
        n = counter[0]
        if n % 4 == 0:
            body = json.dumps({"question": f"Slow clients {n} ?", "answer": "Served.", "rating": 4})
            want, req = 201, ("POST", "/api/feedback", body)
        else:
            want, req = 200, ("GET", "/api/documents?limit=1", None)

        def go():
            status, secs = timed_request(host, port, a.honest_from, *req, HONEST_TIMEOUT)
            with lock:
                honest.append(secs)
                if status != want:
                    honest_failures[str(status)] = honest_failures.get(str(status), 0) + 1
        th = threading.Thread(target=go)
        th.start()
        pending.append(th)

    threads = [threading.Thread(target=every, args=(0.2, until, probe)),
               threading.Thread(target=every, args=(0.5, until, honest_client))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.join()
    for th in pending:   # the last requests end, at worst by their timeout
        th.join()
    with lock:
        print(json.dumps({"seconds": a.seconds, "attackers": a.attackers,
                          "attack_from": a.attack_from, "honest_from": a.honest_from,
                          "probe": summary(probes), "probe_failures": probe_failures,
                          "honest": summary(honest), "honest_failures": honest_failures,
                          "attack": attack_result}))


if __name__ == "__main__":
    main()
