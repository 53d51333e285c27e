//! Time-travel seek benchmark (issue #6): in a 100,000-record scenario,
//! how long does it take to jump to an arbitrary step?
//!
//! The scenario (S100k): 3 brokers, 6 partitions with RF 3, acks=all, one
//! producer sending 100,000 keyed records 1 ms apart, one group of 3
//! consumers committing after processing. It is played through the UI's
//! model (every step absorbed as the screen would), then 300 seeks to
//! pseudo-random steps are timed one by one. Prints the median, 99th
//! percentile and worst seek, the number of snapshots and the heap the
//! whole history holds. The same seeks are run as wasm by
//! `scripts/bench-wasm.sh` (bench/wasm).

use kafkascope::engine::config::{Acks, KeyMode, ScenarioConfig};
use kafkascope::model::{Model, Msg};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes, to report what the history costs.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static A: Counting = Counting;

include!("common/workloads.rs");

/// Plays the scenario to its end through the model.
fn play(records: u32) -> Model {
    let mut m = Model::new(s100k(records)).expect("valid");
    m.update(Msg::Play);
    // Playing a workload scenario pauses by itself when it has drained.
    // Playing a workload scenario pauses by itself when it has drained.
    while m.playing {
        m.update(Msg::Tick);
    }
    m
}

fn main() {
    let heap0 = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let n: u32 = std::env::var("RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut m = play(n);
    let play_s = t.elapsed().as_secs_f64();
    let heap = LIVE.load(Ordering::Relaxed) - heap0;
    let end = m.last_step();
    let s = m
        .engine
        .delivery_summary(kafkascope::engine::ids::GroupIdx(0));
    assert_eq!(s.processed_once, n as u64, "{s:?}");

    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut times = Vec::new();
    for _ in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let target = x % (end + 1);
        let t = Instant::now();
        m.update(Msg::Seek(target));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(m.step, target);
    }
    // Step back from the end, the slowest single step back.
    m.update(Msg::SeekEnd);
    let t = Instant::now();
    m.update(Msg::StepBack);
    let back_ms = t.elapsed().as_secs_f64() * 1000.0;
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "S100k native: {end} steps played in {play_s:.2} s; history holds {:.1} MB \
         ({} snapshots, one every {} steps)",
        heap as f64 / 1e6,
        end / kafkascope::model::timeline::SNAPSHOT_EVERY_STEPS + 1,
        kafkascope::model::timeline::SNAPSHOT_EVERY_STEPS
    );
    println!(
        "S100k native seek: median {:.2} ms, p99 {:.2} ms, worst {:.2} ms over {} seeks; \
         step back from the end {:.2} ms",
        pct(0.5),
        pct(0.99),
        times[times.len() - 1],
        times.len(),
        back_ms
    );
}
