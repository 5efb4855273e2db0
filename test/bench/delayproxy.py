#!/usr/bin/python3
"""A TCP proxy on 127.0.0.1 that adds a round-trip time: each chunk read
from one side is written to the other DELAY ms after it arrived (RTT/2 in
each direction), in order, without holding up the chunks behind it.

    delayproxy.py TARGET_HOST TARGET_PORT DELAY_MS

Listens on an ephemeral port of 127.0.0.1 and prints it on stdout, then
serves until stdin closes or its parent process goes away (so nothing
outlives the benchmark that started it). Threads with time.sleep rather
than asyncio timers: the event loop's epoll timeouts round up to whole
milliseconds, which would turn 0.5 ms into 1 ms or more.
"""
import os
import queue
import socket
import sys
import threading
import time


def pipe(src, dst, delay):
    """Copies src to dst, each chunk delay seconds after it arrived (two threads)."""
    q = queue.SimpleQueue()

    def send():
        try:
            while True:
                due, data = q.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def receive():
        try:
            while True:
                data = src.recv(262144)
                if not data:
                    break
                q.put((time.monotonic() + delay, data))
        except OSError:
            pass
        q.put((0, None))

    for fn in (send, receive):
        threading.Thread(target=fn, daemon=True).start()


def main():
    """Accepts until stdin reaches EOF or the parent dies."""
    host, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000.0
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
