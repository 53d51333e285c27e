//! The narration: what just happened and why, in one or two sentences, with
//! the Kafka term in bold and the number that matters in mono. It is the
//! page's one `role="status"` live region. Under it, the details of the
//! focused record.

use crate::narration::{narrate, tp_label, Span};
use crate::ui::ModelRef;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
}

fn spans(body: &[Span]) -> Html {
    html! {
        { for body.iter().map(|s| match s {
            Span::Text(t) => html! { <>{t.clone()}</> },
            Span::Term(t) => html! { <strong class="term">{t.clone()}</strong> },
            Span::Num(t) => html! { <code class="num">{t.clone()}</code> },
        }) }
    }
}

#[component]
pub fn NarrationPanel(props: &Props) -> Html {
    let m = &props.model;
    let e = &m.engine;
    let narration = m.headline().map(|h| narrate(e, h));
    let focus = m.focus.map(|r| e.record(r).clone());
    html! {
        <aside class="narration" aria-label="Narration">
            <div class={classes!("narration-live", narration.as_ref().filter(|n| n.alarm).map(|_| "alarm"))}
                 role="status" aria-live="polite" aria-atomic="true">
                if let Some(n) = &narration {
                    <p class="narration-title">{n.title.clone()}</p>
                    <p class="narration-body">{spans(&n.body)}</p>
                } else {
                    <p class="narration-title">{"Ready"}</p>
                    <p class="narration-body">
                        {"A producer, a topic "}<strong class="term">{"events"}</strong>
                        {" on one broker, and a consumer group. Type a key (or leave it empty for a null key) and press "}
                        <strong class="term">{"Step forward"}</strong>
                        {" to follow one record through all nine stages."}
                    </p>
                }
            </div>
            if let Some(n) = narration.as_ref().filter(|n| !n.details.is_empty()) {
                <dl class="details">
                    { for n.details.iter().map(|(k, v)| html! {
                        <><dt>{k.clone()}</dt><dd><code>{v.clone()}</code></dd></>
                    }) }
                </dl>
            }
            if let Some(rec) = focus {
                <section class="focus-card" aria-label="Record in focus">
                    <h3>{"Record in focus"}</h3>
                    <dl class="details">
                        <dt>{"event_id"}</dt><dd><code>{rec.event_id.0}</code></dd>
                        <dt>{"key"}</dt><dd><code>{rec.key_text().unwrap_or_else(|| "None".into())}</code></dd>
                        <dt>{"value"}</dt><dd><code class="wrap">{rec.value_text()}</code></dd>
                        if let Some(p) = rec.partition {
                            <dt>{"partition"}</dt>
                            <dd><code>{tp_label(e, crate::engine::ids::Tp { topic: rec.topic, partition: p })}</code></dd>
                        }
                        if let Some(copy) = e.ledger().entry(rec.event_id).and_then(|le| le.copies.last().cloned()) {
                            <dt>{"offset"}</dt><dd><code>{copy.offset.0}</code></dd>
                        }
                    </dl>
                </section>
            }
        </aside>
    }
}
