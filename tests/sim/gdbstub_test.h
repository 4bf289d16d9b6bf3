/*
 * What the gdb stub's tests share (tests/sim/test_gdbstub*.c): an hvsim serving gdb in the
 * background, the smap-demo scenario it serves, nm as an oracle, and a raw RSP client.
 */
#ifndef HVSIM_TESTS_SIM_GDBSTUB_TEST_H
#define HVSIM_TESTS_SIM_GDBSTUB_TEST_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One `hvsim run|migrate --gdb unix:SOCK ...` in the background, its output in files of its own. */
struct stub {
	pid_t pid;
	char dir[64];
	char sock[128], out[128], err[128];
	int exit_code; /* after stub_finish */
};

/*
 * Start `hvsim SUB --gdb WHERE [--wait] ARGS...` (SUB: run or migrate); WHERE is unix:s->sock,
 * a fresh socket, unless where_opt says otherwise.
 */
void stub_start(struct stub *s, const char *sub, const char *where_opt, bool wait,
		const char *const *args);
/* The smap-demo scenario (tests/hv/test_hv.c): hv-unsafe-demo with the smap-demo guest. */
void stub_start_smap_demo(struct stub *s);
/* Wait (bounded) until it listens; fails the test with its stderr if it exited first. */
void stub_wait_listening(const struct stub *s);
/* Wait for hvsim to exit; fills s->exit_code, reads its stdout into *out (malloc'd) if asked. */
void stub_finish(struct stub *s, char **out);

/* The whole of a file (malloc'd, NUL-terminated); "" if it cannot be read. */
char *slurp_file(const char *path);
/* A symbol's [start, end) from nm -S (an oracle independent of gdb and hvsim). */
bool nm_symbol(const char *elf, const char *name, uint64_t *start, uint64_t *end);
/* The function containing addr, by nm -S; "" if none. */
void nm_function_at(const char *elf, uint64_t addr, char *name, size_t n);

/* ---- a raw RSP client (test_gdbstub.c) ---- */
/* The modulo-256 sum of a packet's data ("Overview"), computed here, not by the stub. */
unsigned checksum(const char *data, size_t n);
void put(int fd, const void *buf, size_t n);
void put_packet(int fd, const char *data, size_t n);
char get_byte(int fd);
/* Connect to hvsim's socket (replies awaited with a generous bound against hangs). */
int client_connect(const char *path);
/* The next packet's data (acknowledged), its checksum checked; buf holds cap bytes. */
size_t get_packet(int fd, char *buf, size_t cap);
/* Send a request; return its reply's length. O packets before it are appended to 'console'. */
size_t ask(int fd, const char *req, char *reply, size_t cap, char *console, size_t ccap);
/* The same, the reply in a static buffer. */
const char *askr(int fd, const char *req);

void gdbstub_add_raw_tests(Suite *s);  /* test_gdbstub_raw.c */
void gdbstub_add_gdb_tests(Suite *s);  /* test_gdbstub_gdb.c */

#endif
