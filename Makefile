# stockade - build, test, install.
#
#   make                 libstockade.a, libstockade.so and the CLI in build/
#   make check           install missing packages, build, run every test
#   make demo            run an untrusted Python program sandboxed
#   make SAN=1 check     the same under AddressSanitizer + UBSan
#   make clang           build with clang into build-clang/, check the exports
#   make install PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc
PYTHON ?= /usr/bin/python3

VERSION := 0.1.0
SONAME := libstockade.so.0

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wimplicit-fallthrough -Wundef -Wvla -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -fPIC -D_FORTIFY_SOURCE=2 \
	-fstack-protector-strong -Iinclude -Isrc/lib
# The library's objects hide every name but the public API's
# (include/stockade.h), which the version script then lists.
LIB_CFLAGS := -fvisibility=hidden
LIB_MAP := src/lib/libstockade.map
LDFLAGS ?=
LIBS := $(shell pkg-config --libs jansson libseccomp inih 2>/dev/null || \
	echo -ljansson -lseccomp -linih)
# The CLI is linked statically (as a PIE, for ASLR): no loader work and fewer mappings to copy
# at each clone, 0.3-0.5 ms of a run here (bench/spawn.sh).  The sanitizer
# runtimes need a dynamic program.
CLI_LDFLAGS := -static-pie
CLI_LIBS := -ljansson -lseccomp -linih

ifeq ($(SAN),1)
CLI_LDFLAGS :=
BUILD := build-san
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all -U_FORTIFY_SOURCE -DSTK_SANITIZED
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC := $(wildcard src/lib/*.c)
LIB_OBJ := $(LIB_SRC:src/lib/%.c=$(BUILD)/lib/%.o)
CLI_SRC := $(wildcard src/cli/*.c)
CLI_OBJ := $(CLI_SRC:src/cli/%.c=$(BUILD)/cli/%.o)
SERVE_SRC := $(wildcard src/serve/*.c)
SERVE_OBJ := $(SERVE_SRC:src/serve/%.c=$(BUILD)/serve/%.o)
SERVE_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || \
	echo -lmicrohttpd) -lwslay $(LIBS) -lm
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/stockade $(BUILD)/libstockade.a $(BUILD)/libstockade.so \
	$(BUILD)/hello-lib $(BUILD)/epoll-host $(BUILD)/stockade-serve python \
	web

$(BUILD)/lib/%.o: src/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIB_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/cli/%.o: src/cli/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/serve/%.o: src/serve/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc/serve -I$(BUILD)/serve -MMD -MP -c -o $@ $<

# A session's agent (src/serve/agent.py), as a C string for sessions.c.
$(BUILD)/serve/agent.h: src/serve/agent.py
	@mkdir -p $(@D)
	{ echo '/* made from src/serve/agent.py by the Makefile */'; \
	  echo '#define AGENT_SOURCE \'; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/	"/' \
	      -e 's/$$/\\n" \\/' $<; echo '	""'; } > $@.tmp
	mv $@.tmp $@
$(BUILD)/serve/sessions.o: $(BUILD)/serve/agent.h

# The service: a program of its own beside the CLI (`stockade serve` runs
# it), linked dynamically with libmicrohttpd (and so GnuTLS), which the
# static CLI should not carry.
$(BUILD)/stockade-serve: $(SERVE_OBJ) $(BUILD)/libstockade.a
	$(CC) $(LDFLAGS) -o $@ $(SERVE_OBJ) $(BUILD)/libstockade.a $(SERVE_LIBS)

# The playground page (web/): `make web`, `make web-tests`.
include web/web.mk

# A front taken over, against the real runner (tests/serve/test_runner.py).
SERVE_CORE_OBJ := $(addprefix $(BUILD)/serve/,runner.o config.o wire.o \
	auth.o sha256.o)
$(BUILD)/tests/hostile-front: tests/serve/hostile_front.c $(SERVE_CORE_OBJ) \
		$(BUILD)/libstockade.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc/serve $(LDFLAGS) -o $@ $< $(SERVE_CORE_OBJ) \
		$(BUILD)/libstockade.a $(LIBS) -lm

# Where `stockade serve` finds the service when it is not beside the CLI.
$(BUILD)/cli/main.o: CFLAGS += -DSTK_LIBEXEC='"$(PREFIX)/libexec/stockade"'

