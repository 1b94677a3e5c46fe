# SPDX-License-Identifier: GPL-2.0
#
# kvmx top-level Makefile.
#
#   make                 build kvmx.ko against KDIR
#   make check           install test dependencies, build, run every test
#   make demo            boot the emulated machine and show kvmx at work:
#                        a nested Linux boot on kvmx, then on KVM, timed
#   make check-vmx-e2e   the nested Linux boot on Bochs (VMX); 10-30 min
#   make selftests       build the static selftest binaries
#   make unit            run the user-space unit tests
#   make conformance     upstream KVM's selftests: kvmx vs kvm_amd (QEMU)
#   make conformance-vmx the same on Bochs (VMX), kvm_intel the oracle
#   make bench           microbenchmarks, kvmx vs kvm_amd (QEMU): build/bench/
#   make clean

# KDIR: the running kernel's build tree where there is one, else the newest
# Debian linux-headers-*-amd64 that is installed.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(shell ls -d /usr/src/linux-headers-[0-9]*-amd64 2>/dev/null | \
		grep -v -e cloud -e '-rt-' | sort -V | tail -n 1))

BUILD := $(CURDIR)/build

# Kernels the test-beds boot: every Debian amd64 kernel image installed
# with its headers.  tools/testing/vm/deps.sh installs 6.1 and 6.12.
KVERS ?= $(shell tools/testing/vm/kernels.sh)

SRCS := Kbuild $(shell find virt arch include -name '*.[chS]' 2>/dev/null)

.PHONY: all modules clean check demo selftests unit deps kmods help

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# One copy of the sources per kernel: kbuild of this era writes objects
# next to the sources, so two kernels cannot share one tree.
kmods:
	@for v in $(KVERS); do \
		d=$(BUILD)/kmod/$$v; mkdir -p $$d; \
		tar cf - $(SRCS) | tar xf - -C $$d; \
		$(MAKE) -s -C /usr/src/linux-headers-$$v M=$$d W=$(W) modules || exit 1; \
	done

selftests:
	$(MAKE) -C tools/testing/selftests/kvmx OUTPUT=$(BUILD)/selftests

unit:
	$(MAKE) -C tools/testing/unit run
	$(MAKE) -C tools/testing/unit/irq run
	$(MAKE) -C tools/testing/unit/pit run
	$(MAKE) -C tools/testing/unit/lapic run

deps:
	tools/testing/vm/deps.sh

check: deps
	tools/testing/vm/check.sh

demo: deps
	tools/testing/vm/demo.sh

# Upstream KVM selftests (tools/testing/conformance/README.md): one boot,
# kvmx then the stock KVM; table in build/conformance/results*.tsv.
.PHONY: conformance conformance-vmx
conformance: deps kmods selftests
	tools/testing/conformance/run.sh qemu
conformance-vmx: deps kmods selftests
	tools/testing/conformance/run.sh bochs

# Debian's QEMU -accel kvm booting Linux on kvmx on the VMX test-bed
# (Bochs, 6.1), nothing else: run.sh E2E=1.  Not part of check: Bochs
# takes 10-30 minutes for it.  Two variants (qemu-guest/variants): the
# irqchip in QEMU, and in kvmx; VMM= picks others.
E2E_VMM ?= pc-qemu64,pc
.PHONY: check-vmx-e2e
check-vmx-e2e: deps kmods
	@k=$$(tools/testing/vm/kernels.sh | grep -m1 '^6\.1\.'); \
	[ -n "$$k" ] || { echo "check-vmx-e2e: no 6.1 kernel (tools/testing/vm/deps.sh)" >&2; exit 1; }; \
	v=$${VMM:-$(E2E_VMM)}; \
	echo "== Bochs (VMX) with $$k: QEMU -accel kvm on kvmx, $$v (log: build/vm/bochs-$$k.log)"; \
	E2E=1 VMM=$$v EXTRA_TESTS= tools/testing/vm/run.sh bochs $$k

# Microbenchmarks (tools/testing/bench/README.md): kvmx and the stock KVM
# alternating in one QEMU boot, and again under -icount; not part of
# check.  Table and plot in build/bench/.
.PHONY: bench
bench:
	tools/testing/bench/bench.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf $(BUILD)

help:
	@sed -n '3,17p' Makefile
