#!/usr/bin/env python3
"""Certificates and org messages against an independent implementation.

1. meshguard writes certificates (v1, v2, delegated), grants and org
   messages; this script parses them with its own reading of the upstream
   layout (upstream-trust-cli.md §5, §6) and verifies every signature with
   Python's `cryptography` over the exact signed bytes.
2. This script signs certificates and org messages with `cryptography`;
   meshguard must accept them (`cert verify`), and reject tampered ones.

Usage: oracle_certs.py /path/to/meshguard
"""
import base64
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
except ImportError:
    print("python3-cryptography not installed")
    sys.exit(77)

MG = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="mgtrust-oracle-")
RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw
FAILS = []
CHECKS = 0


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def mg(cfg, *args, ok=True):
    p = subprocess.run([MG, "--config-dir", os.path.join(TMP, cfg), *args],
                       capture_output=True, text=True)
    if ok and p.returncode != 0:
        raise RuntimeError(f"meshguard {' '.join(args)} failed: {p.stderr}")
    return p


def read_pub(path):
    return base64.b64decode(open(path).read().strip(), validate=True)


def private_key(cfg, rel):
    """Our key file format: base64(seed || pk); cryptography derives pk from the seed."""
    raw = base64.b64decode(open(os.path.join(TMP, cfg, rel)).read().strip(), validate=True)
    assert len(raw) == 64
    key = ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32])
    check(key.public_key().public_bytes(*RAW) == raw[32:], f"{cfg}/{rel}: public half is the seed's")
    return key


def verify(pub, sig, msg):
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except InvalidSignature:
        return False


# ---- the upstream layout, read independently ----

def parse_cert(b):
    c = {"len": len(b), "version": b[0], "org": b[1:33], "node": b[33:65],
         "name": b[65:97].rstrip(b"\0").decode(), "issued": struct.unpack("<q", b[97:105])[0],
         "expires": struct.unpack("<q", b[105:113])[0], "flags": b[113], "sig": b[114:178],
         "pad": b[178:186], "wg": b[186:218], "issuer": b[218:250], "gsig": b[250:314]}
    head = b[0:114]
    c["signed"] = head if c["version"] == 1 else head + c["wg"] + c["issuer"]
    c["grant"] = bytes([2]) + c["org"] + c["issuer"] + b[105:113] + bytes([c["flags"]])
    return c


def cert_bytes(version, org, node, name, issued, expires, flags, wg=b"\0" * 32, issuer=b"\0" * 32,
               signer=None, grant_signer=None):
    head = (bytes([version]) + org + node + name.encode().ljust(32, b"\0") +
            struct.pack("<qq", issued, expires) + bytes([flags]))
    signed = head if version == 1 else head + wg + issuer
    sig = signer.sign(signed)
    gsig = b"\0" * 64
    if grant_signer:
        gsig = grant_signer.sign(bytes([2]) + org + issuer + struct.pack("<q", expires) + bytes([flags]))
    out = head + sig + b"\0" * 8
    if version == 2:
        out += wg + issuer + gsig
    return out.ljust(314, b"\0")


def msg_bytes(kind, org_key, subject, lamport, reason=None):
    org = org_key.public_key().public_bytes(*RAW)
    signed = subject + (bytes([reason]) if kind == 0x42 else b"") + struct.pack("<Q", lamport)
    return bytes([kind]) + org + signed + org_key.sign(signed)


