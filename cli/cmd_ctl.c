/* SPDX-License-Identifier: MIT */
/*
 * Control clients: `meshguard status` and `meshguard down` talk to a running
 * daemon over its control socket (one JSON line each way, docs/daemon.md).
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_client.h"
#include "ctl_server.h"
#include "daemon.h"
#include "wg.h"

static int parse_common(int argc, char **argv, const char **ifname, bool *json, bool allow_json)
{
	*ifname = WG_DEVICE_DEFAULT_IFNAME;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--interface") || !strcmp(argv[i], "-i")) && i + 1 < argc)
			*ifname = argv[++i];
		else if (allow_json && !strcmp(argv[i], "--json"))
			*json = true;
		else
			return cli_usage_error("%s: unexpected argument '%s'", argv[0], argv[i]);
	}
	if (!daemon_valid_ifname(*ifname))
		return cli_usage_error("--interface: '%s' is not a valid interface name", *ifname);
	return 0;
}

/* ---- status: formatting helpers ------------------------------------------------------ */

static const char *str(json_t *o, const char *k)
{
	return ctl_client_str(o, k, "(none)");
}

/* "812 B", "1.41 KiB"... with `digits` decimals. */
static void format_bytes(char *out, size_t cap, uint64_t b, int digits)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	unsigned u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%" PRIu64 " B", b);
	else
		snprintf(out, cap, "%.*f %s", digits, v, units[u]);
}

static void print_bytes(uint64_t b)
{
	char buf[32];

	format_bytes(buf, sizeof(buf), b, 2);
	fputs(buf, stdout);
}

static void print_ago(int64_t when)
{
	static const struct {
		const char *name;
		int64_t secs;
	} parts[] = { { "day", 86400 }, { "hour", 3600 }, { "minute", 60 }, { "second", 1 } };
	int64_t left = time(NULL) - when;
	bool first = true;

	if (left <= 0) {
		printf("now");
		return;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int64_t n = left / parts[i].secs;
		if (!n)
			continue;
		printf("%s%" PRId64 " %s%s", first ? "" : ", ", n, parts[i].name,
		       n == 1 ? "" : "s");
		left -= n * parts[i].secs;
		first = false;
	}
	printf(" ago");
}

/* ---- status: the member table ---------------------------------------------------------- */

enum col_id { C_NAME, C_ID, C_STATE, C_TRUST, C_IPV4, C_IPV6, C_ENDPOINT, C_HS, C_RX, C_TX, C_N };

/*
 * fold: the level at which a column leaves the row for a continuation
 * line, so that a narrow terminal still gets aligned rows (0: never).
 */
static const struct {
	const char *head;
	const char *label; /* on the continuation line */
	unsigned fold;
	bool right;
} cols[C_N] = {
	[C_NAME] = { "NAME", NULL, 0, false },
	[C_ID] = { "IDENTITY", NULL, 0, false },
	[C_STATE] = { "STATE", NULL, 0, false },
	[C_TRUST] = { "TRUST", NULL, 0, false },
	[C_IPV4] = { "MESH IPV4", NULL, 0, false },
	[C_IPV6] = { "MESH IPV6", "ipv6", 1, false },
	[C_ENDPOINT] = { "ENDPOINT", "endpoint", 2, false },
	[C_HS] = { "HANDSHAKE", NULL, 0, false },
	[C_RX] = { "RX", NULL, 0, true },
	[C_TX] = { "TX", NULL, 0, true },
};

enum { CELL_LEN = 64, COL_GAP = 2, FOLD_MAX = 2, ID_SHORT = 8 };

struct row {
	char cell[C_N][CELL_LEN];
	char path[128]; /* trust path, shown with -v */
};

static void member_row(struct row *r, json_t *m, int64_t now)
{
	bool peer = json_is_true(json_object_get(m, "peer"));
	const char *name = ctl_client_str(m, "name", "");
	char buf[CELL_LEN];

	ctl_client_printable(r->cell[C_NAME], CELL_LEN, *name ? name : "-");
	snprintf(r->cell[C_ID], CELL_LEN, "%.*s", ID_SHORT, ctl_client_str(m, "identity", "?"));
	snprintf(r->cell[C_STATE], CELL_LEN, "%s", ctl_client_str(m, "state", "?"));
	snprintf(r->cell[C_TRUST], CELL_LEN, "%s", ctl_client_str(m, "trust", "?"));
	/* A null IPv4 means the member lost an IPv4 collision: IPv6 only. */
	snprintf(r->cell[C_IPV4], CELL_LEN, "%s", ctl_client_str(m, "mesh_ipv4", "-"));
	snprintf(r->cell[C_IPV6], CELL_LEN, "%s", ctl_client_str(m, "mesh_ipv6", "-"));
	snprintf(r->cell[C_ENDPOINT], CELL_LEN, "%s", ctl_client_str(m, "endpoint", "-"));
	ctl_client_printable(r->path, sizeof(r->path), ctl_client_str(m, "trust_path", ""));
	if (!peer) { /* no WireGuard peer (dead, left, denied): nothing to count */
		for (int c = C_HS; c <= C_TX; c++)
			snprintf(r->cell[c], CELL_LEN, "-");
		return;
	}
	ctl_client_ago(r->cell[C_HS], CELL_LEN, ctl_client_int(m, "last_handshake"), now);
	format_bytes(buf, sizeof(buf), (uint64_t)ctl_client_int(m, "rx_bytes"), 1);
	snprintf(r->cell[C_RX], CELL_LEN, "%s", buf);
	format_bytes(buf, sizeof(buf), (uint64_t)ctl_client_int(m, "tx_bytes"), 1);
	snprintf(r->cell[C_TX], CELL_LEN, "%s", buf);
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->cell[C_NAME], y->cell[C_NAME]);

	return c ? c : strcmp(x->cell[C_ID], y->cell[C_ID]);
}

