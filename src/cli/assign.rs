//! `kafkascope assign`: run one of Kafka's partition assignors on a JSON description of a
//! consumer group and print what Kafka would decide.
//!
//! Two families (see `engine::assignor` and `engine::assignor::server` for the background):
//!
//! * `range`, `roundrobin`, `sticky`, `cooperative-sticky`: the classic protocol, where the
//!   group leader (a consumer) assigns. Given each member's subscription and what it owned
//!   before, produce the new assignment and — useful for the cooperative protocol — what each
//!   member has to revoke now.
//! * `uniform`, `server-range`: the consumer protocol (KIP-848), where the group coordinator
//!   assigns (Kafka calls the second one `range` too; it is not the client's). Here `owned`
//!   is each member's current *target* assignment — the coordinator's input — and `revoked`
//!   is what each member must give up (owned minus new): in this protocol it revokes those
//!   partitions first, and only then does the coordinator hand them to their new owners.
//!
//! Request:
//!
//! ```json
//! {"strategy": "cooperative-sticky",
//!  "topics": {"t0": 4},
//!  "members": [{"member_id": "A", "group_instance_id": null, "subscriptions": ["t0"],
//!               "owned": {"t0": [0, 2]}, "generation": 1}]}
//! ```
//!
//! `group_instance_id`, `owned` and `generation` are optional; the server-side assignors
//! ignore `generation`. The order of `members` is the order in which Kafka fills a `HashMap`
//! of members: the JoinGroup response for the leader, the coordinator's own member map for
//! the server side (it can matter for the sticky and uniform assignors; see
//! `engine::assignor::java_hashmap`). For the server side the order of an `owned` list is the
//! order of the stored target-assignment record, which also decides things; list partitions
//! as a previous response printed them if you chain runs.
//!
//! Response (members sorted by id, partitions ascending, `{}` when a member has none):
//!
//! ```json
//! {
//!   "assignment": {
//!     "A": {"t0": [0, 1, 2, 3]}
//!   },
//!   "revoked": {
//!     "A": {}
//!   }
//! }
//! ```
//!
//! Validation is stricter than Kafka (which trusts its own clients): unknown fields, duplicate
//! members or instance ids, owned partition numbers beyond a topic's count and empty partition
//! counts are rejected with a message naming the field, so mistakes in hand-written scenarios
//! surface; so is, for the server side, a partition owned by two members (a target assignment
//! never does that). Owned partitions of a topic absent from `topics` are accepted: that is a
//! deleted topic, which Kafka ignores when assigning (the partitions show up as revoked).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::engine::assignor::server::{server_assign, ServerAssignorKind, ServerMember};
use crate::engine::assignor::{
    try_assign, AssignmentOutcome, AssignorKind, MemberSubscription, TopicPartition,
};

/// Upper bound on the total number of partitions in one request, to keep memory bounded.
const MAX_TOTAL_PARTITIONS: u64 = 10_000_000;

const STRATEGIES: &str = "range, roundrobin, sticky, cooperative-sticky, uniform, server-range";

/// A client-side (group leader) or a server-side (group coordinator) assignor.
#[derive(Clone, Copy)]
enum Strategy {
    Client(AssignorKind),
    Server(ServerAssignorKind),
}

impl Strategy {
    fn from_name(name: &str) -> Option<Strategy> {
        match name {
            "uniform" => Some(Strategy::Server(ServerAssignorKind::Uniform)),
            "server-range" => Some(Strategy::Server(ServerAssignorKind::Range)),
            _ => AssignorKind::from_name(name).map(Strategy::Client),
        }
    }
}

/// `kafkascope assign`: reads one JSON request, returns the JSON response text or an error
/// message naming the bad field.
pub fn run(input: &str) -> Result<String, String> {
    let request: Value = serde_json::from_str(input).map_err(|e| format!("invalid JSON: {e}"))?;
    let request = request.as_object().ok_or_else(|| {
        "request: expected a JSON object with \"strategy\", \"topics\" and \"members\"".to_string()
    })?;
    check_fields("request", request, &["strategy", "topics", "members"])?;

    let strategy = parse_strategy(request.get("strategy"))?;
    let topics = parse_topics(request.get("topics"))?;
    let members = parse_members(request.get("members"), &topics)?;

    let outcome = match strategy {
        Strategy::Client(kind) => {
            try_assign(kind, &topics, &members).map_err(|e| format!("{kind} assignor: {e}"))?
        }
        Strategy::Server(kind) => server_outcome(kind, &topics, &members)?,
    };
    Ok(render(&outcome))
}

