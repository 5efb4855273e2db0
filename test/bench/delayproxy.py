#!/usr/bin/python3
"""A TCP proxy on 127.0.0.1 that adds a round-trip time: each chunk read
from one side is written to the other DELAY ms after it arrived (RTT/2 in
each direction; arrival is the kernel's receive timestamp), in order,
without holding up the chunks behind it, with no bandwidth limit of its own.

    delayproxy.py TARGET_HOST TARGET_PORT DELAY_MS

Listens on an ephemeral port of 127.0.0.1 and prints it on stdout, then
serves until stdin closes or its parent process goes away (so nothing
outlives the benchmark that started it).

One thread, one select() loop over every socket, its timeout the next
chunk's due time. select() takes a timeout in microseconds (epoll, under
asyncio, rounds up to whole milliseconds, which would turn 0.5 ms into
1 ms or more). An earlier version used two threads per direction and
time.sleep: each chunk then cost two thread wake-ups and GIL hand-offs,
about 2 ms of CPU per 100 kB response on this machine, taken from the
2 cores the client and the server share, and its wake-ups were late by
up to a millisecond under load. A network costs the endpoints no CPU; the
proxy should cost as little as it can.

On exit (stdin closed) it prints to stderr how late the chunks were sent
after their due time (median and 99th percentile): the model's error.
"""
import collections
import heapq
import os
import select
import socket
import struct
import sys
import time


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)      # Linux: the kernel's receive time of a read
TIMESTAMP = struct.Struct("qq")
CHUNK = 262144


class Pipe:
    """One direction of one connection: chunks read from src, due at a time, for dst."""

    __slots__ = ("src", "dst", "queue", "out", "eof", "peer")

    def __init__(self, src, dst):
        """Nothing queued yet."""
        self.src, self.dst = src, dst
        self.queue = collections.deque()      # (due, bytes), due in time.monotonic()
        self.out = b""                        # due, not yet accepted by dst's socket buffer
        self.eof = False
        self.peer = None                      # the other direction


class Proxy:
    """Every connection's two pipes, one select() loop."""

    def __init__(self, target, delay):
        """target: (host, port); delay in seconds."""
        self.target, self.delay = target, delay
        self.readers = {}                     # socket -> Pipe it reads for
        self.writers = {}                     # socket -> Pipe whose out it writes
        self.timers = []                      # heap of (due, seq, pipe)
        self.seq = 0
        self.buf = bytearray(CHUNK)           # reads land here: a fresh 256 kB buffer per read would be mmap'd and unmapped each time
        self.view = memoryview(self.buf)
        self.late = [0] * 1001               # sends by lateness, 10 us buckets (the last: 10 ms or more)

    def accept(self, listener):
        """A new client: a connection to the target, two pipes."""
        client, _ = listener.accept()
        server = socket.create_connection(self.target)
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            except OSError:
                pass
            s.setblocking(False)
        up, down = Pipe(client, server), Pipe(server, client)
        up.peer, down.peer = down, up
        self.readers[client], self.readers[server] = up, down

    def receive(self, pipe):
        """Reads what src has; each chunk due delay after the kernel received it."""
        try:
            n, anc, _, _ = pipe.src.recvmsg_into([self.buf], 64)
        except BlockingIOError:
            return
        except OSError:
            n, anc = 0, ()
        data = self.view[:n].tobytes()
        now_m, now_r = time.monotonic(), time.time()
        if not data:
            pipe.eof = True
            self.readers.pop(pipe.src, None)
            self.flush(pipe, now_m)
            return
        arrived = now_r
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= TIMESTAMP.size:
                sec, nsec = TIMESTAMP.unpack_from(payload)
                arrived = min(now_r, sec + nsec / 1e9)
        due = now_m - (now_r - arrived) + self.delay
        pipe.queue.append((due, data))
        if len(pipe.queue) == 1:
            self.seq += 1
            heapq.heappush(self.timers, (due, self.seq, pipe))

    def flush(self, pipe, now):
        """Moves the due chunks to out and writes what dst takes; at the end, closes."""
        q = pipe.queue
        if q and q[0][0] <= now:
            parts = [pipe.out] if pipe.out else []
            while q and q[0][0] <= now:
                due, data = q.popleft()
                self.late[min(1000, int((now - due) * 1e5))] += 1
                parts.append(data)
            pipe.out = b"".join(parts) if len(parts) > 1 else parts[0]
            if q:
                self.seq += 1
                heapq.heappush(self.timers, (q[0][0], self.seq, pipe))
        if pipe.out:
            try:
                n = pipe.dst.send(pipe.out)
                pipe.out = pipe.out[n:]
            except BlockingIOError:
                pass
            except OSError:
                pipe.out, q = b"", q.clear()
        if pipe.out:
            self.writers[pipe.dst] = pipe
        else:
            self.writers.pop(pipe.dst, None)
            if pipe.eof and not pipe.queue:
                self.close(pipe)

    def close(self, pipe):
        """src said EOF and everything went out: half-close dst; both directions done: close."""
        try:
            pipe.dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if pipe.peer.eof and not pipe.peer.queue and not pipe.peer.out:
            for s in (pipe.src, pipe.dst):
                self.readers.pop(s, None)
                self.writers.pop(s, None)
                s.close()

    def serve(self, listener, stop):
        """The loop: until stop() is true."""
        while not stop():
            now = time.monotonic()
            while self.timers and self.timers[0][0] <= now:
                _, _, pipe = heapq.heappop(self.timers)
                if pipe.queue and pipe.queue[0][0] <= now:
                    self.flush(pipe, now)
            timeout = 1.0
            if self.timers:
                timeout = max(0.0, min(timeout, self.timers[0][0] - now))
            rl = [listener, sys.stdin] + list(self.readers)
            try:
                r, w, _ = select.select(rl, list(self.writers), [], timeout)
            except (OSError, ValueError):
                r, w = [], []
            for s in w:
                pipe = self.writers.get(s)
                if pipe is not None:
                    self.flush(pipe, time.monotonic())
            for s in r:
                if s is listener:
                    self.accept(listener)
                elif s is sys.stdin:
                    if not os.read(sys.stdin.fileno(), 4096):
                        return
                else:
                    pipe = self.readers.get(s)
                    if pipe is not None:
                        self.receive(pipe)


def punctual():
    """Wakes as close to a due time as the machine allows: a timer slack of
    1 us (Linux's default of 50 us is added to every select() timeout), and,
    where permitted (root), a higher scheduling priority than the client and
    the server, so that a wire's delay does not grow when they keep both
    cores busy. The proxy sleeps between chunks and uses little CPU."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(29, 1000, 0, 0, 0)     # PR_SET_TIMERSLACK, ns
    except (OSError, AttributeError):
        pass
    try:
        os.nice(-10)
    except OSError:
        pass


def main():
    """Serves until stdin reaches EOF or the parent dies; then the lateness on stderr."""
    punctual()
    host, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000.0
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    parent = os.getppid()
    proxy = Proxy((host, port), delay)
    try:
        proxy.serve(listener, lambda: os.getppid() != parent)
    finally:
        total = sum(proxy.late)
        if total:
            def quantile(q):
                seen = 0
                for i, k in enumerate(proxy.late):
                    seen += k
                    if seen >= q * total:
                        return i / 100
            print(f"delayproxy: {total} chunks, sent late by median {quantile(0.5):.2f} ms, p99 {quantile(0.99):.2f} ms "
                  "(10 us buckets)", file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
