//! The client's metadata cache: which broker leads each partition, as far as
//! this producer or consumer knows (`org.apache.kafka.clients.Metadata`,
//! `NetworkClient.DefaultMetadataUpdater`).
//!
//! A Kafka client never asks the controller. It asks *any* broker for a
//! `Metadata` response (partition → leader, leader epoch), keeps the answer,
//! and sends every Produce and Fetch to the leader it remembers. The cache
//! goes stale whenever leadership moves, and the client only finds out when
//! something fails:
//!
//! - a response says NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH or
//!   UNKNOWN_TOPIC_OR_PARTITION (an `InvalidMetadataException`), or
//! - the connection to a broker closes (`handleServerDisconnect`),
//!
//! and then it requests an update (`Metadata.requestUpdate`). The cache is
//! also refreshed every `metadata.max.age.ms` (5 minutes by default) even if
//! nothing failed. Updates are rate-limited by the refresh backoff
//! (`retry.backoff.ms`), one request in flight at a time, sent to the "least
//! loaded" broker (here: the next one in turn whose connection has not just
//! closed). A response never replaces a partition's entry with an *older*
//! leader epoch (`Metadata.updateLatestMetadata`, KIP-320), so a lagging
//! broker cannot send the client back to a former leader.
//!
//! That is why a failover takes a client two extra round trips: the failed
//! request, the Metadata request and response, then the resend to the new
//! leader. Before the run starts, each client has bootstrapped (its first
//! Metadata response is in the cache when the picture begins).
//!
//! Coordinators are cached the same way (`AbstractCoordinator.coordinator`,
//! `TransactionManager`'s transaction and group coordinators): found with a
//! `FindCoordinator` request to any reachable broker, one at a time, kept
//! until the connection closes or a response says NOT_COORDINATOR or
//! COORDINATOR_NOT_AVAILABLE (`markCoordinatorUnknown`), then looked up
//! again. The first lookup, like the bootstrap, is done before the picture.

use crate::engine::event::{ErrorCode, EventKind, Node};
use crate::engine::ids::*;
use crate::engine::network::{CoordinatorKey, Msg};
use crate::engine::sim::{Action, Engine};
use crate::engine::vecmap::VecMap;

/// After a connection closes, the client waits `reconnect.backoff.ms`
/// before it connects to that broker again, doubling with each failure in a
/// row up to `reconnect.backoff.max.ms` (`ClusterConnectionStates`; Java's
/// ±20 % jitter is left out).
pub const RECONNECT_BACKOFF_MS: u64 = 50;
/// `metadata.max.age.ms` (Kafka's default; not configurable here).
pub const METADATA_MAX_AGE_MS: u64 = 300_000;
pub const RECONNECT_BACKOFF_MAX_MS: u64 = 1000;

/// One partition's entry: its leader (None: no leader, LEADER_NOT_AVAILABLE)
/// and the leader epoch the entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeaderInfo {
    pub leader: Option<BrokerId>,
    pub epoch: LeaderEpoch,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ClientMetadata {
    pub partitions: VecMap<Tp, LeaderInfo>,
    /// `needFullUpdate`: something failed; refresh as soon as the backoff allows.
    pub update_requested: bool,
    /// The broker a Metadata request is in flight to (at most one).
    pub in_flight: Option<BrokerId>,
    /// `lastSuccessfulRefreshMs`: `metadata.max.age.ms` counts from here.
    pub last_success_ms: u64,
    /// `lastRefreshMs` (success or failure): the refresh backoff counts from here.
    pub last_attempt_ms: u64,
    /// Brokers whose connection closed, and until when they are skipped.
    pub unreachable: VecMap<BrokerId, u64>,
    /// Connection failures in a row, per broker (the reconnect backoff doubles).
    pub failures: VecMap<BrokerId, u64>,
    /// Where the search for the next node to ask starts (round robin).
    pub next_node: u16,
    /// A wake-up is scheduled for this time (a refresh waiting on a backoff).
    pub wake_at_ms: Option<u64>,
    /// The coordinators this client found, by key.
    pub coordinators: Vec<(CoordinatorKey, BrokerId)>,
    /// A FindCoordinator is in flight (at most one).
    pub finding_coordinator: bool,
    /// Why the last coordinator was forgotten: the error it answered, or
    /// `None` when its connection closed.
    pub coordinator_lost: Option<ErrorCode>,
    /// Brokers whose connection closed and has not been set up again
    /// (the bootstrap connected to every broker).
    pub closed: Vec<BrokerId>,
    /// Brokers a new connection is being set up to (its ApiVersions request).
    pub connecting: Vec<BrokerId>,
}

