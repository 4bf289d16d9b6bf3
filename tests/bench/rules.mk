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

# Replay throughput: a uniform-random trace (20M page writes over 64M in 0.2 s of guest time)
# replayed through hv with the PML tracker; `hvsim replay --stats` prints events per second of
# host time and the share of it spent in the trace engine versus hv (target: >= 10M events/s).
BENCH_TRACE := $(BUILD)/tests/bench/uniform.hvt
$(BENCH_TRACE): $(HVSIM)
	@mkdir -p $(@D)
	$(HVSIM) trace gen --pattern uniform --rate 100M --wss 64M --duration 200ms --quantum 10000 -o $@

bench: bench-replay
.PHONY: bench-replay
bench-replay: all $(BENCH_TRACE)
	@echo "replay throughput (target >= 10 M events/s; PML tracker, uniform trace):"
	$(HVSIM) replay $(BENCH_TRACE) --tracker pml --bandwidth 4G --stats > /dev/null
