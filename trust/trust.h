/* SPDX-License-Identifier: MIT */
/*
 * trust/: identity keys, mesh addresses, org certificates, org messages and
 * the trust decision. The public header of the module.
 *
 * CONTRACT NOTE (lead): the declarations in the first section are already
 * relied upon by other modules' work in progress (the daemon in cli/ loads
 * the identity and derives the WireGuard key and mesh addresses through
 * them). Keep these exact signatures; add everything else the module needs.
 *
 * Sections, in the order a node uses them:
 *   1. identity, WireGuard key, mesh addresses   (contract)
 *   2. key text, key files, names                (parsing people's input)
 *   3. node certificates and delegation grants   (upstream §5, byte-exact)
 *   4. org messages 0x41 / 0x42 / 0x43           (upstream §6, byte-exact)
 *   5. the trust store                           (loaded from a config dir)
 *   6. the trust decision and its verdict        (pure)
 *   7. time: parsing --expires, printing dates
 * Design and formats: docs/trust.md.
 */
#ifndef MG_TRUST_H
#define MG_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TRUST_KEY_LEN = 32,      /* Ed25519 public key, X25519 key */
	TRUST_SECRET_LEN = 64,   /* Ed25519 secret key: seed(32) || public key(32) */
	TRUST_ERR_LEN = 256,     /* size of the error buffers below */
};

/* ======================================================================
 * 1. Identity, WireGuard key, mesh addresses (contract)
 * ====================================================================== */

/* This node's identity, as stored in identity.key / identity.pub. The same
 * struct holds an org signing key pair (org/org.key, org/org.pub). */
struct trust_identity {
	uint8_t secret[TRUST_SECRET_LEN];
	uint8_t public_key[TRUST_KEY_LEN];
};

/*
 * Load <config_dir>/identity.key (and check it against identity.pub).
 * Refuses a key file readable by group or others. Returns 0, or a negative
 * errno with a message for people in `err` (what is wrong and where, and how
 * to fix it; never secret bytes).
 */
int trust_identity_load(const char *config_dir, struct trust_identity *out, char *err,
			size_t errlen);
/* Zero the secret. */
void trust_identity_wipe(struct trust_identity *id);

/*
 * The node's WireGuard static key pair: the Ed25519 -> X25519 conversion of the
 * identity (libsodium's crypto_sign_ed25519_sk_to_curve25519 and
 * crypto_sign_ed25519_pk_to_curve25519), byte-identical to upstream.
 */
void trust_identity_wg_keypair(const struct trust_identity *id, uint8_t wg_private[TRUST_KEY_LEN],
			       uint8_t wg_public[TRUST_KEY_LEN]);
/* X25519 public key of any identity public key; -1 if not a valid Ed25519 point. */
int trust_wg_public_from_identity(const uint8_t identity[TRUST_KEY_LEN],
				  uint8_t wg_public[TRUST_KEY_LEN]);

/* Mesh addresses derived from an identity public key exactly as upstream (BLAKE3). */
void trust_mesh_ipv4(const uint8_t identity[TRUST_KEY_LEN], uint8_t out[4]);
void trust_mesh_ipv6(const uint8_t identity[TRUST_KEY_LEN], uint8_t out[16]);

/* --- identity: the rest ------------------------------------------------ */

enum {
	TRUST_KEY_TEXT_LEN = 44,    /* base64 of 32 bytes */
	TRUST_SECRET_TEXT_LEN = 88, /* base64 of 64 bytes */
	TRUST_ADDR_STR_LEN = 46,    /* INET6_ADDRSTRLEN */
	TRUST_DOMAIN_LEN = 6,       /* hex of BLAKE3(org key)[0..3] */
};

/* A fresh key pair from the OS random generator. */
void trust_identity_generate(struct trust_identity *out);
/* The key pair of a 32-byte Ed25519 seed (RFC 8032); for tests and vectors. */
void trust_identity_from_seed(const uint8_t seed[TRUST_KEY_LEN], struct trust_identity *out);

/*
 * Write identity.key (mode 0600) and identity.pub (0644) atomically. Without
 * `replace`, fails with -EEXIST if either file exists (an existing identity is
 * never clobbered, even a corrupt one).
 */
