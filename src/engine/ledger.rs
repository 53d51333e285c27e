//! The delivery ledger: the referee for every delivery-semantics claim.
//!
//! For each logical message (its `event_id`) the ledger records how many
//! times the producer tried to send it, every copy that was appended to a
//! partition log (and whether that copy later vanished in a truncation), and
//! how many times each consumer group processed it. From that it classifies
//! the message, per group, as **processed once**, **duplicated** (processed
//! more than once), **lost** (it can no longer be processed: no copy
//! survives, or the group's committed offset moved past every copy without
//! processing it) or **in flight**. At-most-once may lose but never
//! duplicate; at-least-once may duplicate but never lose; exactly-once must
//! do neither: the sweep tests check exactly that.

use crate::engine::cow_vec::CowVec;
use crate::engine::event::EventKind;
use crate::engine::ids::*;
use crate::engine::record::{RecordData, RecordKind};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    pub tp: Tp,
    pub offset: Offset,
    /// Leader epoch of the append: a truncation removes (offset, epoch).
    pub epoch: LeaderEpoch,
    pub record: RecordId,
    pub vanished: bool,
}

/// One message's history. How many times each group processed it is kept
/// beside the entries (see [`Ledger::times_processed`]), not in them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
// Natively one cache line an entry: a message's send, append and
// acknowledgement reach its entry long after it was created (the producer
// creates ahead of what it sends), one miss each unless they share a line.
#[cfg_attr(engine_speed, repr(align(64)))]
pub struct LedgerEntry {
    pub event_id: EventId,
    pub record: Option<RecordId>,
    pub producer: Option<ProducerIdx>,
    pub send_attempts: u32,
    pub copies: Copies,
    pub acked: bool,
    pub failed: bool,
    /// Every copy belongs to an aborted transaction.
    pub aborted: bool,
}

impl LedgerEntry {
    pub fn live_copies(&self) -> impl Iterator<Item = &Copy> {
        self.copies.iter().filter(|c| !c.vanished)
    }
}

/// How a message fared for one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    ProcessedOnce,
    Duplicated,
    Lost,
    InFlight,
    /// Written in a transaction that aborted, and (rightly) never processed.
    Aborted,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::ProcessedOnce => "processed once",
            Verdict::Duplicated => "duplicated",
            Verdict::Lost => "lost",
            Verdict::InFlight => "in flight",
            Verdict::Aborted => "aborted",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub produced: u64,
    pub processed_once: u64,
    pub duplicated: u64,
    pub lost: u64,
    pub in_flight: u64,
    /// Copies appended more than once (producer-side duplicates).
    pub duplicate_writes: u64,
    /// Acknowledged messages whose every copy vanished.
    pub acked_then_lost: u64,
    /// Messages of aborted transactions nobody processed (not counted in
    /// `produced`: the producer chose not to deliver them).
    pub aborted: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ledger {
    /// One entry per logical message, in creation order.
    entries: CowVec<LedgerEntry>,
    /// Record id → index into `entries` (`u32::MAX` for internal records).
    /// Dense and indexed, because every stage event looks records up.
    by_record: RecordIndex,
    /// Event id → index into `entries`: one dense vector a producer (ids are `producer × 1,000,000 + n`).
    by_event: Vec<CowVec<u32>>,
    /// Natively, producer 0's events `0..event_run` are entries `0..event_run`, not stored (`set_event`).
    #[cfg(engine_speed)]
    event_run: usize,
    /// Times processed, per group, then per entry (as far as the last entry the group processed).
    /// Dense and apart from the entries: a consumer processes records produced long before, and
    /// reading and counting each one in its entry was a cache miss per record.
    processed: Vec<CowVec<u32>>,
    /// Processing inside an open transaction, per group, then per entry (counted on commit).
    pending_txn: Vec<CowVec<u32>>,
}

/// (producer, n) of an event id (see `by_event`).
fn split_event(e: EventId) -> (usize, usize) {
    ((e.0 / 1_000_000) as usize, (e.0 % 1_000_000) as usize)
}

/// Cell (`a`, `b`) of a table of dense vectors (`by_event` and the
/// per-group counts), if it has one.
#[inline(always)]
fn cell(table: &[CowVec<u32>], a: usize, b: usize) -> Option<u32> {
    table.get(a)?.get(b).copied()
}

/// Cell (`a`, `b`), made room for: new cells hold `fill`.
fn cell_mut(table: &mut Vec<CowVec<u32>>, a: usize, b: usize, fill: u32) -> &mut u32 {
    if table.len() <= a {
        table.resize_with(a + 1, CowVec::new);
    }
    let v = &mut table[a];
    if v.len() <= b {
        v.resize(b + 1, fill);
    }
    &mut v[b]
}

/// Group `g`'s count for entry `i` in a per-group table (0 if none).
#[inline(always)]
fn count(table: &[CowVec<u32>], g: GroupIdx, i: u32) -> u32 {
    cell(table, g.0 as usize, i as usize).unwrap_or(0)
}

/// Group `g`'s count for entry `i`, made room for.
#[inline(always)]
fn count_mut(table: &mut Vec<CowVec<u32>>, g: GroupIdx, i: u32) -> &mut u32 {
    cell_mut(table, g.0 as usize, i as usize, 0)
}

