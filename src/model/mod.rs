//! The application state and its pure update function (the UI's reducer).
//!
//! Everything the screen shows is derived from a [`Model`]: the engine, the
//! command log that produced it, the events of the latest step and a few UI
//! flags. [`Model::update`] is pure (no DOM, no timers), so it is tested
//! natively; the Yew layer only dispatches [`Msg`]s and draws.

#[cfg(live_engine)]
pub mod live;
pub mod share;
pub mod timeline;
pub mod tour;

use crate::engine::command::Command;
use crate::engine::config::ScenarioConfig;
use crate::engine::cow_vec::CowVec;
use crate::engine::event::{Event, EventKind, Stage};
use crate::engine::ids::*;
use crate::engine::sim::{Engine, StepOutcome};
use crate::engine::vecmap::VecMap;

/// Playback speeds offered by the transport bar: milliseconds per step.
pub const SPEEDS_MS: [u32; 6] = [2000, 1000, 500, 250, 125, 62];
/// Their labels (steps per second).
pub const SPEED_LABELS: [&str; 6] = [
    "0.5 steps/s",
    "1 step/s",
    "2 steps/s",
    "4 steps/s",
    "8 steps/s",
    "16 steps/s",
];

/// Milliseconds between two steps while playing at `speed` (an index
/// into [`SPEEDS_MS`]).
pub fn tick_ms(speed: usize) -> u32 {
    SPEEDS_MS[speed.min(SPEEDS_MS.len() - 1)]
}

/// Simulated time as the transport shows it: `t = 3.020 s`.
pub fn clock(ms: u64) -> String {
    format!("t = {}.{:03} s", ms / 1000, ms % 1000)
}
pub const DEFAULT_SPEED: usize = 2;

/// While playing, a new record is sent every this many steps (so several are in flight).
pub const PLAY_SEND_EVERY_STEPS: u64 = 4;
/// …but never more than this many unacknowledged-or-unprocessed records at once.
pub const PLAY_MAX_IN_FLIGHT: usize = 6;
/// Records one press of Play sends in a free scenario (the course text's
/// code example sends ten); play stops once they have all been through the
/// pipeline. Step forward may still send one more.
pub const PLAY_RECORDS: u32 = 10;
/// Records whose stage the model remembers, at most (see `absorb_step`).
const RECORD_STAGE_MAX: usize = 128;
/// The most steps one "Next change" skips (a run that only moves records
/// stops there rather than freeze the page).
pub const SKIP_MAX_STEPS: u32 = 2_000;

/// What moves a step on: it decides whether the step may send a record of
/// its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepBy {
    /// Step forward (or a seek replaying the recorded future): with nothing
    /// left to do, the step sends the next record.
    Pressed,
    /// A tick of Play: records come from the play feed.
    Playing,
    /// Within [`Model::skip_to_change`]: no step sends a record.
    Skipping,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    StepForward,
    /// Steps on past the routine stages of records to the next change in
    /// the cluster or a group (see [`Model::skip_to_change`]).
    SkipToChange,
    TogglePlay,
    Play,
    Pause,
    /// A timer tick while playing.
    Tick,
    Reset,
    SetSpeed(usize),
    SetPartitions(u32),
    SetKey(String),
    SetValue(String),
    ToggleHelp,
    CloseHelp,
    /// Esc: closes the shortcuts list, the lesson gallery and a bad link's
    /// dialog (keeping the run on screen).
    CloseDialogs,
    Focus(RecordId),
    DismissError,
    SelectTab(Tab),
    /// Change one setting; the scenario restarts if the result is valid.
    Configure(Setting),
    /// Load a preset scenario by id.
    LoadPreset(String),
    /// Crash a running broker or restart a crashed one.
    ToggleBroker(BrokerId),
    /// Apply any command now (a fault from a menu).
    Apply(Command),
    /// Show the details of one replica (hover or keyboard focus).
    Inspect(Option<(BrokerId, Tp)>),
    /// Open (or close) the action card of a consumer.
    SelectConsumer(Option<ConsumerIdx>),
    /// Side by side: draw lane `n` (0 = the first) large.
    ShowLane(usize),
    /// Time travel (see `crate::model::timeline`).
    StepBack,
    Seek(u64),
    SeekEnd,
    /// Brings back the run before the last fork.
    Undo,
    DismissFork,
    /// Open a scenario link (the URL fragment changed).
    OpenLink(String),
    DismissLinkError,
    /// The default scenario (after a bad link).
    StartDefault,
    /// Lessons (see `crate::model::tour`).
    ToggleGallery,
    /// A lesson file's text, pasted by an author.
    StartLessonText(String),
    /// The text of the built-in lesson in `pending_lesson`, as fetched by
    /// the page, or why it could not be.
    LessonFetched(Result<String, String>),
    LessonNext,
    LessonBack,
    LessonAnswer(usize),
    /// Opens or closes the current stop's "More" fold.
    LessonMore,
    LessonResume,
    ExitLesson,
    /// The live process answered the page's first request: its cluster
    /// and the tape so far (see `crate::model::live`).
    #[cfg(live_engine)]
    LiveStart {
        config: Box<ScenarioConfig>,
        from: usize,
        inputs: Vec<crate::engine::external::LiveInput>,
        /// Where real clients connect (`host:port`).
        bootstrap: Option<String>,
    },
    /// Tape entries `from..` of the live run.
    #[cfg(live_engine)]
    LiveEntries {
        from: usize,
        inputs: Vec<crate::engine::external::LiveInput>,
    },
    /// What the live process said (to a fault sent, or why it is unreachable).
    #[cfg(live_engine)]
    LiveStatus(String),
}

