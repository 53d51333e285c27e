//! TEMPORARY: stands in for the server-side assignors until their exact
//! ports land (`server.rs`). Range per topic over members sorted by id.

use std::collections::BTreeMap;

use super::TopicPartition;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ServerAssignorKind {
    Uniform,
    Range,
}

impl ServerAssignorKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerAssignorKind::Uniform => "uniform",
            ServerAssignorKind::Range => "range",
        }
    }
}

pub struct ServerMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub subscribed_topics: Vec<String>,
    pub assignment: BTreeMap<String, Vec<u32>>,
}

#[derive(Debug)]
pub struct ServerAssignError(pub String);

pub fn server_assign(
    _kind: ServerAssignorKind,
    topics: &BTreeMap<String, u32>,
    members: &[ServerMember],
) -> Result<BTreeMap<String, Vec<TopicPartition>>, ServerAssignError> {
    let mut out: BTreeMap<String, Vec<TopicPartition>> = members
        .iter()
        .map(|m| (m.member_id.clone(), Vec::new()))
        .collect();
    for (topic, &n) in topics {
        let mut subs: Vec<&ServerMember> = members
            .iter()
            .filter(|m| m.subscribed_topics.contains(topic))
            .collect();
        subs.sort_by(|a, b| a.member_id.cmp(&b.member_id));
        if subs.is_empty() {
            continue;
        }
        let per = n as usize / subs.len();
        let extra = n as usize % subs.len();
        let mut p = 0u32;
        for (i, m) in subs.iter().enumerate() {
            let k = per + usize::from(i < extra);
            for _ in 0..k {
                out.get_mut(&m.member_id)
                    .unwrap()
                    .push(TopicPartition::new(topic.clone(), p));
                p += 1;
            }
        }
    }
    Ok(out)
}
