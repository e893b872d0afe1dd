/* SPDX-License-Identifier: MIT */
/*
 * Static peer files in wg-quick syntax:
 *
 *   # a comment
 *   [Peer]
 *   PublicKey = <base64>
 *   PresharedKey = <base64>          (optional)
 *   Endpoint = 192.0.2.1:51820       (optional; [v6]:port for IPv6)
 *   AllowedIPs = 10.99.1.2/32, fd99:6d67::1/128
 *   PersistentKeepalive = 25         (optional; "off" = 0)
 *
 * Strict on purpose: a typo in a key must not silently drop a setting, so an
 * unknown section or key, a repeated key or a bad value is an error that
 * names the file and line. Nothing is returned unless the whole file parses.
 */
#include "ioutil.h"
#include "wg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "fsutil.h"
#include "keytext.h"

enum { CONF_MAX_FILE = 1 << 20, CONF_MAX_LINE = 4096 };

enum conf_key_bit {
	K_PUBLIC_KEY = 1 << 0,
	K_PRESHARED_KEY = 1 << 1,
	K_ENDPOINT = 1 << 2,
	K_KEEPALIVE = 1 << 3,
	/* AllowedIPs may repeat: its lines accumulate, as in wg-quick */
};

struct conf_parser {
	struct wg_conf *out;
	const char *filename;
	unsigned line;
	unsigned seen; /* enum conf_key_bit of the current section */
	size_t ips_cap;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int conf_error(struct conf_parser *p,
							   const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return wg__err(p->err, p->errlen, -EINVAL, "%s:%u: %s", p->filename, p->line, msg);
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static struct wg_conf_peer *current(struct conf_parser *p)
{
	return p->out->n_peers ? &p->out->peers[p->out->n_peers - 1] : NULL;
}

static int section_end(struct conf_parser *p)
{
	struct wg_conf_peer *peer = current(p);

	if (peer && !(p->seen & K_PUBLIC_KEY)) {
		unsigned line = p->line;
		int ret;
		p->line = peer->line;
		ret = conf_error(p, "[Peer] section without a PublicKey");
		p->line = line;
		return ret;
	}
	for (size_t i = 0; peer && i + 1 < p->out->n_peers; i++) {
		if (sodium_memcmp(p->out->peers[i].cfg.public_key, peer->cfg.public_key, 32) == 0) {
			unsigned line = p->line;
			int ret;
			p->line = peer->line;
			ret = conf_error(p, "the same PublicKey as the [Peer] at line %u",
					 p->out->peers[i].line);
			p->line = line;
			return ret;
		}
	}
	return 0;
}

static int section_start(struct conf_parser *p, const char *name)
{
	struct wg_conf_peer *peers;
	int ret;

	if (strcasecmp(name, "[Peer]") != 0) {
		if (strcasecmp(name, "[Interface]") == 0)
			return conf_error(p, "[Interface] is not allowed in a peer file: meshguard "
					     "derives the interface from its identity");
		return conf_error(p, "unknown section %.64s (only [Peer] is allowed)", name);
	}
	ret = section_end(p);
	if (ret)
		return ret;
	peers = realloc(p->out->peers, (p->out->n_peers + 1) * sizeof(*peers));
	if (!peers)
		return wg__err(p->err, p->errlen, -ENOMEM, "out of memory");
	p->out->peers = peers;
	memset(&peers[p->out->n_peers], 0, sizeof(*peers));
	peers[p->out->n_peers].line = p->line;
	p->out->n_peers++;
	p->seen = 0;
	p->ips_cap = 0;
	return 0;
}

static int parse_key(struct conf_parser *p, const char *name, const char *value, uint8_t out[32])
{
	int r = mg_b64_decode_exact(out, 32, value, strlen(value));

	if (r)
		return conf_error(p, "%s: not a base64 WireGuard key (%s)", name,
				  mg_keytext_strerror(r));
	return 0;
}

static int add_allowed_ip(struct conf_parser *p, struct wg_conf_peer *peer, const char *text)
{
	struct wg_prefix pfx, *ips;

	if (*text == '\0')
		return conf_error(p, "AllowedIPs: empty entry");
	if (wg_prefix_parse(&pfx, text))
		return conf_error(p, "AllowedIPs: '%.64s' is not an address/prefix", text);
	wg__prefix_mask(&pfx);
	if (peer->cfg.n_allowed_ips == p->ips_cap) {
		size_t cap = p->ips_cap ? p->ips_cap * 2 : 4;
		ips = realloc(peer->ips, cap * sizeof(*ips));
		if (!ips)
			return wg__err(p->err, p->errlen, -ENOMEM, "out of memory");
		peer->ips = ips;
		p->ips_cap = cap;
	}
	peer->ips[peer->cfg.n_allowed_ips++] = pfx;
	peer->cfg.allowed_ips = peer->ips;
	return 0;
}

static int parse_allowed_ips(struct conf_parser *p, struct wg_conf_peer *peer, char *value)
{
	char *tok = value, *comma;
	int ret;

	/* An empty value is allowed (a peer that routes nothing), as in wg-quick. */
	if (*value == '\0')
		return 0;
	if (value[strlen(value) - 1] == ',')
		return conf_error(p, "AllowedIPs: trailing comma");
	/* Split by hand: strtok would skip the empty entry in "a,,b". */
	for (;;) {
		comma = strchr(tok, ',');
		if (comma)
			*comma = '\0';
		if ((ret = add_allowed_ip(p, peer, trim(tok))))
			return ret;
		if (!comma)
			return 0;
		tok = comma + 1;
	}
}

static int parse_keepalive(struct conf_parser *p, struct wg_conf_peer *peer, const char *value)
{
	unsigned long v = 0;
	char *end;

	if (strcasecmp(value, "off") != 0) {
		if (value[0] < '0' || value[0] > '9')
			return conf_error(p, "PersistentKeepalive: '%.32s' is not a number of "
					     "seconds or 'off'", value);
		errno = 0;
		v = strtoul(value, &end, 10);
		if (*end || errno || v > 65535)
			return conf_error(p, "PersistentKeepalive: '%.32s' is not 0..65535 or 'off'",
					  value);
	}
	peer->cfg.keepalive_s = (uint16_t)v;
	peer->cfg.flags |= WG_PEER_SET_KEEPALIVE;
	return 0;
}

static int once(struct conf_parser *p, unsigned bit, const char *name)
{
	if (p->seen & bit)
		return conf_error(p, "%s given twice in one [Peer] section", name);
	p->seen |= bit;
	return 0;
}

static int key_value(struct conf_parser *p, char *key, char *value)
{
	struct wg_conf_peer *peer = current(p);
	int ret;

	if (!peer)
		return conf_error(p, "'%.32s' outside a [Peer] section", key);
	if (!strcasecmp(key, "PublicKey")) {
		if ((ret = once(p, K_PUBLIC_KEY, "PublicKey")))
			return ret;
		return parse_key(p, "PublicKey", value, peer->cfg.public_key);
	}
	if (!strcasecmp(key, "PresharedKey")) {
		if ((ret = once(p, K_PRESHARED_KEY, "PresharedKey")))
			return ret;
		peer->cfg.flags |= WG_PEER_SET_PSK;
		return parse_key(p, "PresharedKey", value, peer->cfg.preshared_key);
	}
	if (!strcasecmp(key, "Endpoint")) {
		if ((ret = once(p, K_ENDPOINT, "Endpoint")))
			return ret;
		if (wg_endpoint_parse(&peer->cfg.endpoint, value))
			return conf_error(p, "Endpoint: '%.64s' is not IP:port or [IPv6]:port "
					     "(host names are not supported)", value);
		peer->cfg.flags |= WG_PEER_SET_ENDPOINT;
		return 0;
	}
	if (!strcasecmp(key, "AllowedIPs"))
		return parse_allowed_ips(p, peer, value);
	if (!strcasecmp(key, "PersistentKeepalive")) {
		if ((ret = once(p, K_KEEPALIVE, "PersistentKeepalive")))
			return ret;
		return parse_keepalive(p, peer, value);
	}
	return conf_error(p, "unknown key '%.32s' (expected PublicKey, PresharedKey, Endpoint, "
			     "AllowedIPs or PersistentKeepalive)", key);
}

static int parse_line(struct conf_parser *p, char *line)
{
	char *hash = strchr(line, '#'), *eq, *s;

	if (hash)
		*hash = '\0';
	s = trim(line);
	if (*s == '\0')
		return 0;
	if (*s == '[')
		return section_start(p, s);
	eq = strchr(s, '=');
	if (!eq)
		return conf_error(p, "expected 'Key = Value' or '[Peer]'");
	*eq = '\0';
	return key_value(p, trim(s), trim(eq + 1));
}

int wg_conf_parse(struct wg_conf *out, const char *text, size_t len, const char *filename,
		  char *err, size_t errlen)
{
	struct conf_parser p = { .out = out, .filename = filename, .err = err, .errlen = errlen };
	char line[CONF_MAX_LINE + 1];
	size_t pos = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len && !ret) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		if (n > CONF_MAX_LINE)
			ret = conf_error(&p, "line longer than %d bytes", CONF_MAX_LINE);
		else if (memchr(text + pos, '\0', n))
			ret = conf_error(&p, "NUL byte in the file");
		else {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			ret = parse_line(&p, line);
		}
		pos += n + 1;
	}
	if (!ret)
		ret = section_end(&p);
	if (!ret && out->n_peers == 0)
		ret = wg__err(err, errlen, -EINVAL, "%s: no [Peer] section", filename);
	sodium_memzero(line, sizeof(line));
	if (ret)
		wg_conf_free(out);
	return ret;
}

int wg_conf_load(struct wg_conf *out, const char *path, char *err, size_t errlen)
{
	char *buf = malloc(CONF_MAX_FILE);
	size_t len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!buf)
		return wg__err(err, errlen, -ENOMEM, "out of memory");
	ret = mg_read_file(path, buf, CONF_MAX_FILE, &len);
	if (ret)
		wg__err(err, errlen, ret, "%s: %s", path,
			ret == -EFBIG ? "larger than 1 MiB" : strerror(-ret));
	else
		ret = wg_conf_parse(out, buf, len, path, err, errlen);
	sodium_memzero(buf, len);
	free(buf);
	return ret;
}

void wg_conf_free(struct wg_conf *conf)
{
	for (size_t i = 0; i < conf->n_peers; i++) {
		free(conf->peers[i].ips);
		sodium_memzero(&conf->peers[i], sizeof(conf->peers[i]));
	}
	free(conf->peers);
	conf->peers = NULL;
	conf->n_peers = 0;
}