/// The Kafka name of a setting, for messages ("acks").
pub fn setting_label(s: &Setting) -> &'static str {
    match s {
        Setting::Brokers(_) => "brokers",
        Setting::Partitions(_) => "num.partitions",
        Setting::ReplicationFactor(_) => "replication.factor",
        Setting::MinInsyncReplicas(_) => "min.insync.replicas",
        Setting::Acks(_) => "acks",
        Setting::Retries(_) => "retries",
        Setting::Idempotence(_) => "enable.idempotence",
        Setting::UncleanLeaderElection(_) => "unclean.leader.election.enable",
        Setting::AutoLeaderRebalance(_) => "auto.leader.rebalance.enable",
        Setting::ImbalanceCheckSeconds(_) => "leader.imbalance.check.interval.seconds",
        Setting::Groups(_) => "consumer groups",
        Setting::Consumers(_) => "consumers",
        Setting::Strategy(_) => "partition.assignment.strategy",
        Setting::GroupProtocol(_) => "group.protocol",
        Setting::RemoteAssignor(_) => "group.remote.assignor",
        Setting::CommitMode(_) => "commit mode",
        Setting::Semantics(_) => "delivery semantics",
    }
}

/// A setting the configuration panel can change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    Brokers(u16),
    Partitions(u32),
    ReplicationFactor(u16),
    MinInsyncReplicas(u16),
    Acks(crate::engine::config::Acks),
    Retries(u32),
    /// `None` = unset (Kafka's default rule).
    Idempotence(Option<bool>),
    UncleanLeaderElection(bool),
    /// Preferred-leader elections (`auto.leader.rebalance.enable`).
    AutoLeaderRebalance(bool),
    /// How often the controller checks for imbalance.
    ImbalanceCheckSeconds(u32),
    /// Number of consumer groups reading the topic (1–4).
    Groups(usize),
    /// Consumers started in the first group.
    Consumers(u16),
    /// `partition.assignment.strategy` of every group.
    Strategy(Vec<crate::engine::assignor::AssignorKind>),
    /// `group.protocol` of every group: classic or consumer (KIP-848).
    GroupProtocol(crate::engine::config::GroupProtocol),
    /// `group.remote.assignor` of every group (`None`: the broker's default).
    RemoteAssignor(Option<crate::engine::assignor::server::ServerAssignorKind>),
    /// The commit discipline of every group.
    CommitMode(crate::engine::config::CommitMode),
    /// At-most-once, at-least-once or exactly-once, as the course text sets them up.
    Semantics(crate::engine::config::Semantics),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Topic,
    Groups,
    Ledger,
    Events,
    Plots,
}

/// What the page shows: the run (shared behind an `Rc`), the run's history
/// (tape and timeline), and what belongs to the viewer.
///
/// The split is what keeps updates cheap: a message that changes only what
/// the viewer sees (a tab, a hover, a keystroke) clones the view and copies
/// one pointer; only a change to the run clones the run (`Rc::make_mut`,
/// through `DerefMut`), and restoring a time-travel snapshot swaps that
/// pointer ([`crate::model::timeline`]). Reading a run field through a `Model` works as if
/// the field were the model's own (`m.engine`, `m.step`).
#[derive(Clone, Debug)]
pub struct Model {
    /// The simulation state: the engine, its lanes and what was drawn.
    run: std::rc::Rc<Run>,
    /// The tape: every command of the run with the engine's `step_calls()`
    /// at which it was applied (replaying the same commands at the same
    /// calls reproduces the run). After a step back it also holds the
    /// recorded future; `applied` says how much of it the engine has seen.
    pub commands: CowVec<(u64, Command)>,
    /// Marks, snapshots and the last fork (see [`crate::model::timeline`]).
    pub timeline: crate::model::timeline::Timeline,
    // ---- the viewer's own state (kept across seeks and undo) ----
    pub playing: bool,
    pub speed: usize,
    pub key: String,
    pub value: String,
    pub help_open: bool,
    pub tab: Tab,
    /// A message for the user (bad input, an impossible setting).
    pub error: Option<String>,
    /// The replica being inspected (hover or focus).
    pub inspect: Option<(BrokerId, Tp)>,
    /// The consumer whose action card is open.
    pub selected_consumer: Option<ConsumerIdx>,
    /// Embedded in a course page: minimal chrome (see [`crate::model::share`]).
    pub embed: bool,
    /// A link that could not be opened: what is wrong, for the dialog.
    pub link_error: Option<String>,
    /// The lesson being toured, if any (see [`crate::model::tour`]).
    pub lesson: Option<crate::model::tour::LessonRun>,
    /// The lesson gallery is open.
    pub gallery_open: bool,
    /// Why the lesson pasted into the gallery cannot be opened (shown in the
    /// gallery, next to the text to fix).
    pub own_lesson_error: Option<String>,
    /// Where this page hands the scenario on (an address relative to the
    /// page): the course page sends Kafka 4's consumer protocol to `full/`.
    pub handoff: Option<String>,
}

/// The state of a run: the engine, its side-by-side lanes, and what the
/// page derived from its steps. Snapshots share it (see [`Model`]).
#[derive(Clone, Debug)]
pub struct Run {
    pub config: ScenarioConfig,
    pub engine: Engine,
    /// How many of `commands` the engine has applied.
    pub applied: usize,
    pub step: u64,
    /// Events of the latest step.
    pub events: Vec<Event>,
    /// The record the narration and the pipeline bar follow.
    pub focus: Option<RecordId>,
    /// The latest stage each record reached.
    pub record_stage: VecMap<RecordId, Stage>,
    /// The last step found nothing to do.
    pub idle: bool,
    /// Recent headline events, newest last (for the event list tab).
    pub history: std::collections::VecDeque<(u64, Event)>,
    /// The configuration being edited; differs from `config` only while invalid.
    pub draft: ScenarioConfig,
    /// Why `draft` cannot be applied (shown next to the controls).
    pub draft_errors: Vec<crate::engine::config::ConfigError>,
    /// The preset this scenario came from.
    pub preset: Option<String>,
    /// Side-by-side comparison: the other lanes, stepped in lockstep with
    /// this one and given the same faults (empty when not comparing).
    pub lanes: Vec<Model>,
    /// Labels of all lanes, this one first (empty when not comparing).
    pub lane_labels: Vec<String>,
    /// Side by side: the lane the user picked to draw large, until the
    /// lesson moves to another beat (see [`Model::shown_lane`]).
    pub picked_lane: Option<usize>,
    /// Side by side: the other lane whose news came last, and the step it
    /// came at, while the first lane had none (see [`Model::shown_lane`]).
    pub news_lane: Option<(usize, u64)>,
    /// A side-by-side lane: it never sends records by itself, it gets the
    /// main lane's commands (see `forward_to_lanes`).
    pub follower: bool,
    /// While playing, stop when this step is reached (a lesson's reveal).
    pub play_until: Option<u64>,
    /// A built-in lesson the page is fetching (the page says so meanwhile).
    pub pending_lesson: Option<crate::model::share::PendingLesson>,
    /// Why the recorded run stopped replaying (a link's refused action).
    pub tape_error: Option<String>,
    /// Records this press of Play has sent (see [`PLAY_RECORDS`]).
    pub play_fed: u32,
    /// Steps so far whose headline was a change, not a record's routine
    /// stage (see [`Model::skip_to_change`]).
    pub changes: u64,
    /// What the plots draw, sampled after every step (see [`crate::metrics`]).
    /// Part of the simulation state: snapshots carry it, replays rebuild it.
    pub metrics: crate::metrics::Metrics,
    /// A live run: real clients, the engine moved only by their tape.
    #[cfg(live_engine)]
    pub live: Option<Box<crate::model::live::LiveRun>>,
}

