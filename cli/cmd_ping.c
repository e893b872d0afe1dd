/* SPDX-License-Identifier: MIT */
/*
 * meshguard ping <name|ip|identity-prefix>: round-trip time to a member
 * through the tunnel, and whether the path is direct.
 *
 * The running daemon's `status` reply names the members and the WireGuard
 * peers; the target is resolved there, the peer that carries its address is
 * found by longest-prefix match over the peers' allowed IPs, and ICMP echo
 * requests go out of the current network namespace on the daemon's
 * interface (docs/daemon.md).
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "bytes.h"
#include "cli_util.h"
#include "clock.h"
#include "ctl_client.h"
#include "daemon.h"
#include "wg.h"

enum {
	ICMP_HDR_LEN = 8,
	PING_DATA_LEN = 56, /* as ping(8): a 64-byte ICMP message */
	PING_COOKIE_LEN = 8,
	PING_MAX_COUNT = 10000, /* sequence numbers stay below 2^16 */
	PREFIX_MIN_LEN = 4,	/* shorter identity prefixes are too easy to hit by mistake */
	ID_SHORT = 8,
	ECHO4_REQUEST = 8,
	ECHO4_REPLY = 0,
	ECHO6_REQUEST = 128,
	ECHO6_REPLY = 129,
	/* ICMP_FILTER (<linux/icmp.h> clashes with <net/if.h>): a mask of blocked types */
	RAW_ICMP_FILTER = 1,
};

union sa_any {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	struct sockaddr_storage ss;
};

struct ping_opts {
	const char *target, *ifname;
	unsigned count;
	double interval, timeout;
	int family; /* 0: the member's IPv4 if it has one, else IPv6 */
	bool json;
};

/* ---- command line -------------------------------------------------------------------- */

static int parse_count(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 1 || v > PING_MAX_COUNT)
		return cli_usage_error("--count: '%s' is not a number from 1 to %d", s,
				       PING_MAX_COUNT);
	*out = (unsigned)v;
	return 0;
}

static int parse_seconds(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return cli_usage_error("%s: '%s' is not a number of seconds from %g to %g", opt, s,
				       lo, hi);
	*out = v;
	return 0;
}

static int parse_ping_args(int argc, char **argv, struct ping_opts *o)
{
	const char *count = NULL, *interval = NULL, *timeout = NULL, *pos[1], *ifshort = NULL;
	bool v4 = false, v6 = false;
	const struct cli_opt opts[] = {
		{ "--count", &count, NULL },
		{ "-c", &count, NULL },
		{ "--interval", &interval, NULL },
		{ "--timeout", &timeout, NULL },
		{ "--interface", &o->ifname, NULL },
		{ "-i", &ifshort, NULL },
		{ "-4", NULL, &v4 },
		{ "-6", NULL, &v6 },
		{ "--json", NULL, &o->json },
	};
	int ret;

	o->ifname = WG_DEVICE_DEFAULT_IFNAME;
	if ((ret = cli_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]), pos, 1, 1, NULL)))
		return ret;
	o->target = pos[0];
	if (!*o->target)
		return cli_usage_error("%s: the target is empty (give a name, mesh IP or identity)",
				       argv[0]);
	if (ifshort)
		o->ifname = ifshort;
	if (v4 && v6)
		return cli_usage_error("%s: -4 and -6 exclude each other", argv[0]);
	o->family = v4 ? AF_INET : v6 ? AF_INET6 : 0;
	if (!daemon_valid_ifname(o->ifname))
		return cli_usage_error("--interface: '%s' is not a valid interface name",
				       o->ifname);
	if ((count && (ret = parse_count(count, &o->count))) ||
	    (interval && (ret = parse_seconds("--interval", interval, 0.01, 60, &o->interval))) ||
	    (timeout && (ret = parse_seconds("--timeout", timeout, 0.1, 60, &o->timeout))))
		return ret;
	return 0;
}

/* ---- addresses and prefixes ------------------------------------------------------------- */

struct ip {
	int family;
	uint8_t b[16];
};

static bool ip_parse(const char *s, struct ip *ip)
{
	if (s && inet_pton(AF_INET, s, ip->b) == 1)
		ip->family = AF_INET;
	else if (s && inet_pton(AF_INET6, s, ip->b) == 1)
		ip->family = AF_INET6;
	else
		return false;
	return true;
}

