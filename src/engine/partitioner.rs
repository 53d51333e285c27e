//! Stage 3 of a record's life: which partition it goes to
//! (`KafkaProducer.partition` and the built-in partitioner of KIP-794,
//! `BuiltInPartitioner.java` in `clients/src/main/java/org/apache/kafka/clients/producer/internals/`),
//! as methods of [`Producer`].
//!
//! - An **explicit** partition (`ProducerRecord.partition()`) wins.
//! - A **keyed** record goes to `toPositive(murmur2(keyBytes)) % numPartitions`:
//!   the same key always lands on the same partition, which is what keeps
//!   one key's records in order.
//! - A **null key** uses the sticky partitioner: the producer keeps sending
//!   to one partition, so that its batches fill up, until `batch.size`
//!   bytes went there and all its batches are full (or twice `batch.size`
//!   went there regardless), then draws the next one
//!   (`updatePartitionInfo`). The draw is uniform over the partitions with
//!   a known leader, or, when their queues differ, weighted towards the
//!   partitions with fewer batches waiting in the accumulator (adaptive
//!   partitioning, `nextPartition`): a slow broker gets fewer new records.
//!
//! The methods take what the producer cannot know itself (the topic's
//! partition count, `batch.size`, the engine's seeded random source) and
//! change only the producer's sticky state, so they are unit-tested on a
//! `Producer` alone; `producer.rs` calls them from stage 3.

use crate::engine::accumulator::BatchState;
use crate::engine::event::PartitionChoice;
use crate::engine::ids::*;
use crate::engine::murmur2::{murmur2, to_positive};
use crate::engine::producer::Producer;
use crate::engine::rng::Pcg32;

/// A record's topic as the partitioner sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicInfo {
    pub id: TopicId,
    /// `numPartitions`.
    pub partitions: u32,
}

impl Producer {
    /// `KafkaProducer.partition` + `BuiltInPartitioner`: the partition of a
    /// record with `explicit` partition (if set) and `key` (if not null).
    #[cfg_attr(not(engine_speed), inline)]
    pub fn choose_partition(
        &mut self,
        topic: TopicInfo,
        explicit: Option<u32>,
        key: Option<&[u8]>,
        batch_size: u32,
        rng: &mut Pcg32,
    ) -> (Tp, PartitionChoice) {
        let n = topic.partitions;
        if let Some(part) = explicit {
            return (Tp::new(topic.id, part), PartitionChoice::Explicit);
        }
        if let Some(key) = key {
            let h = murmur2(key);
            let positive = to_positive(h);
            return (
                Tp::new(topic.id, positive as u32 % n),
                PartitionChoice::Keyed {
                    murmur2: h,
                    positive,
                    num_partitions: n,
                },
            );
        }
        // Null key: KIP-794 sticky partitioning. `peekCurrentPartitionInfo`
        // draws a partition if there is none; then, under the queue's lock,
        // `partitionChanged` completes a switch that an incomplete batch had
        // held back, now that all the partition's batches are full. The
        // bytes are counted after the append (`sticky_appended`).
        let current = self.sticky.get(&topic.id).cloned().unwrap_or_default();
        let part = match current.partition {
            Some(part) => {
                if current.produced_bytes >= batch_size
                    && self
                        .acc
                        .all_batches_full(Tp::new(topic.id, part), batch_size)
                {
                    self.switch_sticky(topic, rng)
                } else {
                    part
                }
            }
            None => self.switch_sticky(topic, rng),
        };
        let switched = self.sticky[&topic.id].produced_bytes == 0;
        let available = self.available_partitions(topic).len() as u32;
        (
            Tp::new(topic.id, part),
            PartitionChoice::Sticky {
                switched,
                available,
            },
        )
    }

