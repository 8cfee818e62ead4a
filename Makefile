# sre.health: set up and run the fleet health check (make run) or every test (make test) on a
# fresh Debian/Ubuntu machine with Python 3. Everything installs itself into .venv and .build.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUILD := .build
COLLECTIONS := $(CURDIR)/$(BUILD)/collections
COPY := $(COLLECTIONS)/ansible_collections/sre/health
INSTALLED := $(CURDIR)/$(BUILD)/installed
SYSTEM_PACKAGES := bindfs fuse3 e2fsprogs util-linux
ROOT := $(shell id -u)
# Every tool (ansible-*, molecule) from the project's virtual environment.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.PHONY: help run test venv system-deps copy ansible-test-cache sanity units lint molecule publish-venv publish-check \
	bench bench-capacity bench-deps bench-quick clean

help:
	@echo "make run   - set up and run the health check playbook (sre.health.check) against localhost"
	@echo "make test  - set up and run every test: sanity, publishing checks, unit, lint, molecule, benchmark smoke run"
	@echo "make publish-check - build the tarball and check it as Galaxy would (galaxy-importer), lint and build the"
	@echo "             docs (antsibull-docs: .build/docsite), lint the changelog fragments, check ansible-navigator.yml"
	@echo "make bench - compare sre.health with the alternatives; writes docs/benchmarks.md"
	@echo "make bench-capacity - the main job's controller cost at 10 to 500 hosts over SSH, and the AWX"
	@echo "             capacity plan from it (forks, nodes, slices); writes docs/capacity.md (about 30 minutes)"

# --- set-up ----------------------------------------------------------------------------
$(BIN)/activate:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$(ROOT)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "python3 -m venv failed: install your distribution's python3-venv package" >&2; exit 1; fi; }

$(VENV)/.installed: requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

# The publishing tools (galaxy-importer, antsibull-docs, antsibull-changelog, ansible-navigator) in a virtual
# environment of their own: their pins (ansible-lint, flake8, ...) must not move the project's.
PUBLISH_VENV := $(BUILD)/publish-venv
$(PUBLISH_VENV)/.installed: requirements-publish.txt | $(BIN)/activate
	@rm -rf $(PUBLISH_VENV) && $(PYTHON) -m venv $(PUBLISH_VENV)
	$(PUBLISH_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-publish.txt
	@touch $@

publish-venv: $(PUBLISH_VENV)/.installed

# Root-only test fixtures: FUSE (a frozen mount), loop-mounted ext4; a real browser for the HTML report;
# an SSH client (unreachable hosts); Debian's monitoring-plugins (the command kind runs them); dnsmasq
# (dnsmasq-base: the binary without a service; the dns tests start their own on 127.0.0.1 and ::1);
# systemd-journal-remote (writes the real journal files the log kind's journal tests read; its
# services are never started: policy-rc.d says no while it installs); prometheus (promtool tests the
# shipped rules), prometheus-node-exporter and prometheus-alertmanager: the tests run these binaries on
# 127.0.0.1 with their own ports and data directories; the packages' services, which would listen on
# every address, are never started (policy-rc.d) and are masked when this installs them, so no boot
# starts them either.
system-deps:
	@missing=""; \
	command -v bindfs >/dev/null || missing="$$missing bindfs fuse3"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v mkfs.ext4 >/dev/null || missing="$$missing e2fsprogs"; \
	command -v losetup >/dev/null || missing="$$missing util-linux"; \
	command -v ssh >/dev/null || missing="$$missing openssh-client"; \
	[ -x /usr/lib/nagios/plugins/check_procs ] || missing="$$missing monitoring-plugins-basic monitoring-plugins-standard"; \
	[ -x /usr/sbin/dnsmasq ] || missing="$$missing dnsmasq-base"; \
	[ -x /lib/systemd/systemd-journal-remote ] || [ -x /usr/lib/systemd/systemd-journal-remote ] || \
	  missing="$$missing systemd-journal-remote"; \
	command -v promtool >/dev/null && command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v prometheus-node-exporter >/dev/null || missing="$$missing prometheus-node-exporter"; \
	command -v prometheus-alertmanager >/dev/null || missing="$$missing prometheus-alertmanager"; \
	if [ -n "$$missing" ]; then \
	  if [ "$(ROOT)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing (no service is started)"; \
	    guard=""; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; \
	      chmod +x /usr/sbin/policy-rc.d; guard=1; fi; \
	    if DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; }; \
	    then rc=0; else rc=1; fi; \
	    [ -z "$$guard" ] || rm -f /usr/sbin/policy-rc.d; \
	    [ $$rc = 0 ] || { echo "system-deps: could not install$$missing" >&2; exit 1; }; \
	    for pkg in prometheus prometheus-node-exporter prometheus-alertmanager; do \
	      case " $$missing " in *" $$pkg "*) ! command -v systemctl >/dev/null || \
	        systemctl mask --quiet $$pkg.service 2>/dev/null || true;; esac; \
	    done; \
	  else echo "not root: the tests that need$$missing (and mounting) will be skipped" >&2; fi; \
	fi

# ansible-test runs from a path ending in ansible_collections/sre/health: a fresh copy of the
# tracked and untracked-but-not-ignored files, so deleted files disappear. The copy gets its own
# git index: inside this checkout (where .build is ignored) ansible-test would list no files.
copy:
	@rm -rf $(COPY) && mkdir -p $(COPY)
	@git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done \
	  | tar --null -T - -cf - | tar -C $(COPY) -xf -
	@cd $(COPY) && git init -q && git add -A

