// SPDX-License-Identifier: GPL-2.0
/*
 * utrace.ko load-time behaviour: it loads and unloads cleanly, finds every tracepoint it
 * hooks, checks the Rust bindings' struct layout against the C compiler (and refuses to load
 * when they differ), refuses to load when a tracepoint is missing, and shows its state under
 * debugfs.
 *
 * The host fails the whole run if the kernel log shows a splat, so "no splat" is checked for
 * every test here without a line of code in it.
 */
#include <stddef.h>
#include <sys/user.h>

#include "kselftest_harness.h"
#include "utrace_test_util.h"

/*
 * The tracepoints utrace must hook, as "subsystem/name" in tracefs. Written out here rather
 * than read from the module so that the test checks the module against an independent list.
 */
static const char *const hooked[] = {
	"raw_syscalls/sys_enter",
	"raw_syscalls/sys_exit",
	"task/task_newtask",
	"sched/sched_process_fork",
	"sched/sched_prepare_exec",
	"sched/sched_process_exec",
	"sched/sched_process_exit",
	"sched/sched_process_free",
	"signal/signal_generate",
	"signal/signal_deliver",
};
#define NHOOKED (sizeof(hooked) / sizeof(hooked[0]))

static char buf[64 * 1024];

/* The line of @text that starts with "@key " (copied into @line), or 0. */
static int find_line(const char *text, const char *key, char *line, size_t size)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > klen && !strncmp(p, key, klen) && p[klen] == ' ') {
			snprintf(line, size, "%.*s", (int)len, p);
			return 1;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

TEST(load_unload)
{
	int kmsg = ut_kmsg_open();

	ASSERT_LE(0, kmsg);
	ASSERT_FALSE(ut_module_loaded("utrace"));
	ASSERT_EQ(0, ut_load_module("utrace", ""));
	ASSERT_TRUE(ut_module_loaded("utrace"));
	ASSERT_EQ(5, ut_read_file("/sys/module/utrace/initstate", buf, sizeof(buf)));
	EXPECT_STREQ("live\n", buf);
	EXPECT_TRUE(ut_kmsg_find(kmsg, "utrace: loaded:", NULL, 0));
	ASSERT_EQ(0, ut_unload_module("utrace"));
	EXPECT_FALSE(ut_module_loaded("utrace"));
	EXPECT_TRUE(ut_kmsg_find(kmsg, "utrace: unloaded", NULL, 0));
	close(kmsg);
}

TEST(load_unload_repeated)
{
	for (int i = 0; i < 25; i++) {
		ASSERT_EQ(0, ut_load_module("utrace", "")) {
			TH_LOG("load #%d", i);
		}
		ASSERT_EQ(0, ut_unload_module("utrace")) {
			TH_LOG("unload #%d", i);
		}
	}
	EXPECT_FALSE(ut_module_loaded("utrace"));
}

TEST(debugfs_removed_on_unload)
{
	ASSERT_EQ(0, ut_load_module("utrace", ""));
	EXPECT_TRUE(ut_path_exists(UTRACE_DEBUGFS "/state"));
	ASSERT_EQ(0, ut_unload_module("utrace"));
	EXPECT_FALSE(ut_path_exists(UTRACE_DEBUGFS));
}

TEST(layout_mismatch_refused)
{
	char line[512];
	unsigned long c_off, c_size, r_off, r_size;
	int kmsg = ut_kmsg_open();

	ASSERT_LE(0, kmsg);
	EXPECT_EQ(-EINVAL, ut_load_module("utrace", "test_layout_skew=8"));
	EXPECT_FALSE(ut_module_loaded("utrace"));
	ASSERT_TRUE(ut_kmsg_find(kmsg, "layout mismatch: task_struct.pid:", line, sizeof(line)));
	ASSERT_EQ(4, sscanf(strstr(line, "task_struct.pid:"),
			    "task_struct.pid: C offset %lu size %lu, Rust bindings offset %lu size %lu",
			    &c_off, &c_size, &r_off, &r_size)) TH_LOG("line: %s", line);
	EXPECT_EQ(c_off + 8, r_off);
	EXPECT_EQ(sizeof(pid_t), c_size);
	EXPECT_EQ(c_size, r_size);
	EXPECT_TRUE(ut_kmsg_find(kmsg, "refusing to load: 1 struct field(s) differ", NULL, 0));
	close(kmsg);

	/* A refused load leaves nothing behind: the next plain load works. */
	ASSERT_EQ(0, ut_load_module("utrace", ""));
	ASSERT_EQ(0, ut_unload_module("utrace"));
}

TEST(missing_tracepoint_refused)
{
	int kmsg = ut_kmsg_open();

	ASSERT_LE(0, kmsg);
	EXPECT_EQ(-ENOENT, ut_load_module("utrace", "test_missing_tracepoint=1"));
	EXPECT_FALSE(ut_module_loaded("utrace"));
	EXPECT_FALSE(ut_path_exists(UTRACE_DEBUGFS));
	EXPECT_TRUE(ut_kmsg_find(kmsg,
		"tracepoint \"utrace_test_no_such_tracepoint\" not found", NULL, 0));
	close(kmsg);
}

TEST(bad_parameter_refused)
{
	EXPECT_EQ(-EINVAL, ut_load_module("utrace", "test_layout_skew=banana"));
	EXPECT_FALSE(ut_module_loaded("utrace"));
}

FIXTURE(loaded) {
	int dummy;
};

FIXTURE_SETUP(loaded)
{
	ASSERT_EQ(0, ut_load_module("utrace", ""));
}

FIXTURE_TEARDOWN(loaded)
{
	EXPECT_EQ(0, ut_unload_module("utrace"));
}

TEST_F(loaded, hooks_all_found)
{
	char line[256];

	ASSERT_LT(0, ut_read_file(UTRACE_DEBUGFS "/hooks", buf, sizeof(buf)));
	EXPECT_EQ(NHOOKED, (size_t)ut_count_lines(buf)) TH_LOG("hooks:\n%s", buf);
	for (size_t i = 0; i < NHOOKED; i++) {
		const char *name = strchr(hooked[i], '/') + 1;

		ASSERT_TRUE(find_line(buf, name, line, sizeof(line))) TH_LOG("%s not listed", name);
		EXPECT_TRUE(strstr(line, " found ") != NULL) TH_LOG("%s", line);
	}
}

/* Each hooked tracepoint is one the kernel itself knows by that name (tracefs). */
TEST_F(loaded, hooks_exist_in_tracefs)
{
	char path[256];

	for (size_t i = 0; i < NHOOKED; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", hooked[i]);
		EXPECT_TRUE(ut_path_exists(path)) TH_LOG("%s missing", path);
	}
}

TEST_F(loaded, layout_all_ok)
{
	char line[256];
	int n;

	ASSERT_LT(0, ut_read_file(UTRACE_DEBUGFS "/layout", buf, sizeof(buf)));
	n = ut_count_lines(buf);
	EXPECT_LT(10, n);
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		EXPECT_EQ(0, strcmp(l + strlen(l) - 3, " ok")) TH_LOG("%s", l);
	}

	ASSERT_LT(0, ut_read_file(UTRACE_DEBUGFS "/state", buf, sizeof(buf)));
	ASSERT_TRUE(find_line(buf, "layout_fields_checked", line, sizeof(line)));
	EXPECT_EQ(n, atoi(line + strlen("layout_fields_checked ")));
}

