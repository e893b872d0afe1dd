/* SPDX-License-Identifier: MIT */
/*
 * swim-sim: membership figures from the deterministic simulator.
 *
 * For each N and loss rate: bootstrap N nodes (staggered joins through
 * random earlier nodes), then measure
 *   - idle bytes/s per member and false dead declarations over a window
 *     (default 10 simulated minutes) at that loss rate,
 *   - time for a join to reach 100% of members (median, p99),
 *   - time for a revocation to reach 100% (median, p99),
 *   - time until every member has declared a crashed node dead,
 *   - bytes/s per member under churn (2% of members replaced per minute: one
 *     leave, one crash and two joins every 60/(N/100) seconds, over 300 s).
 *
 *   swim-sim [--n 100,1000] [--loss 0.01,0.05] [--idle-s 600] [--samples 10]
 *            [--seed 1] [--wan] [--no-memo]
 *
 * Prints figures; no pass/fail. Public-key results are memoized across the
 * in-process nodes (crypto.h: swc_memo_enable) unless --no-memo: every check
 * still happens, only identical computations are not repeated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "crypto.h"
#include "log.h"
#include "sim.h"

#define MS 1000000ull
#define SEC 1000000000ull

struct track {
	bool active;
	enum swim_event_type type;
	size_t subject;
	bool *seen;
	size_t count;
	uint64_t last;
};

struct bench {
	struct sim *sim;
	size_t n, total;
	struct track tr;
	uint64_t tx_bytes;
	bool *crashed;      /* down on purpose (crash, leave, or never started) */
	uint64_t false_dead, false_suspect;
	bool count_false;
	size_t next_spare;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void observe(void *arg, size_t node, const struct swim_event *ev, uint64_t now)
{
	struct bench *b = arg;
	size_t subj = sim_node_of(b->sim, ev->member->identity);

	if (b->count_false && subj != SIZE_MAX && sim_is_up(b->sim, subj)) {
		if (ev->type == SWIM_EV_DEAD)
			b->false_dead++;
		if (ev->type == SWIM_EV_SUSPECT)
			b->false_suspect++;
	}
	if (!b->tr.active || ev->type != b->tr.type || subj != b->tr.subject || b->tr.seen[node])
		return;
	b->tr.seen[node] = true;
	b->tr.count++;
	b->tr.last = now;
}

static bool tap(void *arg, size_t from, size_t to, const uint8_t *buf, size_t len)
{
	struct bench *b = arg;
	(void)from, (void)to, (void)buf;
	b->tx_bytes += len + 28; /* IPv4 + UDP headers */
	return true;
}

static size_t up_count(struct bench *b)
{
	size_t c = 0;
	for (size_t i = 0; i < b->total; i++)
		c += sim_is_up(b->sim, i);
	return c;
}

static size_t random_up(struct bench *b, size_t except)
{
	for (;;) {
		size_t i = sim_rng(b->sim) % b->total;
		if (i != except && sim_is_up(b->sim, i))
			return i;
	}
}

static void track_start(struct bench *b, enum swim_event_type t, size_t subject)
{
	memset(b->tr.seen, 0, b->total * sizeof(bool));
	b->tr.active = true;
	b->tr.type = t;
	b->tr.subject = subject;
	b->tr.count = 0;
	b->tr.last = 0;
}

/* Run until `target` nodes have reported the tracked event; returns seconds or -1. */
static double track_wait(struct bench *b, size_t target, uint64_t start, uint64_t limit)
{
	while (b->tr.count < target && sim_now(b->sim) - start < limit)
		sim_run_until(b->sim, sim_now(b->sim) + 20 * MS);
	b->tr.active = false;
	if (b->tr.count < target)
		return -1;
	return (double)(b->tr.last - start) / 1e9;
}

static int cmp_d(const void *a, const void *c)
{
	double x = *(const double *)a, y = *(const double *)c;
	return x < y ? -1 : x > y;
}

