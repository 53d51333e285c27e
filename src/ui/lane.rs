//! One lane of a side-by-side comparison: its label, its stage, what just
//! happened in it and its delivery ledger, so the lanes can be compared at a
//! glance while the transport steps them together.

use crate::engine::ids::GroupIdx;
use crate::model::Msg;
use crate::narration::{narrate, Span};
use crate::ui::ModelRef;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct Props {
    pub label: AttrValue,
    pub model: ModelRef,
    pub on: Callback<Msg>,
}

/// A view function rather than a `#[component]`: it holds no state, and
/// each component costs the bundle a few kilobytes (see `crate::ui`).
pub fn view(props: &Props) -> Html {
    let m = &props.model;
    let e = &m.engine;
    let n = m.headline().map(|h| narrate(e, h));
    let s = e.delivery_summary(GroupIdx(0));
    let text = |body: &[Span]| -> String {
        body.iter()
            .map(|sp| match sp {
                Span::Text(x) | Span::Term(x) | Span::Num(x) => x.as_str(),
            })
            .collect()
    };
    html! {
        <section class="lane" aria-label={props.label.clone()}>
            <h2 class="lane-title">{props.label.clone()}<span class="lane-clock">{crate::model::clock(e.now_ms())}</span></h2>
            <div class="stage-wrap">
                { crate::ui::stage::view(&crate::ui::stage::Props { model: m.clone(), on: props.on.clone() }) }
            </div>
            <div class={classes!("lane-narration", n.as_ref().filter(|n| n.alarm).map(|_| "alarm"))}>
                if let Some(n) = &n {
                    <strong>{n.title.clone()}</strong>{" — "}{text(&n.body)}
                } else if let Some((title, _)) = crate::ui::narration_panel::quiet_step(m) {
                    <strong>{title}</strong>{if m.engine.is_idle() { " — this lane's story is over." } else { " — heartbeats, fetches and timers only." }}
                } else {
                    {"Waiting for the first step."}
                }
            </div>
            <dl class="lane-ledger" aria-label="Delivery ledger">
                <div class="ok"><dt>{"processed once"}</dt><dd>{s.processed_once}</dd></div>
                <div class="dup"><dt>{"duplicated"}</dt><dd>{s.duplicated}</dd></div>
                <div class="lost"><dt>{"lost"}</dt><dd>{s.lost}</dd></div>
                <div class="flight"><dt>{"in flight"}</dt><dd>{s.in_flight}</dd></div>
            </dl>
        </section>
    }
}