impl Model {
    /// The shared run (a snapshot is this pointer).
    pub fn run_rc(&self) -> std::rc::Rc<Run> {
        std::rc::Rc::clone(&self.run)
    }

    /// Whether two models show the same run: one pointer comparison, since
    /// every change to a shared run makes a new one (`Rc::make_mut`).
    pub fn same_run(&self, other: &Model) -> bool {
        std::rc::Rc::ptr_eq(&self.run, &other.run)
    }

    /// Swaps in another run (a snapshot), keeping the history and the view.
    pub(crate) fn set_run(&mut self, run: std::rc::Rc<Run>) {
        self.run = run;
    }
}

impl Run {
    /// The moment shown, on this lane's clock: side by side, the latest of
    /// the lanes' moments (once this lane has finished, the others go on).
    pub fn moment_ms(&self) -> u64 {
        let start = self.engine.start_ms();
        self.lanes
            .iter()
            .map(|l| start + (l.engine.now_ms() - l.engine.start_ms()))
            .fold(self.engine.now_ms(), u64::max)
    }

    /// The headline event of the latest step.
    pub fn headline(&self) -> Option<&Event> {
        crate::narration::headline(&self.events)
    }

    /// The stage the focused record reached.
    pub fn focus_stage(&self) -> Option<Stage> {
        self.focus.and_then(|r| self.record_stage.get(&r).copied())
    }
}

impl std::ops::Deref for Model {
    type Target = Run;
    fn deref(&self) -> &Run {
        &self.run
    }
}

impl std::ops::DerefMut for Model {
    /// Copy-on-write: clones the run only if a snapshot or an older model
    /// still shares it.
    fn deref_mut(&mut self) -> &mut Run {
        std::rc::Rc::make_mut(&mut self.run)
    }
}

impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        // Two models are the same screen if they are at the same step of the
        // same scenario with the same inputs and flags.
        self.step == other.step
            && self.config == other.config
            && self.applied == other.applied
            && self.commands.len() == other.commands.len()
            && self.last_step() == other.last_step()
            && self.timeline.fork == other.timeline.fork
            && self.playing == other.playing
            && self.speed == other.speed
            && self.key == other.key
            && self.value == other.value
            && self.help_open == other.help_open
            && self.tab == other.tab
            && self.error == other.error
            && self.focus == other.focus
            && self.draft == other.draft
            && self.preset == other.preset
            && self.inspect == other.inspect
            && self.lanes.len() == other.lanes.len()
            && self.selected_consumer == other.selected_consumer
            && self.picked_lane == other.picked_lane
            && self.embed == other.embed
            && self.link_error == other.link_error
            && self.lesson == other.lesson
            && self.gallery_open == other.gallery_open
            && self.own_lesson_error == other.own_lesson_error
            && self.same_live(other)
    }
}

impl Default for Model {
    fn default() -> Self {
        Model::new(ScenarioConfig::default()).expect("the default scenario is valid")
    }
}

/// The first key offered in the Key field.
pub const FIRST_KEY: &str = "user-1";

impl Model {
    pub fn new(config: ScenarioConfig) -> Result<Model, String> {
        let engine =
            Engine::new(config.clone()).map_err(|errs| crate::engine::config::one_line(&errs))?;
        Ok(Model::with_engine(config, engine))
    }

    /// A model showing `engine`, built from `config` (by `Engine::new`, or
    /// `Engine::new_live` for a live run).
    pub(crate) fn with_engine(config: ScenarioConfig, engine: Engine) -> Model {
        let mut m = Model {
            run: std::rc::Rc::new(Run {
                engine,
                applied: 0,
                step: 0,
                events: Vec::new(),
                focus: None,
                record_stage: VecMap::new(),
                idle: false,
                history: Default::default(),
                draft: config.clone(),
                draft_errors: Vec::new(),
                preset: None,
                lanes: Vec::new(),
                lane_labels: Vec::new(),
                picked_lane: None,
                news_lane: None,
                follower: false,
                play_until: None,
                pending_lesson: None,
                tape_error: None,
                play_fed: 0,
                changes: 0,
                metrics: Default::default(),
                #[cfg(live_engine)]
                live: None,
                config,
            }),
            commands: CowVec::new(),
            timeline: Default::default(),
            playing: false,
            speed: DEFAULT_SPEED,
            key: FIRST_KEY.into(),
            value: String::new(),
            help_open: false,
            tab: Tab::Topic,
            error: None,
            inspect: None,
            selected_consumer: None,
            embed: false,
            link_error: None,
            lesson: None,
            gallery_open: false,
            own_lesson_error: None,
            handoff: None,
        };
        m.take_snapshot_if_due();
        m
    }

    /// A side-by-side lane: no history of its own, no records of its own.
    fn new_follower(config: ScenarioConfig) -> Result<Model, String> {
        let mut m = Model::new(config)?;
        m.follower = true;
        m.timeline = Default::default();
        Ok(m)
    }