    /// Draws the next sticky partition of `topic` and starts counting its
    /// bytes from 0 (`new StickyPartitionInfo(nextPartition(cluster))`).
    fn switch_sticky(&mut self, topic: TopicInfo, rng: &mut Pcg32) -> u32 {
        let part = self.next_sticky(topic, rng);
        let st = self.sticky.entry_or_default(topic.id);
        st.partition = Some(part);
        st.produced_bytes = 0;
        part
    }

    /// `BuiltInPartitioner.updatePartitionInfo`, after the append: count the
    /// appended bytes (with the batch header when the record opened a new
    /// batch) and switch once `batch.size` bytes went to the partition and
    /// all its batches are full, or at twice `batch.size` regardless.
    pub fn sticky_appended(
        &mut self,
        topic: TopicInfo,
        tp: Tp,
        appended: u32,
        batch_size: u32,
        rng: &mut Pcg32,
    ) {
        let enable_switch = self.acc.all_batches_full(tp, batch_size);
        let st = self.sticky.entry_or_default(tp.topic);
        if st.partition != Some(tp.partition.0) {
            return;
        }
        st.produced_bytes += appended;
        let produced = st.produced_bytes;
        if (produced >= batch_size && enable_switch) || produced >= 2 * batch_size {
            self.switch_sticky(topic, rng);
        }
    }

    /// `Cluster.availablePartitionsForTopic`: the partitions with a leader in
    /// this producer's metadata (a crashed leader counts until it is fenced
    /// and a refresh says so).
    fn available_partitions(&self, topic: TopicInfo) -> Vec<u32> {
        (0..topic.partitions)
            .filter(|i| self.metadata.leader(Tp::new(topic.id, *i)).is_some())
            .collect()
    }

