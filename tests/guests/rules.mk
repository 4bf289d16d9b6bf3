# Multiboot test kernels (tests/guests/mb/): one source, four images.
#   mb1.elf       Multiboot v1, ELF32 (linked as ELF64, converted by objcopy)
#   mb1-aout.bin  Multiboot v1 with address fields (flag bit 16), flat binary
#   mb2.elf       Multiboot2, ELF64
#   mb2-addr.bin  Multiboot2 with address and entry address tags, flat binary
MB_GUEST_OUT := $(BUILD)/tests/guests/mb
MB_GUESTS := $(MB_GUEST_OUT)/mb1.elf $(MB_GUEST_OUT)/mb1-aout.bin $(MB_GUEST_OUT)/mb2.elf \
	$(MB_GUEST_OUT)/mb2-addr.bin
MB_GUEST_LIBS := $(BUILD)/guest/tests/guests/mb/main.o $(BUILD)/guest/workloads/lib/console.o
MB_GUEST_ENTRIES := $(patsubst %,$(MB_GUEST_OUT)/entry-%.o,mb1 mb1-aout mb2 mb2-addr)

all: $(MB_GUESTS)

# A static pattern: a plain entry-%.o pattern also matched entry-mb1.d.o, through which make's
# built-in '%: %.o' rule offered to "remake" the included entry-mb1.d by linking it.
$(MB_GUEST_ENTRIES): $(MB_GUEST_OUT)/entry-%.o: tests/guests/mb/entry.S
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -MMD -MP $(MB_GUEST_DEFS_$*) -c $< -o $@
MB_GUEST_DEFS_mb1 := -DMB_VERSION=1
MB_GUEST_DEFS_mb1-aout := -DMB_VERSION=1 -DMB_ADDRESS_FIELDS
MB_GUEST_DEFS_mb2 := -DMB_VERSION=2
MB_GUEST_DEFS_mb2-addr := -DMB_VERSION=2 -DMB_ADDRESS_FIELDS

$(MB_GUEST_OUT)/%.elf64: $(MB_GUEST_OUT)/entry-%.o $(MB_GUEST_LIBS) tests/guests/mb/mb.ld
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -T tests/guests/mb/mb.ld -o $@ $(filter %.o,$^)

$(MB_GUEST_OUT)/mb1.elf: $(MB_GUEST_OUT)/mb1.elf64
	objcopy -O elf32-i386 $< $@
$(MB_GUEST_OUT)/mb2.elf: $(MB_GUEST_OUT)/mb2.elf64
	cp $< $@
$(MB_GUEST_OUT)/%.bin: $(MB_GUEST_OUT)/%.elf64
	objcopy -O binary $< $@
