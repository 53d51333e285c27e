//! Scenario links: a whole run in the URL fragment (issue #6).
//!
//! Size: the v1 body's encoder and decoder stay in one file, field beside
//! field, because a link format is permanent and a change to one side must
//! be seen next to the other.
//!
//! A link such as
//!
//! ```text
//! https://…/kafkascope/#v1.acks1-failover-loss.AAAEAQAAAFPx6CU
//! ```
//!
//! carries everything needed to reproduce a run exactly: the **scenario** (a
//! preset id, optionally with changed settings, or a whole custom
//! configuration, seed included), the user's **action log** (every
//! [`Command`] with the engine's `step_calls()` at which it was applied), the
//! **current step** (also a `step_calls()` count) and a few **view** options.
//! Opening the link rebuilds the engine with [`crate::engine::replay::replay`] (or
//! [`Link::replay`]): the engine is deterministic, so the same configuration,
//! seed and commands at the same steps give the identical run.
//!
//! The API is two functions, [`encode`] and [`decode`], over the [`Link`]
//! type. Both are handed a preset lookup ([`Presets`]): a link may name a
//! preset and carry only its changed settings, and the codec sits below the
//! presets (which are themselves stored as links), so it cannot import them. `decode` never panics, whatever it is given (the test suite and the
//! fuzzers check that on millions of inputs), and every failure is a
//! [`LinkError`] whose `message` says what is wrong and what to do, ready to
//! be shown next to a "start the default scenario" button.
//!
//! ```
//! use kafkascope::engine::command::Command;
//! use kafkascope::engine::ids::BrokerId;
//! use kafkascope::link::{self, Link, LinkErrorKind};
//! use kafkascope::presets;
//!
//! // The codec is handed the preset lookup (it sits below the presets).
//! let p = &presets::config_by_id;
//!
//! // The preset as it opens: its id in clear, then 11 characters of data.
//! let link = Link::for_preset("acks1-failover-loss", vec![], 0);
//! assert_eq!(link::encode(&link, p), "v1.acks1-failover-loss.AAAEAQAAAFPx6CU");
//!
//! // The user crashed broker 0 at step 3 and stopped at step 10.
//! let crash = Command::CrashBroker { broker: BrokerId(0) };
//! let link = Link::for_preset("acks1-failover-loss", vec![(3, crash)], 10);
//! let text = link::encode(&link, p);
//! assert_eq!(link::decode(&text, p), Ok(link.clone()));
//! assert_eq!(link::decode(&format!("#{text}"), p), Ok(link)); // '#' or not
//!
//! // A link cut while copying says so.
//! let cut = &text[..text.len() - 3];
//! assert_eq!(link::decode(cut, p).unwrap_err().kind, LinkErrorKind::Truncated);
//! ```
//!
//! # The text of a link
//!
//! ```text
//! v1.<preset-id>.<data>      a preset, maybe with changed settings
//! v1.<data>                  a custom scenario (or a preset whose id is not plain)
//! ```
//!
//! * `v1` is the **format version**. [`decode`] reads the version first and
//!   hands the rest to that version's decoder ([`v1::decode`]); a future `v2`
//!   gets its own module next to [`v1`], and v1 links keep opening forever
//!   (the golden corpus in `tests/data/links/` is decoded by every test run).
//! * The **preset id** is written in clear (`acks1-failover-loss`), so a person
//!   can tell what a link shows before opening it. It is covered by the
//!   checksum like the rest.
//! * `<data>` is **base64url without padding** (RFC 4648 §5: `A–Z a–z 0–9 - _`).
//!   None of these characters, nor `.`, is ever percent-encoded by a browser,
//!   a chat client or a mail client, so the link survives copy and paste.
//!
//! # The data: an envelope around a body
//!
//! ```text
//! data = base64url( length ‖ body ‖ crc )
//!   length  3 bytes, big-endian: the byte length of body
//!   body    the scenario, the commands, the step, the view (below)
//!   crc     4 bytes, big-endian: CRC-32 (IEEE 802.3, as in zip and PNG)
//!           of the link text before <data> ("v1.acks1-failover-loss.") ‖ body
//! ```
//!
//! The two extra fields tell the two common accidents apart:
//!
//! * **Truncated** (the link was cut while copying): the checksum does not
//!   match *and* the body is shorter than `length` says.
//! * **Corrupt** (characters were changed): the checksum does not match and
//!   the length is right, or the checksum matches but `length` was altered
//!   (the length is deliberately outside the checksum, and its 3 bytes are
//!   exactly 4 base64 characters, so no single changed character can touch
//!   both the length and the body).
//!
//! A CRC-32 detects every change confined to 32 consecutive bits, and one
//! base64 character is 6 bits, so **every** single-character change of a link
//! is detected, not just most of them (the test suite tries every position
//! with every character). Unused low bits of the last base64 character must
//! be zero, so that no two texts decode to the same bytes.
//!
//! # The body
//!
//! All numbers are unsigned LEB128 varints (7 bits per byte, low group
//! first, high bit = "more"; at most 10 bytes, no superfluous zero groups).
//! A text is a varint byte length followed by UTF-8. A flag is one byte, 0 or 1.
//!
//! ```text
//! body = flags            1 byte: 1 = preset, 2 = has a configuration,
//!                                 4 = the preset id is in the body
//!        [preset id]      text, only with flag 4
//!        [configuration]  a diff (below), only with flag 2
//!        at_calls         varint: the step to open at (engine step_calls)
//!        n                varint: number of commands
//!        n × (step, command)
//!                         step: the difference to the previous command's
//!                         step (the first: to 0), zig-zag encoded so that an
//!                         out-of-order log is still represented exactly (and
//!                         then rejected by name, never silently reordered)
//!        view             a diff against the default view
//! ```
//!
//! ## Configurations are diffs
//!
//! A configuration is written as the fields that differ from a **base**:
//! for a preset with changed settings, the preset's own configuration; for a
//! custom scenario, the v1 base ([`v1::base_config`], kafkascope's defaults
//! when v1 was released, frozen so that an old link keeps its meaning when a
//! default changes). A struct is a sequence of `tag, value` pairs in strictly
//! increasing tag order, ended by tag 0. A nested struct's value is again
//! such a sequence; a list's value is its length and then every element as a
//! diff against the base's element at the same index (or the v1 default
//! element). Script entries and commands are written whole.
//!
//! | struct | tags |
//! | --- | --- |
//! | scenario | 1 seed · 2 cluster · 3 topics · 4 producers · 5 groups · 6 warm_start · 7 script |
//! | cluster | 1 brokers · 2 network_latency_ms · 3 broker_session_timeout_ms · 4 unclean_leader_election_enable · 5 replica_lag_time_max_ms · 6 replica_fetch_wait_max_ms · 7 offsets_topic_num_partitions · 8 offsets_topic_replication_factor · 9 transaction_state_log_num_partitions · 10 group_initial_rebalance_delay_ms · 11 auto_leader_rebalance_enable · 12 leader_imbalance_check_interval_seconds |
//! | topic | 1 name · 2 partitions · 3 replication_factor · 4 min_insync_replicas |
//! | producer | 1 client_id · 2 acks · 3 batch_size · 4 linger_ms · 5 retries · 6 retry_backoff_ms · 7 retry_backoff_max_ms · 8 request_timeout_ms · 9 delivery_timeout_ms · 10 max_in_flight_requests_per_connection · 11 enable_idempotence · 12 transactional_id · 13 transaction_timeout_ms · 14 records_per_transaction · 15 workload |
//! | workload | 1 topic · 2 records · 3 interval_ms · 4 keys · 5 start_ms |
//! | group | 1 group_id · 2 topics · 3 partition_assignment_strategy · 4 session_timeout_ms · 5 heartbeat_interval_ms · 6 max_poll_interval_ms · 7 auto_commit_interval_ms · 8 auto_offset_reset · 9 isolation_level · 10 commit_mode · 11 processing_time_ms · 12 max_poll_records · 13 fetch_max_wait_ms · 14 consumers · 15 static_membership · 16 output_topic · 17 restart_after_ms |
//! | view | 1 embed · 2 autoplay · 3 lesson |
//!
//! Enumerations are one varint each, numbered in declaration order (acks:
//! 0 → `0`, 1 → `1`, 2 → `all`; assignors: 0 range, 1 roundrobin, 2 sticky,
//! 3 cooperative-sticky; crash points: 0 after_poll, 1 after_process,
//! 2 after_commit, 3 now; and so on). An
//! `Option<bool>` is 0 = unset, 1 = false, 2 = true; an `Option<String>` is a
//! flag and then the text. Keys are 0 = null, 1 = event id, 2 = a list.
//!
//! ## Commands
//!
//! A command is a varint tag and then its fields in declaration order:
//! 2 crash_leader · 3 stall_followers ·
//! 4 restart_crashed_brokers · 5 crash_broker · 6 restart_broker ·
//! 7 slow_broker · 8 drop_next_produce_response · 9 add_consumer ·
//! 10 stop_consumer · 11 crash_consumer · 12 restart_consumer ·
//! 13 set_processing_time · 14 crash_producer · 15 start_producer_instance ·
//! 16 end_transaction · 17 begin_transaction · 18 note. A **produce** is
//! the most common action, so it packs which of its optional fields are
//! present into its tag: 32 + (1 topic · 2 key · 4 value · 8 partition ·
//! 16 "the key is the successor of the previous produce's key", see
//! [`v1::next_key`]), then the producer and the fields present. The UI's key
//! field advances `user-1`, `user-2`, …, so five sends cost about four bytes
//! each. (Tag 1 is unused.) A script entry is a trigger (0 at_ms ·
//! 1 after_acks · 2 after_processed, with its numbers) and then a command.
//!
//! # Why this shape
//!
//! A preset link is the preset id in clear plus a handful of bytes: the
//! presets open from links of 29 to 50 characters (the id is most of it),
//! and five recorded sends add 29 more (`tests/links.rs` prints them all and
//! holds a preset link with five actions under 120). A custom scenario costs
//! what it changes: the default scenario is `v1.AAAFAgAAAABGb96-`, a
//! three-broker, two-group, scripted scenario about 280 characters.
//!
//! Compression was measured and left out: raw deflate (level 9) of the
//! golden bodies changes preset links by −6 to +2 bytes and shrinks the
//! largest custom links by 20–25 % (about 60 of 280 characters), which does
//! not pay for a dependency and an inflater in the web bundle. (If it ever
//! does, it fits in v1 as a new flag bit for a deflated body.)
//!
//! The format is written by hand (no serde, no serde_json): it keeps the web
//! bundle small, and every tag is spelled out here, so a link's meaning
//! never depends on a field's Rust name.
//!
//! # Errors
//!
//! [`decode`] checks, in this order: the text ([`LinkErrorKind::Empty`],
//! [`LinkErrorKind::TooLarge`], [`LinkErrorKind::UnknownVersion`]), the
//! envelope ([`LinkErrorKind::Truncated`], [`LinkErrorKind::Corrupt`]), the
//! body (`Corrupt` for a malformed body; `UnknownVersion` for a field, a
//! command or a value this version does not know, i.e. a link from a newer
//! kafkascope; `TooLarge` for a text, a list or a log over the [`limits`]),
//! and finally the meaning ([`Link::check`]: `TooLarge` for a step past
//! [`limits::MAX_AT_CALLS`], [`LinkErrorKind::BadConfig`] with **every**
//! violated constraint of [`ScenarioConfig::validate`], an unknown preset
//! included, and [`LinkErrorKind::BadCommand`] with every action out of
//! order or after the step the link opens at).
//! Nothing is dropped or repaired silently: a link either opens exactly as it
//! was made, or not at all.
//!
//! A command that the engine refuses when it is replayed (crash broker 7 in a
//! three-broker cluster) is found by [`Link::replay`], which reports it as
//! `BadCommand` with the command's position and label. A "copy link" button
//! should use [`encode_checked`], which returns the error the recipient
//! would see (a log over the limits, say) instead of a link that won't open.
//!
//! # Growing the format
//!
//! * **Within v1** a new optional field may get a new tag (a new config field,
//!   a new command, a new view option): old links keep decoding, and old
//!   versions of kafkascope refuse the new links by name ("made by a newer
//!   version") instead of dropping what they do not know. The encoder
//!   destructures every struct exhaustively, so adding a field to
//!   [`ScenarioConfig`] or a variant to [`Command`] does not compile until it
//!   has a tag here.
//! * **Anything else** (a tag changing meaning, a new base, a new envelope)
//!   is a `v2`: a new module beside [`v1`], a new arm in [`decode`], a new
//!   golden file. The v1 module and `tests/data/links/v1.txt` stay as they are.
//!
//! # Text, never markup
//!
//! Keys, values, notes, topic and group names in a link are arbitrary text,
//! `<script>` included. The codec keeps them byte for byte (a test proves
//! it); the UI must render them as text nodes only, as it does all user text.

