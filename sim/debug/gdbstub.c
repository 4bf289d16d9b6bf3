/*
 * The gdb remote stub's server (gdbstub.h): it listens on loopback TCP or a Unix socket, serves
 * one gdb at a time (sim/debug/gdb_packets.c), and runs the machine itself while no gdb is
 * connected. A gdb that connects to a running machine stops it (the engine's poll callback
 * accepts without blocking); a connected gdb's ^C stops it the same way ("Interrupts" in gdb's
 * "Remote Protocol" appendix). After gdb detaches the machine runs on to its end.
 */
#define _GNU_SOURCE /* accept4 */
#include "sim/debug/gdbstub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim/debug/gdb_client.h"
#include "sim/exitcode.h"

#define UNIX_PREFIX "unix:"

/* Where to listen, parsed. */
struct where {
	bool is_unix;
	char path[sizeof ((struct sockaddr_un *)0)->sun_path];
	uint16_t port;
};

struct server {
	struct dbg_session *s;
	struct where where;
	int listen_fd;
	struct gdb_client *client; /* NULL: none connected */
};

/* ---- WHERE ---- */

static bool parse_port(const char *p, uint16_t *port)
{
	unsigned long v = 0;
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned long)(*p - '0')) > 65535)
			return false;
	}
	*port = (uint16_t)v;
	return true;
}

static bool parse_where(const char *where, struct where *w, char *err, size_t n)
{
	memset(w, 0, sizeof *w);
	if (!strncmp(where, UNIX_PREFIX, strlen(UNIX_PREFIX))) {
		const char *path = where + strlen(UNIX_PREFIX);
		w->is_unix = true;
		if (!*path || strlen(path) >= sizeof w->path) {
			snprintf(err, n, "a Unix socket path needs 1 to %zu characters", sizeof w->path - 1);
			return false;
		}
		strcpy(w->path, path);
		return true;
	}
	const char *colon = strrchr(where, ':');
	if (!colon) {
		snprintf(err, n, "expected :PORT, localhost:PORT or unix:PATH");
		return false;
	}
	size_t host_len = (size_t)(colon - where);
	/* The stub gives whoever connects the machine: never more than this host's own users. */
	if (host_len && !(host_len == 9 && !strncmp(where, "localhost", 9)) &&
	    !(host_len == 9 && !strncmp(where, "127.0.0.1", 9))) {
		snprintf(err, n, "only loopback is served (:PORT or localhost:PORT), not '%.*s'",
			 (int)(host_len > 64 ? 64 : host_len), where);
		return false;
	}
	if (!parse_port(colon + 1, &w->port)) {
		snprintf(err, n, "'%.16s' is not a port number (0..65535)", colon + 1);
		return false;
	}
	return true;
}

bool gdbstub_parse_where(const char *where, char *err, size_t n)
{
	struct where w;
	return parse_where(where, &w, err, n);
}

/* ---- listening and accepting ---- */

static int listen_unix(const struct where *w, char *err, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	/* A socket left by an earlier run is replaced; any other file is not ours to remove. */
	if (!lstat(w->path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, n, "%s exists and is not a socket", w->path);
			return -1;
		}
		unlink(w->path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, n, "socket: %s", strerror(errno));
		return -1;
	}
	memcpy(sa.sun_path, w->path, strlen(w->path) + 1);
	/* Whoever connects controls the machine: the socket is its owner's alone. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || chmod(w->path, 0600) || listen(fd, 1)) {
		snprintf(err, n, "%s: %s", w->path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int listen_tcp(struct where *w, char *err, size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(w->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int one = 1;

	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, n, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		snprintf(err, n, "localhost:%u: %s", w->port, strerror(errno));
		close(fd);
		return -1;
	}
	w->port = ntohs(sa.sin_port); /* port 0 asks for any free one */
	return fd;
}

static void server_close(struct server *sv)
{
	if (sv->client) {
		gdb_client_close(sv->client);
		free(sv->client);
		sv->client = NULL;
	}
	if (sv->listen_fd >= 0) {
		close(sv->listen_fd);
		if (sv->where.is_unix)
			unlink(sv->where.path);
	}
	sv->listen_fd = -1;
}