int trust_identity_save(const char *config_dir, const struct trust_identity *id, bool replace,
			char *err, size_t errlen);
/* Read just identity.pub (needs no access to the secret). */
int trust_identity_load_public(const char *config_dir, uint8_t pk[TRUST_KEY_LEN], char *err,
			       size_t errlen);

/* Org signing key: <config_dir>/org/org.key (0600) and org/org.pub. */
int trust_org_key_load(const char *config_dir, struct trust_identity *out, char *err,
		       size_t errlen);
int trust_org_key_save(const char *config_dir, const struct trust_identity *key, bool replace,
		       char *err, size_t errlen);
int trust_org_key_load_public(const char *config_dir, uint8_t pk[TRUST_KEY_LEN], char *err,
			      size_t errlen);

/* "10.99.x.y" and the standard (compressed) IPv6 text of the mesh addresses. */
void trust_mesh_ipv4_str(const uint8_t identity[TRUST_KEY_LEN], char out[TRUST_ADDR_STR_LEN]);
void trust_mesh_ipv6_str(const uint8_t identity[TRUST_KEY_LEN], char out[TRUST_ADDR_STR_LEN]);
/* The org's 6-hex-digit mesh domain (lowercase hex of BLAKE3(org)[0..3]). */
void trust_org_domain(const uint8_t org[TRUST_KEY_LEN], char out[TRUST_DOMAIN_LEN + 1]);

/* ======================================================================
 * 2. Key text, key files, names
 * ====================================================================== */

/* Why a key was refused. 0 is fine; all others are negative. */
enum trust_key_status {
	TRUST_KEY_OK = 0,
	TRUST_KEY_BAD_LENGTH = -1,      /* not exactly 44 base64 characters */
	TRUST_KEY_BAD_BASE64 = -2,      /* characters or padding are not base64 */
	TRUST_KEY_NONCANONICAL_B64 = -3,/* non-zero trailing bits: not the one spelling */
	TRUST_KEY_NONCANONICAL = -4,    /* coordinate >= 2^255-19, or high bit set (X25519) */
	TRUST_KEY_ZERO = -5,            /* all-zero key */
	TRUST_KEY_NOT_ON_CURVE = -6,    /* no Ed25519 point has this encoding */
	TRUST_KEY_SMALL_ORDER = -7,     /* a point of order 1, 2, 4 or 8 */
	TRUST_KEY_TORSION = -8,         /* a point outside the prime-order subgroup */
};

/* Strict checks of raw keys: Ed25519 identity/org keys, X25519 WireGuard keys. */
enum trust_key_status trust_key_check(const uint8_t key[TRUST_KEY_LEN]);
enum trust_key_status trust_wg_key_check(const uint8_t key[TRUST_KEY_LEN]);
/* Parse exactly 44 base64 characters (no whitespace) and check the key. */
enum trust_key_status trust_key_from_text(const char *text, size_t len, uint8_t out[TRUST_KEY_LEN]);
enum trust_key_status trust_wg_key_from_text(const char *text, size_t len,
					     uint8_t out[TRUST_KEY_LEN]);
const char *trust_key_strerror(enum trust_key_status st);
void trust_key_to_text(const uint8_t key[TRUST_KEY_LEN], char out[TRUST_KEY_TEXT_LEN + 1]);
/* First 8 bytes as 16 lowercase hex digits: upstream's revoked/<hex16> names. */
void trust_key_hex16(const uint8_t key[TRUST_KEY_LEN], char out[17]);

/*
 * A public key file (identity.pub, authorized_keys/x.pub, trusted_orgs/x.org,
 * org.pub): one line holding the 44-character key, optionally followed by
 * trailing spaces; blank lines and lines starting with '#' are ignored. On
 * error, *line gets the 1-based line at fault (0 for the file as a whole) and
 * *why a static message. `wg` selects the X25519 checks.
 */
int trust_keyfile_parse(const char *text, size_t len, bool wg, uint8_t out[TRUST_KEY_LEN],
			unsigned *line, const char **why);
/* Read and parse a key file; message "<path>:<line>: <why>" in err. */
int trust_keyfile_read(const char *path, bool wg, uint8_t out[TRUST_KEY_LEN], char *err,
		       size_t errlen);

