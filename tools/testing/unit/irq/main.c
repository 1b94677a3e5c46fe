// SPDX-License-Identifier: GPL-2.0
#include "test.h"

unsigned int t_passed, t_failed;

void t_result(const char *file, int line, const char *what, int ok)
{
	if (ok) {
		t_passed++;
		return;
	}
	t_failed++;
	fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
}

int main(void)
{
	test_pic();
	test_ioapic();
	printf("%u passed, %u failed\n", t_passed, t_failed);
	return t_failed != 0;
}
