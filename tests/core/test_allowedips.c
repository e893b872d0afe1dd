/* SPDX-License-Identifier: MIT */
/*
 * The allowed-IPs trie: hand-picked lookups (longest prefix wins, overlaps,
 * default routes, host routes, reassignment, removal), then a randomized
 * differential test against a deliberately naive linear reference, as the
 * kernel's selftest does, for IPv4 and IPv6.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "allowedips.h"

static struct aip_owner owners[8];

static struct aip_owner *lookup4(struct allowedips *t, const char *ip)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	return allowedips_lookup(t, AF_INET, a);
}

static struct aip_owner *lookup6(struct allowedips *t, const char *ip)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	return allowedips_lookup(t, AF_INET6, a);
}

static int insert4(struct allowedips *t, const char *ip, uint8_t cidr, int owner)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	return allowedips_insert(t, AF_INET, a, cidr, &owners[owner]);
}

static int insert6(struct allowedips *t, const char *ip, uint8_t cidr, int owner)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	return allowedips_insert(t, AF_INET6, a, cidr, &owners[owner]);
}

static int remove4(struct allowedips *t, const char *ip, uint8_t cidr, int owner)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	return allowedips_remove(t, AF_INET, a, cidr, &owners[owner]);
}

#define A (&owners[0])
#define B (&owners[1])
#define C (&owners[2])
#define D (&owners[3])
#define E (&owners[4])
#define F (&owners[5])

static void test_lookups_v4(void **state)
{
	struct allowedips t;

	(void)state;
	memset(owners, 0, sizeof(owners));
	allowedips_init(&t);
	assert_null(lookup4(&t, "1.2.3.4"));
	assert_int_equal(insert4(&t, "192.168.4.0", 24, 0), 0);
	assert_int_equal(insert4(&t, "192.168.4.4", 32, 1), 0);
	assert_int_equal(insert4(&t, "192.168.0.0", 16, 2), 0);
	assert_int_equal(insert4(&t, "192.95.5.64", 27, 3), 0);
	assert_int_equal(insert4(&t, "192.95.5.65", 27, 2), 0); /* same prefix: reassigned to C */
	assert_int_equal(insert4(&t, "10.0.0.0", 8, 4), 0);
	assert_int_equal(insert4(&t, "10.1.0.0", 16, 5), 0);

	assert_ptr_equal(lookup4(&t, "192.168.4.20"), A);
	assert_ptr_equal(lookup4(&t, "192.168.4.0"), A);
	assert_ptr_equal(lookup4(&t, "192.168.4.4"), B);
	assert_ptr_equal(lookup4(&t, "192.168.200.182"), C);
	assert_ptr_equal(lookup4(&t, "192.95.5.68"), C);
	assert_ptr_equal(lookup4(&t, "192.95.5.96"), NULL);
	assert_ptr_equal(lookup4(&t, "10.200.0.1"), E);
	assert_ptr_equal(lookup4(&t, "10.1.255.255"), F);
	assert_ptr_equal(lookup4(&t, "11.0.0.1"), NULL);
	assert_int_equal(D->count, 0);
	assert_int_equal(C->count, 2);

	/* Host bits are masked off on insert. */
	assert_int_equal(insert4(&t, "172.16.99.99", 12, 3), 0);
	assert_ptr_equal(lookup4(&t, "172.31.0.1"), D);
	assert_int_equal(remove4(&t, "172.16.0.0", 12, 3), 0);
	assert_null(lookup4(&t, "172.31.0.1"));

	/* The default route catches the rest; removing a more specific prefix falls back. */
	assert_int_equal(insert4(&t, "0.0.0.0", 0, 5), 0);
	assert_ptr_equal(lookup4(&t, "11.0.0.1"), F);
	assert_int_equal(remove4(&t, "192.168.4.4", 32, 0), -ENOENT); /* not A's */
	assert_int_equal(remove4(&t, "192.168.4.4", 32, 1), 0);
	assert_ptr_equal(lookup4(&t, "192.168.4.4"), A);
	assert_int_equal(remove4(&t, "192.168.4.0", 24, 0), 0);
	assert_ptr_equal(lookup4(&t, "192.168.4.4"), C);
	assert_int_equal(remove4(&t, "192.168.4.0", 24, 0), -ENOENT);

	assert_int_equal(insert4(&t, "1.2.3.4", 33, 0), -EINVAL);
	assert_int_equal(allowedips_insert(&t, AF_UNIX, "abcd", 8, A), -EINVAL);

	allowedips_remove_owner(&t, C);
	assert_ptr_equal(lookup4(&t, "192.168.4.4"), F);
	assert_int_equal(C->count, 0);
	allowedips_free(&t);
}

