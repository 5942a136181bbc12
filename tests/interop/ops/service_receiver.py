#!/usr/bin/python3
"""Plays systemd's part for tests/interop/ops/service.sh: a notify socket (sd_notify datagrams)
and a journal socket (sd_journal_send's native protocol), each datagram appended as one JSON line.

    service_receiver.py NOTIFY_SOCKET NOTIFY_OUT JOURNAL_SOCKET JOURNAL_OUT
"""
import json
import os
import select
import socket
import struct
import sys


def parse_journal(data: bytes) -> dict:
    """The native journal protocol (systemd's JOURNAL_NATIVE_PROTOCOL): "NAME=value\\n", or for a
    value with newlines "NAME\\n" + 64-bit little-endian length + value + "\\n"."""
    fields = {}
    i = 0
    while i < len(data):
        end = data.index(b"\n", i)
        line = data[i:end]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            i = end + 1
        else:
            name = line
            (length,) = struct.unpack_from("<Q", data, end + 1)
            start = end + 1 + 8
            value = data[start:start + length]
            i = start + length + 1
        fields[name.decode()] = value.decode(errors="replace")
    return fields


def bind(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(path):
        os.unlink(path)
    s.bind(path)
    return s


def main() -> None:
    notify = bind(sys.argv[1])
    journal = bind(sys.argv[3])
    outputs = {notify: open(sys.argv[2], "a", buffering=1), journal: open(sys.argv[4], "a", buffering=1)}
    while True:
        readable, _, _ = select.select([notify, journal], [], [])
        for s in readable:
            data = s.recv(1 << 20)
            if s is notify:
                record = {"state": data.decode(errors="replace")}
            else:
                try:
                    record = parse_journal(data)
                except (ValueError, struct.error):
                    record = {"unparsable": data.hex()}
            outputs[s].write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
