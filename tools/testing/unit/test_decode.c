// SPDX-License-Identifier: GPL-2.0
#include "harness.h"
void test_decode(void) {}
