//! The nine stages of the course text as a row of steps; the stage of the
//! record in focus is highlighted. Done stages carry a check mark, the
//! current one is filled, later ones are hollow (shape, not colour alone).

use crate::engine::event::Stage;
use crate::model::Run;
use yew::prelude::*;

/// A plain function, not a component: nine chips and a label cost less to
/// draw again than a component costs the first load (every byte of the
/// 300 KB budget counts).
pub fn pipeline_bar(run: &Run) -> Html {
    let current = run.focus_stage();
    let label = run.focus.map(|r| {
        let rec = run.engine.record(r);
        rec.key_text()
            .map(|k| format!("key {k}"))
            .unwrap_or_else(|| format!("event {}", rec.event_id.0))
    });
    // A step about something else (a rebalance, a failure): the chips
    // stay on the last record's stage, dimmed, and say it was the last.
    let resting = run.headline().is_some_and(|h| h.kind.is_change());
    html! {
        <nav class={if resting { "pipeline resting" } else { "pipeline" }} aria-label="The nine stages of a record">
            <ol>
                { for Stage::ALL.iter().map(|s| {
                    let state = match current {
                        Some(c) if *s < c => "done",
                        Some(c) if *s == c => "current",
                        _ => "todo",
                    };
                    let aria_current = (state == "current").then_some("step");
                    html! {
                        <li class={classes!("stage-chip", state, s.actor())} aria-current={aria_current} title={s.name()}>
                            <span class="chip-num" aria-hidden="true">
                                { if state == "done" { "✓".to_string() } else { s.number().to_string() } }
                            </span>
                            // "Deserialize & process": where the row is
                            // narrow, "Deserialize" (the title has it all).
                            <span class="chip-name">
                                if let Some((head, rest)) = s.name().split_once(" & ") {
                                    {head}<span class="chip-name-rest">{" & "}{rest}</span>
                                } else {
                                    { s.name() }
                                }
                            </span>
                        </li>
                    }
                }) }
            </ol>
            <span class="pipeline-focus">
                { match label {
                    Some(l) if resting => format!("last record: {l}"),
                    Some(l) => format!("following {l}"),
                    // (Not "press Step forward": in a lesson, Next moves on;
                    // in a rebalance story the first steps send no record.)
                    None => "no record sent yet".into(),
                } }
            </span>
        </nav>
    }
}
