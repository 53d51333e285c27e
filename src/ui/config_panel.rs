//! Configuration: what the next record looks like, and the scenario's
//! settings under their real Kafka names with Kafka's defaults.

use crate::engine::config::limits::MAX_PARTITIONS;
use crate::model::Msg;
use crate::ui::ModelRef;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    pub on: Callback<Msg>,
}

fn input_value(e: &InputEvent) -> String {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|i| i.value())
        .unwrap_or_default()
}

#[component]
pub fn ConfigPanel(props: &Props) -> Html {
    let m = &props.model;
    let on = &props.on;
    let cfg = &m.config;
    let topic = &cfg.topics[0];
    let producer = &cfg.producers[0];
    let group = &cfg.groups[0];
    let on_key = on.reform(|e: InputEvent| Msg::SetKey(input_value(&e)));
    let on_value = on.reform(|e: InputEvent| Msg::SetValue(input_value(&e)));
    let on_partitions = on.reform(|e: Event| {
        let v = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
            .and_then(|s| s.value().parse::<u32>().ok())
            .unwrap_or(3);
        Msg::SetPartitions(v)
    });
    let setting = |name: &'static str, value: String, default: &'static str| {
        html! {
            <div class="setting">
                <code class="setting-name">{name}</code>
                <span class="setting-value">{value}</span>
                <span class="setting-default">{format!("default {default}")}</span>
            </div>
        }
    };
    html! {
        <aside class="config" aria-label="Configuration">
            <section class="card">
                <h2>{"Next record"}</h2>
                <label class="field">
                    <span>{"Key"}</span>
                    <input type="text" value={m.key.clone()} oninput={on_key} maxlength="256"
                           placeholder="empty = null key" spellcheck="false" autocomplete="off" />
                </label>
                <label class="field">
                    <span>{"Value"}</span>
                    <input type="text" value={m.value.clone()} oninput={on_value} maxlength="4096"
                           placeholder={"{\"event_id\": n, \"data\": \"Event n\"}"} spellcheck="false" autocomplete="off" />
                </label>
                <p class="hint">{"Leave the value empty to send the course text's generated message."}</p>
            </section>
            <section class="card">
                <h2>{"Topic "}<code>{topic.name.clone()}</code></h2>
                <label class="field inline">
                    <span>{"Partitions"}</span>
                    <select onchange={on_partitions}>
                        { for (1..=MAX_PARTITIONS).map(|n| html! {
                            <option value={n.to_string()} selected={n == topic.partitions}>{n}</option>
                        }) }
                    </select>
                </label>
                <p class="hint">{"Changing it restarts the scenario with the same seed."}</p>
            </section>
            <section class="card settings">
                <h2>{"Producer"}</h2>
                { setting("acks", producer.acks.label().into(), "all") }
                { setting("enable.idempotence", producer.idempotent().to_string(), "true") }
                { setting("linger.ms", producer.linger_ms.to_string(), "5") }
                { setting("batch.size", producer.batch_size.to_string(), "16384") }
                <h2>{"Consumer"}</h2>
                { setting("group.id", group.group_id.clone(), "none") }
                { setting("enable.auto.commit", group.enable_auto_commit().to_string(), "true") }
                { setting("auto.offset.reset", group.auto_offset_reset.name().to_string(), "latest") }
                <p class="hint">{"Manual commit after processing, as in the course text's at-least-once code."}</p>
            </section>
        </aside>
    }
}
