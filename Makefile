# ragops -- top-level build.  make | make demo | make test | make bench
# SANITIZE=1 builds with AddressSanitizer + UBSan into build-san/.

PKGS      := sqlite3 zlib hunspell libseccomp libutf8proc yaml-0.1 jansson libcmark libcrypto libcurl \
             libmicrohttpd icu-i18n icu-uc libpq
# Loaded when first needed, not linked (src/pipeline/ocr_libs.h, src/learn/blas_libs.h): their
# headers, and the sonames this build compiled against.
LOADED    := tesseract lept openblas lapacke
# soname PKG: the SONAME of the library pkg-config names first for PKG (liblept.so.5, or
# libleptonica.so.6 where lept.pc says -lleptonica); empty, with a warning, when it cannot tell.
soname     = $(or $(shell objdump -p $(shell pkg-config --variable=libdir $(1) 2>/dev/null)/lib$(patsubst \
               -l%,%,$(firstword $(shell pkg-config --libs-only-l $(1) 2>/dev/null))).so 2>/dev/null | \
               awk '$$1 == "SONAME" { print $$2 }'),$(warning cannot tell the soname of $(1): \
               ragops will look for Debian 12's))
# Expanded only where used: when ocr_libs.o and blas_libs.o are compiled.
TESSERACT_SONAME = $(call soname,tesseract)
LEPTONICA_SONAME = $(call soname,lept)
OPENBLAS_SONAME  = $(call soname,openblas)
LAPACKE_SONAME   = $(call soname,lapacke)
CC        ?= cc
CSTD      := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
# -Wenum-conversion (in -Wextra for C since GCC 10, named so it stays) and -Wall's -Wenum-compare
# and -Wswitch catch one module's typed result used as another's: see src/core/result.h.
WARN      := -fopenmp-simd -Wall -Wextra -Werror -Wstrict-prototypes -Wvla -Wshadow -Wno-unused-parameter \
             -Wenum-conversion
OPT       ?= -O2 -g
ifeq ($(SANITIZE),1)
BUILD     ?= build-san
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
BUILD     ?= build
endif
CFLAGS    += $(CSTD) $(WARN) $(OPT) -Isrc $(shell pkg-config --cflags $(PKGS) $(LOADED) mupdf 2>/dev/null)
LDLIBS    += $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
             $(shell pkg-config --static --libs mupdf 2>/dev/null) -lharfbuzz -lstemmer -lpthread -lm
LDFLAGS   += $(filter -fsanitize=%,$(OPT))

LIB_SRC   := $(sort $(wildcard src/core/*.c src/store/*.c src/text/*.c src/pipeline/*.c src/answer/*.c src/learn/*.c src/retrieval/*.c src/ops/*.c src/serve/*.c src/cmd/*.c src/api/*.c))
# The dashboard (web/) is compiled in: see tools/embed_assets.c.
WEB_FILES := $(sort $(shell find web -type f 2>/dev/null))
# Rewritten only when the list changes, so a removed file rebuilds the set.
WEB_LIST  := $(BUILD)/gen/web-files
$(shell mkdir -p $(BUILD)/gen; echo '$(WEB_FILES)' | cmp -s - $(WEB_LIST) || echo '$(WEB_FILES)' >$(WEB_LIST))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/assets.o
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Programs on the public C API (include/ragops.h), built as a user would:
# the header alone (no -Isrc), pedantic C11, the static library.
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
EXAMPLE_CFLAGS := -std=c11 $(WARN) -Wpedantic $(OPT) -Iinclude

.PHONY: all deps demo test unit integration bench bench-pg clean check-style style fuzz fuzz-smoke hardening install
all: $(BUILD)/ragops $(BUILD)/libragops.a $(BUILD)/ragops.pc $(EXAMPLE_BIN)

deps:
	@scripts/deps.sh build

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tools/embed_assets: tools/embed_assets.c
	@mkdir -p $(dir $@)
	@$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/gen/assets.c: $(BUILD)/tools/embed_assets $(WEB_FILES) $(WEB_LIST)
	@mkdir -p $(dir $@)
	@echo "  EMBED   web/ ($(words $(WEB_FILES)) files)"
	@$(BUILD)/tools/embed_assets $@ web/ $(WEB_FILES)

$(BUILD)/src/pipeline/ocr_libs.o: CFLAGS += $(if $(TESSERACT_SONAME),-DTESSERACT_SONAME='"$(TESSERACT_SONAME)"') \
	$(if $(LEPTONICA_SONAME),-DLEPTONICA_SONAME='"$(LEPTONICA_SONAME)"')

$(BUILD)/src/learn/blas_libs.o: CFLAGS += $(if $(OPENBLAS_SONAME),-DOPENBLAS_SONAME='"$(OPENBLAS_SONAME)"') \
	$(if $(LAPACKE_SONAME),-DLAPACKE_SONAME='"$(LAPACKE_SONAME)"')

$(BUILD)/gen/assets.o: $(BUILD)/gen/assets.c
	@$(CC) $(CFLAGS) -c $< -o $@

# The C API's implementation and its unit test see the public header.
$(BUILD)/src/api/%.o: CFLAGS += -Iinclude
$(BUILD)/tests/test_api: CFLAGS += -Iinclude

$(BUILD)/libragops.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

# For programs on the C API: cc prog.c $$(pkg-config --cflags --libs build/ragops.pc)
$(BUILD)/ragops.pc: Makefile src/core/version.h
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@printf '%s\n' 'prefix=$(CURDIR)' 'includedir=$${prefix}/include' 'libdir=$(abspath $(BUILD))' '' \
		'Name: ragops' 'Description: ragops C API (include/ragops.h), static library' \
		'Version: $(shell sed -n 's/^#define RAGOPS_VERSION "\(.*\)"/\1/p' src/core/version.h)' \
		'Cflags: -I$${includedir}' 'Libs: $${libdir}/libragops.a $(strip $(LDFLAGS) $(LDLIBS))' >$@

$(BUILD)/examples/%: examples/%.c include/ragops.h $(BUILD)/libragops.a
	@mkdir -p $(dir $@)
	@echo "  EXAMPLE $@"
	@$(CC) $(EXAMPLE_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libragops.a $(LDLIBS)

# Benchmark helpers on the internal API (-Isrc), linked as the program is: bench/pg.sh runs them.
BENCH_BIN := $(BUILD)/bench/claim_bench
$(BUILD)/bench/claim_bench: bench/claim_bench.c $(BUILD)/libragops.a
	@mkdir -p $(dir $@)
	@echo "  BENCH   $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libragops.a $(LDLIBS)

$(BUILD)/ragops: $(BUILD)/src/main.o $(BUILD)/libragops.a
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libragops.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< $(BUILD)/libragops.a \
		$(LDLIBS) $(shell pkg-config --libs cmocka $(LOADED))

# ragops(1), written by the program from its own help text.
$(BUILD)/ragops.1: $(BUILD)/ragops
	@echo "  MAN     $@"
	@$(BUILD)/ragops help --man >$@

# make install [PREFIX=/usr/local] [DESTDIR=]: the program, its manual page,
# bash completion, systemd units (serve; a nightly run for hosts without
# serve), the example configuration, and the C API (header, library, .pc).
PREFIX    ?= /usr/local
BINDIR    := $(PREFIX)/bin
MANDIR    := $(PREFIX)/share/man/man1
DOCDIR    := $(PREFIX)/share/doc/ragops
COMPDIR   := $(PREFIX)/share/bash-completion/completions
UNITDIR   := $(PREFIX)/lib/systemd/system
install: all $(BUILD)/ragops.1
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)" "$(DESTDIR)$(DOCDIR)" "$(DESTDIR)$(COMPDIR)" \
		"$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(PREFIX)/include" "$(DESTDIR)$(PREFIX)/lib/pkgconfig"
	install -m 755 $(BUILD)/ragops "$(DESTDIR)$(BINDIR)/ragops"
	install -m 644 $(BUILD)/ragops.1 "$(DESTDIR)$(MANDIR)/ragops.1"
	install -m 644 ragops.example.yaml README.md LICENSE "$(DESTDIR)$(DOCDIR)/"
	install -m 644 contrib/bash-completion/ragops "$(DESTDIR)$(COMPDIR)/ragops"
	for u in ragops.service ragops-run.service ragops-run.timer; do \
		sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' contrib/systemd/$$u \
			>"$(DESTDIR)$(UNITDIR)/$$u" && chmod 644 "$(DESTDIR)$(UNITDIR)/$$u" || exit 1; \
	done
	install -m 644 include/ragops.h "$(DESTDIR)$(PREFIX)/include/ragops.h"
	install -m 644 $(BUILD)/libragops.a "$(DESTDIR)$(PREFIX)/lib/libragops.a"
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
		'Name: ragops' 'Description: ragops C API (include/ragops.h), static library' \
		'Version: $(shell sed -n 's/^#define RAGOPS_VERSION "\(.*\)"/\1/p' src/core/version.h)' \
		'Cflags: -I$${includedir}' 'Libs: $${libdir}/libragops.a $(strip $(LDFLAGS) $(LDLIBS))' \
		>"$(DESTDIR)$(PREFIX)/lib/pkgconfig/ragops.pc"

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	scripts/demo.sh $(BUILD)/ragops

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	tests/run.sh $(BUILD)

# Where issue 14 (ingest on every core) started: its first ingest is timed beside today's.
BENCH_BASELINE_COMMIT := 746b594
bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	BENCH_BASELINE=$$(bench/baseline.sh $(BENCH_BASELINE_COMMIT) $(BUILD)/baseline) bench/run.sh $(BUILD)/ragops
	bench/ocr.sh $(BUILD)/ragops
	bench/retrieval.sh $(BUILD)/ragops
	bench/serve.sh $(BUILD)/ragops
	bench/orchestration.sh $(BUILD)/ragops
	bench/releases.sh $(BUILD)/ragops
	bench/retrain.sh $(BUILD)/ragops

# The store on PostgreSQL against SQLite (a throwaway cluster; needs the postgresql package).
bench-pg:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	bench/pg.sh $(BUILD)/ragops

check-style:
	@scripts/check-style.sh

# Rewrites every C file as .clang-format says (check-style, t0005).
style:
	@find src include tests/unit fuzz examples tools -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# --- fuzzing: clang libFuzzer with ASan + UBSan; see fuzz/README.md --------------------------
# make fuzz        the library rebuilt with clang into $(FUZZ_BUILD)/, one fuzzer per fuzz/fuzz_*.c
# make fuzz-smoke  every fuzzer 30 s;  make hardening  every fuzzer $(FUZZ_SECONDS) s (600), then
#                  bench/load.sh (50 clients for 60 s while a run ingests)
FUZZ_BUILD   ?= $(BUILD)-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined -Wno-pass-failed
FUZZ_NAMES   := $(sort $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c)))
FUZZ_BIN     := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

fuzz:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
		OPT='$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined' $(FUZZ_BUILD)/libragops.a
	@$(MAKE) --no-print-directory $(FUZZ_BIN)

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.c fuzz/fuzz.h $(FUZZ_BUILD)/libragops.a
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(CSTD) $(WARN) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -Isrc \
		$(shell pkg-config --cflags $(PKGS) mupdf 2>/dev/null) -o $@ $< fuzz/fuzz.c \
		$(FUZZ_BUILD)/libragops.a $(LDLIBS)

fuzz-smoke: fuzz
	scripts/fuzz.sh $(FUZZ_BUILD) 30

hardening: fuzz
	@$(MAKE) --no-print-directory all
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)
	bench/load.sh $(BUILD)/ragops
