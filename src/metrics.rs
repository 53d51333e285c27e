//! What the plots draw, sampled from the engine after every step.
//!
//! [`Metrics::record`] runs once per step (live and in replays, from
//! `Model::absorb_step`) and keeps three kinds of history:
//!
//! - **Consumer lag** per group and partition (and the group's total), as a
//!   step function of simulated time ([`Series`]).
//! - **Produce latency** per producer: every acknowledged batch's
//!   ack time − send time ([`Latencies`]), grouped by its `acks` setting.
//! - **Generations** per group: when each generation started, every
//!   rebalance (PreparingRebalance → Stable) and, per member, the
//!   partitions it owned and when it was paused ([`GroupTimeline`]).
//!
//! Pure Rust: no UI crate, so it is tested natively and compiles for wasm32.
//!
//! **Deterministic.** Every sample is a function of the engine's state and
//! the step's events, both of which are functions of the run (configuration,
//! seed, tape). No wall clock, no hash maps: ordered `Vec`s and
//! [`VecMap`]s only. Time travel restores a snapshot of the model (metrics
//! included) and replays the same steps, so it rebuilds identical metrics.
//!
//! **Bounded.** Memory does not grow with the length of the run: a lag series
//! keeps at most [`MAX_POINTS`] points (it coarsens its time resolution,
//! see [`Series`]), a latency sample at most [`MAX_POINTS`] batches
//! (systematic sampling, see [`Latencies`]), and the generation timeline
//! the latest [`MAX_REBALANCES`] rebalances and generations and
//! [`MAX_SEGMENTS`] segments per member (rings: the oldest go first).
//!
//! **Cheap to clone.** The model is cloned on every message (the Yew
//! reducer) and at every snapshot, so each series sits behind an `Rc` and is
//! copied only when it changes (`Rc::make_mut`).

use crate::engine::assignor::{client_protocol, RebalanceProtocol};
use crate::engine::config::Acks;
use crate::engine::consumer::{Consumer, Membership};
use crate::engine::event::{Event, EventKind, GroupState};
use crate::engine::ids::*;
use crate::engine::sim::Engine;
use crate::engine::vecmap::VecMap;
use std::rc::Rc;

/// Points per lag series and batches per latency sample, at most.
pub const MAX_POINTS: usize = 512;
/// Ownership segments kept per member (the latest ones).
pub const MAX_SEGMENTS: usize = 128;
/// Rebalances and generation starts kept per group (the latest ones).
pub const MAX_REBALANCES: usize = 128;
/// Batches sent and not yet acknowledged that we remember the send time of.
/// In-flight batches are far fewer (`max.in.flight` × partitions); the cap
/// only matters if batches vanish without an ack or a final failure.
const MAX_PENDING_SENDS: usize = 1024;

/// Consumer lag of `group` on `tp` right now: the partition leader's **log
/// end offset** minus the group's committed offset (the log start offset
/// when nothing is committed yet), clamped at 0. `None` while the partition
/// has no leader (the lag is unknown, and the plot holds its last value).
///
/// Why the log end offset and not the high watermark: the Consumer groups
/// table under the stage shows "Lag = Log End Offset − Current Offset" as
/// kafka-ui labels it, and the plot must agree with the table. (Kafka's own
/// tools get their "log end offset" from ListOffsets(latest), which answers
/// the high watermark to a read_uncommitted client; in this engine the HW
/// trails the LEO only while followers copy a batch, so the two curves
/// differ by the records being replicated, for a few milliseconds.) If the
/// table ever switches to the HW, switch here too: both should call this.
pub fn lag_of(e: &Engine, group: GroupIdx, tp: Tp) -> Option<i64> {
    let leader = e.leader_of(tp)?;
    let log = &e.brokers().get(leader.0 as usize)?.replica(tp)?.log;
    let committed = e
        .groups()
        .get(group.0 as usize)?
        .committed
        .get(&tp)
        .map_or(log.log_start().0, |o| o.0);
    Some((log.leo().0 - committed).max(0))
}

// ---- lag: a bounded step function of simulated time ---------------------------

/// A value over simulated time, as a step function: `points[i] = (t, v)`
/// means the value became `v` at `t` ms and held until the next point (the
/// last one holds until [`Metrics::now_ms`]). Only changes are stored.
///
/// Bounded by **coarsening**: points are kept per time bucket of
/// `bucket_ms` (1 ms at first), the latest value of each bucket winning.
/// When a new point would make more than [`MAX_POINTS`], the bucket doubles
/// (and again, until at most half the budget is used) and neighbouring
/// points merge. So a short run keeps every change exactly, and a long one
/// keeps the value at the end of each of ≤ 512 evenly spaced moments over
/// the whole run, as a monitoring system scraping at a fixed interval
/// would. The exact peak is kept apart ([`Series::peak`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Series {
    points: Vec<(u64, i64)>,
    bucket_ms: u64,
    peak: Option<(u64, i64)>,
}

impl Series {
    pub fn points(&self) -> &[(u64, i64)] {
        &self.points
    }
    /// The current value.
    pub fn last(&self) -> Option<i64> {
        self.points.last().map(|p| p.1)
    }
    /// The highest value ever reached and when it was first reached (exact,
    /// whatever the coarsening dropped).
    pub fn peak(&self) -> Option<(u64, i64)> {
        self.peak
    }
    /// The current time resolution (1 ms until the run outgrows the budget).
    pub fn bucket_ms(&self) -> u64 {
        self.bucket_ms.max(1)
    }

    fn changes(&self, v: i64) -> bool {
        self.last() != Some(v)
    }

    fn push(&mut self, t: u64, v: i64) {
        if !self.changes(v) {
            return;
        }
        if self.peak.is_none_or(|(_, p)| v > p) {
            self.peak = Some((t, v));
        }
        merge_point(&mut self.points, self.bucket_ms.max(1), (t, v));
        if self.points.len() > MAX_POINTS {
            while self.points.len() > MAX_POINTS / 2 {
                self.bucket_ms = self.bucket_ms.max(1) * 2;
                let old = std::mem::take(&mut self.points);
                for p in old {
                    merge_point(&mut self.points, self.bucket_ms, p);
                }
            }
        }
    }
}