    /// Milliseconds between two steps while playing.
    pub fn tick_ms(&self) -> u32 {
        self.tour_tick_ms().unwrap_or_else(|| tick_ms(self.speed))
    }

    /// Applies a message. Pure: the same model and message give the same result.
    pub fn update(&mut self, msg: Msg) {
        self.apply_msg(msg);
    }

    /// Gives every lane the command the main lane just applied: lanes share
    /// every record and every fault.
    pub(crate) fn forward_to_lanes(&mut self, cmd: &Command) {
        // At the main lane's moment: lanes first catch up with it.
        self.align_lanes();
        for lane in self.lanes.iter_mut() {
            match lane.engine.apply(cmd) {
                Ok(()) => {
                    lane.commands.push((lane.engine.step_calls(), cmd.clone()));
                    lane.applied += 1;
                }
                Err(e) => lane.error = Some(e),
            }
        }
    }

    /// Brings every lane to (about) the main lane's simulated time, so the
    /// lanes show the same moment of the same scenario.
    fn align_lanes(&mut self) {
        // The same moment of each lane's story: its own step 0 plus the time
        // the main lane has run (their warm starts may differ in length).
        let since = self.engine.now_ms() - self.engine.start_ms();
        for lane in self.lanes.iter_mut() {
            let target = lane.engine.start_ms() + since;
            align_lane(lane, target);
        }
    }

    #[cfg(live_engine)]
    fn same_live(&self, other: &Model) -> bool {
        self.live == other.live
    }
    #[cfg(not(live_engine))]
    fn same_live(&self, _: &Model) -> bool {
        true
    }

    fn apply_msg(&mut self, msg: Msg) {
        #[cfg(live_engine)]
        let msg = match msg {
            Msg::LiveStart {
                config,
                from,
                inputs,
                bootstrap,
            } => {
                let embed = self.embed;
                match Model::new_live(*config, crate::model::live::LiveSource::Server) {
                    Ok(m) => {
                        *self = m;
                        self.embed = embed;
                        if let Some(l) = self.live.as_mut() {
                            l.bootstrap = bootstrap;
                        }
                        self.live_entries(from, inputs);
                    }
                    Err(e) => self.error = Some(format!("The live run cannot be shown: {e}.")),
                }
                return;
            }
            Msg::LiveEntries { from, inputs } => {
                self.live_entries(from, inputs);
                return;
            }
            Msg::LiveStatus(said) => {
                self.live_status(said);
                return;
            }
            msg if self.live.is_some() => match self.live_msg(msg) {
                Some(msg) => msg,
                None => return,
            },
            msg => msg,
        };
        match msg {
            Msg::StepForward => {
                self.playing = false;
                self.step_once(StepBy::Pressed);
            }
            Msg::SkipToChange => {
                self.playing = false;
                self.skip_to_change();
            }
            Msg::Tick => {
                if self.playing {
                    self.step_once(StepBy::Playing);
                    self.check_play_until();
                }
            }
            Msg::TogglePlay => {
                let play = !self.playing;
                self.set_playing(play);
            }
            Msg::Play => self.set_playing(true),
            Msg::Pause => self.playing = false,
            Msg::Reset => {
                let undo = self.keep_for_undo("Reset".into());
                let preset = self.preset.clone();
                match preset {
                    Some(id) => {
                        self.load_preset(&id);
                    }
                    None => {
                        self.reset(self.config.clone());
                    }
                }
                self.timeline.fork = undo;
            }
            Msg::StepBack => {
                let target = self.step.saturating_sub(1);
                self.seek(target);
            }
            Msg::Seek(n) => self.seek(n),
            Msg::SeekEnd => {
                let end = self.last_step();
                self.seek(end);
            }
            Msg::Undo => self.undo(),
            Msg::DismissFork => self.timeline.fork = None,
            Msg::OpenLink(fragment) => {
                let undo = self.keep_for_undo("Opened a link".into());
                let mut m = Model::from_fragment(&fragment);
                if m.link_error.is_none() {
                    m.speed = self.speed;
                    m.embed |= self.embed;
                    *self = m;
                    self.timeline.fork = undo;
                } else {
                    self.link_error = m.link_error;
                }
            }
            Msg::DismissLinkError => self.link_error = None,
            Msg::StartDefault => {
                let undo = self.keep_for_undo("Started the default scenario".into());
                let mut m = Model::default();
                m.speed = self.speed;
                m.embed = self.embed;
                *self = m;
                self.timeline.fork = undo;
            }
            Msg::ToggleGallery => {
                self.gallery_open = !self.gallery_open;
                self.own_lesson_error = None;
            }
            Msg::StartLessonText(text) => match crate::lesson::parse(&text) {
                Ok(l) => {
                    self.pending_lesson = None;
                    self.own_lesson_error = None;
                    self.start_lesson(l)
                }
                Err(errs) => {
                    let list = crate::engine::config::one_line(&errs);
                    let message = format!(
                        "That lesson cannot be opened ({} {}): {list}. Fix the file and paste it again.",
                        errs.len(),
                        if errs.len() == 1 { "problem" } else { "problems" }
                    );
                    // Pasted into the gallery: say it there, over the text.
                    if self.gallery_open {
                        self.own_lesson_error = Some(message);
                    } else {
                        self.error = Some(message);
                    }
                }
            },
            // (Only for the lesson still awaited: the learner may have
            // opened something else since.)
            Msg::LessonFetched(fetched) => {
                if let Some(p) = self.pending_lesson.take() {
                    match fetched.and_then(|text| {
                        crate::lesson::parse(&text)
                            .map_err(|errs| crate::engine::config::one_line(&errs))
                    }) {
                        Ok(l) if p.attach => self.attach_lesson(l),
                        Ok(l) => {
                            self.start_lesson(l);
                            self.play_from_start(p.step, p.autoplay);
                        }
                        // The run on screen stays as it is.
                        Err(e) => {
                            self.error = Some(format!(
                                "The lesson \"{}\" could not be loaded ({e}). Reload the page to try again.",
                                p.id
                            ))
                        }
                    }
                }
            }
            Msg::LessonNext => self.lesson_next(),
            Msg::LessonBack => self.lesson_back(),
            Msg::LessonAnswer(i) => self.lesson_answer(i),
            Msg::LessonResume => self.lesson_resume(),
            Msg::LessonMore => {
                if let Some(run) = &mut self.lesson {
                    let beat = run.beat;
                    run.more_open = (run.more_open != Some(beat)).then_some(beat);
                }
            }
            Msg::ExitLesson => self.exit_lesson(),
            #[cfg(live_engine)]
            Msg::LiveStart { .. } | Msg::LiveEntries { .. } | Msg::LiveStatus(_) => {}
            Msg::SetSpeed(i) => self.speed = i.min(SPEEDS_MS.len() - 1),
            Msg::SetPartitions(n) => self.configure(Setting::Partitions(n)),
            Msg::Configure(setting) => self.configure(setting),
            Msg::LoadPreset(id) => {
                self.pending_lesson = None;
                let undo = self.keep_for_undo(format!(
                    "Opened \u{201c}{}\u{201d}",
                    crate::presets::title(&id)
                ));
                if self.load_preset(&id) {
                    self.timeline.fork = undo;
                }
            }
            Msg::ToggleBroker(b) => {
                let alive = self.engine.brokers().get(b.0 as usize).map(|x| x.alive);
                match alive {
                    Some(true) => self.apply_command(Command::CrashBroker { broker: b }),
                    Some(false) => self.apply_command(Command::RestartBroker { broker: b }),
                    None => self.error = Some(format!("There is no broker {b}.")),
                }
            }
            Msg::Apply(cmd) => self.apply_command(cmd),
            Msg::Inspect(x) => self.inspect = x,
            Msg::SelectConsumer(c) => self.selected_consumer = c,
            Msg::ShowLane(n) => self.picked_lane = Some(n),
            Msg::SetKey(k) => self.key = k,
            Msg::SetValue(v) => self.value = v,
            Msg::ToggleHelp => self.help_open = !self.help_open,
            Msg::CloseHelp => self.help_open = false,
            Msg::CloseDialogs => {
                self.help_open = false;
                self.gallery_open = false;
                self.own_lesson_error = None;
                self.link_error = None;
            }
            Msg::Focus(r) => self.focus = Some(r),
            Msg::DismissError => self.error = None,
            Msg::SelectTab(t) => self.tab = t,
        }
    }

