//! The leader's side of Fetch: follower progress, fetch sessions and the
//! long poll.
//!
//! Followers and consumers read a partition from its leader with the same
//! Fetch request (`ReplicaManager.fetchMessages`, `Partition.fetchRecords`):
//!
//! - A consumer may read up to the **high watermark** (`read_uncommitted`)
//!   or the **last stable offset** (`read_committed`, with the aborted
//!   transactions of what it read); a follower up to the log end.
//! - A follower's fetch offset **is** its log end offset, so each fetch
//!   tells the leader how far it got (`Partition.updateFollowerFetchState`):
//!   that moves its `lastCaughtUpTimeMs`, may add it back to the ISR
//!   (`maybeExpandIsr`, through an AlterPartition to the controller) and may
//!   advance the high watermark, the smallest log end offset over the ISR.
//!   A follower that reports an epoch the leader does not know for that
//!   offset is told where its log diverges (KIP-320, KIP-595) and does not
//!   count as having reached its fetch offset.
//! - A fetch with nothing to return waits at the leader (the "long poll",
//!   `DelayedFetch`) for up to its max wait, and is answered as soon as an
//!   append or a new high watermark gives it something.
//! - Incremental fetch sessions (KIP-227, [`crate::engine::fetch_session`])
//!   leave out of the answer every partition that would change nothing on
//!   the follower, and let the leader defer the record of quiet ones.
//!
//! The [`Broker`] methods here decide and queue their answers in the
//! broker's outbox; the engine glue applies it and carries out an ISR
//! change (the controller's) and a new high watermark (`leader_produce.rs`)
//! where a follower's fetch calls for them.

use crate::engine::broker::{
    Broker, BrokerTimer, ClusterView, ParkedFetch, Replica, MAX_FETCH_ENTRIES,
};
use crate::engine::config::IsolationLevel;
use crate::engine::cow_vec::Shared;
use crate::engine::event::{ErrorCode, Node};
use crate::engine::fetch_session::FollowerSession;
use crate::engine::ids::*;
use crate::engine::log::LogEntry;
use crate::engine::network::{FetchPartition, FetchPartitionData, Msg};
use crate::engine::partition_leader::LeaderState;
use crate::engine::sim::Engine;
use crate::engine::vecmap::TpMap;

/// What a follower's fetch of one partition asks of the rest of the engine
/// ([`Broker::update_follower`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowerFetched {
    /// The follower caught up: the new ISR to send the controller, with the
    /// leader epoch (`maybeExpandIsr`).
    pub join_isr: Option<(LeaderEpoch, Vec<BrokerId>)>,
    /// The follower moved (or is outside the ISR): the HW may move (`may_move`).
    pub hw_may_move: bool,
}

/// Writes down the deferred fetch record of `s.parts[i]` (see
/// `fetch_session.rs`), and with `unmark` ends its quiet.
#[cfg_attr(engine_speed, inline(always))]
fn settle_at(
    replicas: &mut TpMap<Shared<Replica>>,
    follower: BrokerId,
    s: &mut FollowerSession,
    i: usize,
    unmark: bool,
) {
    if !s.quiet[i] {
        return;
    }
    let (tp, offset, at_ms) = (s.parts[i].tp, s.parts[i].fetch_offset, s.last_fetch_ms);
    if unmark {
        s.quiet[i] = false;
    }
    if let Some(rep) = replicas.get_mut(&tp) {
        let rep: &mut Replica = rep;
        let leo = rep.log.leo();
        if let Some(leader) = rep.leader.as_mut() {
            leader.record_fetch(follower, offset, leo, at_ms);
        }
    }
}

impl Broker {
    /// `tp`'s leader state was replaced or dropped: its deferred fetch
    /// records belonged to the old one and go with it.
    pub(crate) fn forget_quiet(&mut self, tp: Tp) {
        if !crate::engine::fetch_session::ENABLED {
            return;
        }
        for s in self.follower_sessions.values_mut() {
            if let Some(i) = s.position(tp) {
                s.quiet[i] = false;
            }
        }
    }

    /// Settles every quiet partition of `follower`'s session: the session
    /// starts again, or a test compares with an eager run.
    pub(crate) fn settle_session(&mut self, follower: BrokerId) {
        let Some(s) = self.follower_sessions.get_mut(&follower) else {
            return;
        };
        for i in 0..s.quiet.len() {
            settle_at(&mut self.replicas, follower, s, i, true);
        }
    }

    /// Settles `tp`'s deferred fetch records in every follower session
    /// before something reads or changes what they depend on; with
    /// `unmark` (an append, a new high watermark) `tp` is no longer quiet.
    pub(crate) fn settle_quiet(&mut self, tp: Tp, unmark: bool) {
        if !crate::engine::fetch_session::ENABLED || self.follower_sessions.is_empty() {
            return;
        }
        for (f, s) in self.follower_sessions.iter_mut() {
            if let Some(i) = s.position(tp) {
                settle_at(&mut self.replicas, *f, s, i, unmark);
            }
        }
    }

    /// A follower's fetch starts: whether it continues `follower`'s session
    /// (an incremental fetch). A full one settles the old session first.
    pub fn start_follower_fetch(
        &mut self,
        follower: BrokerId,
        meta_gen: u64,
        partitions: &[FetchPartition],
    ) -> bool {
        let continues = self
            .follower_sessions
            .get(&follower)
            .is_some_and(|s| s.continues(meta_gen, partitions));
        if !continues {
            self.settle_session(follower);
        }
        self.skipped.clear();
        self.skipped.resize(partitions.len(), false);
        continues
    }

    /// In a continuing session, from position `from` on: marks each
    /// partition that skips its fetch record (quiet, and asked for
    /// unchanged: compared where `changed` has its bit, `fetch_delta.rs`)
    /// and returns the first that does not, its deferred record written
    /// down first. The caller records that one, which may end the quiet of
    /// a later partition (an append, a new high watermark), and then goes
    /// on from the next position: each is decided as the fetch reaches it.
    pub fn next_fetch_record(
        &mut self,
        follower: BrokerId,
        from: usize,
        partitions: &[FetchPartition],
        changed: u64,
    ) -> Option<usize> {
        let s = self
            .follower_sessions
            .get_mut(&follower)
            .expect("a continuing session");
        // Runs of quiet partitions are skipped in one pass over their
        // flags, up to the next partition the follower's note says may
        // have changed (`fetch_delta.rs`): that one is compared with what
        // the session holds (every one is, without a note).
        let i = skip_unchanged(
            (&s.quiet, &s.parts),
            partitions,
            changed,
            &mut self.skipped,
            from,
        );
        if i >= partitions.len() {
            return None;
        }
        settle_at(&mut self.replicas, follower, s, i, true);
        Some(i)
    }

