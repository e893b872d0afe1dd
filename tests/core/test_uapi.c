/* SPDX-License-Identifier: MIT */
/*
 * The cross-platform userspace API (what wg(8) speaks), protocol half, on a
 * real engine: every `set` key, the `get` rendering, strict parsing, and a
 * failed `set` leaving the device exactly as it was.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "engine.h"
#include "log.h"
#include "uapi.h"

/* ---- A device stand-in: the settings the protocol reads and writes ------------ */

struct fake_dev {
	uint16_t port;
	uint32_t fwmark;
	int port_error; /* what set_listen_port returns (0: accept) */
	int port_calls;
};

static uint16_t get_port(void *ctx)
{
	return ((struct fake_dev *)ctx)->port;
}

static int set_port(void *ctx, uint16_t port)
{
	struct fake_dev *d = ctx;

	d->port_calls++;
	if (d->port_error)
		return d->port_error;
	d->port = port;
	return 0;
}

static uint32_t get_fwmark(void *ctx)
{
	return ((struct fake_dev *)ctx)->fwmark;
}

static int set_fwmark(void *ctx, uint32_t mark)
{
	((struct fake_dev *)ctx)->fwmark = mark;
	return 0;
}

static const struct wg_uapi_ops ops = { get_port, set_port, get_fwmark, set_fwmark };

static void no_send(void *ctx, const union wg_sockaddr *to, const uint8_t *d, size_t len)
{
	(void)ctx, (void)to, (void)d, (void)len;
}

static void no_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx, (void)pkt, (void)len;
}

static const struct wg_engine_ops eops = { .send_udp = no_send, .deliver_ip = no_deliver };

struct fixture {
	struct wg_engine *e;
	struct fake_dev dev;
	char *reply;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wg_engine_config cfg = { 0 };

	if (!f)
		return -1;
	f->e = wg_engine_new(&cfg, &eops, NULL);
	f->dev.port = 51821;
	*state = f;
	return f->e ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wg_engine_free(f->e);
	free(f->reply);
	free(f);
	return 0;
}

/* Run one request; returns the reply text (owned by the fixture) or NULL for "close". */
static const char *req(struct fixture *f, const char *text)
{
	struct wg_uapi_buf out = { 0 };
	enum wg_uapi_result r =
		wg_uapi_handle(f->e, &ops, &f->dev, text, strlen(text), 1000000000ull, &out);

	free(f->reply);
	f->reply = NULL;
	if (r == WG_UAPI_CLOSE) {
		wg_uapi_buf_free(&out);
		return NULL;
	}
	f->reply = strndup(out.data, out.len);
	wg_uapi_buf_free(&out);
	return f->reply;
}

/* The lines of one peer in a get reply: from its public_key to the next peer or errno. */
static char *peer_block(const char *reply, const char *pub_hex)
{
	char needle[128];
	const char *start, *end;

	snprintf(needle, sizeof(needle), "public_key=%s\n", pub_hex);
	start = strstr(reply, needle);
	if (!start)
		return NULL;
	end = strstr(start + 1, "public_key=");
	if (!end)
		end = strstr(start, "errno=");
	return strndup(start, (size_t)(end - start));
}

static void assert_has(const char *text, const char *line)
{
	if (!text || !strstr(text, line))
		fail_msg("'%s' not in:\n%s", line, text ? text : "(null)");
}

static void assert_lacks(const char *text, const char *line)
{
	if (text && strstr(text, line))
		fail_msg("'%s' unexpectedly in:\n%s", line, text);
}

#define PRIV "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
#define PUB1 "b85996fecc9c7f1fc6d2572a76eda11d59bcb1dcdbc0fc7b4c2bd4b7ef6e9c22"
#define PUB2 "58402e695ba1772b1cc9309755f043251ea77fdcf10fbbd45cd1ccb3ac7c2f14"
#define PSK "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52"
#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- get ------------------------------------------------------------------------ */

static void test_get_empty(void **state)
{
	struct fixture *f = *state;

	/* No key yet: no private_key line; fwmark 0 is not shown; errno=0 and a blank line. */
	assert_string_equal(req(f, "get=1\n\n"), "listen_port=51821\nerrno=0\n\n");
}

