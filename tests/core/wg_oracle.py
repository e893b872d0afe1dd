#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An independent WireGuard implementation for the engine's vector tests.

Written from the whitepaper (sections 5.4 and 6), with hashlib's BLAKE2s and
the `cryptography` package's X25519 and ChaCha20-Poly1305. `cryptography`
(Debian bookworm: 38.x) has no XChaCha20-Poly1305, so it is built here from
HChaCha20 (draft-irtf-cfrg-xchacha section 2.2, checked against that
draft's test vector by the `selftest` command) and the IETF AEAD.

Usage: wg_oracle.py COMMAND key=hex ...; prints name=hex lines.
"""
import hashlib
import hmac as _hmac
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"
LABEL_COOKIE = b"cookie--"


def HASH(data):
    return hashlib.blake2s(data).digest()


def MAC(key, data):
    return hashlib.blake2s(data, key=key, digest_size=16).digest()


def HMAC(key, data):
    return _hmac.new(key, data, hashlib.blake2s).digest()


def KDF(n, key, data):
    secret = HMAC(key, data)
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = HMAC(secret, prev + bytes([i]))
        out.append(prev)
    return out


def raw_pub(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def DH(priv, pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pub))


def AEAD(key, counter, pt, ad):
    return ChaCha20Poly1305(key).encrypt(b"\0" * 4 + struct.pack("<Q", counter), pt, ad)


def AEAD_open(key, counter, ct, ad):
    return ChaCha20Poly1305(key).decrypt(b"\0" * 4 + struct.pack("<Q", counter), ct, ad)


def _rotl(v, c):
    return ((v << c) & 0xffffffff) | (v >> (32 - c))


def _quarter(x, a, b, c, d):
    x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = _rotl(x[d] ^ x[a], 16)
    x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = _rotl(x[b] ^ x[c], 12)
    x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = _rotl(x[d] ^ x[a], 8)
    x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = _rotl(x[b] ^ x[c], 7)


def HCHACHA20(key, nonce16):
    x = list(struct.unpack("<4I", b"expand 32-byte k")) + list(struct.unpack("<8I", key)) + \
        list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        _quarter(x, 0, 4, 8, 12); _quarter(x, 1, 5, 9, 13)
        _quarter(x, 2, 6, 10, 14); _quarter(x, 3, 7, 11, 15)
        _quarter(x, 0, 5, 10, 15); _quarter(x, 1, 6, 11, 12)
        _quarter(x, 2, 7, 8, 13); _quarter(x, 3, 4, 9, 14)
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def XAEAD(key, nonce24, pt, ad):
    return ChaCha20Poly1305(HCHACHA20(key, nonce24[:16])).encrypt(b"\0" * 4 + nonce24[16:], pt, ad)


def XAEAD_open(key, nonce24, ct, ad):
    return ChaCha20Poly1305(HCHACHA20(key, nonce24[:16])).decrypt(b"\0" * 4 + nonce24[16:], ct, ad)


def tai64n(sec, nsec):
    # Whitened like the kernel: nanoseconds rounded down to a multiple of 2^24.
    return struct.pack(">QI", 0x400000000000000a + sec, nsec & ~((1 << 24) - 1))


def initiation(a):
    """-> e, es, s, ss, {t}: returns (message, C, H) for the initiator."""
    s_i, S_r = a["init_priv"], raw_pub(a["resp_priv"])
    e_i = a["init_eph"]
    C = HASH(CONSTRUCTION)
    H = HASH(C + IDENTIFIER)
    H = HASH(H + S_r)
    E_i = raw_pub(e_i)
    H = HASH(H + E_i)
    C = KDF(1, C, E_i)[0]
    C, k = KDF(2, C, DH(e_i, S_r))
    enc_static = AEAD(k, 0, raw_pub(s_i), H)
    H = HASH(H + enc_static)
    C, k = KDF(2, C, DH(s_i, S_r))
    enc_ts = AEAD(k, 0, tai64n(a["sec"], a["nsec"]), H)
    H = HASH(H + enc_ts)
    msg = struct.pack("<II", 1, a["init_index"]) + E_i + enc_static + enc_ts
    msg += MAC(HASH(LABEL_MAC1 + S_r), msg)
    msg += MAC(a["cookie"], msg) if "cookie" in a else b"\0" * 16
    return msg, C, H


def response(a, C, H):
    """<- e, ee, se, psk, {}: returns (message, T_init_send, T_init_recv)."""
    S_i = raw_pub(a["init_priv"])
    E_i = raw_pub(a["init_eph"])
    e_r = a["resp_eph"]
    E_r = raw_pub(e_r)
    H = HASH(H + E_r)
    C = KDF(1, C, E_r)[0]
    C = KDF(1, C, DH(e_r, E_i))[0]
    C = KDF(1, C, DH(e_r, S_i))[0]
    C, tau, k = KDF(3, C, a.get("psk", b"\0" * 32))
    H = HASH(H + tau)
    enc_empty = AEAD(k, 0, b"", H)
    H = HASH(H + enc_empty)
    msg = struct.pack("<III", 2, a["resp_index"], a["init_index"]) + E_r + enc_empty
    msg += MAC(HASH(LABEL_MAC1 + S_i), msg)
    msg += b"\0" * 16
    t_send, t_recv = KDF(2, C, b"")
    return msg, t_send, t_recv


def data(key, receiver, counter, packet, mtu=1420):
    last = len(packet) % mtu if len(packet) > mtu else len(packet)
    padded = min(mtu, (last + 15) & ~15)
    pt = packet + b"\0" * (padded - last)
    return struct.pack("<IIQ", 4, receiver, counter) + AEAD(key, counter, pt, b"")


def cmd_handshake(a):
    init, C, H = initiation(a)
    resp, t_send, t_recv = response(a, C, H)
    out = {"initiation": init, "response": resp, "t_send": t_send, "t_recv": t_recv,
           "init_pub": raw_pub(a["init_priv"]), "resp_pub": raw_pub(a["resp_priv"])}
    # First data message from the initiator (key confirmation), counter 0.
    if "packet" in a:
        out["data"] = data(t_send, a["resp_index"], 0, a["packet"])
    # The initiator's keepalive after the response, counter 0.
    out["keepalive"] = data(t_send, a["resp_index"], 0, b"")
    return out


def cmd_cookie(a):
    """Cookie reply of a responder with static key resp_priv for a message from src (ip||port)."""
    cookie = MAC(a["secret"], a["src"])
    key = HASH(LABEL_COOKIE + raw_pub(a["resp_priv"]))
    reply = struct.pack("<II", 3, a["receiver"]) + a["nonce"] + XAEAD(key, a["nonce"], cookie, a["mac1"])
    return {"cookie": cookie, "reply": reply}


def cmd_mac2(a):
    """mac2 = MAC(cookie, msg up to mac2), and mac1 with the receiver's key."""
    msg = a["msg"]
    return {"mac1": MAC(HASH(LABEL_MAC1 + a["receiver_pub"]), msg[:-32]),
            "mac2": MAC(a["cookie"], msg[:-16])}


def cmd_kdf(a):
    t1, t2, t3 = KDF(3, a["key"], a["input"])
    return {"hmac": HMAC(a["key"], a["input"]), "t1": t1, "t2": t2, "t3": t3,
            "hash": HASH(a["input"]), "mac": MAC(a["key"][:32], a["input"])}


def cmd_aead(a):
    return {"ct": AEAD(a["key"], a["counter"], a["pt"], a["ad"]),
            "xct": XAEAD(a["key"], a["nonce"], a["pt"], a["ad"])}


def cmd_selftest(_a):
    # draft-irtf-cfrg-xchacha-03 section 2.2.1
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a0000000031415927")
    want = bytes.fromhex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")
    assert HCHACHA20(key, nonce) == want, "HChaCha20 test vector"
    # wireguard-go's KDF vector: KDF3("test-key", "test-input")
    t = KDF(3, b"test-key", b"test-input")
    assert t[0].hex() == "6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633"
    return {"ok": b"\x01"}


def main():
    cmd = sys.argv[1]
    args = {}
    for kv in sys.argv[2:]:
        k, v = kv.split("=", 1)
        args[k] = int(v) if k in ("sec", "nsec", "init_index", "resp_index", "receiver", "counter") else bytes.fromhex(v)
    out = globals()["cmd_" + cmd](args)
    for k, v in out.items():
        print(f"{k}={v.hex()}")


if __name__ == "__main__":
    main()
