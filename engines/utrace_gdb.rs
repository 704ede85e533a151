// SPDX-License-Identifier: GPL-2.0

//! utrace_gdb: the gdb remote serial protocol on `/dev/utrace-gdb`, on utrace, no ptrace.
//!
//! Unmodified gdb connects with `target extended-remote /dev/utrace-gdb` (gdb takes a path
//! for a serial line: the terminal ioctls it makes are answered here) and then `attach PID`.
//! One debugging session per open file; the file's opener must be allowed to trace the
//! process (`Attached::attach_checked`, checked again for the writer with the opener's
//! rights, `Attacher::may_command`). This file uses only the safe API of
//! `include/rust/utrace.rs`: no `unsafe` here.
//!
//! # Structure
//!
//! `write()` takes gdb's bytes, frames packets (`$data#cs`, acks until `QStartNoAckMode`,
//! `}` escapes, `0x03` for an interrupt) and answers each one synchronously, under the
//! session's protocol mutex, into the output queue that `read()` drains; `poll()` says
//! readable when output is queued or a stop is waiting to be reported.
//!
//! Each thread of the debugged process has an engine value ([`Thr`]). Its callbacks never take
//! the protocol mutex (a request holding it waits for them: `barrier`, stops): they answer
//! `UTRACE_STOP` (a breakpoint, a signal, the end of a step, or a stop the session asked
//! for) and queue an event under a spinlock, then wake the reader. The session turns the
//! first event into a stop reply once every thread is parked (all-stop: it stops the others
//! first); events of other threads wait for the next resume (a breakpoint hit is dropped
//! instead, with the thread rewound onto its `int3`: it hits it again if it is still there).
//!
//! # Protocol
//!
//! `qSupported` (`PacketSize=4000`, `QStartNoAckMode`, `qXfer:features:read` (an amd64
//! description: `org.gnu.gdb.i386.core` with the x87 registers unavailable, `.linux` with
//! `orig_rax`, `.segments` with `fs_base`/`gs_base`), `qXfer:threads:read` (with thread
//! names), `qXfer:exec-file:read`, `qXfer:auxv:read` (gdb needs `AT_ENTRY` to relocate a PIE),
//! `multiprocess`, `vContSupported`, `swbreak`, `QNonStop`), `vAttach`, `?`, `!`,
//! `qfThreadInfo`/`qsThreadInfo`, `qC`, `qAttached`, `H`, `T`, `g`/`G`, `p`/`P`, `m`/`M`/`X`,
//! `Z0`/`z0` (one `int3` per address, `Attached::insert_breakpoint`; a hit is reported
//! `swbreak` with the PC rewound onto it), `Z2`/`Z3`/`Z4` (`Attached::set_watchpoint` on
//! every thread; x86 has no read-only one, so `Z3` watches reads and writes), `vCont?`
//! (`c;C;s;S;t`), `vCont` with per-thread actions, legacy `c`/`C`/`s`/`S`, `0x03`, `D`, `k`,
//! `vKill`, `QNonStop:1` with `%Stop` notifications and `vStopped`. Stop replies are
//! `T<sig>thread:pPID.TID;` plus `swbreak:;` or `watch:ADDR;` (signals in gdb's numbering)
//! and, but in a `T00`, the expedited `rbp`, `rsp`, `rip`;
//! `W`/`X` with `process:PID` when the process is gone. Anything else gets the empty reply;
//! a malformed request `E01`, a packet longer than `PacketSize` `E01`, a bad checksum a `-`
//! (dropped without a word in no-ack mode).
//!
//! Not done: `vFile` (gdb then warns that it cannot open `/proc/PID/task/TID/maps`, the
//! vDSO range: `kernel_read()` cannot read that seq_file, so serving it needs another way),
//! `vRun` (attach is the way in), `hwbreak`/`Z1`, x87/SSE/AVX registers (the API
//! reads no FP state), `QPassSignals`, fork and exec events (a forked child gets the original
//! bytes of the breakpoints back from its first callback and runs untraced, gdb's
//! detach-on-fork; after an exec the breakpoints are gone with the old image).
//!
//! Lifetimes are those of `utrace_strace`: an engine value holds the session; the session's
//! list holds each engine's handle. Detach, kill, the process's death and `release` (gdb
//! closing the file, or killed) take the list and drop the handles; breakpoints are
//! removed first (with every thread stopped), so the process runs on unharmed.

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicUsize, Ordering};
use kernel::fs::{File, Kiocb};
use kernel::iov::{IovIterDest, IovIterSource};
use kernel::miscdevice::{MiscDevice, MiscDeviceRegistration};
use kernel::pid_namespace::PidNamespace;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::poll::{PollCondVar, PollTable};
use kernel::sync::{Arc, ArcBorrow, Mutex, SpinLock, SpinLockIrq};
use kernel::task::Task;
use kernel::uaccess::{UserPtr, UserSlice};
use kernel::{new_mutex, new_poll_condvar, new_spinlock, new_spinlock_irq};

#[path = "../include/rust/utrace.rs"]
mod utrace;

use utrace::{
    Access, Action, Attached, Attacher, Breakpoint, Engine, Events, MiscDeviceMode, MiscPoll,
    ResumeAction, SignalAction, SignalKind, SignalReport, WaitQueue, WatchKind,
};

module! {
    type: GdbModule,
    name: "utrace_gdb",
    authors: ["utrace-rs developers"],
    description: "gdb remote protocol on utrace: target extended-remote /dev/utrace-gdb",
    license: "GPL",
}

/// The largest packet gdb may send (qSupported `PacketSize`, hex 0x4000).
const PACKET_SIZE: usize = 0x4000;
/// The most bytes queued for gdb to read; past it the session is broken (gdb stopped
/// reading): new replies are dropped, with a message.
const OUT_MAX: usize = 1 << 20;
/// Events queued by callbacks; a larger queue only means gdb stopped reading.
const EVQ_MAX: usize = 4096;
/// How long a request waits for the threads to park (ms).
const STOP_WAIT_MS: u32 = 3000;
/// How long [`Session::stop_all`] lets running threads park on a STOP request before it
/// interrupts those still not parked (asleep in a syscall), in microseconds.
const FIRST_KICK_US: i64 = 200;

const SIGINT: i32 = 2;
const SIGTRAP: i32 = 5;
const SIGKILL: i32 = 9;

/// Milliseconds since `start` (`utrace::ktime_get_ns()`).
fn ms_since(start: u64) -> u32 {
    u32::try_from(utrace::ktime_get_ns().saturating_sub(start) / 1_000_000).unwrap_or(u32::MAX)
}

/// Engine values alive (the module exit waits for utrace's last `release`).
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Counts an engine value in [`LIVE`]; last field of [`Thr`].
struct Live;

impl Live {
    fn new() -> Self {
        LIVE.fetch_add(1, Ordering::Relaxed);
        Live
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Release);
    }
}

/// Why a thread stopped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Why {
    /// A signal (Linux number), held by the stop.
    Signal(i32),
    /// One of our `int3`s, at this address (SIGTRAP held).
    Swbreak(usize),
    /// The end of a single step.
    Step,
    /// A watchpoint of ours: its address (SIGTRAP held).
    Watch(usize),
    /// Stopped by the session (Ctrl-C, attach, all-stop): nothing held.
    Stopped,
    /// Ctrl-C: reported as SIGINT, nothing held.
    Interrupt,
}

#[derive(Clone, Copy, Debug)]
enum EvKind {
    Stop(Why),
    /// The thread is dead; `code` in wait-status form; `last`: the process is.
    Exit {
        code: i64,
        group_dead: bool,
    },
}

#[derive(Clone, Copy, Debug)]
struct Ev {
    tid: i32,
    kind: EvKind,
}

/// A thread's engine value.
struct Thr {
    session: Arc<Session>,
    id: u64,
    /// The list generation it joined in.
    gen: u64,
    /// Thread id and process id in the session's pid namespace.
    tid: i32,
    pid: i32,
    /// The session wants it stopped: every callback answers STOP.
    want_stop: AtomicBool,
    /// A single step was asked: the next `report_quiesce(0)` ends it.
    stepping: AtomicBool,
    /// A callback stopped it on its own (an event is queued): the session must not
    /// interrupt it (that would withdraw the stop and apply the held signal).
    self_stopped: AtomicBool,
    /// The signal its stop holds (0: none).
    held: AtomicI32,
    /// A signal to inject at the next `UTRACE_SIGNAL_REPORT` (0: none).
    inject: AtomicI32,
    /// Non-stop `vCont;t`: report the stop the session asked for (once).
    report_stop: AtomicBool,
    /// Non-stop: gdb was told of its current stop (a `vCont;t` then reports nothing).
    reported: AtomicBool,
    /// What `report_exit` gave.
    exit_code: AtomicI64,
    /// Must stay last (see [`Live`]).
    _live: Live,
}

impl Thr {
    fn stop_event(&self, why: Why) -> Action {
        self.want_stop.store(true, Ordering::SeqCst);
        self.self_stopped.store(true, Ordering::SeqCst);
        self.session.push(Ev {
            tid: self.tid,
            kind: EvKind::Stop(why),
        });
        utrace::wake_up(&self.session.parked);
        Action::STOP
    }
}

impl Thr {
    /// A stop the session asked for: reported if non-stop's `vCont;t` wants it.
    fn asked_stop(&self) -> Action {
        if self.report_stop.swap(false, Ordering::SeqCst) {
            self.session.push(Ev {
                tid: self.tid,
                kind: EvKind::Stop(Why::Stopped),
            });
        }
        utrace::wake_up(&self.session.parked);
        Action::STOP
    }
}

impl Engine for Thr {
    fn report_quiesce(&self, _action: Action, event: Events) -> Action {
        if event == Events::NONE && self.stepping.swap(false, Ordering::SeqCst) {
            return self.stop_event(Why::Step);
        }
        if self.want_stop.load(Ordering::SeqCst) {
            self.asked_stop()
        } else {
            Action::RESUME
        }
    }

    fn intercept_signal(&self, action: Action, sig: &mut SignalReport<'_>) -> Action {
        let pass = Action::RESUME.keep_signal(action);
        match sig.kind() {
            SignalKind::Observed => pass,
            SignalKind::Report => {
                let inj = self.inject.swap(0, Ordering::SeqCst);
                if inj > 0 && sig.inject(inj, 0, 0).is_ok() {
                    return Action::RESUME.with_signal(SignalAction::Deliver);
                }
                if self.want_stop.load(Ordering::SeqCst) {
                    self.asked_stop().keep_signal(action)
                } else {
                    pass
                }
            }
            SignalKind::Intercepted => {
                let signo = sig.signo();
                if signo == SIGKILL {
                    return pass;
                }
                let why = if signo == SIGTRAP && sig.code() == utrace::SI_KERNEL {
                    let at = sig.ip().wrapping_sub(1);
                    if self.session.points.lock().ours(at) {
                        Why::Swbreak(at)
                    } else {
                        Why::Signal(signo)
                    }
                } else if signo == SIGTRAP && sig.code() == utrace::TRAP_HWBKPT {
                    let a = sig.addr();
                    if self.session.points.lock().wp(a).is_some() {
                        Why::Watch(a)
                    } else {
                        Why::Signal(signo)
                    }
                } else {
                    Why::Signal(signo)
                };
                self.held.store(signo, Ordering::SeqCst);
                self.stop_event(why).with_signal(SignalAction::Deliver)
            }
        }
    }

