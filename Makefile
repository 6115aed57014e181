# Builds, tests and installs the daemontools programs.
#   make                      build (release)
#   make test                 run every test (the README's test command)
#   make example              build and run the example of the README
#   make install PREFIX=/usr DESTDIR=/tmp/stage [SCANDIR=/etc/service]
# The programs are one binary installed under each program's name (hard links),
# and svscanboot, a shell script that runs svscan on SCANDIR.

PREFIX ?= /usr/local
SCANDIR ?= /etc/service
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man8
BINARY = target/release/daemontools
CARGO ?= cargo

.PHONY: all build test example install clean

all: build

build:
	$(CARGO) build --release --bin daemontools

test:
	$(CARGO) test --workspace

example: build
	sh examples/run

# The program names come from the binary itself: it lists them when run without one.
install: build
	@set -e; \
	programs=$$($(BINARY) 2>&1 | sed -n 's/.*one of: //p'); \
	install -d "$(BINDIR)" "$(MANDIR)"; \
	first=""; \
	for p in $$programs; do \
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

clean:
	$(CARGO) clean
