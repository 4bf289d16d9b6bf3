/*
 * QEMU's firmware configuration device (fw_cfg), legacy I/O-port interface only, as QEMU's pc
 * machine has it: a 16-bit selector at 0x510 and an 8-bit data register at 0x511
 * (QEMU docs/specs/fw_cfg.rst). No DMA interface: FW_CFG_ID says "traditional interface only",
 * and nothing decodes port 0x514.
 */
#ifndef HVSIM_SIM_FWCFG_H
#define HVSIM_SIM_FWCFG_H

#include <stdint.h>

#define FWCFG_PORT_SELECTOR 0x510
#define FWCFG_PORT_DATA 0x511

/* Selector keys (fw_cfg.rst, "Firmware Configuration Items"; the rest from QEMU's fw_cfg_keys.h). */
enum fwcfg_key {
	FW_CFG_SIGNATURE = 0x0000, /* "QEMU" */
	FW_CFG_ID = 0x0001,        /* u32 LE feature bitmap */
	FW_CFG_RAM_SIZE = 0x0003,  /* u64 LE */
	FW_CFG_NB_CPUS = 0x0005,   /* u16 LE */
	FW_CFG_MAX_CPUS = 0x000f,  /* u16 LE */
	FW_CFG_FILE_DIR = 0x0019,  /* u32 BE count, then 64-byte BE entries */
};

/* Selector bits: 14 = write channel (ignored since QEMU 2.4), 15 = architecture-specific item. */
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL 0x8000

/* FW_CFG_ID bits. */
#define FW_CFG_VERSION 0x01     /* bit 0: traditional interface, always set */
#define FW_CFG_VERSION_DMA 0x02 /* bit 1: DMA interface (not provided) */

#define FWCFG_MAX_ITEMS 8
#define FWCFG_ITEM_BYTES 8 /* longest item hvsim provides */

struct fwcfg_item {
	uint16_t key;
	uint8_t len;
	uint8_t data[FWCFG_ITEM_BYTES];
};

struct fwcfg {
	struct fwcfg_item items[FWCFG_MAX_ITEMS];
	unsigned nitems;
	int cur;         /* index into items of the selected item; -1: the key names no item */
	uint32_t offset; /* data offset within the selected item */
};

void fwcfg_init(struct fwcfg *f, uint64_t ram_size);

/*
 * Port accesses with the access width in bytes. As in QEMU, the two ports are one 2-byte region:
 * a 16-bit write at 0x510 selects a key; a byte read at either port returns the next data byte
 * (0 past the end); byte writes are ignored (QEMU >= 2.4). Every other width QEMU rejects as an
 * invalid access: reads return 0 and nothing advances, writes are ignored. See fwcfg.c.
 */
void fwcfg_write(struct fwcfg *f, uint16_t port, unsigned size, uint32_t value);
uint32_t fwcfg_read(struct fwcfg *f, uint16_t port, unsigned size);

#endif
