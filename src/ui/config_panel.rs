//! Configuration: the scenario (presets), the next record, and the settings
//! under their real Kafka names with Kafka's defaults. An impossible
//! combination is explained next to the control and nothing restarts until
//! it is fixed.

use crate::engine::assignor::server::ServerAssignorKind;
use crate::engine::config::limits::{MAX_BROKERS, MAX_PARTITIONS};
use crate::engine::config::{Acks, CommitMode, GroupProtocol};
use crate::engine::ids::BrokerId;
use crate::model::{Model, Msg, Setting};
use crate::ui::RunSnap;
use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew::virtual_dom::VText;

#[derive(Properties, Clone)]
pub struct Props {
    /// The run: the draft configuration and its errors, the preset, and
    /// which brokers are slowed.
    pub run: RunSnap,
    /// The Next record fields.
    pub key: AttrValue,
    pub value: AttrValue,
    pub on: Callback<Msg>,
    /// Only the scenario picker (side-by-side view).
    pub compact: bool,
}

impl Props {
    pub fn of(m: &Model, on: Callback<Msg>, compact: bool) -> Props {
        Props {
            run: RunSnap::of(m),
            key: m.key.clone().into(),
            value: m.value.clone().into(),
            on,
            compact,
        }
    }
}

/// Which brokers the fault card shows as slowed.
fn slowed(e: &crate::engine::Engine) -> impl Iterator<Item = bool> + '_ {
    (0..e.brokers().len() as u16).map(move |b| e.broker_extra_latency_ms(BrokerId(b)) > 0)
}

impl PartialEq for Props {
    /// A step changes nothing here unless it changed what the panel shows
    /// (playing with the settings open): the run is compared by pointer
    /// first, then by the few things the panel reads from it.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.run, &other.run);
        self.key == other.key
            && self.value == other.value
            && self.on == other.on
            && self.compact == other.compact
            && (a == b
                || (a.draft == b.draft
                    && a.draft_errors == b.draft_errors
                    && a.preset == b.preset
                    && slowed(&a.engine).eq(slowed(&b.engine))))
    }
}

fn input_value(e: &InputEvent) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|i| i.value())
        .unwrap_or_default()
}

fn select_value(e: &Event) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
        .map(|s| s.value())
        .unwrap_or_default()
}

/// A labelled select whose options are `(value, label)`; `make` turns the
/// chosen value into a message. (Not generic and not inlined: one copy of
/// this markup in the bundle, however many settings use it.)
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn select(
    label: &'static str,
    kafka_name: &'static str,
    default: &'static str,
    options: Vec<(AttrValue, AttrValue)>,
    current: String,
    on: &Callback<Msg>,
    make: fn(&str) -> Option<Msg>,
    error: Option<String>,
) -> Html {
    let onchange = {
        let on = on.clone();
        Callback::from(move |e: Event| {
            if let Some(m) = make(&select_value(&e)) {
                on.emit(m);
            }
        })
    };
    let id = format!("cfg-{}", kafka_name.replace('.', "-"));
    html! {
        <div class={classes!("setting-row", error.is_some().then_some("invalid"))}>
            <label for={id.clone()}>
                <span class="setting-label">{label}</span>
                // ("brokers", "consumers": counts, not Kafka properties.)
                if default != "—" || kafka_name.contains('.') {
                    // A long name may wrap, after a dot.
                    <code class="setting-name">{ for kafka_name.split_inclusive('.').map(|part| html! { <>{part}<wbr /></> }) }</code>
                }
            </label>
            <select id={id.clone()} {onchange} aria-label={label} aria-invalid={error.is_some().to_string()}
                    aria-describedby={error.is_some().then(|| format!("{id}-err"))}>
                { for options.into_iter().map(|(v, l)| html! {
                    <option value={v.clone()} selected={v == current}>{Html::from(VText::new(l))}</option>
                }) }
            </select>
            if default != "—" {
                <span class="setting-default">{format!("default {default}")}</span>
            }
            if let Some(msg) = error {
                <p class="field-error" id={format!("{id}-err")} role="alert">
                    <span class="err-icon" aria-hidden="true">{"!"}</span>{msg}
                </p>
            }
        </div>
    }
}

