# hv: the portable hypervisor core, a freestanding Multiboot kernel (build/hv/hv.elf).
#   hv.elf              the image (HV_UNSAFE_DEMO=1 on make's command line compiles the unsafe
#                       demo hypercall into it)
#   hv-unsafe-demo.elf  always built with the unsafe demo hypercall, for the SMAP tests
# Linked twice: the second link adds the symbol table generated from the first (gensyms.sh)
# after all other loaded sections, and the build fails if that moved any code.
HV_OUT := $(BUILD)/hv
HV_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdlib -mno-red-zone \
	-fno-pic -fno-pie -mcmodel=kernel -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none -fno-omit-frame-pointer \
	-Ihv -Ihv/include
HV_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -T hv/hv.ld
HV_SRC := $(filter-out hv/hypercall.c,$(shell find hv -name '*.c' -o -name '*.S' | grep -v '^hv/include/' | sort))
HV_OBJ := $(patsubst %,$(HV_OUT)/obj/%.o,$(basename $(HV_SRC)))
HV_UNSAFE_FLAG := $(if $(filter 1,$(HV_UNSAFE_DEMO)),-DHV_UNSAFE_DEMO)

all: $(HV_OUT)/hv.elf $(HV_OUT)/hv-unsafe-demo.elf

$(HV_OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@
$(HV_OUT)/obj/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@
$(HV_OUT)/obj/hypercall-safe.o: hv/hypercall.c
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) $(HV_UNSAFE_FLAG) -MMD -MP -c $< -o $@
$(HV_OUT)/obj/hypercall-unsafe.o: hv/hypercall.c
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) -DHV_UNSAFE_DEMO -MMD -MP -c $< -o $@
$(HV_OUT)/obj/nosyms.o: hv/gensyms.sh
	@mkdir -p $(@D)
	sh hv/gensyms.sh | $(CC) -c -x assembler - -o $@

# $(call hv_link,OUT,HYPERCALL_OBJ)
define hv_link
$(1): $(HV_OBJ) $(2) $(HV_OUT)/obj/nosyms.o hv/hv.ld hv/gensyms.sh
	$(CC) $(HV_CFLAGS) $(HV_LDFLAGS) -o $(1).pass1 $(HV_OBJ) $(2) $(HV_OUT)/obj/nosyms.o
	sh hv/gensyms.sh $(1).pass1 | $(CC) -c -x assembler - -o $(1).syms.o
	$(CC) $(HV_CFLAGS) $(HV_LDFLAGS) -o $(1) $(HV_OBJ) $(2) $(1).syms.o
	nm -n $(1).pass1 | grep ' [tT] ' > $(1).pass1.nm
	nm -n $(1) | grep ' [tT] ' | cmp -s - $(1).pass1.nm || { echo "hv: the symbol table moved code" >&2; rm -f $(1); exit 1; }
endef
$(eval $(call hv_link,$(HV_OUT)/hv.elf,$(HV_OUT)/obj/hypercall-safe.o))
$(eval $(call hv_link,$(HV_OUT)/hv-unsafe-demo.elf,$(HV_OUT)/obj/hypercall-unsafe.o))