    /// A follower's fetch is recorded: the session keeps its partitions, and
    /// which are quiet now. A settle during the fetch (an append, a new HW)
    /// ended a skipped partition's quiet; the others are quiet if they have
    /// nothing new.
    pub fn end_follower_fetch(
        &mut self,
        follower: BrokerId,
        fetch_id: u64,
        meta_gen: u64,
        (partitions, changed): (&[FetchPartition], u64),
        view: &ClusterView,
    ) {
        let mut quiet = std::mem::take(&mut self.skipped);
        // (Only a continuing session skips partitions.)
        let was_quiet: &[bool] = self
            .follower_sessions
            .get(&follower)
            .map_or(&[], |s| &s.quiet);
        for ((q, fp), was) in quiet.iter_mut().zip(partitions).zip(was_quiet) {
            *q = if *q {
                *was
            } else {
                self.is_quiet(follower, fp, view)
            };
        }
        // A session that did not continue skipped nothing.
        for (q, fp) in quiet.iter_mut().zip(partitions).skip(was_quiet.len()) {
            debug_assert!(!*q, "a skipped partition has a session");
            *q = self.is_quiet(follower, fp, view);
        }
        let s = self
            .follower_sessions
            .entry_or_insert_with(follower, FollowerSession::default);
        s.fetch_id = fetch_id;
        s.meta_gen = meta_gen;
        s.last_fetch_ms = view.now_ms;
        // Only the positions the follower's note says changed are copied.
        s.take_parts(partitions, changed);
        // The new flags become the session's; its old buffer is the next
        // fetch's `skipped`.
        std::mem::swap(&mut s.quiet, &mut quiet);
        quiet.clear();
        self.skipped = quiet;
    }

    /// Whether follower `r`'s fetch `fp` leaves nothing to do until the
    /// partition changes: `r` is in the ISR, the leader recorded it at the
    /// log end, and the read has nothing for it (no records, no new high
    /// watermark, no epoch to correct).
    fn is_quiet(&self, r: BrokerId, fp: &FetchPartition, view: &ClusterView) -> bool {
        self.has_nothing_for(fp)
            && self
                .led(fp.tp)
                .and_then(|leader| leader.followers.get(&r))
                .is_some_and(|f| f.leo == fp.fetch_offset)
            && view.isr(fp.tp).contains(&r)
    }

    /// Whether a follower's fetch `fp` would read nothing here: no
    /// records, no high watermark it lacks, no epoch to correct (the
    /// shortcut at the top of [`Broker::read_fetch`]).
    fn has_nothing_for(&self, fp: &FetchPartition) -> bool {
        let Some(rep) = self.replicas.get(&fp.tp) else {
            return false;
        };
        let (Some(leader), Some(follower_hw)) = (rep.leader.as_ref(), fp.follower_hw) else {
            return false;
        };
        let log = &rep.log;
        self.alive
            && fp.current_leader_epoch == leader.epoch
            && fp.fetch_offset == log.leo()
            && fp
                .last_fetched_epoch
                .is_none_or(|e| log.latest_epoch() == Some(e))
            && log.hw().min(fp.fetch_offset) <= follower_hw
    }

    /// `Partition.updateFollowerFetchState` for one partition of a
    /// follower's fetch; `None` when it changes nothing (not led here, an
    /// old leader epoch, a diverging log).
    pub fn update_follower(
        &mut self,
        follower: BrokerId,
        fp: &FetchPartition,
        view: &ClusterView,
    ) -> Option<FollowerFetched> {
        let tp = fp.tp;
        let rep: &mut Replica = self.replicas.get_mut(&tp)?;
        let leader_leo = rep.log.leo();
        let hw = rep.log.hw();
        let leader = rep.leader.as_mut()?;
        if fp.current_leader_epoch != leader.epoch {
            return None;
        }
        let leader_epoch = leader.epoch;
        // A diverging follower does not count as having reached its fetch offset.
        if let Some(e) = fp.last_fetched_epoch {
            match rep.log.end_offset_for_epoch(e) {
                Some((found, end)) if found == e && end >= fp.fetch_offset => {}
                _ => return None,
            }
        }
        let epoch_start = rep
            .log
            .epoch_start_offset(leader.epoch)
            .unwrap_or(Offset(0));
        let before = leader.record_fetch(follower, fp.fetch_offset, leader_leo, view.now_ms)?;
        let follower_leo = fp.fetch_offset;
        let meta = view.controller.partition(tp);
        let in_isr = meta.isr.contains(&follower);
        let join_isr = (!in_isr
            && LeaderState::may_join_isr(follower_leo, hw, epoch_start, view.usable(follower)))
        .then(|| {
            let mut new_isr = meta.isr.clone();
            new_isr.push(follower);
            // Keep assignment order for display.
            crate::engine::vecmap::sort_small_by_key(&mut new_isr, |r| {
                meta.replicas.iter().position(|x| x == r)
            });
            (leader_epoch, new_isr)
        });
        Some(FollowerFetched {
            join_isr,
            hw_may_move: may_move(before != follower_leo || !in_isr, leader, &meta.isr, hw),
        })
    }