static bool ip_equal(const struct ip *a, const char *s)
{
	struct ip b;

	return ip_parse(s, &b) && a->family == b.family &&
	       !memcmp(a->b, b.b, a->family == AF_INET ? 4 : 16);
}

/* Length of "addr/len" if it contains ip, else -1. */
static int prefix_match(const struct ip *ip, const char *cidr)
{
	char buf[INET6_ADDRSTRLEN + 5], *slash;
	struct ip net;
	long len;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	len = strtol(slash + 1, NULL, 10);
	if (!ip_parse(buf, &net) || net.family != ip->family || len < 0 ||
	    len > (ip->family == AF_INET ? 32 : 128))
		return -1;
	for (long bit = 0; bit < len; bit++) {
		unsigned mask = 0x80u >> (bit % 8);
		if ((net.b[bit / 8] & mask) != (ip->b[bit / 8] & mask))
			return -1;
	}
	return (int)len;
}

/* ---- resolving the target among the members ---------------------------------------------- */

struct target {
	json_t *member; /* borrowed from the status reply; NULL for a non-member address */
	char label[64]; /* what we print: the member's name, else its short identity */
	struct ip ip;
	char addr[INET6_ADDRSTRLEN];
};

static bool member_live(json_t *m)
{
	const char *st = ctl_client_str(m, "state", "");
	return !strcmp(st, "alive") || !strcmp(st, "suspect");
}

static void member_desc(json_t *m, char *out, size_t cap)
{
	char name[64];

	ctl_client_printable(name, sizeof(name), ctl_client_str(m, "name", ""));
	snprintf(out, cap, "%s (%.*s, %s, %s)", *name ? name : "-", ID_SHORT,
		 ctl_client_str(m, "identity", "?"), ctl_client_str(m, "mesh_ipv4", "no IPv4"),
		 ctl_client_str(m, "state", "?"));
}

/* "a (…), b (…)" for error messages; at most a screenful. */
static void list_members(json_t *arr, char *out, size_t cap)
{
	size_t off = 0, i;
	json_t *m;

	out[0] = '\0';
	json_array_foreach(arr, i, m) {
		char d[160];
		if (off + 64 >= cap) {
			snprintf(out + off, cap - off, ", ...");
			return;
		}
		member_desc(m, d, sizeof(d));
		off += (size_t)snprintf(out + off, cap - off, "%s%s", i ? ", " : "", d);
	}
}

static bool member_matches(json_t *m, const char *arg, const struct ip *ip, bool is_ip)
{
	if (is_ip)
		return ip_equal(ip, ctl_client_str(m, "mesh_ipv4", NULL)) ||
		       ip_equal(ip, ctl_client_str(m, "mesh_ipv6", NULL));
	if (!strcmp(ctl_client_str(m, "name", ""), arg))
		return true;
	return strlen(arg) >= PREFIX_MIN_LEN &&
	       !strncmp(ctl_client_str(m, "identity", ""), arg, strlen(arg));
}

/* Names win over identity prefixes, so a name that happens to prefix a key still works. */
static json_t *matching_members(json_t *members, const char *arg, const struct ip *ip, bool is_ip)
{
	json_t *by_name = json_array(), *all = json_array(), *m;
	size_t i;

	json_array_foreach(members, i, m) {
		if (!member_matches(m, arg, ip, is_ip))
			continue;
		json_array_append(all, m);
		if (!strcmp(ctl_client_str(m, "name", ""), arg))
			json_array_append(by_name, m);
	}
	if (json_array_size(by_name)) {
		json_decref(all);
		return by_name;
	}
	json_decref(by_name);
	return all;
}

/* Among several matches, a single live one wins (a dead record of a replaced node is noise). */
static json_t *pick_one(json_t *matches)
{
	json_t *live = NULL, *m;
	size_t i, n_live = 0;

	if (json_array_size(matches) == 1)
		return json_array_get(matches, 0);
	json_array_foreach(matches, i, m)
		if (member_live(m)) {
			live = m;
			n_live++;
		}
	return n_live == 1 ? live : NULL;
}

