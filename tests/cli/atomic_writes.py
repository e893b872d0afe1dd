#!/usr/bin/env python3
"""Every file meshguard writes is written atomically, checked on its system calls.

Each command runs under strace. For every file of the config directory that
the command created or changed, the trace must show: a temporary dot file in
the same directory created exclusively (O_CREAT|O_EXCL) with mode 0600, the
content written to it, fsync of it after the last write, then rename() or
link() to the final name, then fsync of the directory. The final name is
never opened for writing (never written in place), no temporary file is left
behind, and a secret key file is 0600 from its creation on (no chmod to
anything wider at any point).

Usage: atomic_writes.py /path/to/meshguard
"""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile

MG = sys.argv[1]
if not shutil.which("strace"):
    print("strace not installed (apt-get install strace)")
    sys.exit(77)
if subprocess.run(["strace", "-o", os.devnull, "true"], capture_output=True).returncode != 0:
    print("strace cannot trace here (ptrace not permitted)")
    sys.exit(77)

TMP = os.path.realpath(tempfile.mkdtemp(prefix="mgtrust-atomic-"))
FAILS = []
CHECKS = 0
SECRETS = ("identity.key", "org/org.key")
CALLS = "openat,open,creat,fchmod,fchmodat,chmod,write,pwrite64,writev,fsync,fdatasync," \
        "rename,renameat,renameat2,link,linkat,truncate,ftruncate"
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC")


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def snapshot(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            st = os.lstat(p)
            out[p] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


LINE = re.compile(r"^(?:\d+ +)?(\w+)\((.*)\) += (-?\d+)(?:<(.*)>)?")
FD = re.compile(r"^(\d+)<([^>]*)>")
STR = re.compile(r'"((?:[^"\\]|\\.)*)"')


def parse(trace):
    """Successful calls as (index, name, args-text, fd-path or None, strings, result-path)."""
    calls = []
    for line in open(trace):
        m = LINE.match(line)
        if not m or int(m.group(3)) < 0:
            continue
        name, args, res_path = m.group(1), m.group(2), m.group(4)
        fd = FD.match(args)
        calls.append({"i": len(calls), "name": name, "args": args,
                      "fd_path": fd.group(2) if fd else None,
                      "strs": STR.findall(args), "res_path": res_path})
    return calls


def run(cfg, *args):
    """Run meshguard under strace; returns the changed files and the calls."""
    trace = os.path.join(TMP, "trace")
    before = snapshot(TMP)
    # LeakSanitizer cannot run under ptrace; the other suites check leaks.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    p = subprocess.run(["strace", "-f", "-y", "-qq", "-s", "0", "-o", trace, "-e", "trace=" + CALLS,
                        MG, "--config-dir", cfg, *args], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"meshguard {' '.join(args)} failed: {p.stderr}")
    after = snapshot(TMP)
    changed = [f for f, v in after.items() if before.get(f) != v and not f.startswith(trace)]
    return changed, parse(trace)