static void column_widths(const struct row *rows, size_t n, size_t w[C_N])
{
	for (int c = 0; c < C_N; c++) {
		w[c] = strlen(cols[c].head);
		for (size_t i = 0; i < n; i++)
			if (strlen(rows[i].cell[c]) > w[c])
				w[c] = strlen(rows[i].cell[c]);
	}
}

static bool folded(int c, unsigned level)
{
	return cols[c].fold && cols[c].fold <= level;
}

static size_t line_width(const size_t w[C_N], unsigned level)
{
	size_t total = 0;

	for (int c = 0; c < C_N; c++)
		if (!folded(c, level))
			total += w[c] + COL_GAP;
	return total;
}

/* Fold only on a terminal too narrow for the row: pipes always get one line per member. */
static unsigned fold_level(const size_t w[C_N])
{
	struct winsize ws;
	unsigned level = 0;

	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_col == 0)
		return 0;
	while (level < FOLD_MAX && line_width(w, level) > ws.ws_col)
		level++;
	return level;
}

static void print_cells(char cell[C_N][CELL_LEN], const size_t w[C_N], unsigned level)
{
	int last = C_N - 1;

	fputs("  ", stdout);
	for (int c = 0; c < C_N; c++) {
		if (folded(c, level))
			continue;
		if (cols[c].right)
			printf("%*s", (int)w[c], cell[c]);
		else
			printf("%-*s", c == last ? 0 : (int)w[c], cell[c]);
		if (c != last)
			printf("%*s", COL_GAP, "");
	}
	putchar('\n');
}

static void print_continuation(const struct row *r, unsigned level)
{
	bool any = false;

	for (int c = 0; c < C_N; c++) {
		if (!folded(c, level))
			continue;
		printf("%s%s %s", any ? "  " : "    ", cols[c].label, r->cell[c]);
		any = true;
	}
	if (any)
		putchar('\n');
}

static void print_table(struct row *rows, size_t n, bool verbose)
{
	char head[C_N][CELL_LEN];
	size_t w[C_N];
	unsigned level;

	qsort(rows, n, sizeof(*rows), row_cmp);
	column_widths(rows, n, w);
	level = fold_level(w);
	for (int c = 0; c < C_N; c++)
		snprintf(head[c], CELL_LEN, "%s", cols[c].head);
	print_cells(head, w, level);
	for (size_t i = 0; i < n; i++) {
		print_cells(rows[i].cell, w, level);
		print_continuation(&rows[i], level);
		if (verbose && rows[i].path[0])
			printf("    trust: %s\n", rows[i].path);
	}
}

static void print_members(json_t *members, bool verbose)
{
	size_t n = json_array_size(members), i;
	struct row *rows;
	json_t *m;

	if (n == 0) {
		printf("\nmembers: none yet\n");
		return;
	}
	rows = calloc(n, sizeof(*rows));
	if (!rows) {
		cli_fail("out of memory for %zu members", n);
		return;
	}
	json_array_foreach(members, i, m)
		member_row(&rows[i], m, (int64_t)time(NULL));
	putchar('\n');
	print_table(rows, n, verbose);
	free(rows);
}

/* ---- status: the header and the other WireGuard peers ---------------------------------- */