    /// `BuiltInPartitioner.nextPartition`: uniform over available partitions,
    /// or weighted towards shorter queues (adaptive partitioning) when the
    /// queue sizes differ.
    pub fn next_sticky(&self, topic: TopicInfo, rng: &mut Pcg32) -> u32 {
        let mut avail = self.available_partitions(topic);
        if avail.is_empty() {
            avail = (0..topic.partitions).collect();
        }
        let acc = &self.acc;
        let sizes: Vec<u32> = avail
            .iter()
            .map(|part| {
                // The accumulator's queue: batches not yet sent (a drained
                // batch leaves Kafka's deque), not those in flight.
                (acc.queues.get(&Tp::new(topic.id, *part)))
                    .map(|q| {
                        q.iter()
                            .filter(|b| acc.batches[*b].state != BatchState::InFlight)
                            .count() as u32
                    })
                    .unwrap_or(0)
            })
            .collect();
        let max = sizes.iter().copied().max().unwrap_or(0);
        if sizes.iter().all(|s| *s == max) {
            let i = rng.below(avail.len() as u32) as usize;
            return avail[i];
        }
        let mut cumulative = Vec::with_capacity(sizes.len());
        let mut total = 0;
        for s in &sizes {
            total += max + 1 - s;
            cumulative.push(total);
        }
        let r = rng.below(total);
        let i = cumulative.iter().position(|c| r < *c).unwrap_or(0);
        avail[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sender::tests::{config, producer, sent_batch, tp};

    /// Topic 0 with two partitions, both led by broker 0 (see `producer`).
    const TOPIC: TopicInfo = TopicInfo {
        id: TopicId(0),
        partitions: 2,
    };

    fn choose(pr: &mut Producer, key: Option<&[u8]>, rng: &mut Pcg32) -> (Tp, PartitionChoice) {
        pr.choose_partition(TOPIC, None, key, config().batch_size, rng)
    }

    #[test]
    fn an_explicit_partition_wins_and_a_key_hashes_with_murmur2() {
        let (mut pr, mut rng) = (producer(), Pcg32::new(1, 2));
        let explicit = pr.choose_partition(TOPIC, Some(1), Some(b"k"), 100, &mut rng);
        assert_eq!(explicit, (tp(1), PartitionChoice::Explicit));
        let (at, choice) = choose(&mut pr, Some(b"user-1"), &mut rng);
        let h = murmur2(b"user-1");
        assert_eq!(at, tp(to_positive(h) as u32 % 2));
        assert!(matches!(
            choice,
            PartitionChoice::Keyed {
                num_partitions: 2,
                ..
            }
        ));
        assert_eq!(
            choose(&mut pr, Some(b"user-1"), &mut rng).0,
            at,
            "same key, same partition"
        );
        assert!(
            pr.sticky.is_empty(),
            "keyed records leave the sticky state alone"
        );
    }

    /// A producer that has drawn its first sticky partition for a null key.
    fn sticking() -> (Producer, Pcg32, Tp) {
        let (mut pr, mut rng) = (producer(), Pcg32::new(1, 2));
        let (first, choice) = choose(&mut pr, None, &mut rng);
        let drawn = PartitionChoice::Sticky {
            switched: true,
            available: 2,
        };
        assert_eq!(choice, drawn);
        (pr, rng, first)
    }

    /// The bytes counted towards the current sticky partition.
    fn produced(pr: &Producer) -> u32 {
        pr.sticky[&TopicId(0)].produced_bytes
    }

    #[test]
    fn a_null_key_sticks_to_one_partition_until_batch_size_went_there_and_its_batches_are_full() {
        let (mut pr, mut rng, first) = sticking();
        let batch_size = config().batch_size;
        // Half a batch: it stays.
        pr.sticky_appended(TOPIC, first, batch_size / 2, batch_size, &mut rng);
        let (again, choice) = choose(&mut pr, None, &mut rng);
        assert_eq!(again, first);
        assert!(matches!(
            choice,
            PartitionChoice::Sticky {
                switched: false,
                ..
            }
        ));
        // batch.size went there and no batch is open (all full): it draws again.
        pr.sticky_appended(TOPIC, first, batch_size / 2, batch_size, &mut rng);
        assert_eq!(produced(&pr), 0, "a new partition was drawn");
    }

    #[test]
    fn an_open_batch_holds_the_switch_back_until_twice_batch_size() {
        let (mut pr, mut rng, first) = sticking();
        let batch_size = config().batch_size;
        let timeout = config().delivery_timeout_ms as u64;
        let _ = (pr.acc).append(first, RecordId(0), 100, batch_size, 0, timeout, BatchId(1));
        pr.sticky_appended(TOPIC, first, batch_size, batch_size, &mut rng);
        assert_eq!(produced(&pr), batch_size, "held back");
        pr.sticky_appended(TOPIC, first, batch_size, batch_size, &mut rng);
        assert_eq!(produced(&pr), 0, "switched at twice");
    }

    /// How many of 2,000 draws of the next sticky partition give partition 0.
    fn zeros(pr: &Producer, rng: &mut Pcg32) -> usize {
        (0..2_000)
            .filter(|_| pr.next_sticky(TOPIC, rng) == 0)
            .count()
    }

    #[test]
    fn adaptive_partitioning_weighs_queued_batches_only_not_in_flight_ones() {
        // Partition 0 has three batches in flight and none waiting: its
        // accumulator queue is as empty as partition 1's, so the draw is
        // uniform (in flight, they would make partition 0 four times rarer).
        let (mut pr, mut rng) = (producer(), Pcg32::new(1, 2));
        for id in 1..=3 {
            sent_batch(&mut pr, tp(0), id, 0, 1);
            pr.acc.batches.get_mut(&BatchId(id)).unwrap().state = BatchState::InFlight;
        }
        let n = zeros(&pr, &mut rng);
        assert!((800..1_200).contains(&n), "partition 0 drawn {n} times");
        // Waiting, they count: weights 1 and 4, partition 0 a fifth of the time.
        for id in 1..=3 {
            pr.acc.batches.get_mut(&BatchId(id)).unwrap().state = BatchState::Queued;
        }
        let n = zeros(&pr, &mut rng);
        assert!((250..550).contains(&n), "partition 0 drawn {n} times");
    }
}
