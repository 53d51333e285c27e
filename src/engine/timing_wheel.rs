//! The queue of scheduled actions, natively: a timing wheel.
//!
//! The engine pops actions in (time, sequence number) order (see `sim.rs`).
//! A binary heap does that with O(log n) moves of its elements on every
//! push and pop, and a busy run pushes and pops about ten actions per
//! record. But nearly every action is due within half a second (a message
//! one latency away, a record's processing, a fetch's wait), so this queue
//! keeps one first-in-first-out bucket per millisecond of the next
//! [`WHEEL_MS`], and a heap only for the actions due later (heartbeats,
//! request and session timeouts). Pushing into a bucket and popping from
//! its front is O(1).
//!
//! It pops in exactly the heap's order: within a bucket, actions are in
//! sequence order, because the sequence number grows with every push and
//! the heap's actions for a millisecond move into its bucket (in order) the
//! moment the wheel's window first covers it, before anything can be pushed
//! there directly. The page keeps the heap (`sim.rs`): this is more code,
//! and its first load is budgeted to the byte.
//!
//! The window has two edges. Its start, `base`, is the time of the last
//! action popped; its end, the *horizon*, divides the buckets' actions (due
//! before it) from the heap's (due at it or later). The horizon is at most
//! [`WHEEL_MS`] past `base`, so that no two queued times share a bucket,
//! and at least [`HORIZON_LEAD`] past it, so that a fetch's 500 ms wait
//! still goes into a bucket. It moves in steps, not with every millisecond
//! `base` moves: a pop that finds its bucket empty steps over empty buckets
//! (up to the horizon nothing is in the heap, so nothing needs a look
//! there), and the heap is read only when the horizon moves, at most once
//! every few milliseconds. Moving it one millisecond at a time, with a look
//! at the heap for each (~275,000 moves in a 20k-record W1 full run), cost
//! ~11 instructions a move.
//!
//! Its entries are leaner than the page's `Scheduled` (`sim.rs`): a bucket holds
//! only the action and its keep-alive flag ([`Entry`], 32 bytes against
//! 48), because a bucket's time is its millisecond and its first-in-first-out
//! order is the sequence order, so neither `at_ms` nor `seq` needs storing
//! there (a push of every action writes, and a pop reads, 16 bytes fewer).
//! Only the actions past the horizon keep both ([`Far`]), to be merged into
//! their buckets in the heap's order when the window reaches them.
//!
//! Those far actions are mostly W1's commits' 5 s deadlines, pushed in
//! their due order and nearly all swept (`Engine::sweep_stale_timers`)
//! before they fall due. So they are kept first in up to [`FAR_RUNS`]
//! first-in-first-out *runs*, each appended to while the new action is due
//! no earlier than its last (first fit, the last times kept in an array so
//! a push reads no deque), and only what fits no run goes to a heap: a
//! push to a run is an append where the heap sifted. The earliest far time
//! is kept in a field, so the horizon's move asks one comparison; when it
//! moves past far actions they leave the runs and the heap by a merge on
//! (time, sequence number), each run's front and the heap's top compared,
//! which keeps the buckets' order the sequence order. (Above, "the heap"
//! stands for the runs and the heap together.)
//!
//! It also keeps the boxes of delivered messages for reuse by the next
//! ones sent: no part of its value.

use crate::engine::network::Msg;
use crate::engine::sim::Action;
use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;

/// Milliseconds the wheel covers: a fetch's longest wait (500 ms by
/// default) and everything shorter. Heartbeats and timeouts go to the far
/// runs or heap. Kept small because every time-travel snapshot clones the
/// buckets' headers (32 bytes each: 16 KB).
const WHEEL_MS: u64 = 512;

/// How far past `base` the horizon always is, at least (see the module's
/// docs): past a fetch's default 500 ms wait, and a few milliseconds short
/// of [`WHEEL_MS`], so that the horizon moves (and the far actions are
/// read) once every few milliseconds `base` moves, not at each.
const HORIZON_LEAD: u64 = WHEEL_MS - 8;

/// Far runs kept at most (see the module's docs). One took barely three
/// far actions in four in W1 full (a 45 s session timer at its back sends
/// the 5 s deadlines after it to the heap); four take nearly all.
const FAR_RUNS: usize = 4;

