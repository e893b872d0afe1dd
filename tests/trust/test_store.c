/* SPDX-License-Identifier: MIT */
/*
 * The trust store: loading a config directory (strict, with file and line
 * in errors), atomic reload, org messages from the gossip with their
 * Lamport order, persistence under state/, the Lamport clock, aliases, and
 * thousands of entries.
 */
#include "fixtures.h"

#include "store.h"

#include <time.h>

static char keytext[45];

static const char *text_of(const uint8_t key[32])
{
	trust_key_to_text(key, keytext);
	return keytext;
}

static void put_key(const char *dir, const char *rel, const uint8_t key[32])
{
	char line[64];

	snprintf(line, sizeof(line), "%s\n", text_of(key));
	put_text(dir, rel, line);
}

static void put_msg(const char *dir, const char *rel, const uint8_t *wire, size_t len)
{
	put_file(dir, rel, wire, len, 0644);
}

static struct trust_store *load_ok(const char *dir)
{
	char err[TRUST_ERR_LEN + PATH_MAX];
	struct trust_store *s = NULL;

	if (trust_store_load(dir, &s, err, sizeof(err)) != 0)
		fail_msg("load failed: %s", err);
	return s;
}

/* Load must fail with an error mentioning `want`. */
static void load_fails(const char *dir, const char *want)
{
	char err[TRUST_ERR_LEN + PATH_MAX];
	struct trust_store *s = NULL;

	if (trust_store_load(dir, &s, err, sizeof(err)) == 0)
		fail_msg("load succeeded, expected an error about '%s'", want);
	if (!strstr(err, want))
		fail_msg("error '%s' does not mention '%s'", err, want);
	assert_null(s);
}

struct collected {
	char names[8][33];
	int n;
};

static void collect_name(void *ctx, const char *name, const uint8_t key[32])
{
	struct collected *c = ctx;

	(void)key;
	if (c->n < 8)
		snprintf(c->names[c->n++], 33, "%s", name);
}

static void test_load_dirs(void **state)
{
	struct trust_identity a = fx_key(1), b = fx_key(2), org = fx_key(3);
	char *dir = tmpdir_new(), line[128];
	struct trust_store_counts n;
	struct collected c = { 0 };
	struct trust_store *s;

	(void)state;
	put_key(dir, "authorized_keys/bob.pub", b.public_key);
	snprintf(line, sizeof(line), "# alice's laptop\n\n%s\n", text_of(a.public_key));
	put_text(dir, "authorized_keys/alice.pub", line);
	put_key(dir, "authorized_keys/.alice.pub.tmpXYZ", org.public_key); /* temp file: skipped */
	put_text(dir, "authorized_keys/README", "not a key\n");            /* other names: ignored */
	put_key(dir, "trusted_orgs/acme.org", org.public_key);
	s = load_ok(dir);
	trust_store_counts(s, &n);
	assert_int_equal(n.keys, 2);
	assert_int_equal(n.orgs, 1);
	assert_string_equal(trust_store_key_name(s, a.public_key), "alice");
	assert_string_equal(trust_store_key_name(s, b.public_key), "bob");
	assert_null(trust_store_key_name(s, org.public_key));
	assert_string_equal(trust_store_org_name(s, org.public_key), "acme");
	trust_store_foreach_key(s, collect_name, &c);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.names[0], "alice");
	assert_string_equal(c.names[1], "bob");
	trust_store_free(s);
	tmpdir_remove(dir);
}

/* A directory holding just dir/rel = data must fail to load with `want`. */
static void one_bad_file(const char *rel, const void *data, size_t len, const char *want)
{
	char *dir = tmpdir_new();

	put_file(dir, rel, data, len, 0600);
	load_fails(dir, want);
	tmpdir_remove(dir);
}