impl Ledger {
    #[cfg(not(engine_speed))] // (natively at the end: with `event_run`)
    fn event_index(&self, e: EventId) -> Option<u32> {
        let (p, n) = split_event(e);
        cell(&self.by_event, p, n).filter(|i| *i != u32::MAX)
    }

    pub fn entries(&self) -> impl Iterator<Item = &LedgerEntry> {
        self.entries.iter()
    }

    #[cfg_attr(engine_speed, inline)]
    pub fn entry(&self, e: EventId) -> Option<&LedgerEntry> {
        self.event_index(e).map(|i| &self.entries[i as usize])
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[cfg_attr(engine_speed, inline)]
    pub fn times_processed(&self, e: EventId, g: GroupIdx) -> u32 {
        self.event_index(e)
            .map_or(0, |i| count(&self.processed, g, i))
    }

    /// The entry of record `r`'s message. A producer's record is found
    /// through the dense record index, without reading the record itself:
    /// a consumer processes records produced long before, and in a long run
    /// that read was a cache miss per record. A transformed copy (not in
    /// the index) goes through the event it came from, as before.
    #[cfg(engine_speed)]
    #[inline(always)]
    fn index_of(&self, r: RecordId, records: &CowVec<RecordData>) -> Option<u32> {
        match self.by_record.get(r.0 as usize).map(|i| *i) {
            Some(i) if i != u32::MAX => {
                debug_assert_eq!(
                    self.event_index(records[r.0 as usize].event_id),
                    Some(i),
                    "a record's entry is its event's"
                );
                Some(i)
            }
            _ => self.event_index(records[r.0 as usize].event_id),
        }
    }

    /// The page finds every entry through the record's event (the least
    /// code: its bundle is budgeted, and its runs are short).
    #[cfg(not(engine_speed))]
    fn index_of(&self, r: RecordId, records: &CowVec<RecordData>) -> Option<u32> {
        self.event_index(records[r.0 as usize].event_id)
    }

    /// How many times `g` has processed record `r`'s message (a
    /// transformed copy counts for its source).
    pub fn times_processed_record(
        &self,
        r: RecordId,
        g: GroupIdx,
        records: &CowVec<RecordData>,
    ) -> u32 {
        self.index_of(r, records)
            .map_or(0, |i| count(&self.processed, g, i))
    }

    #[cfg_attr(engine_speed, inline(always))]
    fn entry_for(&mut self, r: RecordId) -> Option<&mut LedgerEntry> {
        let i = *self.by_record.get(r.0 as usize)?;
        self.entries.get_mut(i as usize)
    }

    /// Whether the ledger reads events of `kind`: most events (every message) are not the
    /// ledger's business. On the page `observe` acts on all of these; natively `Engine::emit`
    /// asks [`Ledger::observes`] first. Debug builds check it against `observe`'s arms.
    #[inline(always)]
    pub(crate) fn reads(kind: &EventKind) -> bool {
        matches!(
            kind,
            EventKind::Created { .. }
                | EventKind::Sent { .. }
                | EventKind::Appended { .. }
                | EventKind::Truncated { .. }
                | EventKind::Acked { .. }
                | EventKind::ProduceFailed {
                    retry_in_ms: None,
                    ..
                }
                | EventKind::Processed { .. }
        )
    }

    /// Updates the ledger from one engine event.
    #[cfg_attr(engine_speed, inline(never))]
    pub(crate) fn observe(&mut self, kind: &EventKind, records: &CowVec<RecordData>) {
        let observed = Self::reads(kind);
        match kind {
            #[cfg(engine_speed)] // Created, Processed; the batches a leaf at a time.
            _ if self.observe_native(kind, records, observed) => return,
            EventKind::Created { record, producer } => {
                let r = &records[record.0 as usize];
                if r.kind != RecordKind::Data {
                    return;
                }
                let idx = self.entries.len() as u32;
                if self.by_record.len() <= record.0 as usize {
                    self.by_record.resize(record.0 as usize + 1, u32::MAX);
                }
                self.by_record[record.0 as usize] = idx;
                let (p, n) = split_event(r.event_id);
                set_index(&mut self.by_event, p, n, idx);
                self.entries.push(LedgerEntry {
                    event_id: r.event_id,
                    record: Some(*record),
                    producer: Some(*producer),
                    ..Default::default()
                });
            }
            EventKind::Sent { records: rs, .. } => {
                for r in rs {
                    if let Some(e) = self.entry_for(*r) {
                        e.send_attempts += 1;
                    }
                }
            }
            EventKind::Appended {
                tp,
                records: rs,
                first,
                epoch,
                ..
            } => {
                for (i, r) in rs.iter().enumerate() {
                    if let Some(e) = self.entry_for(*r) {
                        // Nearly every message has one copy: room for one,
                        // not the four a first `push` makes room for (a
                        // 100k-record run keeps 100k of these).
                        room_for_one(&mut e.copies);
                        e.copies.push(Copy {
                            tp: *tp,
                            offset: Offset(first.0 + i as i64),
                            epoch: *epoch,
                            record: *r,
                            vanished: false,
                        });
                    }
                }
            }
            EventKind::Truncated { tp, removed, .. } => {
                for (offset, r, epoch) in removed {
                    let Some(r) = r else { continue };
                    if let Some(e) = self.entry_for(*r) {
                        for c in e.copies.iter_mut() {
                            if c.tp == *tp && c.offset == *offset && c.epoch == *epoch {
                                c.vanished = true;
                            }
                        }
                    }
                }
            }
            EventKind::Acked { records: rs, .. } => {
                for r in rs {
                    if let Some(e) = self.entry_for(*r) {
                        e.acked = true;
                    }
                }
            }
            EventKind::ProduceFailed {
                records: rs,
                retry_in_ms: None,
                ..
            } => {
                for r in rs {
                    if let Some(e) = self.entry_for(*r) {
                        e.failed = true;
                    }
                }
            }
            EventKind::Processed {
                record,
                group,
                transactional,
                ..
            } => {
                // A transformed copy counts for the event it came from.
                if let Some(i) = self.index_of(*record, records) {
                    let table = if *transactional {
                        &mut self.pending_txn
                    } else {
                        &mut self.processed
                    };
                    count_one(table, *group, i);
                }
            }
            _ => {
                debug_assert!(
                    !observed,
                    "Ledger::observes lists {kind:?}, which observe ignores"
                );
                return;
            }
        }
        debug_assert!(observed, "Ledger::observes must list {kind:?}");
    }

    /// An ABORT marker: this record's transaction will never be visible to
    /// `read_committed` readers.
    pub(crate) fn mark_aborted(&mut self, r: RecordId) {
        if let Some(e) = self.entry_for(r) {
            e.aborted = true;
        }
    }

    /// A transaction marker settles one exactly-once output: it counts as
    /// processing its source if the transaction committed.
    pub(crate) fn settle_output(&mut self, source: EventId, group: GroupIdx, commit: bool) {
        if let Some(i) = self.event_index(source) {
            if count(&self.pending_txn, group, i) > 0 {
                *count_mut(&mut self.pending_txn, group, i) -= 1;
            }
            if commit {
                *count_mut(&mut self.processed, group, i) += 1;
            }
        }
    }

    /// The verdict for one message and group, given where the group's
    /// committed offsets stand (`committed(tp)`) and whether the producer is
    /// still trying (`retrying`).
    pub fn verdict(
        &self,
        e: &LedgerEntry,
        group: GroupIdx,
        committed: impl Fn(Tp) -> Option<Offset>,
    ) -> Verdict {
        let n = self.times_processed(e.event_id, group);
        if n >= 2 {
            return Verdict::Duplicated;
        }
        if n == 1 {
            // A second live copy not yet passed by the committed offset will
            // be processed again: count it as a duplicate once it is.
            return Verdict::ProcessedOnce;
        }
        let pending = self
            .event_index(e.event_id)
            .map_or(0, |i| count(&self.pending_txn, group, i));
        if pending > 0 {
            // Processed inside an open transaction: the position has moved
            // past it, but the outcome is decided by the commit or abort.
            return Verdict::InFlight;
        }
        if e.aborted {
            return Verdict::Aborted;
        }
        let none_live = e.live_copies().next().is_none();
        if e.failed && none_live {
            return Verdict::Lost;
        }
        if !e.copies.is_empty() && none_live && (e.acked || e.failed) {
            return Verdict::Lost;
        }
        // Every live copy is behind the committed offset: passed over,
        // never to be processed.
        if !none_live
            && e.live_copies()
                .all(|c| committed(c.tp).is_some_and(|o| o > c.offset))
        {
            return Verdict::Lost;
        }
        Verdict::InFlight
    }
}

impl crate::engine::sim::Engine {
    /// The verdict for every message, for one group.
    pub fn verdicts(&self, group: GroupIdx) -> Vec<(EventId, Verdict)> {
        self.ledger
            .entries()
            .filter_map(|e| self.verdict_of(e.event_id, group).map(|v| (e.event_id, v)))
            .collect()
    }

