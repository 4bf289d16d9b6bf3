# `make bench`: guest instructions per second in hvsim against bare Unicorn (tests/bench/).
# The guest loops are assembled into the host program and copied into both engines' RAM.
BENCH_BIN := $(BUILD)/tests/bench_cpu
BENCH_OBJ := $(BUILD)/obj/tests/bench/bench_cpu.o $(BUILD)/obj/tests/bench/bench_guest.o

$(BUILD)/obj/tests/bench/%.o: tests/bench/%.S | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BENCH_BIN): $(BENCH_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench
bench: all $(BENCH_BIN)
	$(BENCH_BIN)
