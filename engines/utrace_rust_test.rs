// SPDX-License-Identifier: GPL-2.0

//! utrace_rust_test: a Rust engine that user space drives through debugfs, for the tests.
//!
//! It uses only the safe API of `include/rust/utrace.rs`: no `unsafe` in this file.
//!
//! `/sys/kernel/debug/utrace_rust_test/control` takes one command per write (a failing
//! command fails the write with its errno):
//!
//! ```text
//! attach TID        attach a new engine to thread TID (replacing the previous one), if the
//!                   writer may trace it (`Attached::attach_checked`: ptrace's rule; the
//!                   control file is root-only, the access tests write to it after
//!                   dropping their privileges)
//! events MASK       set its events (hex UTRACE_EVENT() bits)
//! ret_entry VALUE   what report_syscall_entry answers (hex action)
//! stop_nr NR        engines attached from now on stop at the entry of syscall NR (not at
//!                   its re-run) and wake the tracer with utrace::wake_up()
//! wait_stop         wait (10 s at most) for such a stop, then examine the stopped thread:
//!                   log its registers and the 8 bytes at its first syscall argument
//!                   (mem=0xffffffffffffffff if they cannot be read: a trap stop's rdi
//!                   need not be a pointer)
//! setnr NR          change the stopped thread's syscall number
//! setip ADDR        change the stopped thread's instruction pointer (hex)
//! bpset ADDR        `Attached::insert_breakpoint` at ADDR (hex) of the stopped thread; logs
//!                   "bp 0 TID addr=0xADDR orig=0xBYTE" and keeps the `Breakpoint` (one at a
//!                   time: EBUSY while one is kept; forgotten by the next attach)
//! bpclear           `Attached::remove_breakpoint` of the kept breakpoint (ENOENT: none)
//! watch ADDR LEN [KIND]  `Attached::set_watchpoint` (ADDR hex, LEN decimal, KIND the hex
//!                   UTRACE_WATCH_* type: 2 write, the default, 3 read/write, 4 exec)
//! unwatch ADDR      `Attached::clear_watchpoint`
//! peek ADDR         read 8 bytes at ADDR (hex) with `read_memory` (only of a thread this
//!                   engine stopped) and log them
//! resume            utrace_control(RESUME)
//! detach            drop the handle: detach, barrier, put
//! sig_stop N        engines attached from now on answer an intercepted signal N with
//!                   UTRACE_STOP, holding it (0: never), and wake the tracer as stop_nr does
//!                   (so wait_stop waits for it); every signal report is logged as
//!                   "signal 0 TID in=ACTION sig=N code=C kind=K" (K: 0 intercepted,
//!                   1 UTRACE_SIGNAL_REPORT, 2 observed, for which `rewrite` must fail:
//!                   "kind=3" if it did not); an intercepted SIGTRAP (an `int3`, a
//!                   watchpoint hit) also as "trap 0 TID in=ACTION ip=0xIP addr=0xADDR code=C"
//!                   (`SignalReport::ip`, `addr`, `code`: the C engine's "traplog" line)
//! setsig ACTION [SIGNO CODE VALUE]  `Attached::set_signal` on the held signal: ACTION a
//!                   hex UTRACE_SIGNAL_* action (DELIVER..TSTP), with, for DELIVER, the
//!                   signal to deliver instead
//! gate              the next report_syscall_entry (after it logged) blocks until "open"
//!                   (30 s at most)
//! open              release a gated callback (works while another command waits for it)
//! clear             empty the log
//! ```
//!
//! `log` lists the callbacks in the C test engine's format, with slot 0; with `Events::JCTL`,
//! each `report_jctl` is "jctl 0 TID in=ACTION type=T notify=N" (T: 5 CLD_STOPPED,
//! 6 CLD_CONTINUED) and answered RESUME.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use kernel::debugfs::{Dir, File};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex, SpinLockIrq};
use kernel::task::Task;
use kernel::uaccess::UserSliceReader;
use kernel::{new_mutex, new_spinlock_irq};

#[path = "../include/rust/utrace.rs"]
mod utrace;

use utrace::{
    Access, Action, Attached, Attacher, Breakpoint, Engine, Events, JctlType, ResumeAction,
    SignalAction, SignalKind, SignalReport, SyscallRegs, WaitQueue, WatchKind,
};

