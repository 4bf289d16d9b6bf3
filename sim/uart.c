#include "sim/uart.h"

/* Register offsets (PC16550D data sheet); DLAB = LCR bit 7 selects the divisor latch. */
enum { UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3, UART_MCR = 4,
       UART_LSR = 5, UART_MSR = 6, UART_SCR = 7 };
#define LCR_DLAB 0x80
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IIR_NO_INT 0x01

static void uart_emit(struct uart *u, uint8_t value)
{
	if (u->sink)
		u->sink(u->sink_ctx, value);
	else
		fputc(value, u->out);
}

uint32_t uart_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case UART_RBR_THR:
		return dlab ? u->dll : 0;
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		return IIR_NO_INT;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT; /* transmitter always empty, nothing received */
	case UART_MSR:
		return 0xb0; /* DCD, DSR, CTS */
	default:
		return u->scratch;
	}
}

void uart_write(struct uart *u, unsigned reg, uint8_t value)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case UART_RBR_THR:
		if (dlab) {
			u->dll = value;
		} else {
			if (u->bytes >= u->mute)
				uart_emit(u, value);
			u->bytes++;
		}
		break;
	case UART_IER:
		if (dlab)
			u->dlm = value;
		else
			u->ier = value & 0x0f;
		break;
	case UART_LCR:
		u->lcr = value;
		break;
	case UART_MCR:
		u->mcr = value & 0x1f;
		break;
	case UART_SCR:
		u->scratch = value;
		break;
	default:
		break;
	}
}
