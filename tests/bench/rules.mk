# `make bench`: guest instructions per second in hvsim against bare Unicorn (tests/bench/), and
# the cost of a VM exit round trip. The CPU benchmark's loops are assembled into the host program
# and copied into both engines' RAM; the round trip runs a guest image in a whole machine.
BENCH_BIN := $(BUILD)/tests/bench_cpu
BENCH_OBJ := $(BUILD)/obj/tests/bench/bench_cpu.o $(BUILD)/obj/tests/bench/bench_guest.o

$(BUILD)/obj/tests/bench/%.o: tests/bench/%.S | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BENCH_BIN): $(BENCH_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

BENCH_VMEXIT_BIN := $(BUILD)/tests/bench_vmexit
BENCH_VMEXIT_GUEST := $(BUILD)/tests/bench/vmcall_guest.elf
all: $(BENCH_VMEXIT_GUEST)

.PHONY: bench
bench: all $(BENCH_BIN) $(BENCH_VMEXIT_BIN)
	$(BENCH_BIN)
	$(BENCH_VMEXIT_BIN) $(BENCH_VMEXIT_GUEST)

$(BENCH_VMEXIT_BIN): $(BUILD)/obj/tests/bench/bench_vmexit.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_VMEXIT_GUEST): $(BUILD)/guest/tests/bench/vmcall_guest.o $(WORKLOAD_LIB_OBJ) workloads/lib/guest.ld
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -T workloads/lib/guest.ld -o $@ $(filter %.o,$^)
