#define _GNU_SOURCE
#include "tests/lib/harness.h"

#include <fcntl.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HVSIM_BUILD_DIR
#error "HVSIM_BUILD_DIR must name the build directory"
#endif

const char *build_path(const char *rel)
{
	static char bufs[4][4096];
	static unsigned n;
	char *b = bufs[n++ % 4];
	snprintf(b, sizeof bufs[0], "%s/%s", HVSIM_BUILD_DIR, rel);
	return b;
}

const char *temp_file(const void *data, size_t len)
{
	static char bufs[4][64];
	static unsigned n;
	char *b = bufs[n++ % 4];
	snprintf(b, sizeof bufs[0], "/tmp/hvsim-test-XXXXXX");
	int fd = mkstemp(b);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return b;
}

static char *slurp(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = 0;
	return buf;
}

void run_hvsim(struct run_result *r, const char *const *args)
{
	char out_path[] = "/tmp/hvsim-out-XXXXXX", err_path[] = "/tmp/hvsim-err-XXXXXX";
	int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
	const char *argv[64] = { build_path("hvsim") };
	size_t n = 1;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	while (args[n - 1] && n < 63) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	lseek(out_fd, 0, SEEK_SET);
	lseek(err_fd, 0, SEEK_SET);
	r->out = slurp(out_fd);
	r->err = slurp(err_fd);
	close(out_fd);
	close(err_fd);
	unlink(out_path);
	unlink(err_path);
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
}

void expect_deterministic_run(const char *image)
{
	struct run_result a, b;
	const char *const args[] = { "run", "--hash", build_path(image), NULL };
	run_hvsim(&a, args);
	run_hvsim(&b, args);
	ck_assert_msg(a.exit_code == 0, "%s: exit %d: %s", image, a.exit_code, a.err);
	ck_assert_ptr_nonnull(strstr(a.out, "state-hash: "));
	ck_assert_str_eq(a.out, b.out);
	run_result_free(&a);
	run_result_free(&b);
}

void report_broken(struct report *rep, const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if (rep->len + (size_t)n + 2 > rep->cap) {
		rep->cap = (rep->cap + (size_t)n + 2) * 2;
		rep->buf = realloc(rep->buf, rep->cap);
	}
	memcpy(rep->buf + rep->len, line, (size_t)n);
	rep->len += (size_t)n;
	rep->buf[rep->len++] = '\n';
	rep->buf[rep->len] = 0;
	rep->failures++;
}

void report_finish(struct report *rep)
{
	ck_assert_msg(rep->failures == 0, "%u rule(s) broken:\n%s", rep->failures, rep->buf);
	free(rep->buf);
	*rep = (struct report){ 0 };
}
