/* SPDX-License-Identifier: MIT */
/*
 * "No allocation per packet" (issue 3), measured: three engines in the
 * in-memory network carry thousands of data packets on established sessions,
 * both directions, IPv4 and IPv6, through allowed-IPs tries with many
 * prefixes, with replays (the replay window's drop path) and packets from a
 * wrong inner source (the allowed-IPs drop path) mixed in, while timers run.
 * During that loop malloc, calloc, realloc and free must not be called at
 * all.
 *
 * Two independent counters, because each sees something the other does not:
 * - the linker wraps malloc/calloc/realloc/free (-Wl,--wrap, see meson.build)
 *   for every object linked statically into this test: the engine, sim.c and
 *   this file. Works in every build.
 * - in an AddressSanitizer build, its allocator hooks also count allocations
 *   made inside shared libraries (libsodium, libb2, libc), which --wrap cannot
 *   see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "engine_priv.h"
#include "sim.h"

/* ---- Counting allocations ------------------------------------------------ */

static uint64_t wrapped_calls; /* calls of the four functions, through --wrap */
static uint64_t hooked_calls;  /* allocations and frees seen by ASan's allocator */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

void *__wrap_malloc(size_t n)
{
	++wrapped_calls;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	++wrapped_calls;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	++wrapped_calls;
	return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
	/* free(NULL) allocates nothing, but a per-packet free(NULL) still means a per-packet free. */
	++wrapped_calls;
	__real_free(p);
}

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN_HOOKS 1
#endif
#endif

#ifdef HAVE_ASAN_HOOKS
/* Exported by libasan; gcc ships no header declaring it. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					       void (*free_hook)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p, (void)n;
	++hooked_calls;
}

static void on_free(const volatile void *p)
{
	(void)p;
	++hooked_calls;
}

/* Once: each call adds another pair of hooks (it keeps a list), which would count twice. */
static void install_hooks(void)
{
	static bool installed;

	if (!installed)
		__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
	installed = true;
}
#else
static void install_hooks(void)
{
}
#endif

/* ---- Traffic --------------------------------------------------------------- */

static const uint64_t MS = SIM_NS / 1000;

enum { STEADY_ROUNDS = 3000, WARMUP_ROUNDS = 200, EXTRA_PREFIXES = 200 };

static void tun_ip6(const struct sim *s, int i, uint8_t out[16])
{
	static const uint8_t prefix[8] = { 0xfd, 0x10, 0, 0, 0, 0, 0, 0 };

	(void)s;
	memset(out, 0, 16);
	memcpy(out, prefix, 8);
	out[15] = (uint8_t)(i + 1);
}

/* An IPv6/UDP packet from node a to node b's fd10::<b+1>, handed to a's engine. */
static void send_ip6(struct sim *s, int a, int b, size_t payload_len)
{
	uint8_t buf[WG_HEADROOM + SIM_MAX_DGRAM + WG_TAILROOM], *pkt = buf + WG_HEADROOM;
	uint8_t src[16], dst[16];

	tun_ip6(s, a, src);
	tun_ip6(s, b, dst);
	size_t len = sim_build_ipv6(pkt, src, dst, payload_len);
	wg_engine_send_ip(s->node[a].e, pkt, len, s->now);
}

/* An IPv4 packet from node a whose inner source is node `claimed`'s address. */
static void send_spoofed(struct sim *s, int a, int claimed, int b)
{
	uint8_t buf[WG_HEADROOM + SIM_MAX_DGRAM + WG_TAILROOM];
	size_t len = sim_build_ipv4(buf + WG_HEADROOM, s->node[claimed].tun_ip, s->node[b].tun_ip, 64);

	wg_engine_send_ip(s->node[a].e, buf + WG_HEADROOM, len, s->now);
}

/* The last data packet node `from` sent, delivered again to node `to`. */
static void replay_last(struct sim *s, int from, int to)
{
	uint8_t copy[SIM_MAX_DGRAM];
	size_t len = s->node[from].last_sent_len[4];

	memcpy(copy, s->node[from].last_sent[4], len);
	wg_engine_recv_udp(s->node[to].e, &s->node[from].addr, copy, len, s->now);
}

/*
 * Node 0 is the hub; 1 and 2 route IPv4 and IPv6 through it. Every peer of
 * node 0 also owns many other prefixes, so lookups walk a real trie.
 */
