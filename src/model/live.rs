//! The live view: a run whose inputs come from real Kafka clients.
//!
//! `kafkascope live` (native, `src/live/`) serves real clients from its
//! engine and keeps the **tape** of the run: every input that entered the
//! engine from outside (a client's slot, a record's bytes, a request at its
//! logical arrival time, the clock moving on, an operator's fault), see
//! [`LiveInput`]. The engine is deterministic, so an engine that is given the
//! same configuration and the same tape is the same engine. The page's live
//! view is that second engine:
//!
//! - **Streamed** (the page served by `kafkascope live`): the page asks the
//!   process for the tape's new entries a few times a second and applies
//!   them as they come, so its engine follows the real one at wall-clock
//!   speed. A fault the user picks (crash, restart or slow a broker) is not
//!   applied here: it is sent to the process ([`LiveRun::outbox`]), which
//!   applies it to the engine the real clients talk to, and it comes back
//!   on the tape like every other input. So the real clients see it
//!   (NOT_LEADER_OR_FOLLOWER, a refused connection) and the page shows what
//!   they do about it.
//! - **Recorded** (a saved link, opened without a server): the tape came
//!   with the link, and the page plays it back at the speed it happened.
//!
//! Either way the page's engine never runs on its own: stepping, seeking
//! and the simulated clients' controls are off, because the clients are
//! real and only the tape may move the engine.
//!
//! Architecture invariant: in a live run, only tape entries move the
//! page's engine (the reducer refuses every message that would step it).

use crate::engine::config::ScenarioConfig;
use crate::engine::external::LiveInput;
use crate::engine::sim::{Engine, StepOutcome};
use crate::model::{Model, Msg};

/// Where a live run's tape comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveSource {
    /// The `kafkascope live` process that served the page.
    Server,
    /// A saved link: the whole tape, played back at the speed it happened.
    Recording {
        tape: Vec<LiveInput>,
        /// The engine time (ms) the playback has reached.
        played_ms: u64,
    },
}

/// What the page keeps about a live run (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveRun {
    pub source: LiveSource,
    /// Tape entries applied to the page's engine.
    pub applied: usize,
    /// Operator lines for the process (`crash-broker 1`), oldest first; the
    /// page sends them and empties this.
    pub outbox: Vec<String>,
    /// What the process said about the last line sent, or why the tape
    /// stopped (shown on the page).
    pub status: Option<String>,
    /// The tape could not be applied: the page stops following it.
    pub broken: bool,
    /// Where real clients connect (streamed runs: the process says).
    pub bootstrap: Option<String>,
}

/// How often the page asks the process for new tape entries, and how often
/// a recording moves on, in wall-clock milliseconds.
pub const LIVE_POLL_MS: u32 = 250;

/// A recording skips a stretch with no input longer than this.
const IDLE_SKIP_MS: u64 = 2_000;

/// Routine events the page holds back while nothing newsworthy happens.
const MAX_QUIET_EVENTS: usize = 4_096;

impl Model {
    /// A live run on `config` (the process's cluster, with no simulated
    /// clients), its tape to come from `source`.
    pub fn new_live(config: ScenarioConfig, source: LiveSource) -> Result<Model, String> {
        let engine = Engine::new_live(config.clone())
            .map_err(|errs| crate::engine::config::one_line(&errs))?;
        let mut m = Model::with_engine(config, engine);
        m.live = Some(Box::new(LiveRun {
            source,
            applied: 0,
            outbox: Vec::new(),
            status: None,
            broken: false,
            bootstrap: None,
        }));
        m.playing = true;
        Ok(m)
    }

    /// Whether this is a live run (streamed or recorded).
    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// Entries `from..` of the process's tape arrived: applies the new
    /// ones. An entry already applied is applied again only if it is the
    /// clock's last move, which the process may have moved further since
    /// (it keeps consecutive moves as one entry).
    pub fn live_entries(&mut self, from: usize, inputs: Vec<LiveInput>) {
        let Some(applied) = self.live.as_ref().filter(|l| !l.broken).map(|l| l.applied) else {
            return;
        };
        if from > applied {
            return; // a gap: the next poll asks from `applied` again
        }
        let mut at = from;
        let mut any = false;
        for input in inputs {
            let again = at < applied;
            at += 1;
            // Applied already: only the clock's last move, if it moved on.
            if again && !matches!(input, LiveInput::Advance { ms } if ms > self.engine.now_ms()) {
                continue;
            }
            if let Err(e) = self.engine.apply_live_input(input) {
                self.live_broke(format!("The live tape could not be followed: {e}."));
                return;
            }
            any = true;
        }
        if let Some(l) = self.live.as_mut() {
            l.applied = l.applied.max(at);
        }
        if any {
            self.absorb_live();
        }
    }