    /// The verdict for one message and group.
    pub fn verdict_of(&self, event: EventId, group: GroupIdx) -> Option<Verdict> {
        let e = self.ledger.entry(event)?;
        let g = self.groups.get(group.0 as usize)?;
        // A group answers only for the topics it reads: a message on another
        // topic is neither in flight nor lost for it.
        if let Some(r) = e.record {
            let name = &self.topic(self.records[r.0 as usize].topic).name;
            if !self.cfg.groups[group.0 as usize]
                .topics
                .iter()
                .any(|t| t == name)
            {
                return None;
            }
        }
        let frontier = |tp: Tp| -> Option<Offset> {
            let committed = g.committed.get(&tp).copied();
            let position = self
                .consumers
                .iter()
                .filter(|c| c.alive && c.group == group && c.assignment.contains(&tp))
                .filter_map(|c| {
                    // Records fetched or polled but not yet processed are
                    // still going to be processed: the frontier is the
                    // oldest of them, not the fetch position.
                    let buffered = c.fetched.get(&tp).and_then(|q| q.front()).map(|l| l.offset);
                    let current = c.current.iter().find(|(t, _, _)| *t == tp).map(|x| x.2);
                    let pos = c.positions.get(&tp).copied()?;
                    Some(
                        [buffered, current]
                            .into_iter()
                            .flatten()
                            .fold(pos, Offset::min),
                    )
                })
                .max();
            committed.max(position)
        };
        let mut v = self.ledger.verdict(e, group, frontier);
        if v == Verdict::Lost && e.producer.is_some_and(|p| self.producer_holds(p, e.record)) {
            v = Verdict::InFlight;
        }
        // Passed by the committed offset, yet a live member of the group
        // still holds it, polled or fetched (at-most-once commits before it
        // processes): it is lost only if that member dies first.
        if v == Verdict::Lost && self.consumer_holds(group, e) {
            v = Verdict::InFlight;
        }
        Some(v)
    }

