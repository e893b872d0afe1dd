#!/usr/bin/env python3
"""Identity keys, WireGuard keys and mesh addresses against independent code.

For random seeds: Ed25519 public key from Python's `cryptography`; the
WireGuard private key recomputed as upstream does (clamped SHA-512 of the
seed, hashlib) and its X25519 public key from `cryptography`; the mesh
addresses recomputed from the public key with the b3sum tool.
Usage: oracle_keys.py TRUST_TOOL
"""
import hashlib
import ipaddress
import os
import subprocess
import sys

try:
    from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
    from cryptography.hazmat.primitives import serialization
except ImportError:
    print("python3-cryptography not installed")
    sys.exit(77)

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def b3(data):
    out = subprocess.run(["b3sum", "--no-names", "-"], input=data, capture_output=True, check=True)
    return bytes.fromhex(out.stdout.decode().strip())


def expected(seed):
    pk = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(*RAW)
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    wg_pub = x25519.X25519PrivateKey.from_private_bytes(bytes(h)).public_key().public_bytes(*RAW)
    d = b3(pk)
    o3 = d[0] or 1
    o4 = 1 if d[1] == 0 else 254 if d[1] == 255 else d[1]
    iid = bytearray(d[:8])
    if not any(iid):
        iid[7] = 1
    v6 = ipaddress.IPv6Address(bytes.fromhex("fd996d6700000000") + bytes(iid))
    return {
        "pk": pk.hex(), "wg_priv": bytes(h).hex(), "wg_pub": wg_pub.hex(),
        "ipv4": f"10.99.{o3}.{o4}", "ipv6": str(v6), "domain": d[:3].hex(),
    }


def main():
    tool = sys.argv[1]
    bad = 0
    seeds = [bytes(32), bytes(range(32))] + [os.urandom(32) for _ in range(40)]
    for seed in seeds:
        out = subprocess.run([tool, "derive", seed.hex()], capture_output=True, text=True, check=True)
        got = dict(line.split(" ", 1) for line in out.stdout.strip().split("\n"))
        want = expected(seed)
        for k, v in want.items():
            if got.get(k) != v:
                print(f"MISMATCH seed={seed.hex()} {k}: ours={got.get(k)} oracle={v}")
                bad += 1
    print(f"keys vs cryptography/hashlib/b3sum: {len(seeds)} seeds, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
