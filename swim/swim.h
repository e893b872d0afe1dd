/* SPDX-License-Identifier: MIT */
/*
 * swim/: membership for the mesh. SWIM failure detection with the Lifeguard
 * extensions, infection-style dissemination, push/pull anti-entropy, and an
 * authenticated, encrypted gossip envelope on the shared UDP port.
 *
 * The module does no I/O: it owns no socket, reads no clock and touches no
 * file. The caller hands it received datagrams and the time, and it answers
 * through the callbacks in `struct swim_ops`. The wire format and the threat
 * model are in docs/protocol-swim.md.
 *
 * Threading: one instance is used from one thread. Callbacks are invoked
 * synchronously from swim_receive(), swim_tick() and the other entry points;
 * a callback must not call back into the same instance except for the
 * read-only getters (swim_member_*, swim_get_stats).
 *
 * Time: `now_ns` is a monotonic clock in nanoseconds (timers); `now_unix` is
 * wall-clock unix seconds, used only for certificate validity (passed to the
 * admit callback), record timestamps and tombstone expiry.
 */
#ifndef MG_SWIM_H
#define MG_SWIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	SWIM_KEY_LEN = 32,        /* Ed25519 identity public key, X25519 key */
	SWIM_SECRET_LEN = 64,     /* Ed25519 secret key: seed(32) || public key(32) */
	/*
	 * First byte of every gossip datagram. The daemon's demultiplexer hands
	 * every datagram starting with this byte to swim_receive(). It is none
	 * of WireGuard's 0x01..0x04, none of upstream meshguard's cleartext tags
	 * (0x01-0x03, 0x31-0x34, 0x41-0x43, 0x50, 'M') and not a STUN first byte.
	 */
	SWIM_ENVELOPE = 0xC5,
	SWIM_MAX_ENDPOINTS = 16,  /* endpoints in one signed record (wire limit) */
	SWIM_MAX_CERT = 1024,     /* certificate bytes carried in a record */
	SWIM_MAX_ORG_MSG = 512,   /* bytes of one org message */
	SWIM_NAME_LEN = 32,       /* display name, without terminator */
	SWIM_PATH_LEN = 96,       /* trust path / reason text, with terminator */
};