static void print_dist(const char *what, double *v, size_t n, size_t failed)
{
	if (!n) {
		printf("  %-34s no sample completed (%zu timed out)\n", what, failed);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_d);
	double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	size_t p = (size_t)(0.99 * (double)(n - 1) + 0.5);
	printf("  %-34s median %6.2f s   p99 %6.2f s   max %6.2f s   (%zu samples%s)\n", what, med,
	       v[p], v[n - 1], n, failed ? ", some timed out" : "");
	if (getenv("SWIM_SIM_SAMPLES")) {
		printf("   ");
		for (size_t i = 0; i < n; i++)
			printf(" %.2f", v[i]);
		printf("\n");
	}
}

static size_t spare(struct bench *b)
{
	if (b->next_spare >= b->total) {
		fprintf(stderr, "swim-sim: out of spare nodes\n");
		exit(1);
	}
	return b->next_spare++;
}

static void bootstrap(struct bench *b)
{
	uint64_t step = b->n >= 1000 ? 10 * MS : 20 * MS;
	double t0 = now_s();

	sim_start(b->sim, 0, -1, false);
	for (size_t i = 1; i < b->n; i++) {
		sim_run_until(b->sim, sim_now(b->sim) + step);
		size_t seed = sim_rng(b->sim) % i;
		sim_start(b->sim, i, (long)seed, i % 4 == 0); /* a quarter join by address only */
	}
	b->next_spare = b->n;
	uint64_t start = sim_now(b->sim);
	while (!sim_converged(b->sim) && sim_now(b->sim) - start < 600 * SEC)
		sim_run_until(b->sim, sim_now(b->sim) + 1 * SEC);
	printf("  bootstrap: %zu joins over %.1f s, converged %s %.1f s after the last join "
	       "(%.0f s wall)\n",
	       b->n - 1, (double)(b->n - 1) * (double)step / 1e9,
	       sim_converged(b->sim) ? "at" : "NOT within", (double)(sim_now(b->sim) - start) / 1e9,
	       now_s() - t0);
}

static size_t queued(struct bench *b)
{
	size_t q = 0;
	struct swim_stats st;
	for (size_t i = 0; i < b->total; i++)
		if (sim_is_up(b->sim, i)) {
			swim_get_stats(sim_swim(b->sim, i), &st);
			q += st.queue_len;
		}
	return q;
}

/* Let the join storm's broadcasts drain before measuring "idle". */
static void settle(struct bench *b)
{
	uint64_t start = sim_now(b->sim);
	while (queued(b) && sim_now(b->sim) - start < 600 * SEC)
		sim_run_until(b->sim, sim_now(b->sim) + 1 * SEC);
	sim_run_until(b->sim, sim_now(b->sim) + 10 * SEC);
	printf("  settle: broadcast queues drained %.0f s after convergence\n",
	       (double)(sim_now(b->sim) - start) / 1e9 - 10);
}

static void idle_window(struct bench *b, uint64_t secs)
{
	uint64_t tx0 = b->tx_bytes;
	double t0 = now_s();
	size_t up = up_count(b);

	b->false_dead = b->false_suspect = 0;
	b->count_false = true;
	sim_run_until(b->sim, sim_now(b->sim) + secs * SEC);
	b->count_false = false;
	double aw = 0;
	struct swim_stats st;
	for (size_t i = 0; i < b->total; i++)
		if (sim_is_up(b->sim, i)) {
			swim_get_stats(sim_swim(b->sim, i), &st);
			aw += st.awareness;
		}
	printf("  idle: %8.0f bytes/s per member (UDP payload + 28 B headers), %llu false dead, "
	       "%llu false suspicion events over %llu s (%.0f s wall); mean awareness %.2f\n",
	       (double)(b->tx_bytes - tx0) / (double)secs / (double)up,
	       (unsigned long long)b->false_dead, (unsigned long long)b->false_suspect,
	       (unsigned long long)secs, now_s() - t0, aw / (double)up);
}

