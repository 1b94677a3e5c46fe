void test_emul_misc(void) {}