/// What a Metadata response changed: partitions whose leader is now different.
pub type LeaderChanges = Vec<(Tp, Option<BrokerId>, LeaderInfo)>;

impl ClientMetadata {
    /// A cache filled by the bootstrap Metadata response.
    pub fn bootstrapped(now_ms: u64, partitions: VecMap<Tp, LeaderInfo>) -> Self {
        ClientMetadata {
            partitions,
            last_success_ms: now_ms,
            last_attempt_ms: now_ms,
            ..Default::default()
        }
    }

    /// The leader this client would send to (None: unknown, so not ready).
    pub fn leader(&self, tp: Tp) -> Option<BrokerId> {
        self.partitions.get(&tp).and_then(|i| i.leader)
    }

    /// The leader epoch the client knows for `tp` (sent in Fetch requests as
    /// `current_leader_epoch`).
    pub fn leader_epoch(&self, tp: Tp) -> LeaderEpoch {
        self.partitions.get(&tp).map_or(LeaderEpoch(0), |i| i.epoch)
    }

    /// When `broker`'s reconnect backoff ends, if it has not yet: until
    /// then the client does not use that connection (`NetworkClient.ready`).
    pub fn reconnect_at(&self, broker: BrokerId, now_ms: u64) -> Option<u64> {
        self.unreachable
            .get(&broker)
            .copied()
            .filter(|t| *t > now_ms)
    }

    /// `Metadata.requestUpdate`.
    pub fn request_update(&mut self) {
        self.update_requested = true;
    }

    /// `Metadata.timeToNextUpdate`: 0 when an update is due now.
    pub fn time_to_next_update_ms(&self, now_ms: u64, max_age_ms: u64, backoff_ms: u64) -> u64 {
        let to_expire = if self.update_requested {
            0
        } else {
            (self.last_success_ms + max_age_ms).saturating_sub(now_ms)
        };
        let to_allow = (self.last_attempt_ms + backoff_ms).saturating_sub(now_ms);
        to_expire.max(to_allow)
    }

    /// Picks the broker to ask (`leastLoadedNode`): in turn, one whose
    /// connection has not failed since it last answered; else one out of
    /// its reconnect backoff; else none, and `Err` says when the first
    /// backoff ends.
    pub fn pick_node(&mut self, now_ms: u64, brokers: u16) -> Result<BrokerId, u64> {
        let n = brokers.max(1);
        for healthy_only in [true, false] {
            for i in 0..n {
                let b = BrokerId((self.next_node + i) % n);
                let backing_off = self.reconnect_at(b, now_ms).is_some();
                if backing_off || (healthy_only && self.failures.contains_key(&b)) {
                    continue;
                }
                self.next_node = (b.0 + 1) % n;
                return Ok(b);
            }
        }
        Err(self.unreachable.values().copied().min().unwrap_or(now_ms))
    }

    /// The request left for `broker`.
    pub fn sent(&mut self, now_ms: u64, broker: BrokerId) {
        self.in_flight = Some(broker);
        self.last_attempt_ms = now_ms;
    }