/*
 * Names of peers, orgs and certificates (used in file names and the
 * certificate's 32-byte name field): 1..32 characters from [A-Za-z0-9._+-],
 * starting with a letter or digit. So never a path, never hidden, never an
 * option. Returns NULL if fine, else why not.
 */
enum { TRUST_NAME_MAX = 32 };
const char *trust_name_check(const char *name);

/* ======================================================================
 * 3. Node certificates and delegation grants (upstream §5)
 * ====================================================================== */

enum {
	TRUST_CERT_V1_LEN = 186,   /* meaningful bytes of a v1 certificate */
	TRUST_CERT_LEN = 314,      /* serialized size, v1 zero-padded */
	TRUST_SIG_LEN = 64,
	TRUST_GRANT_LEN = 74,      /* signed bytes of a delegation grant */
	TRUST_GRANT_FILE_LEN = 138,/* grant(74) || org signature(64): our .grant file */
	TRUST_CERT_DELEGATED = 0x01,
	TRUST_CERT_SIGNED_V1_LEN = 114,
	TRUST_CERT_SIGNED_V2_LEN = 178,
};

struct trust_cert {
	uint8_t version;                  /* 1 or 2 */
	uint8_t org[TRUST_KEY_LEN];       /* root of trust */
	uint8_t node[TRUST_KEY_LEN];      /* the node's identity key */
	uint8_t name[TRUST_NAME_MAX];     /* NUL-padded */
	int64_t issued_at;                /* unix seconds */
	int64_t expires_at;               /* unix seconds, 0 = never */
	uint8_t flags;                    /* TRUST_CERT_DELEGATED (v2 only) */
	uint8_t signature[TRUST_SIG_LEN]; /* org's, or the issuer's if delegated */
	/* v2 only (zero in v1) */
	uint8_t wg[TRUST_KEY_LEN];        /* bound WireGuard key */
	uint8_t issuer[TRUST_KEY_LEN];    /* delegated issuer, zero if direct */
	uint8_t grant_sig[TRUST_SIG_LEN]; /* org's signature over the grant */
};

/* What the org signs to delegate (upstream §5.2). */
struct trust_grant {
	uint8_t org[TRUST_KEY_LEN];
	uint8_t issuer[TRUST_KEY_LEN];
	int64_t expires_at;               /* every leaf carries exactly this expiry */
	uint8_t flags;                    /* TRUST_CERT_DELEGATED */
	uint8_t signature[TRUST_SIG_LEN];
};

/* Why something is not trusted (verdicts, certificates, org messages). */
enum trust_reason {
	TRUST_R_OK = 0,
	TRUST_R_UNKNOWN,          /* no authorized key, no certificate, no vouch */
	TRUST_R_INVALID_KEY,      /* the identity key itself is not a valid key */
	TRUST_R_MALFORMED,        /* bad length, non-zero padding, bad name, bad flags... */
	TRUST_R_BAD_VERSION,      /* certificate version not 1 or 2 */
	TRUST_R_BAD_SIGNATURE,    /* certificate or message signature does not verify */
	TRUST_R_BAD_GRANT,        /* delegated: the org's grant signature does not verify */
	TRUST_R_EXPIRED,
	TRUST_R_NOT_YET_VALID,    /* issued_at is in the future (beyond the allowed skew) */
	TRUST_R_REVOKED,          /* the node is revoked by the certificate's org */
	TRUST_R_ISSUER_REVOKED,   /* the delegated issuer is revoked by the org */
	TRUST_R_ORG_NOT_TRUSTED,
	TRUST_R_WRONG_NODE,       /* the certificate names another identity */
	TRUST_R_WG_MISMATCH,      /* claimed WireGuard key is not the one allowed */
	TRUST_R_STALE,            /* org message: superseded by a newer one */
	TRUST_R_FINAL_REVOCATION, /* org message: vouch for a key-compromised node */
	TRUST_R_NO_MEMORY,        /* org message: could not be stored */
	TRUST_R_COUNT
};
const char *trust_reason_str(enum trust_reason r);

/* Certificates are accepted when issued at most this far in the future. */
enum { TRUST_CLOCK_SKEW_S = 3600 };

