/* A 16550 UART as QEMU's pc machine has on COM1 (0x3f8): transmit only, always ready. */
#ifndef HVSIM_SIM_UART_H
#define HVSIM_SIM_UART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define COM1_BASE 0x3f8

struct uart {
	FILE *out;
	uint8_t ier, lcr, mcr, scratch, dll, dlm;
	uint64_t bytes;
};

uint32_t uart_read(struct uart *u, unsigned reg);
void uart_write(struct uart *u, unsigned reg, uint8_t value);

#endif
