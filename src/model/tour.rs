//! The lesson player: walks the learner through a [`Lesson`]'s beats over
//! its scenario, asking each prediction question before the step it is
//! about, then playing that step and revealing the answer.
//!
//! The tour never takes the controls away: the learner may step, travel in
//! time, crash brokers or change settings at any point. The run is then
//! "off the tour", and **Back to the tour** reopens the lesson's scenario at
//! the current beat (what the learner did stays one Undo away).

use crate::lesson::Lesson;
use crate::model::Model;
use std::rc::Rc;

/// Where the learner is in a lesson.
#[derive(Clone, Debug)]
pub struct LessonRun {
    pub lesson: Rc<Lesson>,
    /// The beat being shown.
    pub beat: usize,
    pub phase: Phase,
    /// The learner's answer to the question of beat `beat` (once given).
    pub answer: Option<usize>,
    /// The last beat has been reached (announced once to a course page).
    pub completed: bool,
    /// The beat whose "More" fold is open, if any.
    pub more_open: Option<usize>,
}

impl PartialEq for LessonRun {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.beat == other.beat
            && self.phase == other.phase
            && self.answer == other.answer
            && self.completed == other.completed
            && self.more_open == other.more_open
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The beat's text is shown at its step.
    Reading,
    /// The next beat asks a question; waiting for an answer.
    Asking,
    /// Playing to the next beat's step.
    Playing,
}

impl LessonRun {
    pub fn new(lesson: Lesson) -> LessonRun {
        LessonRun {
            lesson: Rc::new(lesson),
            beat: 0,
            phase: Phase::Reading,
            answer: None,
            completed: false,
            more_open: None,
        }
    }

    pub fn current(&self) -> &crate::lesson::Beat {
        &self.lesson.beats[self.beat.min(self.lesson.beats.len() - 1)]
    }

    /// The beat after this one, if any.
    pub fn next(&self) -> Option<&crate::lesson::Beat> {
        self.lesson.beats.get(self.beat + 1)
    }

    pub fn is_last(&self) -> bool {
        self.beat + 1 >= self.lesson.beats.len()
    }

    /// This stop's question and the learner's answer to it, while the stop
    /// is read: its verdict shows then, and only then (while the next
    /// question is asked or played, `answer` is about that one).
    pub fn verdict(&self) -> Option<(&crate::lesson::Question, usize)> {
        let q = self.current().question.as_ref()?;
        self.answer
            .filter(|_| self.phase == Phase::Reading)
            .map(|a| (q, a))
    }
}

/// The slowest speed (an index into `SPEEDS_MS`: 4 steps/s) at which a
/// lesson plays to its next beat.
const TOUR_MIN_SPEED: usize = 3;

impl Model {
    /// Opens `lesson`: its scenario at step 0, then its first beat.
    pub fn start_lesson(&mut self, lesson: Lesson) {
        let link = match lesson.link() {
            Ok(l) => l,
            Err(e) => {
                self.error = Some(format!("The lesson \"{}\" cannot start: {e}", lesson.title));
                return;
            }
        };
        // (A link of its own that uses it is refused by name instead.)
        if crate::presets::needs_full_page(lesson.scenario.trim()) {
            self.hand_to_full_page(&format!("lesson={}", lesson.id));
            return;
        }
        if !self.open_lesson_scenario(&link) {
            return;
        }
        self.lesson = Some(LessonRun::new(lesson));
        self.picked_lane = None;
        self.gallery_open = false;
        let first = self.lesson.as_ref().map(|r| r.current().step).unwrap_or(0);
        self.go_to_step(first);
        self.lesson_arrived();
    }

    /// The lesson's scenario with its action log as the recorded future,
    /// at step 0. Keeps what the learner had for one undo.
    fn open_lesson_scenario(&mut self, link: &crate::link::Link) -> bool {
        let mut at_start = link.clone();
        at_start.at_calls = 0;
        at_start.commands.clear();
        match Model::from_link(&at_start) {
            Ok(mut m) => {
                let undo = self.keep_for_undo("Started a lesson".into());
                m.commands = link.commands.iter().cloned().collect();
                m.keep_view_of(self);
                m.playing = false;
                m.error = None;
                m.speed = self.speed;
                *self = m;
                self.timeline.fork = undo;
                true
            }
            Err(e) => {
                self.error = Some(format!(
                    "The lesson's scenario cannot be opened: {}",
                    e.message
                ));
                false
            }
        }
    }