    /// Where the next poll should start: the clock's last move may still
    /// move on, so it is asked for again.
    pub fn live_next_from(&self) -> usize {
        let applied = self.live.as_ref().map_or(0, |l| l.applied);
        match self.engine.live_tape().last() {
            Some(LiveInput::Advance { .. }) if applied > 0 => applied - 1,
            _ => applied,
        }
    }

    /// A recording moves on by `ms` of wall-clock time (while playing).
    pub fn live_play(&mut self, ms: u64) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let LiveSource::Recording { tape, played_ms } = &mut live.source else {
            return;
        };
        if live.broken || live.applied >= tape.len() {
            self.playing = false;
            return;
        }
        // Start where the recording's clock starts, not at zero.
        if *played_ms == 0 {
            *played_ms = tape
                .iter()
                .find_map(|i| match i {
                    LiveInput::Advance { ms } => Some(*ms),
                    _ => None,
                })
                .unwrap_or(0);
        }
        *played_ms += ms;
        // Stretches where nothing came in (no client connected) are skipped:
        // the recording moves on to half a second before its next input.
        let rest = &tape[live.applied..];
        if let Some(k) = rest
            .iter()
            .position(|i| !matches!(i, LiveInput::Advance { .. }))
        {
            let next_at = rest[..k].iter().rev().find_map(|i| match i {
                LiveInput::Advance { ms } => Some(*ms),
                _ => None,
            });
            if let Some(at) = next_at.filter(|at| *at > *played_ms + IDLE_SKIP_MS) {
                *played_ms = at - IDLE_SKIP_MS / 4;
            }
        }
        let until = *played_ms;
        let mut due = Vec::new();
        for input in &tape[live.applied..] {
            if matches!(input, LiveInput::Advance { ms } if *ms > until) {
                break;
            }
            due.push(input.clone());
        }
        let from = live.applied;
        self.live_entries(from, due);
    }

    /// A recording jumps to its end.
    pub fn live_play_to_end(&mut self) {
        self.live_play(u64::MAX / 4);
    }

    fn live_broke(&mut self, why: String) {
        if let Some(l) = self.live.as_mut() {
            l.broken = true;
            l.status = Some(why);
        }
        self.playing = false;
    }

    /// What the engine did since the last entries: one step on the page,
    /// once it holds news (a record appended, a leader elected, …). Routine
    /// traffic alone (heartbeats, empty fetches) waits for the next news, so
    /// the narration keeps telling the last thing that happened.
    fn absorb_live(&mut self) {
        let _ = self.engine.take_external_replies();
        let (buffered, news) = self.engine.buffered_events();
        if news || buffered >= MAX_QUIET_EVENTS {
            self.absorb_step(StepOutcome::Advanced);
        }
    }

    /// The messages a live run takes. Only what the viewer sees changes;
    /// faults go to the process; nothing else may move the engine.
    pub(crate) fn live_msg(&mut self, msg: Msg) -> Option<Msg> {
        let recording = matches!(
            self.live.as_ref().map(|l| &l.source),
            Some(LiveSource::Recording { .. })
        );
        match msg {
            Msg::Tick if recording && self.playing => {
                // Each tick plays as much of the recording as the tick is
                // long: the recording runs at the speed it happened.
                let ms = self.tick_ms();
                self.live_play(u64::from(ms));
                None
            }
            Msg::TogglePlay | Msg::Play | Msg::Pause if recording => {
                self.playing = match msg {
                    Msg::Play => true,
                    Msg::Pause => false,
                    _ => !self.playing,
                };
                None
            }
            Msg::SeekEnd if recording => {
                self.live_play_to_end();
                None
            }
            Msg::ToggleBroker(b) => {
                let alive = self.engine.brokers().get(b.0 as usize).map(|x| x.alive);
                let line = match alive {
                    Some(true) => format!("crash-broker {}", b.0),
                    Some(false) => format!("restart-broker {}", b.0),
                    None => {
                        self.error = Some(format!("There is no broker {b}."));
                        return None;
                    }
                };
                self.live_send(line);
                None
            }
            Msg::Apply(cmd) => {
                use crate::engine::command::Command;
                let line = match &cmd {
                    Command::CrashBroker { broker } => Some(format!("crash-broker {}", broker.0)),
                    Command::RestartBroker { broker } => {
                        Some(format!("restart-broker {}", broker.0))
                    }
                    Command::SlowBroker { broker, extra_ms } => {
                        Some(format!("slow-broker {} {extra_ms}", broker.0))
                    }
                    _ => None,
                };
                match line {
                    Some(line) => self.live_send(line),
                    None => {
                        self.error = Some(format!(
                            "{}: in a live run the clients are real, so only broker faults (crash, restart, slow) act on them.",
                            cmd.label()
                        ))
                    }
                }
                None
            }
            // What only the viewer sees.
            Msg::Focus(_)
            | Msg::SelectTab(_)
            | Msg::Inspect(_)
            | Msg::SelectConsumer(_)
            | Msg::ToggleHelp
            | Msg::CloseHelp
            | Msg::CloseDialogs
            | Msg::DismissError
            | Msg::SetSpeed(_) => Some(msg),
            Msg::Tick => None,
            _ => {
                self.error = Some(if recording {
                    "This is a recording of a live run: it plays back what real clients did, so it cannot be stepped or changed. Play and pause it, or jump to its end.".into()
                } else {
                    "This is a live run: real Kafka clients drive it, so it cannot be stepped or changed from the page. Crash, restart or slow a broker to see what the clients do.".into()
                });
                None
            }
        }
    }

    fn live_send(&mut self, line: String) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        if matches!(live.source, LiveSource::Recording { .. }) {
            self.error = Some(
                "This is a recording of a live run: faults act on a live session (`kafkascope live`), not on a recording.".into(),
            );
            return;
        }
        live.outbox.push(line);
    }

    /// The operator lines to send to the process, taken.
    pub fn take_live_outbox(&mut self) -> Vec<String> {
        match self.live.as_mut() {
            Some(l) if !l.outbox.is_empty() => std::mem::take(&mut l.outbox),
            _ => Vec::new(),
        }
    }

    /// What the process answered to a line, or why it could not be reached.
    pub fn live_status(&mut self, said: String) {
        match self.live.as_mut() {
            Some(l) => l.status = Some(said),
            // Before the run started: the process could not be reached.
            None => self.error = Some(said),
        }
    }

    /// The tape of this live run as a link's `live_tape`.
    pub fn live_tape_packed(&self) -> Option<Vec<u8>> {
        self.live.as_ref()?;
        serde_json::to_vec(self.engine.live_tape())
            .ok()
            .map(|json| pack_tape(&json))
    }
}