/*
 * Decode 186 (v1 only) or 314 bytes. Strict: exact length, version 1 or 2,
 * zero padding, no unknown flags, v2 has a WireGuard key, a direct v2 has no
 * issuer, a delegated one has an issuer and an expiry (upstream W-11), the
 * name is printable and NUL-padded. Signatures are NOT checked.
 * Returns TRUST_R_OK, TRUST_R_MALFORMED or TRUST_R_BAD_VERSION; *why (may be
 * NULL) gets a static detail.
 */
enum trust_reason trust_cert_decode(const uint8_t *buf, size_t len, struct trust_cert *c,
				    const char **why);
/* Always 314 bytes (upstream writes v1 as 186 + 128 zero bytes). */
void trust_cert_encode(const struct trust_cert *c, uint8_t out[TRUST_CERT_LEN]);
/* The exact bytes the certificate's signature covers (114 for v1, 178 for v2). */
size_t trust_cert_signed_bytes(const struct trust_cert *c,
			       uint8_t out[TRUST_CERT_SIGNED_V2_LEN]);
/* Sign a direct v1/v2 certificate with the org key; c->org must be its public key. */
int trust_cert_sign(struct trust_cert *c, const struct trust_identity *org);
/* Sign a delegated v2 leaf with the issuer key under `grant`: copies the grant's
 * org, issuer, expiry and signature into c. -EINVAL if the issuer key is not
 * the grant's issuer or the grant never expires. */
int trust_cert_sign_delegated(struct trust_cert *c, const struct trust_grant *grant,
			      const struct trust_identity *issuer);
/* Signature(s) only: TRUST_R_OK, TRUST_R_BAD_SIGNATURE (the certificate's own
 * signature, checked first) or TRUST_R_BAD_GRANT (delegated: the org's). */
enum trust_reason trust_cert_check_signatures(const struct trust_cert *c);
/* Expiry and issue time against `now`: OK, EXPIRED or NOT_YET_VALID. */
enum trust_reason trust_cert_check_time(const struct trust_cert *c, int64_t now);
/* The certificate name as a C string (NUL-terminated copy of the field). */
void trust_cert_name(const struct trust_cert *c, char out[TRUST_NAME_MAX + 1]);
/* Read a certificate file (186 or 314 bytes). Message names the file. */
int trust_cert_read(const char *path, uint8_t buf[TRUST_CERT_LEN], size_t *len, char *err,
		    size_t errlen);

/* The 74 signed bytes of a grant. */
void trust_grant_signed_bytes(const struct trust_grant *g, uint8_t out[TRUST_GRANT_LEN]);
/* -EINVAL unless g->org is the org's key, flags are DELEGATED, there is an
 * issuer and an expiry (> 0: grants never last forever, upstream W-11). */
int trust_grant_sign(struct trust_grant *g, const struct trust_identity *org);
bool trust_grant_verify(const struct trust_grant *g);
/* Our grant file: the 74 signed bytes || the org's 64-byte signature. */
void trust_grant_encode(const struct trust_grant *g, uint8_t out[TRUST_GRANT_FILE_LEN]);
enum trust_reason trust_grant_decode(const uint8_t *buf, size_t len, struct trust_grant *g,
				     const char **why);

/* ======================================================================
 * 4. Org messages (upstream §6): alias 0x41, revoke 0x42, vouch 0x43
 * ====================================================================== */

enum trust_msg_type {
	TRUST_MSG_ALIAS = 0x41,
	TRUST_MSG_REVOKE = 0x42,
	TRUST_MSG_VOUCH = 0x43,
};

enum {
	TRUST_MSG_ALIAS_LEN = 137,
	TRUST_MSG_REVOKE_LEN = 138,
	TRUST_MSG_VOUCH_LEN = 137,
	TRUST_MSG_VOUCH_FILE_LEGACY_LEN = 136, /* upstream's .vouch: no type byte */
	TRUST_MSG_MAX_LEN = 138,
};

enum trust_revoke_reason {
	TRUST_REVOKE_UNSPECIFIED = 0,
	TRUST_REVOKE_KEY_COMPROMISED = 1, /* final: no later vouch reinstates the node */
	TRUST_REVOKE_ADMIN_REMOVED = 2,
};