static void build_mesh(struct sim *s)
{
	sim_init(s, 3, NULL, 77);
	sim_connect(s, 0, 1);
	sim_connect(s, 0, 2);
	for (int b = 1; b <= 2; ++b) {
		uint8_t a6[16];
		struct wg_peer *pb = sim_peer(s, 0, b), *p0 = sim_peer(s, b, 0);

		tun_ip6(s, b, a6);
		assert_int_equal(wg_peer_allowedip_add(pb, AF_INET6, a6, 128), 0);
		tun_ip6(s, 0, a6);
		assert_int_equal(wg_peer_allowedip_add(p0, AF_INET6, a6, 128), 0);
		for (int i = 0; i < EXTRA_PREFIXES; ++i) {
			uint8_t v4[4] = { 10, (uint8_t)(20 + b), (uint8_t)i, 0 };
			uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, (uint8_t)b, (uint8_t)i };

			assert_int_equal(wg_peer_allowedip_add(pb, AF_INET, v4, (uint8_t)(24 + i % 9)), 0);
			assert_int_equal(wg_peer_allowedip_add(pb, AF_INET6, v6, (uint8_t)(48 + i % 17)), 0);
		}
	}
	/* Node 0 initiates both sessions (crossing initiations would take seconds to settle). */
	sim_send_ip(s, 0, 1, 10);
	send_ip6(s, 0, 2, 10);
	sim_run_for(s, 50 * MS);
	s->node[1].record_sent = true;
	wg_peer_set_keepalive(sim_peer(s, 2, 0), 1, s->now); /* a timer that keeps firing */
}

/*
 * One round of the steady state: 4 good packets; every 16th round also the
 * previous round's packet from node 1 again (delivered already: a replay)
 * and a packet from node 2 claiming node 1's address.
 */
static void round_of_traffic(struct sim *s, int r)
{
	if (r % 16 == 0) {
		replay_last(s, 1, 0);
		send_spoofed(s, 2, 1, 0);
	}
	sim_send_ip(s, 0, 1, 100 + (size_t)(r % 1200));
	sim_send_ip(s, 1, 0, 40);
	send_ip6(s, 0, 2, 1000);
	send_ip6(s, 2, 0, (size_t)(r % 50));
	sim_run_for(s, 5 * MS);
}

static uint64_t delivered_total(const struct sim *s)
{
	return s->node[0].delivered + s->node[1].delivered + s->node[2].delivered;
}

static void test_no_allocation_per_packet(void **state)
{
	struct sim s;
	struct wg_engine_stats before, after;
	uint64_t wrapped0, hooked0, delivered0;
	int n_init0;

	(void)state;
	install_hooks();
	wrapped0 = wrapped_calls;
	build_mesh(&s);
	/* Setting up did allocate, and in the engine's own code: the wrapping reaches it. */
	assert_true(wrapped_calls - wrapped0 > 3 * 2 * EXTRA_PREFIXES);
	/* Sessions up, then a warm-up so the simulator's own queue reaches its size. */
	for (int r = 0; r < WARMUP_ROUNDS; ++r)
		round_of_traffic(&s, r);
	assert_non_null(sim_peer(&s, 0, 1)->keypairs.current);
	assert_non_null(sim_peer(&s, 0, 2)->keypairs.current);
	before = sim_stats(&s, 0);
	delivered0 = delivered_total(&s);
	n_init0 = s.node[0].n_init + s.node[1].n_init + s.node[2].n_init;

	wrapped0 = wrapped_calls;
	hooked0 = hooked_calls;
	for (int r = 0; r < STEADY_ROUNDS; ++r)
		round_of_traffic(&s, r);
	/* Read before any assertion: cmocka may allocate to report one. */
	uint64_t wrapped = wrapped_calls - wrapped0, hooked = hooked_calls - hooked0;

	print_message("%d rounds: %llu wrapped and %llu hooked allocator calls\n", STEADY_ROUNDS,
		      (unsigned long long)wrapped, (unsigned long long)hooked);
	assert_int_equal(wrapped, 0);
	assert_int_equal(hooked, 0);

	/* And the loop really took the paths it claims to. */
	after = sim_stats(&s, 0);
	assert_int_equal(delivered_total(&s) - delivered0, 4 * STEADY_ROUNDS);
	assert_int_equal(after.drop_replay - before.drop_replay, STEADY_ROUNDS / 16 + 1);
	assert_int_equal(after.drop_allowedips - before.drop_allowedips, STEADY_ROUNDS / 16 + 1);
	assert_int_equal(s.node[0].n_init + s.node[1].n_init + s.node[2].n_init, n_init0);
	assert_true(sim_stats(&s, 2).tx_keepalive > 0 || sim_stats(&s, 2).tx_data > 0);
	sim_free(&s);
}

/*
 * The counters count: otherwise zero would prove nothing. Through a volatile
 * function pointer, because the optimizer may delete a malloc/free pair it
 * can see (the release build does).
 */
static void test_counters_see_allocations(void **state)
{
	void *(*volatile alloc)(size_t) = malloc;
	void (*volatile release)(void *) = free;
	uint64_t wrapped0 = wrapped_calls, hooked0 = hooked_calls;

	(void)state;
	install_hooks();
	release(alloc(32));
	assert_int_equal(wrapped_calls - wrapped0, 2);
#ifdef HAVE_ASAN_HOOKS
	assert_int_equal(hooked_calls - hooked0, 2);
#else
	(void)hooked0;
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_see_allocations),
		cmocka_unit_test(test_no_allocation_per_packet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