static bool is_self(json_t *status, const char *arg, const struct ip *ip, bool is_ip)
{
	if (is_ip)
		return ip_equal(ip, ctl_client_str(status, "mesh_ipv4", NULL)) ||
		       ip_equal(ip, ctl_client_str(status, "mesh_ipv6", NULL));
	return !strcmp(ctl_client_str(status, "name", ""), arg) ||
	       (strlen(arg) >= PREFIX_MIN_LEN &&
		!strncmp(ctl_client_str(status, "identity", ""), arg, strlen(arg)));
}

static int no_such_member(json_t *members, const struct ping_opts *o, bool is_ip)
{
	char list[1024];

	if (json_array_size(members) == 0)
		return cli_fail("ping %s: the daemon on %s has no members yet", o->target,
				o->ifname);
	list_members(members, list, sizeof(list));
	if (is_ip)
		return cli_fail("ping %s: no member has this mesh address and no WireGuard peer on "
				"%s routes it; members: %s",
				o->target, o->ifname, list);
	return cli_fail("ping %s: no member on %s has this name or identity prefix "
			"(prefixes need %d characters or more); members: %s",
			o->target, o->ifname, PREFIX_MIN_LEN, list);
}

/*
 * The member's address in `family` (the address typed, or -4/-6), else its
 * IPv4 if it still holds one.
 */
static int member_address(json_t *m, const struct ping_opts *o, int family, struct target *t)
{
	const char *v4 = ctl_client_str(m, "mesh_ipv4", NULL);
	const char *v6 = ctl_client_str(m, "mesh_ipv6", NULL);
	const char *name = ctl_client_str(m, "name", "");
	bool want6 = family == AF_INET6 || (!family && !v4);

	t->member = m;
	if (*name)
		ctl_client_printable(t->label, sizeof(t->label), name);
	else
		snprintf(t->label, sizeof(t->label), "%.*s", ID_SHORT,
			 ctl_client_str(m, "identity", "?"));
	if (!want6 && !v4)
		return cli_fail("ping %s: member %s has no mesh IPv4 (it lost an IPv4 address "
				"collision); use -6",
				o->target, t->label);
	if (!ip_parse(want6 ? v6 : v4, &t->ip))
		return cli_fail("ping %s: the daemon reports no usable mesh IPv%c for %s",
				o->target, want6 ? '6' : '4', t->label);
	return 0;
}

static int resolve_target(json_t *status, const struct ping_opts *o, struct target *t)
{
	json_t *members = json_object_get(status, "members"), *matches, *m;
	struct ip ip;
	bool is_ip = ip_parse(o->target, &ip);
	char list[1024];

	if (is_ip && o->family && o->family != ip.family)
		return cli_usage_error("ping %s: -%c given but this is an IPv%c address", o->target,
				       o->family == AF_INET ? '4' : '6',
				       ip.family == AF_INET ? '4' : '6');
	if (is_self(status, o->target, &ip, is_ip))
		return cli_fail("ping %s: that is this node itself (interface %s)", o->target,
				o->ifname);
	matches = matching_members(members, o->target, &ip, is_ip);
	m = pick_one(matches);
	if (json_array_size(matches) > 1 && !m) {
		list_members(matches, list, sizeof(list));
		json_decref(matches);
		return cli_fail("ping %s: ambiguous, it matches %s; give a longer identity prefix",
				o->target, list);
	}
	json_decref(matches);
	if (m)
		return member_address(m, o, is_ip ? ip.family : o->family, t);
	if (!is_ip)
		return no_such_member(members, o, false);
	/* Not a member: still pingable if a static peer routes it (checked by the caller). */
	t->member = NULL;
	t->ip = ip;
	snprintf(t->label, sizeof(t->label), "%s", o->target);
	return 0;
}

/* ---- the path: which WireGuard peer carries the address ------------------------------------ */

enum path_kind {
	PATH_NONE,   /* no peer routes the address */
	PATH_DIRECT, /* the member's own WireGuard peer */
	PATH_VIA,    /* another peer routes it (a static route through a third node) */
	PATH_PEER,   /* a non-member address routed by a peer */
};

struct path {
	enum path_kind kind;
	json_t *peer; /* borrowed; NULL for PATH_NONE */
	char peer_label[64];
	char prefix[INET6_ADDRSTRLEN + 5];
};