fn check_fields(path: &str, object: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "{path}: unknown field {}: expected one of {}",
            quote(key),
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

fn quote(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn parse_strategy(value: Option<&Value>) -> Result<Strategy, String> {
    match value {
        None => Err(format!("strategy: missing; expected one of {STRATEGIES}")),
        Some(Value::String(name)) => Strategy::from_name(name).ok_or_else(|| {
            format!(
                "unknown strategy {}: expected one of {STRATEGIES}",
                quote(name)
            )
        }),
        Some(_) => Err(format!("strategy: expected a string, one of {STRATEGIES}")),
    }
}

fn parse_topics(value: Option<&Value>) -> Result<BTreeMap<String, u32>, String> {
    let object = match value {
        None => {
            return Err(
                "topics: missing; expected an object mapping topic name to partition count".into(),
            )
        }
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err("topics: expected an object mapping topic name to partition count".into())
        }
    };
    let mut topics = BTreeMap::new();
    let mut total: u64 = 0;
    for (name, count) in object {
        if name.is_empty() {
            return Err("topics: topic names must not be empty".into());
        }
        let path = format!("topics.{}", quote(name));
        let count = count
            .as_u64()
            .ok_or_else(|| format!("{path}: expected a partition count (a positive integer)"))?;
        if count == 0 {
            return Err(format!("{path}: partition count must be at least 1"));
        }
        if count > i32::MAX as u64 {
            return Err(format!(
                "{path}: partition count must be at most {}",
                i32::MAX
            ));
        }
        total += count;
        if total > MAX_TOTAL_PARTITIONS {
            return Err(format!(
                "topics: at most {MAX_TOTAL_PARTITIONS} partitions in total are supported"
            ));
        }
        topics.insert(name.clone(), count as u32);
    }
    Ok(topics)
}

fn parse_members(
    value: Option<&Value>,
    topics: &BTreeMap<String, u32>,
) -> Result<Vec<MemberSubscription>, String> {
    let array = match value {
        None => return Err("members: missing; expected an array of members".into()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err("members: expected an array of members".into()),
    };
    if array.is_empty() {
        return Err("members: a rebalance needs at least one member".into());
    }
    let mut members = Vec::with_capacity(array.len());
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut instances: BTreeMap<String, usize> = BTreeMap::new();
    for (i, item) in array.iter().enumerate() {
        let path = format!("members[{i}]");
        let object = item
            .as_object()
            .ok_or_else(|| format!("{path}: expected an object"))?;
        check_fields(
            &path,
            object,
            &[
                "member_id",
                "group_instance_id",
                "subscriptions",
                "owned",
                "generation",
            ],
        )?;

        let member_id = match object.get("member_id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::String(_)) => return Err(format!("{path}.member_id: must not be empty")),
            None => return Err(format!("{path}.member_id: missing; expected a string")),
            Some(_) => return Err(format!("{path}.member_id: expected a string")),
        };
        if let Some(first) = ids.insert(member_id.clone(), i) {
            return Err(format!(
                "{path}.member_id: duplicate member id {} (also members[{first}])",
                quote(&member_id)
            ));
        }

        let group_instance_id = match object.get("group_instance_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::String(_)) => {
                return Err(format!(
                    "{path}.group_instance_id: must not be empty (use null)"
                ))
            }
            Some(_) => {
                return Err(format!(
                    "{path}.group_instance_id: expected a string or null"
                ))
            }
        };
        if let Some(instance) = &group_instance_id {
            if let Some(first) = instances.insert(instance.clone(), i) {
                return Err(format!(
                    "{path}.group_instance_id: duplicate instance id {} (also members[{first}]); \
                     the coordinator fences one of two static members with the same id",
                    quote(instance)
                ));
            }
        }

        let subscriptions = parse_subscriptions(&path, object.get("subscriptions"))?;
        let owned = parse_owned(&path, object.get("owned"), topics)?;

        let generation = match object.get("generation") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(g) if (-1..=i32::MAX as i64).contains(&g) => Some(g as i32),
                _ => {
                    return Err(format!(
                        "{path}.generation: expected an integer >= -1 or null"
                    ))
                }
            },
        };

        members.push(MemberSubscription {
            member_id,
            group_instance_id,
            topics: subscriptions,
            owned,
            generation,
        });
    }
    Ok(members)
}

fn parse_subscriptions(path: &str, value: Option<&Value>) -> Result<Vec<String>, String> {
    let expected = format!("{path}.subscriptions: expected an array of topic names");
    let array = match value {
        Some(Value::Array(a)) => a,
        None => {
            return Err(format!(
                "{path}.subscriptions: missing; expected an array of topic names"
            ))
        }
        Some(_) => return Err(expected),
    };
    let mut seen = BTreeSet::new();
    let mut topics = Vec::with_capacity(array.len());
    for item in array {
        let name = item.as_str().ok_or_else(|| expected.clone())?;
        if name.is_empty() {
            return Err(format!(
                "{path}.subscriptions: topic names must not be empty"
            ));
        }
        if !seen.insert(name) {
            return Err(format!(
                "{path}.subscriptions: topic {} listed twice",
                quote(name)
            ));
        }
        topics.push(name.to_string());
    }
    Ok(topics)
}

