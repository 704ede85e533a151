// SPDX-License-Identifier: GPL-2.0

//! utrace_strace: the kernel half of `utrace-strace`, a strace built on utrace.
//!
//! The interface is `include/uapi/linux/utrace_strace.h` (its constants are mirrored in
//! [`abi`] below and compared with the header at every build by `scripts/check-abi`). This
//! file uses only the safe API of `include/rust/utrace.rs`: no `unsafe` here.
//!
//! One session per open file of `/dev/utrace-strace` (mode 0666: every attach is checked
//! against ptrace's rule in the caller's context, `Attached::attach_checked`). A session has
//! a ring of fixed-size records, an overflow queue behind it, and the list of the engines it
//! attached (one per thread, each holding its [`Attached`] handle).
//!
//! `poll()` is not offered (it could be: `utrace::MiscPoll`, as `utrace_gdb` does; the
//! 7.3 `kernel::miscdevice::MiscDevice` trait itself has no `poll`). A reader blocks in
//! `read()`, or uses `O_NONBLOCK` and `EAGAIN`.
//!
//! # Records and backpressure
//!
//! A callback builds its record on the stack and, under the session's queue lock (an
//! irq-safe spinlock: the after-the-fact signal report runs under siglock with interrupts
//! off), copies it into the ring: one lock, one copy, no allocation. The session-wide
//! sequence number is given under that lock, so `seq` is the order of the queue.
//!
//! A callback must not wait for the reader (`include/linux/utrace.h`: use `UTRACE_STOP`).
//! So, lossless: when the ring is full (or records already wait in the overflow queue: they
//! go first), the record is appended to the overflow queue (grown with `GFP_KERNEL` outside
//! the lock in the sleepable callbacks, with `GFP_ATOMIC` under it in the atomic one; only an
//! allocation failure loses a record: `lost_records`), and the thread is parked with
//! `UTRACE_STOP` at its next stoppable callback. The reader's `read()` copies records out,
//! moves the overflow queue into the ring as room frees, and once the overflow queue is
//! empty and the ring down to a quarter (`RESUME_MARK`: hysteresis, so that a resumed
//! thread does not park again at its next syscall) resumes threads parked for it: as many
//! as the ring has room for, `RESUME_SHARE` records each, round robin; the rest at the next
//! low ring, or as soon as a reader finds the ring empty.
//!
//! Where the thread parks: never at syscall entry. A `UTRACE_STOP` answered there skips the
//! syscall (`-ERESTARTNOINTR`), parks the thread in `get_signal()` and enters the syscall
//! again afterwards (`rust/entrystop.rs`): audit would see it twice, and it costs a second
//! entry. The entry record goes to the overflow queue and the stop is taken at the exit of
//! the same syscall, after it ran once, unperturbed: the exit callback parks the thread if
//! its own record overflowed (that is, if the queue is still behind). The other stoppable
//! points are exec and clone (the parent); a signal report never parks (a stop there would
//! hold the signal and re-queue it at the tail: its fate could change), nor does the death
//! report (no stop after death). Every thread therefore adds at most a few records to the
//! overflow queue before it parks: the queue stays short.
//!
//! Resuming: the reader clears a parked thread's flag, waits for the engine's callbacks to
//! be over (`Attached::barrier_uninterruptible`: a callback that answered STOP has had its
//! answer recorded by then) and calls `control(Resume)`. A thread that parks again after the
//! flag was cleared sets it again, under the queue lock, while the overflow queue is not
//! empty: the next drain resumes it.
//!
//! Reading: `read()` takes whole records only, and takes them off the ring only once they
//! reached user space (a fault loses none: `EFAULT` if not even one could be copied). A
//! reader sleeping on an empty queue is woken by the first record; if it finds fewer than it
//! can take (up to `WAKE_MARK`), it waits once more, a jiffy at most or until that many are
//! there, so that a busy tracee wakes it once per batch rather than once per record (the cost
//! of a record is then a lock and a copy). End of file: nothing queued, nothing attached, and
//! something was attached (or `DETACH_ALL` was asked).
//!
//! # Tracee memory
//!
//! With `UTRACE_STRACE_F_DATA` (the command's decoded output) a syscall callback also reads
//! what some arguments point to (`utrace_strace_data.rs`: paths, the first bytes of a
//! buffer, a stat result, an argv) with `SyscallRegs::read_user`, before it takes the queue
//! lock, and queues it as DATA records just before the syscall's own record. The read
//! (`utrace_copy_from_current()`) has ptrace's per-access rule and never waits (for I/O, a
//! userfaultfd or FUSE server): what would need a wait prints as an address.
//!
//! # Lifetimes
//!
//! An engine value ([`Tracer`]) holds the session (`Arc`); the session's list holds each
//! engine's handle. The cycle is broken by detaching: `release` (close, including the reader
//! being killed) takes the whole list and drops every handle (detach, barrier, put), which
//! resumes any parked thread and lets utrace release the engine values. A thread's death
//! report takes its own entry out of the list and drops it (its own handle: the barrier
//! returns at once). `UTRACE_STRACE_IOC_DETACH_ALL` detaches the same way, with a DETACHED
//! record for each thread once no callback of it can run any more. A generation number,
//! bumped by both under the list's mutex, keeps `report_clone` from adding a followed child
//! to a list that was just emptied.
//!
//! An exec that gains privilege detaches the engine without a callback (api.md,
//! "Security"): a reader that has waited one second with nothing to read checks each handle
//! (`set_events` answers `ESRCH` for a detached engine) and records DETACHED for those.

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use kernel::fs::{File, Kiocb};
use kernel::iov::IovIterDest;
use kernel::miscdevice::{MiscDevice, MiscDeviceRegistration};
use kernel::pid_namespace::PidNamespace;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::{Arc, ArcBorrow, CondVar, CondVarTimeoutResult, Mutex, SpinLockIrq};
use kernel::task::Task;
use kernel::uaccess::{UserPtr, UserSlice};
use kernel::{new_condvar, new_mutex, new_spinlock_irq};

#[path = "../include/rust/utrace.rs"]
mod utrace;

#[path = "utrace_strace_data.rs"]
mod data;

use utrace::{
    Access, Action, Attached, Attacher, Engine, Events, MiscDeviceMode, ResumeAction, SignalKind,
    SignalReport, SyscallRegs,
};

module! {
    type: StraceModule,
    name: "utrace_strace",
    authors: ["utrace-rs developers"],
    description: "strace on utrace: records of traced threads through /dev/utrace-strace",
    license: "GPL",
}