/// Appends `p`, replacing a point of the same bucket, and drops it if the
/// value then equals the one before (only changes are kept).
fn merge_point(v: &mut Vec<(u64, i64)>, bucket_ms: u64, p: (u64, i64)) {
    if v.last().is_some_and(|l| l.0 / bucket_ms == p.0 / bucket_ms) {
        v.pop();
    }
    if v.last().map(|l| l.1) != Some(p.1) {
        v.push(p);
    }
}

/// One group's lag: per partition and in total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupLag {
    pub group: GroupIdx,
    pub group_id: String,
    /// The group's partitions in the order of its subscription, with their
    /// names (`events-2`).
    pub partitions: Vec<(Tp, String, Rc<Series>)>,
    /// The sum over the partitions.
    pub total: Rc<Series>,
}

impl GroupLag {
    /// The partition whose lag peaked highest: (name, t, lag). Ties go to
    /// the earlier moment, then to the first partition.
    pub fn peak(&self) -> Option<(&str, u64, i64)> {
        let mut best: Option<(&str, u64, i64)> = None;
        for (_, name, s) in &self.partitions {
            if let Some((t, v)) = s.peak() {
                if best.is_none_or(|(_, bt, bv)| v > bv || (v == bv && t < bt)) {
                    best = Some((name.as_str(), t, v));
                }
            }
        }
        best
    }

    /// One sentence for under the chart.
    #[inline(never)]
    pub fn summary(&self) -> String {
        let now = self.total.last().unwrap_or(0);
        match self.peak() {
            None => format!("{}: no lag measured yet.", self.group_id),
            Some((_, _, 0)) => {
                format!("{}: lag has stayed at 0 on every partition.", self.group_id)
            }
            Some((name, t, v)) => {
                let total = match self.total.peak() {
                    Some((tt, tv)) if tv > v => {
                        format!(" (the group's total peaked at {tv}, {})", seconds(tt))
                    }
                    _ => String::new(),
                };
                format!(
                    "{}: lag peaked at {v} {} on {name} at {}{total}; {} behind in total now.",
                    self.group_id,
                    records(v),
                    seconds(t),
                    if now == 0 {
                        "nothing".to_string()
                    } else {
                        format!("{now} {}", records(now))
                    }
                )
            }
        }
    }
}

fn records(n: i64) -> &'static str {
    if n == 1 {
        "record"
    } else {
        "records"
    }
}

/// `t = 12.3 s` (tenths, without the float formatter: it costs the wasm
/// bundle kilobytes).
pub fn seconds(ms: u64) -> String {
    format!("t = {}.{} s", ms / 1000, ms % 1000 / 100)
}

/// A duration: `850 ms`, `3.1 s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{}.{} s", ms / 1000, ms % 1000 / 100)
    }
}

/// The smallest "nice" axis step (1, 2 or 5 × 10ⁿ) that divides `span`
/// into at most `max_ticks` steps.
pub fn nice_step(span: u64, max_ticks: u64) -> u64 {
    let mut unit = 1u64;
    loop {
        for m in [1, 2, 5] {
            let step = unit * m;
            if span.div_ceil(step) <= max_ticks.max(1) {
                return step;
            }
        }
        unit *= 10;
    }
}

// ---- produce latency: a bounded sample of batches ----------------------------------

/// Produce latencies of one producer's acknowledged batches: for each batch,
/// the time of its acknowledgement (`Acked`, stage 6) minus the time it was
/// **first sent** (`Sent` with its first attempt), so retries count, and the
/// time spent in the accumulator (`linger.ms`) does not: this is what the
/// wait for acks costs. acks=0 completes as the request is written (0 ms).
///
/// (The producer's own `total_ack_latency_ms` measures from each record's
/// creation instead, and only as a sum; the plot wants one value per batch.)
///
/// Bounded by **systematic sampling**: every batch is kept until
/// [`MAX_POINTS`]; then every other kept one is dropped and from then on
/// only one batch in 2, then 4, … is kept, so the sample stays spread
/// evenly over the whole run. Count, mean, min and max stay exact; the
/// median is the sample's (exact while fewer than 512 batches were acked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Latencies {
    /// (ack time, latency) of the sampled batches, in ack order.
    samples: Vec<(u64, u32)>,
    /// Keep one batch in `1 << every_log2`.
    every_log2: u32,
    count: u64,
    sum_ms: u64,
    min_ms: u32,
    max_ms: u32,
}

impl Latencies {
    pub fn samples(&self) -> &[(u64, u32)] {
        &self.samples
    }
    /// Batches acknowledged.
    pub fn count(&self) -> u64 {
        self.count
    }
    pub fn max_ms(&self) -> u32 {
        self.max_ms
    }
    pub fn min_ms(&self) -> u32 {
        self.min_ms
    }
    /// Mean latency in whole milliseconds (rounded down).
    pub fn mean_ms(&self) -> Option<u64> {
        (self.count > 0).then(|| self.sum_ms / self.count)
    }
    /// The median of the sample (the lower middle value for an even count).
    pub fn median_ms(&self) -> Option<u32> {
        let mut v: Vec<u32> = self.samples.iter().map(|s| s.1).collect();
        if v.is_empty() {
            return None;
        }
        crate::engine::vecmap::sort_small_by_key(&mut v, |x| *x);
        Some(v[(v.len() - 1) / 2])
    }

    fn add(&mut self, ack_ms: u64, latency_ms: u32) {
        if self.count % (1u64 << self.every_log2) == 0 {
            self.samples.push((ack_ms, latency_ms));
        }
        if self.count == 0 || latency_ms < self.min_ms {
            self.min_ms = latency_ms;
        }
        self.max_ms = self.max_ms.max(latency_ms);
        self.count += 1;
        self.sum_ms += latency_ms as u64;
        if self.samples.len() > MAX_POINTS {
            // The kept batches are those whose number is a multiple of the
            // old stride; the multiples of twice that are every other one.
            let mut i = 0;
            self.samples.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.every_log2 += 1;
        }
    }
}

/// One producer's latencies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerLatency {
    pub producer: ProducerIdx,
    pub client_id: String,
    pub acks: Acks,
    pub latencies: Rc<Latencies>,
}

// ---- generations and rebalances --------------------------------------------------------