struct trust_msg {
	uint8_t type;                     /* enum trust_msg_type */
	uint8_t org[TRUST_KEY_LEN];       /* signer */
	uint8_t subject[TRUST_KEY_LEN];   /* node key (revoke, vouch) or NUL-padded alias */
	uint8_t reason;                   /* revoke only */
	uint64_t lamport;
	uint8_t signature[TRUST_SIG_LEN];
};

/* Exact-length decode of a wire message (137 or 138 bytes). No signature
 * check. Returns TRUST_R_OK or TRUST_R_MALFORMED (+ *why). */
enum trust_reason trust_msg_decode(const uint8_t *buf, size_t len, struct trust_msg *m,
				   const char **why);
/* The same for a message file: also upstream's 136-byte .vouch files (the
 * vouch without its type byte). Never for datagrams. */
enum trust_reason trust_msg_decode_file(const uint8_t *buf, size_t len, struct trust_msg *m,
					const char **why);
/* Wire bytes; returns the length (137 or 138). */
size_t trust_msg_encode(const struct trust_msg *m, uint8_t out[TRUST_MSG_MAX_LEN]);
/* The signed bytes: subject || [reason] || lamport(LE). Returns 40 or 41. */
size_t trust_msg_signed_bytes(const struct trust_msg *m, uint8_t out[41]);
/*
 * Sign with the org key (sets m->org). Refuses (-EINVAL) an alias that is not
 * a valid name and a vouch whose subject is not a valid key or reads as an
 * alias: that keeps the two 40-byte payloads disjoint (docs/trust.md, W-9).
 */
int trust_msg_sign(struct trust_msg *m, const struct trust_identity *org);
/* Signature plus the content rules above: OK, BAD_SIGNATURE or MALFORMED. */
enum trust_reason trust_msg_verify(const struct trust_msg *m, const char **why);
/* The alias text of an alias message (NUL-terminated). */
void trust_msg_alias(const struct trust_msg *m, char out[TRUST_NAME_MAX + 1]);
const char *trust_revoke_reason_str(uint8_t reason);
/* "unspecified" | "key-compromised" | "admin-removed" and upstream spellings. */
int trust_revoke_reason_parse(const char *s, uint8_t *out);

/* ======================================================================
 * 5. The trust store
 * ====================================================================== */

/*
 * Everything a node trusts, loaded from its config directory:
 *   authorized_keys/<name>.pub   peers trusted one by one
 *   trusted_orgs/<name>.org      orgs whose certificates and vouches count
 *   revoked/<hex16>.revoke, vouched/<hex16>.vouch, aliases/<hex16>.alias
 *                                org messages issued on this node (admin)
 *   state/orgmsg/<hex32>.msg     org messages learned from the gossip
 *   state/lamport                the Lamport clock
 * Lookups are hash tables keyed with a random SipHash key: thousands of
 * entries load in milliseconds and a decision costs O(1) lookups.
 */
struct trust_store;

/* Not thread-safe: one thread (the daemon's loop) owns a store. */

/* An empty store without a directory (nothing is persisted); for tests. */
struct trust_store *trust_store_new(void);
/*
 * Load from `config_dir`. Missing directories are empty. Any bad file fails
 * the whole load with "<path>:<line>: <what>" in err (fail closed: a half
 * loaded store could drop a revocation). Files starting with '.' are skipped
 * (they are temporary files of an atomic write). Learned messages under
 * state/ that no longer verify are skipped with a warning instead: they are a
 * cache of the gossip, not configuration.
 */
int trust_store_load(const char *config_dir, struct trust_store **out, char *err, size_t errlen);
/*
 * Re-read the store's directory into a fresh store and swap it in only if
 * that succeeded: on error the old contents stay, untouched. Pointers to
 * the store stay valid. The Lamport clock never goes backwards.
 */
int trust_store_reload(struct trust_store *s, char *err, size_t errlen);
void trust_store_free(struct trust_store *s);
const char *trust_store_dir(const struct trust_store *s); /* NULL for trust_store_new() */

/* Programmatic additions (tests, and the CLI before it writes the file).
 * The name is copied; -EEXIST if the key is already there. */
int trust_store_add_key(struct trust_store *s, const uint8_t key[TRUST_KEY_LEN], const char *name);
int trust_store_add_org(struct trust_store *s, const uint8_t org[TRUST_KEY_LEN], const char *name);