def check_atomic(what, path, calls):
    rel = os.path.relpath(path, TMP)
    d = os.path.dirname(path)
    # the final name is never opened for writing
    for c in calls:
        if c["name"] in ("openat", "open", "creat") and c["strs"] and c["strs"][0] == path:
            check(not any(f in c["args"] for f in WRITE_FLAGS), f"{what}: {rel} opened for writing in place")
        if c["name"] in ("truncate",) and c["strs"] and c["strs"][0] == path:
            check(False, f"{what}: {rel} truncated in place")
    # published by rename/link from a dot file of the same directory
    pubs = [c for c in calls if c["name"] in ("rename", "renameat", "renameat2", "link", "linkat")
            and len(c["strs"]) == 2 and c["strs"][1] == path]
    check(len(pubs) == 1, f"{what}: {rel} published by exactly one rename/link (got {len(pubs)})")
    if len(pubs) != 1:
        return
    pub = pubs[0]
    tmp = pub["strs"][0]
    check(os.path.dirname(tmp) == d and os.path.basename(tmp).startswith("."),
          f"{what}: {rel} comes from a dot file in its own directory ({tmp})")
    check(not os.path.exists(tmp), f"{what}: temporary {tmp} removed")
    created = [c for c in calls[:pub["i"]] if c["name"] in ("openat", "open") and c["strs"]
               and c["strs"][0] == tmp]
    check(len(created) == 1 and "O_CREAT" in created[0]["args"] and "O_EXCL" in created[0]["args"]
          and created[0]["args"].rstrip().endswith("0600"),
          f"{what}: {tmp} created exclusively with mode 0600")
    writes = [c for c in calls[:pub["i"]] if c["name"] in ("write", "pwrite64", "writev")
              and c["fd_path"] == tmp]
    check(len(writes) >= 1, f"{what}: content written to the temporary file")
    last_write = writes[-1]["i"] if writes else -1
    syncs = [c for c in calls[last_write + 1:pub["i"]] if c["name"] in ("fsync", "fdatasync")
             and c["fd_path"] == tmp]
    check(len(syncs) >= 1, f"{what}: {rel}: fsync of the temporary file between the last write and the rename")
    dsyncs = [c for c in calls[pub["i"] + 1:] if c["name"] == "fsync" and c["fd_path"] == d]
    check(len(dsyncs) >= 1, f"{what}: {rel}: fsync of its directory after the rename")
    if rel.split("/", 1)[-1] in SECRETS or any(rel.endswith("/" + s) for s in SECRETS):
        chmods = [c for c in calls if c["name"] in ("fchmod", "fchmodat", "chmod")
                  and (c["fd_path"] == tmp or (c["strs"] and c["strs"][0] in (tmp, path)))]
        check(all(c["args"].rstrip().endswith("0600") for c in chmods),
              f"{what}: secret {rel} never made wider than 0600 ({[c['args'] for c in chmods]})")
        check((os.stat(path).st_mode & 0o777) == 0o600, f"{what}: {rel} is 0600")


def scenario(what, cfg, *args, expect):
    changed, calls = run(cfg, *args)
    names = sorted(os.path.relpath(f, cfg) for f in changed)
    check(sorted(expect) == names, f"{what}: changed files {names}, expected {sorted(expect)}")
    for f in changed:
        check_atomic(what, f, calls)


def main():
    node, adm, other = (os.path.join(TMP, n) for n in ("node", "admin", "other"))
    scenario("keygen", node, "keygen", expect=["identity.key", "identity.pub"])
    scenario("keygen --force", node, "keygen", "--force", expect=["identity.key", "identity.pub"])
    scenario("org-keygen", adm, "org-keygen", expect=["org/org.key", "org/org.pub"])
    scenario("org-keygen --force", adm, "org-keygen", "--force", expect=["org/org.key", "org/org.pub"])
    subprocess.run([MG, "--config-dir", other, "keygen"], check=True, capture_output=True)
    pub = os.path.join(other, "identity.pub")
    scenario("trust", node, "trust", pub, "--name", "bob", expect=["authorized_keys/bob.pub"])
    scenario("trust rename", node, "trust", pub, "--name", "robert", expect=["authorized_keys/robert.pub"])
    scenario("trust --org", node, "trust", "--org", os.path.join(adm, "org/org.pub"), "--name", "acme",
             expect=["trusted_orgs/acme.org"])
    scenario("org-sign", adm, "org-sign", pub, "--name", "web", "--expires", "30d",
             expect=["issued/web.cert"])
    scenario("org-delegate", adm, "org-delegate", os.path.join(adm, "org/org.pub"), "--expires", "7d",
             "--name", "eu", expect=["issued/eu.grant"])
    hex16 = base64.b64decode(open(pub).read().strip())[:8].hex()
    scenario("org-revoke", adm, "org-revoke", pub, expect=[f"revoked/{hex16}.revoke", "state/lamport"])
    scenario("org-vouch", adm, "org-vouch", pub, expect=[f"vouched/{hex16}.vouch", "state/lamport"])
    org_hex16 = base64.b64decode(open(os.path.join(adm, "org/org.pub")).read().strip())[:8].hex()
    scenario("org-alias", adm, "org-alias", "acme", expect=[f"aliases/{org_hex16}.alias", "state/lamport"])
    print(f"atomic_writes: {CHECKS} checks, {len(FAILS)} failures")
    return 1 if FAILS else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