module! {
    type: RustTest,
    name: "utrace_rust_test",
    authors: ["utrace-rs developers"],
    description: "utrace test engine in Rust, driven through debugfs",
    license: "GPL",
}

const LOG_MAX: usize = 4096;

#[derive(Clone, Copy)]
enum Kind {
    Quiesce,
    Clone,
    Exec,
    Exit,
    Death,
    Entry,
    ExitSys,
    Signal,
    Reap,
    Release,
    Regs,
    Mem,
    Trap,
    Jctl,
    Bp,
}

struct Rec {
    kind: Kind,
    tid: i32,
    action: u32,
    a: [i64; 7],
}

/// The newest `LOG_MAX` records: a ring once full, so the last events (a `release`) are
/// always there.
struct Ring {
    recs: KVec<Rec>,
    /// Index of the oldest record once the ring is full.
    head: usize,
}

/// The callback log; callbacks run in any context, so an irq-safe lock and no allocation
/// (the vector is allocated at load with room for `LOG_MAX` records).
#[pin_data]
struct Log {
    #[pin]
    recs: SpinLockIrq<Ring>,
}

impl Log {
    fn push(&self, kind: Kind, action: u32, a: [i64; 7]) {
        self.push_rec(Rec {
            kind,
            tid: kernel::current!().pid(),
            action,
            a,
        });
    }

    fn push_tid(&self, kind: Kind, tid: i32) {
        self.push_rec(Rec {
            kind,
            tid,
            action: 0,
            a: [0; 7],
        });
    }

    fn push_rec(&self, rec: Rec) {
        let mut ring = self.recs.lock();
        if ring.recs.len() < LOG_MAX {
            // Within capacity: `push` does not allocate.
            let _ = ring.recs.push(rec, GFP_ATOMIC);
        } else {
            let head = ring.head;
            ring.recs[head] = rec;
            ring.head = (head + 1) % LOG_MAX;
        }
    }

    fn clear(&self) {
        let mut ring = self.recs.lock();
        ring.recs.clear();
        ring.head = 0;
    }

    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = self.recs.lock();
        let (newer, older) = ring.recs.split_at(ring.head);
        for r in Iterator::chain(older.iter(), newer.iter()) {
            let (t, a) = (r.tid, &r.a);
            match r.kind {
                Kind::Quiesce => {
                    writeln!(f, "quiesce 0 {t} in={:#x} event={:#x}", r.action, a[0])
                }
                Kind::Clone => writeln!(
                    f,
                    "clone 0 {t} in={:#x} flags={:#x} child={}",
                    r.action, a[0], a[1]
                ),
                Kind::Exec => writeln!(f, "exec 0 {t} in={:#x}", r.action),
                Kind::Exit => writeln!(
                    f,
                    "exit 0 {t} in={:#x} orig={} code={}",
                    r.action, a[0], a[1]
                ),
                Kind::Death => writeln!(f, "death 0 {t} group_dead={} signal={}", a[0], a[1]),
                Kind::Entry => writeln!(
                    f,
                    "syscall_entry 0 {t} in={:#x} nr={} args={:x},{:x},{:x},{:x},{:x},{:x}",
                    r.action, a[0], a[1], a[2], a[3], a[4], a[5], a[6]
                ),
                Kind::ExitSys => writeln!(
                    f,
                    "syscall_exit 0 {t} in={:#x} nr={} ret={}",
                    r.action, a[0], a[1]
                ),
                Kind::Signal => writeln!(
                    f,
                    "signal 0 {t} in={:#x} sig={} code={} kind={}",
                    r.action, a[0], a[1], a[2]
                ),
                Kind::Reap => writeln!(f, "reap 0 {t}"),
                Kind::Release => writeln!(f, "release 0 {t}"),
                Kind::Mem => writeln!(f, "mem 0 {t} addr={:#x} val={:#x}", a[0], a[1]),
                Kind::Trap => writeln!(
                    f,
                    "trap 0 {t} in={:#x} ip={:#x} addr={:#x} code={}",
                    r.action, a[0], a[1], a[2]
                ),
                Kind::Jctl => writeln!(
                    f,
                    "jctl 0 {t} in={:#x} type={} notify={}",
                    r.action, a[0], a[1]
                ),
                Kind::Bp => writeln!(f, "bp 0 {t} addr={:#x} orig={:#x}", a[0], a[1]),
                Kind::Regs => writeln!(
                    f,
                    "regs 0 {t} orig_ax={} ax={} di={:#x} mem={:#x}",
                    a[0], a[1], a[2], a[3]
                ),
            }?;
        }
        Ok(())
    }
}

