//! `kafkascope live`: serve real Kafka clients from the engine.
//!
//! Listens on 127.0.0.1 (or `--bind`) with one port per broker, from
//! `--kafka-port` up (broker 0 on the port itself: the bootstrap server).
//! The cluster and its topics come from `--preset` or `--scenario`, or are
//! the course's: 3 brokers and the topic `events` with 3 partitions,
//! replication factor 3 and `min.insync.replicas` 2. The scenario's own
//! simulated clients are left out: in live mode the clients are real.
//!
//! Beside the Kafka ports, `--http-port` (8080 by default, `0` for any free
//! port, `--no-http` for none) serves the page that watches the run, on the
//! same host: the static bundle in `--page-dir` (`dist/live` by default,
//! built by `scripts/live.sh`) and the API it reads the run's tape from
//! (`src/live/page_server.rs`).

use std::path::PathBuf;

use crate::engine::config::ScenarioConfig;
use crate::engine::Engine;
use crate::live::gateway::{Gateway, Listeners};
use crate::live::page_server;
use crate::live::transport::{self, Limits};

pub struct LiveArgs {
    pub bind: String,
    pub kafka_port: u16,
    /// The page's HTTP port (`0`: any free one); `None` serves no page.
    pub http_port: Option<u16>,
    /// The page's static bundle (`index.html` and what it loads).
    pub page_dir: PathBuf,
    pub config: ScenarioConfig,
}

/// The course's cluster: 3 brokers, `events` with 3 partitions, RF 3.
pub fn course_cluster() -> ScenarioConfig {
    let mut cfg = ScenarioConfig::default();
    cfg.cluster.brokers = 3;
    cfg.topics[0].partitions = 3;
    cfg.topics[0].replication_factor = 3;
    cfg.topics[0].min_insync_replicas = 2;
    cfg
}

pub fn parse(
    args: &[String],
    read: impl Fn(&str) -> Result<String, String>,
) -> Result<LiveArgs, String> {
    let mut out = LiveArgs {
        bind: "127.0.0.1".into(),
        kafka_port: 9092,
        http_port: Some(8080),
        page_dir: PathBuf::from("dist/live"),
        config: course_cluster(),
    };
    let mut it = args.iter();
    let value = |it: &mut std::slice::Iter<'_, String>, flag: &str| -> Result<String, String> {
        it.next()
            .cloned()
            .ok_or_else(|| format!("{flag} needs a value"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kafka-port" => {
                out.kafka_port = value(&mut it, a)?
                    .parse()
                    .map_err(|_| "--kafka-port takes a port number".to_string())?
            }
            "--http-port" => {
                out.http_port = Some(
                    value(&mut it, a)?
                        .parse()
                        .map_err(|_| "--http-port takes a port number".to_string())?,
                )
            }
            "--no-http" => out.http_port = None,
            "--page-dir" => out.page_dir = PathBuf::from(value(&mut it, a)?),
            "--bind" => out.bind = value(&mut it, a)?,
            "--preset" => {
                let id = value(&mut it, a)?;
                let p = crate::presets::by_id(&id).ok_or_else(|| {
                    format!("unknown preset {id:?}; `kafkascope presets` lists them")
                })?;
                out.config = p.config.clone();
            }
            "--scenario" => {
                let f = value(&mut it, a)?;
                let text = read(&f)?;
                out.config =
                    crate::scenario::ScenarioFile::parse(&text).map_err(|e| format!("{f}: {e}"))?;
            }
            other => return Err(format!("unknown option {other:?}\n\nusage: {USAGE}")),
        }
    }
    // Real clients only: the scenario gives the cluster and its topics.
    out.config.producers.clear();
    out.config.groups.clear();
    out.config.script.clear();
    out.config.warm_start = true;
    Ok(out)
}

pub const USAGE: &str = "kafkascope live [--kafka-port 9092] [--http-port 8080 | --no-http] [--page-dir dist/live] [--preset ID | --scenario FILE] [--bind 127.0.0.1]";

/// Runs until killed. Prints one `kafka broker N listening on HOST:PORT`
/// line per broker, then `live: page at http://HOST:PORT/` (unless
/// `--no-http`), then `live: ready`. Reads operator commands from stdin,
/// one per line: `crash-broker N`, `restart-broker N`, `slow-broker N MS`,
/// `check-replay`; each is answered with a `live: …` line (the page's
/// `POST /api/command` is answered the same way).
pub fn run(args: LiveArgs) -> Result<(), String> {
    let engine =
        Engine::new_live(args.config).map_err(|errs| crate::engine::config::one_line(&errs))?;
    let brokers = engine.brokers().len();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let mut listeners = Vec::new();
        let mut ports = Vec::new();
        for b in 0..brokers {
            let port = if args.kafka_port == 0 {
                0
            } else {
                args.kafka_port + b as u16
            };
            let l = tokio::net::TcpListener::bind((args.bind.as_str(), port))
                .await
                .map_err(|e| format!("cannot listen on {}:{port}: {e}", args.bind))?;
            let port = l.local_addr().map_err(|e| e.to_string())?.port();
            println!("kafka broker {b} listening on {}:{port}", args.bind);
            ports.push(port);
            listeners.push((b as u32, l));
        }
        let page_listener = match args.http_port {
            None => None,
            Some(port) => {
                let l = tokio::net::TcpListener::bind((args.bind.as_str(), port))
                    .await
                    .map_err(|e| format!("cannot listen for the page on {}:{port}: {e}", args.bind))?;
                let port = l.local_addr().map_err(|e| e.to_string())?.port();
                // An IPv6 host is bracketed in a URL.
                let host = if args.bind.contains(':') {
                    format!("[{}]", args.bind)
                } else {
                    args.bind.clone()
                };
                println!("live: page at http://{host}:{port}/");
                if !args.page_dir.join("index.html").is_file() {
                    println!(
                        "live: no page built in {} yet (scripts/live.sh builds it; the address above says how)",
                        args.page_dir.display()
                    );
                }
                Some(l)
            }
        };
        println!("live: ready");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        // Operator commands on stdin (crash-broker N, …), read on a thread
        // of their own so a quiet terminal blocks nothing.
        let (ctl_tx, ctl_rx) = tokio::sync::mpsc::channel(16);
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if !line.trim().is_empty() && ctl_tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        let mut gateway = Gateway::new(
            engine,
            Listeners {
                host: args.bind.clone(),
                ports,
            },
        );
        let up = gateway.liveness();
        let serve = tokio::task::spawn_local(transport::serve_brokers(
            listeners,
            up,
            Limits::default(),
            tx,
        ));
        let (page_tx, page_rx) = tokio::sync::mpsc::channel(64);
        let page = page_listener.map(|l| {
            tokio::task::spawn_local(page_server::serve_page(l, args.page_dir.clone(), page_tx))
        });
        gateway.run_with_page(rx, ctl_rx, page_rx).await;
        serve.abort();
        if let Some(page) = page {
            page.abort();
        }
        Ok::<(), String>(())
    })
}