/// What a member was doing during a [`Segment`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberState {
    /// A stable member of the group, consuming its partitions (maybe none:
    /// an idle member).
    Consuming,
    /// Joining or syncing: `poll()` returns nothing until the rebalance
    /// completes. Eager members own nothing here (they revoked everything);
    /// cooperative ones keep what they own.
    Rebalancing,
    /// Crashed or closed.
    Down,
}

/// A stretch of time during which a member's state and partitions did not change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub start_ms: u64,
    /// `None`: still going on.
    pub end_ms: Option<u64>,
    pub state: MemberState,
    /// The member's generation (−1 when it has none); for a rebalancing
    /// member, the one it had when it stopped.
    pub generation: i32,
    /// The partitions it owned, sorted.
    pub partitions: Vec<Tp>,
}

/// One consumer's band on the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberBand {
    pub consumer: ConsumerIdx,
    /// "A", "B", … as on the stage.
    pub label: String,
    /// The latest segments, oldest first (at most [`MAX_SEGMENTS`]).
    pub segments: Vec<Segment>,
}

/// One rebalance of a group: from PreparingRebalance until the group is
/// Stable (or Empty) again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rebalance {
    pub start_ms: u64,
    /// When the join phase ended (CompletingRebalance: the new generation
    /// exists, members wait for their assignment in SyncGroup).
    pub sync_ms: Option<u64>,
    /// `None`: still going on.
    pub end_ms: Option<u64>,
    /// The step at which it started (for seeking).
    pub start_step: u64,
    /// Why, as the coordinator said it (`RebalanceStarted`).
    pub reason: String,
    /// The group rebalances cooperatively (KIP-429) rather than eagerly.
    pub cooperative: bool,
    /// Partitions members revoked in this rebalance (`Revoked` events).
    pub revoked: u32,
    /// Cooperative rebalances come in rounds: 1 = members revoked the
    /// partitions that move (a second rebalance follows), 2 = the follow-up
    /// that hands them over; 0 = a single round (eager, or nothing moved).
    pub round: u8,
    /// The generation it created.
    pub generation: Option<i32>,
}

impl Rebalance {
    /// How the timeline labels it.
    pub fn label(&self) -> &'static str {
        if self.reason.contains("empty group") {
            "first join"
        } else if !self.cooperative {
            "rebalance: everyone paused"
        } else {
            match self.round {
                1 => "round 1: revoke what moves",
                2 => "round 2: assign it",
                _ => "cooperative rebalance",
            }
        }
    }

    pub fn duration_ms(&self, now_ms: u64) -> u64 {
        self.end_ms.unwrap_or(now_ms).saturating_sub(self.start_ms)
    }
}

/// A group's history: generations, rebalances, members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupTimeline {
    pub group: GroupIdx,
    pub group_id: String,
    /// The rebalance protocol its members use (from
    /// `partition.assignment.strategy`).
    pub cooperative: bool,
    /// (start time, step, generation) of each generation, the latest
    /// [`MAX_REBALANCES`].
    pub generations: Vec<(u64, u64, i32)>,
    /// The latest [`MAX_REBALANCES`] rebalances, oldest first.
    pub rebalances: Vec<Rebalance>,
    /// One band per consumer of the group, by consumer index.
    pub members: Vec<MemberBand>,
    /// The reason of a `RebalanceStarted` not yet matched with its state change.
    pending_reason: Option<String>,
}

impl GroupTimeline {
    fn on_state(&mut self, t: u64, step: u64, state: GroupState, generation: GenerationId) {
        let open = self.rebalances.last().is_some_and(|r| r.end_ms.is_none());
        match state {
            GroupState::PreparingRebalance => {
                if !open {
                    let round = match self.rebalances.last() {
                        Some(prev) if self.cooperative && prev.revoked > 0 && prev.round != 2 => 2,
                        _ => 0,
                    };
                    self.rebalances.push(Rebalance {
                        start_ms: t,
                        sync_ms: None,
                        end_ms: None,
                        start_step: step,
                        reason: self.pending_reason.take().unwrap_or_default(),
                        cooperative: self.cooperative,
                        revoked: 0,
                        round,
                        generation: None,
                    });
                    trim_front(&mut self.rebalances, MAX_REBALANCES);
                }
            }
            GroupState::CompletingRebalance => {
                if let Some(r) = self.rebalances.last_mut().filter(|_| open) {
                    r.sync_ms = Some(t);
                    r.generation = Some(generation.0);
                }
                self.mark_generation(t, step, generation);
            }
            GroupState::Stable | GroupState::Empty | GroupState::Dead => {
                if let Some(r) = self.rebalances.last_mut().filter(|_| open) {
                    r.end_ms = Some(t);
                    r.generation.get_or_insert(generation.0);
                }
                self.mark_generation(t, step, generation);
            }
        }
    }

    fn mark_generation(&mut self, t: u64, step: u64, generation: GenerationId) {
        if generation.0 > 0 && self.generations.last().map(|g| g.2) != Some(generation.0) {
            self.generations.push((t, step, generation.0));
            trim_front(&mut self.generations, MAX_REBALANCES);
        }
    }

    /// Revocations belong to the latest rebalance: a cooperative member
    /// revokes when its new assignment arrives, just after the group is
    /// Stable again.
    fn on_revoked(&mut self, n: usize, eager: bool) {
        if let Some(r) = self.rebalances.last_mut() {
            r.revoked += n as u32;
            if !eager && r.round == 0 && n > 0 {
                r.round = 1;
            }
        }
    }

    /// Extends or starts the member's band with its state now.
    fn sample_member(&mut self, t: u64, c: &Consumer) {
        let (state, generation, parts) = observe(c);
        let pos = match self.members.binary_search_by_key(&c.idx, |m| m.consumer) {
            Ok(i) => i,
            Err(i) => {
                self.members.insert(
                    i,
                    MemberBand {
                        consumer: c.idx,
                        label: c.label.clone(),
                        segments: Vec::new(),
                    },
                );
                i
            }
        };
        let band = &mut self.members[pos];
        if band
            .segments
            .last()
            .is_some_and(|s| unchanged(s, state, generation, parts))
        {
            return;
        }
        if let Some(s) = band.segments.last_mut() {
            s.end_ms = Some(t);
        }
        let mut partitions = parts.to_vec();
        crate::engine::vecmap::sort_small_by_key(&mut partitions, |tp| *tp);
        band.segments.push(Segment {
            start_ms: t,
            end_ms: None,
            state,
            generation,
            partitions,
        });
        trim_front(&mut band.segments, MAX_SEGMENTS);
    }