/// One bucket per millisecond of the window: a fixed-size array, so that
/// indexing it with `at % WHEEL_MS` needs no bounds check (a push, a pop
/// and a peek for each of ~10 actions a record in W1 full).
type Buckets = [VecDeque<Entry>; WHEEL_MS as usize];

/// A bucket's action: its time is the bucket's, its sequence number its
/// place in the bucket (see the module's docs). Debug builds keep the
/// number, to check every pop against the page's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) action: Action,
    pub(crate) keeps_alive: bool,
    #[cfg(debug_assertions)]
    seq: u64,
}

/// An action popped, with its time (the fields `Engine::pop_one` reads of
/// the page's `Scheduled`).
pub(crate) struct Due {
    pub(crate) at_ms: u64,
    pub(crate) action: Action,
    pub(crate) keeps_alive: bool,
}

/// The next action's time, as [`TimingWheel::peek`] sees it (and, in debug
/// builds, its sequence number, for the fused lane's check).
pub(crate) struct Head {
    pub(crate) at_ms: u64,
    #[cfg(debug_assertions)]
    pub(crate) seq: u64,
}

/// An action due at the horizon or later, with the time and sequence
/// number its bucket will imply once the window reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Far {
    at_ms: u64,
    seq: u64,
    entry: Entry,
}

impl Ord for Far {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest first.
        (other.at_ms, other.seq).cmp(&(self.at_ms, self.seq))
    }
}

impl PartialOrd for Far {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Clone, Debug)]
pub(crate) struct TimingWheel {
    /// Bucket `at % WHEEL_MS` holds the actions due at `at`, for `at` in
    /// `[base, horizon)`, in sequence order.
    buckets: Box<Buckets>,
    /// Nothing is due before `base`: the time of the last action popped.
    base: u64,
    /// The buckets hold the actions due before it, the far runs and heap
    /// the rest; in `[base + HORIZON_LEAD, base + WHEEL_MS]`.
    horizon: u64,
    /// How many actions are queued, in the buckets, runs and heap (asked
    /// at every push, for the stale-timer sweep, and at every step).
    len: usize,
    /// How many of them are far (in the runs and the heap).
    far_len: usize,
    /// The earliest far action's time (`u64::MAX` with none).
    far_min: u64,
    /// Far actions in runs, each in (time, sequence number) order.
    runs: [VecDeque<Far>; FAR_RUNS],
    /// Each run's last action's time (0 for an empty run: anything fits).
    run_last: [u64; FAR_RUNS],
    /// The far actions no run took.
    far: BinaryHeap<Far>,
    /// The last action popped, (time, sequence number): debug builds check
    /// that pops follow the page's order.
    #[cfg(debug_assertions)]
    last_popped: Option<(u64, u64)>,
    /// The boxes of delivered messages, for the next ones sent.
    boxes: MsgBoxes,
}

/// Emptied `Rc<Msg>` boxes (each holds a placeholder), reused by the next
/// messages sent instead of a free and a malloc for each (about four a
/// record in W1 full). A clone of the queue (a time-travel snapshot) starts
/// with none: a box must be unshared to be reused.
#[derive(Default)]
struct MsgBoxes(Vec<Rc<Msg>>);

/// Boxes kept at most: more than the messages a busy run has in flight at once.
const MSG_BOXES: usize = 64;

impl Clone for MsgBoxes {
    fn clone(&self) -> Self {
        MsgBoxes(Default::default())
    }
}

/// No part of the queue's value: two engines in the same state print the
/// same whatever boxes each has kept (tests compare engines by `Debug`).
impl std::fmt::Debug for MsgBoxes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MsgBoxes")
    }
}

impl Default for TimingWheel {
    fn default() -> Self {
        TimingWheel {
            buckets: Box::new(std::array::from_fn(|_| VecDeque::new())),
            base: 0,
            horizon: WHEEL_MS,
            len: 0,
            far_len: 0,
            far_min: u64::MAX,
            runs: Default::default(),
            run_last: [0; FAR_RUNS],
            far: BinaryHeap::new(),
            #[cfg(debug_assertions)]
            last_popped: None,
            boxes: MsgBoxes::default(),
        }
    }
}