    /// Side by side: the lane drawn large (0 = the first). The user's pick;
    /// else, in a lesson, the lane its beat names (the coming beat's while
    /// its question is asked or played to, so the student watches the lane
    /// the question is about; a beat without `lane:` keeps the last one
    /// named); else the lane whose news came last while the first lane had
    /// none; else the first (or, once its story is over, the first still at
    /// work).
    pub fn shown_lane(&self) -> usize {
        let last = self.lane_labels.len().saturating_sub(1);
        if let Some(n) = self.picked_lane {
            return n.min(last);
        }
        let Some(run) = &self.lesson else {
            // The lane with the latest news, while it has more to tell (or
            // at the step of its news); the first lane's own news takes the
            // stage back.
            // (The full page's three-protocol comparison needs it: the
            // consumer protocol's rebalance comes while cooperative still
            // waits. The course page's side-by-side presets do without,
            // and its first load has no room for it.)
            if let Some((n, at)) = self.news_lane.filter(|_| cfg!(consumer_protocol)) {
                if at == self.step || self.lanes.get(n - 1).is_some_and(|l| !l.engine.is_idle()) {
                    return n.min(last);
                }
            }
            // Once the first lane's story is over, the first lane still at
            // work is drawn large (its news is what the steps now show).
            if self.engine.is_idle() {
                if let Some(i) = self.lanes.iter().position(|l| !l.engine.is_idle()) {
                    return i + 1;
                }
            }
            return 0;
        };
        let upto = if run.phase == crate::model::tour::Phase::Reading {
            run.beat
        } else {
            run.beat + 1
        };
        run.lesson
            .beats
            .iter()
            .take(upto + 1)
            .filter_map(|b| b.lane)
            .last()
            .unwrap_or(0)
            .min(last)
    }

    /// Replaces the scenario with preset `id` (and its lanes). Returns
    /// whether it was found and valid.
    pub(crate) fn load_preset(&mut self, id: &str) -> bool {
        if crate::presets::needs_full_page(id) {
            self.hand_to_full_page(&format!("preset={id}"));
            return true;
        }
        let Some(p) = crate::presets::by_id(id) else {
            self.error = Some(if crate::presets::is_known(id) {
                // (The page's build reads the scenario from presets.txt.)
                format!("Scenario {id:?} could not be loaded: presets.txt, which holds the ready-made scenarios, did not arrive beside the page. Reload to try again.")
            } else {
                format!("There is no scenario called {id:?}. Pick one from the Scenario list.")
            });
            return false;
        };
        if !self.reset(p.config) {
            return false;
        }
        self.preset = Some(id.to_string());
        self.picked_lane = None;
        self.lane_labels = p.lanes.iter().map(|(l, _)| l.to_string()).collect();
        self.lanes = p
            .lanes
            .iter()
            .skip(1)
            .filter_map(|(_, cfg)| Model::new_follower(cfg.clone()).ok())
            .collect();
        self.restart_history();
        true
    }

