//! The tour card: the current beat's text, the prediction question with its
//! choices, the reveal once the step has played, and Back / Next. When the
//! learner has wandered off (stepped, travelled, changed something), it
//! offers the way back into the tour.

use crate::model::tour::{LessonRun, Phase};
use crate::model::{Model, Msg};
use yew::prelude::*;

/// What the card shows, taken when the page rendered: where the learner is
/// in the lesson (its `Rc` compared by pointer), whether the run is on the
/// tour, whether it plays, and the seed that shuffles the choices. A step
/// between two stops changes none of it.
#[derive(Properties, Clone, PartialEq)]
pub struct Props {
    pub run: LessonRun,
    pub on_tour: bool,
    pub playing: bool,
    pub seed: u64,
    pub on: Callback<Msg>,
}

impl Props {
    /// The card for the lesson `m` is touring, if any.
    pub fn of(m: &Model, on: &Callback<Msg>) -> Option<Props> {
        Some(Props {
            run: m.lesson.clone()?,
            on_tour: m.on_tour(),
            playing: m.playing,
            seed: m.engine.config().seed,
            on: on.clone(),
        })
    }
}

#[component]
pub fn LessonPanel(props: &Props) -> Html {
    let (run, on) = (&props.run, &props.on);
    let beat = run.current();
    let total = run.lesson.beats.len();
    let on_tour = props.on_tour;
    let more_open = run.more_open == Some(run.beat);
    let next = run.next();
    // More opens below the stop's text, often below the card's fold: it
    // scrolls into view.
    use_effect_with(more_open, |open| {
        if *open {
            crate::ui::dom::scroll_to_start_of(".lesson-panel", "#lesson-more");
        }
    });
    // The question of this beat, answered on the way here.
    let answered = run.verdict();
    let asking = (run.phase == Phase::Asking)
        .then(|| next.and_then(|b| b.question.as_ref()))
        .flatten();
    html! {
        <section class="card lesson-panel" aria-labelledby="lesson-title">
            <p class="lesson-kicker">{format!("Lesson · {}", run.lesson.section)}</p>
            // Where the lesson is, and the way out, on one row that the
            // style sheet draws under the title (a short frame hides the
            // kicker and keeps this row). Before the title in the page, so
            // that Tab from the title (where N leaves focus) reaches the
            // question's choices, not Leave.
            <div class="lesson-bar">
                <p class="lesson-progress" data-testid="lesson-progress">
                    {format!("Stop {} of {} · step {}", run.beat + 1, total, beat.step)}
                    // On the way to the next stop: where the run is going, so
                    // the stop's own step is not read as the step shown.
                    if run.phase == Phase::Playing {
                        {format!(" → {}", next.map_or(beat.step, |b| b.step))}
                    }
                </p>
                <button class="btn ghost small" data-fk-return="lessons" onclick={on.reform(|_| Msg::ExitLesson)} aria-label="Leave the lesson">{"Leave"}</button>
            </div>
            // Where focus goes when the button that had it is replaced (Next,
            // a choice): the lesson's own heading (see `ui::focus`).
            <h2 id="lesson-title" tabindex="-1" data-fk="lesson">{run.lesson.title.clone()}</h2>
            <div class="lesson-progress-bar" aria-hidden="true">
                <span style={format!("width:{}%", crate::ui::stage::px((run.beat + 1) as f64 * 100.0 / total as f64))}></span>
            </div>
            if let Some((q, a)) = answered {
                <div class={classes!("reveal", if a == q.answer { "right" } else { "wrong" })} role="status">
                    <p class="reveal-verdict">
                        if a == q.answer {
                            {"✓ Right: "}{q.choices.get(a).cloned().unwrap_or_default()}
                        } else {
                            {"✗ Not quite. You said: "}{q.choices.get(a).cloned().unwrap_or_default()}
                            {". Answer: "}{q.choices.get(q.answer).cloned().unwrap_or_default()}
                        }
                    </p>
                    <p>{q.reveal.clone()}</p>
                </div>
            }
            <div class="lesson-text">
                { for beat.shown().iter().map(|p| html! { <p>{p.clone()}</p> }) }
                if more_open {
                    <div class="lesson-more" id="lesson-more">
                        { for beat.folded().iter().map(|p| html! { <p>{p.clone()}</p> }) }
                    </div>
                }
            </div>
            if !on_tour && run.phase != Phase::Playing {
                <div class="off-tour">
                    <p>{"You are exploring on your own. The tour waits at this stop."}</p>
                    <button class="btn" data-fk-return="lesson" onclick={on.reform(|_| Msg::LessonResume)}>{"Back to the tour"}</button>
                </div>
            } else if let Some(q) = asking {
                <fieldset class="predict">
                    <legend>{"Predict: "}{q.prompt.clone()}</legend>
                    // Shuffled: the right answer's place gives nothing away.
                    { for q.display_order(props.seed, run.beat + 1).into_iter().map(|i| html! {
                        <button class="btn choice" data-fk-return="lesson" onclick={on.reform(move |_| Msg::LessonAnswer(i))}>{q.choices[i].clone()}</button>
                    }) }
                </fieldset>
            } else {
                <div class="lesson-nav">
                    <button class="btn" data-fk-return="lesson" onclick={on.reform(|_| Msg::LessonBack)} disabled={run.beat == 0 && run.phase == Phase::Reading}>{"Back"}</button>
                    // The stop's background, folded so the picture carries the story.
                    if !beat.folded().is_empty() {
                        <button class="btn ghost small more-btn" aria-expanded={more_open.to_string()} aria-controls="lesson-more"
                                onclick={on.reform(|_| Msg::LessonMore)}>{ if more_open { "Less" } else { "More" } }</button>
                    }
                    if run.phase == Phase::Playing {
                        if props.playing {
                            <span class="lesson-playing">{format!("Playing to step {}…", next.map(|b| b.step).unwrap_or(0))}</span>
                        } else {
                            <button class="btn primary" data-fk-return="lesson" onclick={on.reform(|_| Msg::LessonNext)}>{"Continue"}</button>
                        }
                    } else if next.is_some() {
                        <button class="btn primary" data-fk-return="lesson" onclick={on.reform(|_| Msg::LessonNext)}>
                            { if next.is_some_and(|b| b.question.is_some()) { "Next: predict" } else { "Next" } }
                        </button>
                    } else {
                        <span class="lesson-done" role="status">{"Lesson complete."}</span>
                        <button class="btn primary" onclick={on.reform(|_| Msg::ToggleGallery)}>{"More lessons"}</button>
                    }
                </div>
            }
        </section>
    }
}