    /// Whether sampling `c` now would change its band (checked before
    /// `Rc::make_mut`, so an unchanged timeline is never copied).
    fn member_changes(&self, c: &Consumer) -> bool {
        let (state, generation, parts) = observe(c);
        match self.members.binary_search_by_key(&c.idx, |m| m.consumer) {
            Ok(i) => !self.members[i]
                .segments
                .last()
                .is_some_and(|s| unchanged(s, state, generation, parts)),
            Err(_) => true,
        }
    }

    /// When every member of the group was paused at once during `r` (the
    /// "stop the world" of an eager rebalance): from the moment the last
    /// member stopped (revoked and rejoined; members learn of a rebalance
    /// from their next heartbeat, so they stop one by one) until the first
    /// got its new assignment. `None` if some member kept consuming
    /// throughout. Members down at the end of the rebalance do not count.
    pub fn everyone_paused(&self, r: &Rebalance, now_ms: u64) -> Option<(u64, u64)> {
        let probe = r.end_ms.unwrap_or(now_ms);
        let mut from = r.start_ms;
        let mut until = u64::MAX;
        let mut any = false;
        for band in &self.members {
            let at_end = band
                .segments
                .iter()
                .rfind(|s| s.start_ms <= probe && s.end_ms.is_none_or(|e| e >= probe));
            if at_end.is_none_or(|s| s.state == MemberState::Down) {
                continue;
            }
            let paused = band.segments.iter().rfind(|s| {
                s.state == MemberState::Rebalancing
                    && s.start_ms <= probe
                    && s.end_ms.is_none_or(|e| e >= r.start_ms)
            })?;
            any = true;
            from = from.max(paused.start_ms);
            until = until.min(paused.end_ms.unwrap_or(now_ms));
        }
        (any && from <= until).then_some((from, until))
    }

    /// One sentence for under the chart.
    #[inline(never)]
    pub fn summary(&self, now_ms: u64) -> String {
        let generation = self.generations.last().map(|g| g.2);
        let Some(r) = self.rebalances.last() else {
            return match self.generations.last() {
                Some(&(t, _, g)) => format!(
                    "{}: generation {g} since {}, no rebalance yet.",
                    self.group_id,
                    seconds(t)
                ),
                None => format!("{}: no generation and no rebalance yet.", self.group_id),
            };
        };
        let gen_text = match generation {
            Some(g) => format!("generation {g}"),
            None => "no generation yet".to_string(),
        };
        let how = if r.end_ms.is_none() {
            format!(
                "a rebalance is in progress ({} so far)",
                duration(r.duration_ms(now_ms))
            )
        } else if !r.cooperative {
            match self.everyone_paused(r, now_ms) {
                Some((from, until)) => format!(
                    "the last rebalance (eager) took {}, and every member stood still, with no partition, for {} of it",
                    duration(r.duration_ms(now_ms)),
                    duration(until - from)
                ),
                None => format!(
                    "the last rebalance (eager) took {}",
                    duration(r.duration_ms(now_ms))
                ),
            }
        } else {
            let rounds: Vec<&Rebalance> = self
                .rebalances
                .iter()
                .rev()
                .take(2)
                .filter(|x| x.round > 0)
                .collect();
            if rounds.len() == 2 && r.round == 2 {
                format!(
                    "the last cooperative rebalance took two rounds, {} and {}; members kept the partitions that did not move",
                    duration(rounds[1].duration_ms(now_ms)),
                    duration(rounds[0].duration_ms(now_ms))
                )
            } else {
                format!(
                    "the last rebalance (cooperative) took {}",
                    duration(r.duration_ms(now_ms))
                )
            }
        };
        format!(
            "{}: {gen_text}, {} {} so far; {how}.",
            self.group_id,
            self.rebalances.len(),
            if self.rebalances.len() == 1 {
                "rebalance"
            } else {
                "rebalances"
            }
        )
    }
}

/// What a consumer is doing now: its state, generation and partitions.
fn observe(c: &Consumer) -> (MemberState, i32, &[Tp]) {
    if !c.alive {
        (MemberState::Down, -1, &[])
    } else if c.membership != Membership::Stable {
        (MemberState::Rebalancing, c.generation.0, &c.assignment)
    } else {
        (MemberState::Consuming, c.generation.0, &c.assignment)
    }
}

/// Whether a member observed as (`state`, `generation`, `parts`) is still
/// in segment `s`.
fn unchanged(s: &Segment, state: MemberState, generation: i32, parts: &[Tp]) -> bool {
    s.state == state && same_generation(s, generation) && same_set(&s.partitions, parts)
}

/// A consuming member's generation matters (a new generation is a new
/// segment, even with the same partitions); a rebalancing member's changes
/// midway (JoinGroup answers the new one) without it doing anything new.
fn same_generation(s: &Segment, generation: i32) -> bool {
    s.state == MemberState::Rebalancing || s.generation == generation
}

fn same_set(a: &[Tp], b: &[Tp]) -> bool {
    a.len() == b.len() && b.iter().all(|x| a.contains(x))
}

fn trim_front<T>(v: &mut Vec<T>, max: usize) {
    if v.len() > max {
        v.drain(..v.len() - max);
    }
}

// ---- the whole set ---------------------------------------------------------------------

/// Everything the plots draw. Fields are read by the views; only
/// [`Metrics::record`] changes them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Simulated time of the first sample (the plots' time axes start here).
    pub start_ms: Option<u64>,
    /// Simulated time of the latest sample.
    pub now_ms: u64,
    /// The step of the latest sample.
    pub step: u64,
    /// Per consumer group, in group order.
    pub lag: Vec<GroupLag>,
    /// Per producer, in producer order (those with a batch acknowledged).
    pub latency: Vec<ProducerLatency>,
    /// Per consumer group, in group order.
    pub groups: Vec<Rc<GroupTimeline>>,
    /// First send time of each batch not yet acknowledged: batch → (producer, ms).
    sent: VecMap<BatchId, (ProducerIdx, u64)>,
}