#![deny(
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::arithmetic_side_effects
)]

use crate::engine::command::Command;
use crate::engine::config::{ConfigError, ScenarioConfig};
use crate::engine::sim::Engine;
use std::fmt;

/// How the codec finds a preset's configuration from its id. The codec sits
/// below the presets (which are themselves stored as links), so the caller
/// hands the lookup in: `&presets::config_by_id` in the app and the tools,
/// [`NO_PRESETS`] where no preset may be named (the preset table itself, the
/// fuzz target's smallest build).
pub type Presets<'a> = &'a dyn Fn(&str) -> Option<ScenarioConfig>;

/// A lookup that knows no preset: a link naming one is refused as naming an
/// unknown preset.
pub const NO_PRESETS: Presets<'static> = &|_| None;

/// Upper bounds on what a link may carry. They keep decoding bounded in time
/// and memory whatever the input, and are far above what the UI produces.
pub mod limits {
    /// Longest accepted fragment, in bytes of text (after `#`).
    pub const MAX_FRAGMENT_CHARS: usize = 200_000;
    /// Most commands in the action log.
    pub const MAX_COMMANDS: usize = 10_000;
    /// Longest text (key, value, note, name, lesson), in UTF-8 bytes.
    pub const MAX_TEXT_BYTES: usize = 4_096;
    /// Most items in any list of the configuration (topics, keys, script, …).
    pub const MAX_LIST_ITEMS: usize = 1_000;
    /// Highest step a link may open at: opening replays every step up to
    /// it (about 0.3 s natively for a quiet scenario; 4 hours of playing at
    /// the top speed of 16 steps per second).
    pub const MAX_AT_CALLS: u64 = 250_000;
    /// Longest live tape (deflated JSON, see [`super::Link::live_tape`]),
    /// in bytes: its base64 fits in [`MAX_FRAGMENT_CHARS`].
    pub const MAX_TAPE_BYTES: usize = 140_000;
    /// Longest preset id written in clear (longer ones go into the body).
    pub const MAX_PRESET_ID_CHARS: usize = 64;
}

/// Everything a link carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub scenario: LinkScenario,
    /// The user's actions, each with the engine's `step_calls()` when it was
    /// applied; the steps never decrease.
    pub commands: Vec<(u64, Command)>,
    /// The step (`step_calls()`) the link opens at; no command comes after it.
    pub at_calls: u64,
    pub view: LinkView,
    /// A live run's tape (`kafkascope live`): every input that entered its
    /// engine from real clients, as JSON
    /// (`Vec<crate::engine::external::LiveInput>`) compressed with raw
    /// deflate (RFC 1951). The link's scenario is
    /// the live run's cluster; the live page replays the tape on it. The
    /// codec carries it as text; the course page hands such a link to the
    /// live page, whose bundle reads it.
    pub live_tape: Option<Vec<u8>>,
}

/// Which scenario a link runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkScenario {
    /// A preset by id. `overrides` is the whole configuration when the user
    /// changed settings after loading the preset (it is sent as a diff
    /// against the preset, so it stays short), `None` for the preset as is.
    Preset {
        id: String,
        overrides: Option<ScenarioConfig>,
    },
    /// A configuration of its own (sent as a diff against [`v1::base_config`]).
    Custom(ScenarioConfig),
}

/// How the page shows the scenario. Every option is optional: the default
/// view is the normal page. New options get new tags (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkView {
    /// Minimal chrome, for an `<iframe>` in a course page.
    pub embed: bool,
    /// Start playing as soon as the page opens.
    pub autoplay: bool,
    /// A lesson (course section) id the scenario belongs to.
    pub lesson: Option<String>,
}

/// Why a link cannot be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    pub kind: LinkErrorKind,
    /// One or a few sentences for the user: what is wrong, and what to do.
    pub message: String,
    /// For [`LinkErrorKind::BadConfig`]: every violated constraint, to show
    /// next to the settings (the message lists them too).
    pub config_errors: Vec<ConfigError>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkErrorKind {
    /// Nothing after `#`: not an error to show, just open the default scenario.
    Empty,
    /// Not a version this kafkascope reads (`v9…`), or a field, command or
    /// value a newer kafkascope wrote.
    UnknownVersion,
    /// The link was cut off while being copied.
    Truncated,
    /// Characters were changed, added or lost inside the link, or it is not a
    /// kafkascope link at all.
    Corrupt,
    /// The scenario cannot be built (see [`LinkError::config_errors`]), or
    /// its preset does not exist.
    BadConfig,
    /// Longer, or asking for more, than the [`limits`] allow.
    TooLarge,
    /// The action log is inconsistent, or the engine refuses one of its commands.
    BadCommand,
}

