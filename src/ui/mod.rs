//! The web UI (Yew 0.23, compiled to wasm32 only).
//!
//! One view per file, each a Yew function component: `App` (the page, which
//! owns the state), `Stage` (which measures its own box with a
//! `ResizeObserver`), `ConfigPanel`, `Tables`, `LaneCard`,
//! `LessonPanel`, `Narration`, `Transport`, `ShareDialog` and
//! `Gallery`. Small pieces drawn inside them (the plots in `Tables`, the
//! lanes' summary, the bad-link dialog, the nine-stage bar, the shortcuts
//! overlay) are plain functions.
//!
//! Application state lives in a `use_reducer` over
//! [`crate::model::Model`], whose `update` is pure and natively tested;
//! components send [`crate::model::Msg`]s up through the reducer's
//! dispatcher, the same `Callback` on every render. Their props are
//! snapshots taken when the page renders, cheap to compare: the run as a
//! pointer ([`RunSnap`]), a few small fields of the viewer's state, text as
//! `AttrValue`. So a message re-renders only the views whose snapshot
//! changed: a keystroke in the Key field redraws the settings alone, and a
//! step leaves the closed tables, the shortcuts, the gallery and (between
//! two stops) the lesson card alone. Timers and global listeners are
//! created in `use_effect_with` and dropped in its cleanup.

pub mod app;
pub mod config_panel;
pub mod course_bridge;
pub mod dom;
pub mod fetch;
pub mod focus;
pub mod gallery;
pub mod lane;
pub mod lesson_panel;
#[cfg(live_engine)]
pub mod live;
pub mod narration_panel;
pub mod pipeline_bar;
pub mod plots;
pub mod share_dialog;
pub mod shortcuts;
pub mod stage;
pub mod tables;
pub mod transport;

use crate::model::{Model, Msg, Run};
use std::rc::Rc;
use yew::prelude::*;

impl Reducible for Model {
    type Action = Msg;

    fn reduce(self: Rc<Self>, action: Msg) -> Rc<Self> {
        let mut next = (*self).clone();
        next.update(action);
        Rc::new(next)
    }
}

/// A value behind an `Rc`, as a component prop: compared by pointer.
///
/// Props hold snapshots taken when the page rendered, never the reducer's
/// handle (its `Deref` reads the *current* state, so old and new props
/// would look alike and the view would go stale). A [`Run`] is a true
/// snapshot: every change to a run makes a new one (copy-on-write, see
/// [`Model`]), and while a prop holds this pointer nothing can change what
/// it points to.
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A model's run, as a prop.
pub type RunSnap = Shared<Run>;

impl RunSnap {
    pub fn of(m: &Model) -> RunSnap {
        Shared(m.run_rc())
    }
}

/// Mounts the app on the page's body: at once for the plain page, and
/// once `presets.txt` is here for an address that names a run (a link, a
/// preset, a lesson), since the presets' scenarios wait in that file.
pub fn start() {
    let loc = web_sys::window().map(|w| w.location());
    let named = loc.is_some_and(|l| {
        l.hash().is_ok_and(|h| h.len() > 1) || l.search().is_ok_and(|q| q.len() > 1)
    });
    if named {
        fetch::with_presets(mount);
    } else {
        mount();
    }
}

fn mount() {
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    yew::Renderer::<app::App>::new().render();
}
