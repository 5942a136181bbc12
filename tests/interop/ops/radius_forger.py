#!/usr/bin/python3
"""A RADIUS server that knows a different shared secret (radius.sh, check 6).

It answers every Access-Request with an Access-Accept carrying EAP-Success and MS-MPPE keys, all
authenticated and encrypted under ITS secret, as a misconfigured or forging server would.
Usage: radius_forger.py ADDRESS PORT SECRET (runs until killed)."""
import hashlib
import hmac
import os
import socket
import struct
import sys

ACCESS_ACCEPT = 2
EAP_MESSAGE, MESSAGE_AUTHENTICATOR, VENDOR_SPECIFIC = 79, 80, 26
MICROSOFT, MS_MPPE_SEND_KEY, MS_MPPE_RECV_KEY = 311, 16, 17


def attribute(kind, value):
    return bytes([kind, 2 + len(value)]) + value


def mppe_key(key, secret, request_authenticator):
    """RFC 2548 §2.4.2: salt, then (length, key, zero padding) in an MD5 chain."""
    salt = bytes([0x80 | os.urandom(1)[0], os.urandom(1)[0]])
    plain = bytes([len(key)]) + key
    plain += bytes((-len(plain)) % 16)
    out, previous = b"", request_authenticator + salt
    for i in range(0, len(plain), 16):
        block = hashlib.md5(secret + previous).digest()
        cipher = bytes(a ^ b for a, b in zip(plain[i:i + 16], block))
        out += cipher
        previous = cipher
    return salt + out


def vendor(kind, value):
    return attribute(VENDOR_SPECIFIC, struct.pack("!I", MICROSOFT) + attribute(kind, value))


def answer(request, secret):
    identifier, request_authenticator = request[1], request[4:20]
    eap_identifier = 0
    offset = 20
    while offset + 2 <= len(request):
        kind, length = request[offset], request[offset + 1]
        if length < 2:
            break
        if kind == EAP_MESSAGE and length >= 4:
            eap_identifier = request[offset + 3]
        offset += length
    attributes = attribute(MESSAGE_AUTHENTICATOR, bytes(16))
    attributes += attribute(EAP_MESSAGE, bytes([3, eap_identifier, 0, 4]))  # EAP-Success
    attributes += vendor(MS_MPPE_RECV_KEY, mppe_key(os.urandom(16), secret, request_authenticator))
    attributes += vendor(MS_MPPE_SEND_KEY, mppe_key(os.urandom(16), secret, request_authenticator))
    header = struct.pack("!BBH", ACCESS_ACCEPT, identifier, 20 + len(attributes))
    # RFC 3579 §3.2: the Message-Authenticator over the packet with the Request Authenticator.
    mac = hmac.new(secret, header + request_authenticator + attributes, hashlib.md5).digest()
    attributes = attribute(MESSAGE_AUTHENTICATOR, mac) + attributes[18:]
    response_authenticator = hashlib.md5(header + request_authenticator + attributes + secret).digest()
    return header + response_authenticator + attributes


def main():
    address, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))
    while True:
        request, peer = sock.recvfrom(4096)
        if len(request) >= 20 and request[0] == 1:
            sock.sendto(answer(request, secret), peer)
            print("answered an Access-Request from", peer, flush=True)


if __name__ == "__main__":
    main()