static void test_lookups_v6(void **state)
{
	struct allowedips t;

	(void)state;
	memset(owners, 0, sizeof(owners));
	allowedips_init(&t);
	assert_int_equal(insert6(&t, "2607:5300:6000:6b00::c05f:543", 128, 3), 0);
	assert_int_equal(insert6(&t, "2607:5300:6000:6b00::", 64, 2), 0);
	assert_int_equal(insert6(&t, "2607:5300::", 32, 1), 0);
	assert_int_equal(insert6(&t, "::", 0, 0), 0);
	assert_int_equal(insert4(&t, "10.0.0.0", 8, 4), 0);

	assert_ptr_equal(lookup6(&t, "2607:5300:6000:6b00::c05f:543"), D);
	assert_ptr_equal(lookup6(&t, "2607:5300:6000:6b00::c05f:544"), C);
	assert_ptr_equal(lookup6(&t, "2607:5300:6000:6b01::1"), B);
	assert_ptr_equal(lookup6(&t, "2607:5301::1"), A);
	assert_ptr_equal(lookup6(&t, "fe80::1"), A);
	/* Families are separate tries. */
	assert_null(lookup4(&t, "11.0.0.1"));
	assert_ptr_equal(lookup4(&t, "10.0.0.1"), E);
	allowedips_free(&t);
}

struct collected {
	int n;
	int family[8];
	uint8_t addr[8][16];
	uint8_t cidr[8];
};

static void collect(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct collected *c = arg;

	c->family[c->n] = family;
	memcpy(c->addr[c->n], addr, family == AF_INET ? 4 : 16);
	c->cidr[c->n++] = cidr;
}

static void test_foreach(void **state)
{
	struct allowedips t;
	struct collected c = { 0 };
	bool seen4 = false, seen6 = false;

	(void)state;
	memset(owners, 0, sizeof(owners));
	allowedips_init(&t);
	insert4(&t, "10.9.8.7", 24, 0);
	insert6(&t, "fd00::1", 64, 0);
	insert4(&t, "10.0.0.0", 8, 1);
	allowedips_foreach(A, collect, &c);
	assert_int_equal(c.n, 2);
	for (int i = 0; i < c.n; ++i) {
		if (c.family[i] == AF_INET) {
			assert_memory_equal(c.addr[i], ((uint8_t[]){ 10, 9, 8, 0 }), 4);
			assert_int_equal(c.cidr[i], 24);
			seen4 = true;
		} else {
			uint8_t want[16] = { 0xfd };

			assert_memory_equal(c.addr[i], want, 16);
			assert_int_equal(c.cidr[i], 64);
			seen6 = true;
		}
	}
	assert_true(seen4 && seen6);
	allowedips_free(&t);
}

/* ---- Randomized differential test against a naive reference ------------- */

struct ref_entry {
	int family;
	uint8_t addr[16];
	uint8_t cidr;
	struct aip_owner *owner;
};

static struct ref_entry ref[2048];
static size_t ref_len;

