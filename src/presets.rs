//! Ready-made scenarios that reproduce the textbook cases, each with its own
//! narration (scripted notes) and the outcome it is meant to show — which the
//! tests check, so a preset can never silently stop demonstrating its point.

use crate::engine::config::ScenarioConfig;

#[cfg(not(target_arch = "wasm32"))]
pub mod build;
mod table;

#[cfg(not(target_arch = "wasm32"))]
pub use build::semantics_config;
use table::TABLE;

/// What a preset must demonstrate (checked by `tests/presets.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every message processed exactly once.
    AllProcessedOnce,
    /// At least one acknowledged message is lost (its copies vanish).
    AckedRecordLost,
    /// The producer sees NOT_ENOUGH_REPLICAS, then everything is delivered.
    NotEnoughReplicasThenDelivered,
    /// A producer retry writes a duplicate that is processed twice.
    DuplicateFromRetry,
    /// The broker drops the retried duplicate; processed once.
    DuplicateDropped,
    /// An outage longer than delivery.timeout.ms: the idempotent producer
    /// bumps its epoch (KIP-360); only the expired records are lost.
    OutageEpochBump,
    /// Per-producer latency differs by acks: acks=0 < acks=1 < acks=all.
    LatencyOrderedByAcks,
    /// Every consumer of group 0 owns partitions, some more than one.
    ConsumersShareAllPartitions,
    /// At least one consumer of group 0 is idle; every partition has an owner.
    SomeConsumerIdle,
    /// Every group processes every message once, with its own offsets.
    GroupsIndependent,
    /// A member joins: the rebalance completes and the new member owns partitions.
    JoinRebalances,
    /// A rolling bounce converts the classic group into a consumer group
    /// once; every member ends on the consumer protocol; nothing is lost.
    RollingUpgrade,
    /// A crashed member is removed after session.timeout.ms; its partitions move.
    SessionTimeoutMovesPartitions,
    /// A poll timeout leads to CommitFailed and a record processed twice.
    PollTimeoutDuplicates,
    /// The delivery-semantics outcome: (lost ≥ 1?, duplicated ≥ 1?).
    Semantics { lost: bool, duplicated: bool },
    /// read_committed sees only committed records; read_uncommitted sees all.
    AbortedInvisibleToReadCommitted,
    /// Group 0 (at-least-once) loses a record to its acks=1 producer; group 1
    /// (at-most-once) processes a producer retry's duplicate.
    ProducerBreaksConsumerPromise,
    /// A hanging transaction holds read_committed readers at the last
    /// stable offset until `transaction.timeout.ms` aborts it; the stalled
    /// instance's late commit is fenced.
    HangingTransactionHoldsLso,
    /// The older instance is fenced (PRODUCER_FENCED) and its transaction aborted.
    ZombieFenced,
    /// topic1 and topic2 get a committed pair and an aborted pair.
    TwoTopicTransaction,
    /// After a failover, leadership of events-0 returns to its preferred
    /// replica in a preferred-leader election; everything processed once.
    PreferredLeaderReturns,
    /// Clients learn each leader move from a failed request (a closed
    /// connection, NOT_LEADER_OR_FOLLOWER) and a Metadata refresh, then
    /// resend to the new leader; everything processed once.
    MetadataRefreshFailover,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub id: &'static str,
    /// Empty in the wasm build, like `summary`: read it with [`title`].
    pub title: &'static str,
    /// One line, for menus and `kafkascope presets`. Empty in the wasm
    /// build: the page reads it from `static/presets.txt` ([`summary_in`]).
    pub summary: &'static str,
    pub config: ScenarioConfig,
    pub expect: Expect,
    /// Side-by-side comparison: (label, scenario) per lane, the first being
    /// `config` itself. Empty for an ordinary single-lane preset.
    pub lanes: Vec<(&'static str, ScenarioConfig)>,
}

/// One row of the generated preset table.
struct Entry {
    id: &'static str,
    title: &'static str,
    summary: &'static str,
    expect: Expect,
    /// The scenario as a v1 link fragment.
    config: &'static str,
    lanes: &'static [(&'static str, &'static str)],
    /// The narration notes, which the scenarios refer to by index.
    notes: &'static [&'static str],
    /// It needs Kafka 4's consumer protocol: in the course page's bundle
    /// only its menu entry is kept (see [`needs_full_page`]).
    full_page: bool,
}

/// Marks a note the wasm build's table leaves out: `¶id#N` stands for note
/// N of preset `id`, whose text is the line `id#N` of `static/presets.txt`
/// (see [`note_text`]).
pub const NOTE_REF: char = '¶';

impl Entry {
    /// Scenario `key` ("c", or lane N's "lN") from its link `fragment`: the
    /// table's natively; in the page, whose table leaves the scenarios out
    /// of the first load, the fetched presets.txt's `id#key` line.
    fn scenario(&self, fragment: &str, key: &str, text: &str) -> Option<ScenarioConfig> {
        let fragment = match fragment {
            "" => line_in(text, self.id, &format!("#{key}\t"))?,
            f => f,
        };
        let crate::link::LinkScenario::Custom(mut c) =
            crate::link::decode(fragment, crate::link::NO_PRESETS)
                .ok()?
                .scenario
        else {
            return None;
        };
        for entry in c.script.iter_mut() {
            if let crate::engine::command::Command::Note { text } = &mut entry.command {
                let i = text.parse::<usize>().ok()?;
                *text = match self.notes.get(i) {
                    Some(note) => note.to_string(),
                    // (The page's build: the note waits in presets.txt.)
                    None => format!("{NOTE_REF}{}#{i}", self.id),
                };
            }
        }
        Some(c)
    }
}

