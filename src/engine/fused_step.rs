//! The step loop's native state, and fusing: a delay-0 action run as the
//! next action without a push into the queue and a pop out of it.
//!
//! The queue pops in (time, sequence number) order (`sim.rs`). An action
//! scheduled at delay 0 is due now; if it can be proved that nothing queued
//! comes before it, it is the very next action popped once the actions
//! already proved to come first have run, and the push, the timing wheel's
//! scan for it and the pop buy nothing: the engine keeps it aside, in a
//! small first-in-first-out lane, and runs it from there. That is *fusing*
//! it. The proof must hold exactly, not nearly: a step ends at the next
//! headline event, so an action run one place early or late would move an
//! event into another step and change what the course page shows step by
//! step.
//!
//! The lane holds a producer's per-record timers, all due now: `Create`
//! (stage 1, `send()`), `Stage` (serialize, then partition) and the
//! workload's `WorkloadNext`. A workload with no interval (W1's) keeps four
//! of them due in the same millisecond at every moment, and pops each once
//! a record: without the lane, four pushes and pops of the queue a record.
//! An action joins the lane, instead of the queue, when one of two proofs
//! holds that every action already queued comes after it:
//!
//! * its sequence number directly follows the lane's last action's. Every
//!   push takes the next number, so nothing can sit between the two in the
//!   queue's order: anything queued for that millisecond after the lane's
//!   last action (the lane comes first, see below) was numbered after it,
//!   and so after this one too. This is the common case, and costs a
//!   comparison.
//! * nothing queued is due this millisecond at all (the queue's next action
//!   is later): then every queued action comes after it, whatever its
//!   number. This costs a look at the queue (`TimingWheel::peek`), taken
//!   only when the first proof fails: the lane's first action, or one after
//!   the producer sent a request or queued another timer in between.
//!
//! Either way every lane action comes before every queued one, which stays
//! true as actions run: the lane runs first, and anything pushed later is
//! numbered later. So the step loop (`step_until`, `run_to_ms`) runs the
//! lane's first action whenever the lane holds one, and pops the queue
//! only when it is empty, exactly the page's order. (`warm_up`, which pops
//! the queue itself, runs before any workload, script or command can queue
//! a record's timer, so its lane is always empty.)
//!
//! Every count the page keeps of its queue is kept as if the lane's actions
//! were queued: the actions keeping the run awake, the length that triggers
//! a sweep of stale timers (`sweep_if_due` in `sim.rs`; none of the lane's
//! timers is ever stale), the time of the next action. Steps stay one
//! headline each, and the events are the page's, event for event:
//! `fused_tests` below runs the fused and the page's way side by side, and
//! debug builds check each action run from the lane against the queue's
//! next one. Native only (`cfg(engine_speed)`): the page keeps the plain
//! queue, its first load budgeted to the byte.

use super::{Engine, EventsOwn, StepOutcome};
use crate::engine::ids::ProducerIdx;
use crate::engine::producer::ProducerTimer;

/// The step loop's native state: the event buffers' flags and the fused
/// lane.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LoopState {
    pub(super) events: EventsOwn,
    pub(super) lane: FusedLane,
}

/// The most actions the lane holds: a workload with no interval keeps four
/// (a record's `Create`, the record before's `Stage`s, the next
/// `WorkloadNext`); a second such producer in the same millisecond, more.
/// An action beyond it is queued, which keeps the proofs true (it is
/// numbered after the lane's).
const LANE_LEN: usize = 8;

/// The fused lane: producer timers due now that come before everything
/// queued (see the module docs), in their order, each with its sequence
/// number (debug builds check it against the queue's next action).
#[derive(Clone, Copy)]
pub(super) struct FusedLane {
    /// A ring: the lane's `i`-th action is at `(head + i) % LANE_LEN`.
    items: [(u64, ProducerIdx, ProducerTimer); LANE_LEN],
    head: usize,
    len: usize,
    /// When the lane's actions are due: now, while it holds any.
    at_ms: u64,
    /// The sequence number after the lane's last action's.
    next_seq: u64,
}

impl Default for FusedLane {
    fn default() -> Self {
        FusedLane {
            items: [(0, ProducerIdx(0), ProducerTimer::WorkloadNext); LANE_LEN],
            head: 0,
            len: 0,
            at_ms: 0,
            next_seq: 0,
        }
    }
}

/// The lane's actions, in order: the slots it no longer uses are no part of
/// its value (tests compare engines by `Debug`).
impl std::fmt::Debug for FusedLane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items = (0..self.len).map(|i| &self.items[(self.head + i) % LANE_LEN]);
        f.debug_list().entries(items).finish()
    }
}

impl FusedLane {
    /// How many actions the lane holds, counted as queued wherever the
    /// page counts its queue.
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    fn push(&mut self, seq: u64, at_ms: u64, producer: ProducerIdx, timer: ProducerTimer) {
        debug_assert!(self.len < LANE_LEN);
        debug_assert!(self.len == 0 || (self.at_ms, self.next_seq) <= (at_ms, seq));
        self.items[(self.head + self.len) % LANE_LEN] = (seq, producer, timer);
        self.len += 1;
        self.at_ms = at_ms;
        self.next_seq = seq + 1;
    }