static json_t *longest_match(json_t *peers, const struct ip *ip, char *prefix, size_t cap)
{
	json_t *best = NULL, *p, *a;
	int best_len = -1;
	size_t i, j;

	json_array_foreach(peers, i, p) {
		json_array_foreach(json_object_get(p, "allowed_ips"), j, a) {
			int len =
			    prefix_match(ip, json_string_value(a) ? json_string_value(a) : "");
			if (len > best_len) {
				best_len = len;
				best = p;
				snprintf(prefix, cap, "%s", json_string_value(a));
			}
		}
	}
	return best;
}

/* A readable name for a peer: the member that owns the key, else the static peer's file name. */
static void peer_label(json_t *status, json_t *peer, char *out, size_t cap)
{
	const char *key = ctl_client_str(peer, "public_key", "");
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(status, "members"), i, m) {
		const char *name = ctl_client_str(m, "name", "");
		if (!strcmp(ctl_client_str(m, "wg_public_key", ""), key) && *name) {
			ctl_client_printable(out, cap, name);
			return;
		}
	}
	if (json_string_value(json_object_get(peer, "name")))
		snprintf(out, cap, "%s (static)", ctl_client_str(peer, "name", ""));
	else
		snprintf(out, cap, "%.*s", ID_SHORT, key);
}

static void find_path(json_t *status, const struct target *t, struct path *p)
{
	const char *mkey;

	memset(p, 0, sizeof(*p));
	p->peer =
	    longest_match(json_object_get(status, "peers"), &t->ip, p->prefix, sizeof(p->prefix));
	if (!p->peer)
		return;
	peer_label(status, p->peer, p->peer_label, sizeof(p->peer_label));
	if (!t->member) {
		p->kind = PATH_PEER;
		return;
	}
	mkey = ctl_client_str(t->member, "wg_public_key", "");
	p->kind = strcmp(ctl_client_str(p->peer, "public_key", ""), mkey) ? PATH_VIA : PATH_DIRECT;
}

static const char *path_kind_name(enum path_kind k)
{
	static const char *const n[] = { "none", "direct", "via", "peer" };
	return n[k];
}

static void describe_session(json_t *peer, char *out, size_t cap)
{
	char ago[32];

	ctl_client_ago(ago, sizeof(ago), ctl_client_int(peer, "last_handshake"), mg_now_unix());
	if (json_is_true(json_object_get(peer, "session")))
		snprintf(out, cap, "WireGuard session, handshake %s", ago);
	else
		snprintf(out, cap, "no WireGuard session yet: the first echo starts a handshake");
}

static void print_path(const char *lead, const struct target *t, const struct path *p)
{
	const char *ep = p->peer ? ctl_client_str(p->peer, "endpoint", NULL) : NULL;
	char sess[96];

	if (p->kind == PATH_NONE) {
		printf("%s: none: no WireGuard peer routes %s%s%s (the echoes will be dropped)\n",
		       lead, t->addr,
		       t->member && !member_live(t->member) ? "; the member is " : "",
		       t->member && !member_live(t->member) ? ctl_client_str(t->member, "state", "")
							    : "");
		return;
	}
	describe_session(p->peer, sess, sizeof(sess));
	if (p->kind == PATH_DIRECT)
		printf("%s: direct to %s (%s)\n", lead, ep ? ep : "(no endpoint known yet)", sess);
	else if (p->kind == PATH_VIA)
		printf("%s: via peer %s at %s, not direct: that peer routes %s (%s)\n", lead,
		       p->peer_label, ep ? ep : "(no endpoint)", p->prefix, sess);
	else
		printf("%s: WireGuard peer %s at %s routes %s; %s is not a mesh member (%s)\n",
		       lead, p->peer_label, ep ? ep : "(no endpoint)", p->prefix, t->addr, sess);
}

