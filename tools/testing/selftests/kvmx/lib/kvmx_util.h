/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the kvmx selftests.
 *
 * Every wrapper returns the ioctl's non-negative result, or -errno on
 * failure, so that a test can write ASSERT_EQ(-EINVAL, vm_set_mem(...)).
 * Nothing here knows anything about kvmx: the same binaries run against
 * the stock KVM, whose behaviour is the reference.
 */
#ifndef KVMX_UTIL_H
#define KVMX_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#define KVM_DEV_PATH "/dev/kvm"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/*
 * TEST_ASSERT() is for code outside the harness (kvm-hold, helpers run in
 * a forked grandchild): print where and why, then exit non-zero.  Inside a
 * TEST() use the harness' ASSERT_* / EXPECT_*.
 */
#define TEST_ASSERT(cond, fmt, ...) do {				\
	if (!(cond))							\
		kvmx_assert_fail(__FILE__, __LINE__, #cond,		\
				 fmt, ##__VA_ARGS__);			\
} while (0)

void kvmx_assert_fail(const char *file, int line, const char *expr,
		      const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/* ioctl(2) returning the result or -errno. */
long kvm_ioctl(int fd, unsigned long request, unsigned long arg);
#define KVM_IOCTL(fd, req, arg) kvm_ioctl((fd), (req), (unsigned long)(arg))

/* open("/dev/kvm", O_RDWR | O_CLOEXEC): fd or -errno. */
int kvm_open(void);

/* KVM_CHECK_EXTENSION on a /dev/kvm or VM fd: the value or -errno. */
long kvm_check_cap(int fd, long cap);

/* KVM_CREATE_VM with type 0: VM fd or -errno. */
int vm_create(int kvm_fd);

/* Open /dev/kvm, create a VM, close /dev/kvm: VM fd or -errno. */
int vm_create_standalone(void);

/* KVM_CREATE_VCPU: vCPU fd or -errno. */
int vcpu_create(int vm_fd, unsigned long id);

/* KVM_GET_VCPU_MMAP_SIZE: size or -errno. */
long vcpu_mmap_size(int kvm_fd);

/* KVM_SET_USER_MEMORY_REGION: 0 or -errno. */
int vm_set_mem(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
	       uint64_t size, uint64_t hva);

/* KVM_GET_DIRTY_LOG: 0 or -errno. */
int vm_get_dirty_log(int vm_fd, uint32_t slot, void *bitmap);

/* Anonymous private read/write memory, page aligned; NULL on failure. */
void *guest_mem_alloc(size_t size);
void guest_mem_free(void *mem, size_t size);

size_t host_page_size(void);

/*
 * The host's MAXPHYADDR, CPUID 0x80000008 EAX[7:0] (36 if the leaf is
 * missing).  This is what KVM uses to bound guest physical addresses of
 * memslots when it uses two-dimensional paging; with shadow paging the
 * bound is 52 bits.
 */
unsigned int host_maxphyaddr(void);

/*
 * Touch one byte; return 0 if it worked, or the signal (SIGBUS, SIGSEGV)
 * the access raised.  probe_write() writes val.
 */
int probe_read(const volatile void *addr, uint8_t *val);
int probe_write(volatile void *addr, uint8_t val);

/* 1 if FD_CLOEXEC is set on fd, 0 if not, -errno on error. */
int fd_is_cloexec(int fd);

/* Raise RLIMIT_NOFILE's soft limit to at least want (up to the hard one). */
int raise_nofile_limit(unsigned long want);

/* Pass n fds over a unix socket (SCM_RIGHTS); 0 or -errno. */
int send_fds(int sock, const int *fds, int n);
int recv_fds(int sock, int *fds, int n);

/* An ioctl number no version of KVM defines, for "unknown ioctl" tests. */
#define KVMX_UNKNOWN_KVMIO	_IO(KVMIO, 0xff)
#define KVMX_UNKNOWN_KVMIO_W	_IOW(KVMIO, 0xfe, __u64)
/*
 * An ioctl of another type, which the VFS does not handle either (unlike
 * FIONBIO, FIOCLEX, FIGETBSZ, FS_IOC_*, ...): it reaches the driver.
 */
#define KVMX_FOREIGN_IOCTL	_IO('z', 0x42)
#define KVMX_FOREIGN_IOCTL_W	_IOW('z', 0x43, __u32)

#endif /* KVMX_UTIL_H */