/* Take a waiting connection; with 'wait', wait for one. False if none (or it failed). */
static bool server_accept(struct server *sv, bool wait)
{
	struct pollfd pfd = { .fd = sv->listen_fd, .events = POLLIN };
	int one = 1;

	while (wait && poll(&pfd, 1, -1) < 0)
		if (errno != EINTR)
			return false;
	int fd = accept4(sv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return false;
	if (!sv->where.is_unix)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* packets are small */
	sv->client = malloc(sizeof *sv->client);
	if (!sv->client) {
		close(fd);
		return false;
	}
	gdb_client_init(sv->client, fd, sv->s);
	return true;
}

/* The engine's poll, every DBG_POLL_INSNS instructions: true stops the run for gdb. */
static bool server_poll(void *ctx)
{
	struct server *sv = ctx;
	if (sv->client)
		return rsp_poll_break(&sv->client->rsp);
	return server_accept(sv, false);
}

/* ---- serving ---- */

/* Serve the connected gdb until it leaves; returns an exit code, or -1 to run on. */
static int serve_client(struct server *sv)
{
	enum gdb_client_state st = gdb_client_serve(sv->client);
	int code = sv->client->exit_code;

	gdb_client_close(sv->client); /* its breakpoints go: the machine runs on without them */
	free(sv->client);
	sv->client = NULL;
	if (st == GDB_CLIENT_EXITED)
		return code;
	if (st == GDB_CLIENT_KILLED)
		return EXIT_INTERRUPTED;
	return -1;
}

static int serve(struct server *sv)
{
	struct dbg *d = sv->s->dbg;

	for (;;) {
		if (sv->client) {
			int code = serve_client(sv);
			if (code >= 0)
				return code;
		}
		if (dbg_exited(d))
			return dbg_last_stop(d)->exit_code;
		/* No gdb: run. Its own stops (monitor catchpoints) wait for no one. */
		struct dbg_stop st = dbg_continue(d);
		if (st.kind == DBG_STOP_EXITED)
			return st.exit_code;
		if (st.kind == DBG_STOP_ERROR) {
			fprintf(stderr, "hvsim: %s\n", st.text);
			return st.exit_code != EXIT_OK ? st.exit_code : EXIT_SIM_FAULT;
		}
	}
}

static void describe_where(const struct where *w, char *buf, size_t n)
{
	if (w->is_unix)
		snprintf(buf, n, "unix:%s", w->path);
	else
		snprintf(buf, n, "localhost:%u", w->port);
}

int gdbstub_run(struct dbg_session *s, const struct gdbstub_opts *o)
{
	struct server sv = { .s = s, .listen_fd = -1 };
	char err[200], where[sizeof sv.where.path + 8];

	if (!parse_where(o->where, &sv.where, err, sizeof err)) {
		fprintf(stderr, "hvsim: --gdb '%s': %s\n", o->where, err);
		return EXIT_USAGE;
	}
	sv.listen_fd = sv.where.is_unix ? listen_unix(&sv.where, err, sizeof err)
					: listen_tcp(&sv.where, err, sizeof err);
	if (sv.listen_fd < 0) {
		fprintf(stderr, "hvsim: --gdb: %s\n", err);
		return EXIT_USAGE;
	}
	describe_where(&sv.where, where, sizeof where);
	fprintf(stderr, "hvsim: gdb: listening on %s%s\n", where,
		o->wait ? "; waiting for 'target remote' before the first instruction" : "");
	if (o->wait && !server_accept(&sv, true)) {
		fprintf(stderr, "hvsim: --gdb: accepting a connection: %s\n", strerror(errno));
		server_close(&sv);
		return EXIT_USAGE;
	}
	s->in_gdb = true; /* monitor commands that would run the machine are gdb's to give */
	dbg_set_poll(s->dbg, server_poll, &sv);
	int code = serve(&sv);
	dbg_set_poll(s->dbg, NULL, NULL);
	server_close(&sv);
	return code;
}
