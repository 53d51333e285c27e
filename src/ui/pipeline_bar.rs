//! The nine stages of the course text as a row of steps; the stage of the
//! record in focus is highlighted. Done stages carry a check mark, the
//! current one is filled, later ones are hollow (shape, not colour alone).

use crate::engine::event::Stage;
use crate::ui::RunSnap;
use yew::prelude::*;

/// The bar draws the run's record in focus and the stage it reached: it
/// re-renders after a step, never for a hover, a keystroke or a dialog.
#[derive(Properties, Clone, PartialEq)]
pub struct Props {
    pub run: RunSnap,
}

#[component]
pub fn PipelineBar(props: &Props) -> Html {
    let run = &props.run;
    let current = run.focus_stage();
    let label = run.focus.map(|r| {
        let rec = run.engine.record(r);
        rec.key_text()
            .unwrap_or_else(|| format!("event {}", rec.event_id.0))
    });
    html! {
        <nav class="pipeline" aria-label="The nine stages of a record">
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
                            <span class="chip-name">{ s.name() }</span>
                        </li>
                    }
                }) }
            </ol>
            <span class="pipeline-focus">
                { match label { Some(l) => format!("following {l}"), None => "press Step forward to send a record".into() } }
            </span>
        </nav>
    }
}
