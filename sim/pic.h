/*
 * The PC's pair of 8259A interrupt controllers: master at 0x20/0x21, slave at 0xa0/0xa1, the
 * slave's INT output wired to the master's IR2. Modelled from the Intel 8259A data sheet
 * (order no. 231468), in the 8086 (x86) mode PCs use: ICW1-ICW4 initialisation, OCW1 mask,
 * OCW2 EOI/rotation, OCW3 register select, poll and special mask mode.
 * Not modelled: level-triggered inputs (ICW1.LTIM is stored, inputs stay edge-triggered), the
 * PIIX ELCR registers (0x4d0/0x4d1), MCS-80/85 call-vector mode and buffered mode (ICW4.BUF, M/S).
 */
#ifndef HVSIM_SIM_PIC_H
#define HVSIM_SIM_PIC_H

#include <stdbool.h>
#include <stdint.h>

#define PIC_MASTER_CMD 0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD 0xa0
#define PIC_SLAVE_DATA 0xa1
#define PIC_CASCADE_IRQ 2 /* the master input the slave drives */
#define PIC_IRQS 16

/* One 8259A. */
struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t lines;       /* level of each IR input, for edge detection */
	uint8_t vector_base; /* ICW2 bits 7:3 */
	uint8_t icw3;        /* master: inputs with a slave; slave: its ID */
	uint8_t icw1, icw4;
	uint8_t init_step;   /* next ICW expected on the data port; 0: initialised */
	uint8_t lowest;      /* IR with the lowest priority (7 until rotated) */
	bool read_isr;       /* OCW3 RR/RIS: the command port reads ISR, else IRR */
	bool poll;           /* OCW3 P: the next command-port read is a poll */
	bool special_mask;   /* OCW3 ESMM/SMM */
	bool rotate_aeoi;    /* OCW2 rotate-in-automatic-EOI mode */
};

struct pic {
	struct pic_chip master, slave;
};

/* Power-on state: the data sheet leaves it undefined before ICW1; hvsim masks every input. */
void pic_init(struct pic *p);

/* 8-bit port access; port is one of the four PIC_* ports. */
uint8_t pic_read(struct pic *p, uint16_t port);
void pic_write(struct pic *p, uint16_t port, uint8_t value);

/* IRQ lines 0-15 (8-15 on the slave). A request is latched in IRR on a rising edge. */
void pic_raise(struct pic *p, unsigned irq);
void pic_lower(struct pic *p, unsigned irq);

/* The vector an INTA cycle would return now, or -1 if the pair is not asserting INT. */
int pic_pending_vector(const struct pic *p);

/*
 * The INTA cycle: the chosen request moves from IRR to ISR (unless automatic EOI) and its vector
 * is returned. With no request left, the chip answers IR7 without setting ISR (the data sheet's
 * spurious interrupt).
 */
int pic_acknowledge(struct pic *p);

#endif