static void joins(struct bench *b, size_t samples)
{
	double v[256];
	size_t n = 0, failed = 0;
	for (size_t k = 0; k < samples; k++) {
		size_t j = spare(b);
		size_t seed = random_up(b, SIZE_MAX);
		uint64_t start = sim_now(b->sim);
		size_t target = up_count(b);
		track_start(b, SWIM_EV_JOINED, j);
		sim_start(b->sim, j, (long)seed, k % 2);
		double t = track_wait(b, target, start, 60 * SEC);
		if (t < 0)
			failed++;
		else
			v[n++] = t;
		sim_run_until(b->sim, sim_now(b->sim) + 5 * SEC);
	}
	print_dist("join reaches 100%:", v, n, failed);
}

static void revocations(struct bench *b, size_t samples)
{
	double v[256];
	size_t n = 0, failed = 0;
	uint8_t msg[138];
	for (size_t k = 0; k < samples; k++) {
		size_t victim = random_up(b, 0);
		size_t admin = random_up(b, victim);
		size_t len = sim_make_revoke(b->sim, victim, msg);
		uint64_t start = sim_now(b->sim);
		size_t target = up_count(b) - 1; /* everyone but the victim */
		track_start(b, SWIM_EV_REMOVED_TRUST, victim);
		/* the admin node runs `meshguard org-revoke`: its trust store, then the gossip */
		sim_trust_apply(b->sim, admin, msg, len);
		swim_recheck_trust(sim_swim(b->sim, admin), sim_now(b->sim), sim_unix(b->sim));
		swim_publish_org_message(sim_swim(b->sim, admin), msg, len, sim_now(b->sim),
					 sim_unix(b->sim));
		sim_kick(b->sim, admin);
		double t = track_wait(b, target, start, 60 * SEC);
		if (t < 0)
			failed++;
		else
			v[n++] = t;
		sim_crash(b->sim, victim); /* a revoked node goes away */
		sim_run_until(b->sim, sim_now(b->sim) + 5 * SEC);
	}
	print_dist("revocation reaches 100%:", v, n, failed);
}

static void crashes(struct bench *b, size_t samples)
{
	double v[256];
	size_t n = 0, failed = 0;
	for (size_t k = 0; k < samples; k++) {
		size_t victim = random_up(b, 0);
		uint64_t start = sim_now(b->sim);
		sim_crash(b->sim, victim);
		size_t target = up_count(b);
		track_start(b, SWIM_EV_DEAD, victim);
		double t = track_wait(b, target, start, 120 * SEC);
		if (t < 0)
			failed++;
		else
			v[n++] = t;
		sim_run_until(b->sim, sim_now(b->sim) + 5 * SEC);
	}
	print_dist("crash declared dead by all:", v, n, failed);
}

/*
 * Churn: 2% of the members replaced per minute (a member lives ~50 minutes):
 * every 60/(N/100) s, one member leaves gracefully, one crashes, two join.
 */
static void churn(struct bench *b, uint64_t secs)
{
	uint64_t period = 60 * SEC * 100 / b->n;
	uint64_t tx0 = b->tx_bytes, end = sim_now(b->sim) + secs * SEC;
	size_t leaving[64], nleaving = 0;
	uint64_t leave_at[64];
	double sum_up = 0;
	size_t samples = 0;

	while (sim_now(b->sim) < end) {
		size_t l = random_up(b, 0);
		uint64_t until = swim_leave(sim_swim(b->sim, l), sim_now(b->sim), sim_unix(b->sim));
		sim_kick(b->sim, l);
		if (nleaving < 64) {
			leaving[nleaving] = l;
			leave_at[nleaving++] = until;
		}
		sim_crash(b->sim, random_up(b, l));
		for (int j = 0; j < 2; j++)
			sim_start(b->sim, spare(b), (long)random_up(b, l), false);
		uint64_t next = sim_now(b->sim) + period;
		while (sim_now(b->sim) < next) {
			sim_run_until(b->sim, sim_now(b->sim) + 100 * MS);
			for (size_t i = 0; i < nleaving;)
				if (sim_now(b->sim) >= leave_at[i]) {
					if (sim_is_up(b->sim, leaving[i]))
						sim_crash(b->sim, leaving[i]);
					leaving[i] = leaving[--nleaving];
					leave_at[i] = leave_at[nleaving];
				} else {
					i++;
				}
		}
		sum_up += (double)up_count(b);
		samples++;
	}
	printf("  churn (2%%/min: every %.1f s one leave, one crash, two joins): %6.0f bytes/s per "
	       "member\n",
	       (double)period / 1e9,
	       (double)(b->tx_bytes - tx0) / (double)secs / (sum_up / (double)samples));
}

