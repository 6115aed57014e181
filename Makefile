# Builds, tests and installs the daemontools programs.
#   make                      build (release)
#   make test                 run every test (the README's test command)
#   make example              build and run the example of the README
#   make install PREFIX=/usr DESTDIR=/tmp/stage [SCANDIR=/etc/service]
#   make install TARGET=x86_64-unknown-linux-musl …   the static build (static-pie)
#   make install TARGET=aarch64-unknown-linux-gnu …    a cross build
#   make programs             print the programs' names
#   make version              print the version (Cargo.toml's [package] version)
#   make deb                  the Debian packages daemontools and daemontools-run, in target/debian/
#   make static               the static tarball daemontools-static-VERSION-ARCH.tar.gz, in target/static/
#   STATIC_TARGET=aarch64-unknown-linux-musl make static   the same for aarch64 (cross-built)
# The programs are one binary installed under each program's name (hard links),
# and svscanboot, a shell script that runs svscan on SCANDIR.

PREFIX ?= /usr/local
SCANDIR ?= /etc/service
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man8
# TARGET: a Rust target triple to build for (rustup target add TARGET), for a
# static build or a cross build; empty for the host's.
TARGET ?=
BINARY = target/$(if $(TARGET),$(TARGET)/)release/daemontools
# aarch64 glibc links with Debian's gcc-aarch64-linux-gnu (its native gcc's name too).
ifeq ($(TARGET),aarch64-unknown-linux-gnu)
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER ?= aarch64-linux-gnu-gcc
endif
CARGO ?= cargo
# The programs, from the source (bins/lib.rs, `programs!(`, one name a line), not
# from running the binary, which a cross build cannot.
PROGRAMS := $(shell sed -n '/^programs!(/,/^);/s/^[[:space:]]*\([a-z0-9]*\),[[:space:]]*$$/\1/p' bins/lib.rs)
VERSION := $(shell sed -n '/^\[package\]/,/^\[/s/^version[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p' Cargo.toml)

.PHONY: all build test example install programs version deb static clean

all: build

build:
	$(CARGO) build --release --bin daemontools $(if $(TARGET),--target $(TARGET))

test:
	$(CARGO) test --workspace

example: build
	sh examples/run

programs:
	@echo $(PROGRAMS)

version:
	@echo $(VERSION)

install: build
	@set -e; \
	[ -n "$(PROGRAMS)" ] || { echo "no programs found in bins/lib.rs" >&2; exit 1; }; \
	install -d "$(BINDIR)" "$(MANDIR)"; \
	first=""; \
	for p in $(PROGRAMS); do \
		if [ -z "$$first" ]; then \
			install -m 0755 $(BINARY) "$(BINDIR)/$$p"; first=$$p; \
		else \
			ln -f "$(BINDIR)/$$first" "$(BINDIR)/$$p"; \
		fi; \
		install -m 0644 man/$$p.8 "$(MANDIR)/$$p.8"; \
		echo "installed $(BINDIR)/$$p"; \
	done; \
	sed '/^#/!s|/etc/service|$(SCANDIR)|g' bins/svscanboot > "$(BINDIR)/svscanboot"; \
	chmod 0755 "$(BINDIR)/svscanboot"; \
	install -m 0644 man/svscanboot.8 "$(MANDIR)/svscanboot.8"; \
	echo "installed $(BINDIR)/svscanboot (scanning $(SCANDIR))"

deb:
	sh scripts/make-deb

static:
	sh scripts/make-static

clean:
	$(CARGO) clean