impl LinkError {
    fn new(kind: LinkErrorKind, message: impl Into<String>) -> LinkError {
        LinkError {
            kind,
            message: message.into(),
            config_errors: Vec::new(),
        }
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LinkError {}

/// The advice that ends most messages.
const FALLBACK: &str = "or start from the default scenario";

impl Link {
    /// A link to preset `id` as it is, after `commands`, opened at `at_calls`.
    pub fn for_preset(id: impl Into<String>, commands: Vec<(u64, Command)>, at_calls: u64) -> Link {
        Link {
            scenario: LinkScenario::Preset {
                id: id.into(),
                overrides: None,
            },
            commands,
            at_calls,
            view: LinkView::default(),
            live_tape: None,
        }
    }

    /// A link to a configuration of its own.
    pub fn custom(config: ScenarioConfig, commands: Vec<(u64, Command)>, at_calls: u64) -> Link {
        Link {
            scenario: LinkScenario::Custom(config),
            commands,
            at_calls,
            view: LinkView::default(),
            live_tape: None,
        }
    }

    /// The scenario the page shows when it is opened without a link (or the
    /// link cannot be opened): the default configuration at step 0.
    pub fn default_link() -> Link {
        Link::custom(ScenarioConfig::default(), Vec::new(), 0)
    }

    /// The preset id, if the scenario is a preset.
    pub fn preset_id(&self) -> Option<&str> {
        match &self.scenario {
            LinkScenario::Preset { id, .. } => Some(id),
            LinkScenario::Custom(_) => None,
        }
    }

    /// The configuration to build the engine from: the overrides or the
    /// preset's own configuration, or the custom one. Not validated (see
    /// [`Link::check`]).
    pub fn config(&self, presets: Presets) -> Result<ScenarioConfig, LinkError> {
        match &self.scenario {
            LinkScenario::Custom(c) => Ok(c.clone()),
            LinkScenario::Preset {
                id,
                overrides: Some(c),
            } => {
                // The preset must exist even when the whole configuration is here:
                // the link says "this preset, changed", and the UI shows its title.
                preset_config(id, presets)?;
                Ok(c.clone())
            }
            LinkScenario::Preset {
                id,
                overrides: None,
            } => preset_config(id, presets),
        }
    }

    /// Everything [`decode`] enforces beyond the format itself: the size
    /// limits on the log and the step, the order of the steps, and the
    /// configuration's validity. `decode` calls it on every link it returns.
    pub fn check(&self, presets: Presets) -> Result<(), LinkError> {
        use limits::*;
        if self.commands.len() > MAX_COMMANDS {
            return Err(LinkError::new(
                LinkErrorKind::TooLarge,
                format!(
                    "This link is too large: its action log has {} entries, and a link holds at most {MAX_COMMANDS}. Share an earlier point of the run, {FALLBACK}.",
                    self.commands.len()
                ),
            ));
        }
        if self.at_calls > MAX_AT_CALLS {
            return Err(LinkError::new(
                LinkErrorKind::TooLarge,
                format!(
                    "This link asks for step {}, and a link opens at most at step {MAX_AT_CALLS} (every step up to it is replayed when it opens). Share an earlier point of the run, {FALLBACK}.",
                    self.at_calls
                ),
            ));
        }
        let config = self.config(presets)?;
        let errors = config.validate();
        if !errors.is_empty() {
            let list = crate::engine::config::one_line(&errors);
            let n = errors.len();
            return Err(LinkError {
                kind: LinkErrorKind::BadConfig,
                message: format!(
                    "This link's scenario is impossible ({n} {}): {list}. Change {} in the settings, {FALLBACK}.",
                    if n == 1 { "problem" } else { "problems" },
                    if n == 1 { "it" } else { "them" },
                ),
                config_errors: errors,
            });
        }
        let mut problems = Vec::new();
        let mut previous: Option<u64> = None;
        for (i, (step, cmd)) in self.commands.iter().enumerate() {
            let n = i.saturating_add(1);
            if let Some(prev) = previous {
                if *step < prev {
                    problems.push(format!(
                        "action {n} ({}) is at step {step}, before the previous action's step {prev}",
                        cmd.label()
                    ));
                }
            }
            if *step > self.at_calls {
                problems.push(format!(
                    "action {n} ({}) is at step {step}, after the step the link opens at ({})",
                    cmd.label(),
                    self.at_calls
                ));
            }
            previous = Some(*step);
        }
        if !problems.is_empty() {
            const SHOWN: usize = 10;
            let total = problems.len();
            let mut list = problems
                .into_iter()
                .take(SHOWN)
                .collect::<Vec<_>>()
                .join("; ");
            if total > SHOWN {
                list.push_str(&format!("; and {} more", total.saturating_sub(SHOWN)));
            }
            return Err(LinkError::new(
                LinkErrorKind::BadCommand,
                format!(
                    "The action log in this link is out of order ({total} {}): {list}. The link was edited or made by a faulty tool: copy the original link again, {FALLBACK}.",
                    if total == 1 { "problem" } else { "problems" }
                ),
            ));
        }
        Ok(())
    }

    /// Checks the link, then rebuilds the engine it describes, at its step.
    /// A command the engine refuses is a [`LinkErrorKind::BadCommand`] naming
    /// it. Takes time proportional to `at_calls` (at most [`limits::MAX_AT_CALLS`]).
    pub fn replay(&self, presets: Presets) -> Result<Engine, LinkError> {
        self.check(presets)?;
        let config = self.config(presets)?;
        crate::engine::replay::replay(&config, &self.commands, self.at_calls).map_err(|e| {
            LinkError::new(
                LinkErrorKind::BadCommand,
                format!(
                    "This link's action log cannot be replayed: {e}. The link was edited or made by another version of kafkascope; {FALLBACK}."
                ),
            )
        })
    }

    /// The fragment for this link (without `#`); the same as [`encode`].
    pub fn to_fragment(&self, presets: Presets) -> String {
        encode(self, presets)
    }
}

fn preset_config(id: &str, presets: Presets) -> Result<ScenarioConfig, LinkError> {
    match presets(id) {
        Some(config) => Ok(config),
        None => {
            let error = ConfigError {
                field: "preset".into(),
                message: format!("there is no preset \"{id}\" in this version of kafkascope"),
            };
            Err(LinkError {
                kind: LinkErrorKind::BadConfig,
                message: format!(
                    "This link uses the preset \"{id}\", which this version of kafkascope does not have (it may have been renamed or removed). Pick a preset from the menu, {FALLBACK}."
                ),
                config_errors: vec![error],
            })
        }
    }
}

/// The fragment (without `#`) for `link`, in the newest format (`v1.…`).
///
/// Every link round-trips: `decode(&encode(&l))` is `Ok(l)` exactly when `l`
/// is within the [`limits`] and [`Link::check`] accepts it, and otherwise the
/// error the recipient would see (use [`encode_checked`] to get it now).
pub fn encode(link: &Link, presets: Presets) -> String {
    v1::encode(link, presets)
}

/// [`encode`], then decodes the result: `Err` is exactly what the person
/// opening the link would see (too large, impossible configuration, …).
/// Use it for a "copy link" button.
pub fn encode_checked(link: &Link, presets: Presets) -> Result<String, LinkError> {
    let text = encode(link, presets);
    decode(&text, presets)?;
    Ok(text)
}

/// Whether `fragment` (with or without `#`) is meant as a scenario link: a
/// `v` and a digit. Other fragments (`#main`, a skip link) are not links and
/// should be left to the page.
pub fn looks_like_link(fragment: &str) -> bool {
    let s = fragment.trim();
    let s = s.strip_prefix('#').unwrap_or(s);
    let mut chars = s.chars();
    chars.next() == Some('v') && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Reads a link: the URL fragment, with or without its leading `#`
/// (surrounding whitespace is ignored). Never panics, whatever the input.
/// See the module docs for what is checked, in which order.
pub fn decode(fragment: &str, presets: Presets) -> Result<Link, LinkError> {
    let s = fragment.trim();
    let s = s.strip_prefix('#').unwrap_or(s);
    if s.is_empty() {
        return Err(LinkError::new(
            LinkErrorKind::Empty,
            "The link holds no scenario (nothing follows its '#'): opening the default scenario.",
        ));
    }
    if s.len() > limits::MAX_FRAGMENT_CHARS {
        return Err(LinkError::new(
            LinkErrorKind::TooLarge,
            format!(
                "This link is too large: {} characters after the '#', and a kafkascope link has at most {}. It was not made by kafkascope or was pasted together wrongly; {FALLBACK}.",
                s.len(),
                limits::MAX_FRAGMENT_CHARS
            ),
        ));
    }
    let Some(after_v) = s.strip_prefix('v') else {
        return Err(not_a_link());
    };
    let digits_end = after_v
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(after_v.len());
    let (digits, rest) = after_v.split_at(digits_end);
    if digits.is_empty() {
        if rest.is_empty() {
            return Err(truncated_text());
        }
        return Err(not_a_link());
    }
    if digits == "1" {
        return v1::decode(rest, presets);
    }
    Err(LinkError::new(
        LinkErrorKind::UnknownVersion,
        format!(
            "This link is in format v{digits}, and this version of kafkascope opens v1 links only: it was made by a newer (or unreleased) kafkascope. Open it where it was made, {FALLBACK}."
        ),
    ))
}

fn not_a_link() -> LinkError {
    LinkError::new(
        LinkErrorKind::Corrupt,
        format!(
            "This is not a kafkascope scenario link (a link's part after '#' starts with \"v1.\"). Check that the whole link was copied, {FALLBACK}."
        ),
    )
}

fn truncated_text() -> LinkError {
    LinkError::new(
        LinkErrorKind::Truncated,
        "This link was cut off (it ends right after its version, before the scenario): copy the whole link again.",
    )
}

// ---- shared low-level pieces: CRC-32, base64url, zig-zag ----------------------

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, init and final xor
/// 0xFFFFFFFF) of the concatenation of `parts`. `crc32(&[b"123456789"])` is
/// 0xCBF43926.
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for part in parts {
        for &byte in *part {
            let i = usize::from((crc as u8) ^ byte);
            crc = (crc >> 8) ^ CRC_TABLE.get(i).copied().unwrap_or(0);
        }
    }
    !crc
}

/// The CRC of every byte value, computed at compile time (an index out of
/// range here would be a build error, not a panic).
#[allow(clippy::indexing_slicing)]
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64_char(six_bits: u32) -> char {
    B64.get((six_bits & 63) as usize)
        .map(|&b| char::from(b))
        .unwrap_or('A')
}

/// base64url without padding (RFC 4648 §5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity((bytes.len() / 3).saturating_add(1).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(b64_char(n >> 18));
        out.push(b64_char(n >> 12));
        if chunk.len() > 1 {
            out.push(b64_char(n >> 6));
        }
        if chunk.len() > 2 {
            out.push(b64_char(n));
        }
    }
    out
}

