//! The allocation guard: huge allocations become lazily-backed address space,
//! so that a malformed Kafka frame cannot abort the process.
//!
//! # Why
//!
//! kafka-protocol 0.18 decodes an array by reading its length off the wire
//! and calling `Vec::with_capacity(n)` before reading a single element
//! (`src/protocol/types.rs`, the `Array` and `CompactArray` decoders; upstream
//! kafka-protocol-rs PRs #152, #161 and #200 propose a bound and are open). A
//! 20-byte Metadata frame claiming 2^31 topics asks for ~150 GB. The
//! allocator says no, and Rust does not panic on that: it calls
//! `handle_alloc_error`, which *aborts* the process — no `catch_unwind`, no
//! error, every client of live mode gone. A broker must never die of one bad
//! frame.
//!
//! # How
//!
//! [`GuardedAlloc`] wraps the real allocator. An allocation of
//! [`MMAP_THRESHOLD`] bytes or more (and page alignment or less) is served by
//! `mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE)`:
//! address space only. Linux backs a page with memory only when it is first
//! touched, and `MAP_NORESERVE` skips the overcommit heuristic
//! (`vm.overcommit_memory` = 0, the default; in mode 2, strict accounting,
//! the guard cannot help and such an allocation still fails). The decoder
//! writes a few elements, reaches the end of the frame, returns an error, and
//! the vector is dropped: `munmap`. Address space is plentiful (128 TiB on
//! x86-64), and anonymous mappings are zero-filled, so `alloc_zeroed` costs
//! nothing more. Everything smaller goes to the inner allocator (mimalloc in
//! the `kafkascope` binary), so the engine's hot paths are untouched.
//!
//! mimalloc, the `kafkascope` binary's allocator, happens to map its huge
//! blocks with `MAP_NORESERVE` too when the OS overcommits
//! (`_mi_os_has_overcommit` in its `src/prim/unix/prim.c`), and the bare
//! system allocator does not: under `System`, the test binary aborts with
//! "memory allocation of 154618822584 bytes failed". The guard makes the
//! behaviour ours rather than an allocator's detail, whatever `A` is.
//!
//! It is belt and braces: [`super::frame::MAX_FRAME_BYTES`] bounds what a
//! client can send, and [`super::frame::decode_request`] rejects unknown
//! apis and versions before decoding; but nothing short of decoding knows
//! where a nested array's length sits, so a short frame can still claim a
//! huge array. `tests/live_frame.rs` installs this allocator and decodes such
//! frames; without it that test binary aborts.
//!
//! Only for native Unix binaries: elsewhere (no `mmap`) every call goes to
//! the inner allocator and the guard is a no-op.

use std::alloc::{GlobalAlloc, Layout};

/// Allocations of this many bytes or more are mapped, not allocated: 256 MiB,
/// far past anything the engine or a legitimate frame (8 MiB at most) needs.
pub const MMAP_THRESHOLD: usize = 256 * 1024 * 1024;

/// The largest alignment `mmap` is relied on for (the smallest page size of
/// the platforms we build for); a stricter one goes to the inner allocator.
const MAP_ALIGN: usize = 4096;

/// A global allocator that maps huge allocations lazily and delegates the
/// rest to `A`. Install it with
/// `#[global_allocator] static G: GuardedAlloc<MiMalloc> = GuardedAlloc(MiMalloc);`.
pub struct GuardedAlloc<A: GlobalAlloc>(pub A);

/// Whether `layout` is served by `mmap`. A pure function of the layout, so
/// `dealloc` and `realloc` route a pointer back to whoever made it.
#[inline]
fn mapped(layout: Layout) -> bool {
    cfg!(unix) && layout.size() >= MMAP_THRESHOLD && layout.align() <= MAP_ALIGN
}

#[cfg(unix)]
unsafe fn map(size: usize) -> *mut u8 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const NORESERVE: libc::c_int = libc::MAP_NORESERVE;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const NORESERVE: libc::c_int = 0;
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choosing touches no existing memory.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

#[cfg(unix)]
unsafe fn unmap(ptr: *mut u8, size: usize) {
    // SAFETY: `ptr`/`size` are a mapping made by `map` (the caller's
    // contract, via `mapped`). munmap cannot fail on such a range.
    unsafe {
        libc::munmap(ptr.cast(), size);
    }
}

#[cfg(not(unix))]
unsafe fn map(_size: usize) -> *mut u8 {
    unreachable!("`mapped` is false off Unix")
}

#[cfg(not(unix))]
unsafe fn unmap(_ptr: *mut u8, _size: usize) {
    unreachable!("`mapped` is false off Unix")
}

// SAFETY: every pointer handed out is freed by the same mechanism that made
// it (`mapped` depends only on the layout, which the caller must pass back
// unchanged); mapped memory is page-aligned (>= MAP_ALIGN >= align), at least
// `size` bytes long and zero-filled.
unsafe impl<A: GlobalAlloc> GlobalAlloc for GuardedAlloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if mapped(layout) {
            unsafe { map(layout.size()) }
        } else {
            unsafe { self.0.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if mapped(layout) {
            // Fresh anonymous pages are zero: nothing to write, nothing touched.
            unsafe { map(layout.size()) }
        } else {
            unsafe { self.0.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if mapped(layout) {
            unsafe { unmap(ptr, layout.size()) }
        } else {
            unsafe { self.0.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded up to `align`,
        // does not overflow isize.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if !mapped(layout) && !mapped(new_layout) {
            return unsafe { self.0.realloc(ptr, layout, new_size) };
        }
        // Into, out of, or within mapped memory: a fresh block, a copy, a free
        // (rare: only vectors past 256 MiB get here).
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            let keep = layout.size().min(new_size);
            // SAFETY: both blocks are at least `keep` bytes and distinct.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, keep);
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

/// mimalloc as the process's allocator, calling its plain entry points
/// (`mi_malloc`, `mi_zalloc`, `mi_realloc`) when a layout asks for no more
/// than word alignment, and the aligned ones only above that.
///
/// The `mimalloc` crate's `MiMalloc` sends every allocation through
/// `mi_malloc_aligned`. In mimalloc v3 that call takes its fast path only
/// when the size class's current page has a free block; otherwise (the
/// first block of every fresh page) it falls to the generic aligned path,
/// which serves a size that is not a power of two by over-allocating
/// `size + align - 1` bytes, a block of the next size class up. The size
/// class asked for then never gets a page of its own, so *every*
/// allocation of, say, a 136-byte record takes the slow path and a
/// 160-byte block (in W1 full: ~400k such calls for 20k records, ~5% of
/// the run's instructions, and more memory to zero). Every mimalloc block
/// is at least word-aligned (block sizes are multiples of the word and
/// pages start aligned), so a layout of alignment 8 or less needs nothing
/// the plain calls do not give.
pub struct MiMalloc;

/// The alignment every mimalloc block has (its word).
const MI_WORD: usize = std::mem::size_of::<usize>();

// SAFETY: each call is mimalloc's, with the alignment honoured either by
// the word alignment of every mimalloc block (align <= MI_WORD) or by the
// aligned call; `mi_free` frees blocks from either.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= MI_WORD {
                libmimalloc_sys::mi_malloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= MI_WORD {
                libmimalloc_sys::mi_zalloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if layout.align() <= MI_WORD {
                libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}