/// Network faults, as commands in the run (so a link replays them): slow
/// one broker's links (a slow follower lags, leaves the ISR after
/// replica.lag.time.max.ms and rejoins once it catches up), and lose the
/// next produce response (the producer retries: a duplicate without
/// idempotence). Crashing a broker is done on the broker itself.
fn fault_card(e: &crate::engine::Engine, on: &Callback<Msg>) -> Html {
    use crate::engine::ids::ProducerIdx;
    use crate::engine::Command;
    html! {
        <section class="card faults">
            <h2>{"Network faults"}</h2>
            <div class="actions">
                { for slowed(e).enumerate().map(|(b, slowed)| {
                    let b = BrokerId(b as u16);
                    let cmd = Command::SlowBroker { broker: b, extra_ms: if slowed { 0 } else { 200 } };
                    let label = if slowed { format!("Restore broker {b}") } else { format!("Slow broker {b}") };
                    html! {
                        <button class={classes!("btn", "small", slowed.then_some("active"))} aria-pressed={slowed.to_string()}
                                onclick={crate::ui::stage::send(on, Msg::Apply(cmd))}>{label}</button>
                    }
                }) }
                <button class="btn small" onclick={crate::ui::stage::send(on, Msg::Apply(Command::DropNextProduceResponse { producer: ProducerIdx(0) }))}>
                    {"Drop the next produce response"}
                </button>
            </div>
            <p class="hint">{"A slowed broker adds 200 ms to every message it sends or receives."}</p>
        </section>
    }
}

/// The numbers `lo..=hi` as options.
fn nums(lo: u32, hi: u32) -> Vec<(AttrValue, AttrValue)> {
    (lo..=hi)
        .map(|n| {
            let v = AttrValue::from(n.to_string());
            (v.clone(), v)
        })
        .collect()
}

/// Options whose values and labels are fixed text.
fn fixed(options: &[(&'static str, &'static str)]) -> Vec<(AttrValue, AttrValue)> {
    options
        .iter()
        .map(|&(v, l)| (AttrValue::Static(v), AttrValue::Static(l)))
        .collect()
}