    /// The connection to `broker` closed (`handleServerDisconnect`): refresh,
    /// and skip that broker for a while. A request in flight to it failed.
    pub fn disconnected(&mut self, now_ms: u64, broker: BrokerId) {
        // `markCoordinatorUnknown`: a coordinator's connection closed.
        let known = self.coordinators.len();
        self.coordinators.retain(|(_, b)| *b != broker);
        if self.coordinators.len() < known {
            self.coordinator_lost = None;
        }
        if !self.closed.contains(&broker) {
            self.closed.push(broker);
        }
        self.connecting.retain(|b| *b != broker);
        let n = self.failures.entry_or_insert_with(broker, || 0);
        let backoff_ms = (RECONNECT_BACKOFF_MS << (*n).min(10)).min(RECONNECT_BACKOFF_MAX_MS);
        *n += 1;
        self.unreachable.insert(broker, now_ms + backoff_ms);
        if self.in_flight == Some(broker) {
            self.in_flight = None;
            self.last_attempt_ms = now_ms; // `failedUpdate`
        }
        self.request_update();
    }

    /// A response came back from `broker`: its connection works.
    pub fn connected(&mut self, broker: BrokerId) {
        self.unreachable.remove(&broker);
        self.failures.remove(&broker);
        self.closed.retain(|b| *b != broker);
        self.connecting.retain(|b| *b != broker);
    }

    /// A Metadata response arrived. Returns the partitions whose leader
    /// changed. An entry with an older leader epoch than the cached one is
    /// ignored (KIP-320).
    pub fn update(
        &mut self,
        now_ms: u64,
        from: BrokerId,
        response: &[(Tp, LeaderInfo)],
    ) -> LeaderChanges {
        if self.in_flight == Some(from) {
            self.in_flight = None;
        }
        self.connected(from);
        self.update_requested = false;
        self.last_success_ms = now_ms;
        self.last_attempt_ms = now_ms;
        let mut changes = Vec::new();
        for &(tp, info) in response {
            let old = self.partitions.get(&tp).copied();
            if old.is_some_and(|o| info.epoch < o.epoch) {
                continue;
            }
            if old.map(|o| o.leader) != Some(info.leader) {
                changes.push((tp, old.and_then(|o| o.leader), info));
            }
            self.partitions.insert(tp, info);
        }
        // A partition without a leader is not usable: keep asking.
        if response.iter().any(|(_, i)| i.leader.is_none()) {
            self.update_requested = true;
        }
        changes
    }
}

// ---- the engine's side: requests, responses, and the broker's answer --------

impl Engine {
    /// Every non-internal partition's leader as the controller has it now:
    /// what a broker's metadata cache answers (KRaft brokers follow the
    /// metadata log; here they are never behind it).
    fn current_leaders(&self) -> Vec<(Tp, LeaderInfo)> {
        self.all_partitions()
            .into_iter()
            .filter(|tp| !self.topic(tp.topic).internal)
            .map(|tp| {
                let m = self.partition_meta(tp);
                (
                    tp,
                    LeaderInfo {
                        leader: m.leader,
                        epoch: m.leader_epoch,
                    },
                )
            })
            .collect()
    }

    /// A client's cache after its bootstrap Metadata response and the
    /// FindCoordinator lookups for `coordinators` (done before the picture).
    pub(crate) fn bootstrap_metadata(&self, coordinators: &[CoordinatorKey]) -> ClientMetadata {
        let mut m = VecMap::new();
        for (tp, info) in self.current_leaders() {
            m.insert(tp, info);
        }
        let mut cache = ClientMetadata::bootstrapped(self.now_ms, m);
        for key in coordinators {
            if let Some(b) = self.current_coordinator(key) {
                cache.coordinators.push((key.clone(), b));
            }
        }
        cache
    }

    /// The broker answers a Metadata request from its metadata cache.
    pub(crate) fn broker_handle_metadata(&mut self, b: BrokerId, from: Node) {
        let partitions = self.current_leaders();
        self.send(Node::Broker(b), from, Msg::MetadataResponse { partitions });
    }

    fn client_metadata(&mut self, client: Node) -> Option<&mut ClientMetadata> {
        match client {
            Node::Producer(p) => Some(&mut self.producers[p.0 as usize].metadata),
            Node::Consumer(c) => Some(&mut self.consumers[c.0 as usize].metadata),
            _ => None,
        }
    }

