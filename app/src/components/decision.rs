//! How a recorded decision is shown: the trace table (every check, its level, whether it
//! passed and why) and the inputs list. Shared by the audit detail page and the Approvals
//! inbox; the Try it panel draws its own, live trace (`try_it::result`).

use crate::components::format::level_name;
use crate::domain::actions::InputPair;
use crate::domain::policy::{Outcome, Step};
use leptos::prelude::*;

/// The decision trace: every check that ran, at which level, whether it passed, and why.
#[component]
pub fn TraceTable(trace: Vec<Step>) -> impl IntoView {
    if trace.is_empty() {
        return view! { <p class="muted">"No checks were recorded."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table trace-table" data-testid="trace-table">
                <thead>
                    <tr>
                        <th scope="col">"Check"</th>
                        <th scope="col">"Level"</th>
                        <th scope="col">"Result"</th>
                        <th scope="col">"Detail"</th>
                    </tr>
                </thead>
                <tbody>
                    {trace
                        .into_iter()
                        .map(|s| {
                            let (mark, text, class) = match (s.passed, s.outcome) {
                                (true, _) => ("✓", "Passed", "step step-passed"),
                                (false, Some(Outcome::Confirm)) => ("?", "Asks for confirmation", "step step-confirm"),
                                (false, _) => ("✕", "Failed", "step step-failed"),
                            };
                            view! {
                                <tr>
                                    <th scope="row"><code>{s.check.clone()}</code></th>
                                    <td>{level_name(s.level)}</td>
                                    <td>
                                        <span class=class>
                                            <span class="step-mark" aria-hidden="true">{mark}</span>
                                            <span>{text}</span>
                                        </span>
                                    </td>
                                    <td>{s.detail.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The inputs as a key/value list.
#[component]
pub fn InputList(inputs: Vec<InputPair>) -> impl IntoView {
    if inputs.is_empty() {
        return view! { <p class="muted">"No inputs."</p> }.into_any();
    }
    view! {
        <dl class="kv" data-testid="input-list">
            {inputs
                .into_iter()
                .map(|p| view! { <dt>{p.key.replace('_', " ")}</dt> <dd>{p.value}</dd> })
                .collect_view()}
        </dl>
    }
    .into_any()
}
