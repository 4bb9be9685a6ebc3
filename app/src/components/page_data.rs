//! A page's data after its first load, loaded again in place after each change (so rows
//! keep their state), with the message of the change shown once the reload has finished
//! (so what it says is already on the page). Pages provide it as context to their parts.

use crate::domain::AppError;
use leptos::prelude::*;

/// The latest data (`data`), how to load it again, and the banner's notice (`notice`, for
/// `components::notice::ChangeNotice`). `I` is what the reload takes, made from the data.
pub struct Reloaded<T: Send + Sync + 'static, I: Send + Sync + 'static = ()> {
    pub data: RwSignal<T>,
    pub notice: RwSignal<Option<Result<String, String>>>,
    reload: Action<I, Result<T, AppError>>,
    input: fn(&T) -> I,
    pending: RwSignal<Option<String>>,
}

impl<T: Send + Sync + 'static, I: Send + Sync + 'static> Clone for Reloaded<T, I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static, I: Send + Sync + 'static> Copy for Reloaded<T, I> {}

impl<T: Clone + Send + Sync + 'static, I: Send + Sync + 'static> Reloaded<T, I> {
    /// Starts from `initial`; `reload` loads the data again from what `input` makes of it.
    /// A failed reload shows its message in the notice.
    pub fn new(initial: T, reload: Action<I, Result<T, AppError>>, input: fn(&T) -> I) -> Self {
        let data = RwSignal::new(initial);
        let notice = RwSignal::new(None);
        let pending = RwSignal::new(None::<String>);
        Effect::new(move |_| match reload.value().get() {
            Some(Ok(d)) => {
                data.set(d);
                if let Some(m) = pending.get_untracked() {
                    notice.set(Some(Ok(m)));
                    pending.set(None);
                }
            }
            Some(Err(e)) => notice.set(Some(Err(e.message))),
            None => {}
        });
        Reloaded { data, notice, reload, input, pending }
    }

    /// After a change: load the data again, then say `message`.
    pub fn done(&self, message: String) {
        self.pending.set(Some(message));
        let input = self.data.with_untracked(|d| (self.input)(d));
        self.reload.dispatch(input);
    }

    /// Calls `done` with `message` of each successful result of an action.
    pub fn on_success<V, S>(&self, value: S, message: impl Fn(&V) -> String + Send + Sync + 'static)
    where
        V: Clone + Send + Sync + 'static,
        S: Get<Value = Option<Result<V, AppError>>> + Send + Sync + 'static,
    {
        let this = *self;
        Effect::new(move |_| {
            if let Some(Ok(v)) = value.get() {
                this.done(message(&v));
            }
        });
    }
}
