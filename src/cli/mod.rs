//! The native command-line tool for course authors (`kafkascope …`).
//! Each subcommand is a pure function from arguments/input to output text,
//! so it is unit-tested without spawning processes.

pub mod assign;
pub mod lesson;
#[cfg(not(target_arch = "wasm32"))]
pub mod live;
pub mod offsets_partition;
pub mod partition;
pub mod run;

/// The usage text printed by `kafkascope --help` and on bad arguments.
pub const USAGE: &str = "\
kafkascope — a deterministic Kafka engine for teaching

USAGE:
  kafkascope partition --partitions N [--hex] [--json] KEY...
      Which partition Kafka's default partitioner puts each key in:
      toPositive(murmur2(keyBytes)) % N. Keys are UTF-8 text, or hex bytes
      with --hex (\"\" is the empty key). --json prints murmur2 values too.
  kafkascope offsets-partition [--partitions 50] [-v] GROUP...
      The __consumer_offsets partition of each group id, i.e. which broker
      coordinates it: Utils.abs(groupId.hashCode()) % partitions.
  kafkascope assign < request.json
      Run a partition assignor exactly as Kafka's Java classes do: a
      group leader's (range, roundrobin, sticky, cooperative-sticky) or
      the group coordinator's in the KIP-848 protocol (uniform,
      server-range).
  kafkascope run FILE.json [--json]
  kafkascope run --preset NAME [--json]
      Run a scenario headless to its end and print the delivery ledger
      (produced, processed once, lost, duplicated, in flight) per group;
      --json adds committed offsets and end offsets per partition.
  kafkascope presets [--json]
      List the presets with a one-line description; --json prints an
      array of {id, title, summary, lanes} for tools.
  kafkascope steps (--preset ID | --link LINK) [--to N]
      The narration of every step, as the page shows it: find the step
      numbers a lesson's beats stop at.
  kafkascope lesson check FILE.lesson...
      Check lesson files and play each to its end (every question
      answered right); prints each beat's step and narration.
  kafkascope lesson list [--json]
      The built-in lessons in gallery order: id, section, stops,
      questions and title; --json prints an array of objects with
      each beat's step and question too, for tools.
  kafkascope link FILE.json
      The scenario link (after '#') for a scenario file.
  kafkascope live [--kafka-port 9092] [--http-port 8080 | --no-http] [--page-dir dist/live]
                  [--preset ID | --scenario FILE] [--bind ADDR]
      Serve real Kafka clients (kafka-python, librdkafka, …) from the
      engine: one listener per broker from --kafka-port up, on 127.0.0.1
      unless --bind says otherwise. The cluster and topics come from the
      preset or scenario (default: 3 brokers, `events` with 3 partitions,
      RF 3); the clients are the real ones.
  kafkascope help
      This text.
";
