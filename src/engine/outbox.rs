//! The effects a component decides on, in the order it decided them.
//!
//! A sans-IO component never performs I/O itself. quinn-proto's QUIC
//! `Connection` is the model: it is handed what arrived (`handle_event`) and
//! the time (`handle_timeout(now)`), and the caller then *asks* it what to do
//! — which datagrams to send (`poll_transmit`), when to wake it next
//! (`poll_timeout`), what to tell the application (`poll`). str0m's `Rtc`
//! does the same with one `poll_output` that yields a transmit, a timeout
//! or an event. Because the component touches no socket, clock or
//! scheduler, it can be driven by a test with made-up times and inspected
//! afterwards, and the same inputs always give the same outputs.
//!
//! Here the components (the transaction coordinator, the group coordinator,
//! the controller, the producer's sender, the broker) write their effects
//! into an [`Outbox`] (the broker keeps one in itself and reuses its
//! buffer, as quinn's `Connection` keeps its queues):
//!
//! - [`Effect::Send`]: a message to another node (quinn's transmit);
//! - [`Effect::Timer`]: an action to run at a logical time (quinn's timeout);
//! - [`Effect::Event`]: something the UI should show (quinn's events).
//!
//! The engine then applies the whole outbox with `Engine::apply_outbox`,
//! through the same `send`, `schedule` and `emit` that every other handler
//! uses. One ordered list, not one queue per kind, is deliberate: the
//! engine's queue gives each scheduled action a sequence number in the order
//! it is scheduled, and a message is also an event (the UI draws it leave).
//! Replaying the effects in exactly the order the component recorded them
//! gives the same sequence numbers and the same event order as calling
//! `send`, `schedule` and `emit` directly did, so moving a rule into a
//! component changes no trace. (The engine applies an outbox before it does
//! anything of its own, such as appending to a log, for the same reason.)
//!
//! An outbox's buffer is reused, not allocated for each handler call:
//! `Engine::outbox` takes the engine's one spare buffer and
//! `Engine::apply_outbox` hands the emptied buffer back. One spare is
//! enough because outboxes do not nest: the engine applies each outbox
//! before it runs any other rule (a component's rule sees only its own
//! state, and applying an effect only sends, schedules or shows, which
//! runs no rule), so a spare taken is always back before the next is
//! taken. (A stack of spares, for rules run inside others, was measured:
//! it never held a second buffer, and its pops and pushes cost W1 full
//! 0.7% more instructions; see `bench/README.md`, perf-w1o.) Natively an
//! outbox that recorded nothing, as most of an offset commit's consumer
//! rules, is only handed back, a check inlined where the rule runs, so
//! such a rule costs no call (the page, whose first load is budgeted,
//! keeps the shorter code).

use crate::engine::event::{EventKind, Node};
use crate::engine::network::Msg;
use crate::engine::sim::{Action, Engine};

/// One thing a component wants done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Send `msg` from `from` to `to`; it arrives after the link's latency.
    Send { from: Node, to: Node, msg: Msg },
    /// Run `action` at `at_ms` (never earlier than the engine's now).
    Timer { at_ms: u64, action: Action },
    /// Show something that happened.
    Event(EventKind),
}

/// The ordered effects of one handler call (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outbox {
    effects: Vec<Effect>,
}

impl Outbox {
    pub fn new() -> Outbox {
        Outbox::default()
    }

    /// Sends `msg` from `from` to `to`.
    pub fn send(&mut self, from: Node, to: Node, msg: Msg) {
        self.effects.push(Effect::Send { from, to, msg });
    }

    /// Runs `action` (a component's timer) at `at_ms`.
    pub fn timer_at(&mut self, at_ms: u64, action: impl Into<Action>) {
        self.effects.push(Effect::Timer {
            at_ms,
            action: action.into(),
        });
    }

    /// Shows `kind` at the engine's now.
    pub fn event(&mut self, kind: EventKind) {
        self.effects.push(Effect::Event(kind));
    }

    pub fn is_empty(&self) -> bool {
        self.effects.is_empty()
    }

    /// The effects so far, in order (for tests of a component alone).
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// The messages sent so far, in order.
    pub fn sent(&self) -> impl Iterator<Item = (Node, Node, &Msg)> {
        self.effects.iter().filter_map(|e| match e {
            Effect::Send { from, to, msg } => Some((*from, *to, msg)),
            _ => None,
        })
    }

    /// The events so far, in order.
    pub fn events(&self) -> impl Iterator<Item = &EventKind> {
        self.effects.iter().filter_map(|e| match e {
            Effect::Event(kind) => Some(kind),
            _ => None,
        })
    }

    /// The timers set so far, in order.
    pub fn timers(&self) -> impl Iterator<Item = (u64, &Action)> {
        self.effects.iter().filter_map(|e| match e {
            Effect::Timer { at_ms, action } => Some((*at_ms, action)),
            _ => None,
        })
    }
}

impl Engine {
    /// An empty outbox on the last applied one's buffer (not a new vector).
    #[cfg_attr(engine_speed, inline(always))]
    pub(crate) fn outbox(&mut self) -> Outbox {
        Outbox {
            effects: std::mem::take(&mut self.spare_effects),
        }
    }

    /// Carries out a component's effects in the order it recorded them,
    /// and keeps the emptied buffer for the next [`Engine::outbox`]. The
    /// page's, the least code: merged with the native one below (which
    /// skips an empty outbox's drain and drops no buffer through a call),
    /// the page's first load grew by ~150 B, over its budget.
    #[cfg(not(engine_speed))]
    pub(crate) fn apply_outbox(&mut self, mut out: Outbox) {
        self.apply_outbox_drain(&mut out);
        if out.effects.capacity() > self.spare_effects.capacity() {
            self.spare_effects = out.effects;
        }
    }

