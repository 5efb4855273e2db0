#!/usr/bin/python3
"""A TCP proxy on 127.0.0.1 that adds a round-trip time: each chunk read
from one side is written to the other DELAY ms after it arrived (RTT/2 in
each direction; arrival is the kernel's receive timestamp), in order,
without holding up the chunks behind it, with no bandwidth limit of its own.

    delayproxy.py TARGET_HOST TARGET_PORT DELAY_MS

Listens on an ephemeral port of 127.0.0.1 and prints it on stdout, then
serves until stdin closes or its parent process goes away (so nothing
outlives the benchmark that started it). On exit it prints to stderr how
late chunks were written after their due time (the model's error).

Two threads per direction of a connection, blocking calls and time.sleep
rather than one event loop: asyncio's epoll timeouts round up to whole
milliseconds (0.5 ms would become 1 ms or more), and a single select()
loop tried instead could not keep up with four connections streaming
results at once (its chunks went out milliseconds late). What makes the
threads cheap: each receiving thread reads into its own buffer (a fresh
256 kB buffer per read is mmap'd and unmapped by the allocator every
time: that was most of the proxy's CPU), and the process asks for a 1 us
timer slack and, where allowed, a higher priority, so that a wire's delay
does not grow when the client and the server keep both cores busy.
"""
import os
import queue
import socket
import struct
import sys
import threading
import time


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)      # Linux: the kernel's receive time of a read
TIMESTAMP = struct.Struct("qq")
CHUNK = 262144
LATE = [0] * 1001          # chunks by how late they were written, 10 us buckets (the last: 10 ms or more)


def pipe(src, dst, delay):
    """Copies src to dst, each chunk delay seconds after it arrived (two threads).

    A chunk's arrival is the kernel's receive timestamp of its last packet
    (SO_TIMESTAMPNS), not the moment this process got round to reading it:
    on a loaded machine the thread may wake late, and that lateness would be
    added to the delay. Chunks already due when the sender wakes are sent in
    one write. Every byte still waits at least delay after it arrived."""
    q = queue.SimpleQueue()
    try:
        src.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        pass

    def send():
        late = LATE
        try:
            done = False
            while not done:
                due, data = q.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                now = time.monotonic()
                late[min(1000, int((now - due) * 1e5))] += 1
                parts = [data]
                while True:                       # whatever else is due by now
                    try:
                        due, more = q.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        done = True
                        break
                    wait = due - time.monotonic()
                    if wait > 0:
                        dst.sendall(b"".join(parts) if len(parts) > 1 else parts[0])
                        parts = []
                        time.sleep(wait)
                    late[min(1000, int((time.monotonic() - due) * 1e5))] += 1
                    parts.append(more)
                if parts:
                    dst.sendall(b"".join(parts) if len(parts) > 1 else parts[0])
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def receive():
        buf = bytearray(CHUNK)                    # one buffer per thread, reused
        view = memoryview(buf)
        try:
            while True:
                n, anc, _, _ = src.recvmsg_into([buf], 64)
                if not n:
                    break
                now_m, now_r = time.monotonic(), time.time()
                arrived = now_r
                for level, kind, payload in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= TIMESTAMP.size:
                        sec, nsec = TIMESTAMP.unpack_from(payload)
                        arrived = min(now_r, sec + nsec / 1e9)
                q.put((now_m - (now_r - arrived) + delay, view[:n].tobytes()))
        except OSError:
            pass
        q.put((0, None))

    for fn in (send, receive):
        threading.Thread(target=fn, daemon=True).start()


def punctual():
    """Wakes as close to a due time as the machine allows: a timer slack of
    1 us (Linux adds 50 us by default to every sleep), and, where permitted
    (root), a higher scheduling priority than the client and the server.
    The proxy sleeps between chunks and uses little CPU."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(29, 1000, 0, 0, 0)     # PR_SET_TIMERSLACK, ns (inherited by threads)
    except (OSError, AttributeError):
        pass
    try:
        os.nice(-10)
    except OSError:
        pass


def report():
    """How late chunks were written, on stderr."""
    total = sum(LATE)
    if not total:
        return

    def quantile(f):
        seen = 0
        for i, k in enumerate(LATE):
            seen += k
            if seen >= f * total:
                return i / 100
    print(f"delayproxy: {total} chunks, written late by median {quantile(0.5):.2f} ms, p99 {quantile(0.99):.2f} ms",
          file=sys.stderr, flush=True)


def main():
    """Accepts until stdin reaches EOF or the parent dies."""
    host, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000.0
    punctual()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    parent = os.getppid()

    def watch():
        # stdin closed (the benchmark's end) or parent gone: exit
        try:
            while os.read(sys.stdin.fileno(), 1):
                pass
        except OSError:
            pass
        report()
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            client, _ = listener.accept()
        except socket.timeout:
            continue
        client.settimeout(None)
        server = socket.create_connection((host, port))
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pipe(client, server, delay)
        pipe(server, client, delay)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
