# linkhealthd: GNU make only.  Every build output lives under build/.
#
#   make            build build/linkhealthd
#   make run        check the bundled directory once (installs missing deps)
#   make test       build and run every test (installs missing deps)
#   make stress     the libcurl 7.88 out-of-memory reproducers (tests/stress/):
#                   their control runs and our workarounds pass or fail;
#                   whether this libcurl still has each bug is printed, so
#                   an upgrade says when a workaround could go (also run
#                   by make test and make asan)
#   make bench      benchmarks (never part of make test)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS (60) each; fuzz-smoke: 10
#   make install    honours DESTDIR, PREFIX, BINDIR, SYSCONFDIR, UNITDIR

VERSION      := 0.1.0

PREFIX       ?= /usr/local
DESTDIR      ?=
BINDIR       ?= $(PREFIX)/bin
SYSCONFDIR   ?= /etc
DATADIR      ?= $(PREFIX)/share
DOCDIR       ?= $(DATADIR)/doc/linkhealthd
MANDIR       ?= $(DATADIR)/man
UNITDIR      ?= /lib/systemd/system
PKG_CONFIG   ?= pkg-config

CC           ?= cc
BUILD        ?= build

PKGS         := libcurl libuv libcjson libxml-2.0 inih libcares libpsl \
                libcmark libmicrohttpd libidn2 icu-uc icu-i18n libssl
# Debian package that provides each pkg-config module above, in order.
DEB_PKGS     := libcurl4-openssl-dev libuv1-dev libcjson-dev libxml2-dev \
                libinih-dev libc-ares-dev libpsl-dev libcmark-dev \
                libmicrohttpd-dev libidn2-dev libicu-dev libicu-dev \
                libssl-dev

WERROR       ?= -Werror
WARNINGS     := -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes \
                -Wmissing-prototypes -Wformat=2 -Wpointer-arith \
                -Wno-format-nonliteral
CFLAGS       ?= -O2 -g
SANITIZE     ?=
CFLAGS       += -std=gnu11 $(WARNINGS) -MMD -MP $(SANITIZE)
LDFLAGS      += $(SANITIZE)
CPPFLAGS     += -Ilib -DLH_VERSION='"$(VERSION)"' -D_GNU_SOURCE
PKG_CFLAGS    = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS      = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
LDLIBS       += $(PKG_LIBS) -lm