    fn report_clone(&self, _action: Action, clone_flags: u64, child: &Task) -> Action {
        let flags = u64::from(kernel::bindings::CLONE_UNTRACED);
        if clone_flags & flags != 0 {
            return Action::RESUME;
        }
        if clone_flags & u64::from(kernel::bindings::CLONE_THREAD) != 0 {
            self.session.follow(self, child);
        } else {
            // A fork copies the `int3`s: the child gets the original bytes back in its own
            // first callback, then runs on untraced (gdb's detach-on-fork).
            self.session.clean_fork(self, child);
        }
        if self.want_stop.load(Ordering::SeqCst) {
            utrace::wake_up(&self.session.parked);
            Action::STOP
        } else {
            Action::RESUME
        }
    }

    fn report_exit(&self, _action: Action, _orig_code: i64, code: &mut i64) -> Action {
        self.exit_code.store(*code, Ordering::Relaxed);
        Action::RESUME
    }

    fn report_death(&self, group_dead: bool, _signal: i32) -> Action {
        self.session.push(Ev {
            tid: self.tid,
            kind: EvKind::Exit {
                code: self.exit_code.load(Ordering::Relaxed),
                group_dead,
            },
        });
        self.session.forget(self.id);
        Action::DETACH
    }
}

/// A forked child's engine: puts the parent's breakpoints' original bytes back in the
/// child's copy of the memory, from the child's first callback, then detaches.
struct ForkClean {
    session: Arc<Session>,
    id: u64,
    /// `(address, original byte)` of each breakpoint at the fork.
    bytes: KVec<(usize, u8)>,
    _live: Live,
}

impl ForkClean {
    fn clean(&self) -> Action {
        if let Some(h) = self.session.take_fork(self.id) {
            for &(addr, orig) in self.bytes.iter() {
                let _ = h.write_memory(addr, &[orig]);
            }
            // Our own handle, in our own callback: the barrier returns at once.
            drop(h);
        }
        Action::DETACH
    }
}

impl Engine for ForkClean {
    fn report_quiesce(&self, _action: Action, _event: Events) -> Action {
        self.clean()
    }
    fn report_death(&self, _group_dead: bool, _signal: i32) -> Action {
        let _ = self.session.take_fork(self.id);
        Action::DETACH
    }
}

/// Breakpoints and watchpoints, for the callbacks (spinlock: looked up from a signal
/// report).
struct Points {
    /// Inserted software breakpoints (one `int3` each, per process).
    bps: KVec<Breakpoint>,
    /// Watchpoints: address, length, gdb's type (2 write, 3 read, 4 access).
    wps: KVec<(usize, u32, u8)>,
    /// Addresses of removed breakpoints (the last `GONE_MAX`): a thread that trapped on one
    /// just before its removal is reported when the breakpoint is gone; its trap is still
    /// ours, not the program's.
    gone: KVec<usize>,
}

const GONE_MAX: usize = 256;

impl Points {
    fn has_bp(&self, addr: usize) -> bool {
        self.bps.iter().any(|b| b.addr() == addr)
    }

    /// An `int3` trap at `addr` is ours: a breakpoint there, or one removed since.
    fn ours(&self, addr: usize) -> bool {
        self.has_bp(addr) || self.gone.contains(&addr)
    }

    fn wp(&self, addr: usize) -> Option<u8> {
        self.wps
            .iter()
            .find(|w| addr >= w.0 && addr < w.0 + w.1 as usize)
            .map(|w| w.2)
    }
}

/// One traced thread: its handle and engine value.
struct Entry {
    handle: Attached<Thr>,
    thr: Arc<Thr>,
}

struct Threads {
    entries: KVec<Arc<Entry>>,
    /// Forked children being cleaned (see [`ForkClean`]).
    forks: KVec<(u64, Attached<ForkClean>)>,
    /// Bumped when the list is taken (detach, kill, close): a child followed by an engine
    /// of an older generation is not added.
    gen: u64,
    next_id: u64,
}

/// The packet framer's state.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parse {
    Idle,
    Data,
    Cs1,
    Cs2(u8),
}

/// The protocol state, under the session's mutex.
struct Proto {
    parse: Parse,
    inp: KVec<u8>,
    sum: u8,
    overlong: bool,
    /// Bytes for gdb to read.
    out: KVec<u8>,
    /// The last framed reply (resent on `-`).
    last: KVec<u8>,
    noack: bool,
    /// The debugged process (tgid in the session's namespace; 0: none).
    pid: i32,
    /// All-stop: resumed, a stop reply is owed.
    running: bool,
    /// The thread of `g`/`m`/... (`Hg`), of the last stop, or 0.
    hg: i32,
    /// The last stop reply, for `?`.
    last_stop: Option<(i32, Why)>,
    /// The process exited: its `W`/`X` for `?`.
    exit_reply: Option<(bool, i32)>,
    /// Logged once per session: the output queue overflowed.
    out_full: bool,
    /// Non-stop mode (`QNonStop:1`).
    nonstop: bool,
    /// Non-stop: stop replies not yet acknowledged by `vStopped` (the first was sent, as a
    /// `%Stop` notification or a reply).
    pending: KVec<KVec<u8>>,
    /// A `%Stop` notification is out, not yet acknowledged.
    inflight: bool,
}

/// One open file.
#[pin_data]
struct Session {
    #[pin]
    proto: Mutex<Proto>,
    /// `poll()` waits here for output or events (a blocked `read()` uses `reader_wq`).
    #[pin]
    readable: PollCondVar,
    /// Woken (`utrace::wake_up`) by every callback that answers STOP, once the thread's stop
    /// is committed: what [`Session::stop_all`] and [`Session::wait_parked`] sleep on.
    #[pin]
    parked: WaitQueue,
    /// A blocked `read()` sleeps here until [`Session::out_seq`] moves ([`Session::kick_reader`]).
    /// Not `readable` (a condition variable): a callback's wake-up, which takes no mutex,
    /// could come between the reader's look and its sleep and be lost, and the reply then
    /// waited for the 50 ms time-out.
    #[pin]
    reader_wq: WaitQueue,
    /// Bumped by every event queued and every reply queued.
    out_seq: AtomicUsize,
    #[pin]
    threads: Mutex<Threads>,
    #[pin]
    evq: SpinLockIrq<KVec<Ev>>,
    #[pin]
    points: SpinLock<Points>,
    /// The termios gdb sets and reads back (`struct termios2`, 44 bytes; `TCGETS` uses
    /// the first 36).
    #[pin]
    termios: SpinLock<[u8; 44]>,
    /// Output, or an event that a read turns into a reply, is there (`poll()` takes no
    /// mutex).
    ready: AtomicBool,
    /// Events become replies (all-stop running, or non-stop): an event makes it readable.
    active: AtomicBool,
    ns: ARef<PidNamespace>,
    opener: Attacher,
}

/// `Some` unless the allocation failed (then the reply is cut short).
fn put(v: &mut KVec<u8>, b: &[u8]) {
    let _ = v.extend_from_slice(b, GFP_KERNEL);
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn put_hex(v: &mut KVec<u8>, x: u64) {
    let mut d = [0u8; 16];
    let mut n = 0;
    let mut x = x;
    loop {
        d[n] = HEX[(x & 15) as usize];
        n += 1;
        x >>= 4;
        if x == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        put(v, &d[i..i + 1]);
    }
}

fn put_hex_bytes(v: &mut KVec<u8>, b: &[u8]) {
    for &x in b {
        put(v, &[HEX[(x >> 4) as usize], HEX[(x & 15) as usize]]);
    }
}

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A hex number (at most 16 digits), the whole of `s`.
fn parse_hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let mut x = 0u64;
    for &c in s {
        x = (x << 4) | u64::from(hexval(c)?);
    }
    Some(x)
}

/// Hex bytes into `out` (which must be the right size).
fn parse_hex_bytes(s: &[u8], out: &mut [u8]) -> Option<()> {
    if s.len() != out.len() * 2 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = (hexval(s[2 * i])? << 4) | hexval(s[2 * i + 1])?;
    }
    Some(())
}

fn split(s: &[u8], c: u8) -> (&[u8], &[u8]) {
    match s.iter().position(|&x| x == c) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[]),
    }
}

/// A thread id of the protocol: `p<pid>.<tid>`, `p<pid>`, `<tid>`, `-1` (all), `0` (any).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tid {
    All,
    Any,
    Id(i32),
}

fn parse_one_id(s: &[u8]) -> Option<Tid> {
    match s {
        b"-1" => Some(Tid::All),
        b"0" => Some(Tid::Any),
        _ => {
            let x = parse_hex(s)?;
            i32::try_from(x).ok().filter(|&t| t > 0).map(Tid::Id)
        }
    }
}

/// `(pid, tid)`: `pid` `None` if the id has no `p` part.
fn parse_tid(s: &[u8]) -> Option<(Option<Tid>, Tid)> {
    if let Some(rest) = s.strip_prefix(b"p") {
        let (p, t) = split(rest, b'.');
        let pid = parse_one_id(p)?;
        let tid = if t.is_empty() && !rest.contains(&b'.') {
            Tid::All
        } else {
            parse_one_id(t)?
        };
        Some((Some(pid), tid))
    } else {
        Some((None, parse_one_id(s)?))
    }
}

/// Linux signal number to gdb's (`gdb/signals.def`).
fn sig_to_gdb(s: i32) -> i32 {
    match s {
        1..=6 | 8 | 9 | 11 | 13..=15 | 21 | 22 | 24..=28 => s,
        7 => 10,
        10 => 30,
        12 => 31,
        16 => 143,
        17 => 20,
        18 => 19,
        19 => 17,
        20 => 18,
        23 => 16,
        29 => 23,
        30 => 32,
        31 => 12,
        32 => 77,
        33..=63 => s - 33 + 45,
        64 => 78,
        _ => 143,
    }
}

/// gdb's signal number to Linux's (0 for none or unknown).
fn sig_from_gdb(g: i32) -> i32 {
    (1..=64)
        .find(|&s| sig_to_gdb(s) == g && g != 143)
        .unwrap_or(0)
}

