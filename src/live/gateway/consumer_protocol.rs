//! Kafka 4's consumer group protocol (KIP-848) for real clients: a consumer
//! with `group.protocol=consumer` (librdkafka ≥ 2.10, the Java client ≥ 4.0)
//! sends ConsumerGroupHeartbeat (api 68) instead of JoinGroup, SyncGroup and
//! Heartbeat, and the engine's group coordinator (`consumer_group.rs`)
//! answers it as it answers the simulated consumers.
//!
//! What is the wire's business and is settled here, before the engine sees
//! the request:
//!
//! - **Topic ids.** The heartbeat names partitions by topic id (a `Uuid`),
//!   never by name: the partitions a member owns in the request, its
//!   assignment in the answer. The engine names topics; the id of a topic is
//!   [`TopicUuid::for_name`], the same one Metadata v10+ gives the topic
//!   (`Gateway::metadata`), so a client resolves the ids it is assigned
//!   with a Metadata request by topic id (v12+, as librdkafka does).
//! - **Version rules** of `throwIfConsumerGroupHeartbeatRequestIsInvalid`
//!   that the engine, which has no versions, cannot know: from v1 on the
//!   client makes its own member id (KIP-1082), so an empty one is
//!   INVALID_REQUEST at any epoch.
//! - **What the engine does not model**: a `SubscribedTopicRegex` (the
//!   engine subscribes by name) and a rack id are refused with
//!   INVALID_REQUEST and a message that says so, and `GroupId` must not be
//!   empty.
//!
//! ConsumerGroupDescribe (api 69, what `kafka-consumer-groups --describe`
//! asks a consumer group) reads the coordinator's state and is answered at
//! once, as Metadata is.
//!
//! Kafka: `GroupMetadataManager.consumerGroupHeartbeat` and
//! `consumerGroupDescribe`, `ConsumerGroupHeartbeatRequest.json`,
//! `ConsumerGroupDescribeResponse.json` (`clients/src/main/resources/common/message/`).

use kafka_protocol::messages::{self as km, ResponseKind};

use super::{answers::encode, Gateway, Pending};
use crate::engine::assignor::server::{ServerAssignorKind, TopicUuid};
use crate::engine::assignor::TopicPartition;
use crate::engine::consumer_group::{HeartbeatRequest, HeartbeatResponse};
use crate::engine::event::{MsgKind, Node};
use crate::engine::network::Msg;
use crate::engine::Engine;
use crate::live::translate::{self as tr, code};
use crate::live::transport::Reply;

/// A topic's id on the wire: the engine's [`TopicUuid`] of its name.
pub fn topic_uuid(name: &str) -> uuid::Uuid {
    uuid::Uuid::from_bytes(TopicUuid::for_name(name).bytes())
}

/// The name of the client-visible topic whose id is `id`, if there is one.
pub fn topic_named_by(engine: &Engine, id: uuid::Uuid) -> Option<String> {
    engine
        .topics()
        .iter()
        .find(|t| !t.internal && topic_uuid(&t.name) == id)
        .map(|t| t.name.clone())
}

impl Gateway {
    pub(super) fn consumer_group_heartbeat(
        &mut self,
        client: &str,
        h: km::ConsumerGroupHeartbeatRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let refuse = |pending: &Pending, error: i16, why: &str| {
            let mut out = km::ConsumerGroupHeartbeatResponse::default();
            out.error_code = error;
            out.error_message = Some(tr::str_bytes(why));
            Err(encode(pending, ResponseKind::ConsumerGroupHeartbeat(out)))
        };
        if h.group_id.0.is_empty() {
            return refuse(pending, code::INVALID_REQUEST, "GroupId can't be empty.");
        }
        if pending.api_version >= 1 && h.member_id.is_empty() {
            return refuse(pending, code::INVALID_REQUEST, "MemberId can't be empty.");
        }
        if h.subscribed_topic_regex
            .as_ref()
            .is_some_and(|r| !r.is_empty())
        {
            return refuse(
                pending,
                code::INVALID_REQUEST,
                "kafkascope subscribes by topic name only: SubscribedTopicRegex is not supported.",
            );
        }
        if h.rack_id.as_ref().is_some_and(|r| r.is_empty()) {
            return refuse(pending, code::INVALID_REQUEST, "RackId can't be empty.");
        }
        let server_assignor = match h.server_assignor.as_deref() {
            None => None,
            Some(name) => match ServerAssignorKind::from_name(name) {
                Some(kind) => Some(kind),
                None => {
                    return refuse(
                        pending,
                        code::UNSUPPORTED_ASSIGNOR,
                        &format!("ServerAssignor {name} is not supported."),
                    )
                }
            },
        };
        // Owned partitions of a topic id nobody has are dropped: no target
        // can name them, so they are nothing to revoke.
        let owned = h.topic_partitions.as_ref().map(|ts| {
            let mut owned: Vec<TopicPartition> = ts
                .iter()
                .filter_map(|t| topic_named_by(&self.engine, t.topic_id).map(|n| (n, t)))
                .flat_map(|(name, t)| {
                    t.partitions
                        .iter()
                        .filter(|p| **p >= 0)
                        .map(move |p| TopicPartition::new(name.as_str(), *p as u32))
                })
                .collect();
            owned.sort();
            owned.dedup();
            owned
        });
        let (g, node) = self.member_slot(client, &h.group_id)?;
        pending.expect = MsgKind::ConsumerGroupHeartbeatResponse;
        Ok(Some((
            node,
            Msg::ConsumerGroupHeartbeat {
                group: g,
                req: Box::new(HeartbeatRequest {
                    member_id: h.member_id.to_string(),
                    instance_id: h.instance_id.as_ref().map(|s| s.to_string()),
                    member_epoch: h.member_epoch,
                    rebalance_timeout_ms: h.rebalance_timeout_ms,
                    subscribed_topics: h
                        .subscribed_topic_names
                        .as_ref()
                        .map(|ts| ts.iter().map(|t| t.0.to_string()).collect()),
                    server_assignor,
                    owned,
                }),
            },
        )))
    }