    /// Applies a setting to the draft; the scenario restarts with it if it is
    /// valid, otherwise the errors are shown and the running scenario stays.
    fn configure(&mut self, setting: Setting) {
        use crate::engine::config::Acks;
        let setting_name = setting.clone();
        let d = &mut self.draft;
        match setting {
            Setting::Brokers(n) => d.cluster.brokers = n,
            Setting::Partitions(n) => d.topics.iter_mut().take(1).for_each(|t| t.partitions = n),
            Setting::ReplicationFactor(n) => {
                d.topics.iter_mut().for_each(|t| t.replication_factor = n)
            }
            Setting::MinInsyncReplicas(n) => {
                d.topics.iter_mut().for_each(|t| t.min_insync_replicas = n)
            }
            Setting::Acks(a) => {
                d.producers.iter_mut().for_each(|p| p.acks = a);
                // Idempotence needs acks=all: an explicit "on" would be a
                // ConfigException, so follow Kafka's default rule instead.
                if a != Acks::All {
                    d.producers
                        .iter_mut()
                        .filter(|p| p.enable_idempotence == Some(true))
                        .for_each(|p| p.enable_idempotence = None);
                }
            }
            Setting::Retries(n) => d.producers.iter_mut().for_each(|p| p.retries = n),
            Setting::Idempotence(v) => d
                .producers
                .iter_mut()
                .for_each(|p| p.enable_idempotence = v),
            Setting::UncleanLeaderElection(v) => d.cluster.unclean_leader_election_enable = v,
            Setting::AutoLeaderRebalance(v) => d.cluster.auto_leader_rebalance_enable = v,
            Setting::ImbalanceCheckSeconds(n) => {
                d.cluster.leader_imbalance_check_interval_seconds = n
            }
            Setting::Groups(n) => {
                const NAMES: [&str; 4] = ["my-consumer-group", "analytics", "billing", "audit"];
                let n = n.clamp(1, NAMES.len());
                let template = d.groups.first().cloned().unwrap_or_default();
                d.groups.truncate(n);
                while d.groups.len() < n {
                    let mut g = template.clone();
                    g.group_id = NAMES[d.groups.len()].into();
                    g.consumers = 1;
                    d.groups.push(g);
                }
            }
            Setting::Consumers(n) => d.groups.iter_mut().take(1).for_each(|g| g.consumers = n),
            Setting::Strategy(list) => d
                .groups
                .iter_mut()
                .for_each(|g| g.partition_assignment_strategy = list.clone()),
            Setting::GroupProtocol(p) => d.groups.iter_mut().for_each(|g| g.group_protocol = p),
            Setting::RemoteAssignor(a) => d
                .groups
                .iter_mut()
                .for_each(|g| g.group_remote_assignor = a),
            Setting::CommitMode(mode) => d.groups.iter_mut().for_each(|g| g.commit_mode = mode),
            Setting::Semantics(sem) => {
                use crate::engine::config::{CommitMode, IsolationLevel, Semantics, TopicConfig};
                let output = "events-processed";
                for g in d.groups.iter_mut() {
                    // A consumer that restarts before its first commit must
                    // read what arrived while it was down: with `latest` it
                    // would skip it, and at-least-once would lose records
                    // for a reason that has nothing to do with commits.
                    g.auto_offset_reset = crate::engine::config::AutoOffsetReset::Earliest;
                    g.commit_mode = match sem {
                        Semantics::AtMostOnce => CommitMode::BeforeProcessing,
                        Semantics::AtLeastOnce => CommitMode::AfterProcessing,
                        Semantics::ExactlyOnce => CommitMode::Transactional,
                    };
                    if sem == Semantics::ExactlyOnce {
                        g.isolation_level = IsolationLevel::ReadCommitted;
                        g.output_topic = Some(output.into());
                    } else {
                        g.output_topic = None;
                    }
                }
                if sem == Semantics::ExactlyOnce && !d.topics.iter().any(|t| t.name == output) {
                    let first = d.topics.first().cloned().unwrap_or_default();
                    d.topics.push(TopicConfig {
                        name: output.into(),
                        ..first
                    });
                }
            }
        }
        self.draft_errors = self.draft.validate();
        if self.draft_errors.is_empty() {
            let cfg = self.draft.clone();
            let preset = self.preset.clone();
            let undo = self.keep_for_undo(format!(
                "Changed a setting ({})",
                setting_label(&setting_name)
            ));
            if self.reset(cfg) {
                self.timeline.fork = undo;
            }
            self.preset = preset;
        } else {
            self.playing = false;
        }
    }