/// The target description: amd64 registers in `g` order (the x87 ones are unavailable:
/// the API reads no FP state), then `orig_rax`, `fs_base`, `gs_base`.
const TARGET_XML: &[u8] = b"<?xml version=\"1.0\"?>\n\
<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n\
<target version=\"1.0\">\n\
<architecture>i386:x86-64</architecture>\n\
<osabi>GNU/Linux</osabi>\n\
<feature name=\"org.gnu.gdb.i386.core\">\n\
<flags id=\"i386_eflags\" size=\"4\">\n\
<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\
<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\
<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\
<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\
<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\
<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\
<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\
<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\
<field name=\"ID\" start=\"21\" end=\"21\"/>\n\
</flags>\n\
<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>\n\
<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n\
<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n\
<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n\
<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n\
<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n\
<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n\
<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n\
<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n\
<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n\
<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n\
<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n\
<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n\
<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n\
<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n\
<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n\
<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n\
<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n\
<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n\
<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n\
<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n\
<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n\
<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n\
<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n\
<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n\
<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n\
<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n\
<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n\
</feature>\n\
<feature name=\"org.gnu.gdb.i386.linux\">\n\
<reg name=\"orig_rax\" bitsize=\"64\" type=\"int\" regnum=\"40\"/>\n\
</feature>\n\
<feature name=\"org.gnu.gdb.i386.segments\">\n\
<reg name=\"fs_base\" bitsize=\"64\" type=\"int\" regnum=\"41\"/>\n\
<reg name=\"gs_base\" bitsize=\"64\" type=\"int\" regnum=\"42\"/>\n\
</feature>\n\
</target>\n";

/// Registers in `g` order: `(size in bytes, where in UserRegs)`; `None`: unavailable.
const NREGS: usize = 43;

/// The registers a stop reply expedites (gdb's numbers: `rbp`, `rsp`, `rip`).
const EXPEDITED: [usize; 3] = [6, 7, 16];

/// The value of register `n` (`None`: unavailable), and its size.
fn reg_get(r: &utrace::UserRegs, n: usize) -> (usize, Option<u64>) {
    let v = match n {
        0 => r.ax,
        1 => r.bx,
        2 => r.cx,
        3 => r.dx,
        4 => r.si,
        5 => r.di,
        6 => r.bp,
        7 => r.sp,
        8 => r.r8,
        9 => r.r9,
        10 => r.r10,
        11 => r.r11,
        12 => r.r12,
        13 => r.r13,
        14 => r.r14,
        15 => r.r15,
        16 => r.ip,
        17 => return (4, Some(r.flags)),
        18 => return (4, Some(r.cs)),
        19 => return (4, Some(r.ss)),
        20 => return (4, Some(r.ds)),
        21 => return (4, Some(r.es)),
        22 => return (4, Some(r.fs)),
        23 => return (4, Some(r.gs)),
        24..=31 => return (10, None),
        32..=39 => return (4, None),
        40 => r.orig_ax,
        41 => r.fs_base,
        42 => r.gs_base,
        _ => return (0, None),
    };
    (8, Some(v))
}

/// Sets register `n`; false if it cannot be set here.
fn reg_set(r: &mut utrace::UserRegs, n: usize, v: u64) -> bool {
    let f = match n {
        0 => &mut r.ax,
        1 => &mut r.bx,
        2 => &mut r.cx,
        3 => &mut r.dx,
        4 => &mut r.si,
        5 => &mut r.di,
        6 => &mut r.bp,
        7 => &mut r.sp,
        8 => &mut r.r8,
        9 => &mut r.r9,
        10 => &mut r.r10,
        11 => &mut r.r11,
        12 => &mut r.r12,
        13 => &mut r.r13,
        14 => &mut r.r14,
        15 => &mut r.r15,
        16 => &mut r.ip,
        17 => &mut r.flags,
        18 => &mut r.cs,
        19 => &mut r.ss,
        20 => &mut r.ds,
        21 => &mut r.es,
        22 => &mut r.fs,
        23 => &mut r.gs,
        40 => &mut r.orig_ax,
        41 => &mut r.fs_base,
        42 => &mut r.gs_base,
        _ => return false,
    };
    *f = v;
    true
}

/// A `qXfer` read of `data` at `off`, `len`: `m...` or `l...`.
fn xfer_reply(out: &mut KVec<u8>, data: &[u8], off: usize, len: usize) {
    if off >= data.len() {
        put(out, b"l");
        return;
    }
    let end = data.len().min(off.saturating_add(len));
    put(out, if end == data.len() { b"l" } else { b"m" });
    put(out, &data[off..end]);
}

impl Session {
    /// From a callback: queue an event, wake the readers.
    fn push(&self, ev: Ev) {
        {
            let mut q = self.evq.lock();
            if q.len() >= EVQ_MAX || q.push(ev, GFP_ATOMIC | __GFP_NOWARN).is_err() {
                drop(q);
                if utrace::printk_ratelimit() {
                    pr_warn!("an event was lost (queue full or out of memory)\n");
                }
                return;
            }
        }
        if self.active.load(Ordering::SeqCst) {
            self.ready.store(true, Ordering::SeqCst);
        }
        self.readable.notify_all();
        self.kick_reader();
    }

    /// Wakes a `read()` blocked for output or an event. From a callback that stops the
    /// thread, `utrace::wake_up` delivers it once the stop is committed: the reader then
    /// finds the thread parked.
    fn kick_reader(&self) {
        self.out_seq.fetch_add(1, Ordering::SeqCst);
        utrace::wake_up(&self.reader_wq);
    }

    fn snapshot(&self) -> KVec<Arc<Entry>> {
        let t = self.threads.lock();
        let mut v = KVec::new();
        for e in t.entries.iter() {
            if v.push(e.clone(), GFP_KERNEL).is_err() {
                break;
            }
        }
        v
    }

    fn entry(&self, tid: i32) -> Option<Arc<Entry>> {
        let t = self.threads.lock();
        t.entries.iter().find(|e| e.thr.tid == tid).cloned()
    }

    fn first_tid(&self) -> i32 {
        let t = self.threads.lock();
        t.entries.first().map_or(0, |e| e.thr.tid)
    }

    /// A dying thread's engine leaves the list (its handle dropped on its own thread).
    fn forget(&self, id: u64) {
        let e = {
            let mut t = self.threads.lock();
            let Some(i) = t.entries.iter().position(|e| e.thr.id == id) else {
                return;
            };
            t.entries.remove(i).ok()
        };
        drop(e);
    }

    fn new_thr(self: &Arc<Self>, task: &Task, id: u64, gen: u64, stop: bool) -> Result<Arc<Thr>> {
        Ok(Arc::new(
            Thr {
                session: self.clone(),
                id,
                gen,
                tid: utrace::tid_in(task, &self.ns),
                pid: task.tgid_nr_ns(Some(&self.ns)),
                want_stop: AtomicBool::new(stop),
                stepping: AtomicBool::new(false),
                self_stopped: AtomicBool::new(false),
                held: AtomicI32::new(0),
                inject: AtomicI32::new(0),
                report_stop: AtomicBool::new(false),
                reported: AtomicBool::new(false),
                exit_code: AtomicI64::new(0),
                _live: Live::new(),
            },
            GFP_KERNEL,
        )?)
    }

    fn events() -> Events {
        Events::QUIESCE
            .with(Events::CLONE)
            .with(Events::EXIT)
            .with(Events::DEATH)
            .with(Events::SIGNAL_ALL)
    }

    /// `report_clone` of a new thread: attach it, stopped if its creator is.
    fn follow(self: &Arc<Self>, parent: &Thr, child: &Task) {
        let id = {
            let mut t = self.threads.lock();
            t.next_id += 1;
            t.next_id
        };
        let stop = parent.want_stop.load(Ordering::SeqCst);
        let Ok(thr) = self.new_thr(child, id, parent.gen, stop) else {
            pr_warn!("could not follow a new thread (out of memory)\n");
            return;
        };
        // No check: a thread of a process the opener may trace.
        let Ok(handle) = Attached::attach(child, thr.clone(), false) else {
            return;
        };
        if handle.set_events(Self::events()).is_err() {
            return;
        }
        if stop {
            let _ = handle.control(ResumeAction::Stop);
        }
        let Ok(entry) = Arc::new(Entry { handle, thr }, GFP_KERNEL) else {
            return;
        };
        let mut t = self.threads.lock();
        if t.gen != parent.gen {
            drop(t);
            drop(entry);
            return;
        }
        if t.entries.push(entry, GFP_KERNEL).is_err() {
            pr_warn!("could not follow a new thread (out of memory)\n");
        }
    }

    /// `report_clone` of a fork: clean the child's copy of our breakpoints.
    fn clean_fork(self: &Arc<Self>, parent: &Thr, child: &Task) {
        let mut bytes = KVec::new();
        {
            let p = self.points.lock();
            for b in p.bps.iter() {
                if bytes.push((b.addr(), b.orig()), GFP_ATOMIC).is_err() {
                    break;
                }
            }
        }
        if bytes.is_empty() {
            return;
        }
        let id = {
            let mut t = self.threads.lock();
            t.next_id += 1;
            t.next_id
        };
        let Ok(fc) = Arc::new(
            ForkClean {
                session: self.clone(),
                id,
                bytes,
                _live: Live::new(),
            },
            GFP_KERNEL,
        ) else {
            return;
        };
        let Ok(h) = Attached::attach(child, fc, false) else {
            return;
        };
        if h.set_events(Events::QUIESCE.with(Events::DEATH)).is_err() {
            return;
        }
        // Its first callback comes before its first user instruction (it has not run yet:
        // the handle is in the list before).
        let _ = h.control(ResumeAction::Report);
        let mut t = self.threads.lock();
        if t.gen == parent.gen {
            let _ = t.forks.push((id, h), GFP_KERNEL);
        }
    }

    fn take_fork(&self, id: u64) -> Option<Attached<ForkClean>> {
        let mut t = self.threads.lock();
        let i = t.forks.iter().position(|f| f.0 == id)?;
        t.forks.remove(i).ok().map(|f| f.1)
    }