    fn consumer_holds(&self, group: GroupIdx, e: &LedgerEntry) -> bool {
        e.live_copies().any(|c| {
            self.consumers.iter().any(|k| {
                k.alive
                    && k.group == group
                    && (k
                        .current
                        .iter()
                        .any(|&(t, _, o)| t == c.tp && o == c.offset)
                        || k.fetched
                            .get(&c.tp)
                            .is_some_and(|q| q.iter().any(|l| l.offset == c.offset)))
            })
        })
    }

    fn producer_holds(&self, p: ProducerIdx, r: Option<RecordId>) -> bool {
        let Some(r) = r else { return false };
        self.producers[p.0 as usize].acc.holds(r)
    }

    /// Summary counts for one group (see [`Verdict`]).
    pub fn delivery_summary(&self, group: GroupIdx) -> Summary {
        let mut s = Summary::default();
        for (ev, v) in self.verdicts(group) {
            if v == Verdict::Aborted {
                s.aborted += 1;
                continue;
            }
            s.produced += 1;
            match v {
                Verdict::ProcessedOnce => s.processed_once += 1,
                Verdict::Duplicated => s.duplicated += 1,
                Verdict::Lost => s.lost += 1,
                Verdict::InFlight => s.in_flight += 1,
                Verdict::Aborted => {}
            }
            if let Some(e) = self.ledger.entry(ev) {
                if e.live_copies().count() > 1 {
                    s.duplicate_writes += 1;
                }
                if e.acked && !e.copies.is_empty() && e.live_copies().count() == 0 {
                    s.acked_then_lost += 1;
                }
            }
        }
        s
    }
}

/// Room for exactly one more copy: nothing to do natively, where a first
/// copy lives inline in its entry, with no heap block to allocate (see
/// [`InlineCopies`]). A second copy, which is rare (a producer's retry
/// appended twice, a re-append after a leader change), moves both copies
/// to the heap.
#[cfg(engine_speed)]
#[inline(always)]
fn room_for_one(_: &mut Copies) {}

/// The page makes room for one more copy, not the four a first `push`
/// makes room for (a 100k-record run keeps 100k of these), and keeps its
/// copies in a plain `Vec` (the least code for its budgeted bundle, and
/// its runs are short).
#[cfg(not(engine_speed))]
#[inline(always)]
fn room_for_one(copies: &mut Vec<Copy>) {
    copies.reserve_exact(1);
}

/// Sets cell (`a`, `b`) of a table of index vectors (`by_event`) to `x`,
/// growing it with `u32::MAX` (no entry) first. The cell is nearly always
/// the next one (an entry per record created, in order): it is pushed,
/// not grown to and then indexed (a call and two `CowVec` uniqueness
/// checks fewer, ~1% of W1 full).
#[inline(always)]
fn set_index(table: &mut Vec<CowVec<u32>>, a: usize, b: usize, x: u32) {
    let Some(v) = table.get_mut(a) else {
        *cell_mut(table, a, b, u32::MAX) = x;
        return;
    };
    if v.len() < b {
        v.resize(b, u32::MAX);
    }
    if v.len() == b {
        v.push(x);
    } else {
        v[b] = x;
    }
}

/// Counts one more for group `g` and entry `i` in a per-group table: in
/// place when the cell exists (the table grows only as far as a group has
/// processed), else through [`count_mut`].
#[inline(always)]
fn count_one(table: &mut Vec<CowVec<u32>>, g: GroupIdx, i: u32) {
    match table
        .get_mut(g.0 as usize)
        .and_then(|v| v.get_mut(i as usize))
    {
        Some(c) => *c += 1,
        None => *count_mut(table, g, i) += 1,
    }
}

/// A message's copies (see [`LedgerEntry::copies`]). The page keeps them
/// in a `Vec`: the least code, and its runs are short.
#[cfg(not(engine_speed))]
pub type Copies = Vec<Copy>;

/// Natively a message's copies live in its entry while there is one.
/// Nearly every message has exactly one copy (a second is a producer-side
/// duplicate, or a leader change's re-append), and as a `Vec` each cost a
/// heap allocation at its append and a free at the ledger's drop, and put
/// the copy on a cache line away from its entry. Read as a slice (`Deref`),
/// so the readers (the Ledger tab, the narration, the verdicts) are those
/// of the `Vec`.
#[cfg(engine_speed)]
pub type Copies = InlineCopies;

/// A `Vec<Copy>` that keeps zero or one copy inline: `Many` holds two or
/// more (copies are never removed, so the three cases do not overlap).
///
/// An explicit tag (`repr(u8)`), not the niche in the copy's `vanished`:
/// each push and read tests it with one compare, and the entry still fits
/// its cache line.
#[cfg(engine_speed)]
#[derive(Clone, Default)]
#[repr(u8)]
pub enum InlineCopies {
    #[default]
    None,
    One(Copy),
    Many(Vec<Copy>),
}

// The first copy inline still leaves the entry on one cache line.
#[cfg(engine_speed)]
const _: () = assert!(std::mem::size_of::<LedgerEntry>() == 64);

#[cfg(engine_speed)]
impl InlineCopies {
    /// Appends a copy, as `Vec::push`.
    #[inline(always)]
    pub fn push(&mut self, c: Copy) {
        match self {
            // Field by field (the padding is not copied): the copy's
            // fields go straight into the entry, not through a temporary.
            InlineCopies::None => *self = InlineCopies::One(c.clone()),
            InlineCopies::Many(v) => v.push(c),
            InlineCopies::One(_) => self.push_second(c),
        }
    }

