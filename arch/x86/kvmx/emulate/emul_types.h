/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Portability shim: the emulator, decoder and walker are pure code that is
 * built both into the kvmx module and into user-space tests and fuzzers.
 * Nothing in this folder may include anything but this header for its
 * basic types and string helpers.
 */
#ifndef KVMX_EMUL_TYPES_H
#define KVMX_EMUL_TYPES_H

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#endif /* __KERNEL__ */

#define EMUL_BIT(n)	(1ULL << (n))

#endif /* KVMX_EMUL_TYPES_H */