static void print_peer(json_t *p)
{
	json_t *ips = json_object_get(p, "allowed_ips"), *ip;
	json_int_t hs = json_integer_value(json_object_get(p, "last_handshake"));
	json_int_t ka = json_integer_value(json_object_get(p, "persistent_keepalive"));
	const char *name = json_string_value(json_object_get(p, "name"));
	size_t i;

	printf("\npeer: %s%s%s%s\n", str(p, "public_key"), name ? " (" : "", name ? name : "",
	       name ? ")" : "");
	printf("  endpoint: %s\n", str(p, "endpoint"));
	printf("  allowed ips: ");
	if (json_array_size(ips) == 0)
		printf("(none)");
	json_array_foreach(ips, i, ip)
		printf("%s%s", i ? ", " : "", json_string_value(ip));
	printf("\n  latest handshake: ");
	if (hs > 0)
		print_ago(hs);
	else
		printf("never");
	printf("\n  transfer: ");
	print_bytes((uint64_t)json_integer_value(json_object_get(p, "rx_bytes")));
	printf(" received, ");
	print_bytes((uint64_t)json_integer_value(json_object_get(p, "tx_bytes")));
	printf(" sent\n");
	if (ka)
		printf("  persistent keepalive: every %lld seconds\n", (long long)ka);
}

/* A member's peer is in the table already; the rest (static, runtime) get their own block. */
static bool is_member_peer(json_t *members, json_t *peer)
{
	const char *key = ctl_client_str(peer, "public_key", "");
	size_t i;
	json_t *m;

	json_array_foreach(members, i, m)
		if (json_is_true(json_object_get(m, "peer")) &&
		    !strcmp(ctl_client_str(m, "wg_public_key", ""), key))
			return true;
	return false;
}

static void print_collision(json_t *r)
{
	json_t *c = json_object_get(r, "ipv4_collision");

	if (!json_is_object(c))
		return;
	printf("  ipv4 collision: with %.*s, ", ID_SHORT, ctl_client_str(c, "with", "?"));
	if (json_is_true(json_object_get(c, "kept")))
		printf("this node keeps the address (smaller identity key)\n");
	else
		printf("the other node keeps the address; this node uses IPv6 only\n");
}

static void print_swim_counts(json_t *r)
{
	json_t *s = json_object_get(r, "swim");

	if (!json_is_object(s))
		return;
	printf("  members: %" PRId64 " (%" PRId64 " alive, %" PRId64 " suspect, %" PRId64
	       " dead, %" PRId64 " left)\n",
	       ctl_client_int(s, "members"), ctl_client_int(s, "alive"),
	       ctl_client_int(s, "suspect"), ctl_client_int(s, "dead"), ctl_client_int(s, "left"));
}

static void print_header(json_t *r)
{
	char name[CELL_LEN];

	ctl_client_printable(name, sizeof(name), ctl_client_str(r, "name", ""));
	printf("interface: %s%s\n", str(r, "interface"),
	       json_is_true(json_object_get(r, "tun")) ? "" : " (gossip only, no TUN)");
	if (name[0])
		printf("  name: %s\n", name);
	printf("  public key: %s\n", str(r, "public_key"));
	printf("  identity: %s\n", str(r, "identity"));
	printf("  listening port: %lld\n",
	       (long long)json_integer_value(json_object_get(r, "listen_port")));
	printf("  mesh addresses: %s, %s\n", ctl_client_str(r, "mesh_ipv4", "(no IPv4)"),
	       str(r, "mesh_ipv6"));
	print_collision(r);
	if (json_object_get(r, "trust_mode"))
		printf("  trust mode: %s\n", str(r, "trust_mode"));
	print_swim_counts(r);
}

static void print_status(json_t *r, bool verbose)
{
	json_t *peers = json_object_get(r, "peers"), *members = json_object_get(r, "members"), *p;
	size_t i, others = 0;

	print_header(r);
	if (json_is_array(members))
		print_members(members, verbose);
	json_array_foreach(peers, i, p)
		others += !is_member_peer(members, p);
	if (others)
		printf("\nother WireGuard peers: %zu\n", others);
	json_array_foreach(peers, i, p)
		if (!is_member_peer(members, p))
			print_peer(p);
}

int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *ifname;
	bool json = false;
	json_t *reply;
	int ret;

	if ((ret = parse_common(argc, argv, &ifname, &json, true)))
		return ret;
	reply = ctl_client_call(ifname, "status");
	if (!reply)
		return CLI_FAIL;
	if (json) {
		json_dumpf(reply, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_status(reply, ctx->verbosity > 0);
	}
	json_decref(reply);
	return CLI_OK;
}

/* ---- down ------------------------------------------------------------------------ */

int cmd_down(struct cli_ctx *ctx, int argc, char **argv)
{
	char path[108];
	const char *ifname;
	json_t *reply;
	int ret;

	(void)ctx;
	if ((ret = parse_common(argc, argv, &ifname, NULL, false)))
		return ret;
	reply = ctl_client_call(ifname, "down");
	if (!reply)
		return CLI_FAIL;
	json_decref(reply);
	/* Wait (bounded) until the daemon has removed its socket: then it is down. */
	if (ctl_socket_path(path, sizeof(path), ifname) == 0) {
		for (int i = 0; i < 100 && access(path, F_OK) == 0; i++)
			usleep(50 * 1000);
	}
	printf("meshguard on %s stopped\n", ifname);
	return CLI_OK;
}
