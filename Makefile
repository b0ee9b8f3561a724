# ktstr-vmm: the one Makefile. `make` builds into build/; `make check` runs everything that
# proves the project works (unit and harness tests plain and under ASan+UBSan, the fuzzers
# for a bounded time when clang is present).

CC      ?= gcc
O       ?= build
SAN     ?= 0
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.0.0-dev)

WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wundef \
        -Wwrite-strings -Wshadow
BASE_CFLAGS := -std=gnu11 -g $(WARN) -I. -D_GNU_SOURCE -fPIE -fstack-protector-strong \
               -DKTSTR_VERSION='"$(VERSION)"'
ifeq ($(SAN),1)
OPT_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
OPT_LDFLAGS := -fsanitize=address,undefined
else
OPT_CFLAGS := -O2 -D_FORTIFY_SOURCE=3
OPT_LDFLAGS :=
endif
CFLAGS  := $(BASE_CFLAGS) $(OPT_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := -pie -Wl,-z,relro,-z,now $(OPT_LDFLAGS)

IPC_SRC     := $(wildcard ipc/*.c)
POLICY_SRC  := $(wildcard policy/*.c)
DEVPROC_SRC := $(filter-out devproc/main.c,$(wildcard devproc/*.c))
VMM_SRC     := $(filter-out vmm/main.c,$(wildcard vmm/*.c vmm/*/*.c))
INITGEN_SRC := $(wildcard initgen/*.c)
RUNNER_SRC  := $(filter-out runner/main.c,$(wildcard runner/*.c))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIBIPC     := $(O)/libipc.a
LIBPOLICY  := $(O)/libpolicy.a
LIBDEVPROC := $(O)/libdevproc.a
LIBVMM     := $(O)/libvmm.a
LIBINITGEN := $(O)/libinitgen.a
LIBKTSTR   := $(O)/libktstr.a
LIBRUNNER  := $(O)/librunner.a
RUNNER     := $(O)/ktstr-run
VMM        := $(O)/ktstr-vmm
DEVPROC    := $(O)/ktstr-devproc
GUEST_INIT := $(O)/ktstr-init

UNIT_TESTS := $(patsubst tests/unit/%.c,$(O)/tests/%,$(wildcard tests/unit/test_*.c)) \
              $(patsubst tests/harness/%.c,$(O)/tests/%,$(wildcard tests/harness/test_*.c))
PROBE      := $(O)/tests/sandbox_probe

.PHONY: test-runner all demo bench bench-boot bench-host bench-peers bench-blk-harness bench-blk-guest bench-initramfs check unit-tests run-unit test-json-get check-figures e2e lint fuzz run-fuzz clean
all: $(VMM) $(DEVPROC) $(GUEST_INIT) $(RUNNER)

V ?= 0
ifeq ($(V),0)
Q := @
endif

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIBIPC): $(call obj,$(IPC_SRC))
	$(AR) rcs $@ $^
$(LIBPOLICY): $(call obj,$(POLICY_SRC))
	$(AR) rcs $@ $^

$(LIBDEVPROC): $(call obj,$(DEVPROC_SRC))
	$(AR) rcs $@ $^
$(LIBVMM): $(call obj,$(VMM_SRC))
	$(AR) rcs $@ $^
$(LIBINITGEN): $(call obj,$(INITGEN_SRC))
	$(AR) rcs $@ $^
$(LIBRUNNER): $(call obj,$(RUNNER_SRC))
	$(AR) rcs $@ $^
# The guest library payloads link (guest/ktstr.h); the host tests link it to check the format.
$(LIBKTSTR): $(O)/obj/guest/ktstr.o
	$(AR) rcs $@ $^

$(DEVPROC): $(O)/obj/devproc/main.o $(LIBDEVPROC) $(LIBINITGEN) $(LIBPOLICY) $(LIBIPC)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lcap -lelf -lz -lzstd
$(VMM): $(O)/obj/vmm/main.o $(LIBVMM) $(LIBINITGEN) $(LIBPOLICY) $(LIBIPC)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lcap -lpthread -lelf -lz -lzstd
# ktstr-run parses each test's options with ktstr-vmm's own parser (libvmm's cli.c).
$(RUNNER): $(O)/obj/runner/main.o $(LIBRUNNER) $(LIBVMM) $(LIBINITGEN) $(LIBPOLICY) $(LIBIPC)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lcap -lpthread -lelf -lz -lzstd

# The guest's PID 1: static, and never built with sanitizers (it runs inside the VM).
GUEST_INIT_SRC := guest/init.c guest/init_sched.c guest/init_setup.c guest/ktstr.c
$(GUEST_INIT): $(GUEST_INIT_SRC) guest/abi.h guest/init.h guest/ktstr.h
	$(CC) -std=gnu11 -D_GNU_SOURCE -I. -Os -static $(WARN) -o $@ $(GUEST_INIT_SRC)

# Brings the nested-KVM L1 command's status back to the host (see scripts/nested-kvm).
DEBUG_EXIT := $(O)/tests/isa-debug-exit
$(DEBUG_EXIT): tests/e2e/isa_debug_exit.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -static $(WARN) -o $@ $<
# Keeps an idle VM in the nested L1 guest so the suite's VMs do not flip its static keys.
KVM_HOLDER := $(O)/tests/kvm-holder
$(KVM_HOLDER): tests/e2e/kvm_holder.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -static $(WARN) -o $@ $<
NESTED_TOOLS := $(DEBUG_EXIT) $(KVM_HOLDER)
# The host end of the e2e --stats-socket check (static: it runs in the nested L1 too).
ECHO_SERVER := $(O)/tests/echo-server
$(ECHO_SERVER): tests/e2e/echo_server.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -static $(WARN) -o $@ $<
# Reads one field of a --results file for the e2e checks (static: it runs in the nested L1 too).
JSON_GET := $(O)/tests/json-get
$(JSON_GET): tests/e2e/json_get.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -static $(WARN) -o $@ $<

# The e2e payload ktstr-vmm packs itself: dynamically linked on purpose (libz, libc).
ZPAYLOAD := $(O)/tests/zpayload
$(ZPAYLOAD): tests/e2e/zpayload.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $< -lz

# make demo's payload, packed by ktstr-vmm like any user's (dynamic, with libktstr).
DEMO_PAYLOAD := $(O)/tests/demo-payload
$(DEMO_PAYLOAD): tests/e2e/demo_payload.c guest/ktstr.c guest/ktstr.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -I. -O2 $(WARN) -o $@ tests/e2e/demo_payload.c guest/ktstr.c

# Guest-side programs of the e2e suite: static, packed into the e2e initramfs's /e2e.
E2E_GUEST := $(O)/e2e-guest/netloop $(O)/e2e-guest/tlvsend $(O)/e2e-guest/blkbench $(O)/e2e-guest/hostile_mmio \
             $(O)/e2e-guest/scx_probe
$(O)/e2e-guest/%: tests/e2e/guest/%.c guest/ktstr.c guest/ktstr.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -I. -O2 -static -pthread $(WARN) -o $@ $< guest/ktstr.c

# Tests: each tests/{unit,harness}/test_X.c is one cmocka binary linked with every library.
TEST_LIBS := $(LIBRUNNER) $(LIBVMM) $(LIBDEVPROC) $(LIBINITGEN) $(LIBPOLICY) $(LIBIPC) $(LIBKTSTR)
TEST_SUPPORT := $(addprefix $(O)/obj/tests/support/,iasl.o fake_tree.o bzimage_header.o)
$(O)/tests/%: $(O)/obj/tests/unit/%.o $(TEST_SUPPORT) $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lseccomp -lcap -lpthread -lelf -lz -lzstd
$(O)/tests/%: $(O)/obj/tests/harness/%.o $(O)/obj/tests/harness/virtio_driver.o $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lseccomp -lcap -lpthread -lelf -lz -lzstd
$(PROBE): $(O)/obj/tests/harness/sandbox_probe.o $(LIBPOLICY) $(LIBIPC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lcap
# A device process taken over by the guest, for the harness tests (tests/harness/attacker_devproc.c).
ATTACKER := $(O)/tests/attacker-devproc
$(ATTACKER): $(O)/obj/tests/harness/attacker_devproc.o $(LIBPOLICY) $(LIBIPC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lcap

unit-tests: $(UNIT_TESTS) $(PROBE) $(ATTACKER) $(VMM) $(DEVPROC) $(GUEST_INIT)

# Tests find the binaries they drive through KTSTR_BUILD.
run-unit: unit-tests
	@set -e; for t in $(UNIT_TESTS); do \
		echo "== $$t"; KTSTR_BUILD=$(abspath $(O)) $$t; \
	done

FUZZ_TIME ?= 20
FUZZ_DIR  := $(O)/fuzz
FUZZERS   := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))
$(FUZZ_DIR)/fuzz_ipc_decode: tests/fuzz/fuzz_ipc_decode.c ipc/msg.c ipc/tlv.c ipc/err.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -o $@ $^
$(FUZZ_DIR)/fuzz_virtq: tests/fuzz/fuzz_virtq.c devproc/virtq.c devproc/guest_ram.c ipc/memfd.c ipc/err.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -o $@ $^
$(FUZZ_DIR)/fuzz_tlv: tests/fuzz/fuzz_tlv.c devproc/tlv_parser.c ipc/tlv.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -o $@ $^ -lz
$(FUZZ_DIR)/fuzz_elf_deps: tests/fuzz/fuzz_elf_deps.c initgen/elf_deps.c ipc/msg.c ipc/tlv.c ipc/err.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -o $@ $^ -lelf
$(FUZZ_DIR)/fuzz_serial_parser: tests/fuzz/fuzz_serial_parser.c devproc/serial_parser.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -o $@ $^
$(FUZZ_DIR)/fuzz_register_models: tests/fuzz/fuzz_register_models.c vmm/devices/io_bus.c vmm/devices/uart.c vmm/devices/virtio_mmio.c
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -o $@ $^ -lpthread
fuzz: $(FUZZERS)
run-fuzz: fuzz
	@set -e; for f in $(FUZZERS); do \
		echo "== $$f ($(FUZZ_TIME) s)"; mkdir -p $$f.corpus; \
		$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=0 $$f.corpus >$$f.log 2>&1 \
			|| { tail -40 $$f.log; exit 1; }; \
		grep -E '^#[0-9]+.*DONE' $$f.log | tail -1; \
	done

demo: all $(NESTED_TOOLS) $(DEMO_PAYLOAD)
	@DEMO_SCHEDULER=$(DEMO_SCHEDULER) scripts/demo $(O)

# Real boots of Debian's kernel (natively with /dev/kvm, else nested under QEMU).
E2E_LEVELS ?= standard strict
e2e: all $(NESTED_TOOLS) $(ECHO_SERVER) $(JSON_GET) $(E2E_GUEST) $(ZPAYLOAD)
	tests/e2e/e2e.sh $(O) $(E2E_LEVELS)

# Benchmarks (not part of check), each printing one JSON object: boot timings (median of
# BENCH_RUNS boots), the blk device process without KVM, and virtio-blk in the guest.
BENCH_RUNS ?= 10
BENCH_LEVEL ?= standard
BLK_HARNESS_BENCH := $(O)/tests/bench_blk_harness
$(BLK_HARNESS_BENCH): $(O)/obj/tests/bench/bench_blk_harness.o $(O)/obj/tests/harness/virtio_driver.o $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lseccomp -lcap -lpthread -lelf -lz -lzstd
INITRAMFS_BENCH := $(O)/tests/bench_initramfs
$(INITRAMFS_BENCH): $(O)/obj/tests/bench/bench_initramfs.o $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lcap -lpthread -lelf -lz -lzstd
INITRD_SHARE_BENCH := $(O)/tests/bench_initrd_share
$(INITRD_SHARE_BENCH): $(O)/obj/tests/bench/bench_initrd_share.o $(TEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lseccomp -lcap -lpthread -lelf -lz -lzstd
bench: bench-boot bench-host bench-blk-harness bench-blk-guest bench-initramfs
bench-boot: all $(NESTED_TOOLS) $(E2E_GUEST)
	@tests/bench/bench.sh $(O) $(BENCH_RUNS) $(BENCH_LEVEL)
bench-blk-harness: all $(BLK_HARNESS_BENCH)
	@KTSTR_BUILD=$(abspath $(O)) $(BLK_HARNESS_BENCH) | sed -n '/^{$$/,/^}$$/p'
bench-blk-guest: all $(NESTED_TOOLS) $(E2E_GUEST)
	@tests/bench/blk-bench.sh $(O)
TINY_KERNEL := $(O)/tests/tiny-kernel
$(TINY_KERNEL): tests/bench/tiny_kernel.c tests/support/bzimage_header.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 $(WARN) -I. -o $@ $^
bench-host: all $(TINY_KERNEL) $(JSON_GET)
	@tests/bench/host-bench.sh $(O) $(BENCH_RUNS)
PEER_ROUNDS ?= 9
bench-peers: all $(NESTED_TOOLS)
	@tests/bench/peers-bench.sh $(O) $(PEER_ROUNDS)
bench-initramfs: all $(INITRAMFS_BENCH) $(INITRD_SHARE_BENCH)
	@KTSTR_BUILD=$(abspath $(O)) $(INITRAMFS_BENCH) "$$(scripts/fetch-kernel)/vmlinuz" 2>/dev/null
	@KTSTR_BUILD=$(abspath $(O)) $(INITRD_SHARE_BENCH) "$$(scripts/fetch-kernel)/vmlinuz" 2>/dev/null

# In check: json-get on tricky documents, and the README's stable figures as thresholds.
test-json-get: $(JSON_GET)
	tests/e2e/test_json_get.sh $(JSON_GET)
test-runner: all $(JSON_GET)
	tests/runner/test-runner.sh $(O)
check-figures: all $(INITRD_SHARE_BENCH) $(JSON_GET) $(TINY_KERNEL)
	tests/bench/figures.sh $(O)

check:
	$(MAKE) O=build run-unit
	$(MAKE) O=build/asan SAN=1 run-unit
	$(MAKE) O=build test-json-get test-runner check-figures
	@if command -v clang >/dev/null; then $(MAKE) run-fuzz; \
	else echo "clang not found: fuzzers skipped (scripts/setup installs it)"; fi
	$(MAKE) O=build e2e

LINT_SRC := $(IPC_SRC) $(POLICY_SRC) $(DEVPROC_SRC) $(VMM_SRC) $(INITGEN_SRC) $(RUNNER_SRC) runner/main.c devproc/main.c vmm/main.c guest/init.c guest/init_sched.c guest/init_setup.c \
            guest/ktstr.c
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem -I. -D_GNU_SOURCE \
		$(LINT_SRC)
	clang-tidy --quiet $(LINT_SRC) -- -std=gnu11 -I. -D_GNU_SOURCE
	shellcheck -x $(filter-out %.kconfig,$(wildcard scripts/*)) $$(find tests -name '*.sh')

clean:
	rm -rf build

.SECONDARY:

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