/// The constants of `include/uapi/linux/utrace_strace.h`, under their C names, plus the
/// record layout (`SIZEOF_X` is `sizeof(struct x)`, `OFFSETOF_X__F` is
/// `offsetof(struct x, f)`). `scripts/check-abi` compares each with the header.
mod abi {
    pub(crate) const UTRACE_STRACE_VERSION: u32 = 2;
    pub(crate) const UTRACE_STRACE_F_FOLLOW: u32 = 0x1;
    pub(crate) const UTRACE_STRACE_F_UNTIL_EXEC: u32 = 0x2;
    pub(crate) const UTRACE_STRACE_F_DATA: u32 = 0x4;
    pub(crate) const UTRACE_STRACE_F_ALL: u32 = 0x7;
    pub(crate) const UTRACE_STRACE_IOC_MAGIC: u32 = 0xb7;
    pub(crate) const UTRACE_STRACE_IOC_VERSION: u32 = 0xb700;
    pub(crate) const UTRACE_STRACE_IOC_ATTACH: u32 = 0x4008b701;
    pub(crate) const UTRACE_STRACE_IOC_DETACH_ALL: u32 = 0xb702;
    pub(crate) const UTRACE_STRACE_IOC_STATS: u32 = 0x8020b703;
    pub(crate) const UTRACE_STRACE_REC_SYSCALL_ENTRY: u32 = 1;
    pub(crate) const UTRACE_STRACE_REC_SYSCALL_EXIT: u32 = 2;
    pub(crate) const UTRACE_STRACE_REC_SIGNAL: u32 = 3;
    pub(crate) const UTRACE_STRACE_REC_EXIT: u32 = 4;
    pub(crate) const UTRACE_STRACE_REC_ATTACHED: u32 = 5;
    pub(crate) const UTRACE_STRACE_REC_DETACHED: u32 = 6;
    pub(crate) const UTRACE_STRACE_REC_EXEC: u32 = 7;
    pub(crate) const UTRACE_STRACE_REC_DATA: u32 = 8;
    pub(crate) const UTRACE_STRACE_RF_GROUP_DEAD: u32 = 0x1;
    pub(crate) const UTRACE_STRACE_RF_RESTARTED: u32 = 0x2;
    pub(crate) const UTRACE_STRACE_RF_DATA_MORE: u32 = 0x4;
    pub(crate) const UTRACE_STRACE_RF_DATA_STR: u32 = 0x8;
    pub(crate) const UTRACE_STRACE_RF_DATA_TRUNC: u32 = 0x10;
    pub(crate) const UTRACE_STRACE_RF_DATA_COUNT: u32 = 0x20;
    pub(crate) const SIZEOF_UTRACE_STRACE_RECORD: usize = 96;
    pub(crate) const SIZEOF_UTRACE_STRACE_ATTACH: usize = 8;
    pub(crate) const SIZEOF_UTRACE_STRACE_STATS: usize = 32;
    pub(crate) const OFFSETOF_UTRACE_STRACE_RECORD__TID: usize = 8;
    pub(crate) const OFFSETOF_UTRACE_STRACE_RECORD__SEQ: usize = 16;
    pub(crate) const OFFSETOF_UTRACE_STRACE_RECORD__TIME_NS: usize = 24;
    pub(crate) const OFFSETOF_UTRACE_STRACE_RECORD__NR: usize = 32;
    pub(crate) const OFFSETOF_UTRACE_STRACE_RECORD__RET: usize = 40;
    pub(crate) const OFFSETOF_UTRACE_STRACE_RECORD__ARGS: usize = 48;
    pub(crate) const OFFSETOF_UTRACE_STRACE_STATS__ATTACHED: usize = 24;
}

use abi::*;

// The ioctl numbers are literals above (for check-abi); they must also be what the kernel's
// `_IO*` macros make of the header's definitions.
const _: () = {
    use kernel::ioctl::{_IO, _IOR, _IOW};
    assert!(UTRACE_STRACE_IOC_VERSION == _IO(UTRACE_STRACE_IOC_MAGIC, 0));
    assert!(UTRACE_STRACE_IOC_ATTACH == _IOW::<[u8; 8]>(UTRACE_STRACE_IOC_MAGIC, 1));
    assert!(UTRACE_STRACE_IOC_DETACH_ALL == _IO(UTRACE_STRACE_IOC_MAGIC, 2));
    assert!(UTRACE_STRACE_IOC_STATS == _IOR::<[u8; 32]>(UTRACE_STRACE_IOC_MAGIC, 3));
};

/// `struct utrace_strace_record`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Record {
    size: u16,
    kind: u16,
    flags: u32,
    tid: i32,
    tgid: i32,
    seq: u64,
    time_ns: u64,
    nr: i64,
    ret: i64,
    args: [u64; 6],
}

const REC_SIZE: usize = SIZEOF_UTRACE_STRACE_RECORD;

const _: () = {
    use core::mem::{align_of, offset_of, size_of};
    assert!(size_of::<Record>() == REC_SIZE);
    assert!(align_of::<Record>() == 8);
    assert!(offset_of!(Record, tid) == OFFSETOF_UTRACE_STRACE_RECORD__TID);
    assert!(offset_of!(Record, seq) == OFFSETOF_UTRACE_STRACE_RECORD__SEQ);
    assert!(offset_of!(Record, time_ns) == OFFSETOF_UTRACE_STRACE_RECORD__TIME_NS);
    assert!(offset_of!(Record, nr) == OFFSETOF_UTRACE_STRACE_RECORD__NR);
    assert!(offset_of!(Record, ret) == OFFSETOF_UTRACE_STRACE_RECORD__RET);
    assert!(offset_of!(Record, args) == OFFSETOF_UTRACE_STRACE_RECORD__ARGS);
};

impl Record {
    fn new(kind: u32, tid: i32, tgid: i32) -> Self {
        Record {
            size: REC_SIZE as u16,
            kind: kind as u16,
            tid,
            tgid,
            time_ns: utrace::ktime_get_ns(),
            ..Record::default()
        }
    }

    /// The record as user space sees it (native endianness, the `#[repr(C)]` layout).
    fn write_to(&self, out: &mut [u8]) {
        out[0..2].copy_from_slice(&self.size.to_ne_bytes());
        out[2..4].copy_from_slice(&self.kind.to_ne_bytes());
        out[4..8].copy_from_slice(&self.flags.to_ne_bytes());
        out[8..12].copy_from_slice(&self.tid.to_ne_bytes());
        out[12..16].copy_from_slice(&self.tgid.to_ne_bytes());
        out[16..24].copy_from_slice(&self.seq.to_ne_bytes());
        out[24..32].copy_from_slice(&self.time_ns.to_ne_bytes());
        out[32..40].copy_from_slice(&self.nr.to_ne_bytes());
        out[40..48].copy_from_slice(&self.ret.to_ne_bytes());
        for (i, a) in self.args.iter().enumerate() {
            out[48 + 8 * i..56 + 8 * i].copy_from_slice(&a.to_ne_bytes());
        }
    }
}