impl TimingWheel {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    #[inline(always)]
    fn slot(at_ms: u64) -> usize {
        (at_ms % WHEEL_MS) as usize
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Queues `action`, due at `at_ms` (no earlier than the last action
    /// popped), with sequence number `seq`. (Inlined into
    /// `Engine::schedule_flagged`, its one hot caller: ~650,000 calls in
    /// the 3 x 20k-record W1 full run.)
    #[inline(always)]
    pub(crate) fn push(&mut self, at_ms: u64, seq: u64, action: Action, keeps_alive: bool) {
        debug_assert!(at_ms >= self.base, "time never goes backwards");
        #[cfg(not(debug_assertions))]
        let _ = seq;
        let entry = Entry {
            action,
            keeps_alive,
            #[cfg(debug_assertions)]
            seq,
        };
        self.len += 1;
        if at_ms >= self.horizon {
            self.push_far(Far { at_ms, seq, entry });
            return;
        }
        self.buckets[Self::slot(at_ms)].push_back(entry);
    }

    /// Queues a far action: at the back of the first run it keeps in
    /// order, else in the heap.
    #[inline(never)]
    fn push_far(&mut self, f: Far) {
        self.far_len += 1;
        self.far_min = self.far_min.min(f.at_ms);
        for i in 0..FAR_RUNS {
            if f.at_ms >= self.run_last[i] {
                self.run_last[i] = f.at_ms;
                self.runs[i].push_back(f);
                return;
            }
        }
        self.far.push(f);
    }

    /// The next action: the earliest, and of those the first pushed.
    /// (Inlined into `Engine::pop_one`, its one caller.)
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<Due> {
        if self.buckets[Self::slot(self.base)].is_empty() {
            self.advance()?;
        }
        self.len -= 1;
        let e = self.buckets[Self::slot(self.base)].pop_front()?;
        #[cfg(debug_assertions)]
        {
            // The page's heap pops in strictly growing (time, sequence
            // number), and nothing is pushed before the last pop.
            let key = (self.base, e.seq);
            assert!(self.last_popped.is_none_or(|l| l < key), "pop order");
            self.last_popped = Some(key);
        }
        Some(Due {
            at_ms: self.base,
            action: e.action,
            keeps_alive: e.keeps_alive,
        })
    }

    /// Moves `base` to the next action's time (its bucket is empty), and
    /// the horizon with it when it falls under [`HORIZON_LEAD`] ahead,
    /// bringing the far actions it then passes into their buckets, in
    /// the heap's order. `None` if nothing is queued.
    #[inline(always)]
    fn advance(&mut self) -> Option<()> {
        let mut at = self.base;
        if self.len == self.far_len {
            // The buckets are empty: the next action is the earliest far one.
            if self.far_len == 0 {
                return None;
            }
            at = self.far_min;
        } else {
            // A bucket before the horizon holds one: no look at the far
            // actions, all due at the horizon or later.
            loop {
                at += 1;
                if !self.buckets[Self::slot(at)].is_empty() {
                    break;
                }
            }
            debug_assert!(at < self.horizon, "the buckets' actions are before it");
        }
        self.base = at;
        if at + HORIZON_LEAD > self.horizon {
            self.horizon = at + WHEEL_MS;
            if self.far_min < self.horizon {
                self.bring_far();
            }
        }
        debug_assert!(self.far_min >= self.horizon);
        Some(())
    }

    /// The far source (a run's index, or [`FAR_RUNS`] for the heap) whose
    /// first action comes first, and that action's (time, number).
    fn far_first(&self) -> Option<(usize, u64, u64)> {
        let mut best: Option<(usize, u64, u64)> = None;
        let fronts = self
            .runs
            .iter()
            .map(VecDeque::front)
            .chain([self.far.peek()]);
        for (i, f) in fronts.enumerate() {
            if let Some(f) = f {
                if best.is_none_or(|(_, at, seq)| (f.at_ms, f.seq) < (at, seq)) {
                    best = Some((i, f.at_ms, f.seq));
                }
            }
        }
        best
    }

    /// Moves the far actions due before the horizon into their buckets,
    /// merged in (time, sequence number) order, and notes the earliest
    /// left.
    #[inline(never)]
    fn bring_far(&mut self) {
        while let Some((i, at, _)) = self.far_first() {
            if at >= self.horizon {
                self.far_min = at;
                return;
            }
            let f = if i < FAR_RUNS {
                let f = self.runs[i].pop_front().expect("its front");
                if self.runs[i].is_empty() {
                    self.run_last[i] = 0;
                }
                f
            } else {
                self.far.pop().expect("its top")
            };
            self.far_len -= 1;
            self.buckets[Self::slot(f.at_ms)].push_back(f.entry);
        }
        self.far_min = u64::MAX;
    }

    /// `msg` in a box for the queue: a spare one if there is one.
    ///
    /// No path of it can panic (a spare is unshared, but a shared one would
    /// only be passed over): with a panic path, as the `expect` on the
    /// spare and the `RefCell` the boxes were once kept in had, `send` kept
    /// a copy of the 88-byte message on its stack for the unwinding to
    /// drop, one more copy of every message sent.
    #[inline(always)]
    pub(crate) fn boxed(&mut self, msg: Msg) -> Rc<Msg> {
        if let Some(mut spare) = self.boxes.0.pop() {
            // Unshared: only unshared boxes are kept. The placeholder owns
            // nothing, so it is forgotten rather than dropped (a call of
            // `drop_in_place::<Msg>` for every message).
            if let Some(slot) = Rc::get_mut(&mut spare) {
                std::mem::forget(std::mem::replace(slot, msg));
                return spare;
            }
            debug_assert!(false, "a spare box is unshared");
        }
        Rc::new(msg)
    }

    /// Whether a delivered message's box can be kept for
    /// [`TimingWheel::boxed`] once the message is taken out
    /// ([`take_msg`]): nothing else holds it (a snapshot may), and fewer
    /// than [`MSG_BOXES`] are kept.
    #[inline(always)]
    pub(crate) fn can_keep(&mut self, boxed: &mut Rc<Msg>) -> bool {
        Rc::get_mut(boxed).is_some() && self.boxes.0.len() < MSG_BOXES
    }

    /// Keeps a box emptied by [`take_msg`] ([`TimingWheel::can_keep`] said so).
    #[inline(always)]
    pub(crate) fn keep(&mut self, boxed: Rc<Msg>) {
        self.boxes.0.push(boxed);
    }

    /// The time (in debug builds also the number) of the action
    /// [`TimingWheel::pop`] would return.
    pub(crate) fn peek(&self) -> Option<Head> {
        if self.len == self.far_len {
            let (_, at_ms, _seq) = self.far_first()?;
            return Some(Head {
                at_ms,
                #[cfg(debug_assertions)]
                seq: _seq,
            });
        }
        (self.base..self.horizon).find_map(|at| {
            let _e = self.buckets[Self::slot(at)].front()?;
            Some(Head {
                at_ms: at,
                #[cfg(debug_assertions)]
                seq: _e.seq,
            })
        })
    }

    /// Every queued action, in no particular order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        let far = self.runs.iter().flatten().chain(self.far.iter());
        self.buckets.iter().flatten().chain(far.map(|f| &f.entry))
    }

    /// Keeps only the actions `keep` says to. Empty buckets are passed
    /// over (most of the 512 are empty at a sweep), and the count kept as
    /// it goes.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        let mut near = 0;
        for b in self.buckets.iter_mut() {
            if !b.is_empty() {
                b.retain(&mut keep);
                near += b.len();
            }
        }
        for (run, last) in self.runs.iter_mut().zip(self.run_last.iter_mut()) {
            if !run.is_empty() {
                run.retain(|f| keep(&f.entry));
                *last = run.back().map_or(0, |f| f.at_ms);
            }
        }
        self.far.retain(|f| keep(&f.entry));
        self.far_len = self.runs.iter().map(VecDeque::len).sum::<usize>() + self.far.len();
        self.len = near + self.far_len;
        self.far_min = self.far_first().map_or(u64::MAX, |(_, at, _)| at);
    }
}

/// The message in a box that [`TimingWheel::can_keep`] said to keep, moved
/// out; the box is left holding a placeholder that owns nothing.
#[inline(always)]
pub(crate) fn take_msg(boxed: &mut Rc<Msg>) -> Msg {
    let msg = Rc::get_mut(boxed).expect("a box to keep is unshared");
    std::mem::replace(msg, Msg::ApiVersions {})
}