    /// Reads what a fetch may return right now; `has_news` if anything to send.
    pub fn read_fetch(&self, f: &ParkedFetch) -> (Vec<FetchPartitionData>, bool) {
        // The session's quiet flags, while this fetch is its latest.
        let quiet: &[bool] = match f
            .replica
            .filter(|_| crate::engine::fetch_session::ENABLED)
            .and_then(|r| self.follower_sessions.get(&r))
        {
            Some(s) if s.fetch_id == f.fetch_id => &s.quiet,
            _ => &[],
        };
        let mut out: Vec<FetchPartitionData> = fetch_out(self);
        let mut news = false;
        let mut next = 0;
        loop {
            // A quiet partition has nothing for the follower (see
            // `fetch_session.rs`): what the checks below would conclude.
            // (Skipped in a loop of its own: most of a session is quiet,
            // and the body's loop steps several times slower. Release builds
            // first skip the run's whole words of eight flags; debug builds
            // step flag by flag, so that the assertion checks every quiet one.)
            #[cfg(not(debug_assertions))]
            {
                next = skip_quiet(quiet, next);
            }
            while quiet.get(next).copied().unwrap_or(false) {
                // Every change to a quiet partition's log ends its quiet
                // (`broker_settle_quiet`): a new way to change a leader's
                // log that forgets to do so stops the tests here.
                debug_assert!(
                    f.partitions
                        .get(next)
                        .is_none_or(|fp| self.has_nothing_for(fp)),
                    "{tp:?} on broker {b} changed while quiet",
                    tp = f.partitions[next].tp,
                    b = self.id
                );
                next += 1;
            }
            let Some(fp) = f.partitions.get(next) else {
                break;
            };
            next += 1;
            let tp = fp.tp;
            let mut d = FetchPartitionData {
                tp,
                error: None,
                hw: Offset(0),
                lso: Offset(0),
                log_start: Offset(0),
                entries: Vec::new(),
                diverging: None,
                aborted: Vec::new(),
            };
            let rep = match self.replicas.get(&tp) {
                Some(r) if r.leader.is_some() && self.alive => r,
                _ => {
                    d.error = Some(ErrorCode::NotLeaderOrFollower);
                    news = true;
                    out.push(d);
                    continue;
                }
            };
            let leader = rep.leader.as_ref().expect("checked");
            let log = &rep.log;
            // The common case first: a follower's partition with nothing new
            // (no records, no high watermark it lacks), in the leader's epoch
            // and without divergence, is left out at once. The checks below
            // reach the same answer, one field at a time.
            if let Some(follower_hw) = fp.follower_hw {
                if fp.current_leader_epoch >= leader.epoch
                    && fp.fetch_offset == log.leo()
                    && fp
                        .last_fetched_epoch
                        .is_none_or(|e| log.latest_epoch() == Some(e))
                    && log.hw().min(fp.fetch_offset) <= follower_hw
                {
                    continue;
                }
            }
            d.hw = log.hw();
            d.lso = log.lso();
            d.log_start = log.log_start();
            if f.replica.is_some() && fp.current_leader_epoch < leader.epoch {
                d.error = Some(ErrorCode::FencedLeaderEpoch);
                news = true;
                out.push(d);
                continue;
            }
            if f.replica.is_some() {
                if let Some(e) = fp.last_fetched_epoch {
                    match log.end_offset_for_epoch(e) {
                        Some((found, end)) if found == e && end >= fp.fetch_offset => {}
                        Some((found, end)) => {
                            d.diverging = Some((found, end));
                            news = true;
                            out.push(d);
                            continue;
                        }
                        None => {
                            d.diverging = Some((LeaderEpoch(-1), log.log_start()));
                            news = true;
                            out.push(d);
                            continue;
                        }
                    }
                }
            }
            let upper = match (f.replica, f.isolation) {
                (Some(_), _) => log.leo(),
                (None, IsolationLevel::ReadUncommitted) => log.hw(),
                (None, IsolationLevel::ReadCommitted) => log.lso(),
            };
            if fp.fetch_offset > log.leo() || fp.fetch_offset < log.log_start() {
                d.error = Some(ErrorCode::OffsetOutOfRange);
                news = true;
                out.push(d);
                continue;
            }
            let max = (f.max_records as usize).min(MAX_FETCH_ENTRIES);
            let entries: Vec<LogEntry> = log.read(fp.fetch_offset, upper, max);
            // An incremental fetch-session response (KIP-227) leaves out a
            // partition that would change nothing on the follower.
            if entries.is_empty()
                && fp
                    .follower_hw
                    .is_some_and(|fhw| d.hw.min(fp.fetch_offset) <= fhw)
            {
                continue;
            }
            if !entries.is_empty() {
                news = true;
                if f.isolation == IsolationLevel::ReadCommitted && f.replica.is_none() {
                    let end = entries
                        .last()
                        .map(|e| e.offset.next())
                        .unwrap_or(fp.fetch_offset);
                    d.aborted = log.aborted_txns(fp.fetch_offset, end);
                }
                d.entries = entries;
            }
            out.push(d);
        }
        (out, news)
    }

    /// Answers parked fetches that include `tp` if they now have data.
    pub fn wake_parked(&mut self, tp: Tp) {
        let mut i = 0;
        while i < self.parked.len() {
            let pf = &self.parked[i];
            if self::leaves_parked!(self, pf, tp) {
                i += 1;
                continue;
            }
            let (data, news) = self::read_woken!(self, pf, tp);
            if news {
                let pf = self.parked.remove(i);
                self.answer_fetch(pf.from, pf.fetch_id, data);
                #[cfg(engine_speed)]
                answered(&mut self.fetch_plans, pf);
            } else {
                i += self::unsent!(&mut self.fetch_plans, data, 1);
            }
        }
    }

    /// A parked fetch waited its max wait: it is answered as it is.
    pub fn fetch_wait_expired(&mut self, fetch_id: u64) {
        let Some(pos) = self.parked.iter().position(|p| p.fetch_id == fetch_id) else {
            return;
        };
        let pf = self.parked.remove(pos);
        let (data, _) = self.read_fetch(&pf);
        self.answer_fetch(pf.from, fetch_id, data);
        #[cfg(engine_speed)]
        answered(&mut self.fetch_plans, pf);
    }

    /// Answers `fetch` now if it has something to return (or may not
    /// wait); parks it until its max wait otherwise.
    pub fn answer_or_park(&mut self, now_ms: u64, fetch: ParkedFetch, max_wait_ms: u32) {
        let (data, has_news) = self.read_fetch(&fetch);
        if has_news || max_wait_ms == 0 {
            self.answer_fetch(fetch.from, fetch.fetch_id, data);
            #[cfg(engine_speed)]
            answered(&mut self.fetch_plans, fetch);
        } else {
            let fetch_id = self::unsent!(&mut self.fetch_plans, data, fetch.fetch_id);
            self.parked.push(fetch);
            self.timer_at(
                now_ms + max_wait_ms as u64,
                BrokerTimer::FetchWaitExpired { fetch_id },
            );
        }
    }

    fn answer_fetch(&mut self, to: Node, fetch_id: u64, partitions: Vec<FetchPartitionData>) {
        self.out.send(
            Node::Broker(self.id),
            to,
            Msg::FetchResponse {
                fetch_id,
                partitions,
            },
        );
    }
}