    /// The engine's answer on the wire. An error answer carries only the
    /// error, as Kafka's does (`ConsumerGroupHeartbeatResponseData` with the
    /// error code and message set); a member that left is answered its
    /// epoch (-1, or -2) and no heartbeat interval.
    pub(super) fn heartbeat_response(
        &self,
        resp: HeartbeatResponse,
    ) -> km::ConsumerGroupHeartbeatResponse {
        let mut out = km::ConsumerGroupHeartbeatResponse::default();
        if let Some(e) = resp.error {
            out.error_code = tr::kafka_code(e);
            return out;
        }
        out.member_id = Some(tr::str_bytes(&resp.member_id));
        out.member_epoch = resp.member_epoch;
        if resp.member_epoch >= 0 {
            out.heartbeat_interval_ms = resp.heartbeat_interval_ms as i32;
        }
        out.assignment = resp.assignment.map(|tps| {
            let mut a = km::consumer_group_heartbeat_response::Assignment::default();
            a.topic_partitions = by_topic_id(&tps)
                .into_iter()
                .map(|(id, partitions)| {
                    let mut t = km::consumer_group_heartbeat_response::TopicPartitions::default();
                    t.topic_id = id;
                    t.partitions = partitions;
                    t
                })
                .collect();
            a
        });
        out
    }

    /// ConsumerGroupDescribe, from the coordinator's state. A group that is
    /// not a consumer group is GROUP_ID_NOT_FOUND, as Kafka answers for an
    /// unknown group or a classic one (`consumerGroup(groupId)` throws).
    pub(super) fn consumer_group_describe(
        &self,
        d: &km::ConsumerGroupDescribeRequest,
    ) -> km::ConsumerGroupDescribeResponse {
        use km::consumer_group_describe_response as cgd;
        let e = &self.engine;
        let mut out = km::ConsumerGroupDescribeResponse::default();
        for id in &d.group_ids {
            let mut g = cgd::DescribedGroup::default();
            g.group_id = id.clone();
            g.authorized_operations = i32::MIN;
            let found = e
                .config()
                .groups
                .iter()
                .position(|gc| gc.group_id == tr::group_id(id))
                .and_then(|i| e.groups()[i].consumer_group());
            let Some(cg) = found else {
                g.error_code = code::GROUP_ID_NOT_FOUND;
                g.error_message = Some(tr::str_bytes(&format!(
                    "Group {} not found.",
                    tr::group_id(id)
                )));
                g.group_state = tr::str_bytes("Dead");
                out.groups.push(g);
                continue;
            };
            g.group_state = tr::str_bytes(cg.state_name());
            g.group_epoch = cg.group_epoch;
            g.assignment_epoch = cg.assignment_epoch;
            g.assignor_name = tr::str_bytes(
                cg.last_assignor
                    .or_else(|| e.config().cluster.group_consumer_assignors.first().copied())
                    .map_or("uniform", ServerAssignorKind::name),
            );
            let assignment = |tps: &[TopicPartition]| {
                let mut a = cgd::Assignment::default();
                a.topic_partitions = by_topic_id(tps)
                    .into_iter()
                    .map(|(topic_id, partitions)| {
                        let name = tps
                            .iter()
                            .find(|tp| topic_uuid(&tp.topic) == topic_id)
                            .map_or_else(String::new, |tp| tp.topic.clone());
                        let mut t = cgd::TopicPartitions::default();
                        t.topic_id = topic_id;
                        t.topic_name = tr::topic_name(&name);
                        t.partitions = partitions;
                        t
                    })
                    .collect();
                a
            };
            for m in &cg.members {
                let mut dm = cgd::Member::default();
                dm.member_id = tr::str_bytes(&m.member_id);
                dm.instance_id = m.instance_id.as_deref().map(tr::str_bytes);
                dm.member_epoch = m.member_epoch;
                dm.member_type = 1; // a consumer-protocol member (v1)
                let slot = m.consumer.map(|c| &e.consumers()[c.0 as usize]);
                dm.client_id = tr::str_bytes(slot.map_or("", |c| c.client_id.as_str()));
                dm.client_host = tr::str_bytes("/127.0.0.1");
                dm.subscribed_topic_names =
                    m.subscribed.iter().map(|t| tr::topic_name(t)).collect();
                dm.assignment = assignment(&m.assigned);
                dm.target_assignment = assignment(
                    cg.target
                        .get(&m.member_id)
                        .map_or(&[][..], |t| t.as_slice()),
                );
                g.members.push(dm);
            }
            out.groups.push(g);
        }
        out
    }
}

/// Partitions grouped by topic id, topics in the order they first appear,
/// partitions as listed.
fn by_topic_id(tps: &[TopicPartition]) -> Vec<(uuid::Uuid, Vec<i32>)> {
    let mut out: Vec<(uuid::Uuid, Vec<i32>)> = Vec::new();
    for tp in tps {
        let id = topic_uuid(&tp.topic);
        match out.iter_mut().find(|(t, _)| *t == id) {
            Some((_, ps)) => ps.push(tp.partition as i32),
            None => out.push((id, vec![tp.partition as i32])),
        }
    }
    out
}