    /// The refresh backoff of a client (`retry.backoff.ms`; the consumer's is
    /// Kafka's default).
    fn metadata_backoff_ms(&self, client: Node) -> u64 {
        match client {
            Node::Producer(p) => self.cfg.producers[p.0 as usize].retry_backoff_ms as u64,
            _ => 100,
        }
    }

    /// `DefaultMetadataUpdater.maybeUpdate`: sends a Metadata request if one
    /// is due. An update that is wanted but must wait (refresh backoff, or
    /// every broker in reconnect backoff) gets a wake-up timer.
    pub(crate) fn client_maybe_update_metadata(&mut self, client: Node) {
        let now = self.now_ms;
        let backoff_ms = self.metadata_backoff_ms(client);
        let brokers = self.brokers.len() as u16;
        let Some(m) = self.client_metadata(client) else {
            return;
        };
        if m.in_flight.is_some() {
            return;
        }
        let wait = m.time_to_next_update_ms(now, METADATA_MAX_AGE_MS, backoff_ms);
        let wake_at_ms = if wait > 0 {
            if !m.update_requested {
                return; // nothing failed: the next poll after max age asks
            }
            now + wait
        } else {
            match m.pick_node(now, brokers) {
                Ok(b) => {
                    m.sent(now, b);
                    self.send(client, Node::Broker(b), Msg::Metadata {});
                    return;
                }
                Err(retry_at_ms) => retry_at_ms.max(now + 1),
            }
        };
        self.client_wake_at(client, wake_at_ms);
    }

    /// Wakes the client's network loop at `at_ms` (a metadata refresh or a
    /// reconnect that has to wait for its backoff), unless an earlier
    /// wake-up is already on its way.
    pub(crate) fn client_wake_at(&mut self, client: Node, at_ms: u64) {
        let now = self.now_ms;
        let Some(m) = self.client_metadata(client) else {
            return;
        };
        if m.wake_at_ms.is_some_and(|w| w >= now && w <= at_ms) {
            return;
        }
        m.wake_at_ms = Some(at_ms);
        self.schedule(at_ms, Action::ClientWake { client });
    }

    /// The wake-up: the client's network loop runs again.
    pub(crate) fn client_wake(&mut self, client: Node) {
        let now = self.now_ms;
        if let Some(m) = self.client_metadata(client) {
            if m.wake_at_ms == Some(now) {
                m.wake_at_ms = None;
            }
        }
        match client {
            Node::Producer(p) if self.producers[p.0 as usize].alive => self.producer_sender_run(p),
            Node::Consumer(c) if self.consumers[c.0 as usize].alive => {
                self.consumer_network_wake(c)
            }
            _ => {}
        }
    }

    /// A Metadata response: update the cache, and tell the story if a
    /// leader moved. Returns whether anything moved.
    pub(crate) fn client_metadata_response(
        &mut self,
        client: Node,
        from: BrokerId,
        partitions: &[(Tp, LeaderInfo)],
    ) -> bool {
        let now = self.now_ms;
        let Some(m) = self.client_metadata(client) else {
            return false;
        };
        let changes = m.update(now, from, partitions);
        if changes.is_empty() {
            return false;
        }
        let moved = changes
            .into_iter()
            .map(|(tp, old, new)| (tp, old, new.leader, new.epoch))
            .collect();
        self.emit(EventKind::MetadataUpdated {
            client,
            from,
            moved,
        });
        true
    }

    /// `lookupCoordinator` / `checkAndGetCoordinator`: the coordinator for
    /// `key` this client found, unless its connection is in reconnect
    /// backoff. When it knows none it asks a reachable broker with
    /// FindCoordinator (one request at a time) and returns None: the caller
    /// tries again later.
    pub(crate) fn client_coordinator(
        &mut self,
        client: Node,
        key: CoordinatorKey,
    ) -> Option<BrokerId> {
        let now = self.now_ms;
        let brokers = self.brokers.len() as u16;
        let m = self.client_metadata(client)?;
        if let Some(i) = m.coordinators.iter().position(|(k, _)| *k == key) {
            let b = m.coordinators[i].1;
            if m.reconnect_at(b, now).is_none() {
                return Some(b);
            }
            m.coordinators.remove(i);
        }
        if !m.finding_coordinator {
            if let Ok(b) = m.pick_node(now, brokers) {
                m.finding_coordinator = true;
                self.send(client, Node::Broker(b), Msg::FindCoordinator { key });
            }
        }
        None
    }