static json_t *path_json(const struct path *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "kind", json_string(path_kind_name(p->kind)));
	json_object_set_new(o, "direct", json_boolean(p->kind == PATH_DIRECT));
	if (!p->peer)
		return o;
	json_object_set_new(o, "peer", json_string(ctl_client_str(p->peer, "public_key", "")));
	json_object_set_new(o, "peer_name", json_string(p->peer_label));
	json_object_set_new(o, "prefix", json_string(p->prefix));
	json_object_set_new(o, "endpoint", json_incref(json_object_get(p->peer, "endpoint")));
	json_object_set_new(o, "session",
			    json_boolean(json_is_true(json_object_get(p->peer, "session"))));
	json_object_set_new(o, "last_handshake",
			    json_integer(ctl_client_int(p->peer, "last_handshake")));
	return o;
}

/* ---- ICMP echo ------------------------------------------------------------------------------ */

struct pinger {
	int fd, family;
	bool raw;	/* raw socket: we pick the identifier and filter replies ourselves */
	uint16_t ident; /* raw only: a datagram ping socket gets its identifier from the kernel */
	uint8_t cookie[PING_COOKIE_LEN]; /* in every payload: stale or foreign echoes never count */
	union sa_any dst;
	socklen_t dst_len;
};

static void read_ping_range(char *out, size_t cap)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");

	snprintf(out, cap, "unknown");
	if (!f)
		return;
	if (fgets(out, (int)cap, f))
		out[strcspn(out, "\n")] = '\0';
	for (char *c = out; *c; c++)
		if (*c == '\t')
			*c = ' ';
	fclose(f);
}

/* Raw ICMP as root, else an unprivileged ping socket (SOCK_DGRAM), else say why neither. */
static int open_socket(struct pinger *p)
{
	int proto = p->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	char range[64];
	int raw_err;

	p->fd = socket(p->family, SOCK_RAW | SOCK_CLOEXEC, proto);
	p->raw = p->fd >= 0;
	if (p->fd >= 0)
		return 0;
	raw_err = errno;
	if (raw_err == EPERM || raw_err == EACCES)
		p->fd = socket(p->family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
	if (p->fd >= 0)
		return 0;
	if (raw_err != EPERM && raw_err != EACCES)
		return cli_fail("ping: ICMP socket (IPv%c): %s", p->family == AF_INET ? '4' : '6',
				strerror(raw_err));
	read_ping_range(range, sizeof(range));
	return cli_fail("ping: not permitted to send ICMP echo: a raw socket needs CAP_NET_RAW, "
			"and ping sockets are closed to group %u here (net.ipv4.ping_group_range = "
			"%s); run as root or widen that range",
			(unsigned)getgid(), range);
}

static int set_filters(struct pinger *p)
{
	if (!p->raw)
		return 0; /* the kernel hands a ping socket only its own replies */
	if (p->family == AF_INET) {
		uint32_t blocked = ~(1u << ECHO4_REPLY);
		return setsockopt(p->fd, SOL_RAW, RAW_ICMP_FILTER, &blocked, sizeof(blocked));
	}
	struct icmp6_filter f6;
	ICMP6_FILTER_SETBLOCKALL(&f6);
	ICMP6_FILTER_SETPASS(ECHO6_REPLY, &f6);
	return setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f6, sizeof(f6));
}

/*
 * Bind to the daemon's interface, so the echoes go through the tunnel or
 * not at all. ENODEV means we are in another network namespace than the
 * daemon: the kernel would route the echo somewhere else.
 */
static int bind_interface(struct pinger *p, const char *ifname)
{
	if (!setsockopt(p->fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)))
		return 0;
	if (errno == ENODEV || !if_nametoindex(ifname))
		return cli_fail("ping: interface %s does not exist in this network namespace; run "
				"ping where its daemon runs",
				ifname);
	if (errno == EPERM) /* older kernels: unprivileged sockets may not bind; routing decides */
		return 0;
	return cli_fail("ping: binding to interface %s: %s", ifname, strerror(errno));
}

static int pinger_open(struct pinger *p, const struct target *t, const char *ifname)
{
	memset(&p->dst, 0, sizeof(p->dst));
	p->family = t->ip.family;
	if (p->family == AF_INET) {
		p->dst.v4.sin_family = AF_INET;
		memcpy(&p->dst.v4.sin_addr, t->ip.b, 4);
		p->dst_len = sizeof(p->dst.v4);
	} else {
		p->dst.v6.sin6_family = AF_INET6;
		memcpy(&p->dst.v6.sin6_addr, t->ip.b, 16);
		p->dst_len = sizeof(p->dst.v6);
	}
	randombytes_buf(&p->ident, sizeof(p->ident));
	randombytes_buf(p->cookie, sizeof(p->cookie));
	if (open_socket(p))
		return CLI_FAIL;
	if (set_filters(p) < 0) {
		cli_fail("ping: ICMP filter: %s", strerror(errno));
		close(p->fd);
		return CLI_FAIL;
	}
	if (bind_interface(p, ifname)) {
		close(p->fd);
		return CLI_FAIL;
	}
	return 0;
}

