//! The page: pipeline bar on top, configuration on the left, the stage in the
//! centre, narration on the right, transport at the bottom, tables below.

use crate::model::{Model, Msg};
use crate::ui::course_bridge::use_course_bridge;
use crate::ui::dom::Listener;
use crate::ui::focus;
use crate::ui::share_dialog::link_error_dialog;
use crate::ui::stage::StageShows;
use crate::ui::{RunSnap, Shared};
use gloo_timers::callback::Interval;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Whether a key event comes from a text field (where keys mean typing).
fn typing_in_field(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| {
            let tag = el.tag_name().to_ascii_lowercase();
            tag == "input"
                || tag == "textarea"
                || tag == "select"
                || el.has_attribute("contenteditable")
        })
        .unwrap_or(false)
}

/// The live page follows its live process (see `crate::ui::live`).
#[cfg(live_engine)]
use crate::ui::live::use_live;
#[cfg(not(live_engine))]
#[hook]
fn use_live(model: &UseReducerHandle<Model>) {
    let _ = model;
}

/// What is live, on the live page (nothing on the course page).
#[cfg(live_engine)]
fn live_banner(m: &Model, on: &Callback<Msg>) -> Html {
    crate::ui::live::banner(m, on)
}
#[cfg(not(live_engine))]
fn live_banner(_: &Model, _: &Callback<Msg>) -> Html {
    Html::default()
}

/// The Share button's name: a live run is saved as a link.
#[cfg(live_engine)]
fn share_name(m: &Model) -> &'static str {
    if m.is_live() {
        "Save as link"
    } else {
        "Share"
    }
}
#[cfg(not(live_engine))]
fn share_name(_: &Model) -> &'static str {
    "Share"
}

/// The course page hands a saved live run's link to the live page
/// (`live/` beside it), whose bundle plays live runs back.
#[cfg(not(live_engine))]
fn hand_live_link_on(hash: &str) {
    let live = crate::link::looks_like_link(hash)
        && crate::link::decode(hash, &crate::presets::config_by_id)
            .is_ok_and(|l| l.live_tape.is_some());
    if let (true, Some(w)) = (live, web_sys::window()) {
        let _ = w.location().replace(&format!("live/#{hash}"));
    }
}

/// `presets.txt` as the page has it: empty until it has arrived, or if it
/// could not be loaded.
fn presets_text() -> AttrValue {
    let text = crate::presets::text();
    match crate::presets::text_state() {
        Some(true) => AttrValue::Rc(text),
        _ => AttrValue::default(),
    }
}