    /// Natively: as the page's `apply_outbox`, but an outbox that recorded
    /// nothing is only handed back.
    #[cfg(engine_speed)]
    #[inline(always)]
    pub(crate) fn apply_outbox(&mut self, out: Outbox) {
        if out.is_empty() {
            self.keep_spare(out.effects);
        } else {
            self.apply_effects(out);
        }
    }

    /// [`Engine::apply_outbox`] of an outbox that recorded something. Apart
    /// from it so that natively only the emptiness check is forced inline
    /// at every rule, and whether this loop is inlined is the compiler's
    /// choice: forced inline too, it cost the producer's timers ~0.2% of
    /// the producer-only bench.
    #[cfg(engine_speed)]
    #[inline]
    fn apply_effects(&mut self, mut out: Outbox) {
        self.apply_outbox_drain(&mut out);
        self.keep_spare(out.effects);
    }

    /// Keeps `emptied` as the spare buffer, or the spare if that is larger
    /// (an outbox made with [`Outbox::new`], such as a transaction's
    /// `then`, did not take the spare and brings a buffer of its own).
    #[cfg(engine_speed)]
    #[inline(always)]
    fn keep_spare(&mut self, emptied: Vec<Effect>) {
        let mut other = std::mem::replace(&mut self.spare_effects, emptied);
        if other.capacity() > self.spare_effects.capacity() {
            std::mem::swap(&mut other, &mut self.spare_effects);
        }
        // The other buffer is nearly always none at all (the spare was
        // taken for this outbox): forgotten without a call to its drop.
        if other.capacity() == 0 {
            std::mem::forget(other);
        }
    }

    /// As [`Engine::apply_outbox`], leaving `out` empty with its buffer.
    #[cfg(not(engine_speed))]
    pub(crate) fn apply_outbox_drain(&mut self, out: &mut Outbox) {
        for effect in out.effects.drain(..) {
            match effect {
                Effect::Send { from, to, msg } => self.send(from, to, msg),
                Effect::Timer { at_ms, action } => self.schedule(at_ms, action),
                Effect::Event(kind) => self.emit(kind),
            }
        }
    }

    /// Natively the effects are popped off the reversed list: the same
    /// order, the buffer kept, and no `Drain` to drop for each outbox (its
    /// drop was ~30 instructions, and W1 full applies ~8 outboxes a record).
    #[cfg(engine_speed)]
    #[inline(always)]
    pub(crate) fn apply_outbox_drain(&mut self, out: &mut Outbox) {
        // Most outboxes hold one or two effects: swapped in place rather
        // than through `reverse`'s out-of-line loop (~475,000 calls a run).
        match out.effects.len() {
            0 | 1 => {}
            2 => out.effects.swap(0, 1),
            _ => out.effects.reverse(),
        }
        while let Some(effect) = out.effects.pop() {
            self.apply_effect(effect);
        }
    }

    #[cfg(engine_speed)]
    fn apply_effect(&mut self, effect: Effect) {
        match effect {
            Effect::Send { from, to, msg } => self.send(from, to, msg),
            Effect::Timer { at_ms, action } => self.schedule(at_ms, action),
            Effect::Event(kind) => self.emit(kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::Node;
    use crate::engine::txn_coordinator::TxnTimer;

    #[test]
    fn an_outbox_keeps_effects_in_the_order_they_were_recorded() {
        let mut out = Outbox::new();
        out.event(EventKind::Note { text: "a".into() });
        out.timer_at(10, TxnTimer::MarkersRetry);
        out.send(
            Node::Controller,
            Node::Controller,
            Msg::EndTxnResponse { error: None },
        );
        out.event(EventKind::Note { text: "b".into() });
        let kinds: Vec<&str> = out
            .effects()
            .iter()
            .map(|e| match e {
                Effect::Send { .. } => "send",
                Effect::Timer { .. } => "timer",
                Effect::Event(_) => "event",
            })
            .collect();
        assert_eq!(kinds, ["event", "timer", "send", "event"]);
        assert_eq!(out.sent().count(), 1);
        assert_eq!(out.events().count(), 2);
        assert_eq!(
            out.timers().next(),
            Some((10, &Action::TxnCoordinator(TxnTimer::MarkersRetry)))
        );
    }

    #[test]
    fn applying_an_outbox_equals_calling_send_schedule_and_emit_in_that_order() {
        // Same sequence numbers in the queue, same events: the engine's whole
        // state (queue included) prints the same either way.
        let base = Engine::new(crate::engine::config::ScenarioConfig::default()).unwrap();
        let (a, b) = (
            Node::Controller,
            Node::Broker(crate::engine::ids::BrokerId(0)),
        );
        let note = |t: &str| EventKind::Note { text: t.into() };
        let mut direct = base.clone();
        direct.emit(note("first"));
        direct.send(a, b, Msg::EndTxnResponse { error: None });
        direct.schedule(500, Action::TxnCoordinator(TxnTimer::MarkersRetry));
        direct.emit(note("last"));
        let mut applied = base;
        let mut out = Outbox::new();
        out.event(note("first"));
        out.send(a, b, Msg::EndTxnResponse { error: None });
        out.timer_at(500, TxnTimer::MarkersRetry);
        out.event(note("last"));
        applied.apply_outbox(out);
        assert_eq!(format!("{direct:?}"), format!("{applied:?}"));
    }
}