/* A UDP endpoint. family 0 = none, 4 = IPv4 (addr[0..4]), 6 = IPv6. Port in host order. */
struct swim_endpoint {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

/* Parse "a.b.c.d:port" or "[v6]:port". 0, or -EINVAL. */
int swim_endpoint_parse(const char *text, struct swim_endpoint *out);
/* Format as above into buf (at least 48 bytes). Returns buf. */
const char *swim_endpoint_format(const struct swim_endpoint *ep, char *buf, size_t cap);
bool swim_endpoint_equal(const struct swim_endpoint *a, const struct swim_endpoint *b);

/*
 * Parse a seed: "ip:port", "[v6]:port", or "<base64 identity key>@ip:port"
 * (the second form lets the first packet be encrypted). *has_pk tells which.
 * 0, or -EINVAL with a message in err.
 */
int swim_seed_parse(const char *text, struct swim_endpoint *addr, uint8_t pk[SWIM_KEY_LEN],
		    bool *has_pk, char *err, size_t errlen);

enum swim_state {
	SWIM_ALIVE = 0,
	SWIM_SUSPECT = 1,
	SWIM_DEAD = 2,
	SWIM_LEFT = 3,
};
const char *swim_state_name(enum swim_state st);

/* What the admit callback answers. */
struct swim_verdict {
	bool allowed;
	/* How the member is trusted ("authorized_keys/alice.pub", "org acme cert"),
	 * or why not ("revoked by org acme"). For status and logs. */
	char trust_path[SWIM_PATH_LEN];
	/* Display name if the trust layer knows one (from the certificate), else "". */
	char name[SWIM_NAME_LEN + 1];
};

enum swim_org_result {
	SWIM_ORG_NEW = 0,        /* verified, new: applied; SWIM spreads it */
	SWIM_ORG_DUPLICATE = 1,  /* already known */
	SWIM_ORG_STALE = 2,      /* valid but superseded (older Lamport value) */
	SWIM_ORG_REJECTED = 3,   /* malformed, bad signature or untrusted org: dropped */
};

/* A member as SWIM sees it. Pointers are valid only during the call that produced it. */
struct swim_member_info {
	uint8_t identity[SWIM_KEY_LEN];
	uint8_t wg_key[SWIM_KEY_LEN];      /* WireGuard public key from its signed record */
	enum swim_state state;
	uint64_t incarnation;
	/* Where we last heard it from (an authenticated packet), else its first signed endpoint. */
	struct swim_endpoint addr;
	const struct swim_endpoint *endpoints; /* signed by the member */
	size_t n_endpoints;
	const uint8_t *cert;                /* opaque, NULL if none */
	size_t cert_len;
	const char *name;                   /* "" if unknown */
	const char *trust_path;
	uint64_t state_since_ns;            /* monotonic time of the last state change */
};

enum swim_event_type {
	SWIM_EV_JOINED = 1,        /* alive and new to us, or back after dead/left: configure it */
	SWIM_EV_UPDATED = 2,       /* endpoints, WireGuard key or certificate changed (see `changed`) */
	SWIM_EV_SUSPECT = 3,       /* suspected of failure; still a member: keep its peer */
	SWIM_EV_ALIVE = 4,         /* a suspicion was refuted (nothing to reconfigure) */
	SWIM_EV_DEAD = 5,          /* declared dead */
	SWIM_EV_LEFT = 6,          /* left gracefully */
	SWIM_EV_REMOVED_TRUST = 7, /* no longer passes the trust check: removed */
};
const char *swim_event_name(enum swim_event_type t);

enum swim_change {
	SWIM_CHANGED_ENDPOINTS = 1u << 0,
	SWIM_CHANGED_WG_KEY = 1u << 1,
	SWIM_CHANGED_CERT = 1u << 2,
};

struct swim_event {
	enum swim_event_type type;
	uint32_t changed; /* SWIM_CHANGED_* for SWIM_EV_UPDATED */
	const struct swim_member_info *member;
};

struct swim_ops {
	/* Send one datagram (it always starts with SWIM_ENVELOPE). Best effort. */
	void (*send)(void *ctx, const struct swim_endpoint *to, const uint8_t *buf, size_t len);
	/* Cryptographically secure random bytes (the daemon: randombytes_buf). */
	void (*random)(void *ctx, void *buf, size_t len);
	/*
	 * The trust decision for a member: its identity, its certificate (NULL
	 * if none), the WireGuard key its signed record announces, and the wall
	 * clock. Fill `out`; out->allowed false keeps it (and its packets) out.
	 * Called for every new or changed record and on swim_recheck_trust().
	 */
	void (*admit)(void *ctx, const uint8_t identity[SWIM_KEY_LEN], const uint8_t *cert,
		      size_t cert_len, const uint8_t wg_key[SWIM_KEY_LEN], int64_t now_unix,
		      struct swim_verdict *out);
	/* An org message (0x41 alias, 0x42 revoke, 0x43 vouch) received by gossip. */
	enum swim_org_result (*org_message)(void *ctx, const uint8_t *msg, size_t len,
					    int64_t now_unix);
	/* Membership events for the daemon (may be NULL). */
	void (*event)(void *ctx, const struct swim_event *ev);
};

/*
 * Every parameter. Fill with swim_config_lan() or swim_config_wan(), then
 * adjust. Durations in nanoseconds unless the name says otherwise.
 */
struct swim_config {
	/* Failure detection (SWIM + Lifeguard). */
	uint64_t probe_interval_ns;      /* one probe per period, scaled by local health */
	uint64_t probe_timeout_ns;       /* direct ack wait before indirect probes */
	uint32_t indirect_checks;        /* k helpers for ping-req (0..8) */
	uint32_t awareness_max;          /* Lifeguard local health multiplier bound */
	double suspicion_mult;           /* min suspicion = max(2, mult * log10 N) * probe_interval */
	double suspicion_max_mult;       /* max suspicion = this * min */
	uint32_t suspicion_k;            /* confirmations that shrink the timeout to min */
	/* Dissemination. */
	uint64_t gossip_interval_ns;     /* dedicated gossip tick */
	uint32_t gossip_nodes;           /* random members per gossip tick (1..16) */
	uint64_t gossip_to_dead_ns;      /* keep gossiping to members dead for less than this */
	uint32_t retransmit_mult;        /* each broadcast sent mult * ceil(log10(N+1)) times */
	size_t max_datagram;             /* bytes of one gossip datagram (path MTU budget) */
	/* Anti-entropy. */
	uint64_t push_pull_interval_ns;  /* scaled up with log2(N) beyond 32 members */
	uint32_t push_pull_max_datagrams;/* bound on one push/pull answer */
	/* Membership lifetime. */
	uint64_t reconnect_interval_ns;  /* ping one random dead member this often */
	int64_t tombstone_s;             /* dead/left entries kept this long (signed unix times) */
	uint64_t claim_inc_slack;        /* accept suspect/dead claims up to inc + slack */
	uint64_t seed_retry_min_ns;      /* seed/cache contact backoff while alone */
	uint64_t seed_retry_max_ns;
	uint64_t trust_recheck_interval_ns; /* re-run admit on all members (expiring certs) */
	uint64_t leave_linger_ns;        /* keep gossiping this long after swim_leave() */
	/* Limits: all configurable, all logged when hit; none fails open. */
	size_t max_members;              /* members + tombstones; beyond: new members refused */
	size_t max_org_messages;         /* stored for anti-entropy; beyond: applied, not stored */
	size_t max_queue;                /* pending broadcasts; beyond: the most-sent are dropped */
	size_t max_relays;               /* ping-req relayed for others at once */
	size_t max_rate_sources;         /* per-source rate-limit table */
	uint32_t unknown_rate_per_s;     /* handshakes from one source address */
	uint32_t unknown_burst;
	uint32_t init_rate_per_s;        /* handshakes processed per second, all sources */
	bool answer_hello;               /* answer address-only joiners with our identity key */
};

void swim_config_lan(struct swim_config *c);
void swim_config_wan(struct swim_config *c);

/* This node. Everything is copied; the secret is wiped by swim_destroy(). */
struct swim_self {
	const uint8_t *secret;            /* SWIM_SECRET_LEN Ed25519 secret (seed || pk) */
	uint8_t wg_key[SWIM_KEY_LEN];     /* WireGuard public key to announce */
	const uint8_t *cert;              /* NULL or the node certificate (opaque) */
	size_t cert_len;
	const struct swim_endpoint *endpoints; /* addresses others should use (may be 0) */
	size_t n_endpoints;
};

struct swim;

/* 0, or -EINVAL (bad config or self), -ENOMEM. */
int swim_create(struct swim **out, const struct swim_config *cfg, const struct swim_self *self,
		const struct swim_ops *ops, void *ctx, uint64_t now_ns, int64_t now_unix);
void swim_destroy(struct swim *s);

/* Own identity public key. */
const uint8_t *swim_identity(const struct swim *s);
uint64_t swim_incarnation(const struct swim *s);

/*
 * Seeds: contacted at the first tick and again (with backoff) whenever no
 * other member is alive. pk may be NULL (join by address: a hello exchange
 * learns the key first). 0 or -ENOMEM.
 */
int swim_add_seed(struct swim *s, const struct swim_endpoint *addr, const uint8_t *pk);

/* A datagram that arrived on the shared port and starts with SWIM_ENVELOPE. */
void swim_receive(struct swim *s, const struct swim_endpoint *from, const uint8_t *buf, size_t len,
		  uint64_t now_ns, int64_t now_unix);

/* Run due timers; returns the monotonic time at which to call again. */
uint64_t swim_tick(struct swim *s, uint64_t now_ns, int64_t now_unix);

/* Change what this node announces: a new signed record is spread. 0 or -EINVAL. */
int swim_set_endpoints(struct swim *s, const struct swim_endpoint *eps, size_t n, uint64_t now_ns,
		       int64_t now_unix);
int swim_set_cert(struct swim *s, const uint8_t *cert, size_t len, uint64_t now_ns,
		  int64_t now_unix);
int swim_set_wg_key(struct swim *s, const uint8_t wg_key[SWIM_KEY_LEN], uint64_t now_ns,
		    int64_t now_unix);

/*
 * Spread a local org message (loaded from the config or state directory at
 * start, or just created by org-revoke). The trust layer has already applied
 * it; SWIM stores it for anti-entropy and gossips it. 0, -EINVAL (length),
 * -ENOSPC (max_org_messages reached: logged, not stored).
 */
int swim_publish_org_message(struct swim *s, const uint8_t *msg, size_t len, uint64_t now_ns,
			     int64_t now_unix);

/*
 * Re-run the admit callback for every member (after a revocation, a change
 * of authorized_keys or trusted orgs); members that no longer pass are
 * removed with SWIM_EV_REMOVED_TRUST. SWIM calls this itself after each new
 * org message and every trust_recheck_interval.
 */
void swim_recheck_trust(struct swim *s, uint64_t now_ns, int64_t now_unix);

/*
 * Graceful leave: a signed "left" record is gossiped. Keep calling
 * swim_tick() until the returned monotonic time, then destroy.
 */
uint64_t swim_leave(struct swim *s, uint64_t now_ns, int64_t now_unix);

/* Members (not counting this node), including dead and left tombstones. */
size_t swim_member_count(const struct swim *s);
/* Addresses this node will try to reach (seeds, and members loaded from the cache
 * until they answer). */
size_t swim_contact_count(const struct swim *s);
/* Count of members in one state. */
size_t swim_member_count_state(const struct swim *s, enum swim_state st);
/* Visit every member; stop early if fn returns false. */
void swim_member_foreach(const struct swim *s,
			 bool (*fn)(void *arg, const struct swim_member_info *m), void *arg);
/* Look one up. 0, or -ENOENT. `endpoints` points into a per-call buffer of the caller's. */
int swim_member_get(const struct swim *s, const uint8_t identity[SWIM_KEY_LEN],
		    struct swim_member_info *out, struct swim_endpoint eps[SWIM_MAX_ENDPOINTS]);

struct swim_stats {
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
	/* Drops, by reason. */
	uint64_t rx_malformed;     /* bad envelope, length, frame or record encoding */
	uint64_t rx_bad_mac;       /* handshake mac1 did not verify (cheap rejection) */
	uint64_t rx_unknown_pair;  /* data packet for a session we do not have */
	uint64_t rx_replay;        /* counter already seen / handshake not newer */
	uint64_t rx_auth_fail;     /* AEAD or signature did not verify */
	uint64_t rx_untrusted;     /* sender or record subject failed the trust check */
	uint64_t rx_rate_limited;  /* per-source or global handshake budget */
	uint64_t rx_stale;         /* older record or claim than the one we hold */
	/* Limits hit (each also logged). */
	uint64_t limit_members, limit_queue, limit_org, limit_relays, limit_rate_table;
	uint64_t tx_capped;        /* answers to a stranger's first handshake cut by its size */
	/* Protocol activity. */
	uint64_t probes, probe_failures, indirect_probes, nacks_received;
	uint64_t suspicions, refutations, deaths_declared, handshakes_sent, handshakes_received;
	uint64_t push_pulls, org_new, org_rejected;
	uint32_t awareness;         /* current Lifeguard local health score */
	uint32_t queue_len;
	uint32_t org_stored;
};
void swim_get_stats(const struct swim *s, struct swim_stats *out);

/*
 * Member cache (persistence). swim_cache_save() serializes this node's
 * incarnation and every member's signed record and last address into a
 * malloc'd buffer (free it with free()); the daemon writes it with
 * mg_write_file_atomic(). swim_cache_load() restores it into a fresh
 * instance: the incarnation floor (so a restart is always newer) and the
 * cached members as contacts to try when no seed answers. Records are
 * re-verified (signature, trust). 0, or -EINVAL with a message in err
 * (what is wrong, at which offset), -ENOMEM.
 */
int swim_cache_save(const struct swim *s, uint8_t **buf, size_t *len);
int swim_cache_load(struct swim *s, const uint8_t *buf, size_t len, uint64_t now_ns,
		    int64_t now_unix, char *err, size_t errlen);

#endif