/* RFC 1071 Internet checksum. Only raw IPv4 needs it: the kernel fills it for the others. */
static uint16_t inet_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += mg_load_be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t build_echo(const struct pinger *p, uint16_t seq, uint8_t *pkt)
{
	size_t len = ICMP_HDR_LEN + PING_DATA_LEN;

	pkt[0] = p->family == AF_INET ? ECHO4_REQUEST : ECHO6_REQUEST;
	pkt[1] = 0;
	mg_store_be16(pkt + 2, 0);
	mg_store_be16(pkt + 4, p->ident);
	mg_store_be16(pkt + 6, seq);
	memcpy(pkt + ICMP_HDR_LEN, p->cookie, PING_COOKIE_LEN);
	for (size_t i = ICMP_HDR_LEN + PING_COOKIE_LEN; i < len; i++)
		pkt[i] = (uint8_t)i; /* ping(8)'s pattern: a mangled payload shows in a capture */
	if (p->family == AF_INET && p->raw)
		mg_store_be16(pkt + 2, inet_checksum(pkt, len));
	return len;
}

static bool from_target(const struct pinger *p, const union sa_any *from)
{
	if (p->family == AF_INET)
		return from->sa.sa_family == AF_INET &&
		       from->v4.sin_addr.s_addr == p->dst.v4.sin_addr.s_addr;
	return from->sa.sa_family == AF_INET6 &&
	       !memcmp(&from->v6.sin6_addr, &p->dst.v6.sin6_addr, 16);
}

/* Our echo reply? Returns its sequence number, or -1. Raw IPv4 comes with its IP header. */
static int parse_reply(const struct pinger *p, const uint8_t *buf, size_t len,
		       const union sa_any *from, size_t *icmp_len)
{
	if (p->family == AF_INET && p->raw) {
		size_t ihl = len ? (size_t)(buf[0] & 0x0f) * 4 : 0;
		if (len < 20 || (buf[0] >> 4) != 4 || ihl < 20 || ihl > len)
			return -1;
		buf += ihl;
		len -= ihl;
	}
	if (len < ICMP_HDR_LEN + PING_COOKIE_LEN || !from_target(p, from))
		return -1;
	if (buf[0] != (p->family == AF_INET ? ECHO4_REPLY : ECHO6_REPLY) || buf[1] != 0)
		return -1;
	if (p->raw && mg_load_be16(buf + 4) != p->ident)
		return -1;
	if (memcmp(buf + ICMP_HDR_LEN, p->cookie, PING_COOKIE_LEN))
		return -1;
	*icmp_len = len;
	return mg_load_be16(buf + 6);
}

/* ---- the ping loop -------------------------------------------------------------------------- */