impl Engine {
    /// Whether leaders defer the fetch records of quiet partitions (the
    /// default). Off, every fetch is recorded for every partition as it
    /// comes: the tests play both ways and compare.
    #[doc(hidden)]
    pub fn set_fetch_sessions(&mut self, on: bool) {
        if !on {
            // Sessions the warm-up left behind end here, their deferred
            // records written down.
            self.settle_fetch_sessions();
            for broker in &mut self.brokers {
                broker.follower_sessions.clear();
            }
        }
        self.fetch_sessions = on;
    }

    /// Settles every deferred fetch record, so that the leaders' view of
    /// their followers can be compared with an eager run's.
    #[doc(hidden)]
    pub fn settle_fetch_sessions(&mut self) {
        for broker in &mut self.brokers {
            let followers: Vec<BrokerId> = broker.follower_sessions.keys().copied().collect();
            for f in followers {
                broker.settle_session(f);
            }
        }
    }
    #[cfg(not(engine_speed))]
    /// A Fetch request from a follower or a consumer.
    pub(crate) fn broker_handle_fetch(
        &mut self,
        b: BrokerId,
        fetch: ParkedFetch,
        max_wait_ms: u32,
    ) {
        // Followers' fetch offsets update their progress first.
        if let Some(r) = fetch.replica {
            self.broker_record_follower_fetch(b, r, fetch.fetch_id, &fetch.partitions);
        }
        let now = self.now_ms;
        self.broker(b).answer_or_park(now, fetch, max_wait_ms);
        self.broker_flush(b);
    }

    /// A follower's fetch: records it for each partition of its session
    /// (`updateFollowerFetchState`), except a quiet partition asked for
    /// unchanged, whose record is deferred (`fetch_session.rs`).
    fn broker_record_follower_fetch(
        &mut self,
        b: BrokerId,
        r: BrokerId,
        fetch_id: u64,
        partitions: &[FetchPartition],
    ) {
        let (broker, view) = self.broker_view(b);
        // (`ENABLED` here too, so that the web build leaves sessions out.)
        if !crate::engine::fetch_session::ENABLED || !view.fetch_sessions {
            // Every partition's fetch recorded as it comes.
            for fp in partitions {
                self.broker_update_follower(b, r, fp);
            }
            return;
        }
        let gen = view.controller.generation();
        // (`recorded`: a bit for each partition recorded, for `end_noted_fetch`.)
        let (diff, mut recorded) = (!0, 0u64);
        let diff = if broker.start_follower_fetch(r, gen, partitions) {
            let (mut from, diff) = (0, self.follower_delta(b, r, fetch_id, partitions));
            while let Some(i) = self.broker(b).next_fetch_record(r, from, partitions, diff) {
                self.broker_update_follower(b, r, &partitions[i]);
                recorded |= 1u64.checked_shl(i as u32).unwrap_or(0);
                from = i + 1;
            }
            diff
        } else {
            for fp in partitions {
                self.broker_update_follower(b, r, fp);
            }
            diff
        };
        let (broker, view) = self.broker_view(b);
        if diff != !0 && partitions.len() <= 64 {
            broker.end_noted_fetch(r, fetch_id, (partitions, diff, recorded), &view);
        } else {
            broker.end_follower_fetch(r, fetch_id, gen, (partitions, diff), &view);
        }
    }

    /// One partition of a follower's fetch, with the ISR change and the
    /// new high watermark it may bring.
    fn broker_update_follower(&mut self, b: BrokerId, follower: BrokerId, fp: &FetchPartition) {
        let (broker, view) = self.broker_view(b);
        let Some(fetched) = broker.update_follower(follower, fp, &view) else {
            return;
        };
        if let Some((epoch, isr)) = fetched.join_isr {
            self.controller_alter_partition(fp.tp, b, epoch, isr);
        }
        if fetched.hw_may_move {
            self.broker_maybe_increment_hw(b, fp.tp);
        }
    }
}

impl Broker {
    /// [`Broker::end_follower_fetch`] for a continuing session whose fetch
    /// came with the follower's note (`fetch_delta.rs`) and has at most 64
    /// partitions: each partition was either skipped, and keeps its flag
    /// where it is (a settle during the fetch already ended its quiet), or
    /// recorded (a bit in `recorded`) and is decided again. Only those and
    /// the changed ones are visited, not every partition of the session.
    fn end_noted_fetch(
        &mut self,
        follower: BrokerId,
        fetch_id: u64,
        (partitions, changed, recorded): (&[FetchPartition], u64, u64),
        view: &ClusterView,
    ) {
        debug_assert!(
            (0..partitions.len()).all(|i| self.skipped[i] == (recorded >> i & 1 == 0)),
            "a partition neither skipped nor recorded"
        );
        let mut quiet = 0u64;
        let mut bits = recorded;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            if self.is_quiet(follower, &partitions[i], view) {
                quiet |= 1 << i;
            }
            bits &= bits - 1;
        }
        let s = self
            .follower_sessions
            .get_mut(&follower)
            .expect("a continuing session");
        s.fetch_id = fetch_id;
        s.last_fetch_ms = view.now_ms;
        s.take_parts(partitions, changed);
        let mut bits = recorded;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            s.quiet[i] = quiet >> i & 1 != 0;
            bits &= bits - 1;
        }
    }
}

/// From position `from` on, marks in `skipped` each partition that skips
/// its fetch record (quiet, and asked for as the session holds it) and
/// returns the first that does not, or the end. `asked[i]` is compared
/// with `held[i]` only where `changed` has bit `i` (`fetch_delta.rs`), and
/// past position 63, so a quiet run between two such positions is skipped
/// in one pass over its flags. (Without a note, `changed` has every bit.)
fn skip_unchanged(
    (quiet, held): (&[bool], &[FetchPartition]),
    asked: &[FetchPartition],
    changed: u64,
    skipped: &mut [bool],
    from: usize,
) -> usize {
    let n = quiet
        .len()
        .min(held.len())
        .min(asked.len())
        .min(skipped.len());
    let mut i = from;
    while i < n {
        let next_bit = match i {
            0..64 => (i + (changed >> i).trailing_zeros() as usize).min(64),
            _ => i,
        };
        let end = next_bit.min(n);
        let run = quiet[i..end].iter().take_while(|q| **q).count();
        skipped[i..i + run].fill(true);
        i += run;
        if i < end || i >= n || !(quiet[i] && held[i] == asked[i]) {
            return i;
        }
        skipped[i] = true;
        i += 1;
    }
    i
}