impl Metrics {
    /// Samples the engine after a step: call it once per step that
    /// advanced (live and replayed alike) with that step's events.
    #[inline(never)]
    pub fn record(&mut self, step: u64, engine: &Engine, events: &[Event]) {
        let now = engine.now_ms();
        self.start_ms.get_or_insert(now);
        self.now_ms = now;
        self.step = step;
        if self.groups.len() != engine.groups().len() {
            self.init_groups(engine, step);
        }
        for ev in events {
            self.absorb_event(step, engine, ev);
        }
        self.sample_lag(engine, now);
        for c in engine.consumers() {
            if let Some(g) = self.groups.get_mut(c.group.0 as usize) {
                if g.member_changes(c) {
                    Rc::make_mut(g).sample_member(now, c);
                }
            }
        }
    }

    /// The first sample: a warm-started scenario opens on a Stable group
    /// (its first generation formed before step 0, without events).
    fn init_groups(&mut self, e: &Engine, step: u64) {
        self.start_ms = Some(e.now_ms());
        self.lag.clear();
        self.groups.clear();
        for (i, g) in e.groups().iter().enumerate() {
            let idx = GroupIdx(i as u16);
            let gc = &e.config().groups[i];
            let mut partitions = Vec::new();
            for t in gc.topics.iter().filter_map(|t| e.topic_id(t)) {
                let meta = e.topic(t);
                for p in 0..meta.partitions.len() as u32 {
                    partitions.push((
                        Tp::new(t, p),
                        format!("{}-{p}", meta.name),
                        Rc::new(Series::default()),
                    ));
                }
            }
            self.lag.push(GroupLag {
                group: idx,
                group_id: g.group_id.clone(),
                partitions,
                total: Rc::new(Series::default()),
            });
            self.groups.push(Rc::new(GroupTimeline {
                group: idx,
                group_id: g.group_id.clone(),
                cooperative: client_protocol(&gc.partition_assignment_strategy)
                    == Some(RebalanceProtocol::Cooperative),
                generations: if g.generation.0 > 0 {
                    vec![(e.now_ms(), step, g.generation.0)]
                } else {
                    Vec::new()
                },
                rebalances: Vec::new(),
                members: Vec::new(),
                pending_reason: None,
            }));
        }
    }

    fn absorb_event(&mut self, step: u64, e: &Engine, ev: &Event) {
        let t = ev.time_ms;
        match &ev.kind {
            EventKind::Sent {
                producer, batch, ..
            } if self.sent.get(batch).is_none() => {
                // The first attempt's send time (a retry keeps it).
                self.sent.insert(*batch, (*producer, t));
                if self.sent.len() > MAX_PENDING_SENDS {
                    if let Some(oldest) = self.sent.first_key_value().map(|(k, _)| *k) {
                        self.sent.remove(&oldest);
                    }
                }
            }
            EventKind::Acked {
                producer, batch, ..
            } => {
                if let Some((_, sent)) = self.sent.remove(batch) {
                    let latency = t.saturating_sub(sent).min(u32::MAX as u64) as u32;
                    self.producer_latency(e, *producer).add(t, latency);
                }
            }
            EventKind::ProduceFailed {
                batch,
                retry_in_ms: None,
                ..
            } => {
                self.sent.remove(batch);
            }
            EventKind::ProducerCrashed { producer } => {
                self.sent.retain(|_, (p, _)| p != producer);
            }
            EventKind::RebalanceStarted { group, reason } => {
                if let Some(g) = self.groups.get_mut(group.0 as usize) {
                    Rc::make_mut(g).pending_reason = Some(reason.clone());
                }
            }
            EventKind::GroupStateChanged {
                group,
                state,
                generation,
            } => {
                if let Some(g) = self.groups.get_mut(group.0 as usize) {
                    Rc::make_mut(g).on_state(t, step, *state, *generation);
                }
            }
            EventKind::Revoked {
                group,
                partitions,
                eager,
                ..
            } => {
                if let Some(g) = self.groups.get_mut(group.0 as usize) {
                    Rc::make_mut(g).on_revoked(partitions.len(), *eager);
                }
            }
            _ => {}
        }
    }

    fn producer_latency(&mut self, e: &Engine, p: ProducerIdx) -> &mut Latencies {
        let pos = match self.latency.binary_search_by_key(&p, |x| x.producer) {
            Ok(i) => i,
            Err(i) => {
                let pr = &e.producers()[p.0 as usize];
                self.latency.insert(
                    i,
                    ProducerLatency {
                        producer: p,
                        client_id: pr.client_id.clone(),
                        acks: pr.acks,
                        latencies: Rc::new(Latencies::default()),
                    },
                );
                i
            }
        };
        Rc::make_mut(&mut self.latency[pos].latencies)
    }

    fn sample_lag(&mut self, e: &Engine, now: u64) {
        for gl in self.lag.iter_mut() {
            let mut total = 0;
            for (tp, _, s) in gl.partitions.iter_mut() {
                let v = lag_of(e, gl.group, *tp).or(s.last()).unwrap_or(0);
                if s.changes(v) {
                    Rc::make_mut(s).push(now, v);
                }
                total += v;
            }
            if gl.total.changes(total) {
                Rc::make_mut(&mut gl.total).push(now, total);
            }
        }
    }

    /// The lag of `group`, if it reads anything.
    pub fn group_lag(&self, group: GroupIdx) -> Option<&GroupLag> {
        self.lag.iter().find(|g| g.group == group)
    }