struct ping_run {
	const struct ping_opts *o;
	const struct target *t;
	struct pinger p;
	uint64_t *sent_at; /* by sequence number - 1 */
	bool *got;
	unsigned sent, received, dups, send_errors;
	double min_ms, max_ms, sum_ms;
	json_t *replies;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void send_one(struct ping_run *r)
{
	uint8_t pkt[ICMP_HDR_LEN + PING_DATA_LEN];
	uint16_t seq = (uint16_t)(r->sent + 1);
	size_t len = build_echo(&r->p, seq, pkt);

	r->sent_at[r->sent] = mg_now_mono_ns();
	r->sent++;
	if (sendto(r->p.fd, pkt, len, 0, &r->p.dst.sa, r->p.dst_len) < 0) {
		r->send_errors++;
		if (!r->o->json)
			fprintf(stderr, "seq=%u: cannot send: %s\n", seq, strerror(errno));
	}
}

static void record_reply(struct ping_run *r, int seq, size_t len, uint64_t now)
{
	double ms;
	bool dup;

	if (seq < 1 || (unsigned)seq > r->sent)
		return;
	ms = (double)(now - r->sent_at[seq - 1]) / 1e6;
	dup = r->got[seq - 1];
	if (!r->o->json)
		printf("%zu bytes from %s: seq=%d time=%.3f ms%s\n", len, r->t->addr, seq, ms,
		       dup ? " (DUP!)" : "");
	if (dup) {
		r->dups++;
		return;
	}
	r->got[seq - 1] = true;
	r->received++;
	r->sum_ms += ms;
	if (r->received == 1 || ms < r->min_ms)
		r->min_ms = ms;
	if (ms > r->max_ms)
		r->max_ms = ms;
	json_array_append_new(r->replies, json_pack("{s:i,s:f}", "seq", seq, "rtt_ms", ms));
}

static void drain(struct ping_run *r)
{
	uint8_t buf[1500];

	for (;;) {
		union sa_any from = { 0 };
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(r->p.fd, buf, sizeof(buf), MSG_DONTWAIT, &from.sa, &flen);
		size_t icmp_len = 0;
		int seq;

		if (n < 0)
			return; /* EAGAIN, or an error an ICMP error queued: not a reply */
		seq = parse_reply(&r->p, buf, (size_t)n, &from, &icmp_len);
		if (seq >= 0)
			record_reply(r, seq, icmp_len, mg_now_mono_ns());
	}
}

static uint64_t secs_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

/* `count` echoes `interval` apart; stop `timeout` after the last, or once all came back. */
static void ping_loop(struct ping_run *r)
{
	uint64_t next = mg_now_mono_ns(), end = UINT64_MAX;

	while (!interrupted) {
		uint64_t now = mg_now_mono_ns(), wake;
		struct pollfd pfd = { .fd = r->p.fd, .events = POLLIN };

		if (r->sent < r->o->count && now >= next) {
			send_one(r);
			next += secs_ns(r->o->interval);
			if (r->sent == r->o->count)
				end = now + secs_ns(r->o->timeout);
		}
		if (r->sent == r->o->count && (r->received == r->sent || now >= end))
			break;
		wake = r->sent < r->o->count ? next : end;
		if (poll(&pfd, 1, wake > now ? (int)((wake - now) / 1000000u) + 1 : 0) > 0)
			drain(r);
	}
}

/* ---- output ---------------------------------------------------------------------------------- */

static void print_summary(const struct ping_run *r, double elapsed_s)
{
	unsigned loss = r->sent ? (r->sent - r->received) * 100 / r->sent : 0;

	printf("--- %s ping statistics ---\n", r->t->label);
	printf("%u sent, %u received, %u%% loss", r->sent, r->received, loss);
	if (r->dups)
		printf(", %u duplicates", r->dups);
	if (r->send_errors)
		printf(", %u send errors", r->send_errors);
	printf(", time %.1f s\n", elapsed_s);
	if (r->received)
		printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", r->min_ms, r->sum_ms / r->received,
		       r->max_ms);
}

static json_t *summary_json(const struct ping_run *r, const struct path *before,
			    const struct path *after)
{
	json_t *o = json_object(), *rtt = json_null();

	if (r->received)
		rtt = json_pack("{s:f,s:f,s:f}", "min", r->min_ms, "avg", r->sum_ms / r->received,
				"max", r->max_ms);
	json_object_set_new(o, "target", json_string(r->o->target));
	json_object_set_new(o, "name", json_string(r->t->label));
	json_object_set_new(o, "member", json_boolean(r->t->member != NULL));
	if (r->t->member)
		json_object_set_new(o, "identity",
				    json_incref(json_object_get(r->t->member, "identity")));
	json_object_set_new(o, "address", json_string(r->t->addr));
	json_object_set_new(o, "interface", json_string(r->o->ifname));
	json_object_set_new(o, "path", path_json(before));
	if (after)
		json_object_set_new(o, "path_after", path_json(after));
	json_object_set_new(o, "sent", json_integer(r->sent));
	json_object_set_new(o, "received", json_integer(r->received));
	json_object_set_new(o, "duplicates", json_integer(r->dups));
	json_object_set_new(o, "rtt_ms", rtt);
	json_object_set_new(o, "replies", json_incref(r->replies));
	return o;
}

