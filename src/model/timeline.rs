//! Time travel: step back, scrub, jump to any step, fork history, undo.
//!
//! The engine is deterministic, so a run is fully described by its
//! configuration and its **tape**, the action log ([`Model::commands`]: each
//! command with the engine's `step_calls()` at which it was applied). Going
//! back in time never runs the simulation backwards; it restores the nearest
//! earlier **snapshot** and replays the tape forward to the wanted step, just
//! as a video player seeks to a keyframe and decodes forward.
//!
//! * A snapshot is a clone of the whole [`Model`] (engine included) taken
//!   every [`SNAPSHOT_EVERY_STEPS`] steps. The engine's big collections are
//!   copy-on-write ([`crate::engine::cow_vec`]), so a snapshot of a 100,000-
//!   record run costs a fraction of a millisecond and shares its history
//!   with the live engine.
//! * [`Timeline::marks`] holds the engine's `step_calls()` at every step, so
//!   the scrubber knows how long the history is and where each action fell.
//! * While the current step is before the end of the history, stepping
//!   forward replays the tape: the same future happens again.
//! * Acting in the past (a crash, a new setting, another scenario) **forks**:
//!   the future after that point is dropped and replaced, and the model
//!   before the fork is kept for exactly one undo.

use crate::engine::command::Command;
use crate::engine::cow_vec::CowVec;
use crate::engine::sim::StepOutcome;
use crate::model::{Model, Run};
use std::rc::Rc;

/// Steps between two snapshots. A seek replays at most this many steps;
/// measured by `benches/seek_bench.rs` (see bench/README.md).
pub const SNAPSHOT_EVERY_STEPS: u64 = 1024;

/// The history of the run, beyond the current step.
#[derive(Clone, Default)]
pub struct Timeline {
    /// `marks[n]` is the engine's `step_calls()` right after step `n`
    /// (`marks[0]` is the start). Its length − 1 is the last step reached.
    pub marks: CowVec<u64>,
    /// `snapshots[k]` is the run at step `k × SNAPSHOT_EVERY_STEPS`. The
    /// tape and the timeline live beside the run, so a snapshot never holds
    /// history, and restoring one is a pointer copy.
    snapshots: Vec<Rc<Run>>,
    /// The last fork, with the run before it (one undo).
    pub fork: Option<Fork>,
}

impl std::fmt::Debug for Timeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeline")
            .field("steps", &self.marks.len().saturating_sub(1))
            .field("snapshots", &self.snapshots.len())
            .field("fork", &self.fork)
            .finish()
    }
}

/// History was replaced; what the banner says and what Undo brings back.
#[derive(Clone)]
pub struct Fork {
    /// The step at which the user acted.
    pub at_step: u64,
    /// How many later steps were dropped.
    pub replaced_steps: u64,
    /// What the user did, for the banner ("crashed broker 1").
    pub what: String,
    /// The whole model before the fork.
    before: Rc<Model>,
}

impl std::fmt::Debug for Fork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fork")
            .field("at_step", &self.at_step)
            .field("replaced_steps", &self.replaced_steps)
            .field("what", &self.what)
            .finish()
    }
}

impl PartialEq for Fork {
    fn eq(&self, other: &Self) -> bool {
        self.at_step == other.at_step
            && self.replaced_steps == other.replaced_steps
            && self.what == other.what
            && Rc::ptr_eq(&self.before, &other.before)
    }
}

impl Model {
    /// The last step reached in this history.
    pub fn last_step(&self) -> u64 {
        (self.timeline.marks.len() as u64).saturating_sub(1)
    }

    /// Whether the current step is before the end of the history (stepping
    /// forward replays the recorded future instead of making a new one).
    pub fn in_past(&self) -> bool {
        !self.follower && (self.applied < self.commands.len() || self.step < self.last_step())
    }

