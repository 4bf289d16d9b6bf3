/* hv's GDT selectors (trap/tables.c), for C and assembly. */
#ifndef HV_TRAP_SELECTORS_H
#define HV_TRAP_SELECTORS_H

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_STAR_SYSRET 0x18 /* SYSRET: SS = this + 8, CS = this + 16 (SDM Vol. 2, SYSRET) */
#define SEL_UDATA (0x20 | 3)
#define SEL_UCODE (0x28 | 3)
#define SEL_TSS 0x30

#endif