#[component]
pub fn App() -> Html {
    // The page opens the run its address describes: a scenario link in the
    // fragment, options in the query string (see `crate::model::share`).
    let model = use_reducer(|| {
        let loc = web_sys::window().map(|w| w.location());
        let hash = loc.as_ref().and_then(|l| l.hash().ok()).unwrap_or_default();
        let query = loc
            .as_ref()
            .and_then(|l| l.search().ok())
            .unwrap_or_default();
        #[cfg(not(live_engine))]
        hand_live_link_on(hash.trim_start_matches('#'));
        Model::open_page(hash.trim_start_matches('#'), &query)
    });
    // Kafka 4's consumer protocol is on the full page beside this one.
    {
        let handoff = model.handoff.clone();
        use_effect_with(handoff, |h| {
            if let (Some(to), Some(w)) = (h, web_sys::window()) {
                let _ = w.location().assign(to);
            }
        });
    }
    // The share dialog's state: open or not, and what its last Copy did.
    let share_open = use_state(|| false);
    let share_status = use_state(|| None::<String>);
    // View state that is not part of the run (so not in links).
    let settings_open = use_state(|| false);
    let tables_open = use_state(|| false);
    let presenting = use_state(|| false);
    #[cfg(all(consumer_protocol, not(live_engine)))]
    let handed = use_state(|| {
        web_sys::window()
            .and_then(|w| w.location().search().ok())
            .is_some_and(|q| crate::model::share::parse_query(&q).from_course)
    });
    let own_lesson = use_state(AttrValue::default);
    let lessons = use_state(|| std::rc::Rc::new(crate::ui::gallery::Loaded::new()));
    // The presets' titles, summaries and notes (`presets.txt`), fetched as
    // the page starts: the wasm build leaves them out of the first load.
    let summaries = use_state(presets_text);
    // The reducer's own dispatcher: the same callback on every render, so
    // components given it can tell that nothing changed.
    let dispatch: Callback<Msg> = model.dispatcher().to_callback();

    // Playback timer: one interval while playing, dropped when paused or on speed change.
    {
        let model = model.clone();
        let deps = (model.playing, model.tick_ms());
        use_effect_with(deps, move |(playing, ms)| {
            let interval = playing.then(|| {
                let model = model.clone();
                Interval::new(*ms, move || model.dispatch(Msg::Tick))
            });
            move || drop(interval)
        });
    }

    // Global keyboard shortcuts.
    {
        let dispatch = dispatch.clone();
        let share_open = share_open.clone();
        let settings_open = settings_open.clone();
        let presenting = presenting.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| {
                Listener::new(&w, "keydown", move |ev: web_sys::Event| {
                    let Ok(ev) = ev.dyn_into::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if ev.key() == "Escape" {
                        // Esc closes whichever dialog is open.
                        if focus::modal_open() {
                            share_open.set(false);
                            dispatch.emit(Msg::CloseDialogs);
                        } else {
                            // Esc closes the settings and a consumer's
                            // card, and leaves presentation mode.
                            settings_open.set(false);
                            presenting.set(false);
                            dispatch.emit(Msg::SelectConsumer(None));
                        }
                        return;
                    }
                    // A modal dialog keeps Tab inside and the page's
                    // shortcuts wait until it closes.
                    if focus::trap_tab(&ev) || focus::modal_open() {
                        return;
                    }
                    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || typing_in_field(&ev) {
                        return;
                    }
                    let msg = match ev.key().as_str() {
                        // Space on a focused control is that control's.
                        " " | "Spacebar" if focus::space_is_for_a_control(&ev) => None,
                        " " | "Spacebar" => Some(Msg::TogglePlay),
                        "ArrowRight" => Some(Msg::StepForward),
                        "j" | "J" => Some(Msg::SkipToChange),
                        "ArrowLeft" => Some(Msg::StepBack),
                        "Home" => Some(Msg::Seek(0)),
                        "End" => Some(Msg::SeekEnd),
                        "u" | "U" => Some(Msg::Undo),
                        "r" | "R" => Some(Msg::Reset),
                        "?" => Some(Msg::ToggleHelp),
                        "n" | "N" => {
                            // Focus goes to the lesson card (its heading),
                            // so the next Tab reaches the question's choices.
                            gloo_timers::callback::Timeout::new(60, || {
                                if let Some(h) = web_sys::window()
                                    .and_then(|w| w.document())
                                    .and_then(|d| d.get_element_by_id("lesson-title"))
                                    .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                                {
                                    // (Without scrolling: the card keeps the
                                    // question in view.)
                                    let opts = web_sys::FocusOptions::new();
                                    opts.set_prevent_scroll(true);
                                    let _ = h.focus_with_options(&opts);
                                }
                            })
                            .forget();
                            Some(Msg::LessonNext)
                        }
                        "p" | "P" => {
                            presenting.set(!*presenting);
                            None
                        }
                        _ => None,
                    };
                    if let Some(msg) = msg {
                        // Space on a focused button would click it too: handle it once.
                        ev.prevent_default();
                        dispatch.emit(msg);
                    }
                })
            });
            move || drop(listener)
        });
    }

    // A link pasted into the address bar opens (replaceState below does not
    // fire this).
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| {
                Listener::new(&w, "hashchange", move |_| {
                    let hash = web_sys::window()
                        .and_then(|w| w.location().hash().ok())
                        .unwrap_or_default();
                    if crate::link::looks_like_link(&hash) {
                        dispatch.emit(Msg::OpenLink(hash));
                    }
                })
            });
            move || drop(listener)
        });
    }

    // The address bar always holds a link to what is on screen (while
    // paused), so a reload or a copied address reopens the same step.
    {
        let paused = !model.playing;
        let fragment = paused.then(|| {
            let pristine = model.step == 0
                && model.commands.is_empty()
                && model.preset.is_none()
                && model.lesson.is_none()
                && !model.embed
                && model.config == crate::engine::ScenarioConfig::default();
            if pristine {
                String::new()
            } else {
                model.share_fragment().unwrap_or_default()
            }
        });
        // (The open link-error dialog is a dependency too: dismissing it
        // must put the run's own link back over the bad one.)
        use_effect_with(
            (fragment, model.link_error.is_some()),
            move |(fragment, _)| {
                if let (Some(f), Some(w)) = (fragment, web_sys::window()) {
                    let loc = w.location();
                    let current = loc.hash().unwrap_or_default();
                    let wanted = if f.is_empty() {
                        String::new()
                    } else {
                        format!("#{f}")
                    };
                    if current != wanted {
                        // The link carries the whole run (embed mode and
                        // lesson included): the query's options it replaces
                        // would only confuse whoever copies the address.
                        let search = if wanted.is_empty() {
                            loc.search().unwrap_or_default()
                        } else {
                            String::new()
                        };
                        let path =
                            format!("{}{}{}", loc.pathname().unwrap_or_default(), search, wanted);
                        if let Ok(h) = w.history() {
                            let _ = h.replace_state_with_url(
                                &wasm_bindgen::JsValue::NULL,
                                "",
                                Some(&path),
                            );
                        }
                    }
                }
                || ()
            },
        );
    }

    use_live(&model);
    let m: &Model = &model;
    use_course_bridge(m, dispatch.clone());
    focus::use_modal_focus(*share_open || m.gallery_open || m.help_open || m.link_error.is_some());
    focus::use_focus_keeper();
    // The lesson card scrolls as a whole; at each stop its question (or
    // its buttons) is brought into view, inside the card only (never the
    // course page around an embed).
    {
        let at = m.lesson.as_ref().map(|r| (r.beat, r.phase, r.answer));
        use_effect_with(at, move |at| {
            match at {
                // A question: bring it and its choices into view.
                Some((_, crate::model::tour::Phase::Asking, _)) => {
                    crate::ui::dom::reveal_in_scroller(
                        ".lesson-panel",
                        ".lesson-panel .predict, .lesson-panel .off-tour",
                    )
                }
                // A stop: read it from its start, the verdict on the
                // learner's answer first when there is one (Back / Next
                // stay in view at the card's foot).
                Some(_) => {
                    crate::ui::dom::scroll_to_start_of(".lesson-panel", ".lesson-panel .reveal")
                }
                None => {}
            }
            || ()
        });
    }

    // A built-in lesson to fetch (opened from the gallery, a link or ?lesson=).
    {
        let dispatch = dispatch.clone();
        use_effect_with(m.pending_lesson.clone(), move |pending| {
            if let Some(p) = pending {
                crate::ui::fetch::fetch_lesson(p.id.clone(), dispatch.reform(Msg::LessonFetched));
            }
            || ()
        });
    }
    {
        let summaries = summaries.clone();
        // (Again when a preset is opened, if it could not be loaded.)
        use_effect_with(m.preset.is_some(), move |_| {
            if summaries.is_empty() {
                // (Failed: the summaries stay the titles, the notes say
                // they could not be loaded, and the next preset opened
                // asks again.)
                crate::ui::fetch::with_presets(move || summaries.set(presets_text()));
            }
            || ()
        });
    }
    // The gallery fetches the built-in lessons each time it opens (a
    // lesson that failed to load gets another chance).
    {
        let lessons = lessons.clone();
        use_effect_with(m.gallery_open, move |open| {
            if *open {
                crate::ui::gallery::load_all(lessons);
            }
            || ()
        });
    }
    let open_share = {
        let share_open = share_open.clone();
        let share_status = share_status.clone();
        Callback::from(move |_: MouseEvent| {
            share_status.set(None);
            share_open.set(true)
        })
    };
    let fork_banner = m.timeline.fork.as_ref().map(|f| {
        let text = if f.what.starts_with("Changed")
            || f.what.starts_with("Opened")
            || f.what.starts_with("Reset")
            || f.what.starts_with("Started")
        {
            format!(
                "{}: the previous run ({} steps) was replaced.",
                f.what, f.replaced_steps
            )
        } else {
            format!(
                "You acted in the past ({} at step {}): the {} recorded steps after it were replaced by a new future.",
                f.what, f.at_step, f.replaced_steps
            )
        };
        html! {
            <div class="banner fork" role="status">
                <span class="banner-icon fork-icon" aria-hidden="true">{"⑂"}</span>
                <span class="banner-text">{text}</span>
                <button class="btn small" onclick={dispatch.reform(|_| Msg::Undo)} title="Undo (U)">{"Undo"}</button>
                <button class="btn small ghost" onclick={dispatch.reform(|_| Msg::DismissFork)} aria-label="Dismiss">{"×"}</button>
            </div>
        }
    });
    let embed = m.embed;
    let compare = !m.lane_labels.is_empty();
    // A lesson asks for a prediction: the question has the column's room.
    let asking = m
        .lesson
        .as_ref()
        .is_some_and(|r| r.phase == crate::model::tour::Phase::Asking);
    // A verdict on the learner's answer: it and the stop's text have the
    // column's room (the audit read the stop's text hidden under Back / Next).
    let answered = m.lesson.as_ref().is_some_and(|r| r.verdict().is_some());
    // The last stop of a lesson: its conclusion has the column's room.
    let done = m.lesson.as_ref().is_some_and(|r| {
        r.is_last()
            && r.phase != crate::model::tour::Phase::Playing
            && r.phase != crate::model::tour::Phase::Asking
    });
    // Side by side: one lane large, the others as cards beside it.
    let shown_lane = m.shown_lane();
    let lane_model = |i: usize| match i {
        0 => m,
        _ => m.lanes.get(i - 1).unwrap_or(m),
    };
    let stage_model = lane_model(shown_lane);
    let toggle_settings = {
        let settings_open = settings_open.clone();
        Callback::from(move |_: MouseEvent| settings_open.set(!*settings_open))
    };
    let toggle_present = {
        let presenting = presenting.clone();
        Callback::from(move |_: MouseEvent| presenting.set(!*presenting))
    };
    let lanes: Vec<(AttrValue, RunSnap)> = m
        .lane_labels
        .iter()
        .enumerate()
        .map(|(i, label)| (AttrValue::from(label.clone()), RunSnap::of(lane_model(i))))
        .collect();
    // The narration tells the story of the lane drawn large (named first);
    // a screen reader hears the other lanes' news after it.
    let shown_first: Vec<(AttrValue, RunSnap)> = lanes
        .get(shown_lane)
        .into_iter()
        .chain(
            lanes
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != shown_lane)
                .map(|(_, l)| l),
        )
        .cloned()
        .collect();
    // The full page says what it is, with the way back to the course page
    // that sent a consumer-protocol scenario here.
    #[cfg(all(consumer_protocol, not(live_engine)))]
    let page_tag = html! {
        if !embed {
            <a class="page-tag" href="../" title="This page adds Kafka 4's consumer group protocol (KIP-848) to the course page"><span class="page-tag-long">{"Kafka 4 page · "}</span>{"← course page"}</a>
        }
    };
    #[cfg(not(all(consumer_protocol, not(live_engine))))]
    let page_tag = Html::default();
    // Sent here by the course page (`from=course`): say where the user is
    // and why, until dismissed or the run forks (the banners share a row).
    #[cfg(all(consumer_protocol, not(live_engine)))]
    let handed_banner = html! {
        // (Not inside an instructor's embed: the iframe is their choice.)
        if *handed && m.timeline.fork.is_none() && !embed {
            <div class="banner handed" role="status">
                <span class="banner-icon handed-icon" aria-hidden="true">{"4"}</span>
                <span class="banner-text">
                    <span class="handed-long">
                        {"Sent here by the course page: this "}
                        {if m.lesson.is_some() { "lesson" } else { "scenario" }}
                        {" needs Kafka 4's consumer group protocol (KIP-848)."}
                    </span>
                    <span class="handed-short">{"The Kafka 4 page (KIP-848)"}</span>
                </span>
                <a class="btn small" href="../">{"← Course page"}</a>
                <button class="btn small ghost" onclick={{ let handed = handed.clone(); Callback::from(move |_: MouseEvent| handed.set(false)) }} aria-label="Dismiss">{"×"}</button>
            </div>
        }
    };
    #[cfg(not(all(consumer_protocol, not(live_engine))))]
    let handed_banner = Html::default();
    html! {
        <div class={classes!("app", embed.then_some("embed"), presenting.then_some("presenting"))}>
            <header class="topbar">
                <div class="brand">
                    { crate::ui::transport::icon(r#"<svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><rect x="2" y="10" width="8" height="12" rx="2" class="logo-cell a"/><rect x="12" y="10" width="8" height="12" rx="2" class="logo-cell b"/><rect x="22" y="10" width="8" height="12" rx="2" class="logo-cell c"/></svg>"#) }
                    <span class="brand-name">{"kafkascope"}</span>
                    { page_tag }
                </div>
                { crate::ui::pipeline_bar::pipeline_bar(&m.run_rc()) }
                <div class="top-actions">
                    if embed {
                        <a class="btn small ghost" href={format!("{}#{}", crate::ui::share_dialog::page_base(), { let mut l = m.to_link(); l.view.embed = false; crate::link::encode(&l, &crate::presets::config_by_id) })}
                           target="_blank" rel="noopener" title="Open this run in a full kafkascope page">{"Open ↗"}</a>
                    } else {
                        <button class="btn small" onclick={toggle_settings.clone()} aria-expanded={settings_open.to_string()} aria-controls="settings-drawer">{"Settings"}</button>
                        <button class="btn small" data-fk="lessons" onclick={dispatch.reform(|_| Msg::ToggleGallery)} aria-label="Lessons">{"Lessons"}</button>
                        <button class="btn small" onclick={open_share} aria-label={share_name(m)}>{share_name(m)}</button>
                        <button class="btn small ghost present" onclick={toggle_present} aria-pressed={presenting.to_string()} title="Presentation mode: everything larger, for a projector (P; Esc leaves)">{"Present"}</button>
                    }
                </div>
            </header>
            { for fork_banner }
            { handed_banner }
            { live_banner(m, &dispatch) }
            if let Some(err) = m.error.clone() {
                <div class="banner error" role="alert">
                    <span class="banner-icon" aria-hidden="true">{"!"}</span>
                    <span class="banner-text">{err}</span>
                    <button class="btn small" onclick={dispatch.reform(|_| Msg::DismissError)}>{"Dismiss"}</button>
                </div>
            }
            // The stage is the page: it takes the space between the top bar
            // and the transport; the lesson, the narration and (side by
            // side) the lanes' summary sit in a column beside it, the tables
            // under it, the settings in a drawer.
            <main class={classes!("workspace", compare.then_some("compare"), (*settings_open && !embed).then_some("with-settings"))} aria-label="Kafka scenario">
                // The settings: a column that opens beside the stage (the
                // stage gives way and lays itself out again).
                if *settings_open && !embed {
                    <div class="settings-column" id="settings-drawer" role="region" aria-label="Settings" tabindex="0">
                        <div class="drawer-head">
                            <h2>{"Settings"}</h2>
                            <button class="btn small ghost" onclick={toggle_settings.clone()} aria-label="Close the settings">{"Close"}</button>
                        </div>
                        <crate::ui::config_panel::ConfigPanel ..crate::ui::config_panel::Props::of(m, dispatch.clone(), false) />
                    </div>
                }
                <section class="stage-area" aria-label="Cluster">
                    if compare {
                        <div class="lane-strip" role="tablist" aria-label="Lanes">
                            { for lanes.iter().enumerate().map(|(i, (label, _))| html! {
                                <crate::ui::lane::LaneCard label={label.clone()} index={i} selected={i == shown_lane}
                                    shows={StageShows::of(lane_model(i), m)} on={dispatch.clone()} />
                            }) }
                        </div>
                    }
                    <div class="stage-wrap">
                        <crate::ui::stage::Stage shows={StageShows::of(stage_model, m)} on={dispatch.clone()} max_scale={if *presenting { 3.0 } else { 2.0 }} />
                    </div>
                    // Side by side, the tables are the lane drawn large's
                    // (the audit found no ledger or plot to show there).
                    if !embed {
                        <crate::ui::tables::Tables run={RunSnap::of(stage_model)} tab={m.tab} on={dispatch.clone()} open={*tables_open} on_open={tables_open.setter().to_callback()} />
                    }
                </section>
                <aside class={classes!("side", asking.then_some("asking"), answered.then_some("answered"), done.then_some("done"))} aria-label="Lesson and narration" tabindex="0">
                    if m.pending_lesson.is_some() {
                        <p class="hint" role="status">{"Loading the lesson…"}</p>
                    }
                    if let Some(props) = crate::ui::lesson_panel::Props::of(m, &dispatch) {
                        <crate::ui::lesson_panel::LessonPanel ..props />
                    }
                    <crate::ui::narration_panel::Narration summary={m.preset.as_deref().and_then(|id| crate::presets::summary_in(&summaries, id)).map(AttrValue::from).unwrap_or_default()} ..crate::ui::narration_panel::Props::of(stage_model, Some(dispatch.clone()), embed || compare, shown_first) />
                    if compare {
                        { crate::ui::lane::summary(&lanes) }
                    }
                </aside>
            </main>
            <crate::ui::transport::Transport ..crate::ui::transport::Props::of(m, dispatch.clone()) />
            if m.help_open {
                { crate::ui::shortcuts::shortcuts(&dispatch) }
            }
            if *share_open {
                <crate::ui::share_dialog::ShareDialog ..crate::ui::share_dialog::Props::of(m, (*share_status).clone(), share_status.setter().to_callback(), share_open.setter().to_callback()) />
            }
            if m.gallery_open {
                <crate::ui::gallery::Gallery on={dispatch.clone()} current={m.lesson.as_ref().map(|r| AttrValue::from(r.lesson.id.clone()))}
                    loaded={Shared((*lessons).clone())} text={(*own_lesson).clone()} set_text={own_lesson.setter().to_callback()}
                    error={m.own_lesson_error.clone().map(AttrValue::from)} />
            }
            if let Some(message) = m.link_error.as_deref() {
                { link_error_dialog(message, m.step > 0 || m.preset.is_some(), &dispatch) }
            }
        </div>
    }
}
