# berth build. The build tree has the installed layout (bin/, libexec/berth/), so the binaries
# run where they are built. O= puts the whole tree elsewhere (make check builds the sanitizer
# tree in build/san).
#
#   make                  build (hardened, -Werror)
#   make SANITIZE=1       build with ASan + UBSan (use with O=$(CURDIR)/build/san)
#   make check            deps, build, unit + fuzz-smoke + integration, then all again under ASan
#   make demo             deps, build, demo image, berth info through every worker
#   make install PREFIX=/usr/local DESTDIR=

VERSION := 0.1.0
O ?= $(CURDIR)
SANITIZE ?= 0
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
FUZZ_CC ?= clang
PKG_CONFIG ?= pkg-config

HARDEN_CFLAGS := -O2 -g -Wall -Wextra -Werror -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
	-fstack-clash-protection -fcf-protection -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now,-z,noexecstack

ifeq ($(SANITIZE),1)
# ASan wants to see the real libc calls, so FORTIFY is turned off in this build only.
SAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -U_FORTIFY_SOURCE -DBERTH_SANITIZE=1
SAN_LDFLAGS := -fsanitize=address,undefined
endif

BASE_CFLAGS := -std=gnu11 -I. -D_GNU_SOURCE -DBERTH_VERSION='"$(VERSION)"' \
	$(HARDEN_CFLAGS) $(SAN_CFLAGS) -MMD -MP
override CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
override LDFLAGS := $(HARDEN_LDFLAGS) $(SAN_LDFLAGS) $(LDFLAGS)

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs = $(shell $(PKG_CONFIG) --libs $(1))

# Libraries, each linked only into the binaries that use it (STYLE.md 11).
PKG_IPC := msgpack
PKG_SANDBOX := libseccomp libcap-ng
PKG_FRONTEND := $(PKG_IPC) jansson libcrypto
PKG_BROKER := $(PKG_IPC) libevent sqlite3 libcrypto jansson
PKG_FETCH := libcurl openssl jansson
PKG_VERIFY := jansson gpgme openssl
PKG_UNPACK := libarchive libcrypto
ALL_PKGS := msgpack libseccomp libcap-ng libselinux libevent gpgme libcurl openssl cmocka \
	jansson libarchive sqlite3 yaml-0.1

override CFLAGS += $(call pc_cflags,$(ALL_PKGS))

