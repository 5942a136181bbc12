#!/usr/bin/env python3
"""Hostile control clients: HALF connections that send half a request line and stop, SILENT ones
that send a whole request and never read the answer; all held open for HOLD seconds.
Usage: control_hog.py SOCKET HALF SILENT HOLD"""
import socket
import sys
import time

path, half, silent, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
held = []
for _ in range(half):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b'{"command": "sta')
    held.append(s)
for _ in range(silent):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b'{"command": "status"}\n')
    held.append(s)
print(f"holding {len(held)} connections", flush=True)
time.sleep(hold)
