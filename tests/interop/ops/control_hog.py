#!/usr/bin/env python3
"""Hostile control clients: HALF connections that send half a request line and stop, SILENT ones
that send a whole request and never read the answer; all held open for HOLD seconds.
Usage: control_hog.py SOCKET HALF SILENT HOLD"""
import socket
import sys
import time

path, half, silent, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
held = []
closed = 0  # connections cygnetd refused (beyond its cap) and closed before our request went out


def open_client(request):
    global closed
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    try:
        s.sendall(request)
    except (BrokenPipeError, ConnectionResetError):
        closed += 1
    held.append(s)


for _ in range(half):
    open_client(b'{"command": "sta')
for _ in range(silent):
    open_client(b'{"command": "status"}\n')
print(f"holding {len(held)} connections ({closed} closed by cygnetd at once)", flush=True)
time.sleep(hold)