    /// Stops every thread and waits until each is parked (or gone). Threads that stopped on
    /// their own (an event is queued) are left alone.
    fn stop_all(&self) {
        let list = self.snapshot();
        for e in list.iter() {
            e.thr.want_stop.store(true, Ordering::SeqCst);
            // Not a thread that stops on its own (its callback answered STOP and queued
            // an event, it may not be parked yet): a STOP request on it would leave a
            // `report_quiesce(0)` owed, which its next resume would take for the end of a
            // single-step gdb asks for there (gdb then sees its breakpoint hit again).
            if !e.thr.self_stopped.load(Ordering::SeqCst) && e.handle.prepare_examine().is_err() {
                let _ = e.handle.control(ResumeAction::Stop);
            }
        }
        // Kick rounds: after `FIRST_KICK_US` the threads that are not stepping (one asleep
        // in a syscall parks only when the sleep is broken, as gdb's SIGSTOP breaks it
        // natively; waiting 10 ms, as before, was most of a `stepi`), at 500 ms the stepping
        // ones (a step report comes soon, unless the step is a blocking syscall; an early
        // interrupt would look like the end of the step). Not at once: a running thread
        // parks on the STOP request within microseconds, and the kick of one that is just
        // hitting a breakpoint (its callback answered STOP, `self_stopped` not yet seen
        // here) would withdraw that stop and let its SIGTRAP through; a thread still
        // running after the first wait is most likely asleep in a syscall.
        let mut kicked = [false, false];
        let mut first = true;
        let start = utrace::ktime_get_ns();
        loop {
            // Read before the look: a stop committed after it is a wake-up not yet seen.
            let seen = self.parked.delivered();
            let ms = ms_since(start);
            let mut all = true;
            let round = [!first && !kicked[0], ms >= 500 && !kicked[1]];
            for e in list.iter() {
                match e.handle.prepare_examine() {
                    Ok(_) => {}
                    Err(err) if err == ESRCH => {}
                    Err(_) => {
                        all = false;
                        // A thread asleep in a syscall: break the sleep (it restarts). Not
                        // one that stopped itself: that would withdraw its stop.
                        let stepping = e.thr.stepping.load(Ordering::SeqCst);
                        if round[usize::from(stepping)]
                            && !e.thr.self_stopped.load(Ordering::SeqCst)
                        {
                            if stepping {
                                e.thr.stepping.store(false, Ordering::SeqCst);
                            }
                            let _ = e.handle.control(ResumeAction::Interrupt);
                        }
                    }
                }
            }
            kicked[0] |= round[0];
            kicked[1] |= round[1];
            if all {
                return;
            }
            if ms >= STOP_WAIT_MS {
                if utrace::printk_ratelimit() {
                    pr_warn!("threads did not stop within {} ms\n", STOP_WAIT_MS);
                }
                return;
            }
            if first {
                first = false;
                kernel::time::delay::fsleep(kernel::time::Delta::from_micros(FIRST_KICK_US));
            } else if self.wait_stop_after(seen, 2).is_err() {
                return;
            }
        }
    }

