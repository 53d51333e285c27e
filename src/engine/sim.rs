//! The simulation driver: a deterministic discrete-event loop.
//!
//! Everything that will happen is an [`Action`] in one queue ordered by
//! (logical time, sequence number): a message arriving, a timer firing, a
//! stage of a record's life. [`Engine::step`] pops actions in that order and
//! lets the owning component (broker, producer, consumer, coordinator)
//! handle them; handlers emit [`Event`]s and schedule further actions. The
//! coordinators and the controller's rules decide without touching the
//! engine and write their effects into an [`Outbox`](crate::engine::outbox::Outbox),
//! which `Engine::apply_outbox` replays here in order. There
//! is no wall clock, no thread and no OS randomness: the only inputs are the
//! configuration (with its seed) and the [`Command`]s applied between steps,
//! so the same inputs always produce the same event trace.
//!
//! A *step* ends at the next headline event (see [`EventKind::is_headline`]),
//! so one press of "Step forward" shows one meaningful thing. When nothing
//! but routine background traffic is left, the pipeline is idle and `step`
//! says so instead of spinning through heartbeats forever.

use crate::engine::broker::{Broker, BrokerTimer};
use crate::engine::classic_group::{Group, GroupTimer};
use crate::engine::command::{Command, Trigger};
use crate::engine::config::ScenarioConfig;
use crate::engine::consumer::{Consumer, ConsumerTimer};
use crate::engine::controller::ControllerTimer;
use crate::engine::controller::TopicMeta;
use crate::engine::event::{DropReason, Event, EventKind, Node};
use crate::engine::ids::*;
use crate::engine::ledger::Ledger;
use crate::engine::network::Msg;
use crate::engine::producer::{Producer, ProducerTimer};
use crate::engine::record::RecordData;
use crate::engine::rng::Pcg32;
use crate::engine::txn_coordinator::{TxnCoordinator, TxnTimer};
#[cfg(not(engine_speed))]
use std::collections::BinaryHeap;

/// Room for the events of a typical step (a headline and its background:
/// mostly 1–8) in the buffer [`Engine::take_events`] leaves behind.
const EVENTS_PER_STEP: usize = 8;

/// Something scheduled to happen at a logical time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Deliver {
        from: Node,
        to: Node,
        /// Shared, so that a snapshot of the queue does not copy payloads
        /// (`Rc`: the engine is single-threaded).
        msg: std::rc::Rc<Msg>,
    },
    // Producer side.
    /// One of a producer's timers, dispatched in `producer.rs`.
    Producer {
        producer: ProducerIdx,
        timer: ProducerTimer,
    },
    // Broker side.
    /// One of a broker's timers, dispatched in `broker.rs`.
    Broker {
        broker: BrokerId,
        timer: BrokerTimer,
    },
    /// One of the controller's timers, dispatched in `controller.rs`.
    Controller(ControllerTimer),
    /// A client's metadata refresh or reconnect waited for a backoff that
    /// has now passed.
    ClientWake {
        client: Node,
    },
    /// `node` notices its connection to `broker` closed (the broker died or refused).
    Disconnect {
        node: Node,
        broker: BrokerId,
    },
    // Consumer side.
    /// One of a consumer's own timers, dispatched in `consumer.rs`. It
    /// carries the incarnation it was set in: a timer set before a crash
    /// does nothing after the restart.
    Consumer {
        consumer: ConsumerIdx,
        incarnation: u32,
        timer: ConsumerTimer,
    },
    ConsumerRestart {
        consumer: ConsumerIdx,
    },
    // Group coordinator.
    /// One of a group's timers, dispatched in `group_coordinator.rs`.
    Group {
        group: GroupIdx,
        timer: GroupTimer,
    },
    // Transaction coordinator.
    /// One of the transaction coordinator's timers, dispatched in
    /// `txn_coordinator.rs`.
    TxnCoordinator(TxnTimer),
    /// Keeps the loop awake until a detection that is bound to happen.
    Nudge,
    /// Applies `cfg.script[index]`.
    Script {
        index: usize,
    },
}

// A component names only its own timer; the outbox turns it into the action
// that carries it (see `outbox.rs`).
impl From<TxnTimer> for Action {
    fn from(timer: TxnTimer) -> Action {
        Action::TxnCoordinator(timer)
    }
}

impl From<(ProducerIdx, ProducerTimer)> for Action {
    fn from((producer, timer): (ProducerIdx, ProducerTimer)) -> Action {
        Action::Producer { producer, timer }
    }
}

impl From<(GroupIdx, GroupTimer)> for Action {
    fn from((group, timer): (GroupIdx, GroupTimer)) -> Action {
        Action::Group { group, timer }
    }
}

impl Action {
    /// Whether this action is routine background work (see module docs).
    #[cfg_attr(engine_speed, inline(always))]
    fn keeps_alive(&self) -> bool {
        match self {
            Action::Deliver { msg, .. } => msg.keeps_alive(),
            // Work the scenario is certain to do.
            Action::Producer {
                timer:
                    ProducerTimer::Create { .. }
                    | ProducerTimer::Stage { .. }
                    | ProducerTimer::WorkloadNext
                    | ProducerTimer::TxnRetry,
                ..
            }
            | Action::Broker {
                timer: BrokerTimer::FetcherResume,
                ..
            }
            | Action::Consumer {
                timer: ConsumerTimer::Poll | ConsumerTimer::ProcessDone,
                ..
            }
            | Action::ConsumerRestart { .. }
            | Action::Script { .. }
            | Action::Nudge => true,
            // Timers and timeouts matter only while there is pending work
            // (`has_pending_work` covers what they would resolve); a stale
            // deadline far in the future must not drag the clock forward.
            _ => false,
        }
    }
}

/// A queued action, popped in (time, sequence number) order: same-instant actions run as scheduled (natively `timing_wheel::Entry`).
#[cfg_attr(engine_speed, allow(dead_code))] // (natively the wheel's leaner entries)
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Scheduled {
    pub(crate) at_ms: u64,
    seq: u64,
    action: Action,
    keeps_alive: bool,
}

