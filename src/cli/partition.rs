//! `kafkascope partition`: where Kafka's default partitioner puts keys.

use crate::engine::murmur2::{murmur2, to_positive};

/// Parses the arguments after `partition` and returns stdout text, or an
/// error message for stderr (exit code 2).
pub fn run(args: &[String]) -> Result<String, String> {
    let mut partitions: Option<u32> = None;
    let mut hex = false;
    let mut json = false;
    let mut keys: Vec<String> = Vec::new();
    let mut i = 0;
    let mut only_keys = false;
    while i < args.len() {
        let a = &args[i];
        if only_keys {
            keys.push(a.clone());
        } else if a == "--" {
            only_keys = true;
        } else if a == "--hex" {
            hex = true;
        } else if a == "--json" {
            json = true;
        } else if a == "--partitions" || a == "-n" {
            i += 1;
            let v = args
                .get(i)
                .ok_or("--partitions needs a value, e.g. --partitions 6")?;
            partitions = Some(parse_partitions(v)?);
        } else if let Some(v) = a.strip_prefix("--partitions=") {
            partitions = Some(parse_partitions(v)?);
        } else if a.starts_with("--") {
            return Err(format!(
                "unknown option {a:?}; expected --partitions N, --hex or --json"
            ));
        } else {
            keys.push(a.clone());
        }
        i += 1;
    }
    let n = partitions
        .ok_or("missing --partitions N (the topic's number of partitions, at least 1)")?;
    if keys.is_empty() {
        return Err("no keys given: kafkascope partition --partitions N KEY...".into());
    }
    let mut rows = Vec::new();
    for k in &keys {
        let bytes = if hex {
            parse_hex(k)?
        } else {
            k.as_bytes().to_vec()
        };
        let h = murmur2(&bytes);
        rows.push((k.clone(), h, (to_positive(h) as u32) % n));
    }
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(k, h, p)| serde_json::json!({"key": k, "murmur2": h, "partition": p}))
            .collect();
        Ok(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n")
    } else {
        Ok(rows.iter().map(|(k, _, p)| format!("{k}\t{p}\n")).collect())
    }
}

fn parse_partitions(v: &str) -> Result<u32, String> {
    match v.parse::<i64>() {
        Ok(n) if n >= 1 && n <= i32::MAX as i64 => Ok(n as u32),
        Ok(n) => Err(format!(
            "--partitions must be at least 1 (got {n}): a topic has at least one partition"
        )),
        Err(_) => Err(format!("--partitions expects a whole number, got {v:?}")),
    }
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let clean = clean.strip_prefix("0x").unwrap_or(&clean);
    if clean.len() % 2 != 0 {
        return Err(format!("bad hex key {s:?}: it has an odd number of digits"));
    }
    (0..clean.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&clean[i..i + 2], 16).map_err(|_| {
                format!(
                    "bad hex key {s:?}: {:?} is not a hex byte",
                    &clean[i..i + 2]
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prints_key_tab_partition_per_line() {
        let out = run(&args(&["--partitions", "6", "21", "foobar"])).unwrap();
        let p21 = (to_positive(-973932308) as u32) % 6;
        let pfoo = (to_positive(-790332482) as u32) % 6;
        assert_eq!(out, format!("21\t{p21}\nfoobar\t{pfoo}\n"));
    }

    #[test]
    fn hex_keys_and_the_empty_key() {
        let out = run(&args(&["--hex", "--partitions", "3", "", "616263"])).unwrap();
        let empty = (to_positive(275646681) as u32) % 3;
        let abc = (to_positive(479470107) as u32) % 3;
        assert_eq!(out, format!("\t{empty}\n616263\t{abc}\n"));
    }

    #[test]
    fn json_reports_the_signed_murmur2() {
        let out = run(&args(&["--json", "--partitions", "4", "21"])).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v[0]["key"], "21");
        assert_eq!(v[0]["murmur2"], -973932308);
        assert_eq!(v[0]["partition"], (to_positive(-973932308) % 4) as u64);
    }

    #[test]
    fn bad_arguments_are_explained() {
        assert!(run(&args(&["--partitions", "0", "a"]))
            .unwrap_err()
            .contains("at least 1"));
        assert!(run(&args(&["--partitions", "x", "a"]))
            .unwrap_err()
            .contains("whole number"));
        assert!(run(&args(&["--hex", "--partitions", "2", "zz"]))
            .unwrap_err()
            .contains("not a hex byte"));
        assert!(run(&args(&["--hex", "--partitions", "2", "abc"]))
            .unwrap_err()
            .contains("odd number"));
        assert!(run(&args(&["a"]))
            .unwrap_err()
            .contains("missing --partitions"));
        assert!(run(&args(&["--partitions", "2"]))
            .unwrap_err()
            .contains("no keys"));
    }
}
