/*
 * The built-in debugger's front end (cli.h): scripts, batch mode and the interactive prompt.
 * Line editing and history come from libedit's readline-compatible API.
 */
#include "sim/debug/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "sim/exitcode.h"

#define PROMPT "(hvsim) "
#define HISTORY_FILE ".hvsim_history"
#define HISTORY_MAX 1000

/* ---- Ctrl-C: interrupt a running machine ---- */

static struct dbg *volatile interrupt_target;

static void on_sigint(int sig)
{
	(void)sig;
	if (interrupt_target)
		dbg_interrupt(interrupt_target); /* async-signal-safe (engine.h) */
}

/* While a command runs, Ctrl-C stops the machine at the next instruction boundary. */
static enum dbg_cmd_result run_interruptible(struct dbg_session *s, const char *line, FILE *out)
{
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	enum dbg_cmd_result r;

	sigemptyset(&sa.sa_mask);
	interrupt_target = s->dbg;
	sigaction(SIGINT, &sa, &old);
	r = dbg_command(s, line, out);
	sigaction(SIGINT, &old, NULL);
	interrupt_target = NULL;
	return r;
}

/* ---- the session's result ---- */

static int session_exit_code(struct dbg_session *s)
{
	if (dbg_exited(s->dbg))
		return dbg_last_stop(s->dbg)->exit_code;
	if (dbg_last_stop(s->dbg)->kind == DBG_STOP_ERROR)
		return EXIT_SIM_FAULT;
	return EXIT_INTERRUPTED;
}

/* ---- scripts ---- */

/*
 * Run one script line, echoed after the prompt. Its output is collected first so that an error
 * line can be prefixed with where it came from ("FILE:LINE: x: bad address 'foo'").
 */
static enum dbg_cmd_result script_line(struct dbg_session *s, const char *where, const char *line,
				       FILE *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *buf;
	enum dbg_cmd_result r;

	if (line[strspn(line, " \t")] == 0 || line[strspn(line, " \t")] == '#')
		return DBG_CMD_OK; /* blank lines and comments: nothing to echo or run */
	buf = open_memstream(&text, &len);
	fprintf(out, PROMPT "%s\n", line);
	fflush(out);
	if (!buf)
		return dbg_command(s, line, out);
	r = run_interruptible(s, line, buf);
	fclose(buf);
	if (r == DBG_CMD_ERROR && where)
		fprintf(out, "%s: ", where);
	fwrite(text, 1, len, out);
	fflush(out);
	free(text);
	return r;
}

static void chomp(char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
}

/* Run a script; returns DBG_CMD_QUIT, DBG_CMD_ERROR (at its first error) or DBG_CMD_OK. */
static enum dbg_cmd_result run_script(struct dbg_session *s, const char *path, FILE *out,
				      bool *unreadable)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, where[512];
	size_t cap = 0;
	unsigned lineno = 0;
	enum dbg_cmd_result r = DBG_CMD_OK;

	*unreadable = !f;
	if (!f) {
		fprintf(out, "%s: cannot read the script: %s\n", path, strerror(errno));
		return DBG_CMD_ERROR;
	}
	while (r == DBG_CMD_OK && getline(&line, &cap, f) >= 0) {
		lineno++;
		chomp(line);
		snprintf(where, sizeof where, "%s:%u", path, lineno);
		r = script_line(s, where, line, out);
	}
	free(line);
	fclose(f);
	return r;
}

/* ---- interactive ---- */

static char *history_path(void)
{
	const char *home = getenv("HOME");
	size_t n = home ? strlen(home) + sizeof HISTORY_FILE + 1 : 0;
	char *path = n ? malloc(n) : NULL;

	if (path)
		snprintf(path, n, "%s/%s", home, HISTORY_FILE);
	return path;
}

/* One line from the user: libedit on a terminal, else plain lines echoed like a script. */
static char *read_command(bool tty, FILE *out)
{
	char *line = NULL;
	size_t cap = 0;

	if (tty)
		return readline(PROMPT);
	if (getline(&line, &cap, stdin) < 0) {
		free(line);
		return NULL;
	}
	chomp(line);
	fprintf(out, PROMPT "%s\n", line);
	return line;
}

/* An empty line repeats the last command that moves the machine (gdb's convention). */
static const char *with_repeat(const char *line, char *last, size_t n)
{
	if (!*line || strspn(line, " \t") == strlen(line))
		return *last ? last : line;
	if (dbg_command_repeats(line))
		snprintf(last, n, "%s", line);
	else
		last[0] = 0;
	return line;
}

static void interact(struct dbg_session *s, FILE *out)
{
	bool tty = isatty(STDIN_FILENO);
	char *hist = tty ? history_path() : NULL, last[256] = "";

	if (hist) {
		stifle_history(HISTORY_MAX);
		read_history(hist);
	}
	for (;;) {
		char *line = read_command(tty, out);
		if (!line) {
			if (tty)
				fputc('\n', out);
			break;
		}
		if (tty && *line)
			add_history(line);
		enum dbg_cmd_result r = run_interruptible(s, with_repeat(line, last, sizeof last), out);
		free(line);
		fflush(out);
		if (r == DBG_CMD_QUIT)
			break;
	}
	if (hist)
		write_history(hist);
	free(hist);
}

/* Where the machine is when the prompt first appears (the last stop, at the current RIP). */
static void print_position(struct dbg_session *s, FILE *out)
{
	struct dbg_stop st = *dbg_last_stop(s->dbg);

	st.rip = dbg_reg(s->dbg, UC_X86_REG_RIP);
	st.vtime = dbg_machine(s->dbg)->cpu.vtime;
	dbg_print_stop(s, &st, out);
}

int dbg_cli_main(struct dbg_session *s, const char *script, bool batch, FILE *out)
{
	if (script) {
		bool unreadable;
		enum dbg_cmd_result r = run_script(s, script, out, &unreadable);
		if (unreadable || (r == DBG_CMD_ERROR && batch))
			return EXIT_USAGE;
		if (r == DBG_CMD_QUIT)
			return session_exit_code(s);
	}
	if (!batch) {
		if (!script)
			print_position(s, out);
		interact(s, out);
	}
	return session_exit_code(s);
}