# Where profiles are looked for before the built-in ones.
$(BUILD)/lib/profile.o: CFLAGS += -DSTK_PROFILE_DIRS='"/etc/stockade/profiles:$(PREFIX)/share/stockade/profiles"'

# The profiles of profiles/, built into the library so that the CLI has
# them wherever it is copied (src/lib/profile.c).
PROFILES := $(sort $(wildcard profiles/*.conf))
$(BUILD)/mkprofiles: tools/mkprofiles.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/profiles.c: $(BUILD)/mkprofiles $(PROFILES)
	$(BUILD)/mkprofiles $(PROFILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/lib/profiles.o: $(BUILD)/profiles.c
	$(CC) $(CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

# The seccomp programs of the common policies, built once here by the
# library's own code rather than at every run (src/lib/seccomp.c).
$(BUILD)/mkfilters: tools/mkfilters.c $(LIB_OBJ) $(BUILD)/lib/profiles.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/prebuilt.c: $(BUILD)/mkfilters
	$(BUILD)/mkfilters > $@.tmp && mv $@.tmp $@

$(BUILD)/lib/prebuilt.o: $(BUILD)/prebuilt.c
	$(CC) $(CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

LIB_ALL := $(LIB_OBJ) $(BUILD)/lib/prebuilt.o $(BUILD)/lib/profiles.o

$(BUILD)/libstockade.a: $(LIB_ALL)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libstockade.so: $(LIB_ALL) $(LIB_MAP)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(LIB_MAP) \
		$(LDFLAGS) -o $@ $(LIB_ALL) $(LIBS)
	ln -sf libstockade.so $(BUILD)/$(SONAME)

# The CLI links the library statically: one file to copy, no loader search.
$(BUILD)/stockade: $(CLI_OBJ) $(BUILD)/libstockade.a
	$(CC) $(LDFLAGS) $(CLI_LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libstockade.a \
		$(CLI_LIBS)

# The library's usage patterns, linked against the shared library.
$(BUILD)/hello-lib $(BUILD)/epoll-host: $(BUILD)/%: examples/%.c \
		$(BUILD)/libstockade.so
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(BUILD) -l:libstockade.so \
		-Wl,-rpath,'$$ORIGIN'

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libstockade.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libstockade.a $(LIBS) -lcmocka

# The Python binding (bindings/python), built here for the tests and
# `make install`; pip builds the same module by setup.py.  The package's
# modules are copied beside the extension, so PYTHONPATH=$(BUILD)/python
# imports it.
PY_EXT := $(shell $(PYTHON) -c 'import sysconfig as s; \
	print(s.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
PY_INC := $(shell $(PYTHON) -c 'import sysconfig as s; \
	print(s.get_path("include"))' 2>/dev/null)
PY_SRC := $(wildcard bindings/python/stockade/*.py) \
	bindings/python/stockade/py.typed
PY_OUT := $(PY_SRC:bindings/python/%=$(BUILD)/python/%)

python: $(BUILD)/python/stockade/_core$(PY_EXT) $(PY_OUT)

$(BUILD)/python/stockade/_core$(PY_EXT): bindings/python/src/_core.c \
		include/stockade.h $(BUILD)/libstockade.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -isystem $(PY_INC) -shared $(LDFLAGS) -o $@ $< \
		$(BUILD)/libstockade.a $(LIBS)

# An extension built with the sanitizers needs their runtimes loaded
# before the interpreter (which is not built with them); CPython's memory
# at exit is not a leak of ours.
ifeq ($(SAN),1)
PY_SAN_ENV := LD_PRELOAD="$(shell $(CC) -print-file-name=libasan.so) \
	$(shell $(CC) -print-file-name=libubsan.so)" ASAN_OPTIONS=detect_leaks=0
endif

$(BUILD)/python/stockade/%: bindings/python/stockade/%
	@mkdir -p $(@D)
	cp $< $@

# The shared library must export exactly what the version script lists:
# an extra name is an internal function callers could come to depend on;
# a missing one, a public function the header no longer makes visible.
exports: $(BUILD)/libstockade.so
	@sed -n 's/^[[:space:]]*\([A-Za-z0-9_.]*\)[[:space:]]*[;{].*/\1/p' \
		$(LIB_MAP) | sort > $(BUILD)/exports.listed
	@nm -D --defined-only $< | awk '{ sub(/@.*/, "", $$NF); print $$NF }' | \
		sort -u > $(BUILD)/exports.found
	@extra=$$(comm -13 $(BUILD)/exports.listed $(BUILD)/exports.found); \
	missing=$$(comm -23 $(BUILD)/exports.listed $(BUILD)/exports.found); \
	[ -z "$$extra" ] || echo "$<: exports what $(LIB_MAP)" \
		"does not list:" $$extra >&2; \
	[ -z "$$missing" ] || echo "$<: does not export:" $$missing >&2; \
	[ -z "$$extra$$missing" ]

# The same tree built by clang, whose warnings are not gcc's.
clang:
	$(MAKE) CC=clang BUILD=build-clang all exports

deps:
	scripts/install-deps

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "== $$t"; $$t || exit 1; done

# The seccomp policy as data: (arch, syscall, args) -> action, checked
# against the generated BPF by a simulator; no root needed.
policy: $(BUILD)/stockade
	STOCKADE=$(abspath $(BUILD)/stockade) $(PYTHON) -m pytest -q tests/policy

# E2E_ARGS: more pytest arguments (.ci/run leaves CPython's own tests out
# of the sanitizer build, where they test CPython, not stockade, again).
e2e: $(BUILD)/stockade $(BUILD)/libstockade.a
	STOCKADE=$(abspath $(BUILD)/stockade) STOCKADE_LDFLAGS="$(LDFLAGS)" \
		$(PYTHON) -m pytest -q tests/e2e $(E2E_ARGS)

# The attack corpus (tests/attacks): every attack in both modes, under the
# default policy and its language's profile; prints the table of outcomes.
# ATTACKS_ARGS: more pytest arguments (-k default: the default policy only).
attacks: $(BUILD)/stockade
	STOCKADE=$(abspath $(BUILD)/stockade) $(PYTHON) -m pytest -q \
		-p no:cacheprovider tests/attacks $(ATTACKS_ARGS)

# The run service (tests/serve): its API over real HTTP, load, chaos.
# SERVE_ARGS: more pytest arguments.
service-tests: $(BUILD)/stockade $(BUILD)/stockade-serve \
		$(BUILD)/tests/hostile-front
	STOCKADE=$(abspath $(BUILD)/stockade) $(PYTHON) -m pytest -q \
		-p no:cacheprovider tests/serve $(SERVE_ARGS)

# The Python binding (bindings/python/tests): the module built here, in
# both modes (the suite again as nobody), threads and asyncio, the client
# against a real service, the example application, and pip's install
# from a copy of the tree.
python-tests: $(BUILD)/stockade $(BUILD)/stockade-serve python
	$(PY_SAN_ENV) PYTHONPATH=$(abspath $(BUILD)/python) \
		STOCKADE=$(abspath $(BUILD)/stockade) $(PYTHON) -m pytest -q -p no:cacheprovider bindings/python/tests \
		$(PYTHON_ARGS)

check: deps
	$(MAKE) all
	$(MAKE) exports
	$(MAKE) unit
	$(MAKE) policy
	$(MAKE) e2e
	$(MAKE) service-tests
	$(MAKE) python-tests
	$(MAKE) web-tests
	$(MAKE) attacks

demo: deps
	$(MAKE) all
	@scripts/demo $(BUILD)/stockade

bench: all
	bench/spawn.sh --stockade $(BUILD)/stockade
	bench/syscall.sh --stockade $(BUILD)/stockade
	bench/limits.sh --stockade $(BUILD)/stockade
	bench/stdio.sh --stockade $(BUILD)/stockade
	bench/engine.sh --stockade $(BUILD)/stockade
	bench/python.sh --stockade $(BUILD)/stockade
	bench/session.sh --stockade $(BUILD)/stockade

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/stockade $(DESTDIR)$(PREFIX)/bin/stockade
	install -d $(DESTDIR)$(PREFIX)/libexec/stockade
	install -m 0755 $(BUILD)/stockade-serve \
		$(DESTDIR)$(PREFIX)/libexec/stockade/stockade-serve
	install -m 0644 $(BUILD)/libstockade.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(BUILD)/libstockade.so \
		$(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libstockade.so
	install -m 0644 include/stockade.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 docs/stockade.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/stockade/profiles
	install -m 0644 docs/stockade-profile.5 \
		$(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 $(PROFILES) $(DESTDIR)$(PREFIX)/share/stockade/profiles/
	install -d $(DESTDIR)$(PREFIX)/share/stockade/web/assets
	install -m 0644 $(WEB_OUT)/index.html $(DESTDIR)$(PREFIX)/share/stockade/web/
	install -m 0644 $(WEB_OUT)/assets/* \
		$(DESTDIR)$(PREFIX)/share/stockade/web/assets/

# libFuzzer over the parsers (fuzz/); FUZZ_SECONDS per harness.
FUZZ_SECONDS ?= 10
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-Iinclude -Isrc/lib
FUZZERS := parse profile unmarshal request http ws
# The service's request path: request.c and wire.c, with what they use.
FUZZ_SERVE := src/serve/request.c src/serve/wire.c src/serve/config.c \
	src/serve/auth.c src/serve/sha256.c
build-fuzz/fuzz_request: fuzz/fuzz_request.c $(FUZZ_SERVE) $(LIB_SRC) \
		$(BUILD)/prebuilt.c $(BUILD)/profiles.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Isrc/serve -o $@ $^ $(LIBS) -lm
# The HTTP path: the front's daemon, routes and run table.
build-fuzz/fuzz_http: fuzz/fuzz_http.c $(FUZZ_SERVE) src/serve/front.c \
		src/serve/runs.c src/serve/metrics.c src/serve/confine.c \
		src/serve/sessions.c src/serve/ws.c src/serve/web.c \
		$(LIB_SRC) $(BUILD)/prebuilt.c $(BUILD)/profiles.c \
		| $(BUILD)/serve/agent.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Isrc/serve -I$(BUILD)/serve -o $@ $^ \
		$(SERVE_LIBS)
# The WebSocket terminal: the harness includes ws.c (its callbacks are
# static) and plays the session, the loop and libmicrohttpd itself.
build-fuzz/fuzz_ws: fuzz/fuzz_ws.c src/serve/ws.c src/serve/front.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Isrc/serve -o $@ $< -lwslay -ljansson
build-fuzz/fuzz_%: fuzz/fuzz_%.c $(LIB_SRC) $(BUILD)/prebuilt.c \
		$(BUILD)/profiles.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(LIBS)

# fuzz_parse starts from fuzz/seeds, fuzz_profile from the shipped profiles,
# fuzz_unmarshal from marshalled policies (fuzz/seeds-policy).
fuzz: $(FUZZERS:%=build-fuzz/fuzz_%)
	@mkdir -p build-fuzz/corpus-parse build-fuzz/corpus-profile \
		build-fuzz/corpus-unmarshal build-fuzz/corpus-request \
		build-fuzz/corpus-http build-fuzz/corpus-ws
	build-fuzz/fuzz_parse -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 build-fuzz/corpus-parse fuzz/seeds
	build-fuzz/fuzz_profile -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 build-fuzz/corpus-profile profiles
	build-fuzz/fuzz_unmarshal -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 build-fuzz/corpus-unmarshal \
		fuzz/seeds-policy
	build-fuzz/fuzz_request -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 build-fuzz/corpus-request \
		fuzz/seeds-request
	build-fuzz/fuzz_http -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 build-fuzz/corpus-http fuzz/seeds-http
	build-fuzz/fuzz_ws -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 build-fuzz/corpus-ws fuzz/seeds-ws

format:
	clang-format -i src/*/*.c src/*/*.h include/*.h tests/unit/*.c \
		examples/*.c tools/*.c fuzz/*.c tests/attacks/attack.h \
		tests/attacks/c/*.c tests/e2e/*.c tests/serve/*.c bench/*.c \
		bindings/python/src/*.c

clean:
	rm -rf build build-san build-fuzz build-clang

.PHONY: all deps exports clang unit policy e2e attacks service-tests python \
	python-tests check fuzz demo bench \
	install format clean

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SERVE_OBJ:.o=.d)
