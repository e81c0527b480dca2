/*
 * Unit tests for the connection guard (serve/conn_guard.h) on real socket
 * pairs: a connection is "closed" when its peer reads the end of the
 * stream.  Deadlines close a trickling connection and spare a busy one;
 * over budget, the connection waiting longest makes room (per address,
 * then overall); a new connection is refused with a 503 only when all
 * others are busy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve/conn_guard.h"

#define MAXC 16

struct conn {
	int server, client; /* the guard watches `server`; the test reads `client` */
	struct conn_slot *slot;
};

static struct conn conns[MAXC];

static void conn_open(struct conn_guard *g, int i, const char *client, double now)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	conns[i].server = sv[0];
	conns[i].client = sv[1];
	conns[i].slot = conn_guard_open(g, sv[0], client, now);
}

/* Whether the guard shut connection `i` down: its peer reads the end (after a 503, for a refusal). */
static int conn_shut(int i, char *said, size_t len)
{
	char buf[256];
	ssize_t n;
	size_t got = 0;
	while ((n = read(conns[i].client, buf, sizeof(buf))) > 0) {
		if (said && got + (size_t)n < len) {
			memcpy(said + got, buf, (size_t)n);
			got += (size_t)n;
		}
	}
	if (said)
		said[got] = '\0';
	return n == 0;
}

static void conn_close(struct conn_guard *g, int i)
{
	conn_guard_close(g, conns[i].slot);
	close(conns[i].server);
	close(conns[i].client);
	memset(&conns[i], 0, sizeof(conns[i]));
}

static void test_deadline_closes_waiting_not_busy(void **state)
{
	struct conn_guard_limits lim = { .budget = 10, .per_client = 10, .request_timeout = 10 };
	struct conn_guard *g = conn_guard_new(&lim);
	struct conn_guard_stats st;
	conn_open(g, 0, "127.0.0.1", 100); /* trickles, never finishes */
	conn_open(g, 1, "127.0.0.1", 100); /* its request is being answered */
	conn_open(g, 2, "127.0.0.1", 105); /* opened later */
	conn_guard_busy(g, conns[1].slot);
	assert_int_equal(conn_guard_reap(g, 109.9), 0);
	assert_false(conn_shut(0, NULL, 0));
	assert_int_equal(conn_guard_reap(g, 110.5), 1);
	assert_true(conn_shut(0, NULL, 0));
	assert_false(conn_shut(1, NULL, 0));
	assert_false(conn_shut(2, NULL, 0));
	/* Closed once, not again. */
	assert_int_equal(conn_guard_reap(g, 111), 0);
	/* The busy one answers, then its next request has its own ten seconds. */
	conn_guard_idle(g, conns[1].slot, 112);
	assert_int_equal(conn_guard_reap(g, 116), 1); /* number 2, opened at 105 */
	assert_true(conn_shut(2, NULL, 0));
	assert_false(conn_shut(1, NULL, 0));
	assert_int_equal(conn_guard_reap(g, 122.5), 1);
	assert_true(conn_shut(1, NULL, 0));
	conn_guard_stats(g, &st);
	assert_int_equal(st.deadline, 3);
	assert_int_equal(st.open, 3); /* until libmicrohttpd closes them */
	for (int i = 0; i < 3; i++)
		conn_close(g, i);
	conn_guard_stats(g, &st);
	assert_int_equal(st.open, 0);
	conn_guard_free(&g);
	assert_null(g);
}

static void test_budget_makes_room(void **state)
{
	struct conn_guard_limits lim = { .budget = 3, .per_client = 3, .request_timeout = 10 };
	struct conn_guard *g = conn_guard_new(&lim);
	struct conn_guard_stats st;
	char said[256];
	/* Three from .2, the most one address may have. */
	conn_open(g, 0, "127.0.0.2", 1);
	conn_open(g, 1, "127.0.0.2", 2);
	conn_open(g, 2, "127.0.0.2", 3);
	/* A fourth from .2 pushes out .2's connection waiting longest. */
	conn_open(g, 3, "127.0.0.2", 4);
	assert_true(conn_shut(0, said, sizeof(said)));
	assert_string_equal(said, "");
	for (int i = 1; i < 4; i++)
		assert_false(conn_shut(i, NULL, 0));
	/* .1 is not held back by .2's budget: in, over the total of 3, so .2's oldest goes. */
	conn_open(g, 4, "127.0.0.1", 5);
	assert_true(conn_shut(1, NULL, 0));
	assert_false(conn_shut(4, NULL, 0));
	/* A busy connection is never pushed out: .1's is busy, .2 has 2 and 3 waiting. */
	conn_guard_busy(g, conns[4].slot);
	conn_open(g, 5, "127.0.0.3", 6);
	assert_true(conn_shut(2, NULL, 0));
	assert_false(conn_shut(4, NULL, 0));
	conn_guard_stats(g, &st);
	assert_int_equal(st.client_budget, 1);
	assert_int_equal(st.budget, 2);
	assert_int_equal(st.refused, 0);
	for (int i = 0; i < 6; i++)
		conn_close(g, i);
	conn_guard_free(&g);
}

static void test_refused_when_all_busy(void **state)
{
	struct conn_guard_limits lim = { .budget = 2, .per_client = 2, .request_timeout = 10 };
	struct conn_guard *g = conn_guard_new(&lim);
	struct conn_guard_stats st;
	char said[256];
	conn_open(g, 0, "127.0.0.1", 1);
	conn_open(g, 1, "127.0.0.2", 2);
	conn_guard_busy(g, conns[0].slot);
	conn_guard_busy(g, conns[1].slot);
	conn_open(g, 2, "127.0.0.3", 3);
	assert_true(conn_shut(2, said, sizeof(said)));
	assert_non_null(strstr(said, "HTTP/1.1 503 "));
	assert_non_null(strstr(said, "Retry-After: 1\r\n"));
	assert_false(conn_shut(0, NULL, 0));
	assert_false(conn_shut(1, NULL, 0));
	/* Per address too: .1 at its 2, both busy. */
	conn_close(g, 2);
	conn_close(g, 1);
	conn_open(g, 1, "127.0.0.1", 4);
	conn_guard_busy(g, conns[1].slot);
	conn_open(g, 2, "127.0.0.1", 5);
	assert_true(conn_shut(2, said, sizeof(said)));
	assert_non_null(strstr(said, "503"));
	conn_guard_stats(g, &st);
	assert_int_equal(st.refused, 2);
	for (int i = 0; i < 3; i++)
		conn_close(g, i);
	conn_guard_free(&g);
}

/* The watch thread closes overdue connections on its own. */
static void test_watch_thread(void **state)
{
	struct conn_guard_limits lim = { .budget = 4, .per_client = 4, .request_timeout = 0.2 };
	struct conn_guard *g = conn_guard_new(&lim);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	conn_open(g, 0, "127.0.0.1", (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	conn_guard_watch(g, 0.05);
	int shut = 0;
	for (int i = 0; i < 100 && !shut; i++) {
		usleep(10000);
		shut = conn_shut(0, NULL, 0);
	}
	assert_true(shut);
	conn_close(g, 0);
	conn_guard_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_closes_waiting_not_busy),
		cmocka_unit_test(test_budget_makes_room),
		cmocka_unit_test(test_refused_when_all_busy),
		cmocka_unit_test(test_watch_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