/// Records in the ring (a power of two): 2048 * 96 bytes = 192 KiB per session.
const RING: usize = 2048;
const RING_MASK: usize = RING - 1;
const _: () = assert!(RING.is_power_of_two());
/// The smallest overflow queue allocated, in records; one larger than `OVF_KEEP` is freed
/// once it is empty.
const OVF_MIN: usize = 16;
const OVF_KEEP: usize = 256;
/// The most records the overflow queue holds: 8 rings (1.5 MiB), and `OVF_PER_THREAD` more
/// per thread in the session (1.5 KiB each, a tenth of the thread's own kernel stack), up to
/// `OVF_CEILING`. Threads that park at their next syscall exit add a few each
/// (the entry record, the exit record, a signal or a clone's records on the way), so 10,000
/// threads running into a full ring at once must fit without a loss (measured: with a flat
/// 8 rings, `make bench`'s 10,000-thread row lost about 44,000 records); only a thread that
/// makes no syscall while signals keep coming (a handler that never returns through
/// `rt_sigreturn`) could add more: beyond this its records are counted lost, not grown
/// without bound into kernel memory (the queue grows in the sleepable callbacks charged to
/// the opener's memcg; per session).
const OVF_MAX: usize = 8 * RING;
const OVF_PER_THREAD: usize = 16;
/// The queue is one kmalloc'ed array, doubled as it grows: 32768 records (3 MiB) is the
/// last size under the 4 MiB kmalloc limit, so the cap never goes past it. With the
/// hysteresis of the resume, 10,000 threads park with about 2 records each (measured: no
/// loss); beyond this many records waiting at once they would be lost, counted and shown.
const OVF_CEILING: usize = 32768;
/// Parked threads are resumed once the ring holds this many records or fewer (and the
/// overflow queue none): they then have three quarters of the ring before they park again.
const RESUME_MARK: usize = RING / 4;
/// Ring records per thread resumed at once ([`Session::resume_parked`]).
const RESUME_SHARE: usize = 32;
/// Records copied out per lock round of a read.
const BATCH: usize = 64;
/// A reader that found a few records waits (a jiffy at most) for this many.
const WAKE_MARK: usize = 256;
/// How long a blocked reader waits before it checks for engines detached without a callback.
const SWEEP_MS: u32 = 1000;

/// x86_64 syscall numbers: `execve`, `execveat` (the end of `F_UNTIL_EXEC`'s silence) and
/// `restart_syscall`.
const NR_EXECVE: i64 = 59;
const NR_EXECVEAT: i64 = 322;
const NR_RESTART_SYSCALL: i64 = 219;
/// No syscall entry recorded.
const NO_NR: i64 = i64::MIN;
/// `-ERESTARTSYS`, `-ERESTARTNOINTR`, `-ERESTARTNOHAND`, `-ERESTART_RESTARTBLOCK`: a
/// syscall exit with one of these is re-entered after the signal, unless a handler runs and
/// the kernel turns it into `-EINTR`.
fn is_restart_code(ret: i64) -> bool {
    matches!(ret, -512 | -513 | -514 | -516)
}

/// Engine values alive (a module exit waits for the last `release` utrace makes).
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Counts one engine value in [`LIVE`] while it exists. The last field of [`Tracer`]: fields
/// drop in declaration order, so the count goes down only after everything else the value
/// owns (its session, and the ring the session's drop frees) is gone. What is left of the
/// release after that is the return through the drop glue and utrace's release trampoline:
/// a window only the core can close (a module reference held per engine until its release
/// returns).
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

/// The session's queue, locked.
type QueueGuard<'a> =
    kernel::sync::lock::Guard<'a, Queue, kernel::sync::lock::spinlock::SpinLockIrqBackend>;

/// The queue of a session, under its spinlock.
struct Queue {
    /// `RING` records; `len` of them from `head` on are queued.
    ring: KVVec<Record>,
    head: usize,
    len: usize,
    /// Records behind the ring, from `ovf_head` on (they go to the ring before newer ones).
    ovf: KVec<Record>,
    ovf_head: usize,
    /// The next sequence number (also the count of records queued since open).
    seq: u64,
    /// Parks for backpressure, records lost to allocation failures.
    stops: u64,
    lost: u64,
    /// Threads in the session's list.
    attached: u32,
    /// ATTACH requests that took effect, or are under way (counted when the thread joins
    /// the list, taken back if its events cannot be set): a session whose attaches all
    /// failed has not ended.
    attaches: u64,
    detached_all: bool,
    /// Readers sleeping in `read()` on an empty queue (any record wakes them), and readers
    /// giving the producers a moment to queue `mark` records (a wake-up per batch, not per
    /// record). `woken`: a wake-up is on its way (the next records need not send another).
    waiting: u32,
    waiting_mark: u32,
    mark: usize,
    woken: bool,
    /// A thread may be parked for backpressure (see the file doc).
    parked_hint: bool,
    /// When a non-blocking reader last swept (`ktime_get_ns()`).
    last_sweep: u64,
}

impl Queue {
    fn ovf_len(&self) -> usize {
        self.ovf.len() - self.ovf_head
    }

    /// The overflow queue's cap for the threads now in the session (see [`OVF_MAX`]).
    fn ovf_max(&self) -> usize {
        OVF_MAX
            .saturating_add((self.attached as usize).saturating_mul(OVF_PER_THREAD))
            .min(OVF_CEILING)
    }

    /// Whether the record just queued must wake a reader (and note that it does).
    fn wake_reader(&mut self) -> bool {
        let wake = !self.woken
            && (self.waiting > 0
                || (self.waiting_mark > 0 && self.len + self.ovf_len() >= self.mark));
        self.woken |= wake;
        wake
    }

    /// Whether a reader sleeps (for an end of file: whatever `woken` says).
    fn any_reader(&self) -> bool {
        self.waiting + self.waiting_mark > 0
    }

    fn is_empty(&self) -> bool {
        self.len == 0 && self.ovf_len() == 0
    }

    /// End of file: nothing to read, nothing attached, and something was (or DETACH_ALL).
    fn eof(&self) -> bool {
        self.is_empty() && self.attached == 0 && (self.attaches > 0 || self.detached_all)
    }

    /// Moves what fits of the overflow queue into the ring.
    fn refill(&mut self) {
        while self.len < RING && self.ovf_head < self.ovf.len() {
            let i = (self.head + self.len) & RING_MASK;
            self.ring[i] = self.ovf[self.ovf_head];
            self.len += 1;
            self.ovf_head += 1;
        }
        if self.ovf_head == self.ovf.len() {
            self.ovf.clear();
            self.ovf_head = 0;
        }
    }