    /// One sentence about produce latency for under the chart.
    #[inline(never)]
    pub fn latency_summary(&self) -> String {
        if self.latency.is_empty() {
            return "No batch has been acknowledged yet.".into();
        }
        let parts: Vec<String> = self
            .latency
            .iter()
            .filter_map(|p| {
                let m = p.latencies.median_ms()?;
                Some(format!(
                    "{} (acks={}) {m} ms over {} {}",
                    p.client_id,
                    p.acks.label(),
                    p.latencies.count(),
                    if p.latencies.count() == 1 {
                        "batch"
                    } else {
                        "batches"
                    }
                ))
            })
            .collect();
        format!(
            "Median produce latency (ack time − send time, per batch): {}.",
            parts.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::command::Command;
    use crate::engine::config::{KeyMode, ScenarioConfig};
    use crate::engine::event::CrashPoint;
    use crate::engine::sim::StepOutcome;

    /// An engine and its metrics, stepped as `Model::absorb_step` does:
    /// `record` after every step that advanced. Commands are applied once
    /// the simulated clock is their `ms` past the start (a warm start
    /// begins a few seconds in), or when the engine has nothing to do.
    #[derive(Clone)]
    struct Driver {
        e: Engine,
        m: Metrics,
        t0: u64,
        commands: Vec<(u64, Command)>,
        next: usize,
        step: u64,
    }

    impl Driver {
        fn new(cfg: ScenarioConfig, commands: &[(u64, Command)]) -> Driver {
            let e = Engine::new(cfg).expect("valid scenario");
            Driver {
                t0: e.now_ms(),
                e,
                m: Metrics::default(),
                commands: commands.to_vec(),
                next: 0,
                step: 0,
            }
        }

        /// One step; false once the run is over.
        fn step(&mut self) -> bool {
            loop {
                while self.next < self.commands.len()
                    && (self.t0 + self.commands[self.next].0 <= self.e.now_ms() || self.e.is_idle())
                {
                    self.e
                        .apply(&self.commands[self.next].1)
                        .expect("command applies");
                    self.next += 1;
                }
                let out = self.e.step();
                let events = self.e.take_events();
                if out == StepOutcome::Advanced {
                    self.step += 1;
                    self.m.record(self.step, &self.e, &events);
                    return true;
                }
                if self.next == self.commands.len() {
                    return false;
                }
            }
        }
    }

    /// Runs `cfg` to its end (or `max_steps`), calling `after` after each step.
    fn run(
        cfg: ScenarioConfig,
        commands: &[(u64, Command)],
        max_steps: u64,
        mut after: impl FnMut(&Engine, &Metrics),
    ) -> (Engine, Metrics) {
        let mut d = Driver::new(cfg, commands);
        while d.step < max_steps && d.step() {
            after(&d.e, &d.m);
        }
        (d.e, d.m)
    }

    fn preset(id: &str) -> ScenarioConfig {
        crate::presets::by_id(id).expect("preset").config
    }

    /// A 3-broker × 12-partition cluster (RF 3), a producer sending
    /// `records` records `interval_ms` apart, one group of `consumers`.
    fn big(records: u32, interval_ms: u32, consumers: u16) -> ScenarioConfig {
        let mut c = ScenarioConfig::default();
        c.cluster.brokers = 3;
        c.topics[0].partitions = 12;
        c.topics[0].replication_factor = 3;
        c.topics[0].min_insync_replicas = 2;
        c.producers[0].workload.records = records;
        c.producers[0].workload.interval_ms = interval_ms;
        c.producers[0].workload.keys = KeyMode::EventId;
        c.groups[0].consumers = consumers;
        c.groups[0].auto_offset_reset = crate::engine::config::AutoOffsetReset::Earliest;
        c
    }

    #[test]
    fn lag_rises_while_a_consumer_is_down_and_falls_back_to_zero_after_it_restarts() {
        let mut c = big(40, 100, 1);
        c.topics[0].partitions = 3;
        let crash_at = 1_000;
        let restart_at = 3_000;
        let mut before_crash = 0;
        let mut while_down = 0;
        let (e, m) = run(
            c,
            &[
                (
                    crash_at,
                    Command::CrashConsumer {
                        consumer: ConsumerIdx(0),
                        point: CrashPoint::Now,
                    },
                ),
                (
                    restart_at,
                    Command::RestartConsumer {
                        consumer: ConsumerIdx(0),
                    },
                ),
            ],
            10_000,
            |_, m| {
                let total = m.lag[0].total.last().unwrap_or(0);
                let t = m.now_ms - m.start_ms.unwrap();
                if t < crash_at {
                    before_crash = before_crash.max(total);
                } else if t < restart_at {
                    while_down = while_down.max(total);
                }
            },
        );
        let t0 = m.start_ms.unwrap();
        assert!(
            while_down >= 15,
            "about 20 records arrive while the consumer is down, lag {while_down}"
        );
        assert!(
            while_down > before_crash + 10,
            "lag {before_crash} before the crash, {while_down} while down"
        );
        assert_eq!(m.lag[0].total.last(), Some(0), "caught up at the end");
        for (tp, name, s) in &m.lag[0].partitions {
            assert_eq!(s.last(), Some(0), "{name}");
            assert_eq!(lag_of(&e, GroupIdx(0), *tp), Some(0), "{name}");
        }
        let (name, t, peak) = m.lag[0].peak().expect("a peak");
        assert!(peak > 0 && (t0 + crash_at..t0 + restart_at + 2_000).contains(&t));
        let summary = m.lag[0].summary();
        assert!(
            summary.contains(&format!("lag peaked at {peak} records on {name} at t = ")),
            "{summary}"
        );
        assert!(
            summary.ends_with("nothing behind in total now."),
            "{summary}"
        );
        // The consumer's band shows it down, then back.
        let band = &m.groups[0].members[0];
        assert!(band.segments.iter().any(|s| s.state == MemberState::Down
            && s.start_ms >= t0 + crash_at
            && s.end_ms.is_some_and(|end| end >= t0 + restart_at)));
        assert_eq!(band.segments.last().unwrap().state, MemberState::Consuming);
    }

    #[test]
    fn lag_on_the_crashed_members_partitions_waits_for_the_session_timeout() {
        // session-timeout: B crashes at 1 s; its partitions have no reader
        // until the coordinator expires B (10 s) and A takes them over.
        let (_, m) = run(preset("session-timeout"), &[], 10_000, |_, _| {});
        let lag = &m.lag[0];
        let (_, t, peak) = lag.peak().expect("a peak");
        assert!(peak >= 2, "peak {peak}");
        let t0 = m.start_ms.unwrap();
        assert!(t > t0 + 1_000, "the peak comes after the crash, at {t}");
        assert_eq!(lag.total.last(), Some(0), "A caught up: {lag:?}");
    }

    #[test]
    fn acks_zero_is_faster_than_acks_one_which_is_faster_than_acks_all() {
        let (e, m) = run(preset("acks-latency"), &[], 10_000, |_, _| {});
        assert_eq!(m.latency.len(), 3);
        let median = |acks: Acks| {
            let p = m.latency.iter().find(|p| p.acks == acks).expect("producer");
            p.latencies.median_ms().expect("acked batches")
        };
        let (zero, one, all) = (median(Acks::Zero), median(Acks::One), median(Acks::All));
        assert!(zero < one && one < all, "medians {zero} {one} {all}");
        assert_eq!(zero, 0, "acks=0 completes when the request is written");
        for p in &m.latency {
            let pr = &e.producers()[p.producer.0 as usize];
            assert!(p.latencies.count() > 0 && p.latencies.count() <= 20);
            assert_eq!(pr.unacked_records(), 0, "{}", p.client_id);
            assert!(p.latencies.min_ms() <= p.latencies.mean_ms().unwrap() as u32);
        }
        let s = m.latency_summary();
        assert!(s.contains("acks-0 (acks=0) 0 ms"), "{s}");
        assert!(s.contains(&format!("acks-all (acks=all) {all} ms")), "{s}");
        assert!(m.sent.is_empty(), "every send was matched with its ack");
    }

    /// The rebalance C's arrival started (the last one that is not the first join).
    fn join_rebalance(g: &GroupTimeline) -> &Rebalance {
        g.rebalances
            .iter()
            .rfind(|r| r.label() != "first join")
            .expect("a rebalance after the first join")
    }

    #[test]
    fn an_eager_rebalance_pauses_every_member_and_revokes_everything() {
        let (_, m) = run(preset("c-joins-eager-range"), &[], 10_000, |_, _| {});
        let g = &m.groups[0];
        assert!(!g.cooperative);
        assert_eq!(g.members.len(), 3, "A, B and C");
        let r = join_rebalance(g);
        assert_eq!(r.label(), "rebalance: everyone paused");
        assert_eq!(r.round, 0);
        assert_eq!(r.revoked, 4, "A and B gave up all four partitions");
        let end = r.end_ms.expect("the rebalance completed");
        for band in &g.members {
            let paused = band.segments.iter().find(|s| {
                s.state == MemberState::Rebalancing
                    && s.start_ms < end
                    && s.end_ms.is_some_and(|e| e > r.start_ms)
            });
            let paused = paused.unwrap_or_else(|| panic!("{} never paused: {band:?}", band.label));
            assert!(
                paused.partitions.is_empty(),
                "eager: {} owned nothing while paused",
                band.label
            );
            let last = band.segments.last().unwrap();
            assert_eq!(last.state, MemberState::Consuming);
            assert!(
                !last.partitions.is_empty(),
                "{} owns partitions",
                band.label
            );
        }
        assert_eq!(
            g.generations.iter().map(|x| x.2).collect::<Vec<_>>(),
            [1, 2],
            "the warm start's generation, then C's"
        );
        assert_eq!(r.generation, Some(2));
        let (from, until) = g
            .everyone_paused(r, m.now_ms)
            .expect("a stop-the-world moment");
        assert!(
            r.start_ms <= from && from <= until,
            "{from}..{until} in {r:?}"
        );
        let s = g.summary(m.now_ms);
        assert!(
            s.contains("every member stood still, with no partition, for"),
            "{s}"
        );
    }

    #[test]
    fn a_cooperative_join_takes_two_rounds_and_members_keep_what_does_not_move() {
        let (_, m) = run(preset("c-joins-cooperative-sticky"), &[], 10_000, |_, _| {});
        let g = &m.groups[0];
        assert!(g.cooperative);
        let n = g.rebalances.len();
        assert_eq!(n, 2, "two rounds: {:?}", g.rebalances);
        let (r1, r2) = (&g.rebalances[n - 2], &g.rebalances[n - 1]);
        assert_eq!(r1.label(), "round 1: revoke what moves", "{r1:?}");
        assert_eq!(r2.label(), "round 2: assign it", "{r2:?}");
        assert_eq!(r1.revoked, 1, "one partition moves");
        assert!(r1.end_ms.unwrap() <= r2.start_ms);
        // A and B never paused without their partitions.
        for band in g.members.iter().filter(|b| b.label != "C") {
            for s in band
                .segments
                .iter()
                .filter(|s| s.start_ms >= r1.start_ms && s.state == MemberState::Rebalancing)
            {
                assert!(!s.partitions.is_empty(), "{}: {s:?}", band.label);
            }
        }
        let c = g.members.iter().find(|b| b.label == "C").expect("C");
        assert_eq!(c.segments.last().unwrap().partitions.len(), 1);
        let s = g.summary(m.now_ms);
        assert!(s.contains("took two rounds"), "{s}");
    }

    #[test]
    fn the_same_run_gives_the_same_metrics_and_a_snapshot_stepped_on_matches() {
        let cmds = [
            (
                700,
                Command::CrashConsumer {
                    consumer: ConsumerIdx(1),
                    point: CrashPoint::Now,
                },
            ),
            (
                4_000,
                Command::RestartConsumer {
                    consumer: ConsumerIdx(1),
                },
            ),
        ];
        let (_, a) = run(preset("session-timeout"), &cmds, 10_000, |_, _| {});
        let (_, b) = run(preset("session-timeout"), &cmds, 10_000, |_, _| {});
        assert_eq!(a, b);
        assert_eq!(a.groups[0].rebalances.len(), 1, "{:?}", a.groups[0]);
        // Time travel restores a clone of the model and replays: stepping a
        // clone taken at any step on to the end gives the same metrics.
        for at in [1, 17, 50, 120] {
            let mut d = Driver::new(preset("session-timeout"), &cmds);
            while d.step < at && d.step() {}
            let mut snapshot = d.clone();
            while d.step() {}
            while snapshot.step() {}
            assert_eq!(d.m, a, "live run, snapshot at step {at}");
            assert_eq!(snapshot.m, a, "resumed from step {at}");
        }
    }

    #[test]
    fn series_stay_bounded_over_a_20000_step_run() {
        // Consumers come and go all run long: rebalances, lag, latencies.
        let mut cfg = big(200_000, 20, 3);
        cfg.groups[0].heartbeat_interval_ms = 100;
        let mut cmds = Vec::new();
        for k in 0..200u64 {
            let consumer = ConsumerIdx((k % 3) as u16);
            cmds.push((300 + k * 1_000, Command::StopConsumer { consumer }));
            cmds.push((700 + k * 1_000, Command::RestartConsumer { consumer }));
        }
        let (e, m) = run(cfg, &cmds, 20_000, |_, _| {});
        assert_eq!(m.step, 20_000, "the run lasted 20,000 steps");
        for gl in &m.lag {
            assert!(gl.total.points().len() <= MAX_POINTS);
            for (_, name, s) in &gl.partitions {
                assert!(
                    s.points().len() <= MAX_POINTS,
                    "{name}: {}",
                    s.points().len()
                );
                assert!(s
                    .points()
                    .windows(2)
                    .all(|w| w[0].0 <= w[1].0 && w[0].1 != w[1].1));
            }
        }
        for p in &m.latency {
            assert!(p.latencies.samples().len() <= MAX_POINTS);
            assert!(
                p.latencies.count() > MAX_POINTS as u64,
                "{}",
                p.latencies.count()
            );
        }
        for g in &m.groups {
            assert!(g.rebalances.len() <= MAX_REBALANCES);
            assert!(g.generations.len() <= MAX_REBALANCES);
            for b in &g.members {
                assert!(b.segments.len() <= MAX_SEGMENTS);
            }
        }
        assert!(m.sent.len() <= MAX_PENDING_SENDS);
        eprintln!(
            "after 20,000 steps (t = {} ms): lag points per partition {:?}, total {} (bucket {} ms); latency samples {} of {} batches; rebalances {}; segments {:?}; pending sends {}",
            e.now_ms(),
            m.lag[0].partitions.iter().map(|p| p.2.points().len()).collect::<Vec<_>>(),
            m.lag[0].total.points().len(),
            m.lag[0].total.bucket_ms(),
            m.latency[0].latencies.samples().len(),
            m.latency[0].latencies.count(),
            m.groups[0].rebalances.len(),
            m.groups[0].members.iter().map(|b| b.segments.len()).collect::<Vec<_>>(),
            m.sent.len(),
        );
    }

    #[test]
    fn axis_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(0, 5), 1);
        assert_eq!(nice_step(1, 5), 1);
        assert_eq!(nice_step(7, 5), 2);
        assert_eq!(nice_step(16, 5), 5);
        assert_eq!(nice_step(26, 5), 10);
        assert_eq!(nice_step(7_000, 6), 2_000);
        assert_eq!(nice_step(38_169, 6), 10_000);
        assert_eq!(seconds(12_345), "t = 12.3 s");
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(3_140), "3.1 s");
    }

    #[test]
    fn coarsening_keeps_the_latest_value_and_the_exact_peak() {
        let mut s = Series::default();
        for i in 0..10_000u64 {
            // A saw-tooth 0..9, with one spike.
            let v = if i == 4321 { 1_000 } else { (i % 10) as i64 };
            s.push(i * 3, v);
        }
        assert!(s.points().len() <= MAX_POINTS);
        assert_eq!(s.last(), Some(9));
        assert_eq!(s.peak(), Some((4321 * 3, 1_000)));
        assert!(s.bucket_ms() > 1);
        // Rings keep the latest rebalances and segments.
        let mut g = GroupTimeline {
            group: GroupIdx(0),
            group_id: "g".into(),
            cooperative: false,
            generations: Vec::new(),
            rebalances: Vec::new(),
            members: Vec::new(),
            pending_reason: None,
        };
        for i in 0..1_000u64 {
            g.on_state(
                i * 10,
                i,
                GroupState::PreparingRebalance,
                GenerationId(i as i32),
            );
            g.on_state(
                i * 10 + 5,
                i,
                GroupState::Stable,
                GenerationId(i as i32 + 1),
            );
        }
        assert_eq!(g.rebalances.len(), MAX_REBALANCES);
        assert_eq!(g.generations.len(), MAX_REBALANCES);
        assert_eq!(g.rebalances.last().unwrap().start_ms, 9_990);
        assert_eq!(g.generations.last().unwrap().2, 1_000);
        let mut l = Latencies::default();
        for i in 0..5_000u32 {
            l.add(i as u64, i);
        }
        assert!(l.samples().len() <= MAX_POINTS);
        assert_eq!((l.count(), l.min_ms(), l.max_ms()), (5_000, 0, 4_999));
        assert_eq!(l.mean_ms(), Some(2_499));
        let m = l.median_ms().unwrap() as i64;
        assert!((m - 2_500).abs() < 50, "sampled median {m}");
        // The sample is systematic: evenly spaced batch numbers.
        let step = l.samples()[1].0 - l.samples()[0].0;
        assert!(l.samples().windows(2).all(|w| w[1].0 - w[0].0 == step));
    }

    #[test]
    #[ignore = "timing: cargo test --release --lib metrics -- --ignored --nocapture"]
    fn record_cost_per_step_on_a_3_broker_12_partition_run() {
        let cfg = big(100_000, 2, 3);
        let steps = 20_000u64;
        // The same run twice: without and with recording.
        let mut base = Engine::new(cfg.clone()).unwrap();
        let t0 = std::time::Instant::now();
        for _ in 0..steps {
            base.step();
            let _ = base.take_events();
        }
        let plain = t0.elapsed();
        let mut e = Engine::new(cfg).unwrap();
        let mut m = Metrics::default();
        let mut in_record = std::time::Duration::ZERO;
        let mut clones = std::time::Duration::ZERO;
        for step in 1..=steps {
            e.step();
            let ev = e.take_events();
            let t = std::time::Instant::now();
            m.record(step, &e, &ev);
            in_record += t.elapsed();
            if step % 100 == 0 {
                let t = std::time::Instant::now();
                let c = m.clone();
                clones += t.elapsed();
                std::hint::black_box(c);
            }
        }
        eprintln!(
            "{steps} steps: engine {:.1} µs/step, record {:.2} µs/step ({:.1}% of the step), clone of Metrics {:.2} µs",
            plain.as_secs_f64() * 1e6 / steps as f64,
            in_record.as_secs_f64() * 1e6 / steps as f64,
            100.0 * in_record.as_secs_f64() / plain.as_secs_f64(),
            clones.as_secs_f64() * 1e6 / (steps / 100) as f64,
        );
    }
}