/// The value of every byte as a base64url digit; 0xFF for the others
/// (computed at compile time).
#[allow(clippy::indexing_slicing)]
const B64_VALUES: [u8; 256] = {
    let mut table = [0xFFu8; 256];
    let mut i = 0;
    while i < 64 {
        table[B64[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// What [`base64url_decode`] found besides the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum B64Tail {
    /// The text is exactly what the encoder would write for the bytes.
    Canonical,
    /// One character too many or too few to end on a byte: the last
    /// character carries no whole byte (typical of a cut link).
    Dangling,
    /// The unused low bits of the last character are not zero.
    NonZeroPadding,
}

/// Decodes base64url without padding. Returns the whole bytes decoded and
/// how the text ended, or the position and character of the first character
/// outside the alphabet.
pub fn base64url_decode(text: &str) -> Result<(Vec<u8>, B64Tail), (usize, char)> {
    let mut out = Vec::with_capacity((text.len() / 4).saturating_add(1).saturating_mul(3));
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for (i, byte) in text.bytes().enumerate() {
        let v = B64_VALUES.get(usize::from(byte)).copied().unwrap_or(0xFF);
        if v == 0xFF {
            let c = text.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
            return Err((i, c));
        }
        acc = (acc << 6) | u32::from(v);
        bits = bits.wrapping_add(6);
        if bits >= 8 {
            bits = bits.wrapping_sub(8);
            out.push(((acc >> bits) & 0xFF) as u8);
            acc &= (1u32 << bits).wrapping_sub(1);
        }
    }
    let tail = match bits {
        0 => B64Tail::Canonical,
        6 => B64Tail::Dangling,
        _ if acc != 0 => B64Tail::NonZeroPadding,
        _ => B64Tail::Canonical,
    };
    Ok((out, tail))
}

fn zigzag(v: i64) -> u64 {
    ((v as u64) << 1) ^ ((v >> 63) as u64)
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ ((z & 1) as i64).wrapping_neg()
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len().wrapping_sub(i)) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---- version 1 ------------------------------------------------------------------

/// The v1 format, frozen: its encoder, its decoder and its base
/// configuration. A v2 goes into a module of its own; this one keeps
/// decoding every v1 link ever made.
pub mod v1 {
    use super::limits::*;
    use super::*;
    use crate::engine::assignor::server::ServerAssignorKind;
    use crate::engine::assignor::AssignorKind;
    use crate::engine::command::{ScriptEntry, Trigger};
    use crate::engine::config::{
        Acks, AutoOffsetReset, ClusterConfig, CommitMode, GroupConfig, GroupProtocol,
        IsolationLevel, KeyMode, ProducerConfig, TopicConfig, Workload,
    };
    use crate::engine::event::CrashPoint;
    use crate::engine::ids::{BrokerId, ConsumerIdx, GroupIdx, ProducerIdx};

    /// The version, as written at the start of a link.
    pub const VERSION: &str = "v1";

    const FLAG_PRESET: u8 = 1;
    const FLAG_CONFIG: u8 = 2;
    const FLAG_ID_IN_BODY: u8 = 4;
    /// A live run's tape follows the view (see [`Link::live_tape`]).
    const FLAG_LIVE_TAPE: u8 = 8;
    const KNOWN_FLAGS: u8 = FLAG_PRESET | FLAG_CONFIG | FLAG_ID_IN_BODY | FLAG_LIVE_TAPE;
    /// Bytes of the length field and of the checksum in the envelope.
    const LEN_BYTES: usize = 3;
    const CRC_BYTES: usize = 4;

    // ---- the frozen base ------------------------------------------------------

    // The bases below start from `Default` (so a field added after v1 gets its
    // default, which is what an old link means) and then set every field v1
    // knows to its value when v1 was released. Do not change these values:
    // old custom links are diffs against them.

    /// The cluster section of [`base_config`].
    #[allow(clippy::field_reassign_with_default)]
    pub fn base_cluster() -> ClusterConfig {
        let mut c = ClusterConfig::default();
        c.brokers = 1;
        c.network_latency_ms = 2;
        c.broker_session_timeout_ms = 9_000;
        c.unclean_leader_election_enable = false;
        c.replica_lag_time_max_ms = 30_000;
        c.replica_fetch_wait_max_ms = 500;
        c.offsets_topic_num_partitions = 50;
        c.offsets_topic_replication_factor = 3;
        c.transaction_state_log_num_partitions = 50;
        c.group_initial_rebalance_delay_ms = 3_000;
        c
    }

    /// The base of every topic in a v1 diff that has no counterpart in its base.
    #[allow(clippy::field_reassign_with_default)]
    pub fn base_topic() -> TopicConfig {
        let mut t = TopicConfig::default();
        t.name = "events".into();
        t.partitions = 3;
        t.replication_factor = 1;
        t.min_insync_replicas = 1;
        t
    }

    /// The workload of [`base_producer`].
    #[allow(clippy::field_reassign_with_default)]
    pub fn base_workload() -> Workload {
        let mut w = Workload::default();
        w.topic = "events".into();
        w.records = 0;
        w.interval_ms = 100;
        w.keys = KeyMode::EventId;
        w.start_ms = 0;
        w
    }

    /// The base of every producer in a v1 diff that has no counterpart in its base.
    #[allow(clippy::field_reassign_with_default)]
    pub fn base_producer() -> ProducerConfig {
        let mut p = ProducerConfig::default();
        p.client_id = "producer-1".into();
        p.acks = Acks::All;
        p.batch_size = 16_384;
        p.linger_ms = 5;
        p.retries = 2_147_483_647;
        p.retry_backoff_ms = 100;
        p.retry_backoff_max_ms = 1_000;
        p.request_timeout_ms = 30_000;
        p.delivery_timeout_ms = 120_000;
        p.max_in_flight_requests_per_connection = 5;
        p.enable_idempotence = None;
        p.transactional_id = None;
        p.transaction_timeout_ms = 60_000;
        p.records_per_transaction = 1;
        p.workload = base_workload();
        p
    }

    /// The base of every group in a v1 diff that has no counterpart in its base.
    #[allow(clippy::field_reassign_with_default)]
    pub fn base_group() -> GroupConfig {
        let mut g = GroupConfig::default();
        g.group_id = "my-consumer-group".into();
        g.topics = vec!["events".into()];
        g.partition_assignment_strategy =
            vec![AssignorKind::Range, AssignorKind::CooperativeSticky];
        g.session_timeout_ms = 45_000;
        g.heartbeat_interval_ms = 3_000;
        g.max_poll_interval_ms = 300_000;
        g.auto_commit_interval_ms = 5_000;
        g.auto_offset_reset = AutoOffsetReset::Latest;
        g.isolation_level = IsolationLevel::ReadUncommitted;
        g.commit_mode = CommitMode::AfterProcessing;
        g.processing_time_ms = 10;
        g.max_poll_records = 500;
        g.fetch_max_wait_ms = 500;
        g.consumers = 1;
        g.static_membership = false;
        g.output_topic = None;
        g.restart_after_ms = 0;
        g
    }

    /// What a v1 custom configuration is a diff against: kafkascope's
    /// defaults when v1 was released, frozen.
    #[allow(clippy::field_reassign_with_default)]
    pub fn base_config() -> ScenarioConfig {
        let mut c = ScenarioConfig::default();
        c.seed = 1;
        c.cluster = base_cluster();
        c.topics = vec![base_topic()];
        c.producers = vec![base_producer()];
        c.groups = vec![base_group()];
        c.warm_start = true;
        c.script = Vec::new();
        c
    }

    // ---- envelope -------------------------------------------------------------

    /// Whether a preset id can be written in clear: 1 to 64 of `A–Z a–z 0–9 - _`.
    pub fn is_plain_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= MAX_PRESET_ID_CHARS
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// Wraps a body into a link: `v1.` [`id.`] base64url(length ‖ body ‖ crc).
    /// Public for tests and fuzzers, which use it to build links with valid
    /// checksums around arbitrary bodies.
    pub fn seal(id_in_text: Option<&str>, body: &[u8]) -> String {
        let mut text = String::from(VERSION);
        text.push('.');
        if let Some(id) = id_in_text {
            text.push_str(id);
            text.push('.');
        }
        let crc = crc32(&[text.as_bytes(), body]);
        // A body over 16 MiB cannot be sent anyway: its link is far over
        // MAX_FRAGMENT_CHARS, which decode checks first.
        let len = u32::try_from(body.len()).unwrap_or(u32::MAX).min(0xFF_FFFF);
        let mut data = Vec::with_capacity(body.len().saturating_add(LEN_BYTES + CRC_BYTES));
        data.extend_from_slice(&len.to_be_bytes()[1..]);
        data.extend_from_slice(body);
        data.extend_from_slice(&crc.to_be_bytes());
        text.push_str(&base64url_encode(&data));
        text
    }

    /// Splits a v1 link (everything after `v1`) into the preset id written in
    /// clear, if any, and the checked body.
    pub fn unseal(rest: &str) -> Result<(Option<&str>, Vec<u8>), LinkError> {
        let Some(after_dot) = rest.strip_prefix('.') else {
            if rest.is_empty() {
                return Err(truncated_text());
            }
            return Err(not_a_link());
        };
        let mut parts = after_dot.split('.');
        let first = parts.next().unwrap_or_default();
        let (id, data) = match (parts.next(), parts.next()) {
            (None, _) => (None, first),
            (Some(data), None) => (Some(first), data),
            (Some(_), Some(_)) => {
                return Err(corrupt_text(
                    "it has more '.' separators than a link has (a link is v1.<preset>.<data>)",
                ))
            }
        };
        if let Some(id) = id {
            if !is_plain_id(id) {
                return Err(corrupt_text(
                    "its preset name has characters a preset name cannot have",
                ));
            }
        }
        if data.is_empty() {
            return Err(LinkError::new(
                LinkErrorKind::Truncated,
                "This link was cut off (it ends before its data): copy the whole link again.",
            ));
        }
        let (bytes, tail) = base64url_decode(data).map_err(|(pos, c)| {
            corrupt_text(&format!(
                "it contains '{c}' at position {}, which a link never contains",
                // Position in the whole fragment: "v1." [id "."] then data.
                pos.saturating_add(VERSION.len().saturating_add(1))
                    .saturating_add(id.map_or(0, |i| i.len().saturating_add(1)))
            ))
        })?;
        let prefix_len = rest.len().saturating_sub(data.len());
        let prefix = format!("{VERSION}{}", rest.get(..prefix_len).unwrap_or_default());
        let short = || {
            LinkError::new(
                LinkErrorKind::Truncated,
                "This link was cut off (the data ends early): copy the whole link again.",
            )
        };
        let Some((len_bytes, rest_bytes)) = bytes.split_first_chunk::<LEN_BYTES>() else {
            return Err(short());
        };
        let declared = usize::try_from(u32::from_be_bytes([
            0,
            len_bytes[0],
            len_bytes[1],
            len_bytes[2],
        ]))
        .unwrap_or(usize::MAX);
        let Some((body, crc_bytes)) = rest_bytes.split_last_chunk::<CRC_BYTES>() else {
            return Err(short());
        };
        if crc32(&[prefix.as_bytes(), body]) == u32::from_be_bytes(*crc_bytes) {
            if declared != body.len() || tail != B64Tail::Canonical {
                return Err(corrupt_text(
                    "its length field or its last character was changed",
                ));
            }
            return Ok((id, body.to_vec()));
        }
        if declared > body.len() {
            let have = bytes.len();
            let want = declared.saturating_add(LEN_BYTES + CRC_BYTES);
            return Err(LinkError::new(
                LinkErrorKind::Truncated,
                format!(
                    "This link was cut off (the data ends early: {} of {} bytes): copy the whole link again.",
                    thousands(have),
                    thousands(want)
                ),
            ));
        }
        Err(corrupt_text(
            "its checksum does not match: characters were changed, added or lost",
        ))
    }

    fn corrupt_text(why: &str) -> LinkError {
        LinkError::new(
            LinkErrorKind::Corrupt,
            format!(
                "This link is damaged ({why}). Copy the link again from where it was shared, {FALLBACK}."
            ),
        )
    }

    // ---- encoder --------------------------------------------------------------

    /// The v1 fragment for `link`.
    pub fn encode(link: &Link, presets: Presets) -> String {
        let mut w = W(Vec::new());
        let tape_flag = if link.live_tape.is_some() {
            FLAG_LIVE_TAPE
        } else {
            0
        };
        let id_in_text = match &link.scenario {
            LinkScenario::Preset { id, overrides } => {
                let plain = is_plain_id(id);
                let mut flags = FLAG_PRESET | tape_flag;
                if overrides.is_some() {
                    flags |= FLAG_CONFIG;
                }
                if !plain {
                    flags |= FLAG_ID_IN_BODY;
                }
                w.byte(flags);
                if !plain {
                    w.text(id);
                }
                if let Some(config) = overrides {
                    // An unknown preset's diff is taken against the v1 base;
                    // decode refuses the link for its unknown preset anyway.
                    let base = presets(id).unwrap_or_else(base_config);
                    put_config(&mut w, config, &base);
                }
                plain.then_some(id.as_str())
            }
            LinkScenario::Custom(config) => {
                w.byte(FLAG_CONFIG | tape_flag);
                put_config(&mut w, config, &base_config());
                None
            }
        };
        w.varint(link.at_calls);
        w.varint(link.commands.len() as u64);
        let mut previous = 0u64;
        let mut last_key = None;
        for (step, cmd) in &link.commands {
            w.varint(zigzag(step.wrapping_sub(previous) as i64));
            previous = *step;
            put_command(&mut w, cmd, &mut last_key);
        }
        put_view(&mut w, &link.view);
        if let Some(tape) = &link.live_tape {
            w.count(tape.len());
            w.0.extend_from_slice(tape);
        }
        seal(id_in_text, &w.0)
    }

    struct W(Vec<u8>);

    impl W {
        fn byte(&mut self, b: u8) {
            self.0.push(b);
        }
        fn varint(&mut self, mut v: u64) {
            loop {
                let low = (v & 0x7F) as u8;
                v >>= 7;
                if v == 0 {
                    self.0.push(low);
                    return;
                }
                self.0.push(low | 0x80);
            }
        }
        fn count(&mut self, n: usize) {
            self.varint(n as u64);
        }
        fn bool(&mut self, b: bool) {
            self.0.push(u8::from(b));
        }
        fn text(&mut self, s: &str) {
            self.count(s.len());
            self.0.extend_from_slice(s.as_bytes());
        }
        fn opt_text(&mut self, s: &Option<String>) {
            match s {
                None => self.byte(0),
                Some(s) => {
                    self.byte(1);
                    self.text(s);
                }
            }
        }
        /// Writes `tag` and the value if it differs from the base's.
        fn field<T: PartialEq>(&mut self, tag: u64, v: &T, base: &T, put: impl FnOnce(&mut W, &T)) {
            if v != base {
                self.varint(tag);
                put(self, v);
            }
        }
        fn num<T: PartialEq + Copy + Into<u64>>(&mut self, tag: u64, v: &T, base: &T) {
            self.field(tag, v, base, |w, v| w.varint((*v).into()));
        }
        fn flag(&mut self, tag: u64, v: &bool, base: &bool) {
            self.field(tag, v, base, |w, v| w.bool(*v));
        }
        fn string(&mut self, tag: u64, v: &String, base: &String) {
            self.field(tag, v, base, |w, v| w.text(v));
        }
        fn end(&mut self) {
            self.0.push(0);
        }
    }

    fn put_config(w: &mut W, c: &ScenarioConfig, base: &ScenarioConfig) {
        // Exhaustive on purpose: a new field must get a tag before this compiles.
        let ScenarioConfig {
            seed,
            cluster,
            topics,
            producers,
            groups,
            warm_start,
            script,
        } = c;
        w.num(1, seed, &base.seed);
        w.field(2, cluster, &base.cluster, |w, v| {
            put_cluster(w, v, &base.cluster)
        });
        w.field(3, topics, &base.topics, |w, v| {
            put_list(w, v, &base.topics, base_topic, put_topic)
        });
        w.field(4, producers, &base.producers, |w, v| {
            put_list(w, v, &base.producers, base_producer, put_producer)
        });
        w.field(5, groups, &base.groups, |w, v| {
            put_list(w, v, &base.groups, base_group, put_group)
        });
        w.flag(6, warm_start, &base.warm_start);
        w.field(7, script, &base.script, |w, v| {
            w.count(v.len());
            let mut last_key = None;
            for entry in v {
                put_script_entry(w, entry, &mut last_key);
            }
        });
        w.end();
    }

    fn put_list<T>(
        w: &mut W,
        items: &[T],
        base: &[T],
        default: fn() -> T,
        put: fn(&mut W, &T, &T),
    ) {
        w.count(items.len());
        let fallback = default();
        for (i, item) in items.iter().enumerate() {
            put(w, item, base.get(i).unwrap_or(&fallback));
        }
    }

    fn put_cluster(w: &mut W, c: &ClusterConfig, b: &ClusterConfig) {
        let ClusterConfig {
            brokers,
            network_latency_ms,
            broker_session_timeout_ms,
            unclean_leader_election_enable,
            replica_lag_time_max_ms,
            replica_fetch_wait_max_ms,
            offsets_topic_num_partitions,
            offsets_topic_replication_factor,
            transaction_state_log_num_partitions,
            group_initial_rebalance_delay_ms,
            auto_leader_rebalance_enable,
            leader_imbalance_check_interval_seconds,
            group_consumer_heartbeat_interval_ms,
            group_consumer_session_timeout_ms,
            group_consumer_assignors,
            #[cfg(consumer_protocol)]
            group_consumer_migration_policy,
        } = c;
        w.num(1, brokers, &b.brokers);
        w.num(2, network_latency_ms, &b.network_latency_ms);
        w.num(3, broker_session_timeout_ms, &b.broker_session_timeout_ms);
        w.flag(
            4,
            unclean_leader_election_enable,
            &b.unclean_leader_election_enable,
        );
        w.num(5, replica_lag_time_max_ms, &b.replica_lag_time_max_ms);
        w.num(6, replica_fetch_wait_max_ms, &b.replica_fetch_wait_max_ms);
        w.num(
            7,
            offsets_topic_num_partitions,
            &b.offsets_topic_num_partitions,
        );
        w.num(
            8,
            offsets_topic_replication_factor,
            &b.offsets_topic_replication_factor,
        );
        w.num(
            9,
            transaction_state_log_num_partitions,
            &b.transaction_state_log_num_partitions,
        );
        w.num(
            10,
            group_initial_rebalance_delay_ms,
            &b.group_initial_rebalance_delay_ms,
        );
        // Added after v1's release: the base keeps Kafka's defaults, so a
        // link that predates them decodes to those defaults.
        w.flag(
            11,
            auto_leader_rebalance_enable,
            &b.auto_leader_rebalance_enable,
        );
        w.num(
            12,
            leader_imbalance_check_interval_seconds,
            &b.leader_imbalance_check_interval_seconds,
        );
        // The consumer group protocol (KIP-848).
        w.num(
            13,
            group_consumer_heartbeat_interval_ms,
            &b.group_consumer_heartbeat_interval_ms,
        );
        w.num(
            14,
            group_consumer_session_timeout_ms,
            &b.group_consumer_session_timeout_ms,
        );
        w.field(
            15,
            group_consumer_assignors,
            &b.group_consumer_assignors,
            |w, v| {
                w.count(v.len());
                for a in v {
                    w.varint(*a as u64);
                }
            },
        );
        #[cfg(consumer_protocol)]
        w.field(
            16,
            group_consumer_migration_policy,
            &b.group_consumer_migration_policy,
            |w, v| w.varint(*v as u64),
        );
        w.end();
    }

    fn put_topic(w: &mut W, t: &TopicConfig, b: &TopicConfig) {
        let TopicConfig {
            name,
            partitions,
            replication_factor,
            min_insync_replicas,
        } = t;
        w.string(1, name, &b.name);
        w.num(2, partitions, &b.partitions);
        w.num(3, replication_factor, &b.replication_factor);
        w.num(4, min_insync_replicas, &b.min_insync_replicas);
        w.end();
    }

    fn put_producer(w: &mut W, p: &ProducerConfig, b: &ProducerConfig) {
        let ProducerConfig {
            client_id,
            acks,
            batch_size,
            linger_ms,
            retries,
            retry_backoff_ms,
            retry_backoff_max_ms,
            request_timeout_ms,
            delivery_timeout_ms,
            max_in_flight_requests_per_connection,
            enable_idempotence,
            transactional_id,
            transaction_timeout_ms,
            records_per_transaction,
            workload,
        } = p;
        w.string(1, client_id, &b.client_id);
        w.field(2, acks, &b.acks, |w, v| w.varint(acks_code(*v)));
        w.num(3, batch_size, &b.batch_size);
        w.num(4, linger_ms, &b.linger_ms);
        w.num(5, retries, &b.retries);
        w.num(6, retry_backoff_ms, &b.retry_backoff_ms);
        w.num(7, retry_backoff_max_ms, &b.retry_backoff_max_ms);
        w.num(8, request_timeout_ms, &b.request_timeout_ms);
        w.num(9, delivery_timeout_ms, &b.delivery_timeout_ms);
        w.num(
            10,
            max_in_flight_requests_per_connection,
            &b.max_in_flight_requests_per_connection,
        );
        w.field(11, enable_idempotence, &b.enable_idempotence, |w, v| {
            w.byte(match v {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            })
        });
        w.field(12, transactional_id, &b.transactional_id, |w, v| {
            w.opt_text(v)
        });
        w.num(13, transaction_timeout_ms, &b.transaction_timeout_ms);
        w.num(14, records_per_transaction, &b.records_per_transaction);
        w.field(15, workload, &b.workload, |w, v| {
            put_workload(w, v, &b.workload)
        });
        w.end();
    }

    fn put_workload(w: &mut W, l: &Workload, b: &Workload) {
        let Workload {
            topic,
            records,
            interval_ms,
            keys,
            start_ms,
        } = l;
        w.string(1, topic, &b.topic);
        w.num(2, records, &b.records);
        w.num(3, interval_ms, &b.interval_ms);
        w.field(4, keys, &b.keys, |w, v| match v {
            KeyMode::Null => w.byte(0),
            KeyMode::EventId => w.byte(1),
            KeyMode::Cycle(keys) => {
                w.byte(2);
                w.count(keys.len());
                for k in keys {
                    w.text(k);
                }
            }
        });
        w.num(5, start_ms, &b.start_ms);
        w.end();
    }

    fn put_group(w: &mut W, g: &GroupConfig, b: &GroupConfig) {
        let GroupConfig {
            group_id,
            topics,
            partition_assignment_strategy,
            session_timeout_ms,
            heartbeat_interval_ms,
            max_poll_interval_ms,
            auto_commit_interval_ms,
            auto_offset_reset,
            isolation_level,
            commit_mode,
            processing_time_ms,
            max_poll_records,
            fetch_max_wait_ms,
            consumers,
            static_membership,
            output_topic,
            restart_after_ms,
            group_protocol,
            group_remote_assignor,
        } = g;
        w.string(1, group_id, &b.group_id);
        w.field(2, topics, &b.topics, |w, v| {
            w.count(v.len());
            for t in v {
                w.text(t);
            }
        });
        w.field(
            3,
            partition_assignment_strategy,
            &b.partition_assignment_strategy,
            |w, v| {
                w.count(v.len());
                for a in v {
                    w.varint(assignor_code(*a));
                }
            },
        );
        w.num(4, session_timeout_ms, &b.session_timeout_ms);
        w.num(5, heartbeat_interval_ms, &b.heartbeat_interval_ms);
        w.num(6, max_poll_interval_ms, &b.max_poll_interval_ms);
        w.num(7, auto_commit_interval_ms, &b.auto_commit_interval_ms);
        w.field(8, auto_offset_reset, &b.auto_offset_reset, |w, v| {
            w.varint(match v {
                AutoOffsetReset::Earliest => 0,
                AutoOffsetReset::Latest => 1,
                AutoOffsetReset::None => 2,
            })
        });
        w.field(9, isolation_level, &b.isolation_level, |w, v| {
            w.varint(match v {
                IsolationLevel::ReadUncommitted => 0,
                IsolationLevel::ReadCommitted => 1,
            })
        });
        w.field(10, commit_mode, &b.commit_mode, |w, v| {
            w.varint(match v {
                CommitMode::Auto => 0,
                CommitMode::BeforeProcessing => 1,
                CommitMode::AfterProcessing => 2,
                CommitMode::Transactional => 3,
            })
        });
        w.num(11, processing_time_ms, &b.processing_time_ms);
        w.num(12, max_poll_records, &b.max_poll_records);
        w.num(13, fetch_max_wait_ms, &b.fetch_max_wait_ms);
        w.num(14, consumers, &b.consumers);
        w.flag(15, static_membership, &b.static_membership);
        w.field(16, output_topic, &b.output_topic, |w, v| w.opt_text(v));
        w.num(17, restart_after_ms, &b.restart_after_ms);
        w.field(18, group_protocol, &b.group_protocol, |w, v| {
            w.varint(*v as u64)
        });
        // 0 = the broker's default, else 1 + the assignor.
        w.field(
            19,
            group_remote_assignor,
            &b.group_remote_assignor,
            |w, v| w.varint(v.map_or(0, |a| 1 + a as u64)),
        );
        w.end();
    }

    fn acks_code(a: Acks) -> u64 {
        match a {
            Acks::Zero => 0,
            Acks::One => 1,
            Acks::All => 2,
        }
    }

    fn assignor_code(a: AssignorKind) -> u64 {
        match a {
            AssignorKind::Range => 0,
            AssignorKind::Roundrobin => 1,
            AssignorKind::Sticky => 2,
            AssignorKind::CooperativeSticky => 3,
        }
    }

    fn crash_point_code(p: CrashPoint) -> u64 {
        match p {
            CrashPoint::AfterPoll => 0,
            CrashPoint::AfterProcess => 1,
            CrashPoint::AfterCommit => 2,
            CrashPoint::Now => 3,
        }
    }

    fn put_script_entry(w: &mut W, e: &ScriptEntry, last_key: &mut Option<String>) {
        let ScriptEntry { trigger, command } = e;
        match trigger {
            Trigger::AtMs { ms } => {
                w.byte(0);
                w.varint(*ms);
            }
            Trigger::AfterAcks { producer, count } => {
                w.byte(1);
                w.varint(producer.0.into());
                w.varint(*count);
            }
            Trigger::AfterProcessed { count } => {
                w.byte(2);
                w.varint(*count);
            }
        }
        put_command(w, command, last_key);
    }

    /// Produce commands are tags 32 to 63: 32 plus a mask of the fields
    /// present (1 topic, 2 key, 4 value, 8 partition, 16 the key is
    /// [`next_key`] of the previous produce's key in the same list).
    const PRODUCE_TAG: u64 = 32;

    /// The key after `key`: `user-7` → `user-8`; any other key is repeated.
    /// (The UI's key field advances like this; frozen here for v1.)
    pub fn next_key(key: &str) -> String {
        if let Some((prefix, n)) = key.rsplit_once('-') {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                if let Some(next) = n.parse::<u64>().ok().and_then(|n| n.checked_add(1)) {
                    return format!("{prefix}-{next}");
                }
            }
        }
        key.to_string()
    }

    fn put_command(w: &mut W, c: &Command, last_key: &mut Option<String>) {
        match c {
            Command::Produce {
                producer,
                topic,
                key,
                value,
                partition,
            } => {
                // The UI's key field advances user-1, user-2, …: a key that is
                // the successor of the previous one costs no bytes.
                let predicted =
                    key.is_some() && key.as_deref() == last_key.as_deref().map(next_key).as_deref();
                let mask = u8::from(topic.is_some())
                    | u8::from(key.is_some() && !predicted) << 1
                    | u8::from(value.is_some()) << 2
                    | u8::from(partition.is_some()) << 3
                    | u8::from(predicted) << 4;
                w.varint(PRODUCE_TAG | u64::from(mask));
                w.varint(producer.0.into());
                if let Some(t) = topic {
                    w.text(t);
                }
                if let Some(k) = key {
                    if !predicted {
                        w.text(k);
                    }
                    last_key.clone_from(&Some(k.clone()));
                }
                if let Some(v) = value {
                    w.text(v);
                }
                if let Some(p) = partition {
                    w.varint((*p).into());
                }
            }
            Command::CrashLeader { topic, partition } => {
                w.varint(2);
                w.text(topic);
                w.varint((*partition).into());
            }
            Command::StallFollowers {
                topic,
                partition,
                ms,
            } => {
                w.varint(3);
                w.text(topic);
                w.varint((*partition).into());
                w.varint((*ms).into());
            }
            Command::RestartCrashedBrokers => w.varint(4),
            Command::CrashBroker { broker } => {
                w.varint(5);
                w.varint(broker.0.into());
            }
            Command::RestartBroker { broker } => {
                w.varint(6);
                w.varint(broker.0.into());
            }
            Command::SlowBroker { broker, extra_ms } => {
                w.varint(7);
                w.varint(broker.0.into());
                w.varint((*extra_ms).into());
            }
            Command::DropNextProduceResponse { producer } => {
                w.varint(8);
                w.varint(producer.0.into());
            }
            Command::AddConsumer { group } => {
                w.varint(9);
                w.varint(group.0.into());
            }
            Command::StopConsumer { consumer } => {
                w.varint(10);
                w.varint(consumer.0.into());
            }
            Command::CrashConsumer { consumer, point } => {
                w.varint(11);
                w.varint(consumer.0.into());
                w.varint(crash_point_code(*point));
            }
            Command::RestartConsumer { consumer } => {
                w.varint(12);
                w.varint(consumer.0.into());
            }
            #[cfg(consumer_protocol)]
            Command::RestartConsumerWith {
                consumer,
                group_protocol,
            } => {
                w.varint(20);
                w.varint(consumer.0.into());
                w.varint(*group_protocol as u64);
            }
            Command::SetProcessingTime {
                consumer,
                processing_time_ms,
            } => {
                w.varint(13);
                w.varint(consumer.0.into());
                w.varint((*processing_time_ms).into());
            }
            Command::CrashProducer { producer } => {
                w.varint(14);
                w.varint(producer.0.into());
            }
            Command::StartProducerInstance { producer } => {
                w.varint(15);
                w.varint(producer.0.into());
            }
            Command::EndTransaction { producer, commit } => {
                w.varint(16);
                w.varint(producer.0.into());
                w.bool(*commit);
            }
            Command::BeginTransaction { producer } => {
                w.varint(17);
                w.varint(producer.0.into());
            }
            Command::Note { text } => {
                w.varint(18);
                w.text(text);
            }
            Command::ProcessingRaises { consumer } => {
                w.varint(19);
                w.varint(consumer.0.into());
            }
        }
    }

    fn put_view(w: &mut W, v: &LinkView) {
        let LinkView {
            embed,
            autoplay,
            lesson,
        } = v;
        let b = LinkView::default();
        w.flag(1, embed, &b.embed);
        w.flag(2, autoplay, &b.autoplay);
        w.field(3, lesson, &b.lesson, |w, v| w.opt_text(v));
        w.end();
    }

    // ---- decoder --------------------------------------------------------------

    /// Decodes a v1 link: `rest` is everything after `v1` (starting with `.`).
    pub fn decode(rest: &str, presets: Presets) -> Result<Link, LinkError> {
        let (id_in_text, body) = unseal(rest)?;
        let link = parse_body(id_in_text, &body, presets)?;
        link.check(presets)?;
        Ok(link)
    }

    /// Parses a checked body. `id_in_text` is the preset id written in clear.
    pub fn parse_body(
        id_in_text: Option<&str>,
        body: &[u8],
        presets: Presets,
    ) -> Result<Link, LinkError> {
        parse(id_in_text, body, presets).map_err(|e| *e)
    }

    /// The decoder's error: boxed, so that the `?` after every read moves one
    /// pointer (this keeps the decoder small in the web bundle).
    type Fail = Box<LinkError>;

    fn parse(id_in_text: Option<&str>, body: &[u8], presets: Presets) -> Result<Link, Fail> {
        let mut r = R { data: body, pos: 0 };
        let flags = r.byte("link", "flags")?;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(newer(&format!("flags {flags:#04x}")));
        }
        let preset = flags & FLAG_PRESET != 0;
        let has_config = flags & FLAG_CONFIG != 0;
        let id_in_body = flags & FLAG_ID_IN_BODY != 0;
        let scenario = if preset {
            let id = if id_in_body {
                if id_in_text.is_some() {
                    return Err(malformed("link", "preset", "named twice", r.pos));
                }
                r.text("link", "preset")?
            } else {
                match id_in_text {
                    Some(id) => id.to_string(),
                    None => return Err(malformed("link", "preset", "missing", r.pos)),
                }
            };
            let overrides = if has_config {
                let mut config = preset_config(&id, presets).map_err(Box::new)?;
                get_config(&mut r, &mut config)?;
                Some(config)
            } else {
                None
            };
            LinkScenario::Preset { id, overrides }
        } else {
            if id_in_text.is_some() || id_in_body || !has_config {
                return Err(malformed("link", "flags", "inconsistent", r.pos));
            }
            let mut config = base_config();
            get_config(&mut r, &mut config)?;
            LinkScenario::Custom(config)
        };
        let at_calls = r.varint("link", "step")?;
        let n = r.varint("link", "number of actions")?;
        if n > MAX_COMMANDS as u64 {
            return Err(Box::new(LinkError::new(
                LinkErrorKind::TooLarge,
                format!(
                    "This link is too large: its action log says it has {n} entries, and a link holds at most {MAX_COMMANDS}. Share an earlier point of the run, {FALLBACK}."
                ),
            )));
        }
        // Every command takes at least two bytes; never trust a count further
        // than the bytes that are there.
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n > r.remaining() / 2 {
            return Err(malformed(
                "link",
                "number of actions",
                "larger than the data",
                r.pos,
            ));
        }
        let mut commands = Vec::with_capacity(n);
        let mut previous = 0u64;
        let mut last_key = None;
        for _ in 0..n {
            let delta = unzigzag(r.varint("actions", "step")?);
            let step = previous.wrapping_add(delta as u64);
            previous = step;
            let cmd = get_command(&mut r, "actions", &mut last_key)?;
            commands.push((step, cmd));
        }
        let view = get_view(&mut r)?;
        let live_tape = if flags & FLAG_LIVE_TAPE != 0 {
            Some(r.bytes_up_to("link", "live tape", MAX_TAPE_BYTES)?)
        } else {
            None
        };
        if r.remaining() != 0 {
            return Err(malformed(
                "link",
                "end",
                "unexpected bytes after the view",
                r.pos,
            ));
        }
        Ok(Link {
            scenario,
            commands,
            at_calls,
            view,
            live_tape,
        })
    }

    #[cold]
    #[inline(never)]
    fn malformed(path: &str, field: &str, problem: &str, at: usize) -> Fail {
        Box::new(LinkError::new(
            LinkErrorKind::Corrupt,
            format!(
                "This link's data is malformed ({path}.{field}: {problem}, at byte {at}). It was edited or made by a faulty tool: copy the original link again, {FALLBACK}."
            ),
        ))
    }

    #[cold]
    #[inline(never)]
    /// Something of Kafka 4's consumer protocol, which this page leaves to
    /// the full page (build.rs).
    #[cfg(not(consumer_protocol))]
    fn full_page_only(what: &str) -> Fail {
        Box::new(LinkError::new(
            LinkErrorKind::BadConfig,
            format!("This link uses Kafka 4's consumer protocol ({what}), which runs on the full page: open it at full/ beside this page."),
        ))
    }

    fn newer(what: &str) -> Fail {
        Box::new(LinkError::new(
            LinkErrorKind::UnknownVersion,
            format!(
                "This link uses something this version of kafkascope does not know ({what}): it was probably made by a newer version. Open it there, {FALLBACK}."
            ),
        ))
    }

    #[cold]
    #[inline(never)]
    fn too_long(path: &str, field: &str, what: &str, n: u64, max: usize) -> Fail {
        Box::new(LinkError::new(
            LinkErrorKind::TooLarge,
            format!(
                "This link is too large: {path}.{field} has {n} {what}, and a link allows at most {max}. Share a smaller scenario, {FALLBACK}."
            ),
        ))
    }

    /// A reader over a checked body. Every read is bounds-checked; nothing is
    /// allocated beyond what the bytes themselves can hold.
    struct R<'a> {
        data: &'a [u8],
        pos: usize,
    }

    impl R<'_> {
        fn remaining(&self) -> usize {
            self.data.len().saturating_sub(self.pos)
        }

        fn byte(&mut self, path: &str, field: &str) -> Result<u8, Fail> {
            let b = self
                .data
                .get(self.pos)
                .copied()
                .ok_or_else(|| malformed(path, field, "the data ends here", self.pos))?;
            self.pos = self.pos.saturating_add(1);
            Ok(b)
        }

        fn varint(&mut self, path: &str, field: &str) -> Result<u64, Fail> {
            let start = self.pos;
            let mut v: u64 = 0;
            for i in 0..10u32 {
                let b = self.byte(path, field)?;
                let bits = u64::from(b & 0x7F);
                if i == 9 && b > 1 {
                    return Err(malformed(path, field, "number too large", start));
                }
                v |= bits << i.wrapping_mul(7);
                if b & 0x80 == 0 {
                    if b == 0 && i > 0 {
                        return Err(malformed(path, field, "number not in shortest form", start));
                    }
                    return Ok(v);
                }
            }
            Err(malformed(path, field, "number too long", start))
        }

        fn bounded<T: TryFrom<u64>>(&mut self, path: &str, field: &str) -> Result<T, Fail> {
            let start = self.pos;
            let v = self.varint(path, field)?;
            T::try_from(v).map_err(|_| malformed(path, field, "number out of range", start))
        }

        fn bool(&mut self, path: &str, field: &str) -> Result<bool, Fail> {
            let start = self.pos;
            match self.byte(path, field)? {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(malformed(path, field, "not a yes/no value", start)),
            }
        }

        /// A list length: at most `max` (else too large) and at most what the
        /// remaining bytes can hold at `min_item_bytes` each (else malformed).
        fn count(
            &mut self,
            path: &str,
            field: &str,
            max: usize,
            min_item_bytes: usize,
        ) -> Result<usize, Fail> {
            let start = self.pos;
            let n = self.varint(path, field)?;
            if n > max as u64 {
                return Err(too_long(path, field, "items", n, max));
            }
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n.saturating_mul(min_item_bytes) > self.remaining() {
                return Err(malformed(
                    path,
                    field,
                    "more items than the data holds",
                    start,
                ));
            }
            Ok(n)
        }

        fn text(&mut self, path: &str, field: &str) -> Result<String, Fail> {
            let start = self.pos;
            let bytes = self.bytes_up_to(path, field, MAX_TEXT_BYTES)?;
            String::from_utf8(bytes)
                .map_err(|_| malformed(path, field, "text is not valid UTF-8", start))
        }

        /// A varint length and that many bytes, at most `max`.
        fn bytes_up_to(&mut self, path: &str, field: &str, max: usize) -> Result<Vec<u8>, Fail> {
            let start = self.pos;
            let n = self.varint(path, field)?;
            if n > max as u64 {
                return Err(too_long(path, field, "bytes", n, max));
            }
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            let end = self.pos.saturating_add(n);
            let bytes = self
                .data
                .get(self.pos..end)
                .ok_or_else(|| malformed(path, field, "longer than the data", start))?;
            self.pos = end;
            Ok(bytes.to_vec())
        }

        fn opt_text(&mut self, path: &str, field: &str) -> Result<Option<String>, Fail> {
            Ok(if self.bool(path, field)? {
                Some(self.text(path, field)?)
            } else {
                None
            })
        }

        /// The next tag of a struct diff, `None` at its end. Tags must increase.
        fn tag(&mut self, path: &str, last: &mut u64) -> Result<Option<u64>, Fail> {
            let start = self.pos;
            let tag = self.varint(path, "field tag")?;
            if tag == 0 {
                return Ok(None);
            }
            if tag <= *last {
                return Err(malformed(
                    path,
                    "field tag",
                    "fields repeated or out of order",
                    start,
                ));
            }
            *last = tag;
            Ok(Some(tag))
        }

        fn code(&mut self, path: &str, field: &str, known: u64) -> Result<u64, Fail> {
            let v = self.varint(path, field)?;
            if v >= known {
                return Err(newer(&format!("value {v} of {path}.{field}")));
            }
            Ok(v)
        }
    }

    #[cold]
    #[inline(never)]
    fn unknown_field(path: &str, tag: u64) -> Fail {
        newer(&format!("field #{tag} of {path}"))
    }

    fn get_config(r: &mut R, c: &mut ScenarioConfig) -> Result<(), Fail> {
        const P: &str = "config";
        let mut last = 0;
        while let Some(tag) = r.tag(P, &mut last)? {
            match tag {
                1 => c.seed = r.varint(P, "seed")?,
                2 => get_cluster(r, &mut c.cluster)?,
                3 => get_list(r, "topics", &mut c.topics, base_topic, get_topic)?,
                4 => get_list(
                    r,
                    "producers",
                    &mut c.producers,
                    base_producer,
                    get_producer,
                )?,
                5 => get_list(r, "groups", &mut c.groups, base_group, get_group)?,
                6 => c.warm_start = r.bool(P, "warm_start")?,
                7 => {
                    let n = r.count(P, "script", MAX_LIST_ITEMS, 2)?;
                    let mut script = Vec::with_capacity(n);
                    let mut last_key = None;
                    for _ in 0..n {
                        script.push(get_script_entry(r, &mut last_key)?);
                    }
                    c.script = script;
                }
                _ => return Err(unknown_field(P, tag)),
            }
        }
        Ok(())
    }

    /// A list of struct diffs: element `i` is a diff against the base list's
    /// element `i`, or against the v1 default element past its end.
    fn get_list<T: Clone>(
        r: &mut R,
        name: &str,
        list: &mut Vec<T>,
        default: fn() -> T,
        get: fn(&mut R, &mut T, &str) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        let n = r.count("config", name, MAX_LIST_ITEMS, 1)?;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let mut item = list.get(i).cloned().unwrap_or_else(default);
            get(r, &mut item, &format!("{name}[{i}]"))?;
            out.push(item);
        }
        *list = out;
        Ok(())
    }

    fn get_cluster(r: &mut R, c: &mut ClusterConfig) -> Result<(), Fail> {
        const P: &str = "cluster";
        let mut last = 0;
        while let Some(tag) = r.tag(P, &mut last)? {
            match tag {
                1 => c.brokers = r.bounded(P, "brokers")?,
                2 => c.network_latency_ms = r.bounded(P, "network_latency_ms")?,
                3 => c.broker_session_timeout_ms = r.bounded(P, "broker_session_timeout_ms")?,
                4 => {
                    c.unclean_leader_election_enable =
                        r.bool(P, "unclean_leader_election_enable")?
                }
                5 => c.replica_lag_time_max_ms = r.bounded(P, "replica_lag_time_max_ms")?,
                6 => c.replica_fetch_wait_max_ms = r.bounded(P, "replica_fetch_wait_max_ms")?,
                7 => {
                    c.offsets_topic_num_partitions = r.bounded(P, "offsets_topic_num_partitions")?
                }
                8 => {
                    c.offsets_topic_replication_factor =
                        r.bounded(P, "offsets_topic_replication_factor")?
                }
                9 => {
                    c.transaction_state_log_num_partitions =
                        r.bounded(P, "transaction_state_log_num_partitions")?
                }
                10 => {
                    c.group_initial_rebalance_delay_ms =
                        r.bounded(P, "group_initial_rebalance_delay_ms")?
                }
                11 => c.auto_leader_rebalance_enable = r.bool(P, "auto_leader_rebalance_enable")?,
                12 => {
                    c.leader_imbalance_check_interval_seconds =
                        r.bounded(P, "leader_imbalance_check_interval_seconds")?
                }
                13 => {
                    c.group_consumer_heartbeat_interval_ms =
                        r.bounded(P, "group_consumer_heartbeat_interval_ms")?
                }
                14 => {
                    c.group_consumer_session_timeout_ms =
                        r.bounded(P, "group_consumer_session_timeout_ms")?
                }
                15 => {
                    let n = r.count(P, "group_consumer_assignors", 2, 1)?;
                    let mut list = Vec::with_capacity(n);
                    for _ in 0..n {
                        list.push(match r.code(P, "group_consumer_assignors", 2)? {
                            0 => ServerAssignorKind::Uniform,
                            _ => ServerAssignorKind::Range,
                        });
                    }
                    c.group_consumer_assignors = list;
                }
                #[cfg(not(consumer_protocol))]
                16 => return Err(full_page_only("group.consumer.migration.policy")),
                #[cfg(consumer_protocol)]
                16 => {
                    c.group_consumer_migration_policy =
                        match r.code(P, "group_consumer_migration_policy", 4)? {
                            0 => crate::engine::config::MigrationPolicy::Disabled,
                            1 => crate::engine::config::MigrationPolicy::Upgrade,
                            2 => crate::engine::config::MigrationPolicy::Downgrade,
                            _ => crate::engine::config::MigrationPolicy::Bidirectional,
                        }
                }
                _ => return Err(unknown_field(P, tag)),
            }
        }
        Ok(())
    }

    fn get_topic(r: &mut R, t: &mut TopicConfig, p: &str) -> Result<(), Fail> {
        let mut last = 0;
        while let Some(tag) = r.tag(p, &mut last)? {
            match tag {
                1 => t.name = r.text(p, "name")?,
                2 => t.partitions = r.bounded(p, "partitions")?,
                3 => t.replication_factor = r.bounded(p, "replication_factor")?,
                4 => t.min_insync_replicas = r.bounded(p, "min_insync_replicas")?,
                _ => return Err(unknown_field(p, tag)),
            }
        }
        Ok(())
    }

    fn get_producer(r: &mut R, c: &mut ProducerConfig, p: &str) -> Result<(), Fail> {
        let mut last = 0;
        while let Some(tag) = r.tag(p, &mut last)? {
            match tag {
                1 => c.client_id = r.text(p, "client_id")?,
                2 => {
                    c.acks = match r.code(p, "acks", 3)? {
                        0 => Acks::Zero,
                        1 => Acks::One,
                        _ => Acks::All,
                    }
                }
                3 => c.batch_size = r.bounded(p, "batch_size")?,
                4 => c.linger_ms = r.bounded(p, "linger_ms")?,
                5 => c.retries = r.bounded(p, "retries")?,
                6 => c.retry_backoff_ms = r.bounded(p, "retry_backoff_ms")?,
                7 => c.retry_backoff_max_ms = r.bounded(p, "retry_backoff_max_ms")?,
                8 => c.request_timeout_ms = r.bounded(p, "request_timeout_ms")?,
                9 => c.delivery_timeout_ms = r.bounded(p, "delivery_timeout_ms")?,
                10 => {
                    c.max_in_flight_requests_per_connection =
                        r.bounded(p, "max_in_flight_requests_per_connection")?
                }
                11 => {
                    c.enable_idempotence = match r.code(p, "enable_idempotence", 3)? {
                        0 => None,
                        1 => Some(false),
                        _ => Some(true),
                    }
                }
                12 => c.transactional_id = r.opt_text(p, "transactional_id")?,
                13 => c.transaction_timeout_ms = r.bounded(p, "transaction_timeout_ms")?,
                14 => c.records_per_transaction = r.bounded(p, "records_per_transaction")?,
                15 => get_workload(r, &mut c.workload, &format!("{p}.workload"))?,
                _ => return Err(unknown_field(p, tag)),
            }
        }
        Ok(())
    }

    fn get_workload(r: &mut R, w: &mut Workload, p: &str) -> Result<(), Fail> {
        let mut last = 0;
        while let Some(tag) = r.tag(p, &mut last)? {
            match tag {
                1 => w.topic = r.text(p, "topic")?,
                2 => w.records = r.bounded(p, "records")?,
                3 => w.interval_ms = r.bounded(p, "interval_ms")?,
                4 => {
                    w.keys = match r.code(p, "keys", 3)? {
                        0 => KeyMode::Null,
                        1 => KeyMode::EventId,
                        _ => {
                            let n = r.count(p, "keys", MAX_LIST_ITEMS, 1)?;
                            let mut keys = Vec::with_capacity(n);
                            for _ in 0..n {
                                keys.push(r.text(p, "keys")?);
                            }
                            KeyMode::Cycle(keys)
                        }
                    }
                }
                5 => w.start_ms = r.bounded(p, "start_ms")?,
                _ => return Err(unknown_field(p, tag)),
            }
        }
        Ok(())
    }

    fn get_group(r: &mut R, g: &mut GroupConfig, p: &str) -> Result<(), Fail> {
        let mut last = 0;
        while let Some(tag) = r.tag(p, &mut last)? {
            match tag {
                1 => g.group_id = r.text(p, "group_id")?,
                2 => {
                    let n = r.count(p, "topics", MAX_LIST_ITEMS, 1)?;
                    let mut topics = Vec::with_capacity(n);
                    for _ in 0..n {
                        topics.push(r.text(p, "topics")?);
                    }
                    g.topics = topics;
                }
                3 => {
                    let n = r.count(p, "partition_assignment_strategy", MAX_LIST_ITEMS, 1)?;
                    let mut list = Vec::with_capacity(n);
                    for _ in 0..n {
                        list.push(match r.code(p, "partition_assignment_strategy", 4)? {
                            0 => AssignorKind::Range,
                            1 => AssignorKind::Roundrobin,
                            2 => AssignorKind::Sticky,
                            _ => AssignorKind::CooperativeSticky,
                        });
                    }
                    g.partition_assignment_strategy = list;
                }
                4 => g.session_timeout_ms = r.bounded(p, "session_timeout_ms")?,
                5 => g.heartbeat_interval_ms = r.bounded(p, "heartbeat_interval_ms")?,
                6 => g.max_poll_interval_ms = r.bounded(p, "max_poll_interval_ms")?,
                7 => g.auto_commit_interval_ms = r.bounded(p, "auto_commit_interval_ms")?,
                8 => {
                    g.auto_offset_reset = match r.code(p, "auto_offset_reset", 3)? {
                        0 => AutoOffsetReset::Earliest,
                        1 => AutoOffsetReset::Latest,
                        _ => AutoOffsetReset::None,
                    }
                }
                9 => {
                    g.isolation_level = match r.code(p, "isolation_level", 2)? {
                        0 => IsolationLevel::ReadUncommitted,
                        _ => IsolationLevel::ReadCommitted,
                    }
                }
                10 => {
                    g.commit_mode = match r.code(p, "commit_mode", 4)? {
                        0 => CommitMode::Auto,
                        1 => CommitMode::BeforeProcessing,
                        2 => CommitMode::AfterProcessing,
                        _ => CommitMode::Transactional,
                    }
                }
                11 => g.processing_time_ms = r.bounded(p, "processing_time_ms")?,
                12 => g.max_poll_records = r.bounded(p, "max_poll_records")?,
                13 => g.fetch_max_wait_ms = r.bounded(p, "fetch_max_wait_ms")?,
                14 => g.consumers = r.bounded(p, "consumers")?,
                15 => g.static_membership = r.bool(p, "static_membership")?,
                16 => g.output_topic = r.opt_text(p, "output_topic")?,
                17 => g.restart_after_ms = r.bounded(p, "restart_after_ms")?,
                18 => {
                    g.group_protocol = match r.code(p, "group_protocol", 2)? {
                        0 => GroupProtocol::Classic,
                        _ => GroupProtocol::Consumer,
                    }
                }
                19 => {
                    g.group_remote_assignor = match r.code(p, "group_remote_assignor", 3)? {
                        0 => None,
                        1 => Some(ServerAssignorKind::Uniform),
                        _ => Some(ServerAssignorKind::Range),
                    }
                }
                _ => return Err(unknown_field(p, tag)),
            }
        }
        Ok(())
    }

    fn get_script_entry(r: &mut R, last_key: &mut Option<String>) -> Result<ScriptEntry, Fail> {
        const P: &str = "config.script";
        let trigger = match r.code(P, "trigger", 3)? {
            0 => Trigger::AtMs {
                ms: r.varint(P, "at_ms")?,
            },
            1 => Trigger::AfterAcks {
                producer: ProducerIdx(r.bounded(P, "producer")?),
                count: r.varint(P, "count")?,
            },
            _ => Trigger::AfterProcessed {
                count: r.varint(P, "count")?,
            },
        };
        let command = get_command(r, P, last_key)?;
        Ok(ScriptEntry { trigger, command })
    }

    fn get_command(r: &mut R, p: &str, last_key: &mut Option<String>) -> Result<Command, Fail> {
        let at = r.pos;
        let tag = r.varint(p, "command")?;
        let producer = |r: &mut R| r.bounded(p, "producer").map(ProducerIdx);
        let broker = |r: &mut R| r.bounded(p, "broker").map(BrokerId);
        let consumer = |r: &mut R| r.bounded(p, "consumer").map(ConsumerIdx);
        Ok(match tag {
            PRODUCE_TAG..=63 => {
                let mask = tag & 31;
                if mask & 2 != 0 && mask & 16 != 0 {
                    return Err(malformed(
                        p,
                        "produce",
                        "a key both given and predicted",
                        at,
                    ));
                }
                let producer = producer(r)?;
                let opt_text = |r: &mut R, bit: u64, field: &str| {
                    if mask & bit != 0 {
                        r.text(p, field).map(Some)
                    } else {
                        Ok(None)
                    }
                };
                let topic = opt_text(r, 1, "topic")?;
                let mut key = opt_text(r, 2, "key")?;
                if mask & 16 != 0 {
                    let Some(last) = last_key.as_deref() else {
                        return Err(malformed(p, "produce", "no previous key to follow", at));
                    };
                    key = Some(next_key(last));
                }
                if key.is_some() {
                    last_key.clone_from(&key);
                }
                let value = opt_text(r, 4, "value")?;
                let partition = if mask & 8 != 0 {
                    Some(r.bounded(p, "partition")?)
                } else {
                    None
                };
                Command::Produce {
                    producer,
                    topic,
                    key,
                    value,
                    partition,
                }
            }
            2 => Command::CrashLeader {
                topic: r.text(p, "topic")?,
                partition: r.bounded(p, "partition")?,
            },
            3 => Command::StallFollowers {
                topic: r.text(p, "topic")?,
                partition: r.bounded(p, "partition")?,
                ms: r.bounded(p, "ms")?,
            },
            4 => Command::RestartCrashedBrokers,
            5 => Command::CrashBroker { broker: broker(r)? },
            6 => Command::RestartBroker { broker: broker(r)? },
            7 => Command::SlowBroker {
                broker: broker(r)?,
                extra_ms: r.bounded(p, "extra_ms")?,
            },
            8 => Command::DropNextProduceResponse {
                producer: producer(r)?,
            },
            9 => Command::AddConsumer {
                group: GroupIdx(r.bounded(p, "group")?),
            },
            10 => Command::StopConsumer {
                consumer: consumer(r)?,
            },
            11 => Command::CrashConsumer {
                consumer: consumer(r)?,
                point: match r.code(p, "crash point", 4)? {
                    0 => CrashPoint::AfterPoll,
                    1 => CrashPoint::AfterProcess,
                    2 => CrashPoint::AfterCommit,
                    _ => CrashPoint::Now,
                },
            },
            12 => Command::RestartConsumer {
                consumer: consumer(r)?,
            },
            13 => Command::SetProcessingTime {
                consumer: consumer(r)?,
                processing_time_ms: r.bounded(p, "processing_time_ms")?,
            },
            14 => Command::CrashProducer {
                producer: producer(r)?,
            },
            15 => Command::StartProducerInstance {
                producer: producer(r)?,
            },
            16 => Command::EndTransaction {
                producer: producer(r)?,
                commit: r.bool(p, "commit")?,
            },
            17 => Command::BeginTransaction {
                producer: producer(r)?,
            },
            18 => Command::Note {
                text: r.text(p, "note")?,
            },
            19 => Command::ProcessingRaises {
                consumer: consumer(r)?,
            },
            #[cfg(not(consumer_protocol))]
            20 => return Err(full_page_only("a restart with another group.protocol")),
            #[cfg(consumer_protocol)]
            20 => Command::RestartConsumerWith {
                consumer: consumer(r)?,
                group_protocol: match r.code(p, "group_protocol", 2)? {
                    0 => GroupProtocol::Classic,
                    _ => GroupProtocol::Consumer,
                },
            },
            _ => return Err(newer(&format!("command #{tag} in {p}"))),
        })
    }

    fn get_view(r: &mut R) -> Result<LinkView, Fail> {
        const P: &str = "view";
        let mut v = LinkView::default();
        let mut last = 0;
        while let Some(tag) = r.tag(P, &mut last)? {
            match tag {
                1 => v.embed = r.bool(P, "embed")?,
                2 => v.autoplay = r.bool(P, "autoplay")?,
                3 => v.lesson = r.opt_text(P, "lesson")?,
                _ => return Err(unknown_field(P, tag)),
            }
        }
        Ok(v)
    }
}