/// Where the tracer waits for the engine's stops.
#[pin_data]
struct Waiter {
    #[pin]
    wq: WaitQueue,
    /// Wake-ups the tracer has waited for: the next stop is the one after the delivered
    /// wake-up number `seen + 1` (a counter the callback increments would be seen before the
    /// thread has stopped).
    seen: AtomicUsize,
    /// The next `report_syscall_entry` waits on `gate_wq` until `open` ("gate", "open").
    gated: AtomicBool,
    open: AtomicBool,
    #[pin]
    gate_wq: WaitQueue,
}

/// The engine: one per attachment, dropped by utrace's release callback.
struct Tracer {
    log: Arc<Log>,
    answer_entry: u32,
    /// Stop at the entry of this syscall (-1: never).
    stop_nr: i64,
    /// Kept by the engine value, so the queue outlives every wake-up of its callbacks.
    waiter: Arc<Waiter>,
    /// Stop holding this signal when it is intercepted (0: never).
    sig_stop: i32,
}

impl Drop for Tracer {
    fn drop(&mut self) {
        self.log.push(Kind::Release, 0, [0; 7]);
    }
}

impl Engine for Tracer {
    fn report_quiesce(&self, action: Action, event: Events) -> Action {
        self.log
            .push(Kind::Quiesce, action.0, [event.0 as i64, 0, 0, 0, 0, 0, 0]);
        Action::RESUME
    }

    fn report_clone(&self, action: Action, flags: u64, child: &Task) -> Action {
        let a = [flags as i64, i64::from(child.pid()), 0, 0, 0, 0, 0];
        self.log.push(Kind::Clone, action.0, a);
        Action::RESUME
    }

    fn report_exec(&self, action: Action) -> Action {
        self.log.push(Kind::Exec, action.0, [0; 7]);
        Action::RESUME
    }

    fn report_syscall_entry(&self, action: Action, regs: &mut SyscallRegs<'_>) -> Action {
        let mut a = [regs.nr(), 0, 0, 0, 0, 0, 0];
        for (i, v) in a.iter_mut().skip(1).enumerate() {
            *v = regs.arg(i) as i64;
        }
        self.log.push(Kind::Entry, action.0, a);
        let w = &self.waiter;
        if w.gated.swap(false, Ordering::AcqRel) {
            // A test's long callback: interrupted by a signal to the tracee, or after 30 s.
            let _ = w
                .gate_wq
                .wait_interruptible_timeout(|| w.open.load(Ordering::Acquire), 30_000);
        }
        if regs.nr() == self.stop_nr && !action.syscall_resumed() {
            // Delivered once the thread is parked: the tracer then finds it stopped.
            utrace::wake_up(&self.waiter.wq);
            return Action::STOP;
        }
        Action(self.answer_entry)
    }

    fn report_syscall_exit(&self, action: Action, regs: &mut SyscallRegs<'_>) -> Action {
        let a = [regs.nr(), regs.ret(), 0, 0, 0, 0, 0];
        self.log.push(Kind::ExitSys, action.0, a);
        Action::RESUME
    }

    fn report_exit(&self, action: Action, orig: i64, code: &mut i64) -> Action {
        self.log
            .push(Kind::Exit, action.0, [orig, *code, 0, 0, 0, 0, 0]);
        Action::RESUME
    }

    fn report_death(&self, group_dead: bool, signal: i32) -> Action {
        let a = [i64::from(group_dead), i64::from(signal), 0, 0, 0, 0, 0];
        self.log.push(Kind::Death, 0, a);
        Action::RESUME
    }

    fn report_reap(&self, task: &Task) {
        self.log.push_tid(Kind::Reap, task.pid());
    }

