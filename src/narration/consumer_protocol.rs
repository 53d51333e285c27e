//! Narration of Kafka 4's consumer group protocol (KIP-848): group epochs,
//! the coordinator's target assignment, each member's reconciliation and
//! fencing (see `engine::consumer_group` for the rules).

use super::{consumer_name, Narration};
use crate::engine::consumer_group::MemberState;
use crate::engine::event::{ErrorCode, EventKind};
use crate::engine::sim::Engine;

pub(super) fn narrate(e: &Engine, kind: &EventKind, n: &mut Narration) {
    match kind {
        EventKind::GroupEpochBumped {
            epoch, consumer, ..
        } => {
            n.title = format!("Group epoch {}", epoch.0);
            n.t("The group coordinator bumps the ")
                .term("group epoch")
                .t(format!(" to {}", epoch.0));
            if let Some(c) = consumer {
                n.t(" because ")
                    .term(consumer_name(e, *c))
                    .t(" joined, left or changed what it subscribes to");
            }
            n.t(". Under the consumer group protocol (KIP-848, Kafka 4.0) nobody rejoins: the coordinator computes a new target assignment itself, and each member moves to it at its own pace, heartbeat by heartbeat.");
            if consumer.is_some_and(|c| is_classic(e, c)) {
                n.t(" This member still speaks the classic protocol, inside a consumer group (a rolling upgrade): it joined with JoinGroup, and the coordinator reconciles it all the same.");
            }
        }
        EventKind::GroupConverted {
            to_consumer_protocol,
            epoch,
            ..
        } => {
            if *to_consumer_protocol {
                n.title = "The group becomes a consumer group".into();
                n.t("A member joined with a ConsumerGroupHeartbeat, so the coordinator converts this classic group into a ")
                    .term("consumer group")
                    .t(format!(" (group.consumer.migration.policy allows upgrades; Kafka 4.0). Every member keeps its partitions, at member epoch {}, the classic generation. The members still on the classic protocol stay: the coordinator answers their JoinGroup, SyncGroup and Heartbeat itself, tells them to rejoin with REBALANCE_IN_PROGRESS when their partitions change, and never asks a leader to assign.", epoch.0));
            } else {
                n.title = "The group goes back to the classic protocol".into();
                n.t("The last member on the consumer protocol left and only classic members remain, so the coordinator converts the group back into a ")
                    .term("classic group")
                    .t(format!(" at generation {} (group.consumer.migration.policy allows downgrades). Each member keeps its target partitions for now, and a classic rebalance starts: everyone rejoins and a leader assigns.", epoch.0));
            }
        }
        EventKind::TargetAssignmentComputed {
            epoch, assignor, ..
        } => {
            n.title = format!("Target assignment for epoch {}", epoch.0);
            n.t("The coordinator runs the server-side ")
                .term(assignor.name())
                .t(format!(" assignor (group.consumer.assignors) and stores a target assignment for epoch {}. In the classic protocol a consumer (the group leader) ran the assignor after everyone had rejoined; here the broker does it at once, and no member stops.", epoch.0));
        }
        EventKind::MemberReconciled {
            consumer,
            epoch,
            state,
            revoking,
            ..
        } => {
            let who = consumer.map_or("A member".to_string(), |c| consumer_name(e, c));
            n.title = format!("{who}: {}", state.name());
            // "is now stable", or "now has unrevoked/unreleased partitions".
            let verb = if *state == MemberState::Stable {
                " is now "
            } else {
                " now has "
            };
            n.term(who.clone()).t(verb).term(state.name());
            match state {
                MemberState::UnrevokedPartitions => {
                    let list: Vec<String> = revoking
                        .iter()
                        .map(|tp| format!("{}-{}", tp.topic, tp.partition))
                        .collect();
                    n.t(format!(" at member epoch {}: the target takes ", epoch.0))
                        .num(list.join(", "))
                        .t(if revoking.len() == 1 { " away, so it must revoke it" } else { " away, so it must revoke them" })
                        .t(" and say so in a heartbeat before it may move to the new epoch. It keeps consuming everything else. If it does not revoke within its rebalance timeout (max.poll.interval.ms) it is fenced.");
                    if consumer.is_some_and(|c| is_classic(e, c)) {
                        n.t(" A classic member learns this from REBALANCE_IN_PROGRESS on its next Heartbeat: it rejoins without those partitions.");
                    }
                }
                MemberState::UnreleasedPartitions => {
                    n.t(format!(" at member epoch {}: part of its target is still owned by another member, which has not revoked it yet. It will receive it in a later heartbeat, once released: a partition never has two owners.", epoch.0));
                }
                MemberState::Stable => {
                    n.t(format!(
                        " at member epoch {}: it owns exactly its target.",
                        epoch.0
                    ));
                }
            }
        }
        EventKind::MemberLeft {
            consumer,
            static_leave,
            fenced,
            ..
        } => {
            let who = consumer.map_or("A member".to_string(), |c| consumer_name(e, c));
            if *static_leave {
                n.title = format!("{who} leaves for now (static)");
                n.term(who).t(" leaves with member epoch -2: a static member (group.instance.id). The coordinator keeps its partitions parked for it, without a new group epoch, until its session times out or it comes back.");
            } else if let Some(err) = fenced {
                n.alarm = true;
                n.title = format!("{who} is fenced");
                n.t("The coordinator removes ").term(who).t(" from the group (").term(err.name()).t(" for its next request): ")
                    .t(match err {
                        ErrorCode::FencedMemberEpoch => "it did not revoke its partitions within its rebalance timeout.",
                        ErrorCode::RebalanceInProgress => "a classic member told to rejoin did not within its rebalance timeout.",
                        ErrorCode::IllegalGeneration => "a classic member that joined did not send SyncGroup within its rebalance timeout.",
                        _ => "its session timed out (group.consumer.session.timeout.ms, set by the broker, for a consumer-protocol member; its own session.timeout.ms for a classic one).",
                    })
                    .t(" The group epoch goes up and its partitions go to the others.");
            } else {
                n.title = format!("{who} leaves the group");
                n.term(who).t(" leaves with member epoch -1; the group epoch goes up and its partitions go to the others.");
            }
        }
        _ => {}
    }
}

/// How a starting consumer joins its group, by its `group.protocol`.
pub(super) fn joins_with(e: &Engine, c: crate::engine::ids::ConsumerIdx) -> &'static str {
    if !is_classic(e, c) {
        " subscribes and sends a ConsumerGroupHeartbeat at member epoch 0: under the consumer protocol that one request is the join."
    } else {
        " subscribes and sends JoinGroup."
    }
}

/// Whether consumer `c` speaks the classic protocol (its own `group.protocol`).
fn is_classic(e: &Engine, c: crate::engine::ids::ConsumerIdx) -> bool {
    e.consumers()[c.0 as usize].group_protocol == crate::engine::config::GroupProtocol::Classic
}
