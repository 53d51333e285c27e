//! Tables under the stage, with the column names of the Kafka UIs people
//! know (kafka-ui, Redpanda Console).

use crate::engine::controller::CONSUMER_OFFSETS;
use crate::engine::ids::*;
use crate::model::{Msg, Tab};
use crate::narration::narrate;
use crate::ui::ModelRef;
use yew::prelude::*;

#[derive(Clone, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    pub on: Callback<Msg>,
}

fn list(v: &[BrokerId]) -> String {
    v.iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A verdict as a badge: shape, colour and text (never colour alone).
pub fn verdict_badge(v: crate::engine::ledger::Verdict) -> Html {
    use crate::engine::ledger::Verdict;
    let (cls, shape) = match v {
        Verdict::ProcessedOnce => ("once", "●"),
        Verdict::Duplicated => ("dup", "◆◆"),
        Verdict::Lost => ("lost", "✕"),
        Verdict::InFlight => ("flight", "○"),
        Verdict::Aborted => ("aborted", "⊘"),
    };
    html! { <span class={classes!("badge", cls)}><span class="shape" aria-hidden="true">{shape}</span>{v.label()}</span> }
}

/// The delivery ledger: one row per message, judged per group.
fn ledger_table(e: &crate::engine::Engine) -> Html {
    use crate::engine::ledger::Verdict;
    let groups: Vec<GroupIdx> = (0..e.groups().len()).map(|g| GroupIdx(g as u16)).collect();
    let summary = e.delivery_summary(GroupIdx(0));
    let counts = [
        (Verdict::ProcessedOnce, summary.processed_once),
        (Verdict::Duplicated, summary.duplicated),
        (Verdict::Lost, summary.lost),
        (Verdict::InFlight, summary.in_flight),
        (Verdict::Aborted, summary.aborted),
    ];
    let entries: Vec<&crate::engine::ledger::LedgerEntry> = e.ledger().entries().collect();
    let shown = entries.iter().rev().take(200);
    html! {
        <>
        <div class="ledger-summary" aria-label={format!("Ledger summary for {}", e.groups().first().map(|g| g.group_id.as_str()).unwrap_or("-"))}>
            <span>{format!("{} messages:", summary.produced)}</span>
            { for counts.iter().map(|(v, n)| html! { <span>{verdict_badge(*v)}{format!(" {n}")}</span> }) }
        </div>
        <table class="data">
            <thead><tr>
                <th>{"event_id"}</th><th>{"Key"}</th><th>{"Send attempts"}</th><th>{"Copies (partition@offset)"}</th>
                { for groups.iter().map(|g| html! { <th>{format!("{} (times processed)", e.groups()[g.0 as usize].group_id)}</th> }) }
            </tr></thead>
            <tbody>
            { for shown.map(|le| {
                let key = le.record.and_then(|r| e.record(r).key_text()).unwrap_or_else(|| "None".into());
                html! {
                    <tr>
                        <td>{le.event_id.0}</td>
                        <td>{key}</td>
                        <td>{le.send_attempts}</td>
                        <td>{ for le.copies.iter().map(|c| html! {
                            <span class={classes!("copy", c.vanished.then_some("vanished"))}>
                                {format!("{}-{}@{} ", e.topic(c.tp.topic).name, c.tp.partition, c.offset.0)}
                            </span>
                        }) }</td>
                        { for groups.iter().map(|g| {
                            let n = le.processed.get(g).copied().unwrap_or(0);
                            let v = e.verdict_of(le.event_id, *g).unwrap_or(Verdict::InFlight);
                            html! { <td>{format!("{n} ")}{verdict_badge(v)}</td> }
                        }) }
                    </tr>
                }
            }) }
            </tbody>
        </table>
        if entries.len() > 200 {
            <p class="table-note">{format!("Showing the latest 200 of {} messages.", entries.len())}</p>
        }
        </>
    }
}

/// A view function rather than a `#[component]`: it holds no state, and
/// each component costs the bundle a few kilobytes (see `crate::ui`).
pub fn view(props: &Props) -> Html {
    let m = &props.model;
    let e = &m.engine;
    let on = &props.on;
    let tab = |t: Tab, label: &'static str| {
        let selected = m.tab == t;
        html! {
            <button role="tab" class={classes!("tab", selected.then_some("selected"))} aria-selected={selected.to_string()}
                    onclick={on.reform(move |_| Msg::SelectTab(t))}>{label}</button>
        }
    };
    let body = match m.tab {
        Tab::Topic => {
            let rows = e.all_partitions().into_iter().filter(|tp| {
                e.topic(tp.topic).name != CONSUMER_OFFSETS && !e.topic(tp.topic).internal
            });
            html! {
                <table class="data">
                    <thead><tr>
                        <th>{"Topic"}</th><th>{"Partition"}</th><th>{"Leader"}</th><th>{"Replicas"}</th><th>{"In-sync replicas"}</th>
                        <th>{"Log start offset"}</th><th>{"High watermark"}</th><th>{"Log end offset"}</th><th>{"Under-replicated"}</th>
                    </tr></thead>
                    <tbody>
                    { for rows.map(|tp| {
                        let meta = e.partition_meta(tp);
                        let log = meta.leader.and_then(|l| e.brokers()[l.0 as usize].replica(tp)).map(|r| &r.log);
                        let (ls, hw, leo) = log.map(|l| (l.log_start().0.to_string(), l.hw().0.to_string(), l.leo().0.to_string()))
                            .unwrap_or(("–".into(), "–".into(), "–".into()));
                        let under = meta.isr.len() < meta.replicas.len();
                        html! {
                            <tr>
                                <td>{e.topic(tp.topic).name.clone()}</td>
                                <td>{tp.partition.0}</td>
                                <td>{meta.leader.map(|l| l.to_string()).unwrap_or_else(|| "none".into())}</td>
                                <td>{list(&meta.replicas)}</td>
                                <td>{list(&meta.isr)}</td>
                                <td>{ls}</td><td>{hw}</td><td>{leo}</td>
                                <td>{ if under { "yes" } else { "no" } }</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
            }
        }
        Tab::Groups => html! {
            <>
            <table class="data">
                <thead><tr>
                    <th>{"Group"}</th><th>{"State"}</th><th>{"Coordinator"}</th><th>{"Partition"}</th><th>{"Consumer ID"}</th>
                    <th>{"Current Offset"}</th><th>{"Log End Offset"}</th><th>{"Lag"}</th>
                </tr></thead>
                <tbody>
                { for e.groups().iter().flat_map(|g| {
                    let gc = &e.config().groups[g.idx.0 as usize];
                    let tps: Vec<Tp> = gc.topics.iter().filter_map(|t| e.topic_id(t)).flat_map(|t| (0..e.topic(t).partitions.len() as u32).map(move |p| Tp::new(t, p))).collect();
                    tps.into_iter().map(|tp| {
                        let owner = e.consumers().iter().find(|c| c.alive && c.group == g.idx && c.assignment.contains(&tp));
                        let committed = g.committed.get(&tp).copied();
                        let rep = e.leader_of(tp).and_then(|l| e.brokers()[l.0 as usize].replica(tp));
                        let leo = rep.map(|r| r.log.leo());
                        let hw = rep.map(|r| r.log.hw());
                        let lag = match (committed, leo) { (Some(c), Some(l)) => (l.0 - c.0).to_string(), (None, Some(l)) => l.0.to_string(), _ => "–".into() };
                        html! {
                            <tr>
                                <td>{g.group_id.clone()}</td>
                                <td>{g.state.name()}</td>
                                <td>{g.coordinator(e).map(|b| format!("broker {b}")).unwrap_or_else(|| "–".into())}</td>
                                <td>{format!("{}-{}", e.topic(tp.topic).name, tp.partition)}</td>
                                <td>{owner.map(|c| format!("{} ({})", c.member_id.clone().unwrap_or_default(), c.label)).unwrap_or_else(|| "–".into())}</td>
                                <td>{committed.map(|o| o.0.to_string()).unwrap_or_else(|| "–".into())}</td>
                                <td>
                                    {leo.map(|o| o.0.to_string()).unwrap_or_else(|| "–".into())}
                                    if hw != leo {
                                        <span class="hw-note" title="The high watermark is below the log end offset: consumers can read only up to the HW.">
                                            {format!(" (HW {})", hw.map(|o| o.0).unwrap_or(0))}
                                        </span>
                                    }
                                </td>
                                <td>{lag}</td>
                            </tr>
                        }
                    }).collect::<Vec<_>>()
                }) }
                </tbody>
            </table>
            <p class="table-note">{"Lag = Log End Offset − Current Offset (the committed offset), as kafka-ui shows it. Where the high watermark is lower than the log end offset, consumers can only read up to the HW."}</p>
            </>
        },
        Tab::Ledger => ledger_table(e),
        Tab::Events => html! {
            <ol class="event-list" reversed=true>
                { for m.history.iter().rev().take(50).map(|(step, ev)| {
                    let n = narrate(e, ev);
                    html! { <li class={classes!(n.alarm.then_some("alarm"))}><span class="ev-step">{format!("#{step}")}</span>{" "}<span class="ev-title">{n.title}</span></li> }
                }) }
            </ol>
        },
    };
    html! {
        <section class="tables" aria-label="Tables">
            <div class="tabs" role="tablist">
                { tab(Tab::Topic, "Topic") }
                { tab(Tab::Groups, "Consumer groups") }
                { tab(Tab::Ledger, "Ledger") }
                { tab(Tab::Events, "Event log") }
            </div>
            <div class="tab-body" role="tabpanel">{body}</div>
        </section>
    }
}
