/* A 16550 UART as QEMU's pc machine has on COM1 (0x3f8): transmit only, always ready. */
#ifndef HVSIM_SIM_UART_H
#define HVSIM_SIM_UART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define COM1_BASE 0x3f8

/*
 * Transmitted bytes go to 'out', or, when 'sink' is set, to sink(sink_ctx, byte) instead (hvsim
 * migrate reads hv's statistics lines from COM1 this way and passes the console on itself).
 */
struct uart {
	FILE *out;
	void (*sink)(void *ctx, uint8_t byte);
	void *sink_ctx;
	uint8_t ier, lcr, mcr, scratch, dll, dlm;
	uint64_t bytes;
	/* Bytes 0..mute-1 are not passed on: a debugger re-running the machine has shown them. */
	uint64_t mute;
};

uint32_t uart_read(struct uart *u, unsigned reg);
void uart_write(struct uart *u, unsigned reg, uint8_t value);

#endif
