#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Helpers for the network-namespace tests (Python standard library plus
`cryptography`, both on the test machine).

  identity DIR                  write DIR/identity.key and identity.pub (upstream
                                format) and print the node's WireGuard public key
  flood HOST PORT PUBKEY SECS RATE [SRC]
                                send RATE handshake initiations per second (0: as
                                fast as possible) with a valid MAC1 and garbage
                                everywhere else, from address SRC if given; decrypt
                                the cookie replies and from then on send a valid MAC2
                                too (refreshing the cookie whenever a reply answers
                                one of those); print "sent N cookies M opened O mac2 K
                                bad B" (replies received, cookies decrypted,
                                initiations sent with a MAC2, replies that failed to
                                decrypt)
  replay PCAP HOST PORT         resend every WireGuard data packet (type 4) found in
                                a capture; print how many
  replay-all PCAP PORT [spoof]  resend every UDP datagram to PORT found in a capture
                                to its original destination (address and port), from
                                our own address, or with "spoof" from its original
                                source address and port (raw socket, IPv4 only); print
                                one line per destination and kind: "DST KIND COUNT"
                                (kinds: swim-hello swim-hello-reply swim-init
                                swim-data wg-init wg-resp wg-cookie wg-data other)
  certpatch IN OUT OFFSET HEX   copy a file, overwriting bytes at OFFSET with HEX
  certsign IN OUT ORGKEY_FILE [ORG_PUB_B64]
                                copy a v1 certificate, optionally replacing its org
                                field (bytes 1..33), and sign bytes 0..114 with the
                                org secret key in ORGKEY_FILE (meshguard's org.key)
  wgpub IDENTITY_PUB_B64        print the WireGuard public key of an identity key
  meshaddr IDENTITY_PUB_B64     print the mesh IPv4 and IPv6 addresses of an identity
                                (upstream's derivation, BLAKE3 by the b3sum tool)
"""
import base64
import hashlib
import os
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519


def wg_public_from_seed(seed: bytes) -> bytes:
    # The Ed25519 secret scalar (SHA-512 of the seed, clamped) is the X25519
    # private key, as upstream derives it; X25519 clamps again, harmlessly.
    scalar = hashlib.sha512(seed).digest()[:32]
    priv = x25519.X25519PrivateKey.from_private_bytes(scalar)
    return priv.public_key().public_bytes(serialization.Encoding.Raw,
                                          serialization.PublicFormat.Raw)


def cmd_identity(directory: str) -> None:
    seed = os.urandom(32)
    pk = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    key = os.path.join(directory, "identity.key")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(seed + pk).decode() + "\n")
    with open(os.path.join(directory, "identity.pub"), "w") as f:
        f.write(base64.b64encode(pk).decode() + "\n")
    print(base64.b64encode(wg_public_from_seed(seed)).decode())


def mac1(responder_pub: bytes, msg: bytes) -> bytes:
    # MAC1 = MAC(HASH(LABEL_MAC1 || S_pub_r), msg[0:offsetof(mac1)])
    key = hashlib.blake2s(b"mac1----" + responder_pub).digest()
    return hashlib.blake2s(msg, digest_size=16, key=key).digest()


# ---- XChaCha20-Poly1305 for cookie replies ----------------------------------------
# `cryptography` has ChaCha20-Poly1305 but no XChaCha20 (and PyNaCl is not on the
# test machine), so XChaCha20 is built from HChaCha20 (draft-irtf-cfrg-xchacha-03
# section 2.2), checked against that draft's vector before every flood.

def _rotl32(v: int, c: int) -> int:
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def _quarter_round(x, a, b, c, d) -> None:
    x[a] = (x[a] + x[b]) & 0xFFFFFFFF
    x[d] = _rotl32(x[d] ^ x[a], 16)
    x[c] = (x[c] + x[d]) & 0xFFFFFFFF
    x[b] = _rotl32(x[b] ^ x[c], 12)
    x[a] = (x[a] + x[b]) & 0xFFFFFFFF
    x[d] = _rotl32(x[d] ^ x[a], 8)
    x[c] = (x[c] + x[d]) & 0xFFFFFFFF
    x[b] = _rotl32(x[b] ^ x[c], 7)


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    x = list(struct.unpack("<4I", b"expand 32-byte k")) + list(struct.unpack("<8I", key)) + \
        list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        for q in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                  (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            _quarter_round(x, *q)
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def hchacha20_selftest() -> None:
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a0000000031415927")
    want = bytes.fromhex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")
    if hchacha20(key, nonce) != want:
        raise SystemExit("HChaCha20 does not match draft-irtf-cfrg-xchacha-03 2.2.1")


def xaead_open(key: bytes, nonce24: bytes, ct: bytes, ad: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).decrypt(b"\0" * 4 + nonce24[16:], ct, ad)


def open_cookie_reply(cookie_key: bytes, reply: bytes, mac1_of_msg: bytes):
    """The cookie in a 64-byte reply (type 3, receiver, nonce[24], {cookie}), or None."""
    from cryptography.exceptions import InvalidTag
    try:
        return xaead_open(cookie_key, reply[8:32], reply[32:64], mac1_of_msg)
    except InvalidTag:
        return None


class FloodBatch:
    """64 initiations with a valid MAC1, garbage elsewhere, and (once a cookie is
    known) a valid MAC2. Each batch draws fresh sender indices, so a cookie reply
    tells which batch it answers: a reply to a batch that carried MAC2 means the
    cookie went stale (the responder rotated its secret)."""

    def __init__(self, pub: bytes, cookie: bytes = b""):
        self.cookie = cookie
        self.mac1 = {}  # sender index -> mac1, the AD of the reply to that message
        self.msgs = []
        for _ in range(64):
            body = struct.pack("<I", 1) + os.urandom(4 + 32 + 48 + 28)
            m1 = mac1(pub, body)
            m2 = hashlib.blake2s(body + m1, digest_size=16, key=cookie).digest() if cookie \
                else bytes(16)
            self.mac1[body[4:8]] = m1
            self.msgs.append(body + m1 + m2)


def cmd_flood(host: str, port: int, pub_b64: str, secs: float, rate: int, src: str = "") -> None:
    pub = base64.b64decode(pub_b64)
    hchacha20_selftest()
    cookie_key = hashlib.blake2s(b"cookie--" + pub).digest()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    s.setblocking(False)
    # One source port for the whole flood: the cookie is bound to address and port.
    s.connect((host, port))
    n = {"sent": 0, "cookies": 0, "opened": 0, "bad": 0, "mac2": 0}
    start = time.monotonic()
    deadline = start + secs
    batch = FloodBatch(pub)
    while time.monotonic() < deadline:
        # Pace in bursts of 64: wait until the schedule allows the next burst.
        if rate and n["sent"] > (time.monotonic() - start) * rate:
            time.sleep(min(0.001, max(0.0, n["sent"] / rate - (time.monotonic() - start))))
        for m in batch.msgs:
            try:
                s.send(m)
            except BlockingIOError:
                break
            n["sent"] += 1
            n["mac2"] += bool(batch.cookie)
        batch = flood_receive(s, pub, cookie_key, batch, n)
    print("sent {sent} cookies {cookies} opened {opened} mac2 {mac2} bad {bad}".format(**n))


def flood_receive(s, pub: bytes, cookie_key: bytes, batch: FloodBatch, n: dict) -> FloodBatch:
    """Reads every cookie reply waiting; returns the batch to send next."""
    while True:
        try:
            r = s.recv(2048)
        except (BlockingIOError, ConnectionRefusedError):
            return batch
        if len(r) != 64 or r[:4] != b"\x03\x00\x00\x00":
            continue
        n["cookies"] += 1
        m1 = batch.mac1.get(r[4:8])
        if m1 is None:
            continue  # answers an older batch: nothing new to learn
        cookie = open_cookie_reply(cookie_key, r, m1)
        if cookie is None:
            n["bad"] += 1
            continue
        n["opened"] += 1
        batch = FloodBatch(pub, cookie)


def pcap_udp_payloads(path: str):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "IIII", data[off:off + 16])[2]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:  # Ethernet
            ethertype = struct.unpack(">H", frame[12:14])[0]
            ip = frame[14:]
        elif linktype == 113:  # Linux cooked capture
            ethertype = struct.unpack(">H", frame[14:16])[0]
            ip = frame[16:]
        else:
            continue
        if ethertype == 0x0800 and ip and ip[9] == 17:
            udp = ip[(ip[0] & 0x0F) * 4:]
        elif ethertype == 0x86DD and len(ip) > 40 and ip[6] == 17:
            udp = ip[40:]
        else:
            continue
        yield udp[8:]


def cmd_replay(path: str, host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    n = 0
    for payload in pcap_udp_payloads(path):
        if len(payload) >= 32 and payload[:4] == b"\x04\x00\x00\x00":
            s.sendto(payload, (host, port))
            n += 1
    print(n)


def pcap_udp_datagrams(path: str):
    """(family, src, sport, dst, dport, payload) of every UDP datagram in a capture."""
    import ipaddress
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "IIII", data[off:off + 16])[2]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:  # Ethernet
            ethertype = struct.unpack(">H", frame[12:14])[0]
            ip = frame[14:]
        elif linktype == 113:  # Linux cooked capture
            ethertype = struct.unpack(">H", frame[14:16])[0]
            ip = frame[16:]
        else:
            continue
        if ethertype == 0x0800 and len(ip) >= 20 and ip[9] == 17:
            fam, src, dst = 4, ipaddress.IPv4Address(ip[12:16]), ipaddress.IPv4Address(ip[16:20])
            udp = ip[(ip[0] & 0x0F) * 4:]
        elif ethertype == 0x86DD and len(ip) > 40 and ip[6] == 17:
            fam, src, dst = 6, ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40])
            udp = ip[40:]
        else:
            continue
        if len(udp) < 8:
            continue
        sport, dport, ulen = struct.unpack(">HHH", udp[:6])
        yield fam, str(src), sport, str(dst), dport, udp[8:ulen]


def datagram_kind(p: bytes) -> str:
    if len(p) >= 2 and p[0] == 0xC5:
        return {1: "swim-hello", 2: "swim-hello-reply", 3: "swim-init",
                4: "swim-data"}.get(p[1], "other")
    if len(p) >= 4 and p[1:4] == b"\0\0\0":
        return {1: "wg-init", 2: "wg-resp", 3: "wg-cookie", 4: "wg-data"}.get(p[0], "other")
    return "other"


def ipv4_checksum(h: bytes) -> int:
    s = sum(struct.unpack(">10H", h))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def cmd_replay_all(path: str, port: int, spoof: bool) -> None:
    counts = {}
    raw = udp4 = udp6 = None
    for fam, src, sport, dst, dport, payload in pcap_udp_datagrams(path):
        if dport != port:
            continue
        if spoof and fam == 4:
            if raw is None:
                raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
            hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                              socket.inet_aton(src), socket.inet_aton(dst))
            hdr = hdr[:10] + struct.pack(">H", ipv4_checksum(hdr)) + hdr[12:]
            raw.sendto(hdr + udp, (dst, 0))
        elif fam == 4:
            if udp4 is None:
                udp4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp4.sendto(payload, (dst, dport))
        else:
            if udp6 is None:
                udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            udp6.sendto(payload, (dst, dport))
        key = (dst, datagram_kind(payload))
        counts[key] = counts.get(key, 0) + 1
        time.sleep(0.0005)  # a replay, not a flood: stay clear of the receivers' queues
    for (dst, kind), n in sorted(counts.items()):
        print(dst, kind, n)


def cmd_certpatch(src: str, out: str, offset: int, hexbytes: str) -> None:
    with open(src, "rb") as f:
        data = bytearray(f.read())
    patch = bytes.fromhex(hexbytes)
    if offset + len(patch) > len(data):
        raise SystemExit("patch beyond the end of the file")
    data[offset:offset + len(patch)] = patch
    with open(out, "wb") as f:
        f.write(data)


def cmd_certsign(src: str, out: str, orgkey: str, org_pub_b64: str = "") -> None:
    with open(src, "rb") as f:
        data = bytearray(f.read())
    # v1: 186 meaningful bytes; meshguard writes 314 with a zero tail (docs/trust.md)
    if len(data) not in (186, 314) or data[0] != 1 or any(data[186:]):
        raise SystemExit("expected a v1 certificate (186 bytes, or 314 with a zero tail)")
    with open(orgkey) as f:
        seed = base64.b64decode(f.read().strip())[:32]
    if org_pub_b64:
        data[1:33] = base64.b64decode(org_pub_b64)
    data[114:178] = ed25519.Ed25519PrivateKey.from_private_bytes(seed).sign(bytes(data[:114]))
    with open(out, "wb") as f:
        f.write(data)


def cmd_meshaddr(pub_b64: str) -> None:
    import ipaddress
    import subprocess
    pk = base64.b64decode(pub_b64)
    h = subprocess.run(["b3sum", "--raw"], input=pk, capture_output=True, check=True).stdout
    a, b = h[0], h[1]
    if b == 0:
        b = 1
    if b == 255:
        b = 254
    if a == 0:
        a = 1
    host = bytearray(h[:8])
    if not any(host):
        host[7] = 1
    v6 = ipaddress.IPv6Address(bytes.fromhex("fd996d6700000000") + bytes(host))
    print(f"10.99.{a}.{b} {v6}")


def main(argv) -> int:
    if len(argv) >= 3 and argv[1] == "identity":
        cmd_identity(argv[2])
    elif len(argv) in (7, 8) and argv[1] == "flood":
        cmd_flood(argv[2], int(argv[3]), argv[4], float(argv[5]), int(argv[6]),
                  argv[7] if len(argv) == 8 else "")
    elif len(argv) == 5 and argv[1] == "replay":
        cmd_replay(argv[2], argv[3], int(argv[4]))
    elif len(argv) in (4, 5) and argv[1] == "replay-all" and argv[4:] in ([], ["spoof"]):
        cmd_replay_all(argv[2], int(argv[3]), len(argv) == 5)
    elif len(argv) == 6 and argv[1] == "certpatch":
        cmd_certpatch(argv[2], argv[3], int(argv[4]), argv[5])
    elif len(argv) in (5, 6) and argv[1] == "certsign":
        cmd_certsign(argv[2], argv[3], argv[4], argv[5] if len(argv) == 6 else "")
    elif len(argv) == 3 and argv[1] == "meshaddr":
        cmd_meshaddr(argv[2])
    elif len(argv) == 3 and argv[1] == "wgpub":
        pk = base64.b64decode(argv[2])
        # Edwards y -> Montgomery u = (1+y)/(1-y) mod p
        p = 2**255 - 19
        y = int.from_bytes(pk, "little") & ((1 << 255) - 1)
        u = (1 + y) * pow(1 - y, p - 2, p) % p
        print(base64.b64encode(u.to_bytes(32, "little")).decode())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
