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
                { for [
                    ("ok", "processed once", s.processed_once),
                    ("dup", "duplicated", s.duplicated),
                    ("lost", "lost", s.lost),
                    ("flight", "in flight", s.in_flight),
                ].into_iter().map(|(class, what, n)| html! {
                    <div {class}><dt>{what}</dt><dd>{n}</dd></div>
                }) }
            </dl>
        </section>
    }
}

/// What the course text's "Semantic Summary" table claims for a lane named
/// after a delivery semantics: (data loss, duplicates).
fn course_claims(label: &str) -> Option<(&'static str, &'static str)> {
    if label.contains("most") {
        Some(("Possible", "No"))
    } else if label.contains("least") {
        Some(("No", "Possible"))
    } else if label.contains("exactly") {
        Some(("No", "No"))
    } else {
        None
    }
}

/// The lanes' ledgers as one table, one column per lane: for the semantics
/// lanes, the course text's "Semantic Summary" table, filled in live (with
/// what the course claims next to what happened).
pub fn summary(lanes: &[(AttrValue, ModelRef)]) -> Html {
    let mut rows: Vec<(&str, Vec<String>)> = vec![
        ("Data loss: records lost", Vec::new()),
        ("Duplicates: records processed twice or more", Vec::new()),
        ("Processed exactly once", Vec::new()),
        ("Still in flight", Vec::new()),
    ];
    for (label, m) in lanes {
        let s = m.engine.delivery_summary(GroupIdx(0));
        let claims = course_claims(label);
        let with_claim = |n: u64, claim: Option<&str>| match claim {
            Some(c) => format!("{n} (course text: {c})"),
            None => n.to_string(),
        };
        rows[0].1.push(with_claim(s.lost, claims.map(|c| c.0)));
        rows[1]
            .1
            .push(with_claim(s.duplicated, claims.map(|c| c.1)));
        rows[2].1.push(s.processed_once.to_string());
        rows[3].1.push(s.in_flight.to_string());
    }
    html! {
        <table class="data lane-summary" aria-label="Side by side summary">
            <caption>{"The course text's Semantic Summary, live: what each lane's ledger says so far"}</caption>
            <thead><tr><th></th>{ for lanes.iter().map(|(label, _)| html! { <th scope="col">{label.clone()}</th> }) }</tr></thead>
            <tbody>
                { for rows.into_iter().map(|(name, cells)| html! {
                    <tr><th scope="row">{name}</th>{ for cells.into_iter().map(|c| html! { <td>{c}</td> }) }</tr>
                }) }
            </tbody>
        </table>
    }
}
