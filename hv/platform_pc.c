/* The PC platform: COM1 (a 16550 UART) and the debug-exit port. */
#include "platform.h"

#include "arch/x86.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0
#define UART_DLM 1
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define LSR_THRE 0x20

/* 115200 8N1, FIFOs on, interrupts off (PC16550D data sheet, register summary). */
void platform_console_init(void)
{
	outb(PC_COM1 + UART_IER, 0);
	outb(PC_COM1 + UART_LCR, LCR_DLAB);
	outb(PC_COM1 + UART_DLL, 1);
	outb(PC_COM1 + UART_DLM, 0);
	outb(PC_COM1 + UART_LCR, LCR_8N1);
	outb(PC_COM1 + UART_FCR, 0x07);
	outb(PC_COM1 + UART_MCR, 0x03);
}

void platform_console_putc(char c)
{
	for (unsigned spin = 0; !(inb(PC_COM1 + UART_LSR) & LSR_THRE) && spin < 100000; spin++)
		;
	outb(PC_COM1 + UART_THR, (uint8_t)c);
}

void platform_exit(unsigned code)
{
	outl(PC_DEBUG_EXIT_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}