    /// Moves the live part of the overflow queue to its start.
    fn compact(&mut self) {
        let live = self.ovf_len();
        for i in 0..live {
            self.ovf[i] = self.ovf[self.ovf_head + i];
        }
        self.ovf.truncate(live);
        self.ovf_head = 0;
    }
}

/// The session's engines, under its mutex.
struct Threads {
    entries: KVec<Arc<Entry>>,
    /// Bumped by DETACH_ALL and close: a followed child of an engine of an older generation
    /// is not added (its parent's handle is being dropped).
    gen: u64,
    next_id: u64,
    /// Where the next resume of parked threads starts in `entries` (round robin: with more
    /// threads parked than the ring has room for, each gets its turn).
    resume_at: usize,
}

/// One attached thread: the handle, and the engine value (for its flags and ids).
struct Entry {
    handle: Attached<Tracer>,
    tracer: Arc<Tracer>,
}

/// What `read()` copies through: records taken under the lock, then their bytes.
struct Reader {
    recs: KVec<Record>,
    bytes: KVec<u8>,
}

/// One open file.
#[pin_data]
struct Session {
    #[pin]
    q: SpinLockIrq<Queue>,
    #[pin]
    readable: CondVar,
    #[pin]
    threads: Mutex<Threads>,
    #[pin]
    reader: Mutex<Reader>,
    /// The opener's pid namespace: records number threads in it, ATTACH takes tids in it.
    ns: ARef<PidNamespace>,
    /// The opener's credentials: an ATTACH made by another task through the same file (the
    /// file passed to a more privileged process) must not attach with more than the
    /// opener's rights (`Attacher::may_command`).
    opener: Attacher,
}

/// The engine value: one per attached thread. Its callbacks run on that thread only (one at
/// a time), so the atomics need no more than relaxed ordering among themselves.
struct Tracer {
    session: Arc<Session>,
    id: u64,
    /// The list generation it was added in (set under the list's mutex when it is added).
    gen: AtomicU64,
    flags: u32,
    events: Events,
    /// The thread's ids in the session's namespace (a non-leader exec changes the tid).
    tid: AtomicI32,
    tgid: AtomicI32,
    /// `F_UNTIL_EXEC` and no execve entry yet: no record.
    hidden: AtomicBool,
    /// An entry was recorded and its exit not yet: a followed child's first exit (its return
    /// from clone) has no entry and is not recorded, as strace shows none.
    in_syscall: AtomicBool,
    /// Parked (or about to park) for backpressure; cleared by the reader that resumes it.
    parked: AtomicBool,
    /// The number of the syscall whose entry was recorded (`NO_NR`: none), for its exit
    /// record: at the exit the registers may say otherwise (`rt_sigreturn` restores
    /// `orig_ax` to -1, an abort makes it -1).
    cur_nr: AtomicI64,
    last_nr: AtomicI64,
    last_ret: AtomicI64,
    /// What `report_exit` gave, in wait-status form, for the death record.
    exit_code: AtomicI64,
    /// Must stay last (see [`Live`]).
    _live: Live,
}

fn events_for(flags: u32) -> Events {
    let e = Events::SYSCALL
        .with(Events::EXEC)
        .with(Events::EXIT)
        .with(Events::DEATH)
        .with(Events::SIGNAL_ALL);
    if flags & UTRACE_STRACE_F_FOLLOW != 0 {
        e.with(Events::CLONE)
    } else {
        e
    }
}

impl Tracer {
    fn new(
        session: &Arc<Session>,
        task: &Task,
        id: u64,
        gen: u64,
        flags: u32,
        in_syscall: bool,
    ) -> Result<Arc<Self>> {
        let ns = &*session.ns;
        Ok(Arc::new(
            Tracer {
                session: session.clone(),
                id,
                gen: AtomicU64::new(gen),
                flags,
                events: events_for(flags),
                tid: AtomicI32::new(utrace::tid_in(task, ns)),
                tgid: AtomicI32::new(task.tgid_nr_ns(Some(ns))),
                hidden: AtomicBool::new(flags & UTRACE_STRACE_F_UNTIL_EXEC != 0),
                in_syscall: AtomicBool::new(in_syscall),
                parked: AtomicBool::new(false),
                cur_nr: AtomicI64::new(NO_NR),
                last_nr: AtomicI64::new(-1),
                last_ret: AtomicI64::new(0),
                exit_code: AtomicI64::new(0),
                _live: Live::new(),
            },
            GFP_KERNEL,
        )?)
    }

    fn record(&self, kind: u32) -> Record {
        Record::new(
            kind,
            self.tid.load(Ordering::Relaxed),
            self.tgid.load(Ordering::Relaxed),
        )
    }

    fn hidden(&self) -> bool {
        self.hidden.load(Ordering::Relaxed)
    }

    /// Queues the DATA records of the objects `objs` of the current syscall (`ret`: its
    /// result at exit), before the syscall's own record (`utrace_strace_data.rs`). Never a
    /// stop: an overflow parks the thread at this syscall's exit, as for its entry record.
    fn emit_data(&self, regs: &SyscallRegs<'_>, objs: &[data::Obj], ret: i64) {
        if self.flags & UTRACE_STRACE_F_DATA == 0 || objs.is_empty() {
            return;
        }
        data::capture(regs, objs, ret, &mut |p| {
            let mut rec = self.record(UTRACE_STRACE_REC_DATA);
            rec.nr = p.nr;
            rec.flags = p.flags;
            rec.ret = p.ret;
            for (w, c) in rec.args.iter_mut().zip(p.bytes.chunks(8)) {
                let mut b = [0u8; 8];
                b[..c.len()].copy_from_slice(c);
                *w = u64::from_ne_bytes(b);
            }
            self.session.emit(rec, true, None);
        });
    }

    /// Queues `rec` from a sleepable callback that may park: STOP if it overflowed.
    fn emit_parking(&self, rec: Record) -> Action {
        if self.session.emit(rec, true, Some(&self.parked)) {
            Action::STOP
        } else {
            Action::RESUME
        }
    }
}

impl Engine for Tracer {
    fn report_syscall_entry(&self, action: Action, regs: &mut SyscallRegs<'_>) -> Action {
        // Whatever we answer keeps what the engines before decided (an abort).
        let pass = Action::RESUME.keep_syscall(action);
        // The re-run after another engine's entry stop: recorded at the first pass.
        if action.syscall_resumed() {
            return pass;
        }
        let nr = regs.nr();
        if self.hidden() {
            if nr != NR_EXECVE && nr != NR_EXECVEAT {
                return pass;
            }
            self.hidden.store(false, Ordering::Relaxed);
        }
        let mut rec = self.record(UTRACE_STRACE_REC_SYSCALL_ENTRY);
        rec.nr = nr;
        for (i, a) in rec.args.iter_mut().enumerate() {
            *a = regs.arg(i);
        }
        let last = self.last_nr.load(Ordering::Relaxed);
        if is_restart_code(self.last_ret.load(Ordering::Relaxed))
            && (nr == last || nr == NR_RESTART_SYSCALL)
        {
            rec.flags = UTRACE_STRACE_RF_RESTARTED;
        }
        self.in_syscall.store(true, Ordering::Relaxed);
        self.cur_nr.store(nr, Ordering::Relaxed);
        self.emit_data(regs, data::at_entry(nr), 0);
        // Never a stop here (see the file doc): an overflowing entry parks at the exit.
        self.session.emit(rec, true, None);
        pass
    }