/// The partitions a read answers with (`Broker::read_fetch`). Natively
/// the buffer of an earlier answer that came back empty
/// (`FetchPlans::spare_answer`), or one with room for four from the start,
/// what the first push would make (growing from nothing went through
/// `grow_one`'s out-of-line path each time). The page grows a new one as
/// needed (the least code).
#[cfg(engine_speed)]
#[inline(always)]
fn fetch_out(broker: &Broker) -> Vec<FetchPartitionData> {
    broker
        .fetch_plans
        .spare_answer()
        .unwrap_or_else(|| Vec::with_capacity(4))
}

#[cfg(not(engine_speed))]
#[inline(always)]
fn fetch_out(_: &Broker) -> Vec<FetchPartitionData> {
    Vec::new()
}

/// A read that is not sent (the fetch waits on), then the caller's next
/// step `then`: natively its buffer is kept for the next read
/// (`FetchPlans::keep_spare`); the page drops it where it did. (A macro:
/// the page's expansion is its own tokens, `then` alone, so its code is
/// unchanged; a page-side function that took the buffer changed its wasm.)
/// Built on `sim.rs`'s `speed_or_page!`, the engine's one native-or-page
/// switch for a line of page code.
macro_rules! unsent {
    ($plans:expr, $data:expr, $then:expr) => {
        crate::engine::sim::speed_or_page!(
            {
                $plans.keep_spare($data);
                $then
            },
            $then
        )
    };
}
pub(crate) use unsent;

/// A fetch just answered (its request is only ever read): natively a
/// follower's request goes back to the follower for its next one
/// (`replica_fetcher::AnsweredRequests`).
#[cfg(engine_speed)]
#[inline(always)]
fn answered(plans: &mut crate::engine::replica_fetcher::FetchPlans, fetch: ParkedFetch) {
    plans.keep_answered(fetch.replica, fetch.fetch_id, fetch.partitions);
}

/// Position `i` moved past whole words of eight quiet flags (one 8-byte
/// comparison each), for `Broker::read_fetch`'s skip, whose own loop then
/// steps through the rest of the run. Nearly every read of a follower's
/// fetch in W1 full finds one partition that is not quiet among ~21 (the
/// `__consumer_offsets` partition a commit moved).
#[cfg(not(debug_assertions))]
#[inline(always)]
fn skip_quiet(quiet: &[bool], mut i: usize) -> usize {
    while quiet.get(i..i + 8) == Some(&[true; 8][..]) {
        i += 8;
    }
    i
}

/// The page's answer to "may the HW move after this follower's fetch?":
/// `moved`, the follower moved or is outside the ISR.
#[cfg(not(engine_speed))]
#[inline(always)]
fn may_move(moved: bool, _: &LeaderState, _: &[BrokerId], _: Offset) -> bool {
    moved
}

/// Natively, "may the HW move after this follower's fetch?" is also "no"
/// when a member of the ISR (the fetching follower with its new log end
/// offset, or another) is at or below the HW `hw`.
///
/// Why: an ISR member always counts in the HW rule
/// ([`LeaderState::high_watermark`]) and the HW is at most the smallest log
/// end offset counted, so such a member pins it (a follower that joins the
/// ISR only adds a member). With two followers, the first to fetch a new
/// record finds the other still at the HW: half of W1 full's follower
/// fetches that moved a follower asked the full rule
/// (`Engine::broker_maybe_increment_hw`, ~145 instructions: the replica and
/// the leader looked up again, the ISR and `min.insync.replicas` from the
/// controller) only to leave the HW where it was. Here the replica, the HW
/// and the ISR are already in hand: two followers and a three-entry ISR.
#[cfg(engine_speed)]
#[inline(always)]
fn may_move(moved: bool, leader: &LeaderState, isr: &[BrokerId], hw: Offset) -> bool {
    if !moved {
        return false;
    }
    let pinned = leader.isr_follower_pins_hw(isr, hw);
    // The rule's bound from the ISR alone (no leader, no lag allowance,
    // no `min.insync.replicas`) is at or below the HW when a member pins it.
    debug_assert!(
        !pinned
            || leader
                .high_watermark(Offset(i64::MAX), isr, 0, 0, 0, |_| false)
                .is_some_and(|h| h <= hw),
        "an ISR member pinned a high watermark the rule would move"
    );
    !pinned
}

/// Natively, a fetch the leader answers or parks while its outbox is empty
/// has its answer sent (or its max-wait timer scheduled) by the engine
/// itself, not recorded in the broker's outbox and flushed.
///
/// Why: every fetch in W1 full (a follower's about once a record, and the
/// consumers') ends in [`Broker::answer_or_park`], which records one
/// effect, the `FetchResponse` or the `FetchWaitExpired` timer; the flush
/// that follows took the outbox, popped that effect and passed it to the
/// out-of-line `apply_effect` (~200 instructions around the one `send` or
/// `schedule` the trace sees). With the outbox empty before the answer, the
/// answer is the next effect either way, so sending or scheduling it at
/// once is the same step at the same point; with something queued (a
/// follower's fetch that recorded more), the page's steps keep it behind.
#[cfg(engine_speed)]
impl Engine {
    /// A Fetch request from a follower or a consumer.
    pub(crate) fn broker_handle_fetch(
        &mut self,
        b: BrokerId,
        fetch: ParkedFetch,
        max_wait_ms: u32,
    ) {
        // Followers' fetch offsets update their progress first.
        if let Some(r) = fetch.replica {
            self.broker_record_follower_fetch(b, r, fetch.fetch_id, &fetch.partitions);
        }
        let now = self.now_ms;
        let broker = self.broker(b);
        if !broker.out.is_empty() {
            broker.answer_or_park(now, fetch, max_wait_ms);
            self.broker_flush(b);
            return;
        }
        match broker.answer_or_park_unqueued(now, fetch, max_wait_ms) {
            Ok((to, fetch_id, partitions)) => self.send(
                Node::Broker(b),
                to,
                Msg::FetchResponse {
                    fetch_id,
                    partitions,
                },
            ),
            Err((at_ms, fetch_id)) => self.schedule(
                at_ms,
                crate::engine::sim::Action::Broker {
                    broker: b,
                    timer: BrokerTimer::FetchWaitExpired { fetch_id },
                },
            ),
        }
    }
}