/// The delivery-semantics switch, with the equivalent kafka-python code.
fn semantics_card(m: &crate::model::Run, on: &Callback<Msg>) -> Html {
    use crate::engine::config::Semantics;
    let mode = m
        .draft
        .groups
        .first()
        .map(|g| g.commit_mode)
        .unwrap_or(CommitMode::AfterProcessing);
    let current = match mode {
        CommitMode::BeforeProcessing => "at-most-once",
        CommitMode::AfterProcessing => "at-least-once",
        CommitMode::Transactional => "exactly-once",
        CommitMode::Auto => "auto",
    };
    let onchange = on.reform(|e: Event| {
        Msg::Configure(Setting::Semantics(match select_value(&e).as_str() {
            "at-most-once" => Semantics::AtMostOnce,
            "exactly-once" => Semantics::ExactlyOnce,
            _ => Semantics::AtLeastOnce,
        }))
    });
    // The snippet shows this scenario's own auto.offset.reset: where a
    // consumer without a committed offset starts matters after a crash.
    let reset = m
        .draft
        .groups
        .first()
        .map(|g| g.auto_offset_reset.name())
        .unwrap_or("latest");
    let consumer = |extra: &str| {
        format!("consumer = KafkaConsumer('events',\n    group_id='my-consumer-group',\n    auto_offset_reset='{reset}',\n    {extra})")
    };
    let (code, note): (String, Option<&str>) = match mode {
        CommitMode::BeforeProcessing => (
            consumer("enable_auto_commit=False") + "\nfor message in consumer:\n    consumer.commit()   # commit first\n    process(message)    # a crash here loses it",
            Some("The course text sets at-most-once up with enable_auto_commit=True and a 100 ms interval. Kafka's auto-commit runs inside the *next* poll(), after you processed the batch, so that is at-least-once. Committing before processing is what makes it at-most-once."),
        ),
        CommitMode::AfterProcessing => (
            consumer("enable_auto_commit=False") + "\nfor message in consumer:\n    process(message)    # process first\n    consumer.commit()   # a crash before this re-delivers it",
            None,
        ),
        CommitMode::Transactional => (
            "producer = KafkaProducer(acks='all',\n    enable_idempotence=True,\n    transactional_id='my-consumer-group-A')\n".to_string()
                + &consumer("enable_auto_commit=False,\n    isolation_level='read_committed'")
                + "\nproducer.init_transactions()\nwhile True:\n    batch = consumer.poll()\n    producer.begin_transaction()\n    for m in records(batch):\n        producer.send('events-processed', transform(m))\n    producer.send_offsets_to_transaction(\n        positions(consumer), 'my-consumer-group')\n    producer.commit_transaction()",
            Some("Outputs and consumer offsets commit in one transaction: a crash aborts both, and the retry is the only copy read_committed readers see."),
        ),
        CommitMode::Auto => (
            consumer("enable_auto_commit=True,\n    auto_commit_interval_ms=5000") + "\nfor message in consumer:\n    process(message)",
            Some("Auto-commit commits the positions from inside a later poll(): records processed since the last commit are re-delivered after a crash."),
        ),
    };
    html! {
        <section class="card semantics">
            <h2><label for="cfg-semantics">{"Delivery semantics"}</label></h2>
            <select id="cfg-semantics" class="preset-select" aria-label="Delivery semantics" {onchange}>
                <option value="at-most-once" selected={current == "at-most-once"}>{"at-most-once"}</option>
                <option value="at-least-once" selected={current == "at-least-once"}>{"at-least-once"}</option>
                <option value="exactly-once" selected={current == "exactly-once"}>{"exactly-once"}</option>
                if current == "auto" {
                    <option value="auto" selected=true>{"auto-commit (at-least-once)"}</option>
                }
            </select>
            <details class="code-details">
                <summary>{"The same thing in kafka-python"}</summary>
                <pre class="code"><code>{code}</code></pre>
            </details>
            if let Some(n) = note {
                <p class="hint kafka-note"><strong>{"Kafka says: "}</strong>{n}</p>
            }
        </section>
    }
}

