// SPDX-License-Identifier: GPL-2.0
/*
 * Yama's ptrace_scope 3 ("no attach"): nobody may attach, root with CAP_SYS_PTRACE included;
 * utrace's check answers exactly as ptrace(PTRACE_ATTACH) does. The scope cannot be lowered
 * once set, so tests/run-all.sh runs this binary after every other one (*_last_test).
 */
#include "kselftest_harness.h"
#include "utrace_fixture.h"
#include "utrace_access.h"

static const char *const modules[] = { "utrace", "utrace_test_engine", "utrace_rust_test", NULL };

FIXTURE(scope3) {
	struct ut_tracer tr;
};

FIXTURE_SETUP(scope3)
{
	ut_fixture_load(_metadata, modules);
	memset(&self->tr, 0, sizeof(self->tr));
}

FIXTURE_TEARDOWN(scope3)
{
	ut_tracer_stop(&self->tr);
	ut_fixture_unload(_metadata, modules);
}

static void expect_refused(struct __test_metadata *_metadata, struct ut_tracer *tr, pid_t pid,
			   const char *what)
{
	EXPECT_EQ(-EPERM, ut_tracer_do(tr, OP_PTRACE, pid, 0)) TH_LOG("%s: ptrace", what);
	EXPECT_EQ(-EPERM, ut_tracer_do(tr, OP_MAY, pid, 0)) TH_LOG("%s: may", what);
	EXPECT_EQ(-EPERM, ut_tracer_do(tr, OP_ATTACH, pid, 0)) TH_LOG("%s: C engine", what);
	EXPECT_EQ(-EPERM, ut_tracer_do(tr, OP_RATTACH, pid, 0)) TH_LOG("%s: Rust engine", what);
}

TEST_F_TIMEOUT(scope3, nobody_attaches, 600)
{
	pid_t kid;
	int tid;

	if (ut_yama_scope() < 0)
		SKIP(return, "no Yama in this kernel");
	ASSERT_EQ(0, ut_set_yama_scope(3));
	ASSERT_EQ(3, ut_yama_scope());

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_ROOT));
	ASSERT_TRUE(ut_has_cap_sys_ptrace());
	kid = ut_tracer_do(&self->tr, OP_SPAWN, 0, 0);
	ASSERT_LT(0, kid);
	expect_refused(_metadata, &self->tr, kid, "root with CAP_SYS_PTRACE, own child");
	/* Its own thread group is not a matter of Yama: allowed with the flag. */
	tid = ut_tracer_do(&self->tr, OP_THREAD, 0, 0);
	ASSERT_LT(0, tid);
	EXPECT_EQ(0, ut_tracer_do(&self->tr, OP_MAY, tid, UTRACE_ACCESS_OWN_GROUP));
	ut_tracer_stop(&self->tr);

	ASSERT_EQ(0, ut_tracer_start(&self->tr, UT_USER1000));
	kid = ut_tracer_do(&self->tr, OP_SPAWN, 0, 0);
	ASSERT_LT(0, kid);
	expect_refused(_metadata, &self->tr, kid, "uid 1000, own child");
}

TEST_HARNESS_MAIN