#[cfg(engine_speed)]
impl Broker {
    /// [`Broker::answer_or_park`] without its effect: `Ok` with the answer
    /// to send (to whom, the fetch's id, the data), or `Err` with the
    /// deadline and the id of the fetch now parked.
    #[inline(always)]
    fn answer_or_park_unqueued(
        &mut self,
        now_ms: u64,
        fetch: ParkedFetch,
        max_wait_ms: u32,
    ) -> Result<(Node, u64, Vec<FetchPartitionData>), (u64, u64)> {
        let (data, has_news) = match self.session_read(&fetch, max_wait_ms != 0) {
            SessionRead::Unread => {
                // Parked unread (see `surely_no_news`).
                let fetch_id = fetch.fetch_id;
                self.parked.push(fetch);
                return Err((now_ms + max_wait_ms as u64, fetch_id));
            }
            SessionRead::Read(read) => read,
            SessionRead::Unknown => self.read_fetch(&fetch),
        };
        if has_news || max_wait_ms == 0 {
            let answer = (fetch.from, fetch.fetch_id, data);
            answered(&mut self.fetch_plans, fetch);
            Ok(answer)
        } else {
            let fetch_id = self::unsent!(&mut self.fetch_plans, data, fetch.fetch_id);
            self.parked.push(fetch);
            Err((now_ms + max_wait_ms as u64, fetch_id))
        }
    }
}

/// Natively, a follower's fetch that surely has no news is left unread:
/// when woken ([`Broker::wake_parked`]), it stays parked; when it arrives
/// ([`Broker::answer_or_park_unqueued`]), it parks at once. (The page
/// reads it: its `surely_no_news` is `false`.)
///
/// Why: a follower's fetch reads up to the log end, so a new high
/// watermark alone is no news for it (it waits on, as in
/// `DelayedFetch.tryComplete`, where a HW adds no bytes towards
/// `fetch.min.bytes`). In W1 full every offset commit moves the
/// `__consumer_offsets` HW when the second follower's fetch arrives: that
/// fetch then read its partitions only to park, and the HW move woke the
/// fetch the first follower had parked there, read in full again (~400
/// instructions each time: the session, the quiet skip, the replica's
/// checks, an empty log read, the answer built and dropped unsent). The
/// read skips the partitions quiet in the fetch's session
/// (`fetch_session.rs`); [`Broker::surely_no_news`] asks the read's own
/// checks of the one partition that is not (if any): led here by a live
/// broker, the follower at its log end in the leader's epoch, with the
/// latest epoch as the epoch it last fetched, so no records, no fenced
/// epoch, no divergence and no out-of-range offset. Debug builds read the
/// fetch anyway and check that it has no news.
#[cfg(engine_speed)]
impl Broker {
    /// Whether [`Broker::read_fetch`] of `f`, a follower's fetch, surely
    /// has no news: every partition but at most one is quiet in its
    /// session (whose latest fetch it is), and that one has nothing but a
    /// new HW for it. `false` means "maybe": the read decides.
    #[inline(always)]
    fn surely_no_news(&self, f: &ParkedFetch) -> bool {
        self.latest_session(f)
            .is_some_and(|s| self.no_news_in(s, f))
    }

    /// The session of `f`'s follower while `f` is its latest fetch: the
    /// one whose quiet flags [`Broker::read_fetch`] of `f` skips by.
    #[inline(always)]
    fn latest_session(&self, f: &ParkedFetch) -> Option<&FollowerSession> {
        f.replica
            .filter(|_| crate::engine::fetch_session::ENABLED)
            .and_then(|r| self.follower_sessions.get(&r))
            .filter(|s| s.fetch_id == f.fetch_id)
    }

    /// [`Broker::surely_no_news`] of `f`, whose latest session is `s`.
    #[inline(never)]
    fn no_news_in(&self, s: &FollowerSession, f: &ParkedFetch) -> bool {
        let Some(quiet) = s.quiet.get(..f.partitions.len()) else {
            return false;
        };
        let sure = match lone_loud(quiet) {
            Some(None) => true,
            Some(Some(k)) => self.only_hw_for(&f.partitions[k]),
            None => false,
        };
        debug_assert!(
            !sure || !self.read_fetch(f).1,
            "a fetch left unread had news"
        );
        sure
    }

    /// Whether a follower's fetch `fp` finds nothing in its partition but
    /// a HW: led here by a live broker, `fp` at the log end in the
    /// leader's epoch, having last fetched the latest epoch.
    #[inline(always)]
    fn only_hw_for(&self, fp: &FetchPartition) -> bool {
        self.led_live(fp.tp)
            .is_some_and(|(rep, leader)| only_hw_in(rep, leader, fp))
    }

    /// `tp`'s replica and its leader state, when led here by a live
    /// broker: what [`Broker::read_fetch`] asks before anything else.
    #[inline(always)]
    fn led_live(&self, tp: Tp) -> Option<(&Replica, &LeaderState)> {
        let rep: &Replica = self.replicas.get(&tp).filter(|_| self.alive)?;
        Some((rep, rep.leader.as_ref()?))
    }
}

/// [`Broker::only_hw_for`] of `fp`, whose partition's replica `rep` is
/// led here (by `leader`) on a live broker.
#[cfg(engine_speed)]
#[inline(always)]
fn only_hw_in(rep: &Replica, leader: &LeaderState, fp: &FetchPartition) -> bool {
    let log = &rep.log;
    fp.fetch_offset == log.leo()
        && fp.current_leader_epoch == leader.epoch
        && fp
            .last_fetched_epoch
            .is_none_or(|e| e.0 >= 0 && log.latest_epoch() == Some(e))
}

/// The one position among `quiet`'s flags that is not set: `Some(None)`
/// if every flag is set, `Some(Some(k))` if only `k`'s is not, `None` if
/// two or more are not. One pass, eight flags to a 64-bit word: a flag
/// that is not set is a set bit of the word XOR `0x0101…01` (a `bool` is
/// the byte 0 or 1), so a word with one is found by one comparison with
/// zero, a second one in it by one more, and its position by its trailing
/// zeros. The flags past the last whole word are read as the last eight,
/// shifted past those already read.
///
/// Why: `surely_no_news` asks this of every follower's fetch that arrives
/// or is woken (~109,000 in the 3 x 20k-record W1 full run, ~21 flags
/// each). It looked for the first flag not set and then for a second one
/// after it, in two passes that went flag by flag through each word's
/// worth that was not all set (~5 instructions a flag). Debug builds check
/// the answer flag by flag.
#[cfg(engine_speed)]
#[inline(always)]
fn lone_loud(quiet: &[bool]) -> Option<Option<usize>> {
    let answer = lone_loud_by_words(quiet);
    debug_assert_eq!(
        answer,
        {
            let mut not_set = (0..quiet.len()).filter(|i| !quiet[*i]);
            match (not_set.next(), not_set.next()) {
                (first, None) => Some(first),
                _ => None,
            }
        },
        "the lone flag not set in {quiet:?}"
    );
    answer
}

