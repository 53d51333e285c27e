//! Tables under the stage, with the column names of the Kafka UIs people
//! know (kafka-ui, Redpanda Console).

use crate::engine::controller::CONSUMER_OFFSETS;
use crate::engine::ids::*;
use crate::model::{Msg, Tab};
use crate::narration::narrate;
use crate::ui::RunSnap;
use yew::prelude::*;
use yew::virtual_dom::VText;

#[derive(Properties, Clone)]
pub struct Props {
    pub run: RunSnap,
    pub tab: Tab,
    pub on: Callback<Msg>,
    /// The tables panel is open (otherwise only its tabs show, and the
    /// stage has the room).
    pub open: bool,
    pub on_open: Callback<bool>,
}

impl PartialEq for Props {
    /// Closed, the panel shows only its tabs: a step changes nothing in it.
    fn eq(&self, other: &Self) -> bool {
        self.tab == other.tab
            && self.open == other.open
            && self.on == other.on
            && self.on_open == other.on_open
            && (!self.open || self.run == other.run)
    }
}

fn list(v: &[BrokerId]) -> String {
    v.iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

// ---- table helpers ----
//
// `html!` expands every element into a good deal of code, so the cells and
// rows the tables repeat are built by these small functions (one copy each
// in the bundle).

/// A text cell.
#[inline(never)]
fn td(body: impl Into<AttrValue>) -> Html {
    td_node(Html::from(VText::new(body)))
}

/// A cell with any content.
#[inline(never)]
fn td_node(body: Html) -> Html {
    html! { <td>{body}</td> }
}

/// A text-only row.
#[inline(never)]
fn text_row(cells: Vec<AttrValue>) -> Html {
    row(cells.into_iter().map(td).collect())
}

/// A row of cells.
#[inline(never)]
fn row(cells: Vec<Html>) -> Html {
    html! { <tr>{ for cells }</tr> }
}

/// `<table class="data">` with a header row of `cols` then `more_cols`, and `body` rows.
#[inline(never)]
fn data_table(cols: &[&'static str], more_cols: Vec<String>, body: Html) -> Html {
    let th = |label: AttrValue| html! { <th>{Html::from(VText::new(label))}</th> };
    html! {
        <table class="data">
            <thead><tr>
                { for cols.iter().map(|c| th(AttrValue::Static(c))) }
                { for more_cols.into_iter().map(|c| th(c.into())) }
            </tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}

/// A value or an en dash.
fn or_dash(v: Option<impl ToString>) -> AttrValue {
    v.map(|v| AttrValue::from(v.to_string()))
        .unwrap_or(AttrValue::Static("–"))
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
    let entries: Vec<&crate::engine::ledger::LedgerEntry> = e.ledger().entries().collect();
    let shown = entries.iter().rev().take(200);
    let rows = shown.map(|le| {
        let key = le
            .record
            .and_then(|r| e.record(r).key_text())
            .unwrap_or_else(|| "None".into());
        let copies = le.copies.iter().map(|c| {
            html! {
                <span class={classes!("copy", c.vanished.then_some("vanished"))}>
                    {format!("{}-{}@{} ", e.topic(c.tp.topic).name, c.tp.partition, c.offset.0)}
                </span>
            }
        });
        let mut cells = vec![
            td(le.event_id.0.to_string()),
            td(key),
            td(le.send_attempts.to_string()),
            td_node(html! { { for copies } }),
        ];
        cells.extend(groups.iter().map(|g| {
            let n = e.ledger().times_processed(le.event_id, *g);
            // No verdict: the group does not read this message's topic.
            match e.verdict_of(le.event_id, *g) {
                Some(v) => td_node(html! { <>{format!("{n} ")}{verdict_badge(v)}</> }),
                None => td("–"),
            }
        }));
        row(cells)
    });
    html! {
        <>
        // One line per group, counting the messages of the topics it reads
        // (two groups reading two topics each see their own).
        { for groups.iter().map(|g| {
            let summary = e.delivery_summary(*g);
            let counts = [
                (Verdict::ProcessedOnce, summary.processed_once),
                (Verdict::Duplicated, summary.duplicated),
                (Verdict::Lost, summary.lost),
                (Verdict::InFlight, summary.in_flight),
                (Verdict::Aborted, summary.aborted),
            ];
            let name = e.groups()[g.0 as usize].group_id.as_str();
            let total = summary.produced + summary.aborted;
            html! {
                <div class="ledger-summary" aria-label={format!("Ledger summary for {name}")}>
                    // Aborted messages are rows too, but not counted as produced.
                    <span>
                        if groups.len() > 1 { <strong>{name}{": "}</strong> }
                        { if summary.aborted > 0 {
                            format!("{total} messages ({} in aborted transactions):", summary.aborted)
                        } else {
                            format!("{total} messages:")
                        } }
                    </span>
                    { for counts.iter().map(|(v, n)| html! { <span>{verdict_badge(*v)}{format!(" {n}")}</span> }) }
                </div>
            }
        }) }
        { data_table(
            &["event_id", "Key", "Send attempts", "Copies (partition@offset)"],
            groups.iter().map(|g| format!("{} (times processed)", e.groups()[g.0 as usize].group_id)).collect(),
            html! { { for rows } },
        ) }
        if entries.len() > 200 {
            <p class="table-note">{format!("Showing the latest 200 of {} messages.", entries.len())}</p>
        }
        </>
    }
}

#[component]
pub fn Tables(props: &Props) -> Html {
    let m = &props.run;
    let e = &m.engine;
    let on = &props.on;
    let open = props.open;
    let tab = |t: Tab, label: &'static str| {
        let selected = props.tab == t;
        // A tab opens the panel on its table; the open tab closes it again
        // (the stage takes the room back).
        let (on, on_open) = (on.clone(), props.on_open.clone());
        let onclick = Callback::from(move |_: MouseEvent| {
            on.emit(Msg::SelectTab(t));
            on_open.emit(!(selected && open));
        });
        html! {
            <button role="tab" class={classes!("tab", selected.then_some("selected"))} aria-selected={selected.to_string()}
                    aria-expanded={(selected && open).to_string()} {onclick}>{label}</button>
        }
    };
    // (Only an open panel shows a table.)
    let body = |tab: Tab| match tab {
        Tab::Topic => {
            let rows = e.all_partitions().into_iter().filter(|tp| {
                e.topic(tp.topic).name != CONSUMER_OFFSETS && !e.topic(tp.topic).internal
            });
            let rows = rows.map(|tp| {
                let meta = e.partition_meta(tp);
                let log = meta
                    .leader
                    .and_then(|l| e.brokers()[l.0 as usize].replica(tp))
                    .map(|r| &r.log);
                let under = meta.isr.len() < meta.replicas.len();
                text_row(vec![
                    e.topic(tp.topic).name.clone().into(),
                    tp.partition.0.to_string().into(),
                    meta.leader
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| "none".into())
                        .into(),
                    list(&meta.replicas).into(),
                    list(&meta.isr).into(),
                    or_dash(log.map(|l| l.log_start().0)),
                    or_dash(log.map(|l| l.hw().0)),
                    or_dash(log.map(|l| l.leo().0)),
                    if under { "yes" } else { "no" }.into(),
                ])
            });
            data_table(
                &[
                    "Topic",
                    "Partition",
                    "Leader",
                    "Replicas",
                    "In-sync replicas",
                    "Log start offset",
                    "High watermark",
                    "Log end offset",
                    "Under-replicated",
                ],
                Vec::new(),
                html! { { for rows } },
            )
        }
        Tab::Groups => {
            let rows = e.groups().iter().flat_map(|g| {
                let gc = &e.config().groups[g.idx.0 as usize];
                let tps: Vec<Tp> = gc.topics.iter().filter_map(|t| e.topic_id(t)).flat_map(|t| (0..e.topic(t).partitions.len() as u32).map(move |p| Tp::new(t, p))).collect();
                tps.into_iter().map(|tp| {
                    let owner = e.consumers().iter().find(|c| c.alive && c.group == g.idx && c.assignment.contains(&tp));
                    let committed = g.committed.get(&tp).copied();
                    let rep = e.leader_of(tp).and_then(|l| e.brokers()[l.0 as usize].replica(tp));
                    let leo = rep.map(|r| r.log.leo());
                    let hw = rep.map(|r| r.log.hw());
                    let lag = match (committed, leo) { (Some(c), Some(l)) => Some(l.0 - c.0), (None, Some(l)) => Some(l.0), _ => None };
                    row(vec![
                        td(g.group_id.clone()),
                        td(g.consumer_group().map_or(g.state.name(), |cg| cg.state_name())),
                        td(format!("{}-{}", e.topic(tp.topic).name, tp.partition)),
                        // Kafka's member ids are long (client id + UUID): the
                        // consumer's letter first, the id cut to fit.
                        td(or_dash(owner.map(|c| {
                            let id = c.member_id.clone().unwrap_or_default();
                            let cut: String = id.chars().take(16).collect();
                            let more = if cut.len() < id.len() { "…" } else { "" };
                            // The consumer protocol: the member's epoch and state.
                            let member = g.consumer_group().and_then(|cg| cg.member(&id));
                            match member {
                                Some(m) => format!("{} · {cut}{more} (epoch {}, {})", c.label, m.member_epoch, m.state.name()),
                                None => format!("{} · {cut}{more}", c.label),
                            }
                        }))),
                        td(or_dash(committed.map(|o| o.0))),
                        td_node(html! {
                            <>
                            {or_dash(leo.map(|o| o.0))}
                            if hw != leo {
                                <span class="hw-note" title="The high watermark is below the log end offset: consumers can read only up to the HW.">
                                    {format!(" (HW {})", hw.map(|o| o.0).unwrap_or(0))}
                                </span>
                            }
                            </>
                        }),
                        td(or_dash(lag)),
                    ])
                }).collect::<Vec<_>>()
            });
            html! {
                <>
                { data_table(
                    &["Group", "State", "Partition", "Consumer ID", "Current Offset", "Log End Offset", "Lag"],
                    Vec::new(),
                    html! { { for rows } },
                ) }
                <p class="table-note">{"Lag = Log End Offset − Current Offset (the committed offset), as kafka-ui shows it. Where the high watermark is lower than the log end offset, consumers can only read up to the HW."}</p>
                </>
            }
        }
        Tab::Ledger => ledger_table(e),
        Tab::Plots => crate::ui::plots::charts(&m.metrics),
        Tab::Events => html! {
            <ol class="event-list" reversed=true>
                { for m.history.iter().rev().take(50).map(|(step, ev)| {
                    let n = narrate(e, ev);
                    // A scenario's note says what it is about, not just "Note".
                    let title = match &ev.kind {
                        crate::engine::event::EventKind::Note { text }
                        | crate::engine::event::EventKind::FaultArmed { text } => {
                            format!("Note: {}", crate::presets::note_text(text))
                        }
                        _ => n.title,
                    };
                    html! { <li class={classes!(n.alarm.then_some("alarm"))}><span class="ev-step">{format!("#{step}")}</span>{" "}<span class="ev-title">{title}</span></li> }
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
                { tab(Tab::Plots, "Plots") }
            </div>
            if open {
                <div class="tab-body" role="tabpanel" tabindex="0">{body(props.tab)}</div>
            }
        </section>
    }
}
