//! The lesson gallery: one narrated lesson per section of the course text,
//! in course order, and a box to open a lesson file of one's own.

use crate::model::Msg;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on: Callback<Msg>,
    /// The lesson being toured, if any.
    #[prop_or_default]
    pub current: Option<String>,
}

#[component]
pub fn Gallery(props: &Props) -> Html {
    let on = &props.on;
    let text = use_state(String::new);
    let close = on.reform(|_: MouseEvent| Msg::ToggleGallery);
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(t) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            {
                text.set(t.value());
            }
        })
    };
    let open_own = {
        let text = text.clone();
        on.reform(move |_: MouseEvent| Msg::StartLessonText((*text).clone()))
    };
    // The built-in lessons' texts, fetched when the gallery opens.
    let loaded = use_state(|| {
        vec![None::<Result<(crate::lesson::Lesson, String), String>>; crate::lesson::INDEX.len()]
    });
    {
        let loaded = loaded.clone();
        use_effect_with((), move |_| {
            let results = std::rc::Rc::new(std::cell::RefCell::new(vec![
                None;
                crate::lesson::INDEX.len()
            ]));
            for (i, (id, _)) in crate::lesson::INDEX.iter().enumerate() {
                let loaded = loaded.clone();
                let results = results.clone();
                let done = Callback::from(move |r: Result<String, String>| {
                    let parsed = r.and_then(|text| {
                        crate::lesson::parse(&text).map(|l| (l, text)).map_err(|e| {
                            e.iter()
                                .map(|x| x.to_string())
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                    });
                    results.borrow_mut()[i] = Some(parsed);
                    loaded.set(results.borrow().clone());
                });
                crate::ui::fetch::fetch_lesson(id.to_string(), done);
            }
            || ()
        });
    }
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="dialog gallery" role="dialog" aria-modal="true" aria-labelledby="gallery-title"
                 onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <div class="gallery-head">
                    <h2 id="gallery-title">{"Lessons"}</h2>
                    <button class="btn ghost" onclick={close.clone()} aria-label="Close the lessons">{"Close"}</button>
                </div>
                <p class="hint">{"One narrated tour per section of the course text. Each asks you to predict what Kafka does before it happens; you can leave the tour to explore at any point and come back."}</p>
                <ol class="lesson-cards">
                    { for crate::lesson::INDEX.iter().enumerate().map(|(i, (id, section))| {
                        let current = props.current.as_deref() == Some(*id);
                        let (title, summary, meta, start) = match loaded.get(i).cloned().flatten() {
                            Some(Ok((l, text))) => {
                                let questions = l.beats.iter().filter(|b| b.question.is_some()).count();
                                (
                                    l.title.clone(),
                                    l.summary.clone(),
                                    format!("{} stops · {} {}", l.beats.len(), questions, if questions == 1 { "prediction" } else { "predictions" }),
                                    Some(on.reform(move |_: MouseEvent| Msg::StartLessonText(text.clone()))),
                                )
                            }
                            Some(Err(e)) => (section.to_string(), format!("This lesson could not be loaded: {e}"), String::new(), None),
                            None => (section.to_string(), "Loading…".to_string(), String::new(), None),
                        };
                        html! {
                            <li class={classes!("lesson-card", current.then_some("current"))}>
                                <span class="lesson-num" aria-hidden="true">{i + 1}</span>
                                <div class="lesson-body">
                                    <span class="lesson-section">{*section}</span>
                                    <h3>{title.clone()}</h3>
                                    <p>{summary}</p>
                                    <span class="lesson-meta">{meta}</span>
                                </div>
                                <button class="btn primary" onclick={start.clone().unwrap_or_default()} disabled={start.is_none()}
                                        aria-label={format!("Start the lesson {title}")}>
                                    { if current { "Restart" } else { "Start" } }
                                </button>
                            </li>
                        }
                    }) }
                </ol>
                <details class="own-lesson">
                    <summary>{"Open a lesson of your own"}</summary>
                    <p class="hint">{"Paste a lesson file (the format is in the README). Problems are listed with their line numbers."}</p>
                    <textarea rows="6" aria-label="Lesson file" value={(*text).clone()} oninput={on_text}
                              placeholder={"lesson: my-lesson\ntitle: …\nsection: …\nscenario: nine-stages\n\nstep 0\n…"} />
                    <button class="btn" onclick={open_own} disabled={text.trim().is_empty()}>{"Open this lesson"}</button>
                </details>
            </div>
        </div>
    }
}
