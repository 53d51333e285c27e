//! One lane of a side-by-side comparison: its label, its stage, what just
//! happened in it and its delivery ledger, so the lanes can be compared at a
//! glance while the transport steps them together.

use crate::engine::ids::GroupIdx;
use crate::model::Msg;
use crate::narration::narrate;
use crate::ui::stage::StageShows;
use crate::ui::RunSnap;
use yew::prelude::*;

/// A lane card's props: its label and place, whether it is drawn large,
/// and the lane's run (its latest news and its ledger). A card has no
/// picture of its lane: at card size one was unreadable and cost the large
/// stage a fifth of its height; pressing the card draws the lane large.
#[derive(Properties, Clone, PartialEq)]
pub struct CardProps {
    pub label: AttrValue,
    pub index: usize,
    pub selected: bool,
    pub shows: StageShows,
    pub on: Callback<Msg>,
}

/// One lane as a card beside the large stage: its name, what just
/// happened in it and its delivery ledger. Pressing it shows that lane's
/// stage large (the lanes keep stepping together).
#[component]
pub fn LaneCard(props: &CardProps) -> Html {
    let (label, selected, on) = (&props.label, props.selected, &props.on);
    let m = &props.shows;
    let index = props.index;
    let onclick = on.reform(move |_: MouseEvent| Msg::ShowLane(index));
    let e = &m.engine;
    let n = m.headline().map(|h| narrate(e, h));
    let s = e.delivery_summary(GroupIdx(0));
    // Measured on the full page only (see engine::ownership).
    let unowned_ms = if cfg!(consumer_protocol) {
        e.unowned_partition_ms(GroupIdx(0))
    } else {
        0
    };
    let now = match &n {
        Some(n) => n.title.clone(),
        None => match crate::ui::narration_panel::quiet_step(m, false) {
            Some(_) if m.engine.is_idle() => "this lane's story is over".to_string(),
            Some(_) => "heartbeats, fetches and timers only".to_string(),
            None => "waiting for the first step".to_string(),
        },
    };
    html! {
        <button class={classes!("lane-card", selected.then_some("selected"), n.as_ref().filter(|n| n.alarm).map(|_| "alarm"), cfg!(consumer_protocol).then(|| course_claims(label).map(|_| "semantics")).flatten())}
                role="tab" aria-selected={selected.to_string()} {onclick}>
            <span class="lane-name">{lane_name(label)}</span>
            <span class="lane-now">{now}</span>
            <span class="lane-ledger">
                <span class="ok">{format!("{} once", s.processed_once)}</span>
                <span class="dup">{format!("{} dup", s.duplicated)}</span>
                <span class="lost">{format!("{} lost", s.lost)}</span>
                <span class="flight">{format!("{} in flight", s.in_flight)}</span>
                // Always there on the full page, so a card does not grow a
                // line (and the stage shrink) when a rebalance starts.
                if cfg!(consumer_protocol) {
                    <span class="unowned" title="Partition-seconds without a live owner during rebalances (unowned_partition_ms)">
                        {format!("{} partition-seconds", partition_seconds(unowned_ms))}<span class="unowned-word">{" unowned"}</span>
                    </span>
                }
            </span>
            // What the course's Semantic Summary says of this lane: shown
            // where the summary table has no room (presenting at 1280).
            if let Some((loss, dup)) = course_claims(label) {
                <span class="lane-claim">{format!("course: loss {loss}, duplicates {dup}")}</span>
            }
        </button>
    }
}

/// A lane's name, "eager · range": where room is short (a phone's tabs, a
/// narrow column) only the protocol's name shows (`.lane-name-rest`).
fn lane_name(label: &str) -> Html {
    let cut = label.find(" · ").unwrap_or(label.len());
    html! { <>{label[..cut].to_string()}<span class="lane-name-rest">{label[cut..].to_string()}</span></> }
}

