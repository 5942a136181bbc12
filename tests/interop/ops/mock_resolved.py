#!/usr/bin/python3
"""A stand-in for systemd-resolved on a private D-Bus bus, for the vip_client scenario.

It owns org.freedesktop.resolve1 and implements the four Manager methods cygnetd calls
(SetLinkDNS, SetLinkDomains, SetLinkDefaultRoute, RevertLink) with resolved's signatures,
appending each call as one JSON line to LOG:
  {"method": "SetLinkDNS", "ifindex": 7, "args": ["198.51.100.53", "2001:db8:ffff::53"]}
  {"method": "SetLinkDomains", "ifindex": 7, "args": [["corp.example", true]]}
  {"method": "SetLinkDefaultRoute", "ifindex": 7, "args": false}
  {"method": "RevertLink", "ifindex": 7, "args": null}
Nothing is resolved or configured: the test only checks what cygnetd asked for. READY_FILE is
created once the name is owned.

usage: mock_resolved.py BUS_ADDRESS LOG READY_FILE
"""
import ipaddress
import json
import socket
import sys

import dbus
import dbus.bus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

MANAGER = "org.freedesktop.resolve1.Manager"


class Manager(dbus.service.Object):
    def __init__(self, bus, log_path):
        super().__init__(bus, "/org/freedesktop/resolve1")
        self.log_path = log_path

    def record(self, method, ifindex, args):
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"method": method, "ifindex": int(ifindex), "args": args}) + "\n")

    @dbus.service.method(MANAGER, in_signature="ia(iay)", out_signature="")
    def SetLinkDNS(self, ifindex, addresses):
        servers = []
        for family, raw in addresses:
            packed = bytes(int(b) for b in raw)
            expected = 4 if int(family) == socket.AF_INET else 16
            if len(packed) != expected:
                raise dbus.exceptions.DBusException("address length does not fit its family",
                                                    name="org.freedesktop.DBus.Error.InvalidArgs")
            servers.append(str(ipaddress.ip_address(packed)))
        self.record("SetLinkDNS", ifindex, servers)

    @dbus.service.method(MANAGER, in_signature="ia(sb)", out_signature="")
    def SetLinkDomains(self, ifindex, domains):
        self.record("SetLinkDomains", ifindex, [[str(name), bool(routing)] for name, routing in domains])

    @dbus.service.method(MANAGER, in_signature="ib", out_signature="")
    def SetLinkDefaultRoute(self, ifindex, enable):
        self.record("SetLinkDefaultRoute", ifindex, bool(enable))

    @dbus.service.method(MANAGER, in_signature="i", out_signature="")
    def RevertLink(self, ifindex):
        self.record("RevertLink", ifindex, None)


def main():
    address, log_path, ready_file = sys.argv[1:4]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    name = dbus.service.BusName("org.freedesktop.resolve1", bus, do_not_queue=True)
    manager = Manager(bus, log_path)
    with open(ready_file, "w", encoding="utf-8") as ready:
        ready.write("ready\n")
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, loop.quit)  # SIGTERM: end cleanly
    loop.run()
    del manager  # the name goes with the bus connection


if __name__ == "__main__":
    main()