static bool ref_match(const struct ref_entry *r, int family, const uint8_t *a)
{
	if (r->family != family)
		return false;
	for (unsigned i = 0; i < r->cidr; ++i)
		if (((r->addr[i / 8] ^ a[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static void ref_mask(uint8_t *a, unsigned cidr, unsigned bytes)
{
	for (unsigned i = cidr; i < bytes * 8; ++i)
		a[i / 8] &= (uint8_t) ~(1u << (7 - i % 8));
}

static struct ref_entry *ref_find(int family, const uint8_t *a, uint8_t cidr)
{
	for (size_t i = 0; i < ref_len; ++i)
		if (ref[i].family == family && ref[i].cidr == cidr &&
		    !memcmp(ref[i].addr, a, family == AF_INET ? 4 : 16))
			return &ref[i];
	return NULL;
}

static struct aip_owner *ref_lookup(int family, const uint8_t *a)
{
	struct ref_entry *best = NULL;

	for (size_t i = 0; i < ref_len; ++i)
		if (ref_match(&ref[i], family, a) && (!best || ref[i].cidr > best->cidr))
			best = &ref[i];
	return best ? best->owner : NULL;
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

/* Addresses from a few clustered prefixes, so that tries branch and nest a lot. */
static void random_addr(int family, uint8_t *a)
{
	unsigned bytes = family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < bytes; ++i)
		a[i] = (uint8_t)rnd();
	a[0] = (uint8_t)(0xc0 | (rnd() & 3));
	if (rnd() & 1)
		a[1] = 0xa8;
}

static void test_random_differential(void **state)
{
	struct allowedips t;

	(void)state;
	memset(owners, 0, sizeof(owners));
	allowedips_init(&t);
	ref_len = 0;
	rng_state = 42;
	for (int round = 0; round < 20000; ++round) {
		int family = rnd() & 1 ? AF_INET : AF_INET6;
		unsigned bytes = family == AF_INET ? 4 : 16, bits = bytes * 8;
		uint8_t a[16];
		unsigned op = rnd() % 10;

		random_addr(family, a);
		if (op < 4 && ref_len < 2048) {
			uint8_t cidr = (uint8_t)(rnd() % (bits + 1));
			struct aip_owner *o = &owners[rnd() % 8];
			struct ref_entry *r;

			assert_int_equal(allowedips_insert(&t, family, a, cidr, o), 0);
			ref_mask(a, cidr, bytes);
			r = ref_find(family, a, cidr);
			if (!r) {
				r = &ref[ref_len++];
				r->family = family;
				memcpy(r->addr, a, 16);
				r->cidr = cidr;
			}
			r->owner = o;
		} else if (op < 5 && ref_len) {
			/* Remove an existing prefix (sometimes with the wrong owner). */
			size_t i = rnd() % ref_len;
			struct ref_entry r = ref[i];
			struct aip_owner *o = rnd() % 4 ? r.owner : &owners[rnd() % 8];
			int ret = allowedips_remove(&t, r.family, r.addr, r.cidr, o);

			if (o == r.owner) {
				assert_int_equal(ret, 0);
				ref[i] = ref[--ref_len];
			} else {
				assert_int_equal(ret, -ENOENT);
			}
		} else {
			assert_ptr_equal(allowedips_lookup(&t, family, a), ref_lookup(family, a));
			/* And an address right inside a known prefix. */
			if (ref_len) {
				struct ref_entry *r = &ref[rnd() % ref_len];
				uint8_t b[16];

				memcpy(b, r->addr, 16);
				b[bytes - 1] ^= (uint8_t)(rnd() & 1);
				assert_ptr_equal(allowedips_lookup(&t, r->family, b),
						 ref_lookup(r->family, b));
			}
		}
		if (round % 4000 == 3999) {
			/* Drop one owner wholesale. */
			struct aip_owner *o = &owners[rnd() % 8];

			allowedips_remove_owner(&t, o);
			for (size_t i = 0; i < ref_len;)
				if (ref[i].owner == o)
					ref[i] = ref[--ref_len];
				else
					++i;
			assert_int_equal(o->count, 0);
		}
	}
	/* Per-owner counts agree with the reference. */
	for (int o = 0; o < 8; ++o) {
		size_t n = 0;

		for (size_t i = 0; i < ref_len; ++i)
			n += ref[i].owner == &owners[o];
		assert_int_equal(owners[o].count, n);
	}
	/* Removing everything leaves empty tries (the compaction frees all nodes). */
	for (int o = 0; o < 8; ++o)
		allowedips_remove_owner(&t, &owners[o]);
	assert_null(t.root4);
	assert_null(t.root6);
	allowedips_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups_v4),
		cmocka_unit_test(test_lookups_v6),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_random_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