    #[inline(always)]
    fn pop(&mut self) -> (u64, ProducerIdx, ProducerTimer) {
        debug_assert!(self.len > 0);
        let item = self.items[self.head];
        self.head = (self.head + 1) % LANE_LEN;
        self.len -= 1;
        item
    }
}

impl Engine {
    /// Whether the action `timer` of `producer` being scheduled (`seq`, due
    /// at `at_ms`) joins the lane, by one of the module docs' proofs: then
    /// it has joined, and is not to be queued. Only a record's timers due
    /// now join (a constant timer folds the question away where it is
    /// scheduled); they keep the run awake, as `schedule` has counted.
    #[inline(always)]
    pub(super) fn fuse(
        &mut self,
        seq: u64,
        at_ms: u64,
        producer: ProducerIdx,
        timer: ProducerTimer,
    ) -> bool {
        let fusable = matches!(
            timer,
            ProducerTimer::Create { .. }
                | ProducerTimer::Stage { .. }
                | ProducerTimer::WorkloadNext
        );
        if !fusable || at_ms != self.now_ms || fused_off() {
            return false;
        }
        let lane = &self.loop_state.lane;
        debug_assert!(lane.len == 0 || lane.at_ms == at_ms, "the lane is due now");
        let joins = if lane.len == 0 {
            self.nothing_queued_at(at_ms)
        } else {
            lane.len < LANE_LEN && (seq == lane.next_seq || self.nothing_queued_at(at_ms))
        };
        if joins {
            self.loop_state.lane.push(seq, at_ms, producer, timer);
        }
        joins
    }

    /// Whether nothing queued is due at `at_ms` (the second proof).
    #[inline(never)]
    fn nothing_queued_at(&self, at_ms: u64) -> bool {
        self.queue.peek().is_none_or(|s| s.at_ms > at_ms)
    }

    /// Runs the lane's first action, taking it off the counts of queued
    /// actions as its pop would. Debug builds check that the queue's next
    /// action comes after it.
    #[inline(always)]
    fn run_fused(&mut self) {
        let (_seq, p, timer) = self.loop_state.lane.pop();
        debug_assert_eq!(self.loop_state.lane.at_ms, self.now_ms, "due now");
        // (The queue's entries carry their number in debug builds only.)
        #[cfg(debug_assertions)]
        assert!(
            self.queue
                .peek()
                .is_none_or(|s| (s.at_ms, s.seq) > (self.now_ms, _seq)),
            "nothing queued comes before a fused action"
        );
        self.keepalive_scheduled -= 1;
        self.sweep_at += 1;
        self.producer_timer(p, timer);
    }

    /// When the next scheduled action is due, if any.
    pub fn next_event_ms(&self) -> Option<u64> {
        if self.loop_state.lane.len > 0 {
            return Some(self.loop_state.lane.at_ms);
        }
        self.queue.peek().map(|s| s.at_ms)
    }

    /// Runs every action due at or before `ms`, headline or not: a moment
    /// in simulated time rather than the next headline (for tests and tools).
    pub fn run_to_ms(&mut self, ms: u64) {
        while self.next_event_ms().is_some_and(|at| at <= ms) {
            if self.loop_state.lane.len > 0 {
                self.run_fused();
            } else {
                self.pop_one();
            }
        }
    }

    /// [`Engine::step`], but never past `limit_ms`: `None` when the next
    /// action is due later, before any headline. The background events run
    /// so far stay buffered for the step that finds the headline. A lane
    /// shown beside another follows it this way, to the same moment and no
    /// further (a plain step could run seconds ahead to its next news).
    ///
    /// Natively the fused lane's first action, while it holds any, is the
    /// next action (see the module docs); the queue is popped when the lane
    /// is empty.
    pub fn step_until(&mut self, limit_ms: u64) -> Option<StepOutcome> {
        self.step_calls += 1;
        // A command applied since the last step may have produced a headline
        // of its own (a crash, a note): that is this step.
        if self.out.iter().any(|e| e.kind.is_headline()) {
            self.steps += 1;
            return Some(StepOutcome::Advanced);
        }
        self.headline = false;
        let mut background = 0u32;
        loop {
            if self.loop_state.lane.len > 0 {
                // Due now, and keeping the run awake: the page's loop would
                // not stop idle here.
                debug_assert!(self.keepalive_scheduled > 0);
                if self.now_ms > limit_ms {
                    return None;
                }
                self.run_fused();
            } else {
                let next_ms = self.next_due_ms(limit_ms)?;
                // Routine traffic alone (heartbeats, empty fetches) is idle; a
                // scheduled keep-alive action (a message with news, a fence
                // timer, a workload tick) or pending work anywhere keeps the
                // loop going.
                if self.keepalive_scheduled == 0 && !self.has_pending_work() {
                    return Some(StepOutcome::Idle);
                }
                if next_ms > limit_ms {
                    return None;
                }
                self.pop_one();
            }
            if self.headline {
                self.steps += 1;
                return Some(StepOutcome::Advanced);
            }
            background += 1;
            // A guard against a bug turning into a frozen tab: no real scenario
            // goes this long without a headline while work is pending.
            if background > 1_000_000 {
                return Some(StepOutcome::Idle);
            }
        }
    }
}

