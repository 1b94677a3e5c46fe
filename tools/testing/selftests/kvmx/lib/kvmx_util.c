// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the kvmx selftests; see kvmx_util.h.
 */
#include <cpuid.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kvmx_util.h"

void kvmx_assert_fail(const char *file, int line, const char *expr,
		      const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fprintf(stderr, "==== Test Assertion Failure ====\n");
	fprintf(stderr, "  %s:%d: %s\n", file, line, expr);
	fprintf(stderr, "  errno=%d (%s)\n  ", err, strerror(err));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	exit(1);
}

long kvm_ioctl(int fd, unsigned long request, unsigned long arg)
{
	long r = ioctl(fd, request, arg);

	return r < 0 ? -errno : r;
}

int kvm_open(void)
{
	int fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

long kvm_check_cap(int fd, long cap)
{
	return kvm_ioctl(fd, KVM_CHECK_EXTENSION, (unsigned long)cap);
}

int vm_create(int kvm_fd)
{
	return (int)kvm_ioctl(kvm_fd, KVM_CREATE_VM, 0);
}

int vm_create_standalone(void)
{
	int kvm = kvm_open(), vm;

	if (kvm < 0)
		return kvm;
	vm = vm_create(kvm);
	close(kvm);
	return vm;
}

int vcpu_create(int vm_fd, unsigned long id)
{
	return (int)kvm_ioctl(vm_fd, KVM_CREATE_VCPU, id);
}

long vcpu_mmap_size(int kvm_fd)
{
	return kvm_ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
}

int vm_set_mem(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
	       uint64_t size, uint64_t hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return (int)kvm_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION,
			      (unsigned long)&r);
}

int vm_get_dirty_log(int vm_fd, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log;

	memset(&log, 0, sizeof(log));
	log.slot = slot;
	log.dirty_bitmap = bitmap;
	return (int)kvm_ioctl(vm_fd, KVM_GET_DIRTY_LOG, (unsigned long)&log);
}

void *guest_mem_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void guest_mem_free(void *mem, size_t size)
{
	if (mem)
		munmap(mem, size);
}

size_t host_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

unsigned int host_maxphyaddr(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (__get_cpuid_max(0x80000000, NULL) < 0x80000008)
		return 36;
	__cpuid(0x80000008, eax, ebx, ecx, edx);
	(void)ebx; (void)ecx; (void)edx;
	return eax & 0xff;
}

static sigjmp_buf probe_jmp;
static volatile sig_atomic_t probe_sig;

static void probe_handler(int sig)
{
	probe_sig = sig;
	siglongjmp(probe_jmp, 1);
}

static int probe(volatile uint8_t *p, bool write, uint8_t *val)
{
	struct sigaction sa, old_bus, old_segv;
	int ret = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	probe_sig = 0;
	if (sigsetjmp(probe_jmp, 1) == 0) {
		if (write)
			*p = *val;
		else
			*val = *p;
	} else {
		ret = probe_sig;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return ret;
}

int probe_read(const volatile void *addr, uint8_t *val)
{
	uint8_t dummy;

	return probe((volatile uint8_t *)addr, false, val ? val : &dummy);
}

int probe_write(volatile void *addr, uint8_t val)
{
	return probe((volatile uint8_t *)addr, true, &val);
}

int fd_is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -errno;
	return !!(fl & FD_CLOEXEC);
}

int raise_nofile_limit(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	return rl.rlim_cur >= want ? 0 : -EMFILE;
}

#define MAX_PASSED_FDS 8

int send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(MAX_PASSED_FDS * sizeof(int))];
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg;
	struct cmsghdr *cm;

	if (n < 1 || n > MAX_PASSED_FDS)
		return -EINVAL;
	memset(cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

int recv_fds(int sock, int *fds, int n)
{
	char cbuf[CMSG_SPACE(MAX_PASSED_FDS * sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg;
	struct cmsghdr *cm;

	if (n < 1 || n > MAX_PASSED_FDS)
		return -EINVAL;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
	if (recvmsg(sock, &msg, 0) != 1)
		return errno ? -errno : -EIO;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -EPROTO;
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return 0;
}
