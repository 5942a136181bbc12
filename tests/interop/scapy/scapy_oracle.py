#!/usr/bin/python3
"""Independent ESP/AH oracle for Cygnet's cross-implementation tests, built on scapy.layers.ipsec.

Run with /usr/bin/python3 (Debian python3-scapy 2.5). Reads a JSON array of cases on stdin and
writes a JSON array of results, one per case and in the same order, on stdout.

Case fields:
  proto         "esp" | "ah"
  mode          "tunnel" | "transport"
  crypt         scapy crypt_algo name ("AES-GCM", "AES-CBC", "CHACHA20-POLY1305", "NULL") or null
  crypt_key     hex; for AES-GCM/ChaCha20-Poly1305 the cipher key followed by the 4-byte salt
  crypt_icv     AEAD ICV length in bytes, or null for the algorithm's default
  auth          scapy auth_algo name ("HMAC-SHA1-96", "SHA2-256-128", ...) or null
  auth_key      hex
  spi           int
  esn           bool: extended sequence numbers
  seq           int: full 64-bit sequence number
  outer_src, outer_dst  tunnel endpoints (tunnel mode)
  plaintext     hex of the IP packet Cygnet protected
  cygnet_packet hex of the IP packet Cygnet produced from plaintext
  cygnet_iv     hex of the IV in cygnet_packet (ESP; empty for NULL encryption)
  cygnet_outer  hex of Cygnet's outer IP header (tunnel mode)

Result fields (an "...error" string replaces a value that could not be produced):
  scapy_decrypted  hex: cygnet_packet decrypted and verified by scapy
  scapy_packet     hex: plaintext protected by scapy with sequence number seq, its own random IV and
                   its default tunnel header IP(src=outer_src, dst=outer_dst) / IPv6(...)
  scapy_replica    hex: plaintext protected by scapy with everything Cygnet chose itself taken from
                   cygnet_packet (IV, tunnel outer header): with a deterministic cipher this must
                   equal cygnet_packet byte for byte

Workaround for a scapy 2.5 defect (see ESN_ICV_WORKAROUND below): with ESN and a separate
integrity algorithm (ESP with AES-CBC or NULL encryption), scapy computes and checks the ESP ICV
without the high-order 32 bits of the sequence number, contrary to RFC 4303 §2.2.1 and §3.3.2.
"""

import json
import struct
import sys
import traceback

# scapy can print warnings at import time; keep stdout for the JSON answer only.
_real_stdout = sys.stdout
sys.stdout = sys.stderr
try:
    from scapy.compat import raw
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.ipsec import AH, ESP, AUTH_ALGOS, CRYPT_ALGOS, IPSecIntegrityError, \
        SecurityAssociation
    # Without python3-cryptography scapy imports fine but knows only NULL algorithms.
    import cryptography  # noqa: F401
except ImportError as exc:  # pragma: no cover - reported by the C++ test
    sys.stderr.write("scapy_oracle: cannot import scapy or python3-cryptography (%s); "
                     "run scripts/bootstrap\n" % exc)
    sys.exit(3)
finally:
    sys.stdout = _real_stdout


class EsnEspAuth(object):
    """ESN_ICV_WORKAROUND: wraps a scapy AuthAlgo so that the ESP ICV covers the implicit
    high-order sequence number bits: with ESN they are not sent but are covered by the ICV,
    appended after the ESP trailer for the computation (RFC 4303 §2.2.1, §3.3.2).

    scapy 2.5's SecurityAssociation._encrypt_esp calls auth_algo.sign(esp, key) and
    _decrypt_esp calls auth_algo.verify(esp, key) without passing esn_en/esn, so for ESP the high
    half is silently left out (AH passes them, AEAD AAD includes them). The MAC itself and every
    other byte of the packet stay scapy's; only the 4 appended bytes are added here.
    """

    def __init__(self, algo, esn_high):
        self.algo = algo
        self.esn_high = esn_high
        self.name = algo.name
        self.icv_size = algo.icv_size
        self.mac = algo.mac

    def _icv(self, esp_bytes, key):
        mac = self.algo.new_mac(key)
        mac.update(esp_bytes + struct.pack('!L', self.esn_high))
        return mac.finalize()[:self.icv_size]

    def sign(self, pkt, key, esn_en=False, esn=0):
        pkt[ESP].data += self._icv(raw(pkt[ESP]), key)
        return pkt

    def verify(self, pkt, key, esn_en=False, esn=0):
        icv = pkt.data[len(pkt.data) - self.icv_size:]
        clone = pkt.copy()
        clone.data = clone.data[:len(clone.data) - self.icv_size]
        computed = self._icv(raw(clone), key)
        if icv != computed:
            raise IPSecIntegrityError('pkt_icv=%r, computed_icv=%r (ESN high half appended)' %
                                      (icv, computed))


