// SPDX-License-Identifier: GPL-2.0
#include "harness.h"
void test_walk(void) {}
void test_emul_misc(void) {}