    fn intercept_signal(&self, action: Action, sig: &mut SignalReport<'_>) -> Action {
        let signo = sig.signo();
        let kind = match sig.kind() {
            SignalKind::Intercepted => 0,
            SignalKind::Report => 1,
            // An after-the-fact report cannot change the signal: `rewrite` must refuse.
            SignalKind::Observed if sig.rewrite(signo, 0, 0).is_err() => 2,
            SignalKind::Observed => 3,
        };
        let a = [i64::from(signo), i64::from(sig.code()), kind, 0, 0, 0, 0];
        self.log.push(Kind::Signal, action.0, a);
        if kind == 0 && signo == SIGTRAP {
            // A breakpoint's: `ip` just after the `int3`; a watchpoint's: `addr`.
            let (ip, addr) = (sig.ip() as i64, sig.addr() as i64);
            let t = [ip, addr, i64::from(sig.code()), 0, 0, 0, 0];
            self.log.push(Kind::Trap, action.0, t);
        }
        if kind == 0 && signo == self.sig_stop {
            // Delivered once the thread is parked holding the signal: wait_stop finds it
            // stopped.
            utrace::wake_up(&self.waiter.wq);
            return Action::STOP.with_signal(SignalAction::Deliver);
        }
        // Let it through as the engines before left it.
        Action::RESUME.with_signal(signal_action_of(action))
    }

    fn report_jctl(&self, action: Action, kind: JctlType, notify: i32) -> Action {
        let a = [i64::from(kind.code()), i64::from(notify), 0, 0, 0, 0, 0];
        self.log.push(Kind::Jctl, action.0, a);
        Action::RESUME
    }
}

/// SIGTRAP: what an `int3` or a watchpoint hit is reported as.
const SIGTRAP: i32 = 5;

/// What the control file changes.
struct Control {
    attached: Option<Attached<Tracer>>,
    /// Who attached it: every later command comes from a writer who may command it.
    attacher: Option<Attacher>,
    answer_entry: u32,
    stop_nr: i64,
    waiter: Arc<Waiter>,
    sig_stop: i32,
    /// The breakpoint "bpset" wrote, for "bpclear".
    bp: Option<Breakpoint>,
}

impl Control {
    fn attached(&self) -> Result<&Attached<Tracer>> {
        self.attached.as_ref().ok_or(ENOENT)
    }
}

/// Shared between the two debugfs files.
#[pin_data]
struct Shared {
    #[pin]
    control: Mutex<Control>,
    log: Arc<Log>,
    /// The same as `Control::waiter`, for "open" (which must not take the control lock).
    waiter: Arc<Waiter>,
}

/// The [`SignalAction`] of `action`'s signal bits (DELIVER for what has none).
fn signal_action_of(action: Action) -> SignalAction {
    match action.signal_action() {
        0x10 => SignalAction::Ignore,
        0x20 => SignalAction::Terminate,
        0x30 => SignalAction::Core,
        0x40 => SignalAction::Stop,
        0x50 => SignalAction::Tstp,
        _ => SignalAction::Deliver,
    }
}

fn parse_hex(s: Option<&str>) -> Result<u64> {
    u64::from_str_radix(s.ok_or(EINVAL)?, 16).map_err(|_| EINVAL)
}

