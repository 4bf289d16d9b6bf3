/* Shared test helpers: running the hvsim binary as a user would, and paths to built images. */
#ifndef HVSIM_TESTS_HARNESS_H
#define HVSIM_TESTS_HARNESS_H

#include <check.h>
#include <stddef.h>

#define SUITE(fn) Suite *fn(void);
#include "tests/lib/suites.def"
#undef SUITE

struct run_result {
	int exit_code;   /* -1 if it did not exit normally (crash, signal) */
	char *out, *err; /* NUL-terminated, malloc'd */
};

/* Run build/hvsim with argv (NULL-terminated, without argv[0]); capture output. */
void run_hvsim(struct run_result *r, const char *const *args);
void run_result_free(struct run_result *r);

/* Run 'hvsim run --hash IMAGE' twice: both must succeed with byte-identical output. */
void expect_deterministic_run(const char *image);

/* Absolute path of a file under the build directory, in a static buffer rotated 4 ways. */
const char *build_path(const char *rel);

/* Broken rules collected over a test, reported together (table-driven suites). */
struct report {
	char *buf;
	size_t len, cap;
	unsigned failures;
};
/* Record one broken rule (a line of the final message). */
void report_broken(struct report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fail the test if any rule broke, listing them; frees the report. */
void report_finish(struct report *rep);

/* Write bytes to a fresh temporary file; returns its path (static buffer rotated 4 ways). */
const char *temp_file(const void *data, size_t len);

#endif