fn parse_owned(
    path: &str,
    value: Option<&Value>,
    topics: &BTreeMap<String, u32>,
) -> Result<Vec<TopicPartition>, String> {
    let object = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(format!(
                "{path}.owned: expected an object mapping topic name to an array of partitions"
            ))
        }
    };
    let mut owned = Vec::new();
    for (topic, partitions) in object {
        let field = format!("{path}.owned.{}", quote(topic));
        if topic.is_empty() {
            return Err(format!("{path}.owned: topic names must not be empty"));
        }
        // A topic missing from "topics" is a deleted topic: the member may still report it,
        // and Kafka ignores it (it only shows up as revoked).
        let count = topics.get(topic).copied();
        let array = partitions
            .as_array()
            .ok_or_else(|| format!("{field}: expected an array of partition numbers"))?;
        let mut seen = BTreeSet::new();
        for p in array {
            let p = p
                .as_u64()
                .ok_or_else(|| format!("{field}: expected an array of partition numbers"))?;
            if let Some(count) = count.filter(|&c| p >= c as u64) {
                return Err(format!("{field}: partition {p} is out of range; the topic has {count} partitions (0..{count})"));
            }
            if p > i32::MAX as u64 {
                return Err(format!("{field}: partition {p} is out of range"));
            }
            if !seen.insert(p) {
                return Err(format!("{field}: partition {p} listed twice"));
            }
            owned.push(TopicPartition::new(topic.clone(), p as u32));
        }
    }
    Ok(owned)
}

/// The group coordinator's new target assignment, with `owned` as the current one.
fn server_outcome(
    kind: ServerAssignorKind,
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
) -> Result<AssignmentOutcome, String> {
    let mut owner: BTreeMap<&TopicPartition, usize> = BTreeMap::new();
    let mut input = Vec::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        let mut assignment: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for tp in &m.owned {
            if let Some(first) = owner.insert(tp, i) {
                return Err(format!(
                    "members[{i}].owned.{}: partition {} is also owned by members[{first}]; \
                     a target assignment gives each partition to one member",
                    quote(&tp.topic),
                    tp.partition
                ));
            }
            assignment
                .entry(tp.topic.clone())
                .or_default()
                .push(tp.partition);
        }
        input.push(ServerMember {
            member_id: m.member_id.clone(),
            instance_id: m.group_instance_id.clone(),
            rack_id: None,
            subscribed_topics: m.topics.clone(),
            assignment,
        });
    }
    let targets = server_assign(kind, topics, &input)
        .map_err(|e| format!("server-side {kind} assignor: {e}"))?;
    let mut outcome = AssignmentOutcome::default();
    for m in members {
        let mut assigned: Vec<TopicPartition> = targets
            .get(&m.member_id)
            .into_iter()
            .flatten()
            .flat_map(|(t, ps)| ps.iter().map(|&p| TopicPartition::new(t.clone(), p)))
            .collect();
        assigned.sort();
        let mut revoked: Vec<TopicPartition> = m
            .owned
            .iter()
            .filter(|tp| assigned.binary_search(tp).is_err())
            .cloned()
            .collect();
        revoked.sort();
        outcome.assignment.insert(m.member_id.clone(), assigned);
        outcome.revoked.insert(m.member_id.clone(), revoked);
    }
    Ok(outcome)
}

/// One member per line; keys are JSON-escaped.
fn render(outcome: &AssignmentOutcome) -> String {
    let mut out = String::from("{\n");
    for (i, (label, map)) in [
        ("assignment", &outcome.assignment),
        ("revoked", &outcome.revoked),
    ]
    .into_iter()
    .enumerate()
    {
        let _ = writeln!(out, "  {}: {{", quote(label));
        let len = map.len();
        for (j, (member, partitions)) in map.iter().enumerate() {
            let _ = write!(
                out,
                "    {}: {}",
                quote(member),
                render_partitions(partitions)
            );
            out.push_str(if j + 1 < len { ",\n" } else { "\n" });
        }
        out.push_str(if i == 0 { "  },\n" } else { "  }\n" });
    }
    out.push_str("}\n");
    out
}

fn render_partitions(partitions: &[TopicPartition]) -> String {
    let mut by_topic: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for tp in partitions {
        by_topic
            .entry(tp.topic.as_str())
            .or_default()
            .push(tp.partition);
    }
    let parts: Vec<String> = by_topic
        .iter()
        .map(|(topic, ps)| {
            let list: Vec<String> = ps.iter().map(u32::to_string).collect();
            format!("{}: [{}]", quote(topic), list.join(", "))
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}