#[component]
pub fn ConfigPanel(props: &Props) -> Html {
    let m = &props.run;
    let on = &props.on;
    let d = &m.draft;
    let topic = &d.topics[0];
    let producer = &d.producers[0];
    let group = &d.groups.first().cloned().unwrap_or_default();
    let modern = group.group_protocol == GroupProtocol::Consumer;
    let err_for = |prefix: &str| -> Option<String> {
        m.draft_errors
            .iter()
            .find(|e| e.field.starts_with(prefix))
            .map(|e| e.message.clone())
    };
    let on_key = on.reform(|e: InputEvent| Msg::SetKey(input_value(&e)));
    let on_value = on.reform(|e: InputEvent| Msg::SetValue(input_value(&e)));
    // (A preset's scenario waits in presets.txt, which may still be on
    // its way.)
    let on_preset = {
        let on = on.clone();
        Callback::from(move |e: Event| {
            let (on, id) = (on.clone(), select_value(&e));
            crate::ui::fetch::with_presets(move || on.emit(Msg::LoadPreset(id)));
        })
    };
    // Ids and titles only: building every preset on each render is waste.
    let presets: Vec<(&str, String)> = crate::presets::menu().collect();
    let current_preset = m.preset.clone().unwrap_or_default();
    let brokers = d.cluster.brokers;
    html! {
        <aside class="config" aria-label="Configuration">
            <section class="card">
                <h2><label for="cfg-preset">{"Scenario"}</label></h2>
                <select id="cfg-preset" class="preset-select" onchange={on_preset} aria-label="Scenario">
                    if m.preset.is_none() {
                        <option value="" selected=true>{"Your own scenario"}</option>
                    }
                    { for presets.into_iter().map(|(id, title)| html! {
                        <option value={id} selected={id == current_preset}>{title}</option>
                    }) }
                </select>
            </section>
            if !props.compact {
            { semantics_card(m, on) }
            <section class="card">
                <h2>{"Next record"}</h2>
                <label class="field">
                    <span>{"Key"}</span>
                    <input type="text" value={props.key.clone()} oninput={on_key} maxlength="256"
                           placeholder="empty = null key" spellcheck="false" autocomplete="off" />
                </label>
                <label class="field">
                    <span>{"Value"}</span>
                    <input type="text" value={props.value.clone()} oninput={on_value} maxlength="4096"
                           placeholder={"{\"event_id\": n, \"data\": \"Event n\"}"} spellcheck="false" autocomplete="off" />
                </label>
                <p class="hint">{"Leave the value empty to send the course text's generated message."}</p>
            </section>
            { fault_card(&m.engine, on) }
            <section class="card settings">
                <h2>{"Cluster and topic "}<code>{topic.name.clone()}</code></h2>
                { select("Brokers", "brokers", "—", nums(1, MAX_BROKERS.into()), brokers.to_string(), on,
                    |v| v.parse().ok().map(|n| Msg::Configure(Setting::Brokers(n))), err_for("cluster.brokers")) }
                { select("Partitions", "num.partitions", "1", nums(1, MAX_PARTITIONS), topic.partitions.to_string(), on,
                    |v| v.parse().ok().map(|n| Msg::Configure(Setting::Partitions(n))), err_for("topics[0].partitions")) }
                { select("Replication factor", "replication.factor", "1", nums(1, MAX_BROKERS.into()), topic.replication_factor.to_string(), on,
                    |v| v.parse().ok().map(|n| Msg::Configure(Setting::ReplicationFactor(n))), err_for("topics[0].replication_factor")) }
                { select("Min in-sync replicas", "min.insync.replicas", "1", nums(1, MAX_BROKERS.into()), topic.min_insync_replicas.to_string(), on,
                    |v| v.parse().ok().map(|n| Msg::Configure(Setting::MinInsyncReplicas(n))), err_for("topics[0].min_insync_replicas")) }
                { select("Unclean election", "unclean.leader.election.enable", "false",
                    fixed(&[("false", "false"), ("true", "true")]),
                    d.cluster.unclean_leader_election_enable.to_string(), on,
                    |v| Some(Msg::Configure(Setting::UncleanLeaderElection(v == "true"))), None) }
                { select("Preferred-leader election", "auto.leader.rebalance.enable", "true",
                    fixed(&[("true", "true"), ("false", "false")]),
                    d.cluster.auto_leader_rebalance_enable.to_string(), on,
                    |v| Some(Msg::Configure(Setting::AutoLeaderRebalance(v == "true"))), None) }
                { select("Imbalance check every (s)", "leader.imbalance.check.interval.seconds", "300",
                    fixed(&[("5", "5"), ("20", "20"), ("30", "30"), ("300", "300")]),
                    d.cluster.leader_imbalance_check_interval_seconds.to_string(), on,
                    |v| v.parse().ok().map(|n| Msg::Configure(Setting::ImbalanceCheckSeconds(n))),
                    err_for("cluster.leader_imbalance_check_interval_seconds")) }
                <h2>{"Producer"}</h2>
                { select("Who acknowledges", "acks", "all",
                    fixed(&[("0", "0 (fire and forget)"), ("1", "1 (leader)"), ("all", "all (every ISR)")]),
                    producer.acks.label().into(), on,
                    |v| Some(Msg::Configure(Setting::Acks(match v { "0" => Acks::Zero, "1" => Acks::One, _ => Acks::All }))),
                    err_for("producers[0].acks")) }
                { select("Retries", "retries", "2147483647",
                    fixed(&[("0", "0"), ("3", "3"), ("2147483647", "2147483647 (MAX)")]),
                    producer.retries.to_string(), on,
                    |v| v.parse().ok().map(|n| Msg::Configure(Setting::Retries(n))), err_for("producers[0].retries")) }
                { select("Idempotence", "enable.idempotence", "true*",
                    vec![("unset".into(), format!("unset → {}", producer.idempotent()).into()), ("true".into(), "true".into()), ("false".into(), "false".into())],
                    match producer.enable_idempotence { None => "unset".into(), Some(b) => b.to_string() }, on,
                    |v| Some(Msg::Configure(Setting::Idempotence(match v { "true" => Some(true), "false" => Some(false), _ => None }))),
                    err_for("producers[0].enable_idempotence")) }
                <p class="hint">{"* on by default since Kafka 3.0 when acks=all, retries > 0 and max.in.flight ≤ 5; otherwise silently off."}</p>
                <h2>{"Consumers"}</h2>
                { select("Consumer groups", "group.id", "—",
                    nums(1, 4), d.groups.len().to_string(), on,
                    |v| v.parse().ok().map(|n| Msg::Configure(Setting::Groups(n))), err_for("groups")) }
                { select("Consumers in the first group", "consumers", "—", nums(0, 8), group.consumers.to_string(), on,
                    |v| v.parse().ok().map(|n| Msg::Configure(Setting::Consumers(n))), err_for("groups[0].consumers")) }
                if cfg!(consumer_protocol) {
                { select("Rebalance protocol", "group.protocol", "classic",
                    fixed(&[("classic", "classic (JoinGroup/SyncGroup)"), ("consumer", "consumer (KIP-848, Kafka 4.0)")]),
                    if modern { "consumer" } else { "classic" }.into(), on,
                    |v| Some(Msg::Configure(Setting::GroupProtocol(if v == "consumer" { GroupProtocol::Consumer } else { GroupProtocol::Classic }))),
                    err_for("groups[0].group_protocol")) }
                } else {
                    // The course page's bundle has no consumer protocol (its
                    // first load is budgeted): the full page beside it does.
                    <p class="hint"><a href="full/?preset=c-joins-three-protocols">{"Kafka 4's consumer protocol (KIP-848)"}</a></p>
                }
                if modern && cfg!(consumer_protocol) {
                { select("Server-side assignor", "group.remote.assignor", "broker's (uniform)",
                    fixed(&[("", "broker's default"), ("uniform", "uniform"), ("range", "range")]),
                    group.group_remote_assignor.map_or("", |k| k.name()).into(), on,
                    |v| Some(Msg::Configure(Setting::RemoteAssignor(match v { "uniform" => Some(ServerAssignorKind::Uniform), "range" => Some(ServerAssignorKind::Range), _ => None }))),
                    None) }
                } else {
                { select("Assignment strategy", "partition.assignment.strategy", "[range, cooperative-sticky]",
                    fixed(&[
                        ("range,cooperative-sticky", "range, cooperative-sticky (eager)"),
                        ("range", "range"),
                        ("roundrobin", "roundrobin"),
                        ("sticky", "sticky (eager)"),
                        ("cooperative-sticky", "cooperative-sticky"),
                    ]),
                    group.partition_assignment_strategy.iter().map(|k| k.name()).collect::<Vec<_>>().join(","), on,
                    |v| Some(Msg::Configure(Setting::Strategy(v.split(',').filter_map(crate::engine::assignor::AssignorKind::from_name).collect()))),
                    err_for("groups[0].partition_assignment_strategy")) }
                }
                { select("Commit", "enable.auto.commit", "true",
                    fixed(&[
                        ("after", "false: commit after processing"),
                        ("before", "false: commit before processing"),
                        ("auto", "true: auto-commit in poll()"),
                    ]),
                    match group.commit_mode { CommitMode::Auto => "auto", CommitMode::BeforeProcessing => "before", _ => "after" }.into(), on,
                    |v| Some(Msg::Configure(Setting::CommitMode(match v { "auto" => CommitMode::Auto, "before" => CommitMode::BeforeProcessing, _ => CommitMode::AfterProcessing }))),
                    err_for("groups[0].commit_mode")) }
                <div class="setting"><code class="setting-name">{"auto.offset.reset"}</code><span class="setting-value">{group.auto_offset_reset.name()}</span><span class="setting-default">{"default latest"}</span></div>
                <p class="hint">{"Changing a setting restarts the scenario with the same seed."}</p>
            </section>
            }
        </aside>
    }
}
