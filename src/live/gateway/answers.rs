//! The engine's answers, encoded as the responses real clients expect
//! (at the version each request was sent with).

use kafka_protocol::messages::{self as km, ResponseKind};

use super::{Gateway, Pending};
use crate::engine::network::Msg;
use crate::live::frame;
use crate::live::translate as tr;
use crate::live::transport::Reply;

/// Files a partition's answer under its topic (`parts` and `name` are the
/// fields of that response's topic entry).
macro_rules! put {
    ($topics:expr, $topic:expr, $part:expr, $parts:ident, $name:ident) => {
        push_topic(
            &mut $topics,
            $topic,
            $part,
            |t| &mut t.$parts,
            |t, n| t.$name = tr::topic_name(n),
            |t| t.$name.0.to_string(),
        )
    };
}

impl Gateway {
    pub(super) fn response(&self, p: &Pending, msg: Msg) -> Reply {
        let e = &self.engine;
        let body = match msg {
            Msg::ProduceResponse { results, .. } => return self.produce_reply(p, &results),
            Msg::FetchResponse { partitions, .. } => {
                let mut out = km::FetchResponse::default();
                for part in &partitions {
                    let name = e.topic(part.tp.topic).name.clone();
                    let wire = |id| self.wire_meta.get(&id).cloned();
                    let data = tr::fetch_partition(e, part, self.epoch_origin_ms, &wire);
                    put!(out.responses, &name, data, partitions, topic);
                }
                for (name, idx, c) in &p.local_errors {
                    let mut d = km::fetch_response::PartitionData::default();
                    d.partition_index = *idx;
                    d.error_code = *c;
                    d.high_watermark = -1;
                    d.last_stable_offset = -1;
                    d.log_start_offset = -1;
                    d.preferred_read_replica = km::BrokerId(-1);
                    put!(out.responses, name, d, partitions, topic);
                }
                ResponseKind::Fetch(out)
            }
            Msg::ListOffsetsResponse { partitions } => {
                let mut out = km::ListOffsetsResponse::default();
                for (tp, r) in partitions {
                    let mut d = km::list_offsets_response::ListOffsetsPartitionResponse::default();
                    d.partition_index = tp.partition.0 as i32;
                    d.timestamp = -1;
                    match r {
                        Ok(o) => {
                            d.offset = o.0;
                            d.leader_epoch = e.topic(tp.topic).partitions[tp.partition.0 as usize]
                                .leader_epoch
                                .0;
                        }
                        Err(err) => {
                            d.error_code = tr::kafka_code(err);
                            d.offset = -1;
                            d.leader_epoch = -1;
                        }
                    }
                    let name = e.topic(tp.topic).name.clone();
                    put!(out.topics, &name, d, partitions, name);
                }
                for (name, idx, c) in &p.local_errors {
                    let mut d = km::list_offsets_response::ListOffsetsPartitionResponse::default();
                    d.partition_index = *idx;
                    d.error_code = *c;
                    d.offset = -1;
                    d.timestamp = -1;
                    d.leader_epoch = -1;
                    put!(out.topics, name, d, partitions, name);
                }
                ResponseKind::ListOffsets(out)
            }
            Msg::JoinGroupResponse {
                error,
                member_id,
                generation,
                protocol,
                leader,
                members,
                ..
            } => {
                let mut out = km::JoinGroupResponse::default();
                out.error_code = tr::opt_code(error);
                out.generation_id = generation.0;
                out.protocol_type = Some(tr::str_bytes("consumer"));
                out.protocol_name = protocol.map(|k| tr::str_bytes(k.name()));
                out.leader = tr::str_bytes(&leader);
                out.member_id = tr::str_bytes(&member_id);
                out.members = members
                    .iter()
                    .map(|m| {
                        let mut jm = km::join_group_response::JoinGroupResponseMember::default();
                        jm.member_id = tr::str_bytes(&m.member_id);
                        jm.group_instance_id = m.instance_id.as_deref().map(tr::str_bytes);
                        jm.metadata = tr::encode_subscription(m);
                        jm
                    })
                    .collect();
                ResponseKind::JoinGroup(out)
            }
            Msg::SyncGroupResponse {
                error, assignment, ..
            } => {
                let mut out = km::SyncGroupResponse::default();
                out.error_code = tr::opt_code(error);
                out.protocol_type = Some(tr::str_bytes("consumer"));
                out.assignment = tr::encode_assignment(&assignment);
                ResponseKind::SyncGroup(out)
            }
            Msg::HeartbeatResponse { error, .. } => {
                let mut out = km::HeartbeatResponse::default();
                out.error_code = tr::opt_code(error);
                ResponseKind::Heartbeat(out)
            }
            Msg::LeaveGroupResponse { .. } => {
                ResponseKind::LeaveGroup(km::LeaveGroupResponse::default())
            }
            Msg::OffsetCommitResponse { error, offsets, .. } => {
                let mut out = km::OffsetCommitResponse::default();
                let c = tr::opt_code(error);
                for (tp, _) in offsets {
                    let mut d =
                        km::offset_commit_response::OffsetCommitResponsePartition::default();
                    d.partition_index = tp.partition.0 as i32;
                    d.error_code = c;
                    let name = e.topic(tp.topic).name.clone();
                    put!(out.topics, &name, d, partitions, name);
                }
                for (name, idx, c) in &p.local_errors {
                    let mut d =
                        km::offset_commit_response::OffsetCommitResponsePartition::default();
                    d.partition_index = *idx;
                    d.error_code = *c;
                    put!(out.topics, name, d, partitions, name);
                }
                ResponseKind::OffsetCommit(out)
            }
            Msg::OffsetFetchResponse {
                group,
                error,
                offsets,
            } => {
                let mut out = km::OffsetFetchResponse::default();
                let top = tr::opt_code(error);
                // (partition, committed offset or -1, error) per partition.
                let rows: Vec<(String, i32, i64, i16)> = offsets
                    .into_iter()
                    .map(|(tp, r)| {
                        let (offset, code) = match r {
                            Ok(o) => (o.map_or(-1, |o| o.0), 0),
                            Err(err) => (-1, tr::kafka_code(err)),
                        };
                        let name = e.topic(tp.topic).name.clone();
                        (name, tp.partition.0 as i32, offset, code)
                    })
                    .collect();
                if p.api_version >= 8 {
                    let mut grp = km::offset_fetch_response::OffsetFetchResponseGroup::default();
                    grp.group_id =
                        km::GroupId(tr::str_bytes(&e.config().groups[group.0 as usize].group_id));
                    grp.error_code = top;
                    for (name, index, offset, code) in rows {
                        let mut d =
                            km::offset_fetch_response::OffsetFetchResponsePartitions::default();
                        d.partition_index = index;
                        d.committed_offset = offset;
                        d.committed_leader_epoch = -1;
                        d.error_code = code;
                        d.metadata = Some(tr::str_bytes(""));
                        put!(grp.topics, &name, d, partitions, name);
                    }
                    out.groups.push(grp);
                } else {
                    out.error_code = top;
                    for (name, index, offset, code) in rows {
                        let mut d =
                            km::offset_fetch_response::OffsetFetchResponsePartition::default();
                        d.partition_index = index;
                        d.committed_offset = offset;
                        d.committed_leader_epoch = -1;
                        d.error_code = code;
                        d.metadata = Some(tr::str_bytes(""));
                        put!(out.topics, &name, d, partitions, name);
                    }
                }
                ResponseKind::OffsetFetch(out)
            }
            Msg::InitProducerIdResponse {
                error,
                producer_id,
                epoch,
                ..
            } => {
                let mut out = km::InitProducerIdResponse::default();
                out.error_code = tr::opt_code(error);
                out.producer_id = km::ProducerId(producer_id.0);
                out.producer_epoch = epoch.0;
                out.ongoing_txn_producer_id = km::ProducerId(-1);
                out.ongoing_txn_producer_epoch = -1;
                ResponseKind::InitProducerId(out)
            }
            Msg::AddPartitionsToTxnResponse { error, partitions } => {
                let mut out = km::AddPartitionsToTxnResponse::default();
                let c = tr::opt_code(error);
                for tp in partitions {
                    let mut d = km::add_partitions_to_txn_response::AddPartitionsToTxnPartitionResult::default();
                    d.partition_index = tp.partition.0 as i32;
                    d.partition_error_code = c;
                    let name = e.topic(tp.topic).name.clone();
                    put!(
                        out.results_by_topic_v3_and_below,
                        &name,
                        d,
                        results_by_partition,
                        name
                    );
                }
                for (name, idx, c) in &p.local_errors {
                    let mut d = km::add_partitions_to_txn_response::AddPartitionsToTxnPartitionResult::default();
                    d.partition_index = *idx;
                    d.partition_error_code = *c;
                    put!(
                        out.results_by_topic_v3_and_below,
                        name,
                        d,
                        results_by_partition,
                        name
                    );
                }
                ResponseKind::AddPartitionsToTxn(out)
            }
            Msg::AddOffsetsToTxnResponse { error, .. } => {
                let mut out = km::AddOffsetsToTxnResponse::default();
                out.error_code = tr::opt_code(error);
                ResponseKind::AddOffsetsToTxn(out)
            }
            Msg::EndTxnResponse { error } => {
                let mut out = km::EndTxnResponse::default();
                out.error_code = tr::opt_code(error);
                out.producer_id = km::ProducerId(-1);
                out.producer_epoch = -1;
                ResponseKind::EndTxn(out)
            }
            Msg::TxnOffsetCommitResponse { error, .. } => {
                // The engine answers for the request as a whole.
                let mut out = km::TxnOffsetCommitResponse::default();
                let c = tr::opt_code(error);
                for (name, parts) in &p.txn_offsets {
                    for &idx in parts {
                        let mut d = km::txn_offset_commit_response::TxnOffsetCommitResponsePartition::default();
                        d.partition_index = idx;
                        d.error_code = c;
                        put!(out.topics, name, d, partitions, name);
                    }
                }
                for (name, idx, c) in &p.local_errors {
                    let mut d =
                        km::txn_offset_commit_response::TxnOffsetCommitResponsePartition::default();
                    d.partition_index = *idx;
                    d.error_code = *c;
                    put!(out.topics, name, d, partitions, name);
                }
                ResponseKind::TxnOffsetCommit(out)
            }
            Msg::ConsumerGroupHeartbeatResponse { resp, .. } => {
                ResponseKind::ConsumerGroupHeartbeat(self.heartbeat_response(resp))
            }
            _ => return Reply::Close,
        };
        encode(p, body)
    }
}

pub(super) fn encode(p: &Pending, body: ResponseKind) -> Reply {
    match frame::encode_response(p.api_key, p.api_version, p.correlation_id, &body) {
        Ok(f) => Reply::Frame(f),
        Err(e) => {
            eprintln!(
                "live: cannot encode {:?} v{}: {e}",
                p.api_key, p.api_version
            );
            Reply::Close
        }
    }
}

/// Appends a partition's answer under its topic's entry (made on first use).
fn push_topic<T: Default, P>(
    topics: &mut Vec<T>,
    name: &str,
    part: P,
    parts: impl Fn(&mut T) -> &mut Vec<P>,
    set_name: impl Fn(&mut T, &str),
    get_name: impl Fn(&T) -> String,
) {
    let i = match topics.iter().position(|t| get_name(t) == name) {
        Some(i) => i,
        None => {
            let mut t = T::default();
            set_name(&mut t, name);
            topics.push(t);
            topics.len() - 1
        }
    };
    parts(&mut topics[i]).push(part);
}