    /// The step at which each command of the tape was applied (the step it
    /// shows up in), for the scrubber's markers.
    pub fn command_steps(&self) -> Vec<(u64, &Command)> {
        let marks = &self.timeline.marks;
        let mut out = Vec::new();
        let mut n = 0usize;
        for (calls, cmd) in self.commands.iter() {
            // The command was applied after step n where marks[n] ≤ calls;
            // it is seen in step n + 1.
            while n + 1 < marks.len() && marks[n + 1] <= *calls {
                n += 1;
            }
            out.push((n as u64 + 1, cmd));
        }
        out
    }

    /// Called after every step: extends the marks and takes a snapshot on
    /// every `SNAPSHOT_EVERY_STEPS`-th step.
    pub(crate) fn record_step(&mut self) {
        if self.follower {
            return;
        }
        let n = self.step as usize;
        if n >= self.timeline.marks.len() {
            self.timeline.marks.push(self.engine.step_calls());
        }
        self.take_snapshot_if_due();
    }

    pub(crate) fn take_snapshot_if_due(&mut self) {
        if self.follower || self.step % SNAPSHOT_EVERY_STEPS != 0 {
            return;
        }
        let k = (self.step / SNAPSHOT_EVERY_STEPS) as usize;
        if k != self.timeline.snapshots.len() {
            return;
        }
        if k == 0 && self.timeline.marks.is_empty() {
            self.timeline.marks.push(self.engine.step_calls());
        }
        // A fresh copy rather than the live `Rc`: sharing it would make the
        // next step copy the run anyway, and leave the snapshot holding the
        // live vectors' spare capacity (8% more memory over a 700k-step
        // history, measured with benches/seek_bench.rs).
        let snap = Rc::new(Run::clone(&self.run_rc()));
        self.timeline.snapshots.push(snap);
    }

    /// Starts the history afresh from the current state (after lanes are
    /// added to a new scenario, so that step 0's snapshot includes them).
    pub(crate) fn restart_history(&mut self) {
        self.timeline.marks = CowVec::new();
        self.timeline.snapshots.clear();
        self.take_snapshot_if_due();
    }

    /// Goes to step `target` of the history (clamped to its end). Pauses.
    pub fn seek(&mut self, target: u64) {
        self.playing = false;
        let target = target.min(self.last_step());
        if target == self.step {
            return;
        }
        let k = ((target / SNAPSHOT_EVERY_STEPS) as usize).min(self.timeline.snapshots.len() - 1);
        let snap_step = k as u64 * SNAPSHOT_EVERY_STEPS;
        // Forward within reach: keep going from here rather than restoring.
        if !(self.step <= target && self.step >= snap_step) {
            let snap = self.timeline.snapshots[k].clone();
            self.restore(&snap);
        }
        self.step_until(target, u64::MAX);
    }

    /// Steps forward (replaying the recorded future, then live) until step
    /// `target`, a step that changes nothing, or `max_steps` steps.
    pub(crate) fn step_until(&mut self, target: u64, max_steps: u64) {
        let mut taken = 0;
        while self.step < target && taken < max_steps {
            let before = (self.step, self.engine.step_calls());
            self.step_once(super::StepBy::Pressed);
            taken += 1;
            if (self.step, self.engine.step_calls()) == before {
                break;
            }
        }
    }

    /// Replaces the simulation state with a snapshot's, keeping the tape,
    /// the timeline and everything that belongs to the viewer (speed, tab,
    /// inputs, the open dialog): those live beside the run.
    fn restore(&mut self, snap: &Rc<Run>) {
        self.set_run(Rc::clone(snap));
    }

    /// Copies the viewer's own state from `other` (used whenever the
    /// simulation state is swapped: a seek, an undo).
    pub(crate) fn keep_view_of(&mut self, other: &Model) {
        self.playing = other.playing;
        self.speed = other.speed;
        self.key = other.key.clone();
        self.value = other.value.clone();
        self.help_open = other.help_open;
        self.tab = other.tab;
        self.error = other.error.clone();
        self.inspect = other.inspect;
        self.selected_consumer = other.selected_consumer;
        self.embed = other.embed;
        self.lesson = other.lesson.clone();
        self.gallery_open = other.gallery_open;
        self.own_lesson_error = other.own_lesson_error.clone();
        self.link_error = other.link_error.clone();
    }