    /// Moves to step `n`: back in history, or forward (replaying what the
    /// scenario records, then live).
    fn go_to_step(&mut self, n: u64) {
        if n <= self.last_step() {
            self.seek(n);
            return;
        }
        self.seek(self.last_step());
        self.step_until(n, 100_000);
    }

    /// Whether the run is the lesson's own, at the current beat's step.
    pub fn on_tour(&self) -> bool {
        let Some(run) = &self.lesson else {
            return false;
        };
        if run.phase == Phase::Playing {
            return true;
        }
        let Ok(link) = run.lesson.link() else {
            return false;
        };
        let config_same = link
            .config(&crate::presets::config_by_id)
            .is_ok_and(|c| c == self.config);
        let tape_same = self
            .commands
            .iter()
            .take(self.applied)
            .zip(link.commands.iter())
            .all(|(a, b)| a == b)
            && self.applied <= link.commands.len();
        config_same && tape_same && self.step == run.current().step
    }

    /// The learner pressed Next (or Continue).
    pub fn lesson_next(&mut self) {
        let Some(run) = self.lesson.as_mut() else {
            return;
        };
        match run.phase {
            Phase::Asking => {} // Waiting for an answer.
            Phase::Playing => self.playing = true,
            Phase::Reading => {
                let Some(next) = run.next() else {
                    return;
                };
                let target = next.step;
                if next.question.is_some() {
                    run.phase = Phase::Asking;
                    run.answer = None;
                } else {
                    run.phase = Phase::Playing;
                    self.play_to(target);
                }
            }
        }
    }

    /// The learner chose `choice` for the coming question: play to it.
    pub fn lesson_answer(&mut self, choice: usize) {
        let Some(run) = self.lesson.as_mut() else {
            return;
        };
        let Some(next) = run.next() else {
            return;
        };
        if run.phase != Phase::Asking {
            return;
        }
        let (target, n) = (
            next.step,
            next.question.as_ref().map_or(0, |q| q.choices.len()),
        );
        if choice >= n {
            return;
        }
        run.answer = Some(choice);
        run.phase = Phase::Playing;
        self.play_to(target);
    }

    /// Playing to a lesson's next stop (or a link's `?step=`): a record's
    /// routine stages pass at the fastest speed, anything else (in any lane)
    /// at the chosen one (4 steps/s at least), so the tour reaches the news
    /// in seconds and the chosen speed is left as it was.
    pub(crate) fn tour_tick_ms(&self) -> Option<u32> {
        self.play_until?;
        let news = std::iter::once(self)
            .chain(self.lanes.iter())
            .any(|l| l.headline().is_some_and(|h| h.kind.is_change()));
        let chosen = super::tick_ms(self.speed.max(TOUR_MIN_SPEED));
        Some(if news {
            chosen
        } else {
            super::tick_ms(super::SPEEDS_MS.len() - 1).min(chosen)
        })
    }

    /// Plays (animated) until step `target`; arrives at once if there.
    fn play_to(&mut self, target: u64) {
        if self.step >= target {
            self.lesson_arrived();
            return;
        }
        // (At TOUR_MIN_SPEED at least, without changing the chosen speed.)
        self.play_until = Some(target);
        self.playing = true;
    }

    /// Called when a played step reaches `play_until`.
    pub(crate) fn check_play_until(&mut self) {
        if let Some(t) = self.play_until {
            if self.step >= t || !self.playing {
                if self.step >= t {
                    self.playing = false;
                    self.play_until = None;
                    self.lesson_arrived();
                }
            }
        }
    }

    /// The run has reached the next beat's step (or the first beat's).
    fn lesson_arrived(&mut self) {
        let step = self.step;
        let Some(run) = self.lesson.as_mut() else {
            return;
        };
        if run.phase == Phase::Playing {
            if run.next().is_some_and(|b| step >= b.step) {
                let answer = run.answer;
                run.beat += 1;
                run.phase = Phase::Reading;
                // The answer stays with the beat whose question it was.
                run.answer = answer;
                if run.is_last() {
                    run.completed = true;
                }
                self.picked_lane = None;
                return;
            } else {
                return;
            }
        }
        if run.is_last() {
            run.completed = true;
        }
    }