    /// As `push(make())`, with the copy built where it goes: a first
    /// copy straight into the entry (`observe`'s native `Appended`, one a
    /// record), not on the stack and then moved in.
    #[inline(always)]
    pub fn push_with(&mut self, make: impl FnOnce() -> Copy) {
        match self {
            InlineCopies::None => *self = InlineCopies::One(make()),
            InlineCopies::Many(v) => v.push(make()),
            InlineCopies::One(_) => self.push_second(make()),
        }
    }

    /// A second copy: the two move to the heap (rare, out of line).
    #[cold]
    #[inline(never)]
    fn push_second(&mut self, c: Copy) {
        let InlineCopies::One(first) = std::mem::take(self) else {
            unreachable!("push_second is called on one inline copy")
        };
        *self = InlineCopies::Many(vec![first, c]);
    }
}

#[cfg(engine_speed)]
impl std::ops::Deref for InlineCopies {
    type Target = [Copy];
    #[inline(always)]
    fn deref(&self) -> &[Copy] {
        match self {
            InlineCopies::None => &[],
            InlineCopies::One(c) => std::slice::from_ref(c),
            InlineCopies::Many(v) => v,
        }
    }
}

#[cfg(engine_speed)]
impl std::ops::DerefMut for InlineCopies {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [Copy] {
        match self {
            InlineCopies::None => &mut [],
            InlineCopies::One(c) => std::slice::from_mut(c),
            InlineCopies::Many(v) => v,
        }
    }
}

/// Equal as the `Vec`s they stand for.
#[cfg(engine_speed)]
impl PartialEq for InlineCopies {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

#[cfg(engine_speed)]
impl Eq for InlineCopies {}

/// Printed as the `Vec` it stands for.
#[cfg(engine_speed)]
impl std::fmt::Debug for InlineCopies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// The per-record events' entries, natively. (At the end of the file:
/// the page's code keeps its lines, and so its panic locations.)
#[cfg(engine_speed)]
impl Ledger {
    /// `observe`'s first arm (a guard), natively: a record's `Created`
    /// ([`Ledger::created`]) and `Processed` ([`Ledger::processed`]), and
    /// `Sent`, `Appended` and `Acked` (a produce batch: ~222 records in the
    /// W1 bench, every 12th record id) a leaf at a time, each message's
    /// first copy written into its entry ([`InlineCopies::push_with`]);
    /// false for any other event, which its other arms take. The page's
    /// batch arms find each
    /// record's entry through two `CowVec` walks from the root (~37
    /// instructions a record and event: two divisions, three bounds checks
    /// each, two `Rc` uniqueness checks on the mutable one); here the
    /// `by_record` leaf is kept while the records stay in it
    /// ([`CowVec::reader`]) and the entries' leaf is checked once for the
    /// batch's run of entries in it ([`CowVec::for_each_at_mut`]). Each
    /// entry gets the same change, in the same order, as the page's.
    #[inline(always)]
    fn observe_native(
        &mut self,
        kind: &EventKind,
        records: &CowVec<RecordData>,
        read: bool,
    ) -> bool {
        match kind {
            EventKind::Created { record, producer } => self.created(*record, *producer, records),
            // (A plain one was counted by its emitter: `count_processed`.)
            EventKind::Processed {
                transactional: false,
                ..
            } => {}
            EventKind::Processed {
                record,
                group,
                transactional: true,
                ..
            } => self.processed(*record, *group, true, records),
            EventKind::Sent { records: rs, .. } => {
                self.each_entry(rs, |e, _, _| e.send_attempts += 1)
            }
            EventKind::Appended {
                tp,
                records: rs,
                first,
                epoch,
                ..
            } => self.each_entry(rs, |e, i, r| {
                e.copies.push_with(|| Copy {
                    tp: *tp,
                    offset: Offset(first.0 + i as i64),
                    epoch: *epoch,
                    record: r,
                    vanished: false,
                })
            }),
            EventKind::Acked { records: rs, .. } => self.each_entry(rs, |e, _, _| e.acked = true),
            _ => return false,
        }
        debug_assert!(read, "Ledger::reads must list {kind:?}");
        true
    }

    /// `f(entry, k, r)` for the `k`th of `rs` that has an entry, as
    /// `entry_for` finds it.
    #[inline(always)]
    fn each_entry(
        &mut self,
        rs: &[RecordId],
        mut f: impl FnMut(&mut LedgerEntry, usize, RecordId),
    ) {
        let mut by_record = self.by_record.reader();
        let found = rs.iter().enumerate().filter_map(|(k, r)| {
            let i = by_record.get(r.0 as usize)?;
            Some((i as usize, (k, *r)))
        });
        self.entries.for_each_at_mut(found, |e, (k, r)| f(e, k, r));
    }
}

/// A record's `Created` and `Processed`, natively (see
/// [`Ledger::observe_native`]): one of each a record, ~122,000 calls in
/// the 3 x 20k-record W1 full run.
#[cfg(engine_speed)]
impl Ledger {
    /// As `observe`'s `Created` arm, with the same entry and indexes. The
    /// record's cell in `by_record` is nearly always the next one (a
    /// record created is the newest, after the offset commits' records
    /// since the last): grown to it, then pushed, not grown past it and
    /// then written through `IndexMut` (a second walk with its two
    /// uniqueness checks). The entry is built in its slot
    /// ([`CowVec::push_with`]), not on the stack and copied.
    #[inline(always)]
    fn created(&mut self, record: RecordId, producer: ProducerIdx, records: &CowVec<RecordData>) {
        let r = &records[record.0 as usize];
        if r.kind != RecordKind::Data {
            return;
        }
        let idx = self.entries.len() as u32;
        self.by_record.set(record.0 as usize, idx);
        let (p, n) = split_event(r.event_id);
        self.set_event(p, n, idx);
        let event_id = r.event_id;
        self.entries.push_with(|| LedgerEntry {
            event_id,
            record: Some(record),
            producer: Some(producer),
            ..Default::default()
        });
    }