    /// Applies a command to the running scenario and logs it for replay.
    pub fn apply_command(&mut self, cmd: Command) {
        // Acting in the past replaces the recorded future (one undo).
        self.fork_before(cmd.label());
        match self.engine.apply(&cmd) {
            Ok(()) => {
                self.record_command(cmd);
                // Show what the command did right away, as its own step.
                self.step_once(StepBy::Pressed);
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Logs a command the engine has just applied, and gives it to the lanes.
    fn record_command(&mut self, cmd: Command) {
        debug_assert_eq!(
            self.applied,
            self.commands.len(),
            "live commands go at the end"
        );
        self.commands.push((self.engine.step_calls(), cmd.clone()));
        self.applied += 1;
        self.forward_to_lanes(&cmd);
    }

    /// Whether the UI feeds records by itself while playing: only in free
    /// scenarios without their own workload or script.
    pub fn auto_feed(&self) -> bool {
        self.config.script.is_empty()
            && self
                .config
                .producers
                .iter()
                .all(|p| p.workload.records == 0)
    }

    /// Starts or stops playing. Each press of Play in a free scenario
    /// sends a fresh batch of [`PLAY_RECORDS`].
    pub fn set_playing(&mut self, play: bool) {
        if play && !self.playing {
            self.play_fed = 0;
        }
        self.playing = play;
    }

    /// Whether playing still sends records of its own: a free scenario,
    /// outside a lesson (whose run must be the same every time), until this
    /// press of Play has sent its records.
    fn feeding(&self) -> bool {
        self.auto_feed() && self.lesson.is_none() && self.play_fed < PLAY_RECORDS
    }

    /// Rebuilds the scenario from `cfg` (same seed), keeping the user's
    /// inputs. Returns whether `cfg` was valid (if not, nothing changes).
    fn reset(&mut self, cfg: ScenarioConfig) -> bool {
        match Model::new(cfg) {
            Ok(mut fresh) => {
                fresh.key = if self.key.is_empty() {
                    String::new()
                } else {
                    FIRST_KEY.into()
                };
                fresh.value = self.value.clone();
                fresh.speed = self.speed;
                fresh.tab = self.tab;
                fresh.embed = self.embed;
                fresh.preset = None;
                fresh.lanes.clear();
                fresh.lane_labels.clear();
                *self = fresh;
                true
            }
            Err(e) => {
                self.playing = false;
                self.error = Some(format!(
                    "That setting is not possible: {e}. The scenario was left as it was."
                ));
                false
            }
        }
    }

    /// Records produced but not yet processed by every group, roughly.
    fn records_in_flight(&self) -> usize {
        self.record_stage
            .values()
            .filter(|s| **s < Stage::Commit)
            .count()
    }

    /// Sends a record built from the Key and Value fields. Returns whether it was sent.
    fn send_from_inputs(&mut self) -> bool {
        let key = (!self.key.trim().is_empty()).then(|| self.key.clone());
        let value = (!self.value.trim().is_empty()).then(|| self.value.clone());
        let cmd = Command::Produce {
            producer: ProducerIdx(0),
            topic: None,
            key,
            value,
            partition: None,
        };
        match self.engine.apply(&cmd) {
            Ok(()) => {
                self.record_command(cmd);
                self.key = next_key(&self.key);
                true
            }
            Err(e) => {
                self.playing = false;
                self.error = Some(e);
                false
            }
        }
    }

    /// One step: in the past, the recorded future; at the end of the
    /// history, a new step (sending the next record when nothing is left to
    /// do, or every few steps while playing a free scenario).
    pub(crate) fn step_once(&mut self, how: StepBy) {
        if self.in_past() {
            self.step_with(None, true, how);
        } else {
            self.step_with(None, false, how);
        }
    }

    /// One step, replaying the tape (never past `limit_calls`) or live.
    pub(crate) fn step_with(&mut self, limit_calls: Option<u64>, replay: bool, how: StepBy) {
        let playing = how == StepBy::Playing;
        let changes_before: Vec<u64> = self.lanes.iter().map(|l| l.changes).collect();
        let main_before = self.changes;
        let mut outcome = if replay {
            self.replay_step(limit_calls)
        } else {
            self.live_step(how)
        };
        if outcome == StepOutcome::Idle && self.lanes_have_work() {
            // This lane's story is over but another lane's is not: the step
            // belongs to the other lanes (they move on to their next moment
            // together).
            self.engine.clear_events();
            self.step_lanes_alone();
            outcome = StepOutcome::Advanced;
        }
        if outcome == StepOutcome::Idle && playing && !self.feeding() {
            // A scenario with its own workload or script has run its course,
            // or a free one has sent this press's records and drained.
            self.playing = false;
        }
        self.absorb_step(outcome);
        if !self.lanes.is_empty() {
            self.align_lanes();
            // The stage follows the news: a lane's rebalance, say, while
            // the first lane's story is routine or over. The full page only
            // (see `shown_lane`).
            if cfg!(consumer_protocol) && self.changes != main_before {
                self.news_lane = None;
            } else if let Some(i) = self
                .lanes
                .iter()
                .zip(&changes_before)
                .position(|(l, b)| l.changes != *b)
                .filter(|_| cfg!(consumer_protocol))
            {
                self.news_lane = Some((i + 1, self.step));
            }
        }
    }

    /// Steps on until a step whose headline (in any lane) is a change rather
    /// than one of the nine routine stages of a record: a consumer joining, a
    /// heartbeat answered with REBALANCE_IN_PROGRESS, an assignment, a broker
    /// failing, a leader elected. Between two such moments a run can spend a
    /// hundred steps moving records (a classic member learns of a rebalance
    /// only at its next heartbeat, seconds later); this skips them, and every
    /// skipped step stays in the history to step back through. Stops before
    /// a step that would send a new record by itself (a free scenario that
    /// has drained), and after [`SKIP_MAX_STEPS`].
    pub(crate) fn skip_to_change(&mut self) {
        // Side by side, with a lane picked to watch while it has work: its
        // next news (another lane's would stop on a picture that does not
        // change); else the next news of any lane.
        let watched = self.picked_lane.filter(|&n| match n {
            0 => !self.engine.is_idle(),
            n => self.lanes.get(n - 1).is_some_and(|l| !l.engine.is_idle()),
        });
        let seen = move |m: &Model| match watched {
            Some(0) => m.changes,
            Some(n) => m.lanes[n - 1].changes,
            None => m.changes + m.lanes.iter().map(|l| l.changes).sum::<u64>(),
        };
        let before = seen(self);
        for _ in 0..SKIP_MAX_STEPS {
            let step = self.step;
            self.step_once(StepBy::Skipping);
            if seen(self) != before || self.step == step || self.error.is_some() {
                break;
            }
        }
    }

    /// Whether a side-by-side lane still has something to do.
    pub(crate) fn lanes_have_work(&self) -> bool {
        self.lanes.iter().any(|l| !l.engine.is_idle())
    }

    /// Advances the lanes that have work to the earliest moment any of them
    /// has something due, while this lane has nothing left.
    /// They move on together, moment by moment, until one of them has news.
    fn step_lanes_alone(&mut self) {
        let steps = |m: &Model| m.lanes.iter().map(|l| l.step).sum::<u64>();
        let before = steps(self);
        for _ in 0..100_000 {
            // In time since each lane's step 0, as `align_lanes` aligns them.
            let Some(t) = self
                .lanes
                .iter()
                .filter(|l| !l.engine.is_idle())
                .filter_map(|l| Some(l.engine.next_event_ms()? - l.engine.start_ms()))
                .min()
            else {
                return;
            };
            for lane in self.lanes.iter_mut() {
                let target = lane.engine.start_ms() + t;
                align_lane(lane, target);
            }
            if steps(self) != before {
                return;
            }
        }
    }

    fn live_step(&mut self, how: StepBy) -> StepOutcome {
        let playing = how == StepBy::Playing;
        if self.follower {
            return self.engine.step();
        }
        // While playing a free scenario, feed a new record every few steps so
        // several are in flight at once.
        // (Not during a lesson: its run must be the same every time.)
        let feed = playing
            && self.feeding()
            && (self.step % PLAY_SEND_EVERY_STEPS == 0 || self.engine.is_idle())
            && self.records_in_flight() < PLAY_MAX_IN_FLIGHT;
        // While playing, records come only from the feed above (a scenario
        // with its own workload or script is not fed at all); a press of
        // Step forward sends one when there is nothing else to do, unless
        // another lane is still busy.
        // (A lesson on a free scenario plays like pressing Step forward: its
        // run must be the same every time, so one record at a time.)
        let may_send = (!playing || (self.lesson.is_some() && self.auto_feed()))
            && !self.lanes_have_work()
            && how != StepBy::Skipping;
        let mut tried = false;
        if feed || (self.engine.is_idle() && may_send) {
            tried = true;
            if self.send_from_inputs() && playing {
                self.play_fed += 1;
            }
        }
        let mut outcome = self.engine.step();
        // (Not again if this press's send was refused: the message says why.
        // A message from before, say about the page's address, does not
        // stop the press.)
        if outcome == StepOutcome::Idle && !tried && may_send {
            // Nothing was left to do: this press sends the next record. (The
            // idle step stays in the log's clock, so replays match; its
            // background events are dropped, as a replay drops them.)
            self.engine.clear_events();
            if self.send_from_inputs() {
                outcome = self.engine.step();
            }
        }
        outcome
    }

    /// Updates everything derived from the step's events (focus, stages,
    /// the event list), the same way live and in replay.
    pub(crate) fn absorb_step(&mut self, outcome: StepOutcome) {
        let events = self.engine.take_events();
        self.idle = outcome == StepOutcome::Idle;
        if outcome == StepOutcome::Advanced {
            self.step += 1;
            // Only on steps that advanced: a live run sees idle steps that
            // a replay drops, and a seek must rebuild the same metrics.
            let run = &mut **self;
            run.metrics.record(run.step, &run.engine, &events);
        }
        for ev in &events {
            if let Some(stage) = ev.kind.stage() {
                let records: Vec<RecordId> = match &ev.kind {
                    EventKind::Polled { records, .. } => records.iter().map(|r| r.0).collect(),
                    EventKind::Sent { records, .. }
                    | EventKind::Appended { records, .. }
                    | EventKind::Acked { records, .. }
                    | EventKind::DuplicateDropped { records, .. } => records.clone(),
                    EventKind::Committed { .. } => Vec::new(),
                    other => other.focus_record().into_iter().collect(),
                };
                for r in records {
                    self.record_stage.insert(r, stage);
                }
                if let EventKind::Committed {
                    group, tp, offset, ..
                } = &ev.kind
                {
                    // Every record of this partition below the committed offset is done.
                    let run = &mut **self;
                    for (r, s) in run.record_stage.iter_mut() {
                        let rec = run.engine.record(*r);
                        if rec.topic == tp.topic
                            && rec.partition == Some(tp.partition)
                            && *s >= Stage::Process
                        {
                            let done = run
                                .engine
                                .ledger()
                                .entry(rec.event_id)
                                .map(|le| {
                                    le.copies.iter().any(|c| c.tp == *tp && c.offset < *offset)
                                })
                                .unwrap_or(false);
                            if done {
                                *s = Stage::Commit;
                            }
                        }
                    }
                    let _ = group;
                }
            }
        }
        if let Some(h) = crate::narration::headline(&events) {
            if let Some(r) = h.kind.focus_record() {
                self.focus = Some(r);
            } else if let EventKind::Committed { tp, offset, .. } = &h.kind {
                // The commit is about the record just below the committed offset.
                if let Some(r) = self.record_at(*tp, Offset(offset.0 - 1)) {
                    self.focus = Some(r);
                    self.record_stage.insert(r, Stage::Commit);
                }
            }
            if h.kind.is_change() {
                self.changes += 1;
            }
            let step = self.step;
            self.history.push_back((step, h.clone()));
            if self.history.len() > 200 {
                self.history.pop_front();
            }
        }
        // Keep the map small: it only serves the pipeline bar and the
        // in-flight count. Trimmed in batches (not every step), finished
        // records first, then the oldest (a fast producer can run far
        // ahead of its consumers).
        if self.record_stage.len() > RECORD_STAGE_MAX {
            let focus = self.focus;
            self.record_stage
                .retain(|r, s| *s != Stage::Commit || Some(*r) == focus);
            let excess = self.record_stage.len().saturating_sub(RECORD_STAGE_MAX / 2);
            if excess > 0 {
                let mut dropped = 0;
                self.record_stage.retain(|r, _| {
                    let drop = dropped < excess && Some(*r) != focus;
                    dropped += drop as usize;
                    !drop
                });
            }
        }
        self.events = events;
        if outcome == StepOutcome::Advanced {
            self.record_step();
        }
    }

    /// The record stored at `offset` of `tp` on the partition's leader.
    pub fn record_at(&self, tp: Tp, offset: Offset) -> Option<RecordId> {
        let leader = self.engine.leader_of(tp)?;
        self.engine.brokers()[leader.0 as usize]
            .replica(tp)?
            .log
            .entry(offset)?
            .record
    }
}

/// Steps a lane through every event due by `target_ms`, and no more.
/// Aligning twice to the same time does nothing the second time, so replays
/// (which align at fewer moments than a live run) reach the same state.
///
/// The lane's events are then all of those steps' events: a lane that had
/// two pieces of news at this moment shows both (the first as its
/// headline, the next ones as "also in this step").
fn align_lane(lane: &mut Model, target_ms: u64) {
    let mut events = Vec::new();
    for _ in 0..10_000 {
        let due = lane.engine.next_event_ms().is_some_and(|t| t <= target_ms);
        if !due || lane.engine.is_idle() {
            break;
        }
        // Never past the moment: a lane's next news may be seconds later
        // (a heartbeat), and the lanes must show the same moment.
        match lane.engine.step_until(target_ms) {
            Some(outcome) => {
                lane.absorb_step(outcome);
                events.append(&mut lane.events);
            }
            None => break,
        }
    }
    if !events.is_empty() {
        lane.events = events;
    }
}

pub use crate::engine::replay::replay;

/// `user-7` → `user-8`; anything else stays as typed.
pub fn next_key(key: &str) -> String {
    if let Some((prefix, n)) = key.rsplit_once('-') {
        if let Ok(n) = n.parse::<u64>() {
            return format!("{prefix}-{}", n + 1);
        }
    }
    key.to_string()
}

#[cfg(test)]
mod tests;