    /// Back to the previous beat.
    pub fn lesson_back(&mut self) {
        let Some(run) = self.lesson.as_mut() else {
            return;
        };
        if run.phase != Phase::Reading {
            run.phase = Phase::Reading;
            let s = run.current().step;
            self.playing = false;
            self.play_until = None;
            self.go_to_step(s);
            return;
        }
        if run.beat == 0 {
            return;
        }
        run.beat -= 1;
        run.answer = None;
        let s = run.current().step;
        self.picked_lane = None;
        self.playing = false;
        self.play_until = None;
        self.go_to_step(s);
    }

    /// Back into the tour after exploring: the lesson's run at this beat.
    pub fn lesson_resume(&mut self) {
        let Some(run) = self.lesson.clone() else {
            return;
        };
        let Ok(link) = run.lesson.link() else {
            return;
        };
        if !self.open_lesson_scenario(&link) {
            return;
        }
        let mut run = run;
        run.phase = Phase::Reading;
        let s = run.current().step;
        self.lesson = Some(run);
        self.go_to_step(s);
    }

    /// Attaches `lesson` to the run on screen (opened from a link that
    /// names it), at the last beat at or before the current step.
    pub fn attach_lesson(&mut self, lesson: Lesson) {
        let mut run = LessonRun::new(lesson);
        let step = self.step;
        run.beat = run
            .lesson
            .beats
            .iter()
            .rposition(|b| b.step <= step)
            .unwrap_or(0);
        run.completed = run.is_last();
        self.lesson = Some(run);
    }

    pub fn exit_lesson(&mut self) {
        self.lesson = None;
        self.play_until = None;
    }
}

/// Plays a lesson from its first beat to its last, answering every question
/// right, and returns each beat's step with the narration shown there; or
/// what went wrong (a beat's `expect:` words missing, a step never reached).
/// Used by the tests and `kafkascope lesson check`.
pub fn play_through(lesson: &Lesson) -> Result<Vec<(u64, String)>, String> {
    let mut m = Model::default();
    m.start_lesson(lesson.clone());
    if let Some(e) = m.error.take() {
        return Err(e);
    }
    let lanes = m.lane_labels.len().max(1);
    if let Some((i, b)) = lesson
        .beats
        .iter()
        .enumerate()
        .find(|(_, b)| b.lane.is_some_and(|n| n >= lanes))
    {
        return Err(format!(
            "beat {} (step {}) shows lane {}, but the scenario has {lanes} {}",
            i + 1,
            b.step,
            b.lane.unwrap_or(0) + 1,
            if lanes == 1 { "lane" } else { "lanes" }
        ));
    }
    let mut out = Vec::new();
    for i in 0..lesson.beats.len() {
        let run = m.lesson.clone().ok_or("the lesson did not start")?;
        if run.beat != i {
            return Err(format!(
                "beat {} is at step {}, but the run stopped at step {} (does the scenario end before it?)",
                i + 1,
                lesson.beats[i].step,
                m.step
            ));
        }
        let beat = run.current().clone();
        if m.step != beat.step {
            return Err(format!(
                "beat {} is at step {} but the run stopped at step {} (the scenario ends there?)",
                i + 1,
                beat.step,
                m.step
            ));
        }
        // The narration of the lane the beat draws large.
        let shown = match beat.lane {
            Some(n) if n > 0 => &m.lanes[n - 1],
            _ => &m,
        };
        let said = shown
            .headline()
            .map(|h| crate::narration::narrate(&shown.engine, h).plain())
            .unwrap_or_default();
        if let Some(words) = &beat.expect {
            if !said.to_lowercase().contains(&words.to_lowercase()) {
                return Err(format!(
                    "beat {} (step {}) expects \"{words}\" in the narration, which says: {said}",
                    i + 1,
                    beat.step
                ));
            }
        }
        out.push((beat.step, said));
        if run.is_last() {
            break;
        }
        m.lesson_next();
        if let Some(q) = run.next().and_then(|b| b.question.clone()) {
            m.lesson_answer(q.answer);
        }
        let mut guard = 0;
        while m.playing && guard < 200_000 {
            m.update(crate::model::Msg::Tick);
            guard += 1;
        }
    }
    let run = m.lesson.as_ref().ok_or("the lesson ended early")?;
    if !run.completed {
        return Err("the lesson never reached its last beat".into());
    }
    Ok(out)
}