    /// As `observe`'s `Processed` arm, but a group's count table that
    /// lacks the entry's cell grows to every entry there is, not just to
    /// this one: a consumer reads one partition at a time, so the entries
    /// it processes climb ~12 at a time (the partitions' records
    /// interleave) and the table grew ~5,000 times in the 3 x 20k-record
    /// W1 full run; the producer creates far ahead of what is processed,
    /// so growing to its last entry leaves the next thousands of counts
    /// in place. (Counts past the last processed entry are 0 either way.)
    #[inline(always)]
    fn processed(
        &mut self,
        record: RecordId,
        group: GroupIdx,
        transactional: bool,
        records: &CowVec<RecordData>,
    ) {
        // A transformed copy counts for the event it came from.
        let Some(i) = self.index_of(record, records) else {
            return;
        };
        let entries = self.entries.len();
        let table = if transactional {
            &mut self.pending_txn
        } else {
            &mut self.processed
        };
        match table
            .get_mut(group.0 as usize)
            .and_then(|v| v.get_mut(i as usize))
        {
            Some(c) => *c += 1,
            None => grow_and_count(table, group, i, entries),
        }
    }
}

/// Group `g`'s table grown to `entries` cells (every entry), then entry
/// `i` counted once (see [`Ledger::processed`]).
#[cfg(engine_speed)]
#[cold]
#[inline(never)]
fn grow_and_count(table: &mut Vec<CowVec<u32>>, g: GroupIdx, i: u32, entries: usize) {
    debug_assert!(
        (i as usize) < entries,
        "an entry's index is below the count"
    );
    cell_mut(table, g.0 as usize, entries - 1, 0);
    *count_mut(table, g, i) += 1;
}

/// The record index (`Ledger::by_record`). The page's is a plain dense
/// vector of cells.
#[cfg(not(engine_speed))]
type RecordIndex = CowVec<u32>;

/// The record index (`Ledger::by_record`), natively: the page's dense
/// vector of cells, with its leading run of cells that hold their own
/// index (record `r`'s entry is entry `r`) kept as a count, not stored.
///
/// While a run's records are all data records, created in record order
/// with nothing between them, each record's entry is the next one, so
/// record `r` is entry `r`: a producer that creates ahead of everything
/// else (W1's producer creates its 20,000 records before the first
/// offset commit's record) never stores a cell. A record's `Created` then
/// counts one more instead of pushing a cell (a walk with two `Rc`
/// uniqueness checks), and the lookups of every later stage (`Sent`,
/// `Appended`, `Acked`, `Processed`) compare with the count instead of
/// walking the vector. The first record that breaks the run (an internal
/// record's gap, another entry first) starts the stored cells, which hold
/// every cell from the run's end on, exactly as the page stores them.
/// Every read answers what the page's vector answers (its `Debug` and
/// equality are the vector's too).
#[cfg(engine_speed)]
#[derive(Clone, Default)]
struct RecordIndex {
    /// Cells `0..run` hold their own index.
    run: usize,
    /// Cells `run..`, stored.
    rest: CowVec<u32>,
}

/// A record index cell, read by value (`*cell`, as the page reads its
/// `&u32`): a cell of the run has no storage to borrow.
#[cfg(engine_speed)]
#[derive(Clone, Copy)]
struct IndexCell(u32);

#[cfg(engine_speed)]
impl std::ops::Deref for IndexCell {
    type Target = u32;
    #[inline(always)]
    fn deref(&self) -> &u32 {
        &self.0
    }
}

#[cfg(engine_speed)]
impl RecordIndex {
    fn len(&self) -> usize {
        self.run + self.rest.len()
    }

    /// Cell `i`, as the page's `CowVec::get`.
    #[inline(always)]
    fn get(&self, i: usize) -> Option<IndexCell> {
        if i < self.run {
            return Some(IndexCell(i as u32));
        }
        self.rest.get(i - self.run).map(|&x| IndexCell(x))
    }

    /// Grows to `n` cells of `fill` (never shrinks), as `CowVec::resize`.
    fn resize(&mut self, n: usize, fill: u32) {
        self.rest.resize(n.max(self.run) - self.run, fill);
    }

    /// Sets cell `r` to `x`, grown to it with `u32::MAX` (no entry) first:
    /// the page's `Created` (`resize(r + 1, u32::MAX)`, then `[r] = x`).
    /// The next cell of an unbroken run that holds its own index extends
    /// the run; else it is stored, and nearly always pushed (the next
    /// cell).
    #[inline(always)]
    fn set(&mut self, r: usize, x: u32) {
        if r == self.run && x as usize == r && self.rest.is_empty() {
            self.run += 1;
            return;
        }
        if r < self.run {
            self.break_run();
        }
        let r = r - self.run;
        self.rest.resize(r, u32::MAX);
        match self.rest.get_mut(r) {
            Some(cell) => *cell = x,
            None => self.rest.push(x),
        }
    }