# ansible-test bootstraps pip in its virtual environments with a downloaded get-pip script, from a
# site these machines cannot reach: put the offline stand-in where it looks for a cached copy.
ansible-test-cache: venv
	@version=$$($(BIN)/python -c 'import ansible_test, os, re; p = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py"); print(re.search(r"pip=.([0-9.]+).", open(p).read()).group(1))'); \
	mkdir -p ~/.ansible/test/cache && cp tests/utils/get_pip_standin.py ~/.ansible/test/cache/get_pip_$${version//./_}.py

sanity: venv copy ansible-test-cache
	cd $(COPY) && ansible-test sanity --local --python 3.11 --color no

units: venv system-deps copy
	cd $(COPY) && ansible-test units --local --python 3.11 --color no

# From the copy, with the copy on the collections path, so sre.health.* resolves offline.
lint: venv copy
	cd $(COPY) && ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ansible-lint --offline

molecule: venv
	bash tests/utils/molecule.sh

# What a release must pass before it is published (tests/utils/publish_check.sh says each step): the tarball
# through galaxy-importer with no error and no warning, the docs through antsibull-docs (lint, and the docsite's
# RST in .build/docsite), the changelog fragments, ansible-navigator.yml. The release itself: README.md, "Publishing".
publish-check: publish-venv copy
	bash tests/utils/publish_check.sh $(PUBLISH_VENV) $(COPY) $(BUILD)

test: sanity publish-check units lint molecule bench-quick
	@echo "make test: sanity, the publishing checks, units, lint, molecule and the benchmark smoke run all passed"

# --- the main job -----------------------------------------------------------------------
# The collection goes into .build/installed, where ansible.cfg (read by every ansible command run from this
# directory) finds it; its settings are the ones the run below uses, so the README's next command, run from
# here, `ansible-playbook sre.health.check -i inventory`, gets what make run got.
run: venv copy
	@rm -f $(BUILD)/sre-health-*.tar.gz
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD) $(COPY) >/dev/null
	ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) $(BIN)/ansible-galaxy collection install --force -p $(INSTALLED) $(BUILD)/sre-health-*.tar.gz >/dev/null
	ANSIBLE_NOCOLOR=$${ANSIBLE_NOCOLOR:-$${CI:+1}} $(BIN)/ansible-playbook sre.health.check

# The monitoring-plugins are one arm of the benchmark, dnsmasq and systemd-journal-remote serve the dns and
# journal checks of the per-kind costs, openssh-server's sshd serves the arms over SSH
# (the benchmark starts its own on 127.0.0.1; the package's service is never started: policy-rc.d
# says no while it installs), Mitogen for Ansible is one more strategy (Debian's packages; root
# installs them).
bench-deps: venv
	@missing=""; \
	[ -x /usr/lib/nagios/plugins/check_http ] || missing="$$missing monitoring-plugins-basic monitoring-plugins-standard"; \
	[ -x /usr/sbin/sshd ] || missing="$$missing openssh-server"; \
	[ -x /usr/sbin/dnsmasq ] || missing="$$missing dnsmasq-base"; \
	[ -x /lib/systemd/systemd-journal-remote ] || [ -x /usr/lib/systemd/systemd-journal-remote ] || \
	  missing="$$missing systemd-journal-remote"; \
	if [ -n "$$missing" ]; then \
	  if [ "$(ROOT)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing (no service is started)"; \
	    guard=""; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; \
	      chmod +x /usr/sbin/policy-rc.d; guard=1; fi; \
	    if DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; }; \
	    then rc=0; else rc=1; fi; \
	    [ -z "$$guard" ] || rm -f /usr/sbin/policy-rc.d; \
	    [ $$rc = 0 ] || { echo "bench-deps: could not install$$missing" >&2; exit 1; }; \
	  else echo "not root: the benchmark leaves out the arms that need$$missing" >&2; fi; \
	fi
	$(BIN)/pip install -q --disable-pip-version-check -r bench/requirements.txt

# The same fleet check done seven ways, side by side; writes docs/benchmarks.md (about 15 minutes).
bench: venv copy bench-deps
	$(BIN)/python bench/bench.py --collections $(COLLECTIONS)

# The main job over SSH at N = 10, 50, 200, 500 with forks 10, and forks 50 at N=500, once each, plus the
# latency probe (one fork at N = 1, 5); then the plan for 1,000 to 50,000 hosts with AWX's capacity rules:
# docs/capacity.md and docs/capacity.json (about 30 minutes on 2 cores; run it on a quiet machine).
bench-capacity: venv copy bench-deps
	$(BIN)/python bench/capacity.py --collections $(COLLECTIONS)

# A smoke run of every arm (N=1, K=4, once), inside make test; timings are not judged. Then the capacity
# benchmark's (N=2, once, about 15 s): it runs and writes its report, nothing more.
bench-quick: venv copy bench-deps
	$(BIN)/python bench/bench.py --quick --collections $(COLLECTIONS)
	$(BIN)/python bench/capacity.py --quick --collections $(COLLECTIONS) --output $(BUILD)/capacity-quick.md
	@test -s $(BUILD)/capacity-quick.md && test -s $(BUILD)/capacity-quick.json

clean:
	rm -rf $(BUILD)