def parse_ip(data):
    version = data[0] >> 4
    if version == 4:
        return IP(data)
    if version == 6:
        return IPv6(data)
    raise ValueError('not an IP packet (version %d)' % version)


def default_tunnel_header(case):
    src, dst = case['outer_src'], case['outer_dst']
    return IPv6(src=src, dst=dst) if ':' in src else IP(src=src, dst=dst)


def make_sa(case, tunnel_header):
    seq = case['seq']
    esn_high = (seq >> 32) if case['esn'] else 0
    crypt_key = bytes.fromhex(case['crypt_key']) if case.get('crypt') else None
    auth_key = bytes.fromhex(case['auth_key']) if case.get('auth') else None
    sa = SecurityAssociation(
        ESP if case['proto'] == 'esp' else AH,
        spi=case['spi'],
        seq_num=seq & 0xffffffff,
        crypt_algo=case.get('crypt'),
        crypt_key=crypt_key,
        crypt_icv_size=case.get('crypt_icv'),
        auth_algo=case.get('auth'),
        auth_key=auth_key,
        tunnel_header=tunnel_header,
        esn_en=bool(case['esn']),
        esn=esn_high)
    if case['proto'] == 'esp' and case['esn'] and case.get('auth'):
        sa.auth_algo = EsnEspAuth(sa.auth_algo, esn_high)
    return sa


def describe(exc):
    return '%s: %s' % (type(exc).__name__, exc)


def run_case(case):
    result = {}
    tunnel = case['mode'] == 'tunnel'
    seq_low = case['seq'] & 0xffffffff
    plaintext = bytes.fromhex(case['plaintext'])

    # (1) scapy decrypts and verifies what Cygnet sent.
    try:
        sa = make_sa(case, default_tunnel_header(case) if tunnel else None)
        decrypted = sa.decrypt(parse_ip(bytes.fromhex(case['cygnet_packet'])))
        result['scapy_decrypted'] = raw(decrypted).hex()
    except Exception as exc:  # noqa: BLE001 - every failure is reported to the test
        result['decrypt_error'] = describe(exc)

    # (2) scapy protects the same plaintext for Cygnet to decapsulate.
    try:
        sa = make_sa(case, default_tunnel_header(case) if tunnel else None)
        packet = sa.encrypt(parse_ip(plaintext), seq_num=seq_low)
        result['scapy_packet'] = raw(packet).hex()
    except Exception as exc:  # noqa: BLE001
        result['encrypt_error'] = describe(exc)

    # (3) scapy protects it again with Cygnet's own choices (IV, outer header): a replica.
    try:
        header = parse_ip(bytes.fromhex(case['cygnet_outer'])) if tunnel else None
        sa = make_sa(case, header)
        kwargs = {'seq_num': seq_low}
        if case['proto'] == 'esp':
            kwargs['iv'] = bytes.fromhex(case.get('cygnet_iv', ''))
        packet = sa.encrypt(parse_ip(plaintext), **kwargs)
        result['scapy_replica'] = raw(packet).hex()
    except Exception as exc:  # noqa: BLE001
        result['replica_error'] = describe(exc)
    return result


def main():
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        try:
            results.append(run_case(case))
        except Exception:  # noqa: BLE001 - a malformed case must not hide the others
            results.append({'error': traceback.format_exc()})
    json.dump(results, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
