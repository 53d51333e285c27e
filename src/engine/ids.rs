//! Newtypes for every identifier and position the engine deals in.
//!
//! Kafka juggles many integers that mean different things: a broker id, a
//! partition number, an offset, a producer id, a leader epoch, a generation.
//! Mixing them up is the classic simulator bug ("compared an offset with a
//! sequence number"), so each gets its own type. They are all `Copy` and
//! order like the integers inside them.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident($inner:ty), $fmt:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(pub $inner);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, $fmt, self.0)
            }
        }
    };
}

id_type!(
    /// A broker's `node.id`. Kafka numbers brokers from whatever the operator
    /// chose; we use 0, 1, 2, … and draw them as "Broker 0".
    BrokerId(u16),
    "{}"
);
id_type!(
    /// Index of a topic in the cluster's topic table (names live in the table).
    TopicId(u16),
    "{}"
);
id_type!(
    /// A partition number within its topic: 0..numPartitions.
    PartitionId(u32),
    "{}"
);
id_type!(
    /// A position in one partition's log. Offsets are dense: every record and
    /// every transaction marker takes exactly one.
    Offset(i64),
    "{}"
);
id_type!(
    /// The broker-assigned id of an idempotent or transactional producer (KIP-98).
    ProducerId(i64),
    "{}"
);
id_type!(
    /// A producer epoch: bumped by `initTransactions` to fence older instances.
    ProducerEpoch(i16),
    "{}"
);
id_type!(
    /// A partition's leader epoch: bumped on every leader change (KIP-101).
    LeaderEpoch(i32),
    "{}"
);
id_type!(
    /// A consumer group's generation: bumped on every completed rebalance.
    GenerationId(i32),
    "{}"
);
id_type!(
    /// Index of a producer client in the scenario.
    ProducerIdx(u16),
    "{}"
);
id_type!(
    /// Index of a consumer client in the scenario.
    ConsumerIdx(u16),
    "{}"
);
id_type!(
    /// Index of a consumer group in the scenario.
    GroupIdx(u16),
    "{}"
);
id_type!(
    /// The simulator's handle on one logical record: the same id follows the
    /// record from creation through every copy in every replica's log, so the
    /// UI can keep one colour and label for it everywhere.
    RecordId(u32),
    "{}"
);
id_type!(
    /// The application-level id of a message (`event_id` in the course text).
    /// Retries and duplicates share it; the delivery ledger is keyed by it.
    EventId(u32),
    "{}"
);
id_type!(
    /// Identifies one producer batch (the unit of send, append and ack).
    BatchId(u32),
    "{}"
);

impl Offset {
    /// The offset after this one.
    pub fn next(self) -> Offset {
        Offset(self.0 + 1)
    }
}

/// A (topic, partition) pair: the unit of storage, replication and assignment.
/// Ordered by topic, then partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tp {
    pub topic: TopicId,
    pub partition: PartitionId,
}

impl Tp {
    pub fn new(topic: TopicId, partition: u32) -> Tp {
        Tp {
            topic,
            partition: PartitionId(partition),
        }
    }

    /// (topic, partition) in one integer, in the same order: the maps
    /// keyed by partition compare this in their binary searches, one
    /// comparison where the derived order made two.
    #[inline]
    fn key(self) -> u64 {
        (self.topic.0 as u64) << 32 | self.partition.0 as u64
    }
}

impl Ord for Tp {
    #[inline]
    fn cmp(&self, other: &Tp) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Tp {
    #[inline]
    fn partial_cmp(&self, other: &Tp) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
