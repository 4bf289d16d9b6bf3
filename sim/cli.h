/* The hvsim command line: subcommands, shared option parsing, and usage errors. */
#ifndef HVSIM_SIM_CLI_H
#define HVSIM_SIM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#define HVSIM_VERSION "0.1.0"

struct command {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

extern const struct command commands[];

/* Print "hvsim SUB: message" and a hint to stderr; returns EXIT_USAGE. */
int usage_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * getopt_long (opterr = 0, options string starting with ':') returned ':' (a value missing) or
 * '?' (an unknown option): the usage error for argv[optind - 1].
 */
int usage_getopt(const char *sub, int c, char **argv);

/* Sizes: a number with an optional K, M, G or T suffix (powers of 1024). */
bool parse_size(const char *s, uint64_t *out);
/* Counts: a number with an optional k, M or G suffix (powers of 1000). */
bool parse_count(const char *s, uint64_t *out);
/* --log: a comma-separated list of faults, events, vmx, ORed into *log (enum cpu_log bits). */
bool parse_log_list(const char *s, unsigned *log);

int cmd_run(int argc, char **argv);
int cmd_debug(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_trace(int argc, char **argv);

#endif