/* Lookups. The returned name lives as long as the store's current contents. */
const char *trust_store_key_name(const struct trust_store *s, const uint8_t key[TRUST_KEY_LEN]);
const char *trust_store_org_name(const struct trust_store *s, const uint8_t org[TRUST_KEY_LEN]);
/* The org whose claim on `alias` wins (earliest Lamport, then smaller key). */
bool trust_store_alias_org(const struct trust_store *s, const char *alias,
			   uint8_t org[TRUST_KEY_LEN]);
/* The org's current alias, if it announced one and holds the name. */
bool trust_store_org_alias(const struct trust_store *s, const uint8_t org[TRUST_KEY_LEN],
			   char out[TRUST_NAME_MAX + 1]);

struct trust_store_counts {
	size_t keys, orgs, revocations, vouches, aliases;
};
void trust_store_counts(const struct trust_store *s, struct trust_store_counts *out);

/* Iterate (in name order) over authorized keys or trusted orgs. */
typedef void (*trust_entry_fn)(void *ctx, const char *name, const uint8_t key[TRUST_KEY_LEN]);
void trust_store_foreach_key(const struct trust_store *s, trust_entry_fn fn, void *ctx);
void trust_store_foreach_org(const struct trust_store *s, trust_entry_fn fn, void *ctx);

/* --- org messages from the gossip -------------------------------------- */

enum trust_msg_result {
	TRUST_MSG_NEW,       /* verified and applied (and persisted under state/) */
	TRUST_MSG_DUPLICATE, /* the same message is already held */
	TRUST_MSG_STALE,     /* a newer message for the same slot is held */
	TRUST_MSG_REJECTED,  /* see reason */
};

struct trust_msg_outcome {
	enum trust_msg_result result;
	enum trust_reason reason;       /* REJECTED: MALFORMED, BAD_SIGNATURE,
					   ORG_NOT_TRUSTED, FINAL_REVOCATION, NO_MEMORY;
					   STALE: STALE */
	struct trust_msg msg;           /* decoded (valid unless MALFORMED) */
	int persist_error;              /* NEW but writing state/ failed: -errno */
};

/*
 * Apply a raw org message (137/138 bytes as received). Only messages signed
 * by a trusted org are applied. Ordering, per slot (org, subject):
 *   - revoke and vouch of the same (org, node) share a slot: the higher
 *     Lamport value wins; on a tie revoke beats vouch, then the larger
 *     message bytes win (any total order makes all nodes converge);
 *   - a revoke with reason key-compromised is final: no vouch replaces it;
 *   - an org has one alias slot: the higher Lamport value renames.
 * Every accepted Lamport value is observed by the clock. Never blocks on
 * anything but the one atomic file write of a NEW message.
 *
 * Revocations: the store does not know which certificates peers hold, so
 * after a NEW revoke or vouch the CALLER re-checks its admitted peers:
 * trust_msg_affects() says which verdicts may have changed (identity and
 * delegated-issuer revocations both), then call trust_decide() again.
 */
void trust_store_apply_msg(struct trust_store *s, const uint8_t *buf, size_t len,
			   struct trust_msg_outcome *out);
/* Every stored org message (canonical 137/138-byte wire form) for gossip and
 * anti-entropy: the winners of each slot, from trusted orgs or issued here. */
typedef void (*trust_msg_fn)(void *ctx, const uint8_t *msg, size_t len);
void trust_store_foreach_msg(const struct trust_store *s, trust_msg_fn fn, void *ctx);
/* Order-independent digest (XOR of BLAKE3 of each message above): two nodes
 * with equal digests hold the same set. */
void trust_store_msg_digest(const struct trust_store *s, uint8_t out[32]);

/* The Lamport clock (state/lamport). observe() raises the clock to a seen
 * value; next() returns max(seen, local) + 1 and writes it to disk (atomic,
 * fsync) BEFORE returning, so a crash never hands out a value twice. */
void trust_store_lamport_observe(struct trust_store *s, uint64_t seen);
uint64_t trust_store_lamport_current(const struct trust_store *s);
int trust_store_lamport_next(struct trust_store *s, uint64_t *out, char *err, size_t errlen);

/* The message held in the slot (org, subject), if any. */
bool trust_store_slot(const struct trust_store *s, const uint8_t org[TRUST_KEY_LEN],
		      const uint8_t subject[TRUST_KEY_LEN], struct trust_msg *out);