    fn report_syscall_exit(&self, _action: Action, regs: &mut SyscallRegs<'_>) -> Action {
        if self.hidden() || !self.in_syscall.swap(false, Ordering::Relaxed) {
            return Action::RESUME;
        }
        if utrace::current_fatal_pending() {
            // Killed in the syscall (SIGKILL, another thread's exit_group): its result is
            // never seen, strace prints `= ?`; the entry record stays unfinished.
            self.cur_nr.store(NO_NR, Ordering::Relaxed);
            return Action::RESUME;
        }
        let mut rec = self.record(UTRACE_STRACE_REC_SYSCALL_EXIT);
        rec.nr = match self.cur_nr.swap(NO_NR, Ordering::Relaxed) {
            // Attached in the middle of the syscall: what the registers say.
            NO_NR => regs.nr(),
            nr => nr,
        };
        rec.ret = regs.ret();
        self.last_nr.store(rec.nr, Ordering::Relaxed);
        self.last_ret.store(rec.ret, Ordering::Relaxed);
        self.emit_data(regs, data::at_exit(rec.nr), rec.ret);
        self.emit_parking(rec)
    }

    fn intercept_signal(&self, action: Action, sig: &mut SignalReport<'_>) -> Action {
        let pass = Action::RESUME.keep_signal(action);
        let kind = sig.kind();
        // A UTRACE_SIGNAL_REPORT pass (another engine's INTERRUPT) has no signal.
        if kind == SignalKind::Report || self.hidden() {
            return pass;
        }
        let mut rec = self.record(UTRACE_STRACE_REC_SIGNAL);
        rec.nr = i64::from(sig.signo());
        rec.args = sig.raw_words();
        // An observed report is atomic (siglock, interrupts off): GFP_ATOMIC only. Never a
        // stop here: the thread parks at its next syscall exit if the queue is behind.
        self.session.emit(rec, kind != SignalKind::Observed, None);
        pass
    }

    fn report_clone(&self, _action: Action, clone_flags: u64, child: &Task) -> Action {
        // CLONE_UNTRACED (vhost workers, kernel-made children): ptrace never attaches to
        // such a child on its own, nor does a user's request (`attach_checked` refuses
        // PF_USER_WORKER threads).
        if self.flags & UTRACE_STRACE_F_FOLLOW == 0
            || clone_flags & u64::from(kernel::bindings::CLONE_UNTRACED) != 0
        {
            return Action::RESUME;
        }
        if self.session.follow(self, clone_flags, child) {
            Action::STOP
        } else {
            Action::RESUME
        }
    }

    fn report_exec(&self, _action: Action) -> Action {
        let old = self.tid.load(Ordering::Relaxed);
        {
            let cur = kernel::current!();
            let ns = &*self.session.ns;
            self.tid.store(utrace::tid_in(cur, ns), Ordering::Relaxed);
            self.tgid.store(cur.tgid_nr_ns(Some(ns)), Ordering::Relaxed);
        }
        if self.hidden() {
            return Action::RESUME;
        }
        let mut rec = self.record(UTRACE_STRACE_REC_EXEC);
        rec.nr = i64::from(old);
        self.emit_parking(rec)
    }

    fn report_exit(&self, _action: Action, _orig_code: i64, code: &mut i64) -> Action {
        self.exit_code.store(*code, Ordering::Relaxed);
        Action::RESUME
    }

    fn report_death(&self, group_dead: bool, _signal: i32) -> Action {
        if !self.hidden() {
            let mut rec = self.record(UTRACE_STRACE_REC_EXIT);
            rec.ret = self.exit_code.load(Ordering::Relaxed);
            if group_dead {
                rec.flags = UTRACE_STRACE_RF_GROUP_DEAD;
            }
            // No stop after death: the record may overflow, the thread goes on dying.
            self.session.emit(rec, true, None);
        }
        // Our own handle: its drop's barrier returns at once on this thread.
        self.session.forget(self.id);
        Action::DETACH
    }
}

impl Session {
    /// Queues `rec` (giving it its sequence number). `sleepable`: the caller may sleep (it
    /// allocates outside the lock; else with GFP_ATOMIC under it). Returns true if the record
    /// went to the overflow queue; then, with `park`, marks that thread parked (the caller
    /// answers STOP).
    fn emit(&self, mut rec: Record, sleepable: bool, park: Option<&AtomicBool>) -> bool {
        let mut spare: Option<KVec<Record>> = None;
        let mut old: Option<KVec<Record>> = None;
        let (overflowed, wake) = loop {
            let mut g = self.q.lock();
            if g.ovf_len() == 0 && g.len < RING {
                rec.seq = g.seq;
                g.seq += 1;
                let i = (g.head + g.len) & RING_MASK;
                g.ring[i] = rec;
                g.len += 1;
                break (false, g.wake_reader());
            }
            // The ring is full, or records wait in the overflow queue (they go first).
            if g.ovf_len() >= g.ovf_max() {
                drop(g);
                self.lose();
                return false;
            }
            if g.ovf.len() == g.ovf.capacity() && g.ovf_head > 0 {
                g.compact();
            }
            if g.ovf.len() == g.ovf.capacity() {
                let live = g.ovf_len();
                match spare.take() {
                    Some(mut v) if v.capacity() > live => {
                        for i in g.ovf_head..g.ovf.len() {
                            // Within the capacity: no allocation.
                            let _ = v.push(g.ovf[i], GFP_ATOMIC);
                        }
                        old = Some(core::mem::replace(&mut g.ovf, v));
                        g.ovf_head = 0;
                    }
                    _ if sleepable => {
                        let want = (live * 2).max(OVF_MIN);
                        drop(g);
                        match KVec::with_capacity(want, GFP_KERNEL_ACCOUNT | __GFP_NOWARN) {
                            Ok(v) => {
                                spare = Some(v);
                                continue;
                            }
                            Err(_) => {
                                self.lose();
                                return false;
                            }
                        }
                    }
                    // Atomic: the push below grows the queue with GFP_ATOMIC.
                    _ => {}
                }
            }
            rec.seq = g.seq;
            if g.ovf.push(rec, GFP_ATOMIC | __GFP_NOWARN).is_err() {
                drop(g);
                self.lose();
                return false;
            }
            g.seq += 1;
            if let Some(p) = park {
                p.store(true, Ordering::Release);
                g.parked_hint = true;
                g.stops += 1;
            }
            break (true, g.wake_reader());
        };
        drop(old);
        drop(spare);
        if wake {
            self.readable.notify_all();
        }
        overflowed && park.is_some()
    }

