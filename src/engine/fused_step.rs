//! The step loop's native state, and fusing: a delay-0 action run as the
//! next action without a push into the queue and a pop out of it.
//!
//! The queue pops in (time, sequence number) order (`sim.rs`). An action
//! scheduled at delay 0 is due now; if it can be proved that nothing queued
//! comes before it, it is the very next action popped, and the push, the
//! scan for it and the pop buy nothing: the engine can keep it aside and
//! run it next. That is *fusing* it. The proof must hold exactly, not
//! nearly: a step ends at the next headline event, so running a fused
//! action one place early or late would move an event into another step
//! and change what the course page shows step by step.
//!
//! The proof used here is the sequence numbers'. Every push takes the next
//! number, so two actions pushed one after the other for the same
//! millisecond hold consecutive numbers, and nothing can ever sit between
//! them in the queue's order: anything queued later for that millisecond
//! has a larger number and goes behind both. So when the first of the two
//! pops, the second is the next action, whatever else has been queued in
//! the meantime. A producer's `WorkloadNext` with no interval (W1's)
//! queues its record's `Create` and then itself again, both due now:
//! [`FusedNext`] keeps the second out of the queue, and once its `Create`
//! has run it runs as the next step's first action.
//!
//! Every count the page keeps of its queue is kept as if the fused action
//! were queued: the actions keeping the run awake, the length that triggers
//! a sweep of stale timers, the time of the next action. Steps stay one
//! headline each, and the events are the page's, event for event:
//! `fused_tests` below runs the fused and the page's way side by side.
//! Native only (`cfg(engine_speed)`): the page keeps the plain queue, its
//! first load budgeted to the byte.

use super::{Engine, EventsOwn, StepOutcome};
use crate::engine::ids::{ProducerIdx, RecordId};

/// The step loop's native state: the event buffers' flags and the
/// workload's fused next action.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LoopState {
    pub(super) events: EventsOwn,
    pub(super) fused: FusedNext,
}

/// A workload's next record, natively: a producer with `interval_ms = 0`
/// (W1's) creates records back to back. Its `WorkloadNext` timer creates
/// one, queues its `Create` and then queues itself again, both due now:
/// consecutive sequence numbers in the same millisecond, so nothing can
/// come between them (a timing wheel's bucket is first in, first out, and
/// anything queued later goes behind both), and when the `Create` pops, the
/// `WorkloadNext` is the action popped next, the first of the next step
/// (`Created` is a headline). Natively it is not queued: its sequence
/// number is taken, it is counted as queued wherever the page counts it
/// (the actions keeping the run awake, the length that triggers a sweep,
/// `next_event_ms`), and once its `Create` has run it runs as the next
/// step's first action (`step_until`, `run_to_ms`): a push, a pop and a
/// dispatch fewer a record (~100 instructions). Anything else (an interval,
/// a transaction's timers between the two, a second producer's pair at the
/// same time) is queued as on the page. If the producer went down before
/// its `Create` pops, no `Created` ends the step and the `WorkloadNext`,
/// which would do nothing, is dropped: the same state and events (only the
/// step's count of background actions, a runaway guard, is one lower).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct FusedNext {
    /// The last `Create` queued, while queued: (sequence, due, producer, record).
    last_create: Option<(u64, u64, ProducerIdx, RecordId)>,
    /// A queued `Create` (producer, record, due at) followed by its
    /// producer's unqueued `WorkloadNext`.
    pair: Option<(ProducerIdx, RecordId, u64)>,
    /// A `WorkloadNext` due now as the next action (its `Create` has run).
    due: Option<(ProducerIdx, u64)>,
}

impl FusedNext {
    /// A `Create` timer was queued.
    #[inline(always)]
    pub(super) fn queued_create(
        &mut self,
        seq: u64,
        at_ms: u64,
        producer: ProducerIdx,
        record: RecordId,
    ) {
        self.last_create = Some((seq, at_ms, producer, record));
    }

    /// Whether a `WorkloadNext` of `producer` being queued (`seq`, due at
    /// `at_ms`) directly follows its producer's `Create`, still queued, and
    /// so is fused with it: then it is not to be queued.
    #[inline(always)]
    pub(super) fn fuse(&mut self, seq: u64, at_ms: u64, producer: ProducerIdx) -> bool {
        let Some((create_seq, create_at, q, record)) = self.last_create else {
            return false;
        };
        if create_seq + 1 != seq
            || (create_at, q) != (at_ms, producer)
            || self.pair.is_some()
            || self.due.is_some()
            || fused_off()
        {
            return false;
        }
        self.pair = Some((producer, record, at_ms));
        self.last_create = None;
        true
    }

    /// How many `WorkloadNext` actions are counted as queued but are not
    /// in the queue (0 or 1).
    #[inline(always)]
    pub(super) fn unqueued(&self) -> usize {
        usize::from(self.pair.is_some()) + usize::from(self.due.is_some())
    }
}