static void run(size_t n, double loss, uint64_t idle_s, size_t samples, uint64_t seed, bool wan,
		bool memo)
{
	struct sim_cfg c = { 0 };
	struct bench b = { 0 };
	double t0 = now_s();
	struct rusage ru;

	c.n = n + samples + 2 * (300 * n / 6000 + 1) + 20; /* spares for joins and churn */
	c.seed = seed;
	c.loss = loss;
	c.lat_min_ns = wan ? 20 * MS : 200000;
	c.lat_max_ns = wan ? 150 * MS : 2 * MS;
	c.jitter_ns = wan ? 10 * MS : 500000;
	c.memo = memo;
	if (wan)
		swim_config_wan(&c.swim);
	else
		swim_config_lan(&c.swim);
	b.n = n;
	b.total = c.n;
	b.sim = sim_create(&c);
	b.tr.seen = calloc(c.n, sizeof(bool));
	sim_set_observer(b.sim, observe, &b);
	sim_set_tap(b.sim, tap, &b);
	printf("N = %zu, loss %.0f%%, %s profile, latency %.1f-%.1f ms + jitter %.1f ms\n", n,
	       loss * 100, wan ? "WAN" : "LAN", (double)c.lat_min_ns / 1e6,
	       (double)c.lat_max_ns / 1e6, (double)c.jitter_ns / 1e6);
	bootstrap(&b);
	settle(&b);
	idle_window(&b, idle_s);
	joins(&b, samples);
	revocations(&b, samples);
	crashes(&b, samples);
	churn(&b, 300);
	getrusage(RUSAGE_SELF, &ru);
	printf("  (%.0f s wall for this run, peak RSS %ld MB)\n\n", now_s() - t0, ru.ru_maxrss / 1024);
	fflush(stdout);
	sim_destroy(b.sim);
	free(b.tr.seen);
}

static size_t parse_list(const char *s, double *out, size_t cap)
{
	size_t n = 0;
	char *end;
	while (*s && n < cap) {
		out[n++] = strtod(s, &end);
		if (end == s)
			break;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

int main(int argc, char **argv)
{
	double ns[8] = { 100, 1000 }, losses[8] = { 0.01, 0.05 };
	size_t nn = 2, nl = 2, samples = 10;
	uint64_t idle_s = 600, seed = 1;
	bool wan = false, memo = true;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--n") && i + 1 < argc)
			nn = parse_list(argv[++i], ns, 8);
		else if (!strcmp(argv[i], "--loss") && i + 1 < argc)
			nl = parse_list(argv[++i], losses, 8);
		else if (!strcmp(argv[i], "--idle-s") && i + 1 < argc)
			idle_s = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
			samples = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--wan"))
			wan = true;
		else if (!strcmp(argv[i], "--no-memo"))
			memo = false;
		else {
			fprintf(stderr,
				"usage: swim-sim [--n 100,1000] [--loss 0.01,0.05] [--idle-s 600] "
				"[--samples 10] [--seed 1] [--wan] [--no-memo]\n");
			return 2;
		}
	}
	if (samples > 100)
		samples = 100;
	mg_log_set_level(MG_LOG_ERROR);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < nn; i++)
		for (size_t j = 0; j < nl; j++)
			run((size_t)ns[i], losses[j], idle_s, samples, seed, wan, memo);
	if (memo) {
		uint64_t h, m;
		swc_memo_stats(&h, &m);
		printf("public-key memo: %llu hits, %llu misses\n", (unsigned long long)h,
		       (unsigned long long)m);
	}
	return 0;
}