    /// A record lost: an allocation failure, or the overflow queue at its cap
    /// ([`Queue::ovf_max`]).
    fn lose(&self) {
        self.q.lock().lost += 1;
        if utrace::printk_ratelimit() {
            pr_warn!("a record was lost (out of memory, or overflow queue full)\n");
        }
    }

    /// `report_clone` of `parent` (F_FOLLOW): attaches `child` with the parent's flags but
    /// `F_UNTIL_EXEC`, records ATTACHED, adds it to the list. Returns true if the parent
    /// must park (the record overflowed).
    fn follow(self: &Arc<Self>, parent: &Tracer, clone_flags: u64, child: &Task) -> bool {
        let flags = parent.flags & !UTRACE_STRACE_F_UNTIL_EXEC;
        let id = {
            let mut t = self.threads.lock();
            t.next_id += 1;
            t.next_id
        };
        let Ok(tracer) = Tracer::new(
            self,
            child,
            id,
            parent.gen.load(Ordering::Relaxed),
            flags,
            false,
        ) else {
            self.follow_failed();
            return false;
        };
        // No check: the child of a thread the attacher was allowed to trace (api.md,
        // "Security"). It has not run yet: its first event comes after ours.
        let handle = match Attached::attach(child, tracer.clone(), false) {
            Ok(h) => h,
            Err(_) => {
                self.follow_failed();
                return false;
            }
        };
        if handle.set_events(tracer.events).is_err() {
            self.follow_failed();
            return false;
        }
        let Ok(entry) = Arc::new(
            Entry {
                handle,
                tracer: tracer.clone(),
            },
            GFP_KERNEL,
        ) else {
            self.follow_failed();
            return false;
        };
        let mut t = self.threads.lock();
        if t.gen != parent.gen.load(Ordering::Relaxed) {
            // DETACH_ALL or close took the list since the parent was attached.
            drop(t);
            drop(entry);
            return false;
        }
        if t.entries.push(entry.clone(), GFP_KERNEL).is_err() {
            drop(t);
            drop(entry);
            self.follow_failed();
            return false;
        }
        {
            let mut q = self.q.lock();
            q.attached += 1;
        }
        // Under the list's mutex: a DETACH_ALL that takes the child cannot record its
        // DETACHED before this.
        let mut rec = parent.record(UTRACE_STRACE_REC_ATTACHED);
        rec.tid = tracer.tid.load(Ordering::Relaxed);
        rec.tgid = tracer.tgid.load(Ordering::Relaxed);
        rec.nr = i64::from(parent.tid.load(Ordering::Relaxed));
        rec.args[0] = clone_flags;
        let park = self.emit(rec, true, Some(&parent.parked));
        drop(t);
        park
    }

    fn follow_failed(&self) {
        if utrace::printk_ratelimit() {
            pr_warn!("could not follow a new thread (out of memory)\n");
        }
    }

    /// A dying thread's engine leaves the list (its handle is dropped here, on its thread).
    fn forget(&self, id: u64) {
        let entry = {
            let mut t = self.threads.lock();
            let Some(i) = t.entries.iter().position(|e| e.tracer.id == id) else {
                return;
            };
            let e = t.entries.remove(i).ok();
            self.dec_attached();
            e
        };
        drop(entry);
    }

    /// One thread fewer in the list; at end of file a sleeping reader must see it.
    fn dec_attached(&self) {
        let wake = {
            let mut q = self.q.lock();
            q.attached = q.attached.saturating_sub(1);
            q.attached == 0 && q.any_reader()
        };
        if wake {
            self.readable.notify_all();
        }
    }

    /// Detaches `e` now (whoever else holds the entry), waits until none of its callbacks
    /// runs, and records DETACHED: nothing of that thread can follow it.
    fn detach_recorded(&self, e: &Entry) {
        let _ = e.handle.control(ResumeAction::Detach);
        let _ = e.handle.barrier_uninterruptible();
        let rec = e.tracer.record(UTRACE_STRACE_REC_DETACHED);
        self.emit(rec, true, None);
    }

    /// `UTRACE_STRACE_IOC_ATTACH`.
    fn attach(self: &Arc<Self>, tid: i32, flags: u32) -> Result {
        if flags & !UTRACE_STRACE_F_ALL != 0 {
            if utrace::printk_ratelimit() {
                pr_err!("attach: unknown flags {:#x}\n", flags);
            }
            return Err(EINVAL);
        }
        // `task_by_tid` looks in the caller's namespace: it must be the session's.
        let ns = kernel::current!().get_pid_ns().ok_or(ESRCH)?;
        if !core::ptr::eq(ns.as_ptr(), self.ns.as_ptr()) {
            if utrace::printk_ratelimit() {
                pr_err!("attach: caller is not in the opener's pid namespace\n");
            }
            return Err(EINVAL);
        }
        let task = utrace::task_by_tid(tid).ok_or(ESRCH)?;
        // The caller may trace it with the opener's rights, not only its own.
        self.opener.may_command(&task, Access::DEFAULT)?;
        // And the opener may trace it itself: a file handed to a more privileged process
        // must not show its opener what the opener could not trace.
        self.opener.may_trace(&task, Access::DEFAULT)?;
        let id = {
            let mut t = self.threads.lock();
            if t.entries
                .iter()
                .any(|e| e.handle.task().as_ptr() == task.as_ptr())
            {
                return Err(EEXIST);
            }
            t.next_id += 1;
            t.next_id
        };
        let tracer = Tracer::new(self, &task, id, 0, flags, true)?;
        // Checked here, in the caller's context: ptrace's attach rule (EPERM).
        let handle = Attached::attach_checked(&task, tracer.clone(), false, Access::DEFAULT)?;
        let entry = Arc::new(
            Entry {
                handle,
                tracer: tracer.clone(),
            },
            GFP_KERNEL,
        )?;
        {
            let mut t = self.threads.lock();
            if t.entries
                .iter()
                .any(|e| e.handle.task().as_ptr() == task.as_ptr())
            {
                drop(t);
                drop(entry);
                return Err(EEXIST);
            }
            // The generation of the list it joins (a DETACH_ALL may have run since).
            tracer.gen.store(t.gen, Ordering::Relaxed);
            t.entries.push(entry.clone(), GFP_KERNEL)?;
            let mut q = self.q.lock();
            q.attached += 1;
            q.attaches += 1;
        }
        // In the list before any event is set: its death report finds it there.
        if entry.handle.set_events(tracer.events).is_err() {
            // Exiting past its death report (a zombie), or released: as if it were not there,
            // and as if it had not been tried (no end of file for it).
            self.q.lock().attaches -= 1;
            self.forget(id);
            return Err(ESRCH);
        }
        Ok(())
    }

