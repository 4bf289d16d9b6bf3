/* hvsim's exit codes, as documented in README.md and `hvsim --help`. */
#ifndef HVSIM_SIM_EXITCODE_H
#define HVSIM_SIM_EXITCODE_H

enum hvsim_exit {
	EXIT_OK = 0,          /* success (the guest reported success, or exited with 0) */
	EXIT_GUEST_FAIL = 1,  /* the guest reported failure */
	EXIT_USAGE = 2,       /* bad options or input files */
	EXIT_SIM_FAULT = 3,   /* the simulated machine stopped abnormally (triple fault, ...) */
	EXIT_INTERRUPTED = 4, /* the user stopped the run before its end (a view's q, a debugger's kill) */
};

#endif