/* ======================================================================
 * 6. The trust decision (pure: no I/O, no clock)
 * ====================================================================== */

enum trust_verdict_kind {
	TRUST_DENIED = 0,
	TRUST_AUTHORIZED_KEY, /* authorized_keys/ */
	TRUST_ORG_CERT,       /* a valid certificate from a trusted org */
	TRUST_VOUCH,          /* vouched by a trusted org */
};

struct trust_verdict {
	enum trust_verdict_kind kind;
	enum trust_reason reason;         /* TRUST_R_OK unless DENIED */
	uint8_t identity[TRUST_KEY_LEN];
	uint8_t wg[TRUST_KEY_LEN];        /* the WireGuard key this peer must use */
	bool wg_bound;                    /* wg comes from a v2 certificate */
	bool has_cert;                    /* a certificate was presented and decoded */
	uint8_t cert_version;
	/* The next four describe a VALID certificate (for ORG_CERT, and for an
	 * AUTHORIZED_KEY that also presented one), the failed certificate when
	 * DENIED (for logs), and are cleared when another path admitted the
	 * identity despite a failed certificate. VOUCH: org is the voucher. */
	uint8_t org[TRUST_KEY_LEN];
	uint8_t issuer[TRUST_KEY_LEN];    /* delegated issuer, zero otherwise */
	char name[TRUST_NAME_MAX + 1];    /* authorized_keys name or certificate name */
	int64_t expires_at;               /* certificate expiry, 0 = never (or none) */
};

/*
 * May `identity` be a peer? `cert` (may be NULL/0) is the certificate it
 * presented, `wg` (may be NULL when not known yet) the WireGuard key it
 * claims. First match wins: authorized key, valid certificate from a trusted
 * org, vouch from a trusted org. Revocations are scoped to the revoking org
 * and cancel only that org's certificates and vouches (a revoked delegated
 * issuer cancels its leaves). The WireGuard key must be the identity's
 * converted key unless a valid v2 certificate binds another. When denied,
 * the reason is the most specific one found (a presented certificate's own
 * failure first). Returns out->kind.
 */
enum trust_verdict_kind trust_decide(const struct trust_store *s,
				     const uint8_t identity[TRUST_KEY_LEN], const uint8_t *cert,
				     size_t cert_len, const uint8_t *wg, int64_t now,
				     struct trust_verdict *out);
/*
 * The certificate path alone, for the certificate's own node key: decoded,
 * from a trusted org, signatures, time, revocations. For `cert verify` and
 * for checking this node's own node.cert at start-up. Returns the reason
 * (TRUST_R_OK when valid); `out` gets kind TRUST_ORG_CERT or TRUST_DENIED
 * and the certificate's details.
 */
enum trust_reason trust_check_cert(const struct trust_store *s, const uint8_t *cert,
				   size_t cert_len, int64_t now, struct trust_verdict *out);
/* Did this NEW org message possibly change this verdict? (Same org, and the
 * message's subject is the identity or its delegated issuer; any vouch may
 * admit a denied identity.) */
bool trust_msg_affects(const struct trust_msg *m, const struct trust_verdict *v);
const char *trust_verdict_kind_str(enum trust_verdict_kind k);
/* One line for people: "org certificate 'node-1' (org 1027e0, expires ...)"
 * or "denied: certificate expired". Returns the snprintf-style length. */
int trust_verdict_format(const struct trust_verdict *v, char *buf, size_t len);

/* ======================================================================
 * 7. Time
 * ====================================================================== */

/*
 * Parse an expiry: "never" or "0" (no expiry), a duration from `now`
 * ("90d", "12h", "30m", "45s", "2w", "1y" = 365 days), unix seconds
 * ("1900000000"), a date "YYYY-MM-DD" (00:00 UTC) or "YYYY-MM-DDTHH:MM[:SS][Z]"
 * (UTC). Returns 0 and *out (0 = never), or -EINVAL for anything else,
 * -ERANGE on overflow. Never turns garbage into "never".
 */
int trust_parse_time(const char *s, int64_t now, int64_t *out);
/* "2030-03-17 17:46:40 UTC" (or "never" for 0). */
void trust_format_time(int64_t t, char out[32]);

#endif