    /// `UTRACE_STRACE_IOC_DETACH_ALL`.
    fn detach_all(&self) {
        let entries = {
            let mut t = self.threads.lock();
            t.gen += 1;
            core::mem::take(&mut t.entries)
        };
        for e in entries.iter() {
            self.detach_recorded(e);
            self.dec_attached();
        }
        drop(entries);
        let wake = {
            let mut q = self.q.lock();
            q.detached_all = true;
            q.any_reader()
        };
        if wake {
            self.readable.notify_all();
        }
    }

    /// A reader found nothing for `SWEEP_MS`: engines detached without a callback (an exec
    /// that gained privilege) leave the list, with a DETACHED record.
    fn sweep(&self) {
        let mut gone = KVec::new();
        {
            let mut t = self.threads.lock();
            let mut i = 0;
            while i < t.entries.len() {
                let e = &t.entries[i];
                if e.handle.set_events(e.tracer.events) == Err(ESRCH) {
                    if let Ok(e) = t.entries.remove(i) {
                        if gone.push(e.clone(), GFP_KERNEL).is_err() {
                            // Put back; the next sweep tries again.
                            let _ = t.entries.push(e, GFP_KERNEL);
                            break;
                        }
                    }
                } else {
                    i += 1;
                }
            }
        }
        for e in gone.iter() {
            self.detach_recorded(e);
            self.dec_attached();
        }
    }

    /// Resumes threads parked for backpressure (the overflow queue is empty), as many as
    /// `room` free records in the ring give `RESUME_SHARE` each, round robin: resumed all at
    /// once, a thousand threads would queue a syscall each and park again (measured: 0.45
    /// parks per syscall at 1,000 threads); the others stay parked until the ring is low
    /// again (or the reader finds it empty).
    /// Returns how many it resumed.
    fn resume_parked(&self, room: usize) -> usize {
        let max = (room / RESUME_SHARE).max(1);
        let mut parked = KVec::new();
        {
            let mut t = self.threads.lock();
            let n = t.entries.len();
            let start = if n == 0 { 0 } else { t.resume_at % n };
            let mut more = false;
            let mut k = 0;
            while k < n {
                let e = &t.entries[(start + k) % n];
                k += 1;
                if !e.tracer.parked.load(Ordering::Acquire) {
                    continue;
                }
                if parked.len() >= max || parked.push(e.clone(), GFP_KERNEL).is_err() {
                    // Left parked; the next drain (or an empty ring) resumes it.
                    more = true;
                    k -= 1;
                    break;
                }
                e.tracer.parked.store(false, Ordering::Release);
            }
            t.resume_at = start + k;
            if more {
                self.q.lock().parked_hint = true;
            }
        }
        for e in parked.iter() {
            // A callback that answered STOP has had it recorded once this returns: the
            // resume cannot come before the stop it ends.
            let _ = e.handle.barrier_uninterruptible();
            let _ = e.handle.control(ResumeAction::Resume);
        }
        parked.len()
    }

    /// Copies up to `max` records to `iov`, whole records only; returns the bytes copied.
    /// Records are taken off the ring only once they reached user space (a fault loses
    /// none). The caller holds the reader mutex: the only one that takes records off.
    fn drain(&self, r: &mut Reader, iov: &mut IovIterDest<'_>, max: usize) -> Result<usize> {
        let mut done = 0;
        while done < max {
            let n = {
                let g = self.q.lock();
                let n = (max - done).min(BATCH).min(g.len);
                r.recs.clear();
                for i in 0..n {
                    // Within the capacity: no allocation.
                    let _ = r.recs.push(g.ring[(g.head + i) & RING_MASK], GFP_ATOMIC);
                }
                n
            };
            if n == 0 {
                break;
            }
            let Reader { recs, bytes } = r;
            for (rec, out) in recs.iter().zip(bytes.chunks_mut(REC_SIZE)) {
                rec.write_to(out);
            }
            let k = iov.copy_to_iter(&bytes[..n * REC_SIZE]) / REC_SIZE;
            let (resume, free) = {
                let mut g = self.q.lock();
                g.head = (g.head + k) & RING_MASK;
                g.len -= k;
                g.refill();
                let empty = g.ovf_len() == 0;
                let free = if empty && g.ovf.capacity() > OVF_KEEP {
                    Some(core::mem::take(&mut g.ovf))
                } else {
                    None
                };
                // Hysteresis: parked threads run again only once the ring is down to
                // `RESUME_MARK`. Resumed at the first free slot, each would queue a record or
                // two and park again: measured, a park per syscall and 50 us per call with
                // 100 threads (8 us with one).
                let low = empty && g.len <= RESUME_MARK;
                (low && core::mem::take(&mut g.parked_hint), free)
            };
            drop(free);
            if resume {
                let _ = self.resume_parked(RING - RESUME_MARK);
            }
            done += k;
            if k < n {
                if done == 0 {
                    return Err(EFAULT);
                }
                break;
            }
        }
        Ok(done * REC_SIZE)
    }

    fn read(&self, nonblock: bool, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let max = iov.len() / REC_SIZE;
        if max == 0 {
            return Err(EINVAL);
        }
        // A reader woken by the first record of a burst waits once more, at most a jiffy, for
        // up to `want` records: one wake-up per batch, not one per record.
        let want = max.min(WAKE_MARK);
        loop {
            {
                let mut g = self.q.lock();
                let mut batched = false;
                loop {
                    let have = g.len + g.ovf_len();
                    if have > 0 {
                        // Not for more while threads are parked: they queue nothing until
                        // this read drains the ring.
                        if have >= want || batched || nonblock || g.parked_hint {
                            break;
                        }
                        g.mark = want;
                        g.woken = false;
                        g.waiting_mark += 1;
                        // A signal: return what is there.
                        let _ = self
                            .readable
                            .wait_interruptible_timeout(&mut g, kernel::time::msecs_to_jiffies(1));
                        g.waiting_mark -= 1;
                        batched = true;
                        continue;
                    }
                    if g.eof() {
                        return Ok(0);
                    }
                    // Threads still parked while the ring is empty (those resumed last
                    // queued nothing): their turn now, not after a sleep.
                    if core::mem::take(&mut g.parked_hint) {
                        drop(g);
                        let resumed = self.resume_parked(RING);
                        g = self.q.lock();
                        if resumed > 0 {
                            if nonblock {
                                return Err(EAGAIN);
                            }
                            // Their records before the next resume (a jiffy at most):
                            // looping at once would resume every parked thread in turn
                            // before any of them ran.
                            let res = self.sleep_empty(&mut g, 1);
                            if let CondVarTimeoutResult::Signal { .. } = res {
                                return Err(ERESTARTSYS);
                            }
                            continue;
                        }
                    }
                    if nonblock {
                        // A non-blocking reader never sleeps into the sweep: at most once
                        // a `SWEEP_MS` from here.
                        let now = utrace::ktime_get_ns();
                        if now.wrapping_sub(g.last_sweep) >= u64::from(SWEEP_MS) * 1_000_000 {
                            g.last_sweep = now;
                            drop(g);
                            self.sweep();
                        }
                        return Err(EAGAIN);
                    }
                    match self.sleep_empty(&mut g, SWEEP_MS) {
                        CondVarTimeoutResult::Signal { .. } => return Err(ERESTARTSYS),
                        CondVarTimeoutResult::Timeout => {
                            drop(g);
                            self.sweep();
                            g = self.q.lock();
                        }
                        CondVarTimeoutResult::Woken { .. } => {}
                    }
                }
            }
            // Not held while waiting: a second reader must stay killable.
            let mut r = self.reader.lock();
            let n = self.drain(&mut r, iov, max)?;
            if n > 0 {
                return Ok(n);
            }
            // Another reader took them: wait again.
        }
    }

