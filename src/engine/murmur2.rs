//! Kafka's default partitioner hash: murmur2, exactly as `Utils.murmur2` in
//! `clients/src/main/java/org/apache/kafka/common/utils/Utils.java`.
//!
//! Why it matters: a keyed record goes to `toPositive(murmur2(keyBytes)) %
//! numPartitions`. Every Kafka client that wants to agree with the Java
//! producer about where a key lives must reproduce this hash bit for bit,
//! including Java's 32-bit wrapping arithmetic and its signed result.
//! kafka-python computes the same bits but returns them unsigned; the Java
//! value (signed) is what we show, and `to_positive` is a mask, not `abs`.

const SEED: u32 = 0x9747_b28c;
const M: u32 = 0x5bd1_e995;
const R: u32 = 24;

/// The signed 32-bit murmur2 hash Kafka computes for `data`.
pub fn murmur2(data: &[u8]) -> i32 {
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let blocks = length / 4;
    for i in 0..blocks {
        let b = &data[4 * i..4 * i + 4];
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    // The Java switch falls through from case 3 to case 1.
    let tail = &data[length & !3..];
    let rem = length % 4;
    if rem >= 3 {
        h ^= (tail[2] as u32) << 16;
    }
    if rem >= 2 {
        h ^= (tail[1] as u32) << 8;
    }
    if rem >= 1 {
        h ^= tail[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// `Utils.toPositive`: clears the sign bit. Not `Math.abs`, which would map
/// `i32::MIN` to itself and every negative hash to a different partition.
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition of a keyed record: `toPositive(murmur2(key)) % numPartitions`.
pub fn partition_for_key(key: &[u8], num_partitions: u32) -> u32 {
    assert!(
        num_partitions > 0,
        "a topic always has at least one partition"
    );
    (to_positive(murmur2(key)) as u32) % num_partitions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table from Kafka's `UtilsTest.testMurmur2`.
    #[test]
    fn murmur2_matches_kafka_utils_test() {
        let cases: &[(&str, i32)] = &[
            ("21", -973932308),
            ("foobar", -790332482),
            ("a-little-bit-long-string", -985981536),
            ("a-little-bit-longer-string", -1486304829),
            (
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
            ("abc", 479470107),
        ];
        for (key, expected) in cases {
            assert_eq!(murmur2(key.as_bytes()), *expected, "murmur2({key:?})");
        }
    }

    #[test]
    fn empty_key_hashes_to_kafkas_constant() {
        assert_eq!(murmur2(b""), 275646681);
    }

    #[test]
    fn to_positive_masks_the_sign_bit_instead_of_negating() {
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-973932308), -973932308 & 0x7fffffff);
        assert_eq!(to_positive(5), 5);
    }
}