src_of = $(sort $(wildcard $(1)/*.c))
obj_of = $(patsubst %.c,$(O)/obj/%.o,$(1))

COMMON_OBJS := $(call obj_of,$(call src_of,common))
IPC_OBJS := $(call obj_of,$(call src_of,ipc))
SANDBOX_OBJS := $(call obj_of,$(call src_of,sandbox))
FRONTEND_OBJS := $(call obj_of,$(call src_of,frontend))
BROKER_OBJS := $(call obj_of,$(call src_of,broker))
WORKER_BASE_OBJS := $(call obj_of,$(call src_of,workers/common)) $(SANDBOX_OBJS) $(IPC_OBJS) \
	$(COMMON_OBJS)

WORKERS := fetch verify unpack netsetup launch
BIN := $(O)/bin/berth
LIBEXEC := $(O)/libexec/berth
WORKER_BINS := $(addprefix $(LIBEXEC)/berth-,$(WORKERS))
ALL_BINS := $(BIN) $(LIBEXEC)/berth-broker $(WORKER_BINS) $(LIBEXEC)/berth-pause

.PHONY: all
all: $(ALL_BINS)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Seccomp allowlists are compiled in with .incbin: rebuild when a policy file changes. (Explicit
# rules: a pattern rule without a recipe would cancel the compile rule instead.)
$(foreach w,$(WORKERS) pause,$(eval $(O)/obj/workers/$(w)/policy.o: workers/$(w)/seccomp.policy))
$(O)/obj/sandbox/sanitizer_policy.o: sandbox/sanitizer.policy
$(O)/obj/sandbox/seccomp.o: sandbox/base.policy
# berth's default container seccomp profile, embedded the same way.
$(O)/obj/policy/seccomp_profile.o: policy/container.seccomp

$(BIN): $(FRONTEND_OBJS) $(IPC_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_FRONTEND))

$(LIBEXEC)/berth-broker: $(BROKER_OBJS) $(IPC_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_BROKER))

$(LIBEXEC)/berth-fetch: $(call obj_of,$(call src_of,workers/fetch)) $(WORKER_BASE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_IPC) $(PKG_SANDBOX) $(PKG_FETCH))

$(LIBEXEC)/berth-verify: $(call obj_of,$(call src_of,workers/verify)) $(WORKER_BASE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_IPC) $(PKG_SANDBOX) $(PKG_VERIFY))

$(LIBEXEC)/berth-unpack: $(call obj_of,$(call src_of,workers/unpack)) $(WORKER_BASE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_IPC) $(PKG_SANDBOX) $(PKG_UNPACK))

$(LIBEXEC)/berth-netsetup: $(call obj_of,$(call src_of,workers/netsetup)) $(WORKER_BASE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_IPC) $(PKG_SANDBOX))

$(LIBEXEC)/berth-launch: $(call obj_of,$(call src_of,workers/launch)) $(WORKER_BASE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_IPC) $(PKG_SANDBOX))

# berth-pause: no IPC at all, just the sandbox.
$(LIBEXEC)/berth-pause: $(call obj_of,$(call src_of,workers/pause)) $(SANDBOX_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_SANDBOX))

# ---------------------------------------------------------------- tests

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRCS))
# Pure parsers inside workers (no syscalls beyond what their module says), linked into the unit
# tests and the fuzz harnesses as well as their worker.
PURE_SRCS := $(sort $(wildcard workers/verify/manifest.c workers/fetch/wwwauth.c \
	workers/unpack/extract.c workers/unpack/pack.c workers/unpack/stage.c policy/*.c))
PURE_OBJS := $(call obj_of,$(PURE_SRCS))
UNIT_LIB_OBJS := $(SANDBOX_OBJS) $(IPC_OBJS) $(COMMON_OBJS) $(PURE_OBJS) \
	$(filter-out %/main.o,$(BROKER_OBJS) $(FRONTEND_OBJS))

$(O)/tests/unit/test_%: $(O)/obj/tests/unit/test_%.o $(UNIT_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(call pc_libs,cmocka $(PKG_IPC) $(PKG_SANDBOX) $(PKG_BROKER) \
		$(PKG_FRONTEND) $(PKG_VERIFY) $(PKG_UNPACK))

# A misbehaving stand-in worker for test_broker_workers (never installed).
FAKE_WORKER := $(O)/tests/unit/fake-worker
$(FAKE_WORKER): $(O)/obj/tests/unit/fake_worker.o $(IPC_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_IPC))
$(O)/obj/tests/unit/test_broker_workers.o: override CFLAGS += \
	-DFAKE_WORKER_DIR='"$(O)/tests/unit"'
$(O)/tests/unit/test_broker_workers: $(FAKE_WORKER)

# Test tools: small programs that drive one real worker over IPC, as the broker would, so the
# integration tests can aim it at a real registry or a hostile layer (never installed).
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(O)/tests/tools/%,$(TOOL_SRCS))
$(O)/tests/tools/%: $(O)/obj/tests/tools/%.o $(IPC_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_IPC))
tools: $(TOOL_BINS)

.PHONY: test-unit test-integration tools fuzz fuzz-smoke check demo deps bench install clean
# The sandbox sets detect_leaks=0 for sandboxed processes (LeakSanitizer needs ptrace); the
# unit tests are not sandboxed, so leak checking is turned back on for them.
test-unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 $$t; done

test-integration: all $(TOOL_BINS)
	BERTH_TOP=$(abspath $(O)) SANITIZE=$(SANITIZE) tests/integration/run

FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRCS))
FUZZ_PKGS := msgpack jansson libarchive libcrypto
FUZZ_CFLAGS := -std=gnu11 -I. -D_GNU_SOURCE -DBERTH_VERSION='"$(VERSION)"' -DBERTH_FUZZ=1 -g -O1 \
	-fsanitize=fuzzer,address,undefined $(call pc_cflags,$(FUZZ_PKGS))
FUZZ_LIB_SRCS := $(call src_of,ipc) $(call src_of,common) $(PURE_SRCS)

$(O)/fuzz/%: fuzz/%.c $(FUZZ_LIB_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(call pc_libs,$(FUZZ_PKGS))

fuzz: $(FUZZ_BINS)

# Each harness runs for a bounded time from its seed corpus (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 20
fuzz-smoke: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do n=$$(basename $$f); \
		echo "== fuzz-smoke $$n ($(FUZZ_SECONDS)s)"; \
		w=$$(mktemp -d); cp -r fuzz/corpus/$$n/. $$w/; \
		if ! $$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -malloc_limit_mb=256 \
			-print_final_stats=1 $$w fuzz/corpus/$$n >$$w.log 2>&1; then \
			tail -n 40 $$w.log; rm -rf $$w $$w.log; \
			echo "fuzz-smoke: $$n failed"; exit 1; fi; \
		tail -n 3 $$w.log; rm -rf $$w $$w.log; done

deps:
	@scripts/deps.sh

check: deps
	$(MAKE) all
	$(MAKE) test-unit
	$(MAKE) fuzz-smoke
	$(MAKE) test-integration
	$(MAKE) SANITIZE=1 O=$(CURDIR)/build/san all
	$(MAKE) SANITIZE=1 O=$(CURDIR)/build/san test-unit
	$(MAKE) SANITIZE=1 O=$(CURDIR)/build/san test-integration

demo: deps
	$(MAKE) all
	scripts/demo.sh

bench: all
	scripts/bench.sh
	scripts/bench-pull.sh

bench-pull: all
	scripts/bench-pull.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/berth \
		$(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/berth
	install -m 0755 $(LIBEXEC)/berth-* $(DESTDIR)$(PREFIX)/libexec/berth/
	install -m 0644 docs/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf $(O)/obj $(O)/bin $(O)/libexec build
	rm -f $(UNIT_BINS) $(FUZZ_BINS) $(FAKE_WORKER) $(TOOL_BINS)

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