    /// Sleeps as a reader of an empty queue (the next record wakes it), `ms` at most.
    fn sleep_empty(&self, g: &mut QueueGuard<'_>, ms: u32) -> CondVarTimeoutResult {
        g.woken = false;
        g.waiting += 1;
        let res = self
            .readable
            .wait_interruptible_timeout(g, kernel::time::msecs_to_jiffies(ms));
        g.waiting -= 1;
        res
    }

    /// `release`: detach everything; the engines then release the session.
    fn close(&self) {
        let entries = {
            let mut t = self.threads.lock();
            t.gen += 1;
            core::mem::take(&mut t.entries)
        };
        // Each drop detaches (a parked thread runs on), waits for its callbacks, puts.
        drop(entries);
    }

    fn stats(&self) -> [u8; SIZEOF_UTRACE_STRACE_STATS] {
        let (records, stops, lost, attached) = {
            let q = self.q.lock();
            (q.seq, q.stops, q.lost, q.attached)
        };
        let mut b = [0u8; SIZEOF_UTRACE_STRACE_STATS];
        b[0..8].copy_from_slice(&records.to_ne_bytes());
        b[8..16].copy_from_slice(&stops.to_ne_bytes());
        b[16..24].copy_from_slice(&lost.to_ne_bytes());
        b[24..28].copy_from_slice(&attached.to_ne_bytes());
        b[28..32].copy_from_slice(&UTRACE_STRACE_VERSION.to_ne_bytes());
        b
    }
}

const _: () = assert!(OFFSETOF_UTRACE_STRACE_STATS__ATTACHED == 24);

#[vtable]
impl MiscDevice for Session {
    type Ptr = Arc<Session>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Session>> {
        let ns = kernel::current!().get_pid_ns().ok_or(ESRCH)?;
        let mut ring = KVVec::with_capacity(RING, GFP_KERNEL_ACCOUNT)?;
        for _ in 0..RING {
            ring.push(Record::default(), GFP_KERNEL_ACCOUNT)?;
        }
        let recs = KVec::with_capacity(BATCH, GFP_KERNEL)?;
        let bytes = KVec::from_elem(0u8, BATCH * REC_SIZE, GFP_KERNEL)?;
        Arc::pin_init(
            pin_init!(Session {
                q <- new_spinlock_irq!(Queue {
                    ring,
                    head: 0,
                    len: 0,
                    ovf: KVec::new(),
                    ovf_head: 0,
                    seq: 0,
                    stops: 0,
                    lost: 0,
                    attached: 0,
                    attaches: 0,
                    detached_all: false,
                    waiting: 0,
                    waiting_mark: 0,
                    mark: 0,
                    woken: false,
                    last_sweep: 0,
                    parked_hint: false,
                }),
                readable <- new_condvar!("utrace_strace::readable"),
                threads <- new_mutex!(Threads {
                    entries: KVec::new(),
                    gen: 0,
                    next_id: 0,
                    resume_at: 0,
                }),
                reader <- new_mutex!(Reader { recs, bytes }),
                ns,
                opener: Attacher::current(),
            }),
            GFP_KERNEL,
        )
    }

    fn release(session: Arc<Session>, _file: &File) {
        session.close();
    }

    fn read_iter(kiocb: Kiocb<'_, Arc<Session>>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let nonblock = utrace::kiocb_nonblock(&kiocb);
        kiocb.file().read(nonblock, iov)
    }

    fn ioctl(s: ArcBorrow<'_, Session>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            UTRACE_STRACE_IOC_VERSION => Ok(UTRACE_STRACE_VERSION as isize),
            UTRACE_STRACE_IOC_ATTACH => {
                let mut b = [0u8; SIZEOF_UTRACE_STRACE_ATTACH];
                UserSlice::new(UserPtr::from_addr(arg), b.len())
                    .reader()
                    .read_slice(&mut b)?;
                let tid = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                let flags = u32::from_ne_bytes([b[4], b[5], b[6], b[7]]);
                let s: Arc<Session> = s.into();
                s.attach(tid, flags).map(|()| 0)
            }
            UTRACE_STRACE_IOC_DETACH_ALL => {
                s.detach_all();
                Ok(0)
            }
            UTRACE_STRACE_IOC_STATS => {
                let b = s.stats();
                UserSlice::new(UserPtr::from_addr(arg), b.len())
                    .writer()
                    .write_slice(&b)?;
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}

struct StraceModule {
    _dev: Pin<KBox<MiscDeviceMode<Session>>>,
}

impl kernel::Module for StraceModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // 0666: anyone may open; every attach is checked against ptrace's rule.
        let dev = KBox::pin_init(
            MiscDeviceMode::<Session>::register(c"utrace-strace", 0o666),
            GFP_KERNEL,
        )?;
        Ok(StraceModule { _dev: dev })
    }
}

impl Drop for StraceModule {
    /// No file is open (each holds the module), so every session has dropped its handles.
    /// An engine whose own death report dropped its handle is released by utrace when that
    /// callback returns: wait for the last one (moments), so that no engine value (and the
    /// session it holds) is left to utrace once this module is gone.
    fn drop(&mut self) {
        let mut ms = 0u32;
        while LIVE.load(Ordering::Acquire) != 0 {
            kernel::time::delay::fsleep(kernel::time::Delta::from_millis(1));
            ms += 1;
            if ms == 5000 {
                // A bug: some engine value is never released. Its drop is this module's code,
                // so going on would be worse than waiting.
                pr_warn!("unload waits for engines that utrace has not released\n");
            }
        }
    }
}
