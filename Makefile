# wipecert - secure media sanitisation with signed disposal certificates
#
# Plain make. Each layer lists its objects in src/<layer>/module.mk, one object
# a line, so adding a file is a one-line change there. Objects go to $(O):
# build/ for the product, build/check/ (ASan + UBSan) for `make check`.

VERSION    := 0.1.0
# `make install`: the binary finds its messages at run time as
# ../share/locale from where it is, so SBINDIR and LOCALEDIR keep that
# shape. The policy goes to /etc for the system prefixes (where the program
# reads it), else under PREFIX.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/wipecert
LOCALEDIR  ?= $(PREFIX)/share/locale
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= $(if $(filter /usr /usr/local,$(PREFIX)),/etc,$(PREFIX)/etc)
DESTDIR    ?=

O          ?= build
CC         ?= cc
PKG_CONFIG ?= pkg-config

# libraries found by pkg-config; libhpdf ships no .pc file
PKGS := blkid smartcols libudev libsodium sqlite3 libpq jansson libqrencode libcrypto liburing harfbuzz-subset zlib
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# goals that need no library: they install the packages (deps, demo) or
# touch no C code; `make demo` builds in a second make, after the install
NOLIB_GOALS := clean deps demo man pot
ifeq ($(PKG_LIBS),)
ifneq ($(filter-out $(NOLIB_GOALS),$(or $(MAKECMDGOALS),all)),)
$(error pkg-config found no flags for $(PKGS): run 'make deps' (scripts/install-deps.sh) first)
endif
endif
PKG_LIBS   += -lhpdf -lpthread -lm

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
            -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -Iinclude $(PKG_CFLAGS) \
             -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DWIPECERT_VERSION='"$(VERSION)"' \
             -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)

LIB_OBJS :=
include src/util/module.mk
include src/disk/module.mk
include src/drive/module.mk
include src/erase/module.mk
include src/ledger/module.mk
include src/trust/module.mk
include src/cert/module.mk
include src/flow/module.mk
include src/cli/module.mk
include src/station/module.mk

LIB      := $(O)/libwipecert.a
BIN      := $(O)/wipecert
UNIT_SRC := $(sort $(wildcard tests/test_*.c))
UNITS    := $(patsubst tests/%.c,$(O)/tests/%,$(UNIT_SRC))
# test-only tools linked against the library (the forger of the attack
# tests, the station that appends to a shared ledger for the PostgreSQL
# tests): built by `make check`, never installed
TOOLS    := $(O)/tests/tools/forge $(O)/tests/tools/ledger-writer

# message catalogues: po/<lang>.po, compiled beside the binary
LANGS    := ja
MOS      := $(patsubst %,$(O)/locale/%/LC_MESSAGES/wipecert.mo,$(LANGS))

all: $(BIN) $(MOS)
	@ln -sf $(BIN) wipecert

$(O)/locale/%/LC_MESSAGES/wipecert.mo: po/%.po
	@mkdir -p $(dir $@)
	$(Q)msgfmt --check -o $@ $<

# refresh po/wipecert.pot from the sources (po/check.sh has the keywords);
# new messages are then translated in po/<lang>.po by hand (appended: a
# msgmerge would reorder the file that every branch edits)
pot:
	po/check.sh --pot po/wipecert.pot

# the .pot is current and every message has its translation (also run by
# `make check` as tests/e2e/i18n_po.sh)
check-po:
	po/check.sh

# `make V=1` shows the whole commands
Q := $(if $(V),,@)
$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(addprefix $(O)/,$(LIB_OBJS))
	@rm -f $@
	$(AR) rcs $@ $^

$(addprefix $(O)/,$(STATION_OBJS)): ALL_CFLAGS += $(STATION_CFLAGS) -DNCURSES_WIDECHAR=1

$(BIN): $(O)/src/main.o $(addprefix $(O)/,$(CLI_OBJS) $(STATION_OBJS)) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(STATION_LIBS)

$(O)/tests/%: $(O)/tests/%.o $(O)/tests/helpers.o $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs cmocka) $(PKG_LIBS)