/*
 * The pt_regs offsets the module checked are the ones of the ptrace register ABI
 * (struct user_regs_struct starts with the same 21 words as the kernel's pt_regs): an
 * oracle independent of both the C glue and bindgen.
 */
TEST_F(loaded, layout_pt_regs_matches_ptrace_abi)
{
	static const struct { const char *key; size_t off; } want[] = {
		{ "pt_regs.orig_ax", offsetof(struct user_regs_struct, orig_rax) },
		{ "pt_regs.ax", offsetof(struct user_regs_struct, rax) },
		{ "pt_regs.ip", offsetof(struct user_regs_struct, rip) },
		{ "pt_regs.flags", offsetof(struct user_regs_struct, eflags) },
		{ "pt_regs.sp", offsetof(struct user_regs_struct, rsp) },
		{ "pt_regs.di", offsetof(struct user_regs_struct, rdi) },
		{ "pt_regs.si", offsetof(struct user_regs_struct, rsi) },
		{ "pt_regs.dx", offsetof(struct user_regs_struct, rdx) },
		{ "pt_regs.r10", offsetof(struct user_regs_struct, r10) },
		{ "pt_regs.r8", offsetof(struct user_regs_struct, r8) },
		{ "pt_regs.r9", offsetof(struct user_regs_struct, r9) },
		{ "pt_regs", 0 },
	};
	char line[256], expect[256];

	ASSERT_LT(0, ut_read_file(UTRACE_DEBUGFS "/layout", buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ASSERT_TRUE(find_line(buf, want[i].key, line, sizeof(line))) TH_LOG("%s", want[i].key);
		if (!strcmp(want[i].key, "pt_regs"))
			snprintf(expect, sizeof(expect), "pt_regs offset=0 size=%zu ok",
				 offsetof(struct user_regs_struct, fs_base));
		else
			snprintf(expect, sizeof(expect), "%s offset=%zu size=8 ok",
				 want[i].key, want[i].off);
		EXPECT_STREQ(expect, line);
	}
}

TEST_F(loaded, state_readable)
{
	char line[256];

	ASSERT_LT(0, ut_read_file(UTRACE_DEBUGFS "/state", buf, sizeof(buf)));
	ASSERT_TRUE(find_line(buf, "api_version", line, sizeof(line))) TH_LOG("%s", buf);
	EXPECT_STREQ("api_version 20261121", line);
	ASSERT_TRUE(find_line(buf, "hooks_found", line, sizeof(line)));
	EXPECT_EQ(NHOOKED, (size_t)atoi(line + strlen("hooks_found ")));
}

TEST_HARNESS_MAIN