    /// Stores the run's cells (a cell in it is about to change; never in
    /// the engine, where each record is created once).
    #[cold]
    #[inline(never)]
    fn break_run(&mut self) {
        let rest = std::mem::take(&mut self.rest);
        self.rest = (0..self.run as u32).chain(rest.iter().copied()).collect();
        self.run = 0;
    }

    /// A reader that keeps the last stored leaf it read (see
    /// [`CowVec::reader`]): a batch's records, a few to a leaf.
    #[inline(always)]
    fn reader(&self) -> RecordReader<'_> {
        RecordReader {
            run: self.run,
            rest: self.rest.reader(),
        }
    }
}

/// See [`RecordIndex::reader`].
#[cfg(engine_speed)]
struct RecordReader<'a> {
    run: usize,
    rest: crate::engine::cow_vec::Reader<'a, u32>,
}

#[cfg(engine_speed)]
impl RecordReader<'_> {
    /// Cell `i`, as [`RecordIndex::get`].
    #[inline(always)]
    fn get(&mut self, i: usize) -> Option<u32> {
        if i < self.run {
            return Some(i as u32);
        }
        self.rest.get(i - self.run).copied()
    }
}

/// Only the page's `Created` arm writes by index (natively `created` sets
/// cells through [`RecordIndex::set`]): the run is stored first.
#[cfg(engine_speed)]
impl std::ops::IndexMut<usize> for RecordIndex {
    fn index_mut(&mut self, i: usize) -> &mut u32 {
        if i < self.run {
            self.break_run();
        }
        &mut self.rest[i - self.run]
    }
}

/// `IndexMut`'s required read: a stored cell (a cell of the run has no
/// storage to borrow; reads go through [`RecordIndex::get`]).
#[cfg(engine_speed)]
impl std::ops::Index<usize> for RecordIndex {
    type Output = u32;
    fn index(&self, i: usize) -> &u32 {
        assert!(i >= self.run, "cell {i} of the run is read by `get`");
        &self.rest[i - self.run]
    }
}

/// Equal as the vectors they stand for.
#[cfg(engine_speed)]
impl PartialEq for RecordIndex {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && (0..self.len()).all(|i| *self.get(i).unwrap() == *other.get(i).unwrap())
    }
}

#[cfg(engine_speed)]
impl Eq for RecordIndex {}

/// Printed as the vector it stands for.
#[cfg(engine_speed)]
impl std::fmt::Debug for RecordIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries((0..self.len()).map(|i| *self.get(i).expect("i < len")))
            .finish()
    }
}

#[cfg(all(test, engine_speed))]
mod record_index_tests {
    use super::*;

    /// Every read of the index is the page's vector's, whatever order the
    /// cells are set in.
    #[test]
    fn a_record_index_reads_as_its_vector() {
        let cases: [&[(usize, u32)]; 4] = [
            &[(0, 0), (1, 1), (2, 2), (3, 3)],
            &[(0, 0), (1, 1), (3, 2), (4, 3), (70, 4)],
            &[(1, 0), (2, 1), (3, 2)],
            &[(0, 0), (1, 1), (2, 2), (1, 7), (2, 2), (5, 3)],
        ];
        for sets in cases {
            let mut index = RecordIndex::default();
            let mut page: CowVec<u32> = CowVec::new();
            for &(r, x) in sets {
                index.set(r, x);
                if page.len() <= r {
                    page.resize(r + 1, u32::MAX);
                }
                page[r] = x;
                assert_eq!(index.len(), page.len());
                let mut reader = index.reader();
                for i in 0..page.len() + 2 {
                    assert_eq!(index.get(i).map(|c| *c), page.get(i).copied());
                    assert_eq!(reader.get(i), page.get(i).copied());
                }
                assert_eq!(format!("{index:?}"), format!("{page:?}"));
            }
            let mut written = index.clone();
            let last = sets.last().expect("a set").0;
            written[last] = 9;
            page[last] = 9;
            assert_eq!(written.get(last).map(|c| *c), Some(9));
            assert_eq!(format!("{written:?}"), format!("{page:?}"));
            assert_ne!(written, index);
        }
    }
}

/// The event index's leading run, natively (`Ledger::event_run`).
///
/// Producer `k`'s event ids count up from `k × 1,000,000` in the order it
/// creates records, so while only producer 0 has created data records and
/// each became the next entry, its event `n` is entry `n`: the run counts
/// those events instead of storing their cells in `by_event` (`Created`
/// pushed each: a walk with two `Rc` uniqueness checks). The first
/// `Created` that breaks it (another producer's, or an event created
/// without its entry) stores the run's cells, and from then on `by_event`
/// holds exactly the page's cells. Every lookup answers as the page's.
#[cfg(engine_speed)]
impl Ledger {
    #[inline(always)]
    fn event_index(&self, e: EventId) -> Option<u32> {
        let (p, n) = split_event(e);
        if p == 0 && n < self.event_run {
            return Some(n as u32);
        }
        cell(&self.by_event, p, n).filter(|i| *i != u32::MAX)
    }