static void test_set_and_get_everything(void **state)
{
	struct fixture *f = *state;
	const char *r;
	char *blk;

	r = req(f, "set=1\n"
		   "private_key=" PRIV "\n"
		   "listen_port=4242\n"
		   "fwmark=7\n"
		   "replace_peers=true\n"
		   "public_key=" PUB1 "\n"
		   "protocol_version=1\n"
		   "preshared_key=" PSK "\n"
		   "endpoint=[fd00::1]:51820\n"
		   "persistent_keepalive_interval=25\n"
		   "replace_allowed_ips=true\n"
		   "allowed_ip=10.99.1.2/32\n"
		   "allowed_ip=10.1.2.3/8\n"
		   "allowed_ip=fd99:6d67::1/128\n"
		   "public_key=" PUB2 "\n"
		   "endpoint=192.0.2.1:7\n"
		   "\n");
	assert_string_equal(r, "errno=0\n\n");
	assert_int_equal(f->dev.port, 4242);
	assert_int_equal(f->dev.fwmark, 7);

	r = req(f, "get=1\n\n");
	/* Interface lines first, in the order wireguard-go uses. */
	assert_true(strncmp(r, "private_key=" PRIV "\nlisten_port=4242\nfwmark=7\npublic_key=",
			    strlen("private_key=" PRIV "\nlisten_port=4242\nfwmark=7\npublic_key=")) ==
		    0);
	assert_int_equal(strcmp(r + strlen(r) - 9, "errno=0\n\n"), 0);

	blk = peer_block(r, PUB1);
	assert_has(blk, "preshared_key=" PSK "\n");
	assert_has(blk, "protocol_version=1\n");
	assert_has(blk, "endpoint=[fd00::1]:51820\n");
	assert_has(blk, "last_handshake_time_sec=0\n");
	assert_has(blk, "last_handshake_time_nsec=0\n");
	/* (the keepalive turned on just above may already have sent a handshake) */
	assert_has(blk, "\ntx_bytes=");
	assert_has(blk, "rx_bytes=0\n");
	assert_has(blk, "persistent_keepalive_interval=25\n");
	assert_has(blk, "allowed_ip=10.99.1.2/32\n");
	assert_has(blk, "allowed_ip=10.0.0.0/8\n"); /* host bits cleared */
	assert_has(blk, "allowed_ip=fd99:6d67::1/128\n");
	free(blk);

	blk = peer_block(r, PUB2);
	assert_has(blk, "preshared_key=" ZERO "\n"); /* none: all zero, as wg expects */
	assert_has(blk, "endpoint=192.0.2.1:7\n");
	assert_has(blk, "persistent_keepalive_interval=0\n");
	assert_lacks(blk, "allowed_ip=");
	free(blk);
}

static void test_replace_remove_update_only(void **state)
{
	struct fixture *f = *state;
	const char *r;
	char *blk;

	req(f, "set=1\npublic_key=" PUB1 "\nallowed_ip=10.0.0.1/32\nallowed_ip=10.0.0.2/32\n\n");
	/* Without replace_allowed_ips the set grows... */
	req(f, "set=1\npublic_key=" PUB1 "\nallowed_ip=10.0.0.3/32\n\n");
	blk = peer_block(req(f, "get=1\n\n"), PUB1);
	assert_has(blk, "allowed_ip=10.0.0.1/32");
	assert_has(blk, "allowed_ip=10.0.0.3/32");
	free(blk);
	/* ...with it, it is replaced. */
	assert_string_equal(req(f, "set=1\npublic_key=" PUB1
				   "\nreplace_allowed_ips=true\nallowed_ip=10.0.0.9/32\n\n"),
			    "errno=0\n\n");
	blk = peer_block(req(f, "get=1\n\n"), PUB1);
	assert_lacks(blk, "allowed_ip=10.0.0.1/32");
	assert_has(blk, "allowed_ip=10.0.0.9/32");
	free(blk);

	/* update_only does not create a peer, but does update an existing one. */
	assert_string_equal(req(f, "set=1\npublic_key=" PUB2 "\nupdate_only=true\n"
				   "endpoint=192.0.2.2:1\n\n"),
			    "errno=0\n\n");
	assert_lacks(req(f, "get=1\n\n"), PUB2);
	assert_string_equal(req(f, "set=1\npublic_key=" PUB1 "\nupdate_only=true\n"
				   "endpoint=192.0.2.2:1\n\n"),
			    "errno=0\n\n");
	assert_has(req(f, "get=1\n\n"), "endpoint=192.0.2.2:1\n");

	/* remove, and removing an unknown peer is not an error. */
	assert_string_equal(req(f, "set=1\npublic_key=" PUB1 "\nremove=true\n"
				   "public_key=" PUB2 "\nremove=true\n\n"),
			    "errno=0\n\n");
	r = req(f, "get=1\n\n");
	assert_lacks(r, "public_key=");

	/* replace_peers drops everyone not listed after it. */
	req(f, "set=1\npublic_key=" PUB1 "\n\n");
	req(f, "set=1\nreplace_peers=true\npublic_key=" PUB2 "\n\n");
	r = req(f, "get=1\n\n");
	assert_lacks(r, PUB1);
	assert_has(r, "public_key=" PUB2);
}

static void test_clear_values(void **state)
{
	struct fixture *f = *state;
	char *blk;

	req(f, "set=1\nprivate_key=" PRIV "\nfwmark=9\npublic_key=" PUB1 "\npreshared_key=" PSK
	       "\npersistent_keepalive_interval=5\n\n");
	assert_string_equal(req(f, "set=1\nprivate_key=" ZERO "\nfwmark=0\npublic_key=" PUB1
				   "\npreshared_key=" ZERO "\npersistent_keepalive_interval=0\n\n"),
			    "errno=0\n\n");
	assert_lacks(req(f, "get=1\n\n"), "private_key=");
	assert_lacks(f->reply, "fwmark=");
	blk = peer_block(f->reply, PUB1);
	assert_has(blk, "preshared_key=" ZERO);
	assert_has(blk, "persistent_keepalive_interval=0");
	free(blk);
}