    /// A response from `from` carried `error`: NOT_COORDINATOR or
    /// COORDINATOR_NOT_AVAILABLE mean it coordinates nothing for this
    /// client now (`markCoordinatorUnknown`).
    #[cfg_attr(engine_speed, inline(always))]
    pub(crate) fn client_coordinator_error(
        &mut self,
        client: Node,
        from: Node,
        error: Option<ErrorCode>,
    ) {
        if !matches!(
            error,
            Some(ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable)
        ) {
            return;
        }
        if let (Some(m), Node::Broker(b)) = (self.client_metadata(client), from) {
            m.coordinators.retain(|(_, x)| *x != b);
            m.coordinator_lost = error;
        }
    }

    /// A FindCoordinator response.
    pub(crate) fn client_coordinator_response(
        &mut self,
        client: Node,
        key: CoordinatorKey,
        coordinator: Result<BrokerId, ErrorCode>,
    ) {
        let Some(m) = self.client_metadata(client) else {
            return;
        };
        m.finding_coordinator = false;
        if let Ok(b) = coordinator {
            m.coordinators.retain(|(k, _)| *k != key);
            m.coordinators.push((key.clone(), b));
            // The same unreachable broker again (not fenced yet) is no news:
            // the client will mark it unknown and ask again.
            if m.unreachable.contains_key(&b) {
                return;
            }
            let after = m.coordinator_lost;
            self.emit(EventKind::CoordinatorFound {
                client,
                key,
                coordinator: b,
                after,
            });
        }
    }

    /// The coordinator of `key` in the brokers' metadata: the leader of its
    /// `__consumer_offsets` or `__transaction_state` partition
    /// (`KafkaApis.getCoordinator`).
    pub(crate) fn current_coordinator(&self, key: &CoordinatorKey) -> Option<BrokerId> {
        match key {
            CoordinatorKey::Group(g) => self.groups[g.0 as usize].coordinator(self),
            CoordinatorKey::Transaction(t) => {
                self.txn_partition(t).and_then(|tp| self.leader_of(tp))
            }
        }
    }

