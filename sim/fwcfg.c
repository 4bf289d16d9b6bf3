#include "sim/fwcfg.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

/*
 * Access widths on the legacy port pair. QEMU maps 0x510..0x511 as one 2-byte I/O region whose
 * valid-access rule is "size == 1, or a 16-bit write" (hw/nvram/fw_cfg.c, the "comb" region): a
 * byte read at either port reads data, a 16-bit write at 0x510 selects, and a byte write is a data
 * write, ignored since QEMU 2.4. Any other access fails QEMU's validity check (a 16-bit access at
 * 0x511 is also unaligned for the region), and a read that fails it returns 0
 * (unassigned_mem_read) without reaching the device, so the offset does not move.
 * fw_cfg.rst agrees: the data register is 8 bits wide when it is an I/O port. hvsim does the same,
 * so a guest that works here reads fw_cfg the same way under QEMU.
 */

/* How a built-in item's bytes are made from its value (fw_cfg.rst: IDs and sizes are little-endian,
 * the file directory big-endian, the signature a string). */
enum fwcfg_enc { ENC_BYTES, ENC_LE, ENC_BE };
enum fwcfg_src { SRC_CONST, SRC_RAM_SIZE };

static const struct fwcfg_item_def {
	uint16_t key;
	enum fwcfg_enc enc;
	uint8_t width;
	enum fwcfg_src src;
	uint64_t value;
	const char *bytes;
} fwcfg_items[] = {
	{ FW_CFG_SIGNATURE, ENC_BYTES, 4, SRC_CONST, 0, "QEMU" },
	{ FW_CFG_ID, ENC_LE, 4, SRC_CONST, FW_CFG_VERSION, NULL },
	/* All RAM, both sides of the PCI hole: QEMU's x86 fw_cfg_arch_create stores ms->ram_size. */
	{ FW_CFG_RAM_SIZE, ENC_LE, 8, SRC_RAM_SIZE, 0, NULL },
	{ FW_CFG_NB_CPUS, ENC_LE, 2, SRC_CONST, 1, NULL },
	{ FW_CFG_MAX_CPUS, ENC_LE, 2, SRC_CONST, 1, NULL },
	/* The directory's big-endian file count, 0: no file items (keys >= 0x20) exist. */
	{ FW_CFG_FILE_DIR, ENC_BE, 4, SRC_CONST, 0, NULL },
};
_Static_assert(sizeof fwcfg_items / sizeof fwcfg_items[0] <= FWCFG_MAX_ITEMS, "fwcfg item table");

static void encode(struct fwcfg_item *it, const struct fwcfg_item_def *d, uint64_t value)
{
	assert(d->width <= FWCFG_ITEM_BYTES);
	it->key = d->key;
	it->len = d->width;
	for (unsigned i = 0; i < d->width; i++) {
		unsigned shift = d->enc == ENC_BE ? 8 * (d->width - 1 - i) : 8 * i;
		it->data[i] = d->enc == ENC_BYTES ? (uint8_t)d->bytes[i] : (uint8_t)(value >> shift);
	}
}

void fwcfg_init(struct fwcfg *f, uint64_t ram_size)
{
	memset(f, 0, sizeof *f);
	for (unsigned i = 0; i < sizeof fwcfg_items / sizeof fwcfg_items[0]; i++) {
		const struct fwcfg_item_def *d = &fwcfg_items[i];
		encode(&f->items[f->nitems++], d, d->src == SRC_RAM_SIZE ? ram_size : d->value);
	}
	f->cur = -1;
}

/* The write-channel bit does not name a different item: QEMU masks it off the key. */
static void fwcfg_select(struct fwcfg *f, uint16_t key)
{
	key &= (uint16_t)~FW_CFG_WRITE_CHANNEL;
	f->offset = 0;
	f->cur = -1;
	for (unsigned i = 0; i < f->nitems; i++)
		if (f->items[i].key == key)
			f->cur = (int)i;
}

static uint8_t fwcfg_next_byte(struct fwcfg *f)
{
	if (f->cur < 0 || f->offset >= f->items[f->cur].len)
		return 0;
	return f->items[f->cur].data[f->offset++];
}

static bool is_fwcfg_port(uint16_t port)
{
	return port == FWCFG_PORT_SELECTOR || port == FWCFG_PORT_DATA;
}

void fwcfg_write(struct fwcfg *f, uint16_t port, unsigned size, uint32_t value)
{
	if (port == FWCFG_PORT_SELECTOR && size == 2)
		fwcfg_select(f, (uint16_t)value);
	/* Byte writes are data writes, ignored since QEMU 2.4; other widths are invalid. */
}

uint32_t fwcfg_read(struct fwcfg *f, uint16_t port, unsigned size)
{
	if (!is_fwcfg_port(port) || size != 1)
		return 0;
	return fwcfg_next_byte(f);
}
