//! The web UI (Yew 0.23, compiled to wasm32 only).
//!
//! One view per file. `App` and `Stage` (which measures its own box with a
//! `ResizeObserver`) are Yew function components; the other views are
//! functions that `App` calls with the model. Application state lives in a
//! `use_reducer` over
//! [`crate::model::Model`], whose `update` is pure and natively tested;
//! components receive the model and send [`crate::model::Msg`]s up through a
//! `Callback`. Timers and global listeners are created in `use_effect_with`
//! and dropped in its cleanup.

pub mod app;
pub mod config_panel;
pub mod course_bridge;
pub mod dom;
pub mod fetch;
pub mod focus;
pub mod gallery;
pub mod lane;
pub mod lesson_panel;
pub mod narration_panel;
pub mod pipeline_bar;
pub mod plots;
pub mod share_dialog;
pub mod shortcuts;
pub mod stage;
pub mod tables;
pub mod transport;

use crate::model::{Model, Msg};
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

/// A shared handle on the model (or on one of its side-by-side lanes) for
/// component props. It compares by `Model`'s `PartialEq`, which compares
/// what the screen shows (step, configuration, flags, inputs), never the
/// engine or the history.
#[derive(Clone, PartialEq)]
pub struct ModelRef(pub UseReducerHandle<Model>, pub Option<usize>);

impl ModelRef {
    pub fn main(handle: UseReducerHandle<Model>) -> ModelRef {
        ModelRef(handle, None)
    }
    pub fn lane(&self, i: usize) -> ModelRef {
        ModelRef(self.0.clone(), Some(i))
    }
}

impl std::ops::Deref for ModelRef {
    type Target = Model;
    fn deref(&self) -> &Model {
        let m: &Model = &self.0;
        match self.1 {
            Some(i) if i < m.lanes.len() => &m.lanes[i],
            _ => m,
        }
    }
}

/// Mounts the app on the page's body.
pub fn start() {
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    yew::Renderer::<app::App>::new().render();
}