/* Each bad file fails the load, naming the file (and line). */
static void test_bad_files(void **state)
{
	struct trust_identity a = fx_key(1), org = fx_key(3), other = fx_key(4);
	uint8_t wire[TRUST_MSG_MAX_LEN];
	char text[200];
	size_t len;

	(void)state;
	snprintf(text, sizeof(text), "# c\n\n%.43s\n", text_of(a.public_key));
	one_bad_file("authorized_keys/alice.pub", text, strlen(text),
		     "authorized_keys/alice.pub:3: wrong length");
	snprintf(text, sizeof(text), "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
	one_bad_file("authorized_keys/alice.pub", text, strlen(text), "alice.pub:1: small-order key");
	snprintf(text, sizeof(text), "%s\n", text_of(org.public_key));
	one_bad_file("trusted_orgs/bad name.org", text, strlen(text), "bad name.org: bad file name");
	one_bad_file("trusted_orgs/empty.org", "", 0, "empty.org: no key in the file");
	one_bad_file("state/lamport", "12x\n", 4, "state/lamport:1: not a number");
	/* a revocation whose signature does not verify */
	len = fx_msg(wire, &org, TRUST_MSG_REVOKE, a.public_key, 2, 5);
	wire[len - 1] ^= 1;
	one_bad_file("revoked/x.revoke", wire, len, "revoked/x.revoke: bad signature");
	/* a vouch in revoked/, a truncated alias */
	len = fx_msg(wire, &org, TRUST_MSG_VOUCH, a.public_key, 0, 5);
	one_bad_file("revoked/x.revoke", wire, len, "wrong message type");
	len = fx_msg(wire, &org, TRUST_MSG_ALIAS, "acme", 0, 5);
	one_bad_file("aliases/x.alias", wire, len - 1, "aliases/x.alias: wrong size");
	{
		/* Learned state is lenient: a corrupt cache file is skipped. */
		char *dir = tmpdir_new();
		struct trust_store *s;
		struct trust_store_counts n;

		put_key(dir, "trusted_orgs/o.org", org.public_key);
		len = fx_msg(wire, &other, TRUST_MSG_VOUCH, a.public_key, 0, 5);
		wire[70] ^= 1;
		put_msg(dir, "state/orgmsg/junk.msg", wire, len);
		len = fx_msg(wire, &org, TRUST_MSG_VOUCH, a.public_key, 0, 6);
		put_msg(dir, "state/orgmsg/good.msg", wire, len);
		s = load_ok(dir);
		trust_store_counts(s, &n);
		assert_int_equal(n.vouches, 1);
		trust_store_free(s);
		tmpdir_remove(dir);
	}
}

/* A failed reload keeps everything; a good one swaps. */
static void test_atomic_reload(void **state)
{
	struct trust_identity a = fx_key(1), b = fx_key(2);
	char *dir = tmpdir_new(), err[TRUST_ERR_LEN + PATH_MAX];
	struct trust_store *s;

	(void)state;
	put_key(dir, "authorized_keys/alice.pub", a.public_key);
	s = load_ok(dir);
	put_key(dir, "authorized_keys/bob.pub", b.public_key);
	put_text(dir, "authorized_keys/zed.pub", "garbage\n");
	assert_int_not_equal(trust_store_reload(s, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "zed.pub:1"));
	assert_string_equal(trust_store_key_name(s, a.public_key), "alice");
	assert_null(trust_store_key_name(s, b.public_key));
	unlink(strcat(strcpy(err, dir), "/authorized_keys/zed.pub"));
	assert_int_equal(trust_store_reload(s, err, sizeof(err)), 0);
	assert_string_equal(trust_store_key_name(s, b.public_key), "bob");
	trust_store_free(s);
	tmpdir_remove(dir);
}

static void apply(struct trust_store *s, const uint8_t *wire, size_t len,
		  enum trust_msg_result want_result, enum trust_reason want_reason)
{
	struct trust_msg_outcome o;

	trust_store_apply_msg(s, wire, len, &o);
	if (o.result != want_result || o.reason != want_reason)
		fail_msg("apply: got result %d reason '%s', want %d '%s'", o.result,
			 trust_reason_str(o.reason), want_result, trust_reason_str(want_reason));
	assert_int_equal(o.persist_error, 0);
}

static void test_apply_ordering(void **state)
{
	struct trust_identity org = fx_key(3), stranger = fx_key(4), node = fx_key(5);
	uint8_t v5[TRUST_MSG_MAX_LEN], r5[TRUST_MSG_MAX_LEN], v9[TRUST_MSG_MAX_LEN];
	uint8_t kc3[TRUST_MSG_MAX_LEN], v20[TRUST_MSG_MAX_LEN], junk[TRUST_MSG_MAX_LEN];
	struct trust_store *s = trust_store_new();
	struct trust_msg held;
	size_t lv5, lr5, lv9, lkc, lv20, lj;

	(void)state;
	assert_int_equal(trust_store_add_org(s, org.public_key, "acme"), 0);
	lv5 = fx_msg(v5, &org, TRUST_MSG_VOUCH, node.public_key, 0, 5);
	lr5 = fx_msg(r5, &org, TRUST_MSG_REVOKE, node.public_key, 2, 5);
	lv9 = fx_msg(v9, &org, TRUST_MSG_VOUCH, node.public_key, 0, 9);
	lkc = fx_msg(kc3, &org, TRUST_MSG_REVOKE, node.public_key, TRUST_REVOKE_KEY_COMPROMISED, 3);
	lv20 = fx_msg(v20, &org, TRUST_MSG_VOUCH, node.public_key, 0, 20);

	apply(s, v5, lv5, TRUST_MSG_NEW, TRUST_R_OK);
	apply(s, v5, lv5, TRUST_MSG_DUPLICATE, TRUST_R_OK);
	apply(s, r5, lr5, TRUST_MSG_NEW, TRUST_R_OK); /* tie: revoke beats vouch */
	apply(s, v5, lv5, TRUST_MSG_STALE, TRUST_R_STALE);
	apply(s, v9, lv9, TRUST_MSG_NEW, TRUST_R_OK); /* later vouch reinstates */
	apply(s, r5, lr5, TRUST_MSG_STALE, TRUST_R_STALE);
	assert_int_equal(trust_store_lamport_current(s), 9);
	/* key-compromised is final, whatever its Lamport value */
	apply(s, kc3, lkc, TRUST_MSG_NEW, TRUST_R_OK);
	apply(s, v20, lv20, TRUST_MSG_REJECTED, TRUST_R_FINAL_REVOCATION);
	assert_true(trust_store_slot(s, org.public_key, node.public_key, &held));
	assert_int_equal(held.type, TRUST_MSG_REVOKE);
	/* untrusted org, bad signature, garbage */
	lj = fx_msg(junk, &stranger, TRUST_MSG_VOUCH, node.public_key, 0, 50);
	apply(s, junk, lj, TRUST_MSG_REJECTED, TRUST_R_ORG_NOT_TRUSTED);
	lj = fx_msg(junk, &org, TRUST_MSG_VOUCH, stranger.public_key, 0, 50);
	junk[lj - 5] ^= 1;
	apply(s, junk, lj, TRUST_MSG_REJECTED, TRUST_R_BAD_SIGNATURE);
	apply(s, junk, 10, TRUST_MSG_REJECTED, TRUST_R_MALFORMED);
	assert_int_equal(trust_store_lamport_current(s), 9); /* rejected ones are not observed */
	trust_store_free(s);
}

/* Apply a set of messages in many orders: every store ends the same. */
static void test_convergence(void **state)
{
	struct trust_identity org = fx_key(3), n1 = fx_key(5), n2 = fx_key(6);
	uint8_t msgs[8][TRUST_MSG_MAX_LEN], ref[32], got[32];
	size_t lens[8], order[8], count = 0;

	(void)state;
	lens[count] = fx_msg(msgs[count], &org, TRUST_MSG_VOUCH, n1.public_key, 0, 4), count++;
	lens[count] = fx_msg(msgs[count], &org, TRUST_MSG_REVOKE, n1.public_key, 0, 4), count++;
	lens[count] = fx_msg(msgs[count], &org, TRUST_MSG_REVOKE, n1.public_key, 2, 4), count++;
	lens[count] = fx_msg(msgs[count], &org, TRUST_MSG_VOUCH, n2.public_key, 0, 7), count++;
	lens[count] = fx_msg(msgs[count], &org, TRUST_MSG_REVOKE, n2.public_key, 1, 2), count++;
	lens[count] = fx_msg(msgs[count], &org, TRUST_MSG_VOUCH, n2.public_key, 0, 9), count++;
	lens[count] = fx_msg(msgs[count], &org, TRUST_MSG_ALIAS, "acme", 0, 3), count++;
	lens[count] = fx_msg(msgs[count], &org, TRUST_MSG_ALIAS, "acme-2", 0, 8), count++;
	for (int round = 0; round < 200; round++) {
		struct trust_store *s = trust_store_new();
		struct trust_msg_outcome o;

		trust_store_add_org(s, org.public_key, "acme");
		for (size_t i = 0; i < count; i++)
			order[i] = i;
		for (size_t i = count - 1; i > 0; i--) { /* Fisher-Yates with libsodium's RNG */
			size_t j = randombytes_uniform((uint32_t)(i + 1)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (size_t i = 0; i < count; i++)
			trust_store_apply_msg(s, msgs[order[i]], lens[order[i]], &o);
		trust_store_msg_digest(s, round == 0 ? ref : got);
		if (round > 0)
			assert_memory_equal(ref, got, 32);
		trust_store_free(s);
	}
}

struct msg_list {
	int n;
	size_t lens[16];
};

static void count_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct msg_list *l = ctx;

	(void)msg;
	if (l->n < 16)
		l->lens[l->n] = len;
	l->n++;
}

/* Learned messages are saved under state/ and come back on reload;
 * issued ones are spread even without trusting their org. */
static void test_persist_and_enumerate(void **state)
{
	struct trust_identity org = fx_key(3), other = fx_key(8), node = fx_key(5);
	char *dir = tmpdir_new(), err[TRUST_ERR_LEN + PATH_MAX];
	uint8_t wire[TRUST_MSG_MAX_LEN];
	struct msg_list l = { 0 };
	struct trust_msg_outcome o;
	struct trust_store *s;
	size_t len;

	(void)state;
	put_key(dir, "trusted_orgs/acme.org", org.public_key);
	len = fx_msg(wire, &other, TRUST_MSG_REVOKE, node.public_key, 2, 40);
	put_msg(dir, "revoked/issued.revoke", wire, len); /* our own org, not trusted by us */
	s = load_ok(dir);
	assert_int_equal(trust_store_lamport_current(s), 40);
	len = fx_msg(wire, &org, TRUST_MSG_VOUCH, node.public_key, 0, 11);
	trust_store_apply_msg(s, wire, len, &o);
	assert_int_equal(o.result, TRUST_MSG_NEW);
	assert_int_equal(hidden_files(dir, "state/orgmsg"), 0);
	trust_store_foreach_msg(s, count_msg, &l);
	assert_int_equal(l.n, 2);
	trust_store_free(s);

	s = load_ok(dir);
	l.n = 0;
	trust_store_foreach_msg(s, count_msg, &l);
	assert_int_equal(l.n, 2);
	assert_true(trust_store_slot(s, org.public_key, node.public_key, NULL));
	/* Untrust the org: its learned message stays on disk but is no longer spread. */
	snprintf(err, sizeof(err), "%s/trusted_orgs/acme.org", dir);
	unlink(err);
	assert_int_equal(trust_store_reload(s, err, sizeof(err)), 0);
	l.n = 0;
	trust_store_foreach_msg(s, count_msg, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.lens[0], TRUST_MSG_REVOKE_LEN);
	trust_store_free(s);
	tmpdir_remove(dir);
}

static void test_lamport_clock(void **state)
{
	struct trust_identity org = fx_key(3), node = fx_key(5);
	char *dir = tmpdir_new(), err[TRUST_ERR_LEN + PATH_MAX], path[PATH_MAX], text[32];
	uint8_t wire[TRUST_MSG_MAX_LEN];
	struct trust_store *s;
	uint64_t v;
	size_t len;

	(void)state;
	s = load_ok(dir);
	assert_int_equal(trust_store_lamport_next(s, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1);
	assert_int_equal(trust_store_lamport_next(s, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 2);
	trust_store_lamport_observe(s, 100);
	trust_store_lamport_observe(s, 50);
	assert_int_equal(trust_store_lamport_next(s, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 101);
	/* persisted before use */
	snprintf(path, sizeof(path), "%s/state/lamport", dir);
	assert_int_equal(mg_read_file(path, text, sizeof(text), &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(text, "101\n", 4);
	trust_store_free(s);
	/* a restart resumes above the file and above every stored message */
	len = fx_msg(wire, &org, TRUST_MSG_VOUCH, node.public_key, 0, 500);
	put_msg(dir, "vouched/x.vouch", wire, len);
	s = load_ok(dir);
	assert_int_equal(trust_store_lamport_next(s, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 501);
	/* exhaustion is an error, not a wrap-around */
	trust_store_lamport_observe(s, (UINT64_C(1) << 62) - 1);
	assert_int_equal(trust_store_lamport_next(s, &v, err, sizeof(err)), -EOVERFLOW);
	assert_int_equal(hidden_files(dir, "state"), 0);
	trust_store_free(s);
	tmpdir_remove(dir);
}

static void test_aliases(void **state)
{
	struct trust_identity o1 = fx_key(3), o2 = fx_key(4), o3 = fx_key(6);
	struct trust_store *s = trust_store_new();
	uint8_t wire[TRUST_MSG_MAX_LEN], who[32];
	const struct trust_identity *lo, *hi;
	char alias[TRUST_NAME_MAX + 1];
	size_t len;

	(void)state;
	trust_store_add_org(s, o1.public_key, "o1");
	trust_store_add_org(s, o2.public_key, "o2");
	trust_store_add_org(s, o3.public_key, "o3");
	len = fx_msg(wire, &o2, TRUST_MSG_ALIAS, "acme", 0, 10);
	apply(s, wire, len, TRUST_MSG_NEW, TRUST_R_OK);
	len = fx_msg(wire, &o1, TRUST_MSG_ALIAS, "acme", 0, 20);
	apply(s, wire, len, TRUST_MSG_NEW, TRUST_R_OK);
	/* earliest claim wins */
	assert_true(trust_store_alias_org(s, "acme", who));
	assert_memory_equal(who, o2.public_key, 32);
	assert_true(trust_store_org_alias(s, o2.public_key, alias));
	assert_string_equal(alias, "acme");
	assert_false(trust_store_org_alias(s, o1.public_key, alias));
	/* o2 renames (higher Lamport): o1 now holds "acme" */
	len = fx_msg(wire, &o2, TRUST_MSG_ALIAS, "acme-old", 0, 30);
	apply(s, wire, len, TRUST_MSG_NEW, TRUST_R_OK);
	assert_true(trust_store_alias_org(s, "acme", who));
	assert_memory_equal(who, o1.public_key, 32);
	/* an old announcement cannot roll the rename back */
	len = fx_msg(wire, &o2, TRUST_MSG_ALIAS, "acme", 0, 10);
	apply(s, wire, len, TRUST_MSG_STALE, TRUST_R_STALE);
	/* a tie on Lamport: the smaller org key wins, on every node */
	len = fx_msg(wire, &o3, TRUST_MSG_ALIAS, "acme", 0, 20);
	apply(s, wire, len, TRUST_MSG_NEW, TRUST_R_OK);
	lo = memcmp(o1.public_key, o3.public_key, 32) < 0 ? &o1 : &o3;
	hi = lo == &o1 ? &o3 : &o1;
	assert_true(trust_store_alias_org(s, "acme", who));
	assert_memory_equal(who, lo->public_key, 32);
	assert_false(trust_store_org_alias(s, hi->public_key, alias));
	assert_false(trust_store_alias_org(s, "nobody", who));
	trust_store_free(s);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* No small fixed caps: thousands of keys, orgs and messages, loaded fast,
 * and decisions that stay cheap however large the store is. */
static void test_thousands(void **state)
{
	enum { KEYS = 5000, ORGS = 500, MSGS = 2000 };
	/* Timings are printed, never asserted (no timed unit tests): the load is
	 * linear and bound by the public-key checks, about 40 us per key (the
	 * prime-order subgroup check) and 90 us per message with its signature,
	 * about 0.5 s here (docs/trust.md). */
	struct timespec t0;
	double load_s, decide_s;
	struct trust_identity org = fx_key(3);
	char *dir = tmpdir_new(), rel[64];
	uint8_t wire[TRUST_MSG_MAX_LEN];
	struct trust_store_counts n;
	struct trust_store *s;
	uint8_t seed[32] = { 0 };

	(void)state;
	for (uint32_t i = 0; i < KEYS + ORGS + MSGS; i++) {
		struct trust_identity k;

		mg_store_le32(seed, i + 1000);
		trust_identity_from_seed(seed, &k);
		if (i < KEYS) {
			snprintf(rel, sizeof(rel), "authorized_keys/peer%u.pub", i);
			put_key(dir, rel, k.public_key);
		} else if (i < KEYS + ORGS) {
			snprintf(rel, sizeof(rel), "trusted_orgs/org%u.org", i);
			put_key(dir, rel, k.public_key);
		} else {
			size_t len = fx_msg(wire, &org, TRUST_MSG_REVOKE, k.public_key, 2, i);
			snprintf(rel, sizeof(rel), "revoked/r%u.revoke", i);
			put_msg(dir, rel, wire, len);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = load_ok(dir);
	load_s = seconds_since(&t0);
	trust_store_counts(s, &n);
	assert_int_equal(n.keys, KEYS);
	assert_int_equal(n.orgs, ORGS);
	assert_int_equal(n.revocations, MSGS);
	mg_store_le32(seed, 1000 + KEYS - 1);
	{
		struct trust_identity last;
		trust_identity_from_seed(seed, &last);
		snprintf(rel, sizeof(rel), "peer%u", KEYS - 1);
		assert_string_equal(trust_store_key_name(s, last.public_key), rel);
	}
	/* Decide every key once (including deriving it from its seed): the
	 * authorized ones are admitted, the others are unknown (the revoking
	 * org is not trusted here). */
	{
		struct trust_verdict v;
		size_t authorized = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (uint32_t i = 0; i < KEYS + ORGS + MSGS; i++) {
			struct trust_identity k;

			mg_store_le32(seed, i + 1000);
			trust_identity_from_seed(seed, &k);
			if (trust_decide(s, k.public_key, NULL, 0, NULL, 1700000000, &v) ==
			    TRUST_AUTHORIZED_KEY)
				authorized++;
		}
		decide_s = seconds_since(&t0);
		assert_int_equal(authorized, KEYS);
	}
	print_message("load of %d entries: %.3f s; %d decisions (with key derivation): %.3f s\n",
		      KEYS + ORGS + MSGS, load_s, KEYS + ORGS + MSGS, decide_s);
	trust_store_free(s);
	tmpdir_remove(dir);
}

/* Upstream's vouched/<hex16>.vouch files are the vouch without its type
 * byte (136 bytes): read from vouched/ (and applied), refused elsewhere. */
static void test_upstream_vouch_file(void **state)
{
	static const char VOUCH_HEX[] = /* org S2 vouches for S3, lamport 1700000000 (§9.2.4) */
	    "433d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af466"
	    "0cfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb9115489080"
	    "2500f1536500000000423080cd3af3ddc1a727ed1f3b02ee4d18357ace990413"
	    "3a4d781f3b0d107c02c13510ae4defb7255e8733f7b8b8d43e018b6d89aa6e67"
	    "b56dda4fd01bdb2c0a";
	uint8_t wire[TRUST_MSG_VOUCH_LEN], org[32], vouched[32];
	char *dir = tmpdir_new(), err[TRUST_ERR_LEN + PATH_MAX];
	struct trust_store_counts n;
	struct trust_verdict v;
	struct trust_store *s;
	uint64_t next;

	(void)state;
	hex(wire, sizeof(wire), VOUCH_HEX);
	memcpy(org, wire + 1, 32);
	memcpy(vouched, wire + 33, 32);
	put_key(dir, "trusted_orgs/s2.org", org);
	put_msg(dir, "vouched/fc51cd8e6218a1a3.vouch", wire + 1, TRUST_MSG_VOUCH_FILE_LEGACY_LEN);
	s = load_ok(dir);
	trust_store_counts(s, &n);
	assert_int_equal(n.vouches, 1);
	assert_int_equal(trust_decide(s, vouched, NULL, 0, NULL, 1700000000, &v), TRUST_VOUCH);
	assert_memory_equal(v.org, org, 32);
	/* upstream stamped it with unix seconds: our clock continues above it */
	assert_int_equal(trust_store_lamport_next(s, &next, err, sizeof(err)), 0);
	assert_int_equal(next, 1700000001);
	trust_store_free(s);
	/* the 136-byte form is only a vouch file: in revoked/ it is refused */
	put_msg(dir, "revoked/fc51cd8e6218a1a3.revoke", wire + 1, TRUST_MSG_VOUCH_FILE_LEGACY_LEN);
	load_fails(dir, "revoked/fc51cd8e6218a1a3.revoke: not an org message");
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_dirs),	  cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_atomic_reload), cmocka_unit_test(test_apply_ordering),
	    cmocka_unit_test(test_convergence),	  cmocka_unit_test(test_persist_and_enumerate),
	    cmocka_unit_test(test_lamport_clock), cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_thousands),	  cmocka_unit_test(test_upstream_vouch_file),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