/// The queue: a min-heap on [`Scheduled`] in the page's bundle (the least
/// code), a timing wheel with the same order natively (`timing_wheel.rs`).
#[cfg(not(engine_speed))]
type Queue = BinaryHeap<Scheduled>;
#[cfg(engine_speed)]
type Queue = crate::engine::timing_wheel::TimingWheel;

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest first.
        (other.at_ms, other.seq).cmp(&(self.at_ms, self.seq))
    }
}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What a call to [`Engine::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// A headline event happened; the step's events are in `take_events()`.
    Advanced,
    /// Nothing but routine traffic is left: the pipeline has drained.
    Idle,
}

/// The whole simulated world.
#[derive(Clone, Debug)]
pub struct Engine {
    /// Shared, so a snapshot or a hot path copies a pointer, not the
    /// configuration (`Arc::make_mut` on the rare change).
    pub(crate) cfg: std::sync::Arc<ScenarioConfig>,
    pub(crate) now_ms: u64,
    seq: u64,
    queue: Queue,
    /// How many scheduled actions keep the loop awake (see `Action::keeps_alive`).
    keepalive_scheduled: u64,
    pub(crate) rng: Pcg32,
    /// Topic and partition metadata (`controller.rs`).
    pub(crate) controller: crate::engine::controller::Controller,
    pub(crate) brokers: Vec<Broker>,
    /// Bit `i`: broker `i` is alive and not fenced, as every broker's view
    /// of the cluster has it (`broker_view`, several times an action):
    /// kept here rather than gathered from the brokers each time.
    #[cfg(engine_speed)]
    pub(crate) usable_brokers: u32,
    pub(crate) producers: Vec<Producer>,
    pub(crate) consumers: Vec<Consumer>,
    pub(crate) groups: Vec<Group>,
    /// The moment step 0 begins: the end of the warm start (0 without one).
    pub(crate) start_ms: u64,
    /// Per group: partition-ms without a live owner (`ownership.rs`).
    pub(crate) ownership: Vec<crate::engine::ownership::OwnershipClock>,
    pub(crate) txn: TxnCoordinator,
    /// Every record ever created, by id (shared between snapshots).
    pub(crate) records: crate::engine::cow_vec::CowVec<RecordData>,
    pub(crate) ledger: Ledger,
    out: Vec<Event>,
    #[cfg(engine_speed)]
    loop_state: fused_step::LoopState,
    /// An emptied outbox buffer, for the next handler (`outbox.rs`).
    pub(crate) spare_effects: Vec<crate::engine::outbox::Effect>,
    headline: bool,
    pub(crate) next_batch_id: u32,
    pub(crate) next_request_id: u64,
    pub(crate) next_client_number: u32,
    /// Extra one-way latency on everything a broker sends (slow follower fault).
    pub(crate) broker_extra_latency_ms: crate::engine::network::ExtraLatencies,
    /// Steps taken so far (headline steps).
    pub(crate) steps: u64,
    /// Calls to `step()` so far, idle ones included: the clock a command log
    /// is keyed on, so a replay applies each command at exactly the same point.
    step_calls: u64,
    /// Script entries waiting for a condition (index into `cfg.script`).
    pending_triggers: Vec<usize>,
    /// Whether any broker has crashed so far (loosens one invariant, see
    /// `check_group_invariants`).
    pub(crate) any_broker_failed: bool,
    pub(crate) acks_seen: Vec<u64>,
    processed_seen: u64,
    /// Queue length at which stale timers are swept (see `sweep_stale_timers`).
    sweep_at: usize,
    /// Leaders defer the fetch records of quiet partitions (on unless a test
    /// compares against the eager way, see `fetch_session.rs`).
    pub(crate) fetch_sessions: bool,
    /// Slots of real clients (live mode, `external.rs`): nothing simulated
    /// runs for them, and what is sent to them is set aside.
    pub(crate) external: Vec<Node>,
    pub(crate) external_replies: Vec<crate::engine::external::ExternalReply>,
    /// Real producers' batches in flight: their records, for the
    /// acknowledgement the page shows when the answer goes back.
    #[cfg(live_engine)]
    pub(crate) external_batches: Vec<(BatchId, Vec<RecordId>)>,
    /// Built by [`Engine::new_live`]: real clients may connect.
    pub(crate) live: bool,
    /// A live engine's inputs from outside (`external.rs`). Native only
    /// until the page replays live sessions: the course page's first load
    /// has no room for it.
    #[cfg(live_engine)]
    pub(crate) live_tape: Vec<crate::engine::external::LiveInput>,
}

impl Engine {
    /// Builds the cluster, topics and clients described by `cfg`.
    pub fn new(cfg: ScenarioConfig) -> Result<Engine, Vec<crate::engine::config::ConfigError>> {
        Engine::build(cfg, false)
    }

    /// An engine for live mode (`external.rs`): as [`Engine::new`], but the
    /// transaction log exists from the start, since any real client may
    /// turn out to be transactional.
    pub fn new_live(
        cfg: ScenarioConfig,
    ) -> Result<Engine, Vec<crate::engine::config::ConfigError>> {
        Engine::build(cfg, true)
    }

    fn build(
        cfg: ScenarioConfig,
        live: bool,
    ) -> Result<Engine, Vec<crate::engine::config::ConfigError>> {
        let errors = cfg.validate();
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut e = Engine {
            rng: Pcg32::new(cfg.seed, 0x6b61_666b_6173_636f),
            now_ms: 0,
            seq: 0,
            queue: Queue::new(),
            keepalive_scheduled: 0,
            controller: Default::default(),
            brokers: Vec::new(),
            #[cfg(engine_speed)]
            usable_brokers: 0,
            producers: Vec::new(),
            consumers: Vec::new(),
            groups: Vec::new(),
            ownership: Vec::new(),
            start_ms: 0,
            txn: TxnCoordinator::default(),
            records: Default::default(),
            ledger: Ledger::default(),
            out: Vec::new(),
            #[cfg(engine_speed)]
            loop_state: fused_step::LoopState::default(),
            spare_effects: Vec::new(),
            headline: false,
            next_batch_id: 0,
            next_request_id: 0,
            fetch_sessions: crate::engine::fetch_session::ENABLED,
            next_client_number: 1,
            broker_extra_latency_ms: vec![0; cfg.cluster.brokers as usize].into(),
            steps: 0,
            step_calls: 0,
            pending_triggers: Vec::new(),
            any_broker_failed: false,
            acks_seen: vec![0; cfg.producers.len()],
            processed_seen: 0,
            sweep_at: SWEEP_MIN_QUEUE_LEN,
            external: Vec::new(),
            external_replies: Vec::new(),
            #[cfg(live_engine)]
            external_batches: Vec::new(),
            live,
            #[cfg(live_engine)]
            live_tape: Vec::new(),
            cfg: std::sync::Arc::new(cfg),
        };
        e.init_cluster();
        e.init_producers();
        e.init_groups();
        e.init_txn();
        if e.cfg.warm_start {
            e.warm_up();
        }
        e.start_workloads();
        e.start_script();
        e.out.clear();
        Ok(e)
    }

    /// Runs the start-up (broker registration, producer ids, the first
    /// rebalance) before step 0, so a lesson opens on a working pipeline.
    fn warm_up(&mut self) {
        let limit_ms = 120_000;
        for _ in 0..200_000 {
            if self.warm_up_done() || self.now_ms > limit_ms {
                break;
            }
            if !self.pop_one() {
                break;
            }
        }
        self.out.clear();
        // The first assignment is the start, not a rebalance.
        for clock in &mut self.ownership {
            *clock = Default::default();
        }
        self.start_ms = self.now_ms;
    }

    /// The simulated moment step 0 begins (after the warm start): scenarios
    /// compared side by side are aligned on the time since it.
    pub fn start_ms(&self) -> u64 {
        self.start_ms
    }

    fn warm_up_done(&self) -> bool {
        self.groups.iter().all(|g| g.is_settled(self))
            && self.producers.iter().all(|p| p.is_ready())
            && self.consumers.iter().all(|c| !c.alive || c.is_fetching())
    }

    // ---- scheduling ---------------------------------------------------------
    #[cfg(not(engine_speed))] // (natively: `schedule` at the end of this file)
    pub(crate) fn schedule(&mut self, at_ms: u64, action: Action) {
        let at_ms = at_ms.max(self.now_ms);
        let seq = self.seq;
        self.seq += 1;
        let keeps_alive = action.keeps_alive();
        if keeps_alive {
            self.keepalive_scheduled += 1;
        }
        self.queue.push(Scheduled {
            at_ms,
            seq,
            action,
            keeps_alive,
        });
        if self.queue.len() >= self.sweep_at {
            self.sweep_stale_timers();
        }
    }

    /// Drops request timers whose request already finished. Kafka cancels
    /// such a timer when the request completes; this queue cannot remove
    /// from the middle, so a finished request's timer would otherwise stay
    /// until it fires as a no-op (30 s later): tens of thousands of them in
    /// a long run, copied into every time-travel snapshot. Runs only when the
    /// queue has doubled since the last sweep, so small scenarios never
    /// sweep, and it is deterministic, so replays sweep at the same calls.
    fn sweep_stale_timers(&mut self) {
        let brokers = &self.brokers;
        let producers = &self.producers;
        let mut removed_keepalive = 0u64;
        self.queue.retain(|s| {
            let stale = match &s.action {
                Action::Broker {
                    broker,
                    timer: BrokerTimer::DelayedProduceExpired { request_id },
                } => !brokers[broker.0 as usize]
                    .delayed
                    .iter()
                    .any(|op| op.id == *request_id),
                Action::Producer {
                    producer,
                    timer: ProducerTimer::RequestTimeout { request_id, .. },
                } => !producers[producer.0 as usize]
                    .in_flight
                    .iter()
                    .any(|r| r.request_id == *request_id),
                _ => false,
            };
            if stale && s.keeps_alive {
                removed_keepalive += 1;
            }
            !stale
        });
        self.keepalive_scheduled -= removed_keepalive;
        self.sweep_at = (self.queue.len() * 2).max(SWEEP_MIN_QUEUE_LEN);
    }

    #[cfg_attr(engine_speed, inline(always))]
    pub(crate) fn schedule_in(&mut self, delay_ms: u64, action: Action) {
        self.schedule(self.now_ms + delay_ms, action);
    }

    /// One-way latency of a message on the link from `from` to `to`: the
    /// cluster's `network_latency_ms`, plus the extra latency of a slowed
    /// broker at either end (a slow follower is slow to fetch and slow to
    /// answer; a slow leader slows every client and follower talking to it).
    pub(crate) fn latency_ms(&self, from: Node, to: Node) -> u64 {
        let extra = |n: Node| match n {
            Node::Broker(b) => self.broker_extra_latency_ms[b.0 as usize] as u64,
            _ => 0,
        };
        self.cfg.cluster.network_latency_ms as u64 + extra(from) + extra(to)
    }

    /// Sends a message; it arrives after the link's latency.
    /// Messages waiting in the queue for delivery, in no particular order
    /// (for unit tests of one component).
    #[cfg(test)]
    pub(crate) fn queued_messages(&self) -> Vec<(Node, Msg)> {
        self.queue
            .iter()
            .filter_map(|s| match &s.action {
                Action::Deliver { to, msg, .. } => Some((*to, (**msg).clone())),
                _ => None,
            })
            .collect()
    }
    #[cfg(not(engine_speed))] // (natively: `send` at the end of this file)
    pub(crate) fn send(&mut self, from: Node, to: Node, msg: Msg) {
        let arrive_ms = self.now_ms + self.latency_ms(from, to);
        self.emit(EventKind::Message {
            from,
            to,
            kind: msg.kind(),
            arrive_ms,
            error: msg.error(),
        });
        self.schedule(
            arrive_ms,
            Action::Deliver {
                from,
                to,
                msg: boxed(&self.queue, msg),
            },
        );
    }

    /// A message reached a node that has no handler for it: a routing bug,
    /// never a Kafka outcome. Debug builds (every test) stop on it; a
    /// release build drops the message rather than take the page down.
    pub(crate) fn unroutable(&self, to: Node, msg: &Msg) {
        debug_assert!(false, "{to:?} has no handler for {:?}", msg.kind());
    }

    #[cfg(not(engine_speed))]
    pub(crate) fn emit(&mut self, kind: EventKind) {
        if kind.is_headline() {
            self.headline = true;
        }
        if !self.pending_triggers.is_empty() {
            self.check_triggers(&kind);
        }
        // The page's `emit`, the least code: the triggers and the ledger
        // borrow the kind, then it moves into the buffer. The native one
        // (`cfg(engine_speed)`, at the end of this file) is inlined where
        // each event is made and pushes the event first: a kind lent out
        // sits in a stack slot built field by field, then is copied into
        // the buffer in 16-byte loads that each wait for the narrow stores
        // they overlap (a failed store-to-load forward), the hottest
        // instructions of `send` and `broker_receive` by `perf`. This one
        // keeps its shape, so the page's lines and bytes stay as they were.
        self.ledger.observe(&kind, &self.records);
        self.out.push(Event {
            time_ms: self.now_ms,
            kind,
        });
    }

    pub(crate) fn node_alive(&self, node: Node) -> bool {
        match node {
            Node::Broker(b) => self.brokers[b.0 as usize].alive,
            Node::Producer(p) => self.producers[p.0 as usize].alive,
            Node::Consumer(c) => self.consumers[c.0 as usize].alive,
            Node::Controller => true,
        }
    }

    fn start_script(&mut self) {
        for (i, entry) in self.cfg.script.clone().iter().enumerate() {
            match entry.trigger {
                Trigger::AtMs { ms } => {
                    let at = self.now_ms + ms;
                    self.schedule(at, Action::Script { index: i });
                }
                _ => self.pending_triggers.push(i),
            }
        }
    }

    /// Fires condition-triggered script entries right after the event that
    /// satisfies them (they run as the next action, at the same instant).
    #[cfg_attr(engine_speed, inline(never))]
    fn check_triggers(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Acked {
                producer, records, ..
            } => {
                if let Some(n) = self.acks_seen.get_mut(producer.0 as usize) {
                    *n += records.len() as u64;
                }
            }
            EventKind::Processed { .. } => self.processed_seen += 1,
            _ => return,
        }
        let mut fired = Vec::new();
        for &i in &self.pending_triggers {
            let ok = match self.cfg.script[i].trigger {
                Trigger::AfterAcks { producer, count } => self
                    .acks_seen
                    .get(producer.0 as usize)
                    .is_some_and(|n| *n >= count),
                Trigger::AfterProcessed { count } => self.processed_seen >= count,
                Trigger::AtMs { .. } => false,
            };
            if ok {
                fired.push(i);
            }
        }
        for i in fired {
            self.pending_triggers.retain(|x| *x != i);
            self.schedule_in(0, Action::Script { index: i });
        }
    }

    // ---- the loop -----------------------------------------------------------
    /// Pops and runs one action; false if the queue is empty. (Natively inlined, see the end.)
    #[cfg_attr(engine_speed, inline(always))]
    fn pop_one(&mut self) -> bool {
        let Some(scheduled) = self.queue.pop() else {
            return false;
        };
        let at = scheduled.at_ms;
        if scheduled.keeps_alive {
            self.keepalive_scheduled -= 1;
        }
        debug_assert!(at >= self.now_ms, "time never goes backwards");
        // (Measured where the protocols are compared: natively and on the
        // full page, not in the course page's budgeted bundle.)
        #[cfg(consumer_protocol)]
        if at > self.now_ms && !self.groups.is_empty() {
            self.ownership_tick(at);
        }
        self.now_ms = at;
        self.run(scheduled.action);
        true
    }

    #[cfg_attr(engine_speed, inline(always))]
    fn run(&mut self, action: Action) {
        match action {
            Action::Deliver { from, to, msg } => {
                if !self.node_alive(to) {
                    self.emit(EventKind::MessageDropped {
                        from,
                        to,
                        kind: msg.kind(),
                        why: DropReason::ReceiverDown,
                    });
                    // A request to a dead broker is refused: the sender sees its
                    // connection close one latency later.
                    if let (Node::Broker(b), true) = (to, self.node_alive(from)) {
                        let delay = self.latency_ms(to, from);
                        self.schedule_in(
                            delay,
                            Action::Disconnect {
                                node: from,
                                broker: b,
                            },
                        );
                    }
                    return;
                }
                #[cfg(engine_speed)]
                // Natively nearly always straight from its box (`deliver_from_box`).
                let Some(msg) = self.deliver_from_box(from, to, msg) else {
                    return;
                };
                #[cfg(live_engine)] // Real clients exist only in live mode, which is native.
                if !self.external.is_empty() && self.is_external(to) {
                    self.external_deliver(from, to, unbox(msg));
                    return;
                }
                // The handlers take the message by value, out of its `Rc`:
                // moved when nothing else holds it, cloned when a time-travel
                // snapshot shares it. Either way it is the same message.
                match to {
                    Node::Broker(b) => self.broker_receive(b, from, unbox(msg)),
                    Node::Producer(p) => self.producer_receive(p, from, unbox(msg)),
                    Node::Consumer(c) => self.consumer_receive(c, from, unbox(msg)),
                    Node::Controller => {}
                }
            }
            Action::Producer { producer, timer } => self.producer_timer(producer, timer),
            Action::Broker { broker, timer } => self.broker_timer(broker, timer),
            Action::Controller(timer) => self.controller_timer(timer),
            // A real client's connections are the gateway's business.
            #[cfg(live_engine)]
            Action::ClientWake { client } | Action::Disconnect { node: client, .. }
                if self.is_external(client) => {}
            Action::ClientWake { client } => self.client_wake(client),
            Action::Disconnect { node, broker } => match node {
                Node::Producer(p) => self.producer_disconnected(p, broker),
                Node::Consumer(c) => self.consumer_disconnected(c, broker),
                Node::Broker(b) => self.broker_disconnected(b, broker),
                Node::Controller => {}
            },
            Action::Consumer {
                consumer,
                incarnation,
                timer,
            } => self.consumer_timer(consumer, incarnation, timer),
            Action::ConsumerRestart { consumer } => self.consumer_restart(consumer),
            Action::Group { group, timer } => self.group_timer(group, timer),
            Action::TxnCoordinator(timer) => self.txn_timer(timer),
            Action::Nudge => {}
            Action::Script { index } => {
                if let Some(entry) = self.cfg.script.get(index).cloned() {
                    if let Err(msg) = self.apply(&entry.command) {
                        self.emit(EventKind::Note {
                            text: format!("Scripted \"{}\" skipped: {msg}", entry.command.label()),
                        });
                    }
                }
            }
        }
    }

    /// Advances to the next headline event. The events of the step (headline
    /// and background) are then available from [`Engine::take_events`].
    pub fn step(&mut self) -> StepOutcome {
        self.step_until(u64::MAX).unwrap_or(StepOutcome::Idle)
    }
    #[cfg(not(engine_speed))] // (natively: `step_until` in `fused_step.rs`)
    /// [`Engine::step`], but never past `limit_ms`: `None` when the next
    /// action is due later, before any headline. The background events run
    /// so far stay buffered for the step that finds the headline. A lane
    /// shown beside another follows it this way, to the same moment and no
    /// further (a plain step could run seconds ahead to its next news).
    pub fn step_until(&mut self, limit_ms: u64) -> Option<StepOutcome> {
        self.step_calls += 1;
        // A command applied since the last step may have produced a headline
        // of its own (a crash, a note): that is this step.
        if self.out.iter().any(|e| e.kind.is_headline()) {
            self.steps += 1;
            return Some(StepOutcome::Advanced);
        }
        self.headline = false;
        let mut background = 0u32;
        loop {
            let next_ms = speed_or_page!(self.next_due_ms(limit_ms), self.next_event_ms())?;
            // Routine traffic alone (heartbeats, empty fetches) is idle; a
            // scheduled keep-alive action (a message with news, a fence timer,
            // a workload tick) or pending work anywhere keeps the loop going.
            if self.keepalive_scheduled == 0 && !self.has_pending_work() {
                return Some(StepOutcome::Idle);
            }
            if next_ms > limit_ms {
                return None;
            }
            self.pop_one();
            if self.headline {
                self.steps += 1;
                return Some(StepOutcome::Advanced);
            }
            background += 1;
            // A guard against a bug turning into a frozen tab: no real scenario
            // goes this long without a headline while work is pending.
            if background > 1_000_000 {
                return Some(StepOutcome::Idle);
            }
        }
    }
    #[cfg(not(engine_speed))] // (natively: `run_to_ms` in `fused_step.rs`)
    /// Runs every action due at or before `ms`, headline or not: a moment
    /// in simulated time rather than the next headline (for tests and tools).
    pub fn run_to_ms(&mut self, ms: u64) {
        while self.queue.peek().is_some_and(|s| s.at_ms <= ms) {
            self.pop_one();
        }
    }

    /// Runs until idle or until `max_steps` headline steps have passed.
    pub fn run_until_idle(&mut self, max_steps: u64) -> u64 {
        let mut n = 0;
        while n < max_steps && self.step() == StepOutcome::Advanced {
            n += 1;
        }
        n
    }

    /// How many events are buffered, and whether one of them is news the
    /// narration tells (the live view makes a step only of news).
    #[cfg(live_engine)]
    pub fn buffered_events(&self) -> (usize, bool) {
        (
            self.out.len(),
            self.out.iter().any(|e| e.kind.is_headline()),
        )
    }

    /// Events emitted since the last call.
    ///
    /// The buffer left behind has room for a typical step's events, so the
    /// next step's `emit`s do not grow it from nothing, one reallocation
    /// after another (about 320,000 reallocations in a 3 × 20k-record W1
    /// run, most of the `grow_one` calls under `emit`).
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::replace(&mut self.out, Vec::with_capacity(EVENTS_PER_STEP))
    }

    /// Drops buffered events without allocating a new buffer (`run`, benches).
    pub fn clear_events(&mut self) {
        speed_or_page!(self.empty_out(), self.out.clear());
    }

    /// Applies a user action or fault now. Its effects are emitted as events
    /// and happen in the following steps.
    pub fn apply(&mut self, cmd: &Command) -> Result<(), String> {
        match cmd {
            Command::Produce {
                producer,
                topic,
                key,
                value,
                partition,
            } => self.cmd_produce(
                *producer,
                topic.as_deref(),
                key.clone(),
                value.clone(),
                *partition,
            ),
            Command::CrashBroker { broker } => self.cmd_crash_broker(*broker),
            Command::CrashLeader { topic, partition } => {
                let tp = self.resolve_tp(topic, *partition)?;
                let leader = self
                    .leader_of(tp)
                    .ok_or_else(|| format!("{topic}-{partition} has no leader to crash"))?;
                self.cmd_crash_broker(leader)
            }
            Command::StallFollowers {
                topic,
                partition,
                ms,
            } => {
                let tp = self.resolve_tp(topic, *partition)?;
                self.cmd_stall_followers(tp, *ms)
            }
            Command::RestartCrashedBrokers => {
                let down: Vec<BrokerId> = self
                    .brokers
                    .iter()
                    .filter(|b| !b.alive)
                    .map(|b| b.id)
                    .collect();
                if down.is_empty() {
                    return Err("no broker is down".into());
                }
                for b in down {
                    self.cmd_restart_broker(b)?;
                }
                Ok(())
            }
            Command::RestartBroker { broker } => self.cmd_restart_broker(*broker),
            Command::SlowBroker { broker, extra_ms } => {
                let b = self.check_broker(*broker)?;
                self.broker_extra_latency_ms[b] =
                    (*extra_ms).min(crate::engine::config::limits::MAX_LATENCY_MS);
                self.emit(EventKind::FaultArmed {
                    text: format!("Broker {broker} now answers {extra_ms} ms slower"),
                });
                Ok(())
            }
            Command::DropNextProduceResponse { producer } => {
                let p = self.check_producer(*producer)?;
                self.producers[p].drop_next_response = true;
                self.emit(EventKind::FaultArmed {
                    text: format!(
                        "The next produce response to {} will be lost",
                        self.producers[p].client_id
                    ),
                });
                Ok(())
            }
            Command::AddConsumer { group } => self.cmd_add_consumer(*group),
            Command::StopConsumer { consumer } => self.cmd_stop_consumer(*consumer),
            Command::CrashConsumer { consumer, point } => {
                self.cmd_crash_consumer(*consumer, *point)
            }
            Command::RestartConsumer { consumer } => self.cmd_restart_consumer(*consumer),
            #[cfg(consumer_protocol)]
            Command::RestartConsumerWith {
                consumer,
                group_protocol,
            } => self.cmd_restart_consumer_with(*consumer, *group_protocol),
            Command::SetProcessingTime {
                consumer,
                processing_time_ms,
            } => {
                let c = self.check_consumer(*consumer)?;
                self.consumers[c].processing_time_ms = *processing_time_ms;
                self.emit(EventKind::FaultArmed {
                    text: format!(
                        "Consumer {} now spends {processing_time_ms} ms on each record",
                        self.consumers[c].label
                    ),
                });
                Ok(())
            }
            Command::ProcessingRaises { consumer } => self.cmd_processing_raises(*consumer),
            Command::CrashProducer { producer } => self.cmd_crash_producer(*producer),
            Command::StartProducerInstance { producer } => {
                self.cmd_start_producer_instance(*producer)
            }
            Command::EndTransaction { producer, commit } => {
                self.cmd_end_transaction(*producer, *commit)
            }
            Command::BeginTransaction { producer } => self.cmd_begin_transaction(*producer),
            Command::Note { text } => {
                self.emit(EventKind::Note { text: text.clone() });
                Ok(())
            }
        }
    }

    pub(crate) fn acks_seen_grow(&mut self) {
        self.acks_seen.resize(self.producers.len(), 0);
    }

    pub(crate) fn resolve_tp(&self, topic: &str, partition: u32) -> Result<Tp, String> {
        let t = self
            .topic_id(topic)
            .ok_or_else(|| format!("there is no topic {topic:?}"))?;
        if partition as usize >= self.topic(t).partitions.len() {
            return Err(format!("{topic} has no partition {partition}"));
        }
        Ok(Tp::new(t, partition))
    }

    pub(crate) fn check_broker(&self, b: BrokerId) -> Result<usize, String> {
        let i = b.0 as usize;
        if i < self.brokers.len() {
            Ok(i)
        } else {
            Err(format!(
                "there is no broker {b} (the cluster has {})",
                self.brokers.len()
            ))
        }
    }

    pub(crate) fn check_producer(&self, p: ProducerIdx) -> Result<usize, String> {
        let i = p.0 as usize;
        if i < self.producers.len() {
            Ok(i)
        } else {
            Err(format!("there is no producer #{p}"))
        }
    }

    pub(crate) fn check_consumer(&self, c: ConsumerIdx) -> Result<usize, String> {
        let i = c.0 as usize;
        if i < self.consumers.len() {
            Ok(i)
        } else {
            Err(format!("there is no consumer #{c}"))
        }
    }
    #[cfg(not(engine_speed))] // (natively: `next_event_ms` in `fused_step.rs`)
    /// When the next scheduled action is due, if any.
    pub fn next_event_ms(&self) -> Option<u64> {
        self.queue.peek().map(|s| s.at_ms)
    }

    /// Whether stepping would find nothing to do (see [`Engine::step`]).
    pub fn is_idle(&self) -> bool {
        self.keepalive_scheduled == 0 && !self.has_pending_work()
    }

    /// Whether anything still needs to happen besides routine traffic.
    pub fn has_pending_work(&self) -> bool {
        self.producers.iter().any(|p| p.has_pending_work())
            || self.brokers.iter().any(|b| b.has_pending_work())
            || self.replication_pending()
            || self
                .consumers
                .iter()
                .any(|c| self.consumer_has_pending_work(c))
            || self.groups.iter().any(|g| g.has_pending_work(self))
            || self.txn.has_pending_work()
    }

    // ---- read access for the UI, the CLI and tests ----------------------------

    pub fn config(&self) -> &ScenarioConfig {
        &self.cfg
    }
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }
    /// The extra latency a `SlowBroker` fault put on this broker's links.
    pub fn broker_extra_latency_ms(&self, b: BrokerId) -> u32 {
        self.broker_extra_latency_ms
            .get(b.0 as usize)
            .copied()
            .unwrap_or(0)
    }
    pub fn steps_taken(&self) -> u64 {
        self.steps
    }
    /// Calls to [`Engine::step`] so far (see the field's docs).
    pub fn step_calls(&self) -> u64 {
        self.step_calls
    }
    pub fn topics(&self) -> &[TopicMeta] {
        self.controller.topics()
    }
    pub fn brokers(&self) -> &[Broker] {
        &self.brokers
    }
    pub fn producers(&self) -> &[Producer] {
        &self.producers
    }
    pub fn consumers(&self) -> &[Consumer] {
        &self.consumers
    }
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }
    pub fn txn_coordinator(&self) -> &TxnCoordinator {
        &self.txn
    }
    pub fn record(&self, id: RecordId) -> &RecordData {
        &self.records[id.0 as usize]
    }
    pub fn records(&self) -> &crate::engine::cow_vec::CowVec<RecordData> {
        &self.records
    }
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    pub fn topic_id(&self, name: &str) -> Option<TopicId> {
        self.controller
            .topics()
            .iter()
            .position(|t| t.name == name)
            .map(|i| TopicId(i as u16))
    }
    pub fn topic(&self, id: TopicId) -> &TopicMeta {
        self.controller.topic(id)
    }

    /// Every safety property the engine promises, checked over the whole state.
    pub fn check_invariants(&self) -> Result<(), String> {
        for b in &self.brokers {
            for (tp, r) in &b.replicas {
                r.log.check_invariants().map_err(|e| {
                    format!(
                        "broker {} {}-{}: {e}",
                        b.id,
                        self.topic(tp.topic).name,
                        tp.partition
                    )
                })?;
            }
        }
        self.check_group_invariants()
    }

    /// Events emitted since the last call, swapped into `spare` (cleared
    /// first): the engine keeps `spare`'s old buffer for the next step's
    /// events. [`Engine::take_events`] hands its buffer to the caller, so
    /// every step allocates a new one (about five a record in W1 full, and
    /// the reallocations of the steps with more than eight events); two
    /// buffers swapped back and forth grow once. For drivers that read a
    /// step's events and drop them (the benches); the page keeps
    /// `take_events`, and a pub fn it never calls costs it no bytes.
    pub fn swap_events(&mut self, spare: &mut Vec<Event>) {
        speed_or_page!(self.empty_handed_out(spare), spare.clear());
        std::mem::swap(&mut self.out, spare);
    }
}

// Natively `emit` is inlined where each event is made (~700,000 in the
// 3 x 20k-record W1 full run) and pushes the event before anything reads
// it, so its fields go straight into the buffer (see the page's `emit`
// above). The ledger reads the event there; the triggers (scripted
// scenarios only) get a copy. The order of their effects does not
// matter: neither reads what the other writes, nor the buffer.
#[cfg(engine_speed)]
impl Engine {
    #[inline(always)]
    pub(crate) fn emit(&mut self, kind: EventKind) {
        let headline = kind.is_headline();
        // A constant kind folds the ledger's question away. Debug builds
        // always ask the ledger itself, which checks the answer.
        let observed = cfg!(debug_assertions) || Ledger::observes(&kind);
        // Any but a routine event may change what a group's ownership
        // clock samples: its kept samples go (`ownership.rs`).
        #[cfg(consumer_protocol)]
        if !Engine::keeps_ownership_sample(&kind) {
            self.forget_ownership_samples();
        }
        if !kind.owns_nothing() {
            self.loop_state.events.out_plain = false;
        }
        crate::engine::cow_vec::push_in_place!(self.out.push(Event {
            time_ms: self.now_ms,
            kind,
        }));
        if headline {
            self.headline = true;
        }
        if observed {
            let kind = &self.out.last().expect("pushed above").kind;
            self.ledger.observe(kind, &self.records);
        }
        if !self.pending_triggers.is_empty() {
            self.emitted_to_triggers();
        }
    }

    /// The triggers' look at the event just emitted (out of line: only
    /// scripted scenarios have pending triggers).
    #[inline(never)]
    fn emitted_to_triggers(&mut self) {
        let kind = self.out.last().expect("just emitted").kind.clone();
        self.check_triggers(&kind);
    }
}

/// A delivered message for its handler, out of its box: moved out when
/// nothing else holds the box, cloned when a time-travel snapshot shares
/// it. This is the page's path for every message; natively it is taken
/// only where `deliver_from_box` leaves a message to the page's path
/// (rare: a box a snapshot shares, a full spare list, a real client).
/// One function for both builds: the two cfg'd copies it replaced had
/// become the same. (As many lines as those copies, so the page's panic
/// locations below do not move.)
#[inline(always)]
#[must_use]
fn unbox(msg: std::rc::Rc<Msg>) -> Msg {
    std::rc::Rc::unwrap_or_clone(msg)
}

/// A message sent, in its box for the queue (the page's `send`). Natively
/// `send` takes a box a delivered message left behind, if there is one
/// (`TimingWheel::boxed`), a malloc and a free fewer for about four
/// messages a record in W1 full.
#[cfg(not(engine_speed))]
#[inline(always)]
fn boxed(_: &Queue, msg: Msg) -> std::rc::Rc<Msg> {
    std::rc::Rc::new(msg)
}

// Natively a delivered message goes from its box to its receiver in one
// copy. The page's path (`run`) takes it out of its `Rc` in one of two ways
// (moved when nothing else holds it, cloned when a snapshot shares it) and
// may hand it to a real client: the two ways' results met in one stack
// slot, so the 88-byte message was copied out of its box, into that slot,
// and again into the handler's argument, three copies where one is needed
// (~24 instructions a delivery, ~4 a record in W1 full).
#[cfg(engine_speed)]
impl Engine {
    /// Delivers `boxed` to a live receiver `to` when its box can be kept for
    /// the next message sent (`TimingWheel::can_keep`) and no real client
    /// is connected: the message is moved out of the box once, into the
    /// handler's argument, and the emptied box kept. Otherwise returns the
    /// box for the page's path, which gives the handler the same message.
    #[inline(always)]
    fn deliver_from_box(
        &mut self,
        from: Node,
        to: Node,
        mut boxed: std::rc::Rc<Msg>,
    ) -> Option<std::rc::Rc<Msg>> {
        if !self.external.is_empty() || !self.queue.can_keep(&mut boxed) {
            return Some(boxed);
        }
        // Taken out in the argument itself: a local would be one more copy.
        use crate::engine::timing_wheel::take_msg;
        match to {
            Node::Broker(b) => self.broker_receive(b, from, take_msg(&mut boxed)),
            Node::Producer(p) => self.producer_receive(p, from, take_msg(&mut boxed)),
            Node::Consumer(c) => self.consumer_receive(c, from, take_msg(&mut boxed)),
            // Nothing handles it; emptied all the same, as a kept box must be.
            Node::Controller => drop(take_msg(&mut boxed)),
        }
        // Kept after the handler, which only takes boxes (for what it
        // sends): there is still room for it.
        self.queue.keep(boxed);
        None
    }
}

// Natively a sent message is asked its kind, its error and whether it keeps
// the run awake in one match (`Msg::narration`), and the queue is handed
// the flag rather than asking the action again: one dispatch on the message
// where the page's `send` and `schedule` make three (two of them scanning a
// follower's fetch answer). Timers and other actions ask `keeps_alive` as
// on the page.
#[cfg(engine_speed)]
impl Engine {
    /// Sends a message; it arrives after the link's latency (the page's
    /// `send`, with one dispatch on the message, see above).
    pub(crate) fn send(&mut self, from: Node, to: Node, msg: Msg) {
        let arrive_ms = self.now_ms + self.link_latency_ms(from, to);
        let (kind, error, keeps_alive) = msg.narration();
        self.emit(EventKind::Message {
            from,
            to,
            kind,
            arrive_ms,
            error,
        });
        let msg = self.queue.boxed(msg);
        self.schedule_flagged(arrive_ms, Action::Deliver { from, to, msg }, keeps_alive);
    }

    /// Queues `action` at `at_ms` (never before now), asking it whether it
    /// keeps the run awake.
    #[inline(always)]
    pub(crate) fn schedule(&mut self, at_ms: u64, action: Action) {
        let keeps_alive = action.keeps_alive();
        self.schedule_flagged(at_ms, action, keeps_alive);
    }

    /// [`Engine::schedule`] for a caller that already knows whether the
    /// action keeps the run awake (`send`, from its one match on the
    /// message). Debug builds check the flag against the action's own
    /// answer.
    #[inline(always)]
    fn schedule_flagged(&mut self, at_ms: u64, action: Action, keeps_alive: bool) {
        debug_assert_eq!(keeps_alive, action.keeps_alive());
        let seq = self.seq;
        self.seq += 1;
        self.keepalive_scheduled += u64::from(keeps_alive);
        let at_ms = at_ms.max(self.now_ms);
        // A record's timers due now may be fused (`fused_step.rs`): a
        // constant action folds this away at every other call site.
        if let Action::Producer { producer, timer } = &action {
            if self.fuse(seq, at_ms, *producer, *timer) {
                debug_assert!(keeps_alive, "counted as queued");
                // Not queued: counted as queued (see `sweep_if_due`).
                self.sweep_at -= 1;
                self.sweep_if_due();
                return;
            }
        }
        // No `Scheduled` built: the wheel keeps what its entries need.
        self.queue.push(at_ms, seq, action, keeps_alive);
        self.sweep_if_due();
    }

    /// Sweeps stale timers once the queue has doubled (see
    /// `sweep_stale_timers`). Natively the queue's length leaves out the
    /// fused lane's actions ([`fused_step::FusedLane::len`]), which
    /// `sweep_at` leaves out as well: it is the page's threshold less
    /// their number, so that the sweeps run at the same pushes.
    #[inline(always)]
    fn sweep_if_due(&mut self) {
        if self.queue.len() >= self.sweep_at {
            self.sweep_stale_timers();
            let unqueued = self.loop_state.lane.len();
            self.sweep_at = ((self.queue.len() + unqueued) * 2).max(SWEEP_MIN_QUEUE_LEN) - unqueued;
        }
    }
}

// Natively `pop_one` (the wheel's `pop`, `run` and the handlers are inlined
// into it) is itself inlined into `step_until`'s loop (and into `warm_up`
// and `run_to_ms`, which pop outside steps). A step is nearly always one
// action (W1 full: 589,582 actions in 553,280 steps), so a call per action
// was a call per step, with ~15 instructions of prologue and epilogue
// saving and restoring every callee-saved register the inlined handlers
// use; inlined, they are saved once per call of the function the loop
// lands in (the bench's `run`). perf-w1f measured the same inlining (-1.3%)
// and went back to a call for the wall clock (producer-only then 5-10%
// slower); perf-w2h measured it again at c87de25 with the simulated caches:
// fewer instruction-cache misses, not more (bench/README.md). The page's
// build has no such attribute: its bundle is budgeted to the byte.
//
// `step_until`'s look at the queue before each action. A step with no time
// limit (`Engine::step`, the benches and the course page's play) asks only
// whether anything is queued: natively the timing wheel would find the next
// action by scanning its buckets (then scan again to pop it), where its
// count says the same at once. The page's heap peeks in O(1) and keeps
// `next_event_ms`.
#[cfg(engine_speed)]
impl Engine {
    /// `None` if nothing is queued; otherwise a time `step_until` compares
    /// with `limit_ms`: the next action's, or, with no limit
    /// (`u64::MAX`), the limit itself (nothing is later), without looking
    /// for the next action.
    #[inline(always)]
    fn next_due_ms(&self, limit_ms: u64) -> Option<u64> {
        if limit_ms == u64::MAX {
            debug_assert_eq!(self.queue.len() == 0, self.queue.peek().is_none());
            return (self.queue.len() > 0).then_some(limit_ms);
        }
        self.next_event_ms()
    }
}

/// The queue never sweeps below this length: teaching scenarios stay far
/// below it, so their traces never depend on sweeping.
const SWEEP_MIN_QUEUE_LEN: usize = 512;

/// Natively, whether the engine's event buffer, and the buffer it handed
/// out at the last [`Engine::swap_events`], hold only events that own no
/// heap memory (see [`EventKind::owns_nothing`]). `emit` clears `out` for
/// any other event: a constant kind decides at compile time, so most
/// `emit`s pay nothing. When the handed-out buffer's flag is set,
/// `swap_events` empties it without dropping its events one by one (see
/// `empty_handed_out`). Both start unset: a flag unset wrongly costs only
/// the ordinary `clear`.
#[cfg(engine_speed)]
#[derive(Clone, Copy, Default)]
struct EventsOwn {
    /// Every event in `Engine::out` owns nothing.
    out_plain: bool,
    /// Every event in the buffer handed out last owns nothing.
    handed_out_plain: bool,
}

/// No part of the engine's value: engines in the same state print the
/// same whatever their buffers held (tests compare engines by `Debug`).
#[cfg(engine_speed)]
impl std::fmt::Debug for EventsOwn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventsOwn")
    }
}

#[cfg(engine_speed)]
impl Engine {
    /// Empties `spare`, the buffer handed out at the last `swap_events`
    /// (the benches pass the same one back each step), and notes that the
    /// buffer handed out now holds this step's events. `clear` called the
    /// out-of-line `drop_in_place::<EventKind>` for every event (~27
    /// instructions each with its loop, ~700,000 events in the
    /// 3 x 20k-record W1 full run) only for its jump table to find nothing
    /// to free in nine events out of ten (a message sent, a record created,
    /// processed or committed, a follower's progress), which
    /// `empty_events` skips. (A drain whose loop forgets each event, and a
    /// look at each event's kind instead of the flag, were measured: both
    /// cost as much as the drops.)
    #[inline(always)]
    fn empty_handed_out(&mut self, spare: &mut Vec<Event>) {
        let plain = std::mem::replace(
            &mut self.loop_state.events.handed_out_plain,
            self.loop_state.events.out_plain,
        );
        self.loop_state.events.out_plain = true;
        empty_events(spare, plain);
    }

    /// `clear_events` natively: the engine's own buffer emptied the way
    /// [`Engine::empty_handed_out`] empties a handed-back one, without
    /// dropping its events one by one when none of them owns memory (the
    /// CLI's `run` clears after every step, as the bench drains).
    #[inline(always)]
    fn empty_out(&mut self) {
        empty_events(&mut self.out, self.loop_state.events.out_plain);
        self.loop_state.events.out_plain = true;
    }
}

/// Empties a buffer of events; when `plain` (every event in it owns
/// nothing), by forgetting the drain that empties it, which leaves them
/// undropped and frees nothing: safe code, and one store of the length.
/// Debug builds check `plain` against the events.
#[cfg(engine_speed)]
#[inline(always)]
fn empty_events(events: &mut Vec<Event>, plain: bool) {
    if plain {
        debug_assert!(
            events.iter().all(|e| e.kind.owns_nothing()),
            "the flag is unset by every event that owns memory"
        );
        std::mem::forget(events.drain(..));
    }
    // Every event dropped if `plain` was unset (or if `drain` ever left
    // any behind: today it empties the vector as it starts).
    events.clear();
}

/// `speed_or_page!(native, page)`: the first expression natively
/// (`cfg(engine_speed)`), the second on the course page, whose tokens are
/// then exactly the call the page always made. A function, even one always
/// inlined, changed the page's wasm where this leaves it byte-identical
/// (perf-w1r and perf-w1u measured it), and the page's expression is never
/// compiled natively nor the native one on the page.
#[cfg(engine_speed)]
macro_rules! speed_or_page {
    ($speed:expr, $page:expr) => {
        $speed
    };
}
#[cfg(not(engine_speed))]
macro_rules! speed_or_page {
    ($speed:expr, $page:expr) => {
        $page
    };
}
pub(crate) use speed_or_page;

// The step loop's native state and its fused actions (a delay-0 action run
// as the next action without a trip through the queue), with the native
// `step_until`, `run_to_ms` and `next_event_ms`: a child module, so that
// it reads the engine's private queue and counters as this file does.
#[cfg(engine_speed)]
#[path = "fused_step.rs"]
mod fused_step;