    /// Event (`p`, `n`) is entry `idx`: the run's next event extends it,
    /// else its cell is set as the page's `Created` sets it.
    #[inline(always)]
    fn set_event(&mut self, p: usize, n: usize, idx: u32) {
        if p == 0 && n == self.event_run && idx as usize == n && self.by_event.is_empty() {
            self.event_run += 1;
            return;
        }
        if self.event_run > 0 {
            self.store_event_run();
        }
        set_index(&mut self.by_event, p, n, idx);
    }

    /// The run's cells, stored (`by_event` is empty while the run lasts).
    #[cold]
    #[inline(never)]
    fn store_event_run(&mut self) {
        debug_assert!(self.by_event.is_empty(), "no cells while the run lasts");
        let run = std::mem::take(&mut self.event_run);
        self.by_event.push((0..run as u32).collect());
    }
}

#[cfg(all(test, engine_speed))]
mod event_run_tests {
    use super::*;

    /// Every event lookup answers as the page's cells, before and after
    /// the run breaks.
    #[test]
    fn the_event_run_answers_as_the_page_cells() {
        let cases: [&[(u32, u32)]; 4] = [
            &[(0, 0), (1, 1), (2, 2)],
            &[(0, 0), (1, 1), (1_000_000, 2), (2, 3), (3, 4)],
            &[(0, 0), (2, 1), (3, 2)],
            &[(1_000_000, 0), (0, 1), (1, 2)],
        ];
        let probes = [0, 1, 2, 3, 4, 1_000_000, 1_000_001, 2_000_000];
        for sets in cases {
            let mut ledger = Ledger::default();
            let mut page: Vec<CowVec<u32>> = Vec::new();
            for &(e, idx) in sets {
                let (p, n) = split_event(EventId(e));
                ledger.set_event(p, n, idx);
                set_index(&mut page, p, n, idx);
                for probe in probes {
                    let (p, n) = split_event(EventId(probe));
                    let want = cell(&page, p, n).filter(|i| *i != u32::MAX);
                    assert_eq!(ledger.event_index(EventId(probe)), want, "{sets:?} {probe}");
                }
            }
        }
    }
}

/// Natively, a record processed outside a transaction is counted in the
/// ledger by the consumer that emits its `Processed` event, in the same
/// step that reads the count the event carries (`times`).
///
/// Why: the page reads the count ([`Ledger::times_processed_record`]: the
/// record's entry found, then its cell in the group's table through three
/// `CowVec` levels) and then, from `Engine::emit`, `observe` finds the same
/// entry and the same cell again to add one (an out-of-line call, its
/// dispatch, a second walk with its `Rc` uniqueness checks): ~100
/// instructions twice over, once a record in W1 full. Here one walk finds
/// the cell, adds one and returns the new count, which is the page's
/// `times` (its read plus one) and leaves the table as the page's `observe`
/// leaves it (grown the same way, [`grow_and_count`]). Nothing reads the
/// ledger between the count and the event (the event's `emit` pushes it and
/// runs the script's triggers, which count events, not the ledger), so no
/// reader sees a difference. A `Processed` inside a transaction (counted
/// in `pending_txn`, its `times` read from `processed`) goes through
/// `observe` as on the page. [`Ledger::observes`] says no to a plain
/// `Processed`, so `emit` does not call `observe` for it (a constant kind
/// folds the question away); debug builds, which call `observe` for every
/// event, check that it leaves such an event alone.
#[cfg(engine_speed)]
impl Ledger {
    /// Whether [`Ledger::observe`] acts on `kind`: one the ledger
    /// [`reads`](Ledger::reads), unless its emitter counted it (a plain
    /// `Processed`, [`Ledger::count_processed`]). `Engine::emit`, inlined
    /// where each event is made, asks this first, so a constant kind folds
    /// it away. Debug builds check it against `observe`'s arms.
    #[inline(always)]
    pub(crate) fn observes(kind: &EventKind) -> bool {
        Self::reads(kind) && !counted_by_emitter(kind)
    }

    /// Group `g` processed record `r` once more outside a transaction: the
    /// new count, the `times` of its `Processed` event (the page's
    /// [`Ledger::times_processed_record`] plus one), with the count made as
    /// the page's `observe` makes it. A record without an entry counts
    /// nothing and has been processed once.
    #[inline(always)]
    pub(crate) fn count_processed(
        &mut self,
        r: RecordId,
        g: GroupIdx,
        records: &CowVec<RecordData>,
    ) -> u32 {
        #[cfg(debug_assertions)]
        let page = self.times_processed_record(r, g, records) + 1;
        let Some(i) = self.index_of(r, records) else {
            return 1;
        };
        let times = match self
            .processed
            .get_mut(g.0 as usize)
            .and_then(|v| v.get_mut(i as usize))
        {
            Some(c) => {
                *c += 1;
                *c
            }
            None => {
                grow_and_count(&mut self.processed, g, i, self.entries.len());
                count(&self.processed, g, i)
            }
        };
        #[cfg(debug_assertions)]
        debug_assert_eq!(times, page, "the count a Processed event carries");
        times
    }
}

/// Whether `kind` is a `Processed` that its emitter counted in the ledger
/// (natively, one outside a transaction: [`Ledger::count_processed`]).
#[cfg(engine_speed)]
#[inline(always)]
fn counted_by_emitter(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Processed {
            transactional: false,
            ..
        }
    )
}