impl Entry {
    fn preset(&self) -> Option<Preset> {
        self.preset_in(&TEXT.with(|t| t.borrow().clone()), true)
    }

    /// The preset, its scenarios read from the table (where `table` and it
    /// has them) or else from presets.txt's `text`.
    fn preset_in(&self, text: &str, table: bool) -> Option<Preset> {
        // (A build without Kafka 4's consumer protocol runs none of its
        // presets, though presets.txt carries their scenarios.)
        if self.full_page && !cfg!(consumer_protocol) {
            return None;
        }
        let pick = |f: &'static str| if table { f } else { "" };
        Some(Preset {
            id: self.id,
            title: self.title,
            summary: self.summary,
            config: self.scenario(pick(self.config), "c", text)?,
            expect: self.expect,
            lanes: self
                .lanes
                .iter()
                .enumerate()
                .map(|(i, (label, c))| {
                    Some((*label, self.scenario(pick(c), &format!("l{i}"), text)?))
                })
                .collect::<Option<Vec<_>>>()?,
        })
    }
}

/// Preset `id` with its scenarios read from presets.txt's `text` alone, as
/// the page reads them (`tests/presets.rs` checks it against the table).
#[cfg(not(target_arch = "wasm32"))]
pub fn by_id_in(text: &str, id: &str) -> Option<Preset> {
    TABLE.iter().find(|e| e.id == id)?.preset_in(text, false)
}

/// The page's copy of `presets.txt` (empty until it has arrived; a lone
/// newline if it could not be loaded).
pub fn text() -> std::rc::Rc<str> {
    TEXT.with(|t| t.borrow().clone())
}

/// Whether the page has presets.txt, which holds the presets' scenarios:
/// `None` while it is on its way, `Some(false)` if it could not be loaded.
pub fn text_state() -> Option<bool> {
    TEXT.with(|t| match &**t.borrow() {
        "" => None,
        t => Some(t != "\n"),
    })
}

/// Every preset, in menu order. (`tests/presets.rs` checks that each
/// decodes, and to exactly what `build` makes.)
pub fn all() -> Vec<Preset> {
    TABLE.iter().filter_map(Entry::preset).collect()
}

/// (id, title) of every preset, in menu order, without building them.
pub fn menu() -> impl Iterator<Item = (&'static str, String)> {
    TABLE.iter().map(|e| (e.id, title(e.id)))
}

/// Preset `id`'s title: the table's natively; in the page, whose table
/// leaves titles out of the first load, its `id#t` line in the fetched
/// `presets.txt`, and the id itself until that has arrived.
pub fn title(id: &str) -> String {
    match TABLE.iter().find(|e| e.id == id) {
        Some(e) if !e.title.is_empty() => e.title.into(),
        _ => TEXT.with(|t| line_in(&t.borrow(), id, "#t\t").unwrap_or(id).into()),
    }
}

/// Whether there is a preset `id` (the page may still be waiting for its
/// scenario, see [`by_id`]).
pub fn is_known(id: &str) -> bool {
    TABLE.iter().any(|e| e.id == id)
}

/// Whether preset `id` uses Kafka 4's consumer protocol, in a group's
/// settings or a restart's (build.rs decides): the web runs it on the full
/// page (`full/`), whatever this build carries (`presets --json` says so).
pub fn is_full_page(id: &str) -> bool {
    TABLE.iter().any(|e| e.id == id && e.full_page)
}

/// Whether preset `id` runs on the full page (`full/`) rather than this
/// bundle, which lacks Kafka 4's consumer protocol (build.rs).
pub fn needs_full_page(id: &str) -> bool {
    // (The same test as `is_full_page`, written out: the course page's
    // bundle is budgeted to the byte.)
    cfg!(not(consumer_protocol)) && TABLE.iter().any(|e| e.id == id && e.full_page)
}

/// Preset `id`'s summary in `static/presets.txt` (`text`), which the page
/// fetches as it starts: the wasm build's table leaves the summaries out,
/// so they are not part of the first load.
pub fn summary_in<'a>(text: &'a str, id: &str) -> Option<&'a str> {
    line_in(text, id, "\t")
}

/// The rest of `text`'s line that starts with `id` and then `tail`.
fn line_in<'a>(text: &'a str, id: &str, tail: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(id)?.strip_prefix(tail))
}

thread_local! {
    /// The page's copy of `static/presets.txt`, once it has arrived.
    static TEXT: std::cell::RefCell<std::rc::Rc<str>> = std::cell::RefCell::new("".into());
}

/// Keeps the fetched `static/presets.txt`, which [`note_text`] reads.
pub fn set_text(text: std::rc::Rc<str>) {
    TEXT.with(|t| *t.borrow_mut() = text);
}

/// What a script's note says: its own text, or for a reference to a note
/// the wasm build left out ([`NOTE_REF`]) that note's line in the fetched
/// `presets.txt` (empty until it has arrived; a sentence that says so if it
/// could not be loaded).
pub fn note_text(text: &str) -> String {
    match text.strip_prefix(NOTE_REF) {
        None => text.to_string(),
        Some(key) => TEXT.with(|t| {
            let t = t.borrow();
            match summary_in(&t, key) {
                Some(note) => note.to_string(),
                None if t.is_empty() => String::new(),
                // (The file failed to load, or is older than this page.)
                None => "(This scenario's note could not be loaded: presets.txt is missing beside the page.)".into(),
            }
        }),
    }
}

pub fn by_id(id: &str) -> Option<Preset> {
    TABLE.iter().find(|e| e.id == id)?.preset()
}

/// A preset's configuration by id: the lookup the link codec is handed
/// (`link::decode(text, &presets::config_by_id)`).
pub fn config_by_id(id: &str) -> Option<ScenarioConfig> {
    by_id(id).map(|p| p.config)
}
