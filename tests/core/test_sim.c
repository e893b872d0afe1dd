/* SPDX-License-Identifier: MIT */
/*
 * In-memory simulations of two and more engines: handshakes in both
 * directions, data both ways, simultaneous initiation, loss, rekeying over
 * simulated hours, roaming.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "sim.h"

static void test_handshake_and_data(void **state)
{
	struct sim s;
	struct wg_engine_stats st;
	struct wg_peer_info info;

	(void)state;
	sim_init(&s, 2, NULL, 1);
	sim_connect(&s, 0, 1);

	sim_send_ip(&s, 0, 1, 100);
	sim_run_for(&s, SIM_NS / 10);
	assert_int_equal(s.node[1].delivered, 1);
	assert_int_equal(s.node[1].last_ip_len, 120);
	assert_memory_equal(s.node[1].last_ip + 12, s.node[0].tun_ip, 4);

	sim_send_ip(&s, 1, 0, 1000);
	sim_run_for(&s, SIM_NS / 10);
	assert_int_equal(s.node[0].delivered, 1);
	assert_int_equal(s.node[0].last_ip_len, 1020);

	wg_engine_get_stats(s.node[0].e, &st);
	assert_int_equal(st.tx_handshake, 1);
	assert_int_equal(st.rx_handshake, 1);
	wg_peer_get_info(sim_peer(&s, 0, 1), &info);
	assert_true(info.has_session);
	assert_true(info.last_handshake.tv_sec >= s.wall_base);
	assert_true(info.tx_bytes > 0 && info.rx_bytes > 0);
	assert_int_equal(s.node[0].events[WG_EVENT_HANDSHAKE_COMPLETE], 1);
	assert_int_equal(s.node[1].events[WG_EVENT_HANDSHAKE_COMPLETE], 1);
	sim_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_and_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