/// [`lone_loud`]'s pass.
#[cfg(engine_speed)]
#[inline(always)]
fn lone_loud_by_words(quiet: &[bool]) -> Option<Option<usize>> {
    let n = quiet.len();
    let mut loud = None;
    if n < 8 {
        for (i, q) in quiet.iter().enumerate() {
            if !*q && !note_loud(&mut loud, i, 1) {
                return None;
            }
        }
        return Some(loud);
    }
    let mut words = quiet.chunks_exact(8);
    let mut base = 0;
    for w in words.by_ref() {
        if !note_loud(&mut loud, base, loud_bits(w)) {
            return None;
        }
        base += 8;
    }
    // The last word overlaps the one before it: its bytes below `base`
    // were read already.
    let rest = words.remainder().len();
    if rest != 0
        && !note_loud(
            &mut loud,
            base,
            loud_bits(&quiet[n - 8..]) >> (8 * (8 - rest)),
        )
    {
        return None;
    }
    Some(loud)
}

/// Eight flags as a word with a set low bit in the byte of each flag that
/// is not set (one 8-byte load).
#[cfg(engine_speed)]
#[inline(always)]
fn loud_bits(eight: &[bool]) -> u64 {
    let eight: &[bool; 8] = eight.try_into().expect("eight flags");
    u64::from_le_bytes(eight.map(u8::from)) ^ 0x0101_0101_0101_0101
}

/// Notes in `loud` the flags not set in a word's `bits` (byte `j` for the
/// flag at `base + j`); `false` once two or more were seen.
#[cfg(engine_speed)]
#[inline(always)]
fn note_loud(loud: &mut Option<usize>, base: usize, bits: u64) -> bool {
    if bits == 0 {
        return true;
    }
    if loud.is_some() || bits & (bits - 1) != 0 {
        return false;
    }
    *loud = Some(base + bits.trailing_zeros() as usize / 8);
    true
}

/// `leaves_parked!(broker, fetch, tp)`: whether `Broker::wake_parked`
/// leaves the parked `fetch` where it is after a change to `tp`, because
/// it does not ask for `tp` or surely has no news, before reading it. On
/// the course page the page's own condition (a macro, as `unsent!`, so
/// that the page's code is its own tokens); natively `false`: the woken
/// read ([`read_woken!`], [`Broker::read_woken`]) answers both questions
/// with one look at the fetch's session, and a fetch left where it is
/// reads as an empty answer without news (the page's `else` step, the
/// same `i += 1`).
///
/// Why: the check and the read each looked up the session, read its quiet
/// flags (`lone_loud`) and looked up the loud partition's replica (the
/// check through the out-of-line `no_news_in`), for each follower's fetch
/// woken (~45,600 checks and ~30,300 reads in the 3 x 20k-record W1 full
/// run).
macro_rules! leaves_parked {
    ($broker:expr, $pf:expr, $tp:expr) => {
        crate::engine::sim::speed_or_page!(
            false,
            !$pf.partitions.iter().any(|p| p.tp == $tp) || $broker.surely_no_news($pf)
        )
    };
}
use leaves_parked;

/// The page reads every fetch it wakes (see the native `surely_no_news`).
#[cfg(not(engine_speed))]
impl Broker {
    #[inline(always)]
    fn surely_no_news(&self, _: &ParkedFetch) -> bool {
        false
    }
}

/// What a follower's fetch reads, decided through its session
/// ([`Broker::session_read`]).
#[cfg(engine_speed)]
enum SessionRead {
    /// It surely has no news and may wait: it is left unread (see
    /// `surely_no_news`).
    Unread,
    /// What [`Broker::read_fetch`] answers.
    Read((Vec<FetchPartitionData>, bool)),
    /// The session does not decide (none, or two or more partitions not
    /// quiet): the page's [`Broker::read_fetch`] reads it.
    Unknown,
}

/// Natively, a follower's fetch whose session has every partition quiet
/// but at most one is read at that one partition alone, the session
/// looked up and its quiet flags read once for the "no news" check and
/// the read together.
///
/// Why: an arriving follower's fetch that `surely_no_news` could not
/// leave unread (in W1 full nearly always one `__consumer_offsets`
/// partition with a record to copy) went on to [`Broker::read_fetch`],
/// which looked up the session again, stepped through ~21 quiet flags
/// again and looked the loud partition's replica up again (~345
/// instructions a read of its own, ~30,500 arrivals and ~30,600 wakes of
/// a 3 x 20k-record run). Here the flags' one pass (`lone_loud`) gives
/// the loud partition and one replica lookup serves both the check and
/// the read. The page's read has its per-partition rules inline in its
/// loop (they cannot move into a function without changing the page), so
/// [`Broker::read_loud_in`] follows them for a follower's fetch (no
/// isolation level, reads up to the log end); debug builds compare every
/// answer with [`Broker::read_fetch`]'s.
#[cfg(engine_speed)]
impl Broker {
    /// A follower's fetch `f` read through its session: `Unread` only
    /// with `may_skip` (the fetch may wait).
    #[inline(always)]
    fn session_read(&self, f: &ParkedFetch, may_skip: bool) -> SessionRead {
        match self.latest_session(f) {
            Some(s) => self.read_in_session(s, f, may_skip),
            None => SessionRead::Unknown,
        }
    }

    /// [`Broker::session_read`] of `f`, whose latest session is `s`.
    #[inline(always)]
    fn read_in_session(&self, s: &FollowerSession, f: &ParkedFetch, may_skip: bool) -> SessionRead {
        let Some(quiet) = s.quiet.get(..f.partitions.len()) else {
            return SessionRead::Unknown;
        };
        let answer = match lone_loud(quiet) {
            None => return SessionRead::Unknown,
            Some(None) if may_skip => SessionRead::Unread,
            Some(None) => SessionRead::Read((fetch_out(self), false)),
            Some(Some(k)) => self.read_loud(f, &f.partitions[k], may_skip),
        };
        debug_assert!(
            match &answer {
                SessionRead::Unread => self.surely_no_news(f),
                SessionRead::Read(read) => *read == self.read_fetch(f),
                SessionRead::Unknown => true,
            },
            "a session's read of a fetch differs from the page's"
        );
        answer
    }