static void print_banner(const struct ping_run *r)
{
	const char *id = r->t->member ? ctl_client_str(r->t->member, "identity", "?") : NULL;

	printf("PING %s (%s) on %s", r->t->label, r->t->addr, r->o->ifname);
	if (id)
		printf(", identity %.*s", ID_SHORT, id);
	printf(", %d data bytes, %s socket\n", PING_DATA_LEN, r->p.raw ? "raw" : "ping");
}

/* ---- the command ---------------------------------------------------------------------------- */

static int check_daemon(json_t *status, const struct ping_opts *o)
{
	if (!json_is_true(json_object_get(status, "tun")))
		return cli_fail("ping: the daemon on %s runs gossip-only (no TUN, no tunnel): "
				"there is nothing to ping through; start it without --gossip-only",
				o->ifname);
	return 0;
}

/* Without a session at the start, say what the echoes did to the path (a handshake, usually). */
static bool path_after(const struct ping_opts *o, const struct target *t, const struct path *before,
		       struct path *after, json_t **status2)
{
	if (before->kind == PATH_NONE || json_is_true(json_object_get(before->peer, "session")))
		return false;
	*status2 = ctl_client_call(o->ifname, "status");
	if (!*status2)
		return false;
	find_path(*status2, t, after);
	return true;
}

static void run_free(struct ping_run *r)
{
	free(r->sent_at);
	free(r->got);
	json_decref(r->replies);
}

static int run_init(struct ping_run *r, const struct ping_opts *o, const struct target *t)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->t = t;
	r->sent_at = calloc(o->count, sizeof(*r->sent_at));
	r->got = calloc(o->count, sizeof(*r->got));
	r->replies = json_array();
	if (!r->sent_at || !r->got || !r->replies) {
		run_free(r);
		return cli_fail("ping: out of memory for %u echoes", o->count);
	}
	if (pinger_open(&r->p, t, o->ifname)) {
		run_free(r);
		return CLI_FAIL;
	}
	return 0;
}

static void report(const struct ping_run *r, const struct path *before, uint64_t start)
{
	double elapsed = (double)(mg_now_mono_ns() - start) / 1e9;
	json_t *status2 = NULL, *out;
	struct path after;
	bool have_after = path_after(r->o, r->t, before, &after, &status2);

	if (r->o->json) {
		out = summary_json(r, before, have_after ? &after : NULL);
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
		putchar('\n');
		json_decref(out);
	} else {
		print_summary(r, elapsed);
		if (have_after)
			print_path("path now", r->t, &after);
	}
	json_decref(status2);
}

static int run_ping(const struct ping_opts *o, const struct target *t, const struct path *path)
{
	struct sigaction sa = { .sa_handler = on_sigint };
	struct ping_run r;
	uint64_t start;
	int ret;

	if (run_init(&r, o, t))
		return CLI_FAIL;
	/* Ctrl-C ends the run early but still prints the summary, as ping(8) does. */
	sigaction(SIGINT, &sa, NULL);
	if (!o->json) {
		print_banner(&r);
		print_path("path", t, path);
		fflush(stdout);
	}
	start = mg_now_mono_ns();
	ping_loop(&r);
	close(r.p.fd);
	report(&r, path, start);
	ret = r.received ? CLI_OK : CLI_FAIL;
	run_free(&r);
	return ret;
}

int cmd_ping(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ping_opts o = { .count = 4, .interval = 1.0, .timeout = 2.0 };
	struct target t = { 0 };
	struct path path;
	json_t *status;
	int ret;

	(void)ctx;
	if ((ret = parse_ping_args(argc, argv, &o)))
		return ret;
	status = ctl_client_call(o.ifname, "status");
	if (!status)
		return CLI_FAIL;
	ret = check_daemon(status, &o);
	if (!ret)
		ret = resolve_target(status, &o, &t);
	if (!ret) {
		inet_ntop(t.ip.family, t.ip.b, t.addr, sizeof(t.addr));
		find_path(status, &t, &path);
		if (!t.member && path.kind == PATH_NONE)
			ret = no_such_member(json_object_get(status, "members"), &o, true);
	}
	if (!ret)
		ret = run_ping(&o, &t, &path);
	json_decref(status);
	return ret;
}