LIB_SRC      := $(sort $(wildcard lib/*.c))
DAEMON_SRC   := $(sort $(wildcard daemon/*.c))
UNIT_SRC     := $(sort $(wildcard tests/unit/test_*.c))

LIB_OBJ      := $(LIB_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ   := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
# The pages beside the man pages, installed with the README.
DOC_PAGES    := doc/status.md doc/prometheus.md doc/dashboard.md
UNIT_BIN     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIB_A        := $(BUILD)/liblinkhealth.a
BIN          := $(BUILD)/linkhealthd

.PHONY: soak all deps test-deps run test unit-bins asan valgrind bench install uninstall clean \
        check-config unitfile fuzz fuzz-smoke fuzz-deps fuzz-bins bench-bins \
        stress stress-bins

all: $(BIN) $(BUILD)/linkhealthd.service

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(DAEMON_OBJ) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(DAEMON_OBJ) $(LIB_A) $(LDLIBS)

# The HTTP endpoint serves the dashboard page from inside the program.
$(BUILD)/daemon/httpd.o: dashboard/index.html

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

$(BUILD)/tests/unit/%.o: CPPFLAGS += -Itests -DLH_FIXTURES='"tests/fixtures"'

# The unit file with install paths filled in. install fills it in again
# from the template, so a PREFIX given to install alone is never lost to
# a copy built earlier with another one.
UNIT_SED = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e 's|@DOCDIR@|$(DOCDIR)|g'
$(BUILD)/linkhealthd.service: systemd/linkhealthd.service.in Makefile
	@mkdir -p $(dir $@)
	$(UNIT_SED) $< > $@

# Install only the Debian packages whose pkg-config module (or, for the
# tests, whose command) is missing.
TEST_TOOLS   := python3:python3 openssl:openssl \
                systemd-analyze:systemd promtool:prometheus mandoc:mandoc \
                /usr/bin/jsonschema:python3-jsonschema chromium:chromium
deps:
	@PKG_CONFIG='$(PKG_CONFIG)' sh tests/deps.sh $(PKGS) -- $(DEB_PKGS)

test-deps:
	@PKG_CONFIG='$(PKG_CONFIG)' LH_EXTRA_DEPS='$(TEST_TOOLS)' \
	    sh tests/deps.sh $(PKGS) -- $(DEB_PKGS)

# The bundled configuration names the service's status file; here it goes
# to $(BUILD).  A check that ran succeeds whatever its verdicts (1: some
# link is unhealthy; 3: no check reached the network, as on a machine
# offline); a usage or configuration error (2) does not.
run: deps
	@$(MAKE) --no-print-directory all
	@echo "$(BIN) --once -c conf/linkhealthd.conf -o $(BUILD)/status.json"; \
	$(BIN) --once -c conf/linkhealthd.conf -o $(BUILD)/status.json; \
	rc=$$?; case $$rc in 0|1|3) ;; *) exit $$rc ;; esac

check-config: deps
	@$(MAKE) --no-print-directory all
	$(BIN) --check-config -c conf/linkhealthd.conf

test: test-deps
	@$(MAKE) --no-print-directory all unit-bins stress-bins
	@sh tests/run.sh $(BUILD)

# Standalone programs that reproduce two libcurl 7.88 bugs behind
# workarounds in lib/check.c and lib/http.c; linked with libcurl alone and
# built without sanitizers (valgrind runs one of them when it is there).
STRESS_BIN   := $(BUILD)/stress/curl_reset_oom $(BUILD)/stress/curl_sockhash_oom

$(STRESS_BIN): $(BUILD)/stress/%: tests/stress/%.c
	@mkdir -p $(dir $@)
	$(CC) $(shell $(PKG_CONFIG) --cflags libcurl) -O1 -g -std=gnu11 \
	    $(WARNINGS) -o $@ $< $(shell $(PKG_CONFIG) --libs libcurl)

stress-bins: $(STRESS_BIN)

stress: test-deps
	@$(MAKE) --no-print-directory stress-bins
	@sh tests/stress/run.sh $(BUILD)

# The whole suite again with AddressSanitizer and UBSan, in its own build
# directory so objects never mix.
ASAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=all
asan: test-deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan \
	    SANITIZE='$(ASAN_FLAGS)' all unit-bins stress-bins
	@LH_SANITIZER=asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1 sh tests/run.sh $(BUILD)/asan

unit-bins: $(UNIT_BIN)

# The soak: the daemon with AddressSanitizer for SOAK_SECONDS (default
# 600) against hostile local servers and a directory that changes every
# cycle; memory and descriptors must stay flat (tests/soak/).  ASan's
# quarantine of freed memory is kept small (8 MiB, not 256), or it would
# pass for growth.  Not in make test.
SOAK_SECONDS ?= 600
soak: test-deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan \
	    SANITIZE='$(ASAN_FLAGS)' all
	@LH_BUILD=$(BUILD)/asan LH_SANITIZER=asan SOAK_SECONDS=$(SOAK_SECONDS) \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=8 \
	    UBSAN_OPTIONS=print_stacktrace=1 python3 tests/soak/test_soak.py

# Unit tests and a multi-cycle daemon run under valgrind: no errors,
# nothing definitely or indirectly lost.
VALGRIND     := valgrind --quiet --error-exitcode=1 --leak-check=full \
                --errors-for-leak-kinds=definite,indirect \
                --show-leak-kinds=definite,indirect
valgrind: test-deps
	@PKG_CONFIG='$(PKG_CONFIG)' LH_EXTRA_DEPS='valgrind:valgrind' \
	    sh tests/deps.sh $(PKGS) -- $(DEB_PKGS)
	@$(MAKE) --no-print-directory all unit-bins
	@LH_WRAPPER='$(VALGRIND)' sh tests/run.sh $(BUILD) valgrind

# libFuzzer targets for the directory parser, the configuration parser and
# the previous-status loader (tests/fuzz/), built with clang in their own
# build directory; each runs FUZZ_SECONDS on a copy of its seed corpus.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_TARGETS := fuzz_directory fuzz_config fuzz_status
# The targets link every module (built for fuzzing), so a module that a
# parser starts to call is never missing here.
FUZZ_LIB     := $(LIB_SRC:lib/%.c=%)
FUZZ_CFLAGS  := -O1 -g -std=gnu11 $(WARNINGS) -MMD -MP \
                -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_OBJ     := $(FUZZ_LIB:%=$(FUZZ_BUILD)/lib/%.o)
FUZZ_TOBJ    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/tests/fuzz/%.o)
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

$(FUZZ_OBJ) $(FUZZ_TOBJ): $(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_CFLAGS) \
	    -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BIN): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/tests/fuzz/%.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-deps:
	@PKG_CONFIG='$(PKG_CONFIG)' LH_EXTRA_DEPS='$(FUZZ_CC):clang' \
	    sh tests/deps.sh $(PKGS) -- $(DEB_PKGS)
	@sh tests/fuzz/deps.sh $(FUZZ_CC) $(FUZZ_BUILD)

fuzz-bins: $(FUZZ_BIN)

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-bins
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# What CI runs: every target briefly.
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# The benchmark's programs: lhb-spawn measures a command it runs; lhb-parse
# and lhb-statuswrite time library calls, built like the daemon.
BENCH_BIN    := $(BUILD)/bench/lhb-spawn $(BUILD)/bench/lhb-parse \
                $(BUILD)/bench/lhb-statuswrite

$(BUILD)/bench/lhb-spawn: bench/spawn.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/bench/lhb-%: $(BUILD)/bench/%.o $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

bench-bins: $(BENCH_BIN)
# Kept, so that a rebuild compiles only what changed.
.SECONDARY: $(BUILD)/bench/parse.o $(BUILD)/bench/statuswrite.o

# make bench: about 6 minutes on 2 cores; BENCH_MILLION=1 adds the
# 1,000,000-URL runs, BENCH_RUNS, BENCH_ONLY, BENCH_DEADLINE and the other
# knobs are in bench/README.md.
bench: deps
	@$(MAKE) --no-print-directory all bench-bins
	@sh bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/linkhealthd \
	    $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/linkhealthd
	test -e $(DESTDIR)$(SYSCONFDIR)/linkhealthd/linkhealthd.conf || \
	    install -m 0644 conf/linkhealthd.conf \
	        $(DESTDIR)$(SYSCONFDIR)/linkhealthd/linkhealthd.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/linkhealthd/directory.json || \
	    install -m 0644 conf/directory.json \
	        $(DESTDIR)$(SYSCONFDIR)/linkhealthd/directory.json
	$(UNIT_SED) systemd/linkhealthd.service.in > $(BUILD)/linkhealthd.service.install
	install -m 0644 $(BUILD)/linkhealthd.service.install \
	    $(DESTDIR)$(UNITDIR)/linkhealthd.service
	rm -f $(BUILD)/linkhealthd.service.install
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 README.md $(DOC_PAGES) $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(DATADIR)/linkhealthd
	install -m 0644 doc/linkhealthd.8 $(DESTDIR)$(MANDIR)/man8/linkhealthd.8
	install -m 0644 doc/linkhealthd.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/linkhealthd.conf.5
	install -m 0644 doc/status.schema.json \
	    $(DESTDIR)$(DATADIR)/linkhealthd/status.schema.json
	install -m 0644 doc/notice.schema.json \
	    $(DESTDIR)$(DATADIR)/linkhealthd/notice.schema.json
	install -d $(DESTDIR)$(DATADIR)/linkhealthd/dashboard
	install -m 0644 dashboard/index.html \
	    $(DESTDIR)$(DATADIR)/linkhealthd/dashboard/index.html

# Removes what install added; the configuration and the directory only
# when they are still the ones shipped (an edited one is yours).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/linkhealthd \
	    $(DESTDIR)$(UNITDIR)/linkhealthd.service \
	    $(DESTDIR)$(DOCDIR)/README.md \
	    $(DOC_PAGES:doc/%=$(DESTDIR)$(DOCDIR)/%) \
	    $(DESTDIR)$(MANDIR)/man8/linkhealthd.8 \
	    $(DESTDIR)$(MANDIR)/man5/linkhealthd.conf.5 \
	    $(DESTDIR)$(DATADIR)/linkhealthd/status.schema.json \
	    $(DESTDIR)$(DATADIR)/linkhealthd/notice.schema.json \
	    $(DESTDIR)$(DATADIR)/linkhealthd/dashboard/index.html
	-rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)/linkhealthd/dashboard \
	    $(DESTDIR)$(DATADIR)/linkhealthd 2>/dev/null
	@for f in linkhealthd.conf:linkhealthd.conf directory.json:directory.json; do \
	    ours=conf/$${f%%:*}; theirs=$(DESTDIR)$(SYSCONFDIR)/linkhealthd/$${f#*:}; \
	    if [ -f "$$theirs" ] && cmp -s "$$ours" "$$theirs"; then \
	        rm -f "$$theirs" && echo "rm -f $$theirs"; \
	    elif [ -f "$$theirs" ]; then echo "kept $$theirs (edited)"; fi; \
	done
	-rmdir $(DESTDIR)$(SYSCONFDIR)/linkhealthd 2>/dev/null

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