static void test_own_key_is_ignored(void **state)
{
	struct fixture *f = *state;
	uint8_t priv[32], pub[32];
	char pub_hex[65], priv_hex[65], text[512];

	randombytes_buf(priv, sizeof(priv));
	crypto_scalarmult_base(pub, priv);
	for (int i = 0; i < 32; i++) {
		sprintf(pub_hex + 2 * i, "%02x", pub[i]);
		sprintf(priv_hex + 2 * i, "%02x", priv[i]);
	}
	/* Our own public key as a peer is dropped silently, as the kernel does. */
	snprintf(text, sizeof(text),
		 "set=1\nprivate_key=%s\npublic_key=%s\nallowed_ip=10.0.0.1/32\n\n", priv_hex,
		 pub_hex);
	assert_string_equal(req(f, text), "errno=0\n\n");
	assert_lacks(req(f, "get=1\n\n"), "public_key=");
}

/* ---- Strictness and atomicity -------------------------------------------------------- */

static const char *const bad_sets[] = {
	"set=1\nlisten_port=abc\n\n",
	"set=1\nlisten_port=65536\n\n",
	"set=1\nlisten_port=-1\n\n",
	"set=1\nfwmark=4294967296\n\n",
	"set=1\nprivate_key=1234\n\n",
	"set=1\nreplace_peers=yes\n\n",
	"set=1\nbogus=1\n\n",
	"set=1\nnovalue\n\n",
	"set=1\n=x\n\n",
	"set=1\npublic_key=" PUB1 "\nprotocol_version=2\n\n",
	"set=1\npublic_key=" PUB1 "\nendpoint=10.0.0.1\n\n",
	"set=1\npublic_key=" PUB1 "\nendpoint=host.example:1\n\n",
	"set=1\npublic_key=" PUB1 "\nallowed_ip=10.0.0.1\n\n",
	"set=1\npublic_key=" PUB1 "\nallowed_ip=10.0.0.0/33\n\n",
	"set=1\npublic_key=" PUB1 "\nallowed_ip=fd00::/129\n\n",
	"set=1\npublic_key=" PUB1 "\npersistent_keepalive_interval=70000\n\n",
	"set=1\npublic_key=" PUB1 "\nremove=1\n\n",
	"set=1\npublic_key=" PUB1 "\nlisten_port=1\n\n", /* a device key after a peer */
	"set=1\npublic_key=" PUB1 "x\n\n",
	"set=1\npublic_key=" PUB1 "\nupdate_only=false\n\n",
};

static void test_bad_set_changes_nothing(void **state)
{
	struct fixture *f = *state;
	char before[4096], text[512];

	req(f, "set=1\nprivate_key=" PRIV "\nlisten_port=1111\npublic_key=" PUB2
	       "\nallowed_ip=10.2.0.0/16\n\n");
	snprintf(before, sizeof(before), "%s", req(f, "get=1\n\n"));
	for (size_t i = 0; i < sizeof(bad_sets) / sizeof(bad_sets[0]); i++) {
		/* A valid change up front must not survive the bad line that follows. */
		snprintf(text, sizeof(text), "set=1\nlisten_port=2222\nreplace_peers=true\n%s",
			 bad_sets[i] + 6);
		const char *r = req(f, text);
		if (!r || strncmp(r, "errno=-", 7) != 0)
			fail_msg("case %zu: reply '%s'", i, r ? r : "(closed)");
		assert_string_equal(req(f, "get=1\n\n"), before);
	}
	assert_int_equal(f->dev.port_calls, 1); /* only the setup's */
}

static void test_port_failure_is_atomic(void **state)
{
	struct fixture *f = *state;
	char reply[32];

	f->dev.port_error = -EADDRINUSE;
	snprintf(reply, sizeof(reply), "errno=%d\n\n", -EADDRINUSE);
	assert_string_equal(req(f, "set=1\nlisten_port=53\nfwmark=3\nprivate_key=" PRIV
				   "\npublic_key=" PUB1 "\n\n"),
			    reply);
	assert_int_equal(f->dev.fwmark, 0); /* undone */
	assert_string_equal(req(f, "get=1\n\n"), "listen_port=51821\nerrno=0\n\n");
}

static void test_operations(void **state)
{
	struct fixture *f = *state;

	/* Unknown operations get no reply: the server closes the connection. */
	assert_null(req(f, "get=2\n\n"));
	assert_null(req(f, "set=2\n\n"));
	assert_null(req(f, "hello\n\n"));
	assert_null(req(f, "\n"));
	/* get takes no arguments. */
	assert_string_equal(req(f, "get=1\nlisten_port=1\n\n"), "errno=-22\n\n");
	/* An empty set is a valid no-op. */
	assert_string_equal(req(f, "set=1\n\n"), "errno=0\n\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_and_get_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_remove_update_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_key_is_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_set_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_failure_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operations, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	mg_log_set_level(MG_LOG_ERROR); /* rejected sets are logged as warnings */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
