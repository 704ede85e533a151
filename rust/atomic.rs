// SPDX-License-Identifier: GPL-2.0

//! The kernel's [`Atomic`](kernel::sync::atomic::Atomic), with its plain loads and stores
//! inline on x86-64.
//!
//! Why: in 7.3 every `kernel::sync::atomic` operation is a call to a C helper
//! (`rust/helpers/atomic*.c`) unless the kernel was built with the EXPERIMENTAL
//! `CONFIG_RUST_INLINE_HELPERS` (which needs clang's LLVM to be rustc's), and this module is
//! built for kernels that were not. The per-event path reads a dozen atomics (the filter
//! slot, `events`, the engine list, each engine's flags, `reporting`), so each event paid a
//! dozen calls where `READ_ONCE()` in C is one `mov` (`Documentation/notes-issue12.md` has
//! the measurement).
//!
//! What this is: the same type and the same memory model. `load`/`store` do what the C
//! helpers they replace compile to on x86-64 (`arch/x86/include/asm/barrier.h`,
//! `include/asm-generic/rwonce.h`):
//!
//! - `load(Relaxed)` is `READ_ONCE()`: one volatile load of the value's size;
//! - `load(Acquire)` is x86's `smp_load_acquire()`: `READ_ONCE()` then `barrier()` (x86
//!   loads are not reordered with later loads or stores, so only the compiler needs telling);
//! - `store(v, Relaxed)` is `WRITE_ONCE()`: one volatile store;
//! - `store(v, Release)` is x86's `smp_store_release()`: `barrier()` then `WRITE_ONCE()`
//!   (stores are not reordered with earlier loads or stores).
//!
//! `barrier()` is an empty `asm!` that may touch memory, as in C. Every read-modify-write
//! (`xchg`, `cmpxchg`, `fetch_add`, ...) goes to the kernel's type through `Deref`, unchanged:
//! those are locked instructions whose cost a call barely adds to. On any other architecture
//! `load` and `store` go to the kernel's type too.

use core::ops::{Deref, DerefMut};
use kernel::sync::atomic::ordering::{AcquireOrRelaxed, OrderingType, ReleaseOrRelaxed};
pub(crate) use kernel::sync::atomic::{Acquire, AtomicType, Full, Relaxed, Release};

/// [`kernel::sync::atomic::Atomic`] with inline `load` and `store` (see the module's comment).
///
/// `repr(transparent)`: the same size, alignment and bit validity as `T`, so it can sit in a
/// `repr(C)` structure that C reads (`abi::utrace_engine::flags`).
#[repr(transparent)]
pub(crate) struct Atomic<T: AtomicType>(kernel::sync::atomic::Atomic<T>);

impl<T: AtomicType> Atomic<T> {
    /// A new atomic holding `v`.
    #[inline(always)]
    pub(crate) const fn new(v: T) -> Self {
        Self(kernel::sync::atomic::Atomic::new(v))
    }

    /// Loads the value: `READ_ONCE()` (`Relaxed`) or `smp_load_acquire()` (`Acquire`).
    #[inline(always)]
    pub(crate) fn load<O: AcquireOrRelaxed>(&self, o: O) -> T {
        #[cfg(CONFIG_X86_64)]
        {
            let _ = o;
            // SAFETY: `self.ptr()` points at a valid, aligned `T` for as long as `self` lives.
            // `T: AtomicType` has the size of an `i8`, `i16`, `i32`, `i64` or pointer, so this
            // is one naturally aligned volatile access: the single load `READ_ONCE()` is, which
            // the LKMM treats as a marked access (no tearing, not fused, not invented).
            let v = unsafe { core::ptr::read_volatile(self.ptr()) };
            if matches!(O::TYPE, OrderingType::Acquire) {
                barrier();
            }
            v
        }
        #[cfg(not(CONFIG_X86_64))]
        self.0.load(o)
    }

    /// The address of the value: what the kernel type's `as_ptr()` returns, computed here.
    ///
    /// Not `self.0.as_ptr()`: that is a generic function without `#[inline]` in the kernel
    /// crate, which already instantiates it for `i64`, so the module called the kernel's copy
    /// out of line (63 calls in utrace.ko, 3.5 % of the samples of a syscall-event profile).
    #[cfg(CONFIG_X86_64)]
    #[inline(always)]
    fn ptr(&self) -> *mut T {
        const {
            assert!(core::mem::size_of::<Self>() == core::mem::size_of::<T>());
            assert!(core::mem::align_of::<Self>() == core::mem::align_of::<T>());
        }
        // `Self` is `repr(transparent)` over the kernel's `Atomic<T>`, itself
        // `repr(transparent)` over `AtomicRepr`, an `UnsafeCell` of `T`'s representation
        // (same size and alignment, as checked above): the value is at `self`'s address,
        // and all of it is inside an `UnsafeCell`, so a pointer derived from `&self` may be
        // written through (what `UnsafeCell::raw_get()` documents).
        core::ptr::from_ref(self).cast::<T>().cast_mut()
    }

    /// Stores `v`: `WRITE_ONCE()` (`Relaxed`) or `smp_store_release()` (`Release`).
    #[inline(always)]
    pub(crate) fn store<O: ReleaseOrRelaxed>(&self, v: T, o: O) {
        #[cfg(CONFIG_X86_64)]
        {
            let _ = o;
            if matches!(O::TYPE, OrderingType::Release) {
                barrier();
            }
            // SAFETY: as in `load`: one naturally aligned volatile store of a valid `T`, the
            // `WRITE_ONCE()` of C; `T`'s bit validity is the kernel type's invariant, kept
            // because `v` is a `T`.
            unsafe { core::ptr::write_volatile(self.ptr(), v) };
        }
        #[cfg(not(CONFIG_X86_64))]
        self.0.store(v, o)
    }
}

impl<T: AtomicType> Deref for Atomic<T> {
    type Target = kernel::sync::atomic::Atomic<T>;

    /// The kernel's type, for the read-modify-write operations.
    #[inline(always)]
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<T: AtomicType> DerefMut for Atomic<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// The kernel's `barrier()`: the compiler may not move memory accesses across it.
#[cfg(CONFIG_X86_64)]
#[inline(always)]
fn barrier() {
    // SAFETY: an empty instruction sequence; without `nomem` the compiler must assume it
    // reads and writes any memory, which is all `barrier()` is for.
    unsafe { core::arch::asm!("", options(nostack, preserves_flags)) };
}