/// Whether every action is queued the page's way, none fused
/// ([`FusedLane`]): only in `fused_tests`, which compare the two.
#[inline(always)]
fn fused_off() -> bool {
    #[cfg(test)]
    return fused_tests::off();
    #[cfg(not(test))]
    false
}

/// The fused lane ([`FusedLane`]) against the page's way:
/// the same steps, events and clock, with crashes and restarts of the
/// producer, time-limited steps and `run_to_ms` in between.
#[cfg(test)]
mod fused_tests {
    use crate::engine::command::Command;
    use crate::engine::config::ScenarioConfig;
    use crate::engine::ids::{BrokerId, ProducerIdx};
    use crate::engine::sim::{Engine, StepOutcome};
    use std::cell::Cell;

    thread_local! {
        static OFF: Cell<bool> = const { Cell::new(false) };
    }

    /// Whether this thread's engines queue every `WorkloadNext` (the page's way).
    pub(crate) fn off() -> bool {
        OFF.with(Cell::get)
    }

    /// The default cluster with a producer sending back to back.
    fn cfg(records: u32, transactional: bool) -> ScenarioConfig {
        let mut cfg = ScenarioConfig::default();
        let pc = &mut cfg.producers[0];
        (pc.workload.records, pc.workload.interval_ms) = (records, 0);
        pc.transactional_id = transactional.then(|| "tx".to_string());
        cfg
    }

    /// Runs `f` on `e` the page's way (`off`) or the native way.
    fn with<R>(off: bool, e: &mut Engine, f: impl FnOnce(&mut Engine) -> R) -> R {
        OFF.with(|c| c.set(off));
        let r = f(e);
        OFF.with(|c| c.set(false));
        r
    }

    /// Runs `cfg` both ways; the first producer sends more than `sent` records.
    fn same_run(cfg: ScenarioConfig, sent: u32) {
        let mut fused = Engine::new(cfg.clone()).expect("valid");
        let mut page = Engine::new(cfg).expect("valid");
        let p = ProducerIdx(0);
        let script: &[(u32, Command)] = &[
            (40, Command::CrashProducer { producer: p }),
            (41, Command::StartProducerInstance { producer: p }),
            (
                90,
                Command::SlowBroker {
                    broker: BrokerId(1),
                    extra_ms: 3,
                },
            ),
            (120, Command::CrashProducer { producer: p }),
            (160, Command::StartProducerInstance { producer: p }),
        ];
        for step in 0..3_000u32 {
            for (at, cmd) in script {
                if *at == step {
                    let a = with(false, &mut fused, |e| e.apply(cmd));
                    let b = with(true, &mut page, |e| e.apply(cmd));
                    assert_eq!(a, b, "{cmd:?} at step {step}");
                }
            }
            let limit = fused.now_ms() + u64::from(step % 3);
            let run = |e: &mut Engine| match step % 5 {
                0 => e.step_until(limit),
                1 => {
                    e.run_to_ms(limit);
                    Some(StepOutcome::Advanced)
                }
                _ => Some(e.step()),
            };
            let a = with(false, &mut fused, run);
            let b = with(true, &mut page, run);
            assert_eq!(a, b, "step {step}");
            assert_eq!(fused.take_events(), page.take_events(), "step {step}");
            assert_eq!(fused.now_ms(), page.now_ms(), "step {step}");
            assert_eq!(fused.next_event_ms(), page.next_event_ms(), "step {step}");
            assert_eq!(fused.is_idle(), page.is_idle(), "step {step}");
            if a == Some(StepOutcome::Idle) {
                break;
            }
        }
        assert!(
            fused.producers()[0].workload_sent > sent,
            "the workload ran"
        );
    }

    #[test]
    fn a_fused_workload_runs_as_the_page_s() {
        same_run(cfg(400, false), 100);
    }

    #[test]
    fn a_transactional_workload_runs_as_the_page_s() {
        same_run(cfg(300, true), 100);
    }

    #[test]
    fn two_workloads_in_the_same_millisecond_run_as_the_page_s() {
        // Two producers' timers interleave: the lane fills past one
        // producer's four, and each sent request breaks the numbering.
        let mut cfg = cfg(400, false);
        let mut second = cfg.producers[0].clone();
        second.client_id = "producer-2".to_string();
        second.batch_size = 2_000;
        cfg.producers.push(second);
        same_run(cfg, 100);
    }

    #[test]
    fn a_workload_with_an_interval_runs_as_the_page_s() {
        // Each record's `Create` starts the lane afresh (the second proof).
        let mut cfg = cfg(200, false);
        cfg.producers[0].workload.interval_ms = 2;
        same_run(cfg, 10);
    }
}
