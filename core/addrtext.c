/* SPDX-License-Identifier: MIT */
/*
 * Text forms of endpoints ("1.2.3.4:51820", "[fd00::1]:51820") and prefixes
 * ("10.99.0.0/16"), as wg(8), wg-quick files and our status output spell
 * them. IP literals only: resolving names is the caller's business.
 */
#include "ioutil.h"
#include "wg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Strict decimal: digits only, no sign, no spaces, value <= max. */
static int parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* An IPv4-mapped IPv6 endpoint is stored as the IPv4 endpoint it means. */
static void unmap_v4(union wg_endpoint *ep)
{
	struct sockaddr_in in4 = { .sin_family = AF_INET };

	if (ep->sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&ep->in6.sin6_addr))
		return;
	in4.sin_port = ep->in6.sin6_port;
	memcpy(&in4.sin_addr, &ep->in6.sin6_addr.s6_addr[12], 4);
	memset(ep, 0, sizeof(*ep));
	ep->in4 = in4;
}

static int parse_scope(const char *s, uint32_t *out)
{
	unsigned long v;
	unsigned idx;

	if (parse_uint(s, strlen(s), UINT32_MAX, &v) == 0) {
		*out = (uint32_t)v;
		return 0;
	}
	idx = if_nametoindex(s);
	if (idx == 0)
		return -EINVAL;
	*out = idx;
	return 0;
}

int wg_endpoint_parse(union wg_endpoint *out, const char *text)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *colon, *hbeg, *hend;
	unsigned long port;
	union wg_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	if (text[0] == '[') {
		hbeg = text + 1;
		hend = strchr(hbeg, ']');
		if (!hend || hend[1] != ':')
			return -EINVAL;
		colon = hend + 1;
	} else {
		hbeg = text;
		colon = strrchr(text, ':');
		if (!colon)
			return -EINVAL;
		hend = colon;
	}
	if (hend == hbeg || (size_t)(hend - hbeg) >= sizeof(host))
		return -EINVAL;
	if (parse_uint(colon + 1, strlen(colon + 1), 65535, &port) || port == 0)
		return -EINVAL;
	memcpy(host, hbeg, (size_t)(hend - hbeg));
	host[hend - hbeg] = '\0';

	if (text[0] != '[') {
		if (inet_pton(AF_INET, host, &ep.in4.sin_addr) != 1)
			return -EINVAL;
		ep.in4.sin_family = AF_INET;
		ep.in4.sin_port = htons((uint16_t)port);
	} else {
		char *pct = strchr(host, '%');
		if (pct) {
			*pct = '\0';
			if (parse_scope(pct + 1, &ep.in6.sin6_scope_id))
				return -EINVAL;
		}
		if (inet_pton(AF_INET6, host, &ep.in6.sin6_addr) != 1)
			return -EINVAL;
		ep.in6.sin6_family = AF_INET6;
		ep.in6.sin6_port = htons((uint16_t)port);
		unmap_v4(&ep);
	}
	*out = ep;
	return 0;
}

void wg_endpoint_format(const union wg_endpoint *ep, char out[WG_DEVICE_ENDPOINT_STRLEN])
{
	char host[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 12];

	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in4.sin_addr, host, sizeof(host));
		snprintf(out, WG_DEVICE_ENDPOINT_STRLEN, "%s:%u", host, ntohs(ep->in4.sin_port));
	} else if (ep->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, host, sizeof(host));
		scope[0] = '\0';
		if (ep->in6.sin6_scope_id) {
			char name[IF_NAMESIZE];
			if (if_indextoname(ep->in6.sin6_scope_id, name))
				snprintf(scope, sizeof(scope), "%%%s", name);
			else
				snprintf(scope, sizeof(scope), "%%%u", ep->in6.sin6_scope_id);
		}
		snprintf(out, WG_DEVICE_ENDPOINT_STRLEN, "[%s%s]:%u", host, scope,
			 ntohs(ep->in6.sin6_port));
	} else {
		snprintf(out, WG_DEVICE_ENDPOINT_STRLEN, "(none)");
	}
}

void wg__prefix_mask(struct wg_prefix *p)
{
	unsigned bytes = p->family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit = i * 8;
		if (bit >= p->cidr)
			p->addr[i] = 0;
		else if (p->cidr - bit < 8)
			p->addr[i] &= (uint8_t)(0xff00u >> (p->cidr - bit));
	}
}

int wg_prefix_parse(struct wg_prefix *out, const char *text)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	struct wg_prefix p;
	unsigned long cidr;

	memset(&p, 0, sizeof(p));
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, p.addr) == 1)
		p.family = AF_INET;
	else if (inet_pton(AF_INET6, host, p.addr) == 1)
		p.family = AF_INET6;
	else
		return -EINVAL;
	cidr = p.family == AF_INET ? 32 : 128;
	if (slash && parse_uint(slash + 1, strlen(slash + 1), cidr, &cidr))
		return -EINVAL;
	p.cidr = (uint8_t)cidr;
	*out = p;
	return 0;
}

void wg_prefix_format(const struct wg_prefix *p, char out[WG_DEVICE_PREFIX_STRLEN])
{
	char host[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	snprintf(out, WG_DEVICE_PREFIX_STRLEN, "%s/%u", host, p->cidr);
}