impl Shared {
    fn command(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; 128];
        let len = reader.len();
        if len > buf.len() {
            return Err(E2BIG);
        }
        reader.read_slice(&mut buf[..len])?;
        let text = core::str::from_utf8(&buf[..len]).map_err(|_| EINVAL)?;
        let mut words = text.split_whitespace();
        let cmd = words.next().ok_or(EINVAL)?;
        let arg = words.next();
        if cmd == "open" {
            // Without the control lock: "detach" may hold it while it waits for the callback.
            let w = &self.waiter;
            w.open.store(true, Ordering::Release);
            w.gate_wq.wake_up();
            return Ok(());
        }
        let mut c = self.control.lock();
        // The file is root-only, but its writers need not be equals (root without
        // CAP_SYS_PTRACE): the handle acts with its attacher's rights.
        if let (Some(who), Some(a)) = (&c.attacher, &c.attached) {
            match who.may_command(a.task(), Access::DEFAULT) {
                // A released task: nothing left to command but the detach.
                Ok(()) | Err(ESRCH) => {}
                Err(e) => {
                    pr_err!(
                        "{}: the handle was attached by a writer this one may not command\n",
                        cmd
                    );
                    return Err(e);
                }
            }
        }
        match cmd {
            "attach" => {
                let tid: i32 = arg.ok_or(EINVAL)?.parse().map_err(|_| EINVAL)?;
                let task = utrace::task_by_tid(tid).ok_or(ESRCH)?;
                let tracer = Arc::new(
                    Tracer {
                        log: self.log.clone(),
                        answer_entry: c.answer_entry,
                        stop_nr: c.stop_nr,
                        waiter: c.waiter.clone(),
                        sig_stop: c.sig_stop,
                    },
                    GFP_KERNEL,
                )?;
                // Dropping the previous handle detaches it first.
                c.attached = None;
                c.attacher = None;
                c.bp = None;
                c.attached = Some(Attached::attach_checked(
                    &task,
                    tracer,
                    false,
                    Access::DEFAULT,
                )?);
                c.attacher = Some(Attacher::current());
                Ok(())
            }
            "events" => {
                let events = Events(parse_hex(arg)? as usize);
                c.attached.as_ref().ok_or(ENOENT)?.set_events(events)
            }
            "ret_entry" => {
                // An action is a u32: refuse what does not fit, never truncate.
                c.answer_entry = u32::try_from(parse_hex(arg)?).map_err(|_| EINVAL)?;
                Ok(())
            }
            "stop_nr" => {
                c.stop_nr = arg.ok_or(EINVAL)?.parse().map_err(|_| EINVAL)?;
                Ok(())
            }
            "wait_stop" => self.wait_stop(&c),
            "sig_stop" => {
                c.sig_stop = arg.ok_or(EINVAL)?.parse().map_err(|_| EINVAL)?;
                Ok(())
            }
            "setsig" => {
                let action = match parse_hex(arg)? {
                    0x00 => SignalAction::Deliver,
                    0x10 => SignalAction::Ignore,
                    0x20 => SignalAction::Terminate,
                    0x30 => SignalAction::Core,
                    0x40 => SignalAction::Stop,
                    0x50 => SignalAction::Tstp,
                    _ => return Err(EINVAL),
                };
                let num = |w: Option<&str>| -> Result<i32> {
                    w.ok_or(EINVAL)?.parse().map_err(|_| EINVAL)
                };
                let deliver = match words.next() {
                    Some(signo) => {
                        Some((num(Some(signo))?, num(words.next())?, num(words.next())?))
                    }
                    None => None,
                };
                c.attached()?.set_signal(action, deliver)
            }
            "setnr" => {
                let a = c.attached()?;
                let x = a.prepare_examine()?;
                let mut regs = a.user_regs()?;
                regs.orig_ax = arg.ok_or(EINVAL)?.parse::<i64>().map_err(|_| EINVAL)? as u64;
                a.set_user_regs(&regs)?;
                a.finish_examine(x)
            }
            "setip" => {
                let a = c.attached()?;
                let ip = parse_hex(arg)?;
                let x = a.prepare_examine()?;
                let mut regs = a.user_regs()?;
                regs.ip = ip;
                a.set_user_regs(&regs)?;
                a.finish_examine(x)
            }
            "bpset" => {
                if c.bp.is_some() {
                    return Err(EBUSY);
                }
                let a = c.attached()?;
                let bp = a.insert_breakpoint(parse_hex(arg)? as usize)?;
                let r = [bp.addr() as i64, i64::from(bp.orig()), 0, 0, 0, 0, 0];
                self.log.push_rec(Rec {
                    kind: Kind::Bp,
                    tid: a.task().pid(),
                    action: 0,
                    a: r,
                });
                c.bp = Some(bp);
                Ok(())
            }
            "bpclear" => {
                let bp = c.bp.ok_or(ENOENT)?;
                c.attached()?.remove_breakpoint(&bp)?;
                c.bp = None;
                Ok(())
            }
            "watch" => {
                let addr = parse_hex(arg)? as usize;
                let len: u32 = words.next().ok_or(EINVAL)?.parse().map_err(|_| EINVAL)?;
                let kind = match words.next().map(|w| parse_hex(Some(w))).transpose()? {
                    None | Some(2) => WatchKind::Write,
                    Some(3) => WatchKind::ReadWrite,
                    Some(4) => WatchKind::Exec,
                    Some(_) => return Err(EINVAL),
                };
                c.attached()?.set_watchpoint(addr, len, kind)
            }
            "unwatch" => c.attached()?.clear_watchpoint(parse_hex(arg)? as usize),
            "peek" => {
                let a = c.attached()?;
                let addr = parse_hex(arg)? as usize;
                let mut mem = [0u8; 8];
                a.read_memory(addr, &mut mem)?;
                let r = [addr as i64, i64::from_ne_bytes(mem), 0, 0, 0, 0, 0];
                self.log.push_rec(Rec {
                    kind: Kind::Mem,
                    tid: a.task().pid(),
                    action: 0,
                    a: r,
                });
                Ok(())
            }
            "resume" => c.attached()?.control(ResumeAction::Resume),
            "detach" => {
                c.attached.take().ok_or(ENOENT)?;
                c.attacher = None;
                Ok(())
            }
            "gate" => {
                let w = &self.waiter;
                w.open.store(false, Ordering::Release);
                w.gated.store(true, Ordering::Release);
                Ok(())
            }
            "clear" => {
                self.log.clear();
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }
}

impl Shared {
    /// Waits for a stop the engine asked for, then examines the stopped thread: its
    /// registers, and the 8 bytes its first syscall argument points to.
    fn wait_stop(&self, c: &Control) -> Result {
        let a = c.attached()?;
        let w = &c.waiter;
        let seen = w.seen.load(Ordering::Acquire);
        w.wq.wait_interruptible_timeout(|| w.wq.delivered() > seen, 10_000)?;
        w.seen.store(seen + 1, Ordering::Release);
        // The wake-up came after the stop was committed: this must succeed at once.
        let x = a.prepare_examine()?;
        let regs = a.user_regs()?;
        let mut mem = [0u8; 8];
        // Not every stop is at a syscall whose first argument is a pointer.
        let got = a.read_memory(regs.di as usize, &mut mem).unwrap_or(0);
        a.finish_examine(x)?;
        let v = if got == mem.len() {
            i64::from_ne_bytes(mem)
        } else {
            -1
        };
        let r = [
            regs.orig_ax as i64,
            regs.ax as i64,
            regs.di as i64,
            v,
            0,
            0,
            0,
        ];
        self.log.push_rec(Rec {
            kind: Kind::Regs,
            tid: a.task().pid(),
            action: 0,
            a: r,
        });
        Ok(())
    }
}

/// Fields drop in order: the debugfs files first (no new command), then the last reference
/// to `Shared`, whose `Attached` handle detaches the engine and waits for its callbacks
/// before the module's code goes away.
struct RustTest {
    _control: Pin<KBox<File<Arc<Shared>>>>,
    _log: Pin<KBox<File<Arc<Log>>>>,
    _dir: Dir,
    _shared: Arc<Shared>,
}

impl Drop for RustTest {
    /// Before the fields: a gated callback is let go, so that the handle's drop does not
    /// wait for the gate's time-out.
    fn drop(&mut self) {
        let w = &self._shared.waiter;
        w.open.store(true, Ordering::Release);
        w.gate_wq.wake_up();
    }
}

impl kernel::Module for RustTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let recs = KVec::with_capacity(LOG_MAX, GFP_KERNEL)?;
        let log = Arc::pin_init(
            pin_init!(Log { recs <- new_spinlock_irq!(Ring { recs, head: 0 }) }),
            GFP_KERNEL,
        )?;
        let shared_log = log.clone();
        let waiter = Arc::pin_init(
            pin_init!(Waiter {
                wq <- WaitQueue::new(c"utrace_rust_test", kernel::static_lock_class!()),
                seen: AtomicUsize::new(0),
                gated: AtomicBool::new(false),
                open: AtomicBool::new(false),
                gate_wq <- WaitQueue::new(c"utrace_rust_test_gate", kernel::static_lock_class!()),
            }),
            GFP_KERNEL,
        )?;
        let shared_waiter = waiter.clone();
        let shared = Arc::pin_init(
            pin_init!(Shared {
                control <- new_mutex!(Control {
                    attached: None,
                    attacher: None,
                    answer_entry: 5,
                    stop_nr: -1,
                    waiter,
                    sig_stop: 0,
                    bp: None,
                }),
                log: shared_log,
                waiter: shared_waiter,
            }),
            GFP_KERNEL,
        )?;
        let dir = Dir::new(c"utrace_rust_test");
        Ok(RustTest {
            _control: KBox::pin_init(
                dir.write_callback_file(c"control", shared.clone(), &|s: &Arc<Shared>, r| {
                    s.command(r)
                }),
                GFP_KERNEL,
            )?,
            _log: KBox::pin_init(
                dir.read_callback_file(c"log", log, &|l: &Arc<Log>, f| l.render(f)),
                GFP_KERNEL,
            )?,
            _dir: dir,
            _shared: shared,
        })
    }
}
