# Builds, tests and installs the daemontools programs.
#   make                      build (release)
#   make test                 run every test (the README's test command)
#   make example              build and run the example of the README
#   make install PREFIX=/usr DESTDIR=/tmp/stage
# The programs are one binary installed under each program's name (hard links).

PREFIX ?= /usr/local
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
	done

clean:
	$(CARGO) clean