/// Partition-milliseconds as partition-seconds: tenths, or hundredths below
/// one second so a brief stop (eager's 8 ms × 4 partitions) is not "0.0".
fn partition_seconds(ms: u64) -> String {
    if ms < 1000 {
        format!("0.{:02}", (ms + 5).min(999) / 10)
    } else {
        format!("{}.{}", ms / 1000, ms % 1000 / 100)
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
pub fn summary(lanes: &[(AttrValue, RunSnap)]) -> Html {
    // Each cell: the figure, and for the semantics lanes what the course
    // claims, on a line of its own under it (a narrow column wrapped
    // "0 (course text: Possible)" over three lines).
    let mut rows: Vec<(&str, Vec<(String, Option<&str>)>)> = vec![
        ("Data loss: records lost", Vec::new()),
        ("Duplicates: records processed twice or more", Vec::new()),
        ("Processed exactly once", Vec::new()),
        ("Still in flight", Vec::new()),
    ];
    if cfg!(consumer_protocol) {
        rows.push((
            "Partition-seconds without an owner (rebalances)",
            Vec::new(),
        ));
    }
    for (label, m) in lanes {
        let s = m.engine.delivery_summary(GroupIdx(0));
        let claims = course_claims(label);
        rows[0].1.push((s.lost.to_string(), claims.map(|c| c.0)));
        rows[1]
            .1
            .push((s.duplicated.to_string(), claims.map(|c| c.1)));
        rows[2].1.push((s.processed_once.to_string(), None));
        rows[3].1.push((s.in_flight.to_string(), None));
        if cfg!(consumer_protocol) {
            rows[4].1.push((
                partition_seconds(m.engine.unowned_partition_ms(GroupIdx(0))),
                None,
            ));
        }
    }
    // The rebalance figure only where some lane rebalanced.
    let rebalanced = lanes
        .iter()
        .any(|(_, m)| m.engine.unowned_partition_ms(GroupIdx(0)) > 0);
    if cfg!(consumer_protocol) && !rebalanced {
        rows.pop();
    }
    let unowned_note = cfg!(consumer_protocol) && rebalanced;
    // Where lanes rebalanced, their figure leads: it is what they compare.
    if unowned_note {
        rows.rotate_right(1);
    }
    let semantics = lanes
        .iter()
        .any(|(label, _)| course_claims(label).is_some());
    html! {
        <table class="data lane-summary" aria-label="Side by side summary" tabindex="0">
            <caption>
                { if semantics { "The Producer-Consumer Overview's Semantic Summary, live: what each lane's ledger says so far, and under it what the course says" } else { "What each lane's ledger says so far" } }
                if unowned_note {
                    // Beside the figure, what it counts, and why a
                    // stop-the-world protocol's can be small (idle members).
                    <span class="lane-note">{"Partition-seconds without an owner. Eager stops every partition until the slowest member rejoins: \
                        milliseconds when members are idle, seconds when each must first finish the batch of its last poll(). Cooperative stops only \
                        the partitions that move, for two rounds; the consumer protocol until each new owner's next heartbeat (5 s)."}</span>
                }
            </caption>
            // "eager · range" as two lines, not "eager / · / range".
            <thead><tr><th></th>{ for lanes.iter().map(|(label, _)| {
                let (first, rest) = label.split_once(" · ").unwrap_or((label, ""));
                html! {
                    <th scope="col">{first.to_string()}if !rest.is_empty() {
                        <span class="lane-name-rest"><br/>{rest.to_string()}</span>
                    }</th>
                }
            }) }</tr></thead>
            <tbody>
                { for rows.into_iter().map(|(name, cells)| html! {
                    <tr><th scope="row">{name}</th>{ for cells.into_iter().map(|(n, claim)| html! {
                        <td>{n}if let Some(c) = claim { <span class="claim">{format!("course: {c}")}</span> }</td>
                    }) }</tr>
                }) }
            </tbody>
        </table>
    }
}