    /// The connection from `client` to `broker` closed.
    pub(crate) fn client_metadata_disconnected(&mut self, client: Node, broker: BrokerId) {
        let now = self.now_ms;
        if let Some(m) = self.client_metadata(client) {
            m.disconnected(now, broker);
        }
        // The client's network loop asks again (after the backoff).
        self.client_maybe_update_metadata(client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: u32) -> Tp {
        Tp {
            topic: TopicId(0),
            partition: PartitionId(p),
        }
    }

    fn info(leader: u16, epoch: i32) -> LeaderInfo {
        LeaderInfo {
            leader: Some(BrokerId(leader)),
            epoch: LeaderEpoch(epoch),
        }
    }

    fn cache() -> ClientMetadata {
        let mut m = VecMap::new();
        m.insert(tp(0), info(0, 1));
        m.insert(tp(1), info(1, 1));
        ClientMetadata::bootstrapped(0, m)
    }

    #[test]
    fn a_fresh_cache_waits_for_metadata_max_age() {
        let c = cache();
        assert_eq!(c.time_to_next_update_ms(1000, 300_000, 100), 299_000);
        assert_eq!(c.time_to_next_update_ms(300_000, 300_000, 100), 0);
    }

    #[test]
    fn a_requested_update_waits_only_for_the_refresh_backoff() {
        let mut c = cache();
        c.sent(1000, BrokerId(0));
        c.update(1010, BrokerId(0), &[]);
        c.request_update();
        assert_eq!(c.time_to_next_update_ms(1050, 300_000, 100), 60);
        assert_eq!(c.time_to_next_update_ms(1110, 300_000, 100), 0);
    }

    #[test]
    fn a_response_moves_the_leader_and_reports_the_change() {
        let mut c = cache();
        let changes = c.update(5, BrokerId(1), &[(tp(0), info(1, 2)), (tp(1), info(1, 1))]);
        assert_eq!(changes, vec![(tp(0), Some(BrokerId(0)), info(1, 2))]);
        assert_eq!(c.leader(tp(0)), Some(BrokerId(1)));
        assert_eq!(c.leader_epoch(tp(0)), LeaderEpoch(2));
    }

    #[test]
    fn an_older_leader_epoch_never_replaces_a_newer_one() {
        let mut c = cache();
        c.update(5, BrokerId(1), &[(tp(0), info(1, 3))]);
        let changes = c.update(6, BrokerId(2), &[(tp(0), info(0, 2))]);
        assert!(changes.is_empty());
        assert_eq!(c.leader(tp(0)), Some(BrokerId(1)));
    }

    #[test]
    fn a_partition_without_a_leader_keeps_the_update_requested() {
        let mut c = cache();
        let none = LeaderInfo {
            leader: None,
            epoch: LeaderEpoch(2),
        };
        c.update(5, BrokerId(1), &[(tp(0), none)]);
        assert_eq!(c.leader(tp(0)), None);
        assert!(c.update_requested);
    }

    #[test]
    fn a_disconnect_requests_an_update_and_skips_that_broker() {
        let mut c = cache();
        c.sent(10, BrokerId(0));
        c.disconnected(20, BrokerId(0));
        assert!(c.update_requested);
        assert_eq!(c.in_flight, None);
        assert_eq!(c.pick_node(30, 3), Ok(BrokerId(1)));
        assert_eq!(c.pick_node(30, 3), Ok(BrokerId(2)));
        // Broker 0 is skipped: in its reconnect backoff, then while others
        // have not failed; it is asked again once it is the only choice.
        assert_eq!(c.pick_node(30, 3), Ok(BrokerId(1)));
        let later = 20 + RECONNECT_BACKOFF_MS;
        assert_eq!(c.pick_node(later, 3), Ok(BrokerId(2)));
        assert_eq!(c.pick_node(later, 3), Ok(BrokerId(1)));
        c.disconnected(later, BrokerId(1));
        c.disconnected(later, BrokerId(2));
        assert_eq!(c.pick_node(later, 3), Ok(BrokerId(0)));
    }

    #[test]
    fn the_reconnect_backoff_doubles_with_each_failure_up_to_its_max() {
        let mut c = cache();
        let mut waits = Vec::new();
        for t in [0u64, 1000, 2000, 3000, 4000, 5000, 6000] {
            c.disconnected(t, BrokerId(0));
            waits.push(c.unreachable[&BrokerId(0)] - t);
        }
        assert_eq!(waits, vec![50, 100, 200, 400, 800, 1000, 1000]);
        c.connected(BrokerId(0));
        c.disconnected(9000, BrokerId(0));
        assert_eq!(c.unreachable[&BrokerId(0)], 9050);
    }

    #[test]
    fn with_every_broker_unreachable_no_node_is_picked_until_the_first_backoff_ends() {
        let mut c = cache();
        c.disconnected(10, BrokerId(0));
        c.disconnected(20, BrokerId(1));
        assert_eq!(c.pick_node(30, 2), Err(10 + RECONNECT_BACKOFF_MS));
    }

    #[test]
    fn a_closed_connection_forgets_the_coordinators_on_that_broker_only() {
        let mut c = cache();
        let group = CoordinatorKey::Group(GroupIdx(0));
        let txn = CoordinatorKey::Transaction("tx-1".into());
        c.coordinators = vec![(group.clone(), BrokerId(1)), (txn.clone(), BrokerId(2))];
        c.disconnected(100, BrokerId(1));
        assert_eq!(c.coordinators, vec![(txn, BrokerId(2))]);
    }
}
