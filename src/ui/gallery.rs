//! The lesson gallery: one narrated lesson per section of the course text,
//! in course order, and a box to open a lesson file of one's own.

use crate::model::Msg;
use crate::ui::Shared;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What the gallery has fetched so far: per lesson of
/// [`crate::lesson::INDEX`], nothing yet, the parsed lesson with its text,
/// or why it could not be loaded.
pub type Loaded = Vec<Option<Result<(crate::lesson::Lesson, String), String>>>;

/// Fetches every built-in lesson, setting `loaded` as each arrives.
pub fn load_all(loaded: UseStateHandle<std::rc::Rc<Loaded>>) {
    let results = std::rc::Rc::new(std::cell::RefCell::new(vec![
        None;
        crate::lesson::INDEX.len()
    ]));
    for (i, (id, _)) in crate::lesson::INDEX.iter().enumerate() {
        let loaded = loaded.clone();
        let results = results.clone();
        let done = Callback::from(move |r: Result<String, String>| {
            let parsed = r.and_then(|text| {
                crate::lesson::parse(&text)
                    .map(|l| (l, text))
                    .map_err(|errs| crate::engine::config::one_line(&errs))
            });
            results.borrow_mut()[i] = Some(parsed);
            loaded.set(std::rc::Rc::new(results.borrow().clone()));
        });
        crate::ui::fetch::fetch_lesson(id.to_string(), done);
    }
}

/// What the gallery shows, taken when the page rendered. Its state (the
/// fetched lessons, the text of one's own lesson) lives in the app, which
/// keeps it while the gallery is closed.
#[derive(Properties, Clone, PartialEq)]
pub struct Props {
    pub on: Callback<Msg>,
    /// The id of the lesson being toured.
    pub current: Option<AttrValue>,
    /// The built-in lessons fetched so far (a new `Rc` as each arrives).
    pub loaded: Shared<Loaded>,
    /// The lesson file pasted into the box, and where its edits go.
    pub text: AttrValue,
    pub set_text: Callback<AttrValue>,
    /// Why the pasted lesson cannot be opened.
    pub error: Option<AttrValue>,
}

/// The gallery dialog.
#[component]
pub fn Gallery(props: &Props) -> Html {
    let Props {
        on,
        current,
        loaded,
        text,
        set_text,
        error,
    } = props;
    let current = current.as_deref();
    let close = on.reform(|_: MouseEvent| Msg::ToggleGallery);
    let on_text = {
        let set_text = set_text.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(t) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            {
                set_text.emit(t.value().into());
            }
        })
    };
    let open_own = {
        let text = text.clone();
        on.reform(move |_: MouseEvent| Msg::StartLessonText(text.to_string()))
    };
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="dialog gallery" role="dialog" aria-modal="true" aria-labelledby="gallery-title"
                 onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <div class="gallery-head">
                    <h2 id="gallery-title">{"Lessons"}</h2>
                    <button class="btn ghost" onclick={close.clone()} aria-label="Close the lessons">{"Close"}</button>
                </div>
                <p class="hint">{"A narrated tour for each section of the course text, and five for the mistakes it leaves behind. Each asks you to predict what Kafka does before it happens; you can leave the tour to explore at any point and come back."}</p>
                <ol class="lesson-cards">
                    { for crate::lesson::INDEX.iter().enumerate().map(|(i, (id, section))| {
                        let current = current == Some(*id);
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
                <details class="own-lesson" open={error.is_some()}>
                    <summary>{"Open a lesson of your own"}</summary>
                    <p class="hint">{"Paste a lesson file (the format is in the README). Problems are listed with their line numbers."}</p>
                    <textarea rows="6" aria-label="Lesson file" value={text.clone()} oninput={on_text}
                              placeholder={"lesson: my-lesson\ntitle: …\nsection: …\nscenario: nine-stages\n\nstep 0\n…"} />
                    if let Some(why) = error {
                        <p class="field-error" role="alert"><span class="err-icon" aria-hidden="true">{"!"}</span>{why.clone()}</p>
                    }
                    <button class="btn" onclick={open_own} disabled={text.trim().is_empty()}>{"Open this lesson"}</button>
                </details>
            </div>
        </div>
    }
}