def main():
    now = int(time.time())
    # ---- 1. meshguard signs, we verify ----
    mg("admin", "org-keygen")
    mg("node", "keygen")
    mg("iss", "org-keygen")
    org_pub = read_pub(os.path.join(TMP, "admin/org/org.pub"))
    node_pub = read_pub(os.path.join(TMP, "node/identity.pub"))
    iss_pub = read_pub(os.path.join(TMP, "iss/org/org.pub"))
    org_key = private_key("admin", "org/org.key")
    node_key = private_key("node", "identity.key")
    wg = x25519.X25519PrivateKey.generate().public_key().public_bytes(*RAW)
    wg_b64 = base64.b64encode(wg).decode()
    node_file = os.path.join(TMP, "node/identity.pub")

    mg("admin", "org-sign", node_file, "--name", "web-1", "--expires", "90d")
    mg("admin", "org-sign", node_file, "--name", "web-2", "--wg-pubkey", wg_b64)
    mg("admin", "org-delegate", os.path.join(TMP, "iss/org/org.pub"), "--expires", "30d", "--name", "eu")
    mg("iss", "org-sign", node_file, "--name", "leaf", "--wg-pubkey", wg_b64,
       "--grant", os.path.join(TMP, "admin/issued/eu.grant"))
    for path, version in (("admin/issued/web-1.cert", 1), ("admin/issued/web-2.cert", 2),
                          ("iss/issued/leaf.cert", 2)):
        b = open(os.path.join(TMP, path), "rb").read()
        c = parse_cert(b)
        check(len(b) == 314, f"{path}: 314 bytes")
        check(c["version"] == version, f"{path}: version {version}")
        check(c["org"] == org_pub and c["node"] == node_pub, f"{path}: org and node keys")
        check(abs(c["issued"] - now) < 60, f"{path}: issued_at is now")
        check(c["pad"] == b"\0" * 8, f"{path}: zero padding")
        delegated = c["flags"] == 1
        signer = iss_pub if delegated else org_pub
        check(verify(signer, c["sig"], c["signed"]), f"{path}: signature over the exact signed bytes")
        if version == 1:
            check(b[186:] == b"\0" * 128, f"{path}: v1 is 186 bytes + 128 zero bytes")
            check(abs(c["expires"] - (now + 90 * 86400)) < 60, f"{path}: --expires 90d")
        else:
            check(c["wg"] == wg, f"{path}: binds the WireGuard key")
        if delegated:
            check(c["issuer"] == iss_pub, f"{path}: issuer key")
            check(verify(org_pub, c["gsig"], c["grant"]), f"{path}: org's grant signature")
            grant = open(os.path.join(TMP, "admin/issued/eu.grant"), "rb").read()
            check(grant[:74] == c["grant"] and verify(org_pub, grant[74:], grant[:74]),
                  "grant file = the 74 grant bytes + the org's signature")
        elif version == 2:
            check(c["issuer"] == b"\0" * 32 and c["gsig"] == b"\0" * 64, f"{path}: direct v2")

    mg("admin", "org-revoke", node_file, "--reason", "key-compromised")
    mg("admin", "org-vouch", os.path.join(TMP, "iss/org/org.pub"))
    mg("admin", "org-alias", "acme")
    hex16 = node_pub[:8].hex()
    rev = open(os.path.join(TMP, f"admin/revoked/{hex16}.revoke"), "rb").read()
    check(len(rev) == 138 and rev[0] == 0x42 and rev[1:33] == org_pub and rev[33:65] == node_pub,
          "revoke: 138 bytes, type, org, node")
    check(rev[65] == 1, "revoke: reason key-compromised = 1")
    check(verify(org_pub, rev[74:], rev[33:74]), "revoke: signature over node || reason || lamport")
    lamports = [struct.unpack("<Q", rev[66:74])[0]]
    vou = open(os.path.join(TMP, f"admin/vouched/{iss_pub[:8].hex()}.vouch"), "rb").read()
    check(len(vou) == 137 and vou[0] == 0x43 and verify(org_pub, vou[73:], vou[33:73]),
          "vouch: 137 bytes, signature over node || lamport")
    lamports.append(struct.unpack("<Q", vou[65:73])[0])
    ali = open(os.path.join(TMP, f"admin/aliases/{org_pub[:8].hex()}.alias"), "rb").read()
    check(len(ali) == 137 and ali[0] == 0x41 and ali[33:65] == b"acme".ljust(32, b"\0"),
          "alias: 137 bytes, NUL-padded name")
    check(verify(org_pub, ali[73:], ali[33:73]), "alias: signature over alias || lamport")
    lamports.append(struct.unpack("<Q", ali[65:73])[0])
    check(lamports == [1, 2, 3], f"Lamport values come from the clock, not the wall clock: {lamports}")

    # ---- 2. we sign, meshguard must accept ----
    py_org = ed25519.Ed25519PrivateKey.generate()
    py_org_pub = py_org.public_key().public_bytes(*RAW)
    py_iss = ed25519.Ed25519PrivateKey.generate()
    py_iss_pub = py_iss.public_key().public_bytes(*RAW)
    os.makedirs(os.path.join(TMP, "verifier"), exist_ok=True)
    org_file = os.path.join(TMP, "py-org.pub")
    open(org_file, "w").write(base64.b64encode(py_org_pub).decode() + "\n")
    mg("verifier", "trust", "--org", org_file, "--name", "pyorg")

    certs = {
        "v1": cert_bytes(1, py_org_pub, node_pub, "py-v1", now - 5, now + 3600, 0, signer=py_org),
        "v1-186": cert_bytes(1, py_org_pub, node_pub, "py-v1", now - 5, 0, 0, signer=py_org)[:186],
        "v2": cert_bytes(2, py_org_pub, node_pub, "py-v2", now - 5, 0, 0, wg=wg, signer=py_org),
        "deleg": cert_bytes(2, py_org_pub, node_pub, "py-leaf", now - 5, now + 3600, 1, wg=wg,
                            issuer=py_iss_pub, signer=py_iss, grant_signer=py_org),
    }
    bad = {
        "expired": cert_bytes(1, py_org_pub, node_pub, "old", now - 100, now - 10, 0, signer=py_org),
        "future": cert_bytes(1, py_org_pub, node_pub, "new", now + 7200, 0, 0, signer=py_org),
        "wrong-signer": cert_bytes(1, py_org_pub, node_pub, "x", now - 5, 0, 0, signer=py_iss),
        "grant-by-issuer": cert_bytes(2, py_org_pub, node_pub, "x", now - 5, now + 3600, 1, wg=wg,
                                      issuer=py_iss_pub, signer=py_iss, grant_signer=py_iss),
        "no-grant": cert_bytes(2, py_org_pub, node_pub, "x", now - 5, now + 3600, 1, wg=wg,
                               issuer=py_iss_pub, signer=py_iss),
        "version-3": b"\x03" + cert_bytes(1, py_org_pub, node_pub, "x", now - 5, 0, 0, signer=py_org)[1:],
        "untrusted-org": cert_bytes(1, py_iss_pub, node_pub, "x", now - 5, 0, 0, signer=py_iss),
        # both signatures valid, but the delegation never expires (upstream W-11)
        "deleg-forever": cert_bytes(2, py_org_pub, node_pub, "x", now - 5, 0, 1, wg=wg,
                                    issuer=py_iss_pub, signer=py_iss, grant_signer=py_org),
    }
    expect_reason = {"expired": "expired", "future": "not yet valid", "wrong-signer": "bad signature",
                     "grant-by-issuer": "bad delegation grant", "no-grant": "bad delegation grant",
                     "version-3": "unsupported certificate version", "untrusted-org": "org not trusted",
                     "deleg-forever": "delegated certificate that never expires"}
    for name, b in certs.items():
        path = os.path.join(TMP, f"py-{name}.cert")
        open(path, "wb").write(b)
        p = mg("verifier", "cert", "verify", path, ok=False)
        check(p.returncode == 0, f"python-signed {name} certificate accepted: {p.stderr.strip()}")
        # one flipped byte in the signed part is rejected
        t = bytearray(b)
        t[100] ^= 1  # issued_at
        open(path, "wb").write(bytes(t))
        p = mg("verifier", "cert", "verify", path, ok=False)
        check(p.returncode == 1 and "bad signature" in p.stderr, f"tampered {name} rejected: {p.stderr.strip()}")
    for name, b in bad.items():
        path = os.path.join(TMP, f"py-bad-{name}.cert")
        open(path, "wb").write(b)
        p = mg("verifier", "cert", "verify", path, ok=False)
        check(p.returncode == 1 and expect_reason[name] in p.stderr,
              f"python {name} certificate rejected with '{expect_reason[name]}': {p.stderr.strip()}")

    # python-signed org messages: a revocation of the issuer revokes the delegated leaf
    leaf = os.path.join(TMP, "py-deleg-ok.cert")
    open(leaf, "wb").write(certs["deleg"])
    revdir = os.path.join(TMP, "verifier/revoked")
    os.makedirs(revdir, exist_ok=True)
    open(os.path.join(revdir, "py.revoke"), "wb").write(msg_bytes(0x42, py_org, py_iss_pub, 7, reason=2))
    p = mg("verifier", "cert", "verify", leaf, ok=False)
    check(p.returncode == 1 and "issuer revoked" in p.stderr, f"python revocation of the issuer applied: {p.stderr.strip()}")
    p = mg("verifier", "cert", "show", os.path.join(revdir, "py.revoke"), ok=False)
    check(p.returncode == 0 and "(valid)" in p.stdout and "admin-removed" in p.stdout,
          "python-signed revocation shown as valid")
    # a python vouch and alias load; a tampered one fails the load, naming the file
    vdir = os.path.join(TMP, "verifier/vouched")
    os.makedirs(vdir, exist_ok=True)
    open(os.path.join(vdir, "py.vouch"), "wb").write(msg_bytes(0x43, py_org, node_pub, 8))
    # upstream's 136-byte vouch file (no type byte) is read too
    open(os.path.join(vdir, "legacy.vouch"), "wb").write(msg_bytes(0x43, py_org, iss_pub, 9)[1:])
    p = mg("verifier", "trust", "list", ok=False)
    check(p.returncode == 0 and "2 vouch(es)" in p.stdout, f"python vouches loaded: {p.stdout} {p.stderr}")
    t = bytearray(msg_bytes(0x43, py_org, iss_pub, 10))
    t[-1] ^= 1
    open(os.path.join(vdir, "bad.vouch"), "wb").write(bytes(t))
    p = mg("verifier", "trust", "list", ok=False)
    check(p.returncode == 1 and "bad.vouch: bad signature" in p.stderr, f"tampered vouch refused: {p.stderr.strip()}")

    print(f"oracle_certs: {CHECKS} checks, {len(FAILS)} failures")
    return 1 if FAILS else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