impl Engine {
    /// `record`'s `Create` timer runs (`producer_create`): whether its
    /// producer's `WorkloadNext` is fused with it (then the caller has it
    /// run next, [`Engine::fused_next_due`], or drops it,
    /// [`Engine::fused_next_dropped`]).
    #[inline(always)]
    pub(crate) fn fused_create_runs(&mut self, p: ProducerIdx, record: RecordId) -> bool {
        let fused = &mut self.loop_state.fused;
        if fused.last_create.is_some_and(|c| (c.2, c.3) == (p, record)) {
            // Popped: a `WorkloadNext` queued now would not follow it.
            fused.last_create = None;
        }
        match fused.pair {
            Some((q, r, at)) if q == p && r == record => {
                debug_assert_eq!(at, self.now_ms, "the pair is due now");
                true
            }
            _ => false,
        }
    }

    /// The fused `WorkloadNext` is the next action: the next step's first
    /// (`Created` ended this one).
    #[inline(always)]
    pub(crate) fn fused_next_due(&mut self, p: ProducerIdx) {
        debug_assert!(self.headline, "a `Created` ends the step");
        let fused = &mut self.loop_state.fused;
        fused.pair = None;
        fused.due = Some((p, self.now_ms));
    }

    /// The fused `WorkloadNext` of a producer that is down leaves the
    /// queue without running (it would return at once; see above).
    #[cold]
    #[inline(never)]
    pub(crate) fn fused_next_dropped(&mut self) {
        self.loop_state.fused.pair = None;
        self.keepalive_scheduled -= 1;
        self.sweep_at += 1;
    }

    /// Runs the due `WorkloadNext`, taking it off the count of queued
    /// actions, as its pop would.
    #[inline(always)]
    fn run_fused_next(&mut self, p: ProducerIdx, at_ms: u64) {
        debug_assert_eq!(at_ms, self.now_ms, "due now, the time of its `Create`");
        self.loop_state.fused.due = None;
        self.keepalive_scheduled -= 1;
        self.sweep_at += 1;
        self.producer_workload_next(p);
    }

    /// When the next scheduled action is due, if any.
    pub fn next_event_ms(&self) -> Option<u64> {
        if let Some((_, at_ms)) = self.loop_state.fused.due {
            return Some(at_ms);
        }
        self.queue.peek().map(|s| s.at_ms)
    }

    /// Runs every action due at or before `ms`, headline or not: a moment
    /// in simulated time rather than the next headline (for tests and tools).
    pub fn run_to_ms(&mut self, ms: u64) {
        while self.next_event_ms().is_some_and(|at| at <= ms) {
            match self.loop_state.fused.due {
                Some((p, at_ms)) => self.run_fused_next(p, at_ms),
                None => {
                    self.pop_one();
                }
            }
        }
    }

    /// [`Engine::step`], but never past `limit_ms`: `None` when the next
    /// action is due later, before any headline. The background events run
    /// so far stay buffered for the step that finds the headline. A lane
    /// shown beside another follows it this way, to the same moment and no
    /// further (a plain step could run seconds ahead to its next news).
    ///
    /// Natively a fused `WorkloadNext` due now (see [`FusedNext`]) is the
    /// step's first action; only the first can be one, since the `Create`
    /// before it ends its step.
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
        if let Some((p, at_ms)) = self.loop_state.fused.due {
            // The loop's first turn, for the action that is not queued: it
            // keeps the run awake, so the loop would not stop idle.
            debug_assert!(self.keepalive_scheduled > 0);
            if at_ms > limit_ms {
                return None;
            }
            self.run_fused_next(p, at_ms);
            if self.headline {
                self.steps += 1;
                return Some(StepOutcome::Advanced);
            }
            background += 1;
        }
        loop {
            debug_assert!(self.loop_state.fused.due.is_none(), "only a step's first");
            let next_ms = self.next_due_ms(limit_ms)?;
            // Routine traffic alone (heartbeats, empty fetches) is idle; a
            // scheduled keep-alive action (a message with news, a fence timer,
            // a workload tick) or pending work anywhere keeps the loop going.
            if self.keepalive_scheduled == 0 && !self.has_pending_work() {
                return Some(StepOutcome::Idle);
            }
            if next_ms > limit_ms {
                return None;
            }
            self.pop_one();
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

/// Whether `WorkloadNext` timers are queued the page's way, never fused
/// ([`FusedNext`]): only in `fused_tests`, which compare the two.
#[inline(always)]
fn fused_off() -> bool {
    #[cfg(test)]
    return fused_tests::off();
    #[cfg(not(test))]
    false
}

/// The fused `WorkloadNext` ([`FusedNext`]) against the page's way:
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

    fn same_run(cfg: ScenarioConfig) {
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
        assert!(fused.producers()[0].workload_sent > 100, "the workload ran");
    }

    #[test]
    fn a_fused_workload_runs_as_the_page_s() {
        same_run(cfg(400, false));
    }

    #[test]
    fn a_transactional_workload_runs_as_the_page_s() {
        same_run(cfg(300, true));
    }
}
