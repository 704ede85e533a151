/* SPDX-License-Identifier: GPL-2.0 */
/*
 * utrace: process tracing for engine modules.
 *
 * This header is what a C engine module includes. The engine API (attach, events, control,
 * barrier, stopping and examining threads) is implemented by utrace.ko and exported with
 * EXPORT_SYMBOL_GPL; build an engine with KBUILD_EXTRA_SYMBOLS=<utrace>/Module.symvers so
 * modpost knows those symbols.
 *
 * This version of the module provides the load-time checks and the hook table only; the
 * engine API follows (see Documentation/design.md).
 */
#ifndef _LINUX_UTRACE_H
#define _LINUX_UTRACE_H

/*
 * The API version, a date, as in the original utrace. utrace.ko shows the version it
 * implements in /sys/kernel/debug/utrace/state.
 */
#define UTRACE_API_VERSION	20261121

#endif /* _LINUX_UTRACE_H */