$(O)/tests/tools/%: $(O)/tests/tools/%.o $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# `make check`: everything rebuilt with sanitizers under build/check, then the
# unit tests and the end-to-end tests (which use that sanitized binary).
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# WIPECERT_PLAIN: the binary without the sanitizers, for what they hide
# (AddressSanitizer makes mlock a no-op: station_key.sh's VmLck check)
check:
	$(MAKE) O=build/check SAN_FLAGS="$(SAN)" build/check/wipecert check-units \
		$(patsubst %,build/check/locale/%/LC_MESSAGES/wipecert.mo,$(LANGS))
	$(MAKE) O=build SAN_FLAGS= build/wipecert
	WIPECERT=$(CURDIR)/build/check/wipecert FORGE=$(CURDIR)/build/check/tests/tools/forge \
		WIPECERT_PLAIN=$(CURDIR)/build/wipecert \
		LEDGER_WRITER=$(CURDIR)/build/check/tests/tools/ledger-writer \
		tests/run.sh build/check/tests

check-units: $(UNITS) $(TOOLS)

# the mutation harness: does the suite catch the bugs in tests/mutants/mutants.list?
# Slow (a build and the named tests per mutant), so not part of check;
# docs/testing.md has the last score. MUTANTS="id ..." runs only those.
mutants:
	tests/mutants/run.sh $(MUTANTS)

# an existing policy.conf is the organisation's: never replaced
install: $(BIN) $(MOS)
	install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/wipecert
	install -D -m 0644 docs/wipecert.8 $(DESTDIR)$(MANDIR)/man8/wipecert.8
	for l in $(LANGS); do install -D -m 0644 $(O)/locale/$$l/LC_MESSAGES/wipecert.mo \
		$(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/wipecert.mo; done
	install -D -m 0644 scripts/bash-completion/wipecert $(DESTDIR)$(BASHCOMPDIR)/wipecert
	install -D -m 0644 docs/policy.conf.example $(DESTDIR)$(DATADIR)/policy.conf.example
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/wipecert
	test -e $(DESTDIR)$(SYSCONFDIR)/wipecert/policy.conf || \
		install -m 0644 docs/policy.conf.example $(DESTDIR)$(SYSCONFDIR)/wipecert/policy.conf

deps:
	scripts/install-deps.sh

# docs/wipecert.8 from its parts: the head, one part per command family
# (docs/man/*.8.part, listed in the order people look for them), the tail
MAN_ORDER := list wipe drive station approve flow accept ledger cert trust
MAN_PARTS := $(foreach p,$(MAN_ORDER),$(wildcard docs/man/$(p).8.part)) \
             $(filter-out $(foreach p,$(MAN_ORDER),docs/man/$(p).8.part),$(sort $(wildcard docs/man/*.8.part)))
man: docs/wipecert.8
docs/wipecert.8: docs/man/head.8.in $(MAN_PARTS) docs/man/tail.8.in
	cat $^ >$@

# the quick start (scripts/quickstart.sh): install what is missing, build,
# run the main job on an image
demo:
	scripts/quickstart.sh

# the bootable wipecert stick (docs/stick.md): Debian 12 packages from the
# host's mirror plus our .deb; minutes, so not part of `make check`
IMAGE_DIR     ?= build/image
IMAGE_SOURCES ?= /etc/apt/sources.list.d/debian.sources
image:
	scripts/image/make-image.sh $(IMAGE_DIR) --sources $(IMAGE_SOURCES)

# boot it in QEMU (BIOS and UEFI) against target disks: tests/image/run.sh
image-check: all
	WIPECERT=$(CURDIR)/$(O)/wipecert tests/image/run.sh $(IMAGE_DIR)/wipecert-stick.img

clean:
	rm -rf build wipecert

.PHONY: all check check-units check-po mutants install deps demo pot man clean image image-check
.SECONDARY:

# (not into the stick's build: its root file system has *.d directories)
-include $(shell find $(O) -path $(O)/image -prune -o -name '*.d' -type f -print 2>/dev/null)