/// The most bytes a saved tape's JSON may inflate to.
const MAX_TAPE_JSON_BYTES: usize = 32 * 1024 * 1024;

/// A tape's JSON as a link carries it: raw deflate (RFC 1951), about a
/// twelfth of the JSON (the same few requests, again and again).
pub fn pack_tape(json: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(json, 9)
}

/// A saved link's tape, read (never more than [`MAX_TAPE_JSON_BYTES`] of
/// JSON, whatever the link says).
pub fn parse_tape(packed: &[u8]) -> Result<Vec<LiveInput>, String> {
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_TAPE_JSON_BYTES)
        .map_err(|_| "its live tape is damaged or too large to unpack".to_string())?;
    serde_json::from_slice(&json).map_err(|e| format!("its live tape cannot be read ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::external::tests::sample_session;

    fn engine_text(m: &Model) -> String {
        let mut e = m.engine.clone();
        let _ = e.take_external_replies();
        e.clear_events();
        format!("{e:?}")
    }

    #[test]
    fn a_streamed_tape_in_small_pieces_with_the_clock_resent_gives_the_same_engine() {
        let (cfg, live) = sample_session();
        let tape = live.live_tape().to_vec();
        for piece in [1usize, 2, 3, 7, tape.len()] {
            let mut m = Model::new_live(cfg.clone(), LiveSource::Server).unwrap();
            while m.live.as_ref().unwrap().applied < tape.len() {
                let from = m.live_next_from();
                let applied = m.live.as_ref().unwrap().applied;
                let to = (applied + piece).min(tape.len());
                m.live_entries(from, tape[from..to].to_vec());
            }
            assert_eq!(engine_text(&m), format!("{live:?}"), "pieces of {piece}");
            assert!(m.step > 0, "the page absorbed the entries as steps");
        }
    }

    #[test]
    fn a_gap_in_the_stream_is_not_applied() {
        let (cfg, live) = sample_session();
        let tape = live.live_tape().to_vec();
        let mut m = Model::new_live(cfg, LiveSource::Server).unwrap();
        m.live_entries(3, tape[3..].to_vec());
        assert_eq!(m.live.as_ref().unwrap().applied, 0);
    }

    #[test]
    fn a_saved_live_run_opens_from_its_link_and_plays_back_to_the_same_engine() {
        let (cfg, live) = sample_session();
        let mut m = Model::new_live(cfg, LiveSource::Server).unwrap();
        m.live_entries(0, live.live_tape().to_vec());
        let text = m.share_fragment().expect("a live run is shared as a link");
        assert!(text.starts_with("v1."), "{text}");
        let mut opened = Model::from_fragment(&text);
        assert!(opened.link_error.is_none(), "{:?}", opened.link_error);
        assert!(opened.is_live() && opened.playing);
        // Played at the speed it happened: not all at once…
        assert!(opened.live.as_ref().unwrap().applied < live.live_tape().len());
        opened.update(Msg::SeekEnd);
        assert_eq!(engine_text(&opened), format!("{live:?}"));
        // …and nothing can step it.
        let before = engine_text(&opened);
        opened.update(Msg::StepForward);
        opened.update(Msg::ToggleBroker(crate::engine::ids::BrokerId(0)));
        assert_eq!(engine_text(&opened), before);
        assert!(opened.error.is_some());
    }

    #[test]
    fn a_recording_skips_stretches_where_nothing_came_in() {
        // The sample session waits 20 s with nothing coming in after its
        // crash; played back half a second at a time, that wait is skipped.
        let (cfg, live) = sample_session();
        let tape = live.live_tape().to_vec();
        let n = tape.len();
        let source = LiveSource::Recording { tape, played_ms: 0 };
        let mut m = Model::new_live(cfg, source).unwrap();
        let mut ticks = 0;
        while m.live.as_ref().unwrap().applied < n {
            m.live_play(500);
            ticks += 1;
            assert!(ticks < 12, "still playing after {ticks} ticks of 0.5 s");
        }
        assert_eq!(engine_text(&m), format!("{live:?}"));
    }

    #[test]
    fn a_fault_in_a_streamed_run_goes_to_the_process_not_the_page_engine() {
        let (cfg, _) = sample_session();
        let mut m = Model::new_live(cfg, LiveSource::Server).unwrap();
        let before = engine_text(&m);
        m.update(Msg::ToggleBroker(crate::engine::ids::BrokerId(1)));
        m.update(Msg::Apply(crate::engine::command::Command::SlowBroker {
            broker: crate::engine::ids::BrokerId(2),
            extra_ms: 300,
        }));
        m.update(Msg::StepForward);
        assert_eq!(engine_text(&m), before);
        assert_eq!(
            m.take_live_outbox(),
            vec![
                "crash-broker 1".to_string(),
                "slow-broker 2 300".to_string()
            ]
        );
        assert!(m.take_live_outbox().is_empty());
    }

    #[test]
    fn a_damaged_tape_in_a_link_is_refused_with_a_message() {
        let (cfg, _) = sample_session();
        let mut l = crate::link::Link::custom(cfg, Vec::new(), 0);
        l.live_tape = Some(pack_tape(b"[{\"Record\":{\"producer\":7}}]"));
        let text = crate::link::encode(&l, &crate::presets::config_by_id);
        let m = Model::from_fragment(&text);
        let e = m.link_error.expect("refused");
        assert!(e.contains("live run"), "{e}");
        // Bytes that do not inflate are refused the same way.
        l.live_tape = Some(vec![0xFF; 40]);
        let text = crate::link::encode(&l, &crate::presets::config_by_id);
        let e = Model::from_fragment(&text).link_error.expect("refused");
        assert!(e.contains("damaged"), "{e}");
    }

    #[test]
    fn a_saved_tape_is_packed_smaller_than_its_json_and_unpacks_the_same() {
        let (_, live) = sample_session();
        let json = serde_json::to_vec(live.live_tape()).unwrap();
        let packed = pack_tape(&json);
        assert!(
            packed.len() < json.len(),
            "{} of {}",
            packed.len(),
            json.len()
        );
        assert_eq!(parse_tape(&packed).unwrap(), live.live_tape());
    }
}