    /// Before an action that changes the run: if it happens in the past,
    /// drop the recorded future and keep the run as it was for one undo.
    pub(crate) fn fork_before(&mut self, what: String) {
        if !self.in_past() {
            return;
        }
        let before = Rc::new(self.clone());
        let replaced_steps = self.last_step() - self.step;
        self.commands.truncate(self.applied);
        self.timeline.marks.truncate(self.step as usize + 1);
        let keep = (self.step / SNAPSHOT_EVERY_STEPS) as usize + 1;
        self.timeline.snapshots.truncate(keep);
        self.timeline.fork = Some(Fork {
            at_step: self.step,
            replaced_steps,
            what,
            before,
        });
    }

    /// Before the scenario is replaced (a new setting, another preset,
    /// Reset): keep the old run for one undo, if there was anything to lose.
    pub(crate) fn keep_for_undo(&self, what: String) -> Option<Fork> {
        (self.last_step() > 0 || !self.commands.is_empty()).then(|| Fork {
            at_step: self.step,
            replaced_steps: self.last_step(),
            what,
            before: Rc::new(self.clone()),
        })
    }

    /// Undoes the last fork: the run before it comes back, at the step the
    /// user was on.
    pub fn undo(&mut self) {
        let Some(fork) = self.timeline.fork.take() else {
            return;
        };
        let mut m = (*fork.before).clone();
        m.timeline.fork = None;
        // The settings panel shows the restored run's settings.
        m.draft = m.config.clone();
        m.draft_errors.clear();
        m.playing = false;
        m.speed = self.speed;
        m.tab = self.tab;
        m.help_open = self.help_open;
        m.embed = self.embed;
        *self = m;
    }

    /// One step of the recorded future: applies the tape's commands due at
    /// the engine's current `step_calls()`, then steps, exactly as the live
    /// run did. An idle step continues to the next command (the user had
    /// pressed Step with nothing to do), but never past `limit_calls`.
    pub(crate) fn replay_step(&mut self, limit_calls: Option<u64>) -> StepOutcome {
        loop {
            self.apply_due_commands();
            let out = self.engine.step();
            if out == StepOutcome::Advanced {
                return out;
            }
            let calls = self.engine.step_calls();
            let more = self
                .commands
                .get(self.applied)
                .is_some_and(|(c, _)| *c >= calls);
            let within = limit_calls.is_none_or(|l| calls < l);
            // While other lanes are busy, an idle step is theirs (see
            // `step_once`): it ends here, as it did live.
            if !(more && within) || self.lanes_have_work() {
                return out;
            }
            // The live run showed this idle step's background events on
            // their own (or dropped them); the next step shows only its own.
            self.engine.clear_events();
        }
    }

    /// Applies the tape's commands due now. A command that cannot be
    /// applied, or is due at a moment already passed, ends the tape there,
    /// with a message naming it.
    fn apply_due_commands(&mut self) {
        while let Some((calls, cmd)) = self.commands.get(self.applied).cloned() {
            let now = self.engine.step_calls();
            if calls > now {
                return;
            }
            let failure = if calls < now {
                Some("it is due at a step that has already passed".to_string())
            } else {
                self.engine.apply(&cmd).err()
            };
            match failure {
                None => {
                    self.applied += 1;
                    self.forward_to_lanes(&cmd);
                }
                Some(why) => {
                    let what = format!(
                        "action {} of the recorded run ({}) cannot be replayed: {why}",
                        self.applied + 1,
                        cmd.label()
                    );
                    self.error = Some(format!("The {what}. The run continues live from here."));
                    self.tape_error = Some(what);
                    self.commands.truncate(self.applied);
                    return;
                }
            }
        }
    }
}
