//! A global allocator that counts the bytes live, to measure what a store keeps per phone.
//!
//! Register it in a binary with `#[global_allocator]`; it counts only between
//! [`CountingAlloc::start`] and [`CountingAlloc::stop`] (one relaxed load per allocation
//! otherwise), so timings taken outside that window are not disturbed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

/// The system allocator, counting the requested bytes of allocations and frees while on.
#[derive(Debug)]
pub struct CountingAlloc {
    on: AtomicBool,
    live: AtomicI64,
}

impl CountingAlloc {
    /// A counter, off.
    pub const fn new() -> Self {
        CountingAlloc { on: AtomicBool::new(false), live: AtomicI64::new(0) }
    }

    /// Starts counting from zero.
    pub fn start(&self) {
        self.live.store(0, Ordering::SeqCst);
        self.on.store(true, Ordering::SeqCst);
    }

    /// Bytes allocated and not freed since [`start`](Self::start).
    pub fn live(&self) -> i64 {
        self.live.load(Ordering::SeqCst)
    }

    /// Stops counting.
    pub fn stop(&self) {
        self.on.store(false, Ordering::SeqCst);
    }

    fn count(&self, bytes: usize, sign: i64) {
        if self.on.load(Ordering::Relaxed) {
            self.live.fetch_add(sign * bytes as i64, Ordering::Relaxed);
        }
    }
}

impl Default for CountingAlloc {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY (of the unsafe trait impl): every call is forwarded to `System` unchanged; the
// counter has no effect on the memory handed out.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.count(layout.size(), 1);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.count(layout.size(), 1);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.count(layout.size(), -1);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.count(new_size, 1);
        self.count(layout.size(), -1);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
