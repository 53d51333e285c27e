//! Java semantics the engine must reproduce to place things where Kafka does.
//!
//! A consumer group's coordinator is the leader of partition
//! `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions` of
//! `__consumer_offsets`; a `transactional.id` maps into `__transaction_state`
//! the same way. Both use Java's `String.hashCode` (UTF-16 code units,
//! wrapping 32-bit arithmetic) and Kafka's `Utils.abs`, which maps
//! `Integer.MIN_VALUE` to 0 where `Math.abs` would leave it negative.

/// Java's `String.hashCode`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units.
pub fn string_hash_code(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(unit as i32);
    }
    h
}

/// Kafka's `Utils.abs`: `n == Integer.MIN_VALUE ? 0 : Math.abs(n)`.
pub fn kafka_abs(n: i32) -> i32 {
    if n == i32::MIN {
        0
    } else {
        n.abs()
    }
}

/// The `__consumer_offsets` (or `__transaction_state`) partition for an id.
pub fn partition_for_id(id: &str, num_partitions: u32) -> u32 {
    assert!(num_partitions > 0);
    (kafka_abs(string_hash_code(id)) as u32) % num_partitions
}

/// Java's `String.compareTo`: lexicographic over UTF-16 code units.
pub fn compare_java_strings(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hash_code_matches_java() {
        assert_eq!(string_hash_code(""), 0);
        assert_eq!(string_hash_code("a"), 97);
        assert_eq!(string_hash_code("hello"), 99162322);
        // Overflows and wraps like a Java int.
        assert_eq!(string_hash_code("my-consumer-group"), 1_513_705_513);
        assert_eq!(
            string_hash_code("consumer-group-with-a-long-name-that-overflows"),
            -164_890_582
        );
        // Non-BMP characters hash as two UTF-16 surrogates.
        assert_eq!(string_hash_code("😀"), 1_772_899);
    }

    #[test]
    fn kafka_abs_maps_min_value_to_zero() {
        assert_eq!(kafka_abs(i32::MIN), 0);
        assert_eq!(kafka_abs(-5), 5);
        assert_eq!(kafka_abs(7), 7);
    }

    #[test]
    fn a_group_whose_hash_is_min_value_maps_to_partition_zero() {
        // The well-known Java string whose hashCode is Integer.MIN_VALUE.
        assert_eq!(string_hash_code("polygenelubricants"), i32::MIN);
        assert_eq!(partition_for_id("polygenelubricants", 50), 0);
    }

    #[test]
    fn java_string_order_is_utf16_code_units() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_java_strings("consumer-10", "consumer-2"), Less);
        assert_eq!(compare_java_strings("B", "a"), Less);
        // U+FF61 sorts after U+1F600's high surrogate (0xD83D) in UTF-16,
        // though before it in UTF-8/code-point order.
        assert_eq!(compare_java_strings("\u{ff61}", "😀"), Greater);
    }
}
