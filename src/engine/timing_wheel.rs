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
//! It also keeps the boxes of delivered messages for reuse by the next
//! ones sent: no part of its value.

use crate::engine::network::Msg;
use crate::engine::sim::Scheduled;
use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;

/// Milliseconds the wheel covers: a fetch's longest wait (500 ms by
/// default) and everything shorter. Heartbeats and timeouts go to the heap.
/// Kept small because every time-travel snapshot clones the buckets'
/// headers (32 bytes each: 16 KB).
const WHEEL_MS: u64 = 512;

/// How far past `base` the horizon always is, at least (see the module's
/// docs): past a fetch's default 500 ms wait, and a few milliseconds short
/// of [`WHEEL_MS`], so that the horizon moves (and the heap is read) once
/// every few milliseconds `base` moves, not at each.
const HORIZON_LEAD: u64 = WHEEL_MS - 8;

/// One bucket per millisecond of the window: a fixed-size array, so that
/// indexing it with `at % WHEEL_MS` needs no bounds check (a push, a pop
/// and a peek for each of ~10 actions a record in W1 full).
type Buckets = [VecDeque<Scheduled>; WHEEL_MS as usize];

#[derive(Clone, Debug)]
pub(crate) struct TimingWheel {
    /// Bucket `at % WHEEL_MS` holds the actions due at `at`, for `at` in
    /// `[base, horizon)`, in sequence order.
    buckets: Box<Buckets>,
    /// Nothing is due before `base`: the time of the last action popped.
    base: u64,
    /// The buckets hold the actions due before it, the heap the rest; in
    /// `[base + HORIZON_LEAD, base + WHEEL_MS]`.
    horizon: u64,
    /// How many actions are queued, in the buckets and in the heap (asked
    /// at every push, for the stale-timer sweep, and at every step).
    len: usize,
    /// Actions due at `horizon` or later.
    far: BinaryHeap<Scheduled>,
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
            far: BinaryHeap::new(),
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

    /// Queues `s`, which is due no earlier than the last action popped.
    /// (Inlined into `Engine::schedule`, its one hot caller: ~650,000 calls
    /// in the 3 x 20k-record W1 full run, each passing its entry through
    /// memory and paying a call.)
    #[inline(always)]
    pub(crate) fn push(&mut self, s: Scheduled) {
        debug_assert!(s.at_ms >= self.base, "time never goes backwards");
        self.len += 1;
        if s.at_ms >= self.horizon {
            self.far.push(s);
            return;
        }
        self.buckets[Self::slot(s.at_ms)].push_back(s);
    }

    /// The next action: the earliest, and of those the first pushed.
    /// (Inlined into `Engine::pop_one`, its one caller.)
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<Scheduled> {
        if self.buckets[Self::slot(self.base)].is_empty() {
            self.advance()?;
        }
        self.len -= 1;
        let s = self.buckets[Self::slot(self.base)].pop_front();
        debug_assert!(s.as_ref().is_some_and(|s| s.at_ms == self.base));
        s
    }

    /// Moves `base` to the next action's time (its bucket is empty), and
    /// the horizon with it when it falls under [`HORIZON_LEAD`] ahead,
    /// bringing the heap's actions it then passes into their buckets, in
    /// the heap's order. `None` if nothing is queued.
    #[inline(always)]
    fn advance(&mut self) -> Option<()> {
        let mut at = self.base;
        if self.len == self.far.len() {
            // The buckets are empty: the next action is the heap's first.
            at = self.far.peek()?.at_ms;
        } else {
            // A bucket before the horizon holds one: no look at the heap,
            // whose actions are all due at the horizon or later.
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
            while self.far.peek().is_some_and(|s| s.at_ms < self.horizon) {
                let s = self.far.pop().expect("peeked");
                self.buckets[Self::slot(s.at_ms)].push_back(s);
            }
        }
        debug_assert!(self.far.peek().is_none_or(|s| s.at_ms >= self.horizon));
        Some(())
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

    /// The action [`TimingWheel::pop`] would return.
    pub(crate) fn peek(&self) -> Option<&Scheduled> {
        if self.len == self.far.len() {
            return self.far.peek();
        }
        (self.base..self.horizon).find_map(|at| self.buckets[Self::slot(at)].front())
    }

    /// Every queued action, in no particular order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Scheduled> {
        self.buckets.iter().flatten().chain(self.far.iter())
    }

    /// Keeps only the actions `keep` says to.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Scheduled) -> bool) {
        for b in self.buckets.iter_mut() {
            b.retain(&mut keep);
        }
        self.far.retain(keep);
        self.len = self.buckets.iter().map(VecDeque::len).sum::<usize>() + self.far.len();
    }
}

/// The message in a box that [`TimingWheel::can_keep`] said to keep, moved
/// out; the box is left holding a placeholder that owns nothing.
#[inline(always)]
pub(crate) fn take_msg(boxed: &mut Rc<Msg>) -> Msg {
    let msg = Rc::get_mut(boxed).expect("a box to keep is unshared");
    std::mem::replace(msg, Msg::ApiVersions {})
}