    /// Sleeps until a callback's STOP is committed after the `seen`-th wake-up of
    /// [`Session::parked`], `ms` milliseconds at most (a thread that exits, or one the
    /// session interrupted, may park without a wake-up we wait for: the callers look again).
    /// `EINTR` if gdb is being killed: the request gives up waiting.
    fn wait_stop_after(&self, seen: usize, ms: u32) -> Result {
        let r = self
            .parked
            .wait_interruptible_timeout(|| self.parked.delivered() != seen, ms);
        if r == Err(ERESTARTSYS) {
            if utrace::current_fatal_pending() {
                return Err(EINTR);
            }
            // Another signal pending: an interruptible sleep would return at once.
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(1));
        }
        Ok(())
    }

    /// Waits (briefly) for one thread to park.
    fn wait_parked(&self, e: &Entry) -> Result {
        let start = utrace::ktime_get_ns();
        loop {
            let seen = self.parked.delivered();
            match e.handle.prepare_examine() {
                Ok(_) => return Ok(()),
                Err(err) if err == ESRCH => return Err(ESRCH),
                Err(err) => {
                    if ms_since(start) >= STOP_WAIT_MS {
                        return Err(err);
                    }
                }
            }
            self.wait_stop_after(seen, 1)?;
        }
    }

    /// A stopped thread's registers.
    fn regs(&self, e: &Entry) -> Result<utrace::UserRegs> {
        match e.handle.user_regs() {
            Err(err) if err == EAGAIN => {
                self.wait_parked(e)?;
                e.handle.user_regs()
            }
            r => r,
        }
    }

    /// Drops the trap a breakpoint or watchpoint stop holds (gdb's, not the program's); a
    /// breakpoint hit is rewound onto its address.
    fn settle(&self, e: &Entry, why: Why) {
        match why {
            Why::Swbreak(addr) => {
                if let Ok(mut r) = self.regs(e) {
                    r.ip = addr as u64;
                    let _ = e.handle.set_user_regs(&r);
                }
                let _ = e.handle.set_signal(SignalAction::Ignore, None);
                e.thr.held.store(0, Ordering::SeqCst);
            }
            Why::Watch(_) => {
                let _ = e.handle.set_signal(SignalAction::Ignore, None);
                e.thr.held.store(0, Ordering::SeqCst);
            }
            _ => {}
        }
    }

    /// Resumes one thread: `step`, with signal `sig` (Linux number, 0: none).
    fn resume_one(&self, e: &Entry, step: bool, sig: i32) {
        let t = &e.thr;
        let held = t.held.swap(0, Ordering::SeqCst);
        if held > 0 {
            let _ = if sig == 0 {
                e.handle.set_signal(SignalAction::Ignore, None)
            } else if sig == held {
                e.handle.set_signal(SignalAction::Deliver, None)
            } else {
                e.handle
                    .set_signal(SignalAction::Deliver, Some((sig, 0, 0)))
            };
        }
        t.want_stop.store(false, Ordering::SeqCst);
        t.self_stopped.store(false, Ordering::SeqCst);
        t.reported.store(false, Ordering::SeqCst);
        if held == 0 && sig > 0 {
            t.inject.store(sig, Ordering::SeqCst);
            let _ = e.handle.control(ResumeAction::Interrupt);
            return;
        }
        t.stepping.store(step, Ordering::SeqCst);
        let _ = e.handle.control(if step {
            ResumeAction::SingleStep
        } else {
            ResumeAction::Resume
        });
    }

    /// Non-stop `vCont;t`: stop one thread and report it (at once if it is parked).
    fn stop_one(&self, e: &Entry) {
        let t = &e.thr;
        t.want_stop.store(true, Ordering::SeqCst);
        if e.handle.prepare_examine().is_ok() {
            t.report_stop.store(false, Ordering::SeqCst);
            if t.reported.load(Ordering::SeqCst) {
                // Stopped, and gdb knows: as gdbserver, no second report.
                return;
            }
            self.push(Ev {
                tid: t.tid,
                kind: EvKind::Stop(Why::Stopped),
            });
            return;
        }
        if t.self_stopped.load(Ordering::SeqCst) {
            // Its own stop is queued: that is the report.
            return;
        }
        t.report_stop.store(true, Ordering::SeqCst);
        let _ = e.handle.control(ResumeAction::Stop);
        // Out of a sleeping syscall (it restarts); its quiesce answers STOP and reports.
        let _ = e.handle.control(ResumeAction::Interrupt);
    }

    /// Whether a stop event of `tid` is queued (it stays stopped for it).
    fn has_event(&self, tid: i32) -> bool {
        self.evq
            .lock()
            .iter()
            .any(|ev| ev.tid == tid && matches!(ev.kind, EvKind::Stop(_)))
    }

    fn pop_event(&self) -> Option<Ev> {
        let mut q = self.evq.lock();
        if q.is_empty() {
            None
        } else {
            q.remove(0).ok()
        }
    }

    /// All threads parked: drops the queued breakpoint hits of other threads (rewound:
    /// they hit the `int3` again if it is still there when they run).
    fn drop_other_hits(&self) {
        let mut hits = KVec::new();
        {
            let mut q = self.evq.lock();
            let mut i = 0;
            while i < q.len() {
                if let EvKind::Stop(Why::Swbreak(a)) = q[i].kind {
                    let tid = q[i].tid;
                    let _ = q.remove(i);
                    let _ = hits.push((tid, a), GFP_ATOMIC);
                } else {
                    i += 1;
                }
            }
        }
        for &(tid, a) in hits.iter() {
            if let Some(e) = self.entry(tid) {
                self.settle(&e, Why::Swbreak(a));
                e.thr.self_stopped.store(false, Ordering::SeqCst);
            }
        }
    }

    /// Removes every breakpoint and watchpoint (threads stopped).
    fn remove_points(&self) {
        let (bps, wps) = {
            let mut p = self.points.lock();
            (core::mem::take(&mut p.bps), core::mem::take(&mut p.wps))
        };
        let list = self.snapshot();
        if let Some(e) = list.first() {
            for b in bps.iter() {
                let _ = e.handle.remove_breakpoint(b);
            }
        }
        for w in wps.iter() {
            for e in list.iter() {
                let _ = e.handle.clear_watchpoint(w.0);
            }
        }
    }

    /// Detaches everything: breakpoints out (with every thread stopped), every thread let go
    /// (a held signal is delivered, as the pass decided).
    fn detach_all(&self, p: &mut Proto) {
        if p.pid != 0 {
            self.stop_all();
            self.drop_other_hits();
            // Queued watchpoint hits hold a SIGTRAP that is gdb's, not the program's: dropped
            // (the reported thread's was settled when it was reported). A queued signal
            // stays held, and is delivered when the engine lets go.
            let evs = core::mem::take(&mut *self.evq.lock());
            for ev in evs.iter() {
                if let EvKind::Stop(why @ Why::Watch(_)) = ev.kind {
                    if let Some(e) = self.entry(ev.tid) {
                        self.settle(&e, why);
                    }
                }
            }
            self.remove_points();
        }
        let (entries, forks) = {
            let mut t = self.threads.lock();
            t.gen += 1;
            (
                core::mem::take(&mut t.entries),
                core::mem::take(&mut t.forks),
            )
        };
        for e in entries.iter() {
            e.thr.want_stop.store(false, Ordering::SeqCst);
        }
        // Each drop detaches (a parked thread runs on), waits for its callbacks, puts.
        drop(entries);
        drop(forks);
        self.evq.lock().clear();
        p.pid = 0;
        p.running = false;
        p.hg = 0;
        p.last_stop = None;
    }

    /// Frames `payload` into the output queue.
    fn reply(&self, p: &mut Proto, payload: &[u8]) {
        let mut f = KVec::new();
        let mut sum = 0u8;
        put(&mut f, b"$");
        for &c in payload {
            if matches!(c, b'$' | b'#' | b'}' | b'*') {
                put(&mut f, &[b'}', c ^ 0x20]);
                sum = sum.wrapping_add(b'}').wrapping_add(c ^ 0x20);
            } else {
                put(&mut f, &[c]);
                sum = sum.wrapping_add(c);
            }
        }
        put(&mut f, b"#");
        put_hex_bytes(&mut f, &[sum]);
        self.queue_out(p, &f);
        p.last = f;
    }

    fn queue_out(&self, p: &mut Proto, b: &[u8]) {
        if p.out.len() + b.len() > OUT_MAX {
            if !p.out_full {
                p.out_full = true;
                pr_err!("output queue full: gdb does not read; replies dropped\n");
            }
            return;
        }
        put(&mut p.out, b);
        self.ready.store(true, Ordering::SeqCst);
        self.readable.notify_all();
        self.kick_reader();
    }

    /// The stop reply of `tid` for `why`.
    fn stop_reply(&self, p: &mut Proto, tid: i32, why: Why) {
        let r = self.stop_payload(p, tid, why);
        self.reply(p, &r);
        p.last_stop = Some((tid, why));
        p.hg = tid;
    }

    /// The `T` packet of `tid`'s stop for `why`.
    fn stop_payload(&self, p: &Proto, tid: i32, why: Why) -> KVec<u8> {
        let sig = match why {
            Why::Signal(s) => sig_to_gdb(s),
            Why::Swbreak(_) | Why::Step | Why::Watch(_) => 5,
            Why::Stopped => 0,
            Why::Interrupt => sig_to_gdb(SIGINT),
        };
        let mut r = KVec::new();
        put(&mut r, b"T");
        put_hex_bytes(&mut r, &[sig as u8]);
        put(&mut r, b"thread:p");
        put_hex(&mut r, p.pid as u64);
        put(&mut r, b".");
        put_hex(&mut r, tid as u64);
        put(&mut r, b";");
        match why {
            Why::Swbreak(_) => put(&mut r, b"swbreak:;"),
            Why::Watch(a) => {
                let kind = self.points.lock().wp(a).unwrap_or(2);
                put(
                    &mut r,
                    match kind {
                        3 => b"rwatch:",
                        4 => b"awatch:",
                        _ => b"watch:",
                    },
                );
                put_hex(&mut r, a as u64);
                put(&mut r, b";");
            }
            _ => {}
        }
        // Not in a `T00` (`Why::Stopped`): that is also the reply to `vAttach` and `?`, which
        // gdb may parse before it has read the target description; in non-stop mode it then
        // takes the 8-byte registers for i386's 4-byte ones ("Remote register badly
        // formatted", seen in gdb_remote's nonstop_interrupt).
        if why != Why::Stopped {
            self.put_expedited(&mut r, tid);
        }
        r
    }

    /// The registers a stop reply carries, as gdbserver's do: `rbp`, `rsp` and `rip` (the
    /// values after [`Self::settle`]), so that gdb can say where the thread stopped without
    /// a `g` round trip. Only if the thread can be read now (it is stopped); else gdb asks.
    fn put_expedited(&self, r: &mut KVec<u8>, tid: i32) {
        let Some(e) = self.entry(tid) else {
            return;
        };
        let Ok(regs) = e.handle.user_regs() else {
            return;
        };
        for n in EXPEDITED {
            if let (size, Some(v)) = reg_get(&regs, n) {
                put_hex_bytes(r, &[n as u8]);
                put(r, b":");
                put_hex_bytes(r, &v.to_le_bytes()[..size]);
                put(r, b";");
            }
        }
    }

    /// Non-stop: queues a stop reply; the first goes out as a `%Stop` notification.
    fn notify_stop(&self, p: &mut Proto, payload: KVec<u8>) {
        if p.pending.push(payload, GFP_KERNEL).is_err() {
            pr_warn!("a stop reply was lost (out of memory)\n");
            return;
        }
        if !p.inflight {
            p.inflight = true;
            let mut f = KVec::new();
            let mut sum = 0u8;
            put(&mut f, b"%Stop:");
            for &c in p.pending[0].iter() {
                put(&mut f, &[c]);
                sum = sum.wrapping_add(c);
            }
            // The checksum covers `Stop:` too.
            for &c in b"Stop:" {
                sum = sum.wrapping_add(c);
            }
            put(&mut f, b"#");
            put_hex_bytes(&mut f, &[sum]);
            self.queue_out(p, &f);
        }
    }

    /// Non-stop: every queued event becomes a stop reply of its thread alone.
    fn process_nonstop(&self, p: &mut Proto) {
        while let Some(ev) = self.pop_event() {
            match ev.kind {
                EvKind::Exit { code, group_dead } => {
                    if p.pid != 0 && (group_dead || self.threads.lock().entries.is_empty()) {
                        self.process_exited(p, code);
                    }
                }
                EvKind::Stop(why) => {
                    let Some(e) = self.entry(ev.tid) else {
                        continue;
                    };
                    if self.wait_parked(&e).is_err() {
                        continue;
                    }
                    self.settle(&e, why);
                    e.thr.self_stopped.store(false, Ordering::SeqCst);
                    if why == Why::Stopped && e.thr.reported.load(Ordering::SeqCst) {
                        continue;
                    }
                    e.thr.reported.store(true, Ordering::SeqCst);
                    let r = self.stop_payload(p, ev.tid, why);
                    p.last_stop = Some((ev.tid, why));
                    self.notify_stop(p, r);
                }
            }
        }
        self.update_ready(p);
    }

    /// All-stop: turns the first queued event into a reply (stopping the other threads).
    fn process_events(&self, p: &mut Proto) {
        if p.nonstop {
            self.process_nonstop(p);
            return;
        }
        if !p.running {
            return;
        }
        while let Some(ev) = self.pop_event() {
            match ev.kind {
                EvKind::Exit { code, group_dead } => {
                    if group_dead || self.threads.lock().entries.is_empty() {
                        self.process_exited(p, code);
                        return;
                    }
                }
                EvKind::Stop(why) => {
                    self.stop_all();
                    if let Some(e) = self.entry(ev.tid) {
                        self.settle(&e, why);
                        e.thr.self_stopped.store(false, Ordering::SeqCst);
                    }
                    self.drop_other_hits();
                    p.running = false;
                    self.stop_reply(p, ev.tid, why);
                    return;
                }
            }
        }
        self.update_ready(p);
    }

    /// `poll()`'s hint: output queued, or an event to turn into a reply.
    fn update_ready(&self, p: &Proto) {
        self.active.store(p.running || p.nonstop, Ordering::SeqCst);
        self.ready.store(false, Ordering::SeqCst);
        // An event queued since the look sets it again.
        if !p.out.is_empty() || ((p.running || p.nonstop) && !self.evq.lock().is_empty()) {
            self.ready.store(true, Ordering::SeqCst);
        }
    }

    /// The process is dead: `W`/`X`, and the session holds nothing of it any more.
    fn process_exited(&self, p: &mut Proto, code: i64) {
        let pid = p.pid;
        let (entries, forks) = {
            let mut t = self.threads.lock();
            t.gen += 1;
            (
                core::mem::take(&mut t.entries),
                core::mem::take(&mut t.forks),
            )
        };
        drop(entries);
        drop(forks);
        {
            let mut pts = self.points.lock();
            pts.bps.clear();
            pts.wps.clear();
        }
        self.evq.lock().clear();
        let (signalled, val) = if code & 0x7f != 0 {
            (true, sig_to_gdb((code & 0x7f) as i32))
        } else {
            (false, ((code >> 8) & 0xff) as i32)
        };
        let mut r = KVec::new();
        put(&mut r, if signalled { b"X" } else { b"W" });
        put_hex_bytes(&mut r, &[val as u8]);
        put(&mut r, b";process:");
        put_hex(&mut r, pid as u64);
        p.pid = 0;
        p.running = false;
        p.last_stop = None;
        p.exit_reply = Some((signalled, val));
        if p.nonstop {
            self.notify_stop(p, r);
        } else {
            self.reply(p, &r);
        }
    }

    /// Ctrl-C: stop everything and report.
    fn interrupt(&self, p: &mut Proto) {
        if !p.running || p.pid == 0 {
            return;
        }
        self.stop_all();
        // A real event (a breakpoint hit meanwhile) goes first.
        if !self.evq.lock().is_empty() {
            self.process_events(p);
            if !p.running {
                return;
            }
        }
        let tid = if p.hg != 0 && self.entry(p.hg).is_some() {
            p.hg
        } else {
            self.first_tid()
        };
        p.running = false;
        self.stop_reply(p, tid, Why::Interrupt);
    }

    /// `vAttach;PID`.
    fn attach(self: &Arc<Self>, p: &mut Proto, pid: i32) -> Result {
        if p.pid != 0 {
            return Err(EBUSY);
        }
        let ns = kernel::current!().get_pid_ns().ok_or(ESRCH)?;
        if !core::ptr::eq(ns.as_ptr(), self.ns.as_ptr()) {
            if utrace::printk_ratelimit() {
                pr_err!("attach: writer is not in the opener's pid namespace\n");
            }
            return Err(EINVAL);
        }
        let leader = utrace::task_by_tid(pid).ok_or(ESRCH)?;
        if leader.tgid_nr_ns(Some(&self.ns)) != pid {
            return Err(ESRCH);
        }
        self.opener.may_command(&leader, Access::DEFAULT)?;
        // And the opener may trace it itself (a file handed to a more privileged process).
        self.opener.may_trace(&leader, Access::DEFAULT)?;
        let gen = self.threads.lock().gen;
        p.pid = pid;
        // New threads are followed from the attached ones; threads made by a not yet
        // attached one are found by looking again.
        let mut any = false;
        for _round in 0..8 {
            let tasks = utrace::threads_of(&leader)?;
            let mut added = false;
            for task in tasks.iter() {
                let known = {
                    let t = self.threads.lock();
                    t.entries
                        .iter()
                        .any(|e| e.handle.task().as_ptr() == task.as_ptr())
                };
                if known {
                    continue;
                }
                let id = {
                    let mut t = self.threads.lock();
                    t.next_id += 1;
                    t.next_id
                };
                let thr = self.new_thr(task, id, gen, true)?;
                let handle =
                    match Attached::attach_checked(task, thr.clone(), false, Access::DEFAULT) {
                        Ok(h) => h,
                        // A thread exiting meanwhile (or a zombie leader).
                        Err(e) if e == ESRCH => continue,
                        Err(e) => return Err(e),
                    };
                let entry = Arc::new(Entry { handle, thr }, GFP_KERNEL)?;
                self.threads
                    .lock()
                    .entries
                    .push(entry.clone(), GFP_KERNEL)?;
                if entry.handle.set_events(Self::events()).is_err() {
                    continue;
                }
                let _ = entry.handle.control(ResumeAction::Stop);
                any = true;
                added = true;
            }
            if !added {
                break;
            }
        }
        if !any {
            return Err(ESRCH);
        }
        self.stop_all();
        p.running = false;
        Ok(())
    }

    /// A thread to access memory through: the current one if parked, else any parked one
    /// (non-stop: the others may run).
    fn mem_entry(&self, p: &Proto) -> Option<Arc<Entry>> {
        let cur = self.cur(p)?;
        if !p.nonstop || cur.handle.prepare_examine().is_ok() {
            return Some(cur);
        }
        self.snapshot()
            .iter()
            .find(|e| e.handle.prepare_examine().is_ok())
            .cloned()
            .or(Some(cur))
    }

    /// The thread of `g`, `m` and so on: `Hg`'s, or the first.
    fn cur(&self, p: &Proto) -> Option<Arc<Entry>> {
        if p.hg > 0 {
            if let Some(e) = self.entry(p.hg) {
                return Some(e);
            }
        }
        let t = self.threads.lock();
        t.entries.first().cloned()
    }

    fn handle_packet(self: &Arc<Self>, p: &mut Proto, pkt: &[u8]) {
        let mut r = KVec::new();
        let ok = self.dispatch(p, pkt, &mut r);
        match ok {
            Reply::Data => self.reply(p, &r),
            Reply::None => {}
            Reply::Err(n) => {
                let mut e = KVec::new();
                put(&mut e, b"E");
                put_hex_bytes(&mut e, &[n]);
                self.reply(p, &e);
            }
        }
    }

    fn dispatch(self: &Arc<Self>, p: &mut Proto, pkt: &[u8], r: &mut KVec<u8>) -> Reply {
        let Some(&c) = pkt.first() else {
            return Reply::Data;
        };
        let rest = &pkt[1..];
        match c {
            b'?' if p.nonstop => {
                // Every stopped thread's status: the first as the reply, the others after
                // each `vStopped`.
                p.pending.clear();
                p.inflight = false;
                if p.pid != 0 {
                    for e in self.snapshot().iter() {
                        if e.handle.prepare_examine().is_ok() {
                            let r = self.stop_payload(p, e.thr.tid, Why::Stopped);
                            let _ = p.pending.push(r, GFP_KERNEL);
                        }
                    }
                }
                let first = p.pending.first().map(|f| {
                    let mut c = KVec::new();
                    put(&mut c, f);
                    c
                });
                match first {
                    Some(first) => {
                        p.inflight = true;
                        self.reply(p, &first);
                        Reply::None
                    }
                    None => {
                        put(r, b"OK");
                        Reply::Data
                    }
                }
            }
            b'?' => {
                if let Some((tid, why)) = p.last_stop.filter(|_| p.pid != 0) {
                    self.stop_reply(p, tid, why);
                    return Reply::None;
                }
                match p.exit_reply {
                    Some((true, s)) => {
                        put(r, b"X");
                        put_hex_bytes(r, &[s as u8]);
                    }
                    Some((false, c)) => {
                        put(r, b"W");
                        put_hex_bytes(r, &[c as u8]);
                    }
                    None => put(r, b"W00"),
                }
                Reply::Data
            }
            b'!' => {
                put(r, b"OK");
                Reply::Data
            }
            b'H' => {
                let Some(&op) = rest.first() else {
                    return Reply::Err(1);
                };
                match parse_tid(&rest[1..]) {
                    Some((_, Tid::Id(t))) if op == b'g' => {
                        if self.entry(t).is_none() {
                            return Reply::Err(1);
                        }
                        p.hg = t;
                    }
                    Some(_) => {}
                    None => return Reply::Err(1),
                }
                put(r, b"OK");
                Reply::Data
            }
            b'T' => match parse_tid(rest) {
                Some((_, Tid::Id(t))) if self.entry(t).is_some() => {
                    put(r, b"OK");
                    Reply::Data
                }
                _ => Reply::Err(1),
            },
            b'g' => {
                let Some(e) = self.cur(p) else {
                    return Reply::Err(1);
                };
                let Ok(regs) = self.regs(&e) else {
                    return Reply::Err(1);
                };
                for n in 0..NREGS {
                    let (size, v) = reg_get(&regs, n);
                    match v {
                        Some(v) => put_hex_bytes(r, &v.to_le_bytes()[..size]),
                        None => {
                            for _ in 0..size {
                                put(r, b"xx");
                            }
                        }
                    }
                }
                Reply::Data
            }
            b'G' => {
                let Some(e) = self.cur(p) else {
                    return Reply::Err(1);
                };
                let Ok(mut regs) = self.regs(&e) else {
                    return Reply::Err(1);
                };
                let mut off = 0;
                for n in 0..NREGS {
                    let (size, _) = reg_get(&regs, n);
                    let Some(s) = rest.get(off..off + 2 * size) else {
                        break;
                    };
                    off += 2 * size;
                    let mut b = [0u8; 10];
                    if parse_hex_bytes(s, &mut b[..size]).is_none() {
                        continue;
                    }
                    let mut w = [0u8; 8];
                    w[..size.min(8)].copy_from_slice(&b[..size.min(8)]);
                    reg_set(&mut regs, n, u64::from_le_bytes(w));
                }
                if e.handle.set_user_regs(&regs).is_err() {
                    return Reply::Err(1);
                }
                put(r, b"OK");
                Reply::Data
            }
            b'p' => {
                let Some(n) = parse_hex(rest) else {
                    return Reply::Err(1);
                };
                let Some(e) = self.cur(p) else {
                    return Reply::Err(1);
                };
                let Ok(regs) = self.regs(&e) else {
                    return Reply::Err(1);
                };
                let (size, v) = reg_get(&regs, n as usize);
                if size == 0 {
                    return Reply::Err(1);
                }
                match v {
                    Some(v) => put_hex_bytes(r, &v.to_le_bytes()[..size]),
                    None => {
                        for _ in 0..size {
                            put(r, b"xx");
                        }
                    }
                }
                Reply::Data
            }
            b'P' => {
                let (n, v) = split(rest, b'=');
                let Some(n) = parse_hex(n) else {
                    return Reply::Err(1);
                };
                let Some(e) = self.cur(p) else {
                    return Reply::Err(1);
                };
                let Ok(mut regs) = self.regs(&e) else {
                    return Reply::Err(1);
                };
                let (size, _) = reg_get(&regs, n as usize);
                let mut b = [0u8; 8];
                if size == 0 || size > 8 || parse_hex_bytes(v, &mut b[..size]).is_none() {
                    return Reply::Err(1);
                }
                if !reg_set(&mut regs, n as usize, u64::from_le_bytes(b))
                    || e.handle.set_user_regs(&regs).is_err()
                {
                    return Reply::Err(1);
                }
                put(r, b"OK");
                Reply::Data
            }
            b'm' => {
                let (a, l) = split(rest, b',');
                let (Some(a), Some(l)) = (parse_hex(a), parse_hex(l)) else {
                    return Reply::Err(1);
                };
                let l = (l as usize).min(PACKET_SIZE / 2 - 8);
                let Some(e) = self.mem_entry(p) else {
                    return Reply::Err(1);
                };
                let mut buf = [0u8; 256];
                let mut done = 0;
                while done < l {
                    let n = (l - done).min(buf.len());
                    match e.handle.read_memory(a as usize + done, &mut buf[..n]) {
                        Ok(k) if k > 0 => {
                            put_hex_bytes(r, &buf[..k]);
                            done += k;
                            if k < n {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
                if done == 0 && l > 0 {
                    return Reply::Err(1);
                }
                Reply::Data
            }
            b'M' | b'X' => {
                let (hdr, data) = split(rest, b':');
                let (a, l) = split(hdr, b',');
                let (Some(a), Some(l)) = (parse_hex(a), parse_hex(l)) else {
                    return Reply::Err(1);
                };
                let l = l as usize;
                let mut bytes = KVec::new();
                if c == b'M' {
                    if l > PACKET_SIZE || data.len() != 2 * l {
                        return Reply::Err(1);
                    }
                    let Ok(b) = KVec::from_elem(0u8, l, GFP_KERNEL) else {
                        return Reply::Err(12);
                    };
                    bytes = b;
                    if parse_hex_bytes(data, &mut bytes).is_none() {
                        return Reply::Err(1);
                    }
                } else {
                    if data.len() != l {
                        return Reply::Err(1);
                    }
                    put(&mut bytes, data);
                }
                if l == 0 {
                    put(r, b"OK");
                    return Reply::Data;
                }
                let Some(e) = self.mem_entry(p) else {
                    return Reply::Err(1);
                };
                match e.handle.write_memory(a as usize, &bytes) {
                    Ok(n) if n == l => {
                        put(r, b"OK");
                        Reply::Data
                    }
                    _ => Reply::Err(1),
                }
            }
            b'Z' | b'z' => self.point(p, c == b'Z', rest, r),
            b'c' | b's' | b'C' | b'S' => {
                // Legacy: the whole process; a step steps the current thread only.
                let (sig, _) = if c == b'C' || c == b'S' {
                    let (s, a) = split(rest, b';');
                    (parse_hex(s).map_or(0, |g| sig_from_gdb(g as i32)), a)
                } else {
                    (0, rest)
                };
                if p.pid == 0 {
                    return Reply::Err(1);
                }
                let step = c == b's' || c == b'S';
                let cur = self.cur(p).map(|e| e.thr.tid);
                for e in self.snapshot().iter() {
                    if self.has_event(e.thr.tid) {
                        continue;
                    }
                    if Some(e.thr.tid) == cur {
                        self.resume_one(e, step, sig);
                    } else if !step {
                        self.resume_one(e, false, 0);
                    }
                }
                p.running = true;
                Reply::None
            }
            b'D' => {
                if p.pid == 0 {
                    return Reply::Err(1);
                }
                self.detach_all(p);
                put(r, b"OK");
                Reply::Data
            }
            b'k' => {
                self.kill(p);
                Reply::None
            }
            b'q' | b'Q' | b'v' => self.query(p, pkt, r),
            _ => Reply::Data,
        }
    }

    fn kill(&self, p: &mut Proto) {
        if p.pid == 0 {
            return;
        }
        if let Some(e) = self.cur(p) {
            utrace::send_sigkill(e.handle.task());
        }
        // Breakpoints need not come out of a dying process.
        {
            let mut pts = self.points.lock();
            pts.bps.clear();
            pts.wps.clear();
        }
        let (entries, forks) = {
            let mut t = self.threads.lock();
            t.gen += 1;
            (
                core::mem::take(&mut t.entries),
                core::mem::take(&mut t.forks),
            )
        };
        drop(entries);
        drop(forks);
        self.evq.lock().clear();
        p.pid = 0;
        p.running = false;
        p.last_stop = None;
    }

    /// `Z`/`z`: breakpoints (0) and watchpoints (2 write, 3 read, 4 access).
    fn point(&self, p: &mut Proto, insert: bool, rest: &[u8], r: &mut KVec<u8>) -> Reply {
        let (t, rest) = split(rest, b',');
        let (a, rest) = split(rest, b',');
        let (k, _cond) = split(rest, b';');
        let (Some(t), Some(a), Some(k)) = (parse_hex(t), parse_hex(a), parse_hex(k)) else {
            return Reply::Err(1);
        };
        let addr = a as usize;
        if p.pid == 0 {
            return Reply::Err(1);
        }
        match t {
            0 => {
                let Some(e) = self.mem_entry(p) else {
                    return Reply::Err(1);
                };
                if insert {
                    if self.points.lock().has_bp(addr) {
                        put(r, b"OK");
                        return Reply::Data;
                    }
                    match e.handle.insert_breakpoint(addr) {
                        Ok(bp) => {
                            if self.points.lock().bps.push(bp, GFP_ATOMIC).is_err() {
                                let _ = e.handle.remove_breakpoint(&bp);
                                return Reply::Err(12);
                            }
                        }
                        Err(_) => return Reply::Err(1),
                    }
                } else {
                    // The byte goes back first, then the breakpoint leaves the list: a trap
                    // taken before is still recognised (`gone`).
                    let bp = {
                        let pts = self.points.lock();
                        pts.bps.iter().find(|b| b.addr() == addr).copied()
                    };
                    if let Some(bp) = bp {
                        if e.handle.remove_breakpoint(&bp).is_err() {
                            return Reply::Err(1);
                        }
                        let mut pts = self.points.lock();
                        if let Some(i) = pts.bps.iter().position(|b| b.addr() == addr) {
                            let _ = pts.bps.remove(i);
                        }
                        if pts.gone.len() >= GONE_MAX {
                            let _ = pts.gone.remove(0);
                        }
                        if !pts.gone.contains(&addr) {
                            let _ = pts.gone.push(addr, GFP_ATOMIC);
                        }
                    }
                }
                put(r, b"OK");
                Reply::Data
            }
            2..=4 => {
                let kind = if t == 2 {
                    WatchKind::Write
                } else {
                    WatchKind::ReadWrite
                };
                let len = k as u32;
                // A mask, not `%`: the remainder's division-by-zero panic path is a call
                // 7.3's objtool does not know as noreturn (`panic_const_rem_by_zero`).
                if !matches!(len, 1 | 2 | 4 | 8) || addr & (len as usize - 1) != 0 {
                    // gdb then uses a software watchpoint.
                    return Reply::Err(22);
                }
                let list = self.snapshot();
                if insert {
                    for (i, e) in list.iter().enumerate() {
                        if e.handle.set_watchpoint(addr, len, kind).is_err() {
                            for e in list.iter().take(i) {
                                let _ = e.handle.clear_watchpoint(addr);
                            }
                            return Reply::Err(28);
                        }
                    }
                    if self
                        .points
                        .lock()
                        .wps
                        .push((addr, len, t as u8), GFP_ATOMIC)
                        .is_err()
                    {
                        for e in list.iter() {
                            let _ = e.handle.clear_watchpoint(addr);
                        }
                        return Reply::Err(12);
                    }
                } else {
                    for e in list.iter() {
                        let _ = e.handle.clear_watchpoint(addr);
                    }
                    let mut pts = self.points.lock();
                    if let Some(i) = pts.wps.iter().position(|w| w.0 == addr) {
                        let _ = pts.wps.remove(i);
                    }
                }
                put(r, b"OK");
                Reply::Data
            }
            _ => Reply::Data,
        }
    }

    fn query(self: &Arc<Self>, p: &mut Proto, pkt: &[u8], r: &mut KVec<u8>) -> Reply {
        let (name, args) = match pkt.iter().position(|&c| c == b':' || c == b';') {
            Some(i) => (&pkt[..i], &pkt[i + 1..]),
            None => (pkt, &pkt[pkt.len()..]),
        };
        match name {
            b"qSupported" => {
                put(r, b"PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;");
                put(
                    r,
                    b"qXfer:threads:read+;qXfer:exec-file:read+;qXfer:auxv:read+;",
                );
                put(r, b"multiprocess+;vContSupported+;swbreak+;QNonStop+");
            }
            b"QStartNoAckMode" => {
                // The OK is still acknowledged; from the next packet on, no acks.
                self.reply(p, b"OK");
                p.noack = true;
                return Reply::None;
            }
            b"qAttached" => put(r, b"1"),
            b"QNonStop" => {
                match args {
                    b"0" => p.nonstop = false,
                    b"1" => p.nonstop = true,
                    _ => return Reply::Err(1),
                }
                p.pending.clear();
                p.inflight = false;
                put(r, b"OK");
            }
            b"vStopped" => {
                if !p.pending.is_empty() {
                    let _ = p.pending.remove(0);
                }
                let next = p.pending.first().map(|f| {
                    let mut c = KVec::new();
                    put(&mut c, f);
                    c
                });
                match next {
                    Some(next) => {
                        self.reply(p, &next);
                        return Reply::None;
                    }
                    None => {
                        p.inflight = false;
                        put(r, b"OK");
                    }
                }
            }
            b"qC" => {
                let tid = p.last_stop.map_or_else(|| self.first_tid(), |s| s.0);
                if p.pid == 0 || tid == 0 {
                    return Reply::Err(1);
                }
                put(r, b"QCp");
                put_hex(r, p.pid as u64);
                put(r, b".");
                put_hex(r, tid as u64);
            }
            b"qfThreadInfo" => {
                let list = self.snapshot();
                if list.is_empty() {
                    put(r, b"l");
                } else {
                    put(r, b"m");
                    for (i, e) in list.iter().enumerate() {
                        if i > 0 {
                            put(r, b",");
                        }
                        put(r, b"p");
                        put_hex(r, e.thr.pid as u64);
                        put(r, b".");
                        put_hex(r, e.thr.tid as u64);
                    }
                }
            }
            b"qsThreadInfo" => put(r, b"l"),
            b"qSymbol" => put(r, b"OK"),
            b"qXfer" => return self.xfer(p, args, r),
            b"vCont?" => put(r, b"vCont;c;C;s;S;t"),
            b"vCont" => return self.vcont(p, args, r),
            b"vAttach" => {
                let Some(pid) = parse_hex(args).and_then(|x| i32::try_from(x).ok()) else {
                    return Reply::Err(1);
                };
                match self.attach(p, pid) {
                    Ok(()) => {
                        let tid = if self.entry(pid).is_some() {
                            pid
                        } else {
                            self.first_tid()
                        };
                        p.exit_reply = None;
                        if p.nonstop {
                            // Every thread stays stopped; the stop comes as a notification.
                            p.pending.clear();
                            p.inflight = false;
                            self.reply(p, b"OK");
                            p.last_stop = Some((tid, Why::Stopped));
                            // The leader's stop as a notification, as gdbserver: the other
                            // threads (parked too) are reported when gdb stops them
                            // (`vCont;t`), which it does right after.
                            if let Some(e) = self.entry(tid) {
                                e.thr.reported.store(true, Ordering::SeqCst);
                            }
                            let r = self.stop_payload(p, tid, Why::Stopped);
                            self.notify_stop(p, r);
                            return Reply::None;
                        }
                        self.stop_reply(p, tid, Why::Stopped);
                        return Reply::None;
                    }
                    Err(e) => {
                        let pid_attached = p.pid != 0 && e != EBUSY;
                        if pid_attached {
                            self.detach_all(p);
                        }
                        if e != EBUSY && utrace::printk_ratelimit() {
                            pr_err!("vAttach {}: error {}\n", pid, e.to_errno());
                        }
                        return Reply::Err(if e == EPERM { 1 } else { 3 });
                    }
                }
            }
            b"vKill" => {
                self.kill(p);
                put(r, b"OK");
            }
            _ => {}
        }
        Reply::Data
    }

    /// `qXfer:OBJECT:read:ANNEX:OFF,LEN`.
    fn xfer(&self, p: &mut Proto, args: &[u8], r: &mut KVec<u8>) -> Reply {
        let (object, rest) = split(args, b':');
        let (op, rest) = split(rest, b':');
        let Some(i) = rest.iter().rposition(|&c| c == b':') else {
            return Reply::Err(0);
        };
        let (annex, range) = (&rest[..i], &rest[i + 1..]);
        let (o, l) = split(range, b',');
        let (Some(off), Some(len)) = (parse_hex(o), parse_hex(l)) else {
            return Reply::Err(0);
        };
        if op != b"read" {
            return Reply::Data;
        }
        let (off, len) = (off as usize, (len as usize).min(PACKET_SIZE - 16));
        match object {
            b"features" => {
                if annex != b"target.xml" {
                    return Reply::Err(0);
                }
                xfer_reply(r, TARGET_XML, off, len);
            }
            b"threads" => {
                let mut x = KVec::new();
                put(&mut x, b"<?xml version=\"1.0\"?>\n<threads>\n");
                for e in self.snapshot().iter() {
                    put(&mut x, b"<thread id=\"p");
                    put_hex(&mut x, e.thr.pid as u64);
                    put(&mut x, b".");
                    put_hex(&mut x, e.thr.tid as u64);
                    put(&mut x, b"\" name=\"");
                    let (name, n) = utrace::comm(e.handle.task());
                    for &c in &name[..n] {
                        match c {
                            b'<' => put(&mut x, b"&lt;"),
                            b'>' => put(&mut x, b"&gt;"),
                            b'&' => put(&mut x, b"&amp;"),
                            b'"' => put(&mut x, b"&quot;"),
                            b'\'' => put(&mut x, b"&apos;"),
                            0x20..=0x7e => put(&mut x, &[c]),
                            _ => put(&mut x, b"?"),
                        }
                    }
                    put(&mut x, b"\"/>\n");
                }
                put(&mut x, b"</threads>\n");
                xfer_reply(r, &x, off, len);
            }
            b"exec-file" | b"auxv" => {
                let pid = if annex.is_empty() {
                    p.pid
                } else {
                    parse_hex(annex)
                        .and_then(|x| i32::try_from(x).ok())
                        .unwrap_or(0)
                };
                let task = if pid != 0 && pid == p.pid {
                    self.cur(p).map(|e| ARef::from(e.handle.task()))
                } else if pid > 0 {
                    // gdb asks before attaching too: the opener must be allowed to trace it.
                    utrace::task_by_tid(pid).filter(|t| {
                        t.tgid_nr_ns(Some(&self.ns)) == pid
                            && self.opener.may_command(t, Access::DEFAULT).is_ok()
                    })
                } else {
                    None
                };
                let Some(task) = task else {
                    return Reply::Err(1);
                };
                let data = if object == b"auxv" {
                    utrace::auxv(&task)
                } else {
                    utrace::exe_path(&task)
                };
                match data {
                    Ok(d) => xfer_reply(r, &d, off, len),
                    Err(_) => return Reply::Err(1),
                }
            }
            _ => return Reply::Data,
        }
        Reply::Data
    }

    /// `vCont;ACTION[:TID];...`: each thread takes the first action naming it, or the
    /// default one; threads with none stay stopped.
    fn vcont(&self, p: &mut Proto, args: &[u8], r: &mut KVec<u8>) -> Reply {
        if p.pid == 0 {
            return Reply::Err(1);
        }
        // `(kind, sig, tid)`: kind b'c', b's', b't'.
        let mut acts: KVec<(u8, i32, Tid)> = KVec::new();
        for a in args.split(|&c| c == b';') {
            if a.is_empty() {
                continue;
            }
            let (act, tid) = split(a, b':');
            let tid = if tid.is_empty() {
                Tid::All
            } else {
                match parse_tid(tid) {
                    Some((_, t)) => t,
                    None => return Reply::Err(1),
                }
            };
            let (kind, sig) = match act.first() {
                Some(b'c') => (b'c', 0),
                Some(b's') => (b's', 0),
                Some(b't') => (b't', 0),
                Some(&k @ (b'C' | b'S')) => {
                    let Some(g) = parse_hex(&act[1..]) else {
                        return Reply::Err(1);
                    };
                    (k.to_ascii_lowercase(), sig_from_gdb(g as i32))
                }
                _ => return Reply::Err(1),
            };
            if acts.push((kind, sig, tid), GFP_KERNEL).is_err() {
                return Reply::Err(12);
            }
        }
        let mut any = false;
        for e in self.snapshot().iter() {
            let tid = e.thr.tid;
            let Some(&(kind, sig, _)) = acts.iter().find(|a| match a.2 {
                Tid::All | Tid::Any => true,
                Tid::Id(t) => t == tid,
            }) else {
                continue;
            };
            if kind == b't' {
                if p.nonstop {
                    self.stop_one(e);
                }
                continue;
            }
            if self.has_event(tid) {
                continue;
            }
            self.resume_one(e, kind == b's', sig);
            any = true;
        }
        let _ = any;
        if p.nonstop {
            put(r, b"OK");
            return Reply::Data;
        }
        p.running = true;
        Reply::None
    }

    /// `write()`: frame and handle gdb's bytes.
    fn input(self: &Arc<Self>, p: &mut Proto, data: &[u8]) {
        for &b in data {
            match p.parse {
                Parse::Idle => match b {
                    b'$' => {
                        p.inp.clear();
                        p.sum = 0;
                        p.overlong = false;
                        p.parse = Parse::Data;
                    }
                    0x03 => self.interrupt(p),
                    b'-' if !p.noack => {
                        let last = core::mem::take(&mut p.last);
                        self.queue_out(p, &last);
                        p.last = last;
                    }
                    _ => {}
                },
                Parse::Data => match b {
                    b'#' => p.parse = Parse::Cs1,
                    b'$' => {
                        // A new packet: the one before was cut.
                        p.inp.clear();
                        p.sum = 0;
                        p.overlong = false;
                    }
                    _ => {
                        p.sum = p.sum.wrapping_add(b);
                        if p.inp.len() < PACKET_SIZE {
                            put(&mut p.inp, &[b]);
                        } else {
                            p.overlong = true;
                        }
                    }
                },
                Parse::Cs1 | Parse::Cs2(_) if b == b'$' => {
                    // A new packet: the one before was cut in its checksum.
                    p.inp.clear();
                    p.sum = 0;
                    p.overlong = false;
                    p.parse = Parse::Data;
                }
                Parse::Cs1 => match hexval(b) {
                    Some(h) => p.parse = Parse::Cs2(h),
                    None => {
                        p.parse = Parse::Idle;
                        if !p.noack {
                            self.queue_out(p, b"-");
                        }
                    }
                },
                Parse::Cs2(h) => {
                    p.parse = Parse::Idle;
                    let good = hexval(b).map(|l| (h << 4) | l) == Some(p.sum);
                    if !good {
                        if !p.noack {
                            self.queue_out(p, b"-");
                        }
                        continue;
                    }
                    if !p.noack {
                        self.queue_out(p, b"+");
                    }
                    if p.overlong {
                        if utrace::printk_ratelimit() {
                            pr_err!("packet longer than PacketSize dropped\n");
                        }
                        self.reply(p, b"E01");
                        continue;
                    }
                    // Unescape.
                    let raw = core::mem::take(&mut p.inp);
                    let mut pkt = KVec::new();
                    let mut esc = false;
                    for &c in raw.iter() {
                        if esc {
                            put(&mut pkt, &[c ^ 0x20]);
                            esc = false;
                        } else if c == b'}' {
                            esc = true;
                        } else {
                            put(&mut pkt, &[c]);
                        }
                    }
                    p.inp = raw;
                    self.handle_packet(p, &pkt);
                }
            }
        }
    }

    fn read(self: &Arc<Self>, nonblock: bool, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let mut p = self.proto.lock();
        loop {
            // Read before the look: anything queued after it moves the count.
            let seen = self.out_seq.load(Ordering::SeqCst);
            self.process_events(&mut p);
            if !p.out.is_empty() {
                let n = iov.copy_to_iter(&p.out);
                if n == 0 {
                    return Err(EFAULT);
                }
                let rest = p.out.len() - n;
                for i in 0..rest {
                    p.out[i] = p.out[n + i];
                }
                p.out.truncate(rest);
                self.update_ready(&p);
                return Ok(n);
            }
            self.update_ready(&p);
            if nonblock {
                return Err(EAGAIN);
            }
            // Without the mutex (writers and `poll()` go on); the count is checked after
            // the sleeper is queued, so no wake-up is lost. The time-out only bounds the
            // sleep (the events of a thread that stopped may need a look again).
            drop(p);
            let r = self
                .reader_wq
                .wait_interruptible_timeout(|| self.out_seq.load(Ordering::SeqCst) != seen, 50);
            if r == Err(ERESTARTSYS) {
                return Err(ERESTARTSYS);
            }
            p = self.proto.lock();
        }
    }
}

enum Reply {
    Data,
    None,
    Err(u8),
}

const TCGETS: u32 = 0x5401;
const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
const TCSETSF: u32 = 0x5404;
const TCSBRK: u32 = 0x5409;
const TCXONC: u32 = 0x540a;
const TCFLSH: u32 = 0x540b;
const TIOCMGET: u32 = 0x5415;
const TIOCMBIS: u32 = 0x5416;
const TIOCMBIC: u32 = 0x5417;
const TIOCMSET: u32 = 0x5418;
const FIONREAD: u32 = 0x541b;
const TCGETS2: u32 = 0x802c_542a;
const TCSETS2: u32 = 0x402c_542b;
const TCSETSW2: u32 = 0x402c_542c;
const TCSETSF2: u32 = 0x402c_542d;
/// `TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_CAR | TIOCM_DSR`.
const MODEM_LINES: u32 = 0x002 | 0x004 | 0x020 | 0x040 | 0x100;

#[vtable]
impl MiscDevice for Session {
    type Ptr = Arc<Session>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Session>> {
        let ns = kernel::current!().get_pid_ns().ok_or(ESRCH)?;
        // A raw 8N1 38400-baud line: c_cflag CS8 | CREAD | CLOCAL | B38400, speeds 38400.
        let mut tio = [0u8; 44];
        tio[8..12].copy_from_slice(&(0x30u32 | 0x80 | 0x800 | 0xf).to_ne_bytes());
        tio[36..40].copy_from_slice(&38400u32.to_ne_bytes());
        tio[40..44].copy_from_slice(&38400u32.to_ne_bytes());
        let evq = KVec::with_capacity(64, GFP_KERNEL)?;
        Arc::pin_init(
            pin_init!(Session {
                proto <- new_mutex!(Proto {
                    parse: Parse::Idle,
                    inp: KVec::new(),
                    sum: 0,
                    overlong: false,
                    out: KVec::new(),
                    last: KVec::new(),
                    noack: false,
                    pid: 0,
                    running: false,
                    hg: 0,
                    last_stop: None,
                    exit_reply: None,
                    out_full: false,
                    nonstop: false,
                    pending: KVec::new(),
                    inflight: false,
                }),
                readable <- new_poll_condvar!("utrace_gdb::readable"),
                parked <- WaitQueue::new(c"utrace_gdb::parked", kernel::static_lock_class!()),
                reader_wq <- WaitQueue::new(c"utrace_gdb::reader", kernel::static_lock_class!()),
                out_seq: AtomicUsize::new(0),
                threads <- new_mutex!(Threads {
                    entries: KVec::new(),
                    forks: KVec::new(),
                    gen: 0,
                    next_id: 0,
                }),
                evq <- new_spinlock_irq!(evq),
                points <- new_spinlock!(Points {
                    bps: KVec::new(),
                    wps: KVec::new(),
                    gone: KVec::new(),
                }),
                termios <- new_spinlock!(tio),
                ready: AtomicBool::new(false),
                active: AtomicBool::new(false),
                ns,
                opener: Attacher::current(),
            }),
            GFP_KERNEL,
        )
    }

    fn release(session: Arc<Session>, _file: &File) {
        let mut p = session.proto.lock();
        session.detach_all(&mut p);
    }

    fn read_iter(kiocb: Kiocb<'_, Arc<Session>>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let nonblock = utrace::kiocb_nonblock(&kiocb);
        let s: Arc<Session> = kiocb.file().into();
        s.read(nonblock, iov)
    }

    fn write_iter(kiocb: Kiocb<'_, Arc<Session>>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let s: Arc<Session> = kiocb.file().into();
        let mut buf = [0u8; 512];
        let mut total = 0;
        let mut p = s.proto.lock();
        loop {
            let n = iov.copy_from_iter(&mut buf);
            if n == 0 {
                break;
            }
            s.input(&mut p, &buf[..n]);
            total += n;
        }
        s.update_ready(&p);
        Ok(total)
    }

    fn ioctl(s: ArcBorrow<'_, Session>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let user = |len: usize| UserSlice::new(UserPtr::from_addr(arg), len);
        match cmd {
            TCGETS | TCGETS2 => {
                let t = *s.termios.lock();
                let n = if cmd == TCGETS { 36 } else { 44 };
                user(n).writer().write_slice(&t[..n])?;
                Ok(0)
            }
            TCSETS | TCSETSW | TCSETSF | TCSETS2 | TCSETSW2 | TCSETSF2 => {
                let n = if matches!(cmd, TCSETS | TCSETSW | TCSETSF) {
                    36
                } else {
                    44
                };
                let mut t = [0u8; 44];
                user(n).reader().read_slice(&mut t[..n])?;
                let mut g = s.termios.lock();
                g[..n].copy_from_slice(&t[..n]);
                Ok(0)
            }
            TCSBRK | TCXONC | TCFLSH => Ok(0),
            TIOCMGET => {
                user(4).writer().write_slice(&MODEM_LINES.to_ne_bytes())?;
                Ok(0)
            }
            TIOCMSET | TIOCMBIS | TIOCMBIC => Ok(0),
            FIONREAD => {
                let n = s.proto.lock().out.len() as u32;
                user(4).writer().write_slice(&n.to_ne_bytes())?;
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}

impl MiscPoll for Session {
    fn poll(s: ArcBorrow<'_, Session>, file: &File, table: &PollTable<'_>) -> u32 {
        table.register_wait(file, &s.readable);
        let mut mask = utrace::POLL_WRITABLE;
        if s.ready.load(Ordering::SeqCst) {
            mask |= utrace::POLL_READABLE;
        }
        mask
    }
}

struct GdbModule {
    _dev: Pin<KBox<MiscDeviceMode<Session>>>,
}

impl kernel::Module for GdbModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // 0666: anyone may open; every attach is checked against ptrace's rule.
        let dev = KBox::pin_init(
            MiscDeviceMode::<Session>::register_poll(c"utrace-gdb", 0o666),
            GFP_KERNEL,
        )?;
        Ok(GdbModule { _dev: dev })
    }
}

impl Drop for GdbModule {
    /// No file is open (each holds the module): wait for utrace's last `release`.
    fn drop(&mut self) {
        let mut ms = 0u32;
        while LIVE.load(Ordering::Acquire) != 0 {
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(1));
            ms += 1;
            if ms == 5000 {
                pr_warn!("unload waits for engines that utrace has not released\n");
            }
        }
    }
}