    /// [`Broker::session_read`] of `f` at its one partition `fp` not
    /// quiet.
    #[inline(always)]
    fn read_loud(&self, f: &ParkedFetch, fp: &FetchPartition, may_skip: bool) -> SessionRead {
        let Some((rep, leader)) = self.led_live(fp.tp) else {
            let mut out = fetch_out(self);
            out.push(FetchPartitionData {
                error: Some(ErrorCode::NotLeaderOrFollower),
                ..no_data(fp.tp, [Offset(0); 3])
            });
            return SessionRead::Read((out, true));
        };
        if may_skip && only_hw_in(rep, leader, fp) {
            return SessionRead::Unread;
        }
        SessionRead::Read(self.read_loud_in((rep, leader), f.max_records, fp))
    }

    /// [`Broker::read_fetch`]'s rules for partition `fp` of a follower's
    /// fetch (of `max_records` at most), led here by `leader` at replica
    /// `rep`: the answer (with that partition's, unless left out) and
    /// whether it has news. The partition's answer goes into a kept buffer
    /// over the partition kept in it ([`answer_slot`]).
    #[inline(always)]
    fn read_loud_in(
        &self,
        (rep, leader): (&Replica, &LeaderState),
        max_records: u32,
        fp: &FetchPartition,
    ) -> (Vec<FetchPartitionData>, bool) {
        let log = &rep.log;
        // The page's common case first (nothing new).
        if fp.follower_hw.is_some_and(|fhw| {
            fp.current_leader_epoch >= leader.epoch
                && fp.fetch_offset == log.leo()
                && fp
                    .last_fetched_epoch
                    .is_none_or(|e| log.latest_epoch() == Some(e))
                && log.hw().min(fp.fetch_offset) <= fhw
        }) {
            return (fetch_out(self), false);
        }
        let mut out = self
            .fetch_plans
            .kept_answer()
            .unwrap_or_else(|| Vec::with_capacity(4));
        let d = answer_slot(&mut out, fp.tp, [log.hw(), log.lso(), log.log_start()]);
        let diverging = |e: LeaderEpoch| match log.end_offset_for_epoch(e) {
            Some((found, end)) if found == e && end >= fp.fetch_offset => None,
            Some(found_end) => Some(found_end),
            None => Some((LeaderEpoch(-1), log.log_start())),
        };
        if fp.current_leader_epoch < leader.epoch {
            d.error = Some(ErrorCode::FencedLeaderEpoch);
        } else if let Some(div) = fp.last_fetched_epoch.and_then(diverging) {
            d.diverging = Some(div);
        } else if fp.fetch_offset > log.leo() || fp.fetch_offset < log.log_start() {
            d.error = Some(ErrorCode::OffsetOutOfRange);
        } else {
            let max = (max_records as usize).min(MAX_FETCH_ENTRIES);
            log.read_into(fp.fetch_offset, log.leo(), max, &mut d.entries);
            if d.entries.is_empty() {
                if fp
                    .follower_hw
                    .is_some_and(|fhw| d.hw.min(fp.fetch_offset) <= fhw)
                {
                    out.clear();
                }
                return (out, false);
            }
        }
        (out, true)
    }

    /// What [`Broker::wake_parked`] reads of a woken fetch `pf` after a
    /// change to `tp` (see [`read_woken!`]): an empty answer without news
    /// when `pf` does not ask for `tp` or surely has no news (the page
    /// leaves it parked unread: [`leaves_parked!`]), else its read.
    ///
    /// A follower's fetch that is its session's latest asks for exactly
    /// the session's partitions (`fetch_session.rs`), in the same order, so
    /// the session finds `tp`'s position at once (its hint holds the
    /// position the settle before the wake just found) where the page
    /// compares `tp` with the fetch's partitions one by one. Debug builds
    /// compare with the page's search.
    #[inline(always)]
    fn read_woken(&self, pf: &ParkedFetch, tp: Tp) -> (Vec<FetchPartitionData>, bool) {
        let session = self.latest_session(pf);
        let asks = match session {
            Some(s) => s.position(tp).is_some(),
            None => pf.partitions.iter().any(|p| p.tp == tp),
        };
        debug_assert_eq!(
            asks,
            pf.partitions.iter().any(|p| p.tp == tp),
            "a session's latest fetch asks for the session's partitions"
        );
        if !asks {
            return (Vec::new(), false);
        }
        match session.map(|s| self.read_in_session(s, pf, true)) {
            Some(SessionRead::Read(read)) => read,
            Some(SessionRead::Unread) => (Vec::new(), false),
            Some(SessionRead::Unknown) | None => self.read_fetch(pf),
        }
    }
}

/// A partition's answer with nothing in it yet but the log's bounds
/// (`hw`, `lso`, `log_start`; zeros with an error).
#[cfg(engine_speed)]
#[inline(always)]
fn no_data(tp: Tp, [hw, lso, log_start]: [Offset; 3]) -> FetchPartitionData {
    let (entries, aborted) = (Vec::new(), Vec::new());
    FetchPartitionData {
        tp,
        hw,
        lso,
        log_start,
        error: None,
        diverging: None,
        entries,
        aborted,
    }
}

/// `out`'s one partition answer, set to `no_data(tp, bounds)`: the one
/// kept in it overwritten in place, its entries' buffer kept (emptied), or
/// a new one pushed.
#[cfg(engine_speed)]
#[inline(always)]
fn answer_slot(
    out: &mut Vec<FetchPartitionData>,
    tp: Tp,
    bounds: [Offset; 3],
) -> &mut FetchPartitionData {
    debug_assert!(out.len() <= 1, "a kept answer keeps one partition");
    out.truncate(1);
    match out.first_mut() {
        Some(d) => {
            let mut entries = std::mem::take(&mut d.entries);
            entries.clear();
            *d = FetchPartitionData {
                entries,
                ..no_data(tp, bounds)
            };
        }
        None => out.push(no_data(tp, bounds)),
    }
    &mut out[0]
}

/// `read_woken!(broker, fetch, tp)`: what `Broker::wake_parked` reads of
/// the `fetch` a change to `tp` woke. Natively [`Broker::read_woken`],
/// through the fetch's session (see [`Broker::session_read`]), which also
/// decides what the page's `leaves_parked!` does; on the course page the
/// page's own `read_fetch` (a macro, as `leaves_parked!`, so that the
/// page's code is its own tokens).
macro_rules! read_woken {
    ($broker:expr, $pf:expr, $tp:expr) => {
        crate::engine::sim::speed_or_page!($broker.read_woken($pf, $tp), $broker.read_fetch($pf))
    };
}
use read_woken;
