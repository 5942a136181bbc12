#!/usr/bin/python3
"""Spoofed IKE first messages for interop.ops.flood: IKEv2 IKE_SA_INIT and IKEv1 Main Mode MM1 from
random sources in a /24, each with a fresh SPI/cookie, at RATE datagrams per second for SECONDS,
through a raw socket (IP_HDRINCL). Prints how many it sent.

usage: flood_sender.py DST SOURCE_PREFIX RATE SECONDS   (SOURCE_PREFIX like 203.0.113)"""
import os
import random
import socket
import struct
import sys
import time


def ikev2_sa_init(spi):
    def transform(kind, ident, attrs=b"", last=False):
        return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), kind, 0, ident) + attrs
    transforms = (transform(1, 20, struct.pack("!HH", 0x800E, 256))  # ENCR_AES_GCM_16, 256 bits
                  + transform(2, 5)                                  # PRF_HMAC_SHA2_256
                  + transform(4, 31, last=True))                     # Curve25519
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transforms), 1, 1, 0, 3) + transforms
    sa = struct.pack("!BBH", 34, 0, 4 + len(proposal)) + proposal            # next: KE
    ke = struct.pack("!BBHHH", 40, 0, 8 + 32, 31, 0) + os.urandom(32)       # next: Nonce
    nonce = struct.pack("!BBH", 0, 0, 4 + 32) + os.urandom(32)
    body = sa + ke + nonce
    return struct.pack("!QQBBBBII", spi, 0, 33, 0x20, 34, 0x08, 0, 28 + len(body)) + body


def ikev1_main_mode_1(cookie):
    attrs = struct.pack("!HHHHHHHHHHHHHH", 0x8001, 7, 0x800E, 256, 0x8002, 4, 0x8003, 1, 0x8004, 14,
                        0x800B, 1, 0x800C, 28800)
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(attrs), 1, 1, 0) + attrs
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transform), 1, 1, 0, 1) + transform
    sa = struct.pack("!BBHII", 0, 0, 12 + len(proposal), 1, 1) + proposal
    return struct.pack("!QQBBBBII", cookie, 0, 1, 0x10, 2, 0, 0, 28 + len(sa)) + sa


def udp_packet(src, dst, payload):
    udp = struct.pack("!HHHH", 500, 500, 8 + len(payload), 0) + payload  # checksum 0: allowed in IPv4
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), random.getrandbits(16), 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + udp


def main():
    dst, prefix, rate, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    sent = {"ikev2": 0, "ikev1": 0}
    start = time.monotonic()
    batch = max(1, rate // 100)
    while time.monotonic() - start < seconds:
        tick = time.monotonic()
        for i in range(batch):
            src = "%s.%d" % (prefix, random.randint(2, 254))
            v1 = (sent["ikev2"] + sent["ikev1"]) % 4 == 3  # one in four is IKEv1
            payload = ikev1_main_mode_1(random.getrandbits(64) | 1) if v1 else ikev2_sa_init(random.getrandbits(64) | 1)
            try:
                s.sendto(udp_packet(src, dst, payload), (dst, 0))
                sent["ikev1" if v1 else "ikev2"] += 1
            except OSError:
                pass  # a full queue: the flood just loses that one
        delay = 0.01 - (time.monotonic() - tick)
        if delay > 0:
            time.sleep(delay)
    print("sent %d IKE_SA_INIT and %d MM1 in %.1f s" % (sent["ikev2"], sent["ikev1"], time.monotonic() - start))


if __name__ == "__main__":
    main()
