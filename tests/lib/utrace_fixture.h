/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture the engine tests share: load utrace and engine modules, and at the end unload
 * them, checking first that utrace holds no per-task state and no engine any more. Include
 * after kselftest_harness.h (it uses its EXPECT/ASSERT macros).
 */
#ifndef _UTRACE_FIXTURE_H
#define _UTRACE_FIXTURE_H

#include "utrace_test_util.h"

/*
 * The harness's default deadline per test is 30 s. On the debug kernel (KASAN, lockdep)
 * under TCG, on a loaded 2-core host, a loop of a few hundred tracee rounds takes longer:
 * a slow run must not read as a hang. 300 s is the deadline for a real one. (Used when the
 * TEST() and TEST_F() macros expand, after this header.)
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

/* Loads @mods in order (a NULL-terminated list starting with "utrace"). */
static inline void ut_fixture_load(struct __test_metadata *_metadata, const char *const *mods)
{
	for (const char *const *m = mods; *m; m++) {
		const char *name = *m;

		ASSERT_EQ(0, ut_load_module(name, "")) TH_LOG("insmod %s", name ? name : "?");
	}
}

/*
 * Loads utrace with the test-only @params (widened race windows, rust/testing.rs), then the
 * C test engine, and clears the engine's log: the fixtures of the race-window tests.
 */
static inline void ut_fixture_load_windowed(struct __test_metadata *_metadata, const char *params)
{
	ASSERT_EQ(0, ut_load_module("utrace", params)) TH_LOG("insmod utrace %s", params);
	ASSERT_EQ(0, ut_load_module("utrace_test_engine", "")) TH_LOG("insmod utrace_test_engine");
	ASSERT_EQ(0, ut_cmd("clear"));
}

/* Unloads @mods in reverse order; before "utrace" goes, nothing of it may be left. */
static inline void ut_fixture_unload(struct __test_metadata *_metadata, const char *const *mods)
{
	static char state[512];
	int n = 0;

	while (mods[n])
		n++;
	while (n-- > 1) {
		const char *name = mods[n];

		EXPECT_EQ(0, ut_unload_module(name)) TH_LOG("rmmod %s", name ? name : "?");
	}
	EXPECT_TRUE(ut_wait_no_leak(10)) {
		ut_read_file(UTRACE_DEBUGFS "/state", state, sizeof(state));
		TH_LOG("leak:\n%s", state);
	}
	EXPECT_EQ(0, ut_unload_module(mods[0]));
}

#endif /* _UTRACE_FIXTURE_H */
