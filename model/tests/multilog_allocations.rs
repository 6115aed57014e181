//! The line machine allocates nothing on the per-line path: once its effect
//! buffer has grown to the size of a read's output, reads of the same kind, with
//! labels, echoes, status records and rotations, allocate nothing.

use model::multilog::lines::{Effects, Lines};
use model::multilog::script::parse;
use model::tai64::Tai64N;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system's allocator, counting the allocations and reallocations made by
/// the thread that asked for it (not the test harness's).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTED.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

#[test]
fn reads_after_the_first_allocate_nothing() {
    let mut read = Vec::new();
    for k in 0..300 {
        read.extend_from_slice(format!("line {k} DEBUG of a log of some length\n").as_bytes());
    }
    read.extend_from_slice(&[b'x'; 3000]);
    read.extend_from_slice(b"\n");
    for args in [
        &["s4096", "./a"][..],
        &["t", "s4096", "./a", "./b"],
        &["t", "-*DEBUG*", "e", "s4096", "./a"],
        &["+*", "=status", "s5000", "./a", "-line 1*", "./b"],
        &["T", "s4096", "./a"],
        &["d", "-*DEBUG*", "s4096", "./a"],
        &["i", "s4096", "./a", "./b"],
        &["m", "s4096", "R60", "S10000", "./a"],
    ] {
        let script = parse(args).expect("a script");
        let mut lines = Lines::new(&script, &vec![0; script.dirs.len()]);
        let mut effects = Effects::new();
        let mut feed = |k: i64| {
            lines.feed(
                &read,
                Tai64N::from_unix_micros(1_700_000_000 + k, 0),
                &mut effects,
            );
            lines.rotate_all(&mut effects);
        };
        // The first reads grow the buffers to what a read of this kind needs.
        for k in 0..3 {
            feed(k);
        }
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        COUNTED.with(|c| c.set(true));
        for k in 3..100 {
            feed(k);
        }
        COUNTED.with(|c| c.set(false));
        let allocations = ALLOCATIONS.load(Ordering::SeqCst) - before;
        assert_eq!(
            allocations, 0,
            "{args:?}: {allocations} allocations in 97 reads of 301 lines"
        );
    }
}
