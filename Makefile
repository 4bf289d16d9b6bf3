# hvsim build. `make` builds build/hvsim and every guest image; `make test` runs all tests;
# `make test SAN=1` runs them under ASan+UBSan; `make bench` prints benchmarks; `make deps`
# installs the dependencies (it runs by itself when they are missing).

DEPS_PREFIX := $(CURDIR)/.deps
# $(shell) does not see exported variables in make 4.3, so the search path goes on the command.
PKG_CONFIG := PKG_CONFIG_PATH=$(DEPS_PREFIX)/lib/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH)) pkg-config

ifeq ($(SAN),1)
BUILD := $(or $(O),build-san)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD := $(or $(O),build)
SANFLAGS :=
endif

CC := gcc
STAMP := $(BUILD)/.deps-stamp
WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow -Wno-missing-field-initializers
# Expanded when a recipe runs, after $(STAMP) has installed what pkg-config needs.
PKGS := unicorn capstone jansson libzstd zlib libedit sdl2 SDL2_ttf libpng
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS))
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)
CFLAGS = -std=gnu11 -O2 -g $(WARN) -I. $(PKG_CFLAGS) $(SANFLAGS) -MMD -MP
LDFLAGS = $(SANFLAGS) -Wl,-rpath,$(DEPS_PREFIX)/lib -Wl,--dynamic-list=cpu/uc_glue.dynlist
LDLIBS = $(PKG_LIBS) -ldl -lm

HOST_DIRS := cpu vmx sim sim/trace sim/debug sim/view
HOST_SRC := $(filter-out sim/main.c,$(foreach d,$(HOST_DIRS),$(wildcard $(d)/*.c)))
HOST_OBJ := $(HOST_SRC:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libhvsim.a
HVSIM := $(BUILD)/hvsim

# ---- guest images (freestanding x86-64 ELF, host gcc/ld, no cross toolchain) ----
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdlib -mno-red-zone \
	-fno-pic -fno-pie -no-pie -mcmodel=small -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none -Iworkloads/lib -Ihv/include
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
WORKLOAD_LIB_SRC := $(wildcard workloads/lib/*.c workloads/lib/*.S)
WORKLOADS := $(patsubst workloads/%/main.c,%,$(wildcard workloads/*/main.c))
WORKLOAD_ELF := $(WORKLOADS:%=$(BUILD)/workloads/%.elf)
TEST_GUEST_SRC := $(wildcard tests/guests/*.c)
TEST_GUEST_ELF := $(TEST_GUEST_SRC:tests/guests/%.c=$(BUILD)/tests/guests/%.elf)
GUESTS := $(WORKLOAD_ELF) $(TEST_GUEST_ELF)

# ---- tests ----
TEST_SRC := $(wildcard tests/*/test_*.c) tests/lib/runner.c tests/lib/harness.c
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(BUILD)/tests/unit

.PHONY: all deps demo test bench clean distclean
.SECONDARY:
all: $(HVSIM) $(GUESTS)

deps: $(STAMP)
$(STAMP): .ci/deps.sh
	@mkdir -p $(@D)
	bash .ci/deps.sh $(DEPS_PREFIX)
	@touch $@

$(BUILD)/obj/%.o: %.c | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(HOST_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(HVSIM): $(BUILD)/obj/sim/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/guest/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/guest/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

WORKLOAD_LIB_OBJ := $(patsubst %,$(BUILD)/guest/%.o,$(basename $(WORKLOAD_LIB_SRC)))
$(BUILD)/workloads/%.elf: $(BUILD)/guest/workloads/%/main.o $(WORKLOAD_LIB_OBJ) workloads/lib/guest.ld
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -T workloads/lib/guest.ld -o $@ $(filter %.o,$^)
$(BUILD)/tests/guests/%.elf: $(BUILD)/guest/tests/guests/%.o $(WORKLOAD_LIB_OBJ) workloads/lib/guest.ld
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -T workloads/lib/guest.ld -o $@ $(filter %.o,$^)

$(BUILD)/obj/tests/%.o: CFLAGS += $(CHECK_CFLAGS) -DHVSIM_BUILD_DIR='"$(CURDIR)/$(BUILD)"'
$(TEST_BIN): $(TEST_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

test: all $(TEST_BIN)
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1 \
		CK_DEFAULT_TIMEOUT=120 $(TEST_BIN)

# The README's first command: set up, build, and run the main job.
demo: all
	$(HVSIM) migrate --guest memstress --tracker all


clean:
	rm -rf build build-san
distclean: clean
	rm -rf .deps

# Rule fragments that belong to one topic (test guests, benchmarks) live beside their sources.
include $(wildcard tests/*/rules.mk) hv/rules.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
