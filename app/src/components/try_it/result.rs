//! What the Try it panel shows for an answer: the verdict (allowed, needs confirmation by
//! whom, refused) with its reason and code, and every check of the trace in plain words.

use crate::components::format::level_short_name;
use crate::domain::policy::{Decision, Outcome};
use leptos::prelude::*;

/// The answer `decide` gave, and its trace. `busy` while a new one is being asked for.
#[component]
pub fn TryResult(decision: Decision, busy: Memo<bool>) -> impl IntoView {
    let (verdict, class) = match decision.outcome {
        Outcome::Allow => ("Allowed".to_string(), "try-result outcome-allow"),
        Outcome::Confirm => (
            match decision.confirmation_by {
                Some(by) => format!(
                    "Needs confirmation by {}",
                    if by.as_str() == "customer" { "the customer" } else { "staff" }
                ),
                None => "Needs confirmation".to_string(),
            },
            "try-result outcome-confirm",
        ),
        Outcome::Deny => ("Refused".to_string(), "try-result outcome-deny"),
    };
    let icon = match decision.outcome {
        Outcome::Allow => "✓",
        Outcome::Confirm => "?",
        Outcome::Deny => "✕",
    };
    let steps = decision
        .trace
        .iter()
        .map(|s| {
            let (mark, cls, words) = match (s.passed, s.outcome) {
                (true, _) => ("✓", "step step-passed", "passed"),
                (false, Some(Outcome::Confirm)) => ("?", "step step-confirm", "asks for confirmation"),
                (false, _) => ("✕", "step step-failed", "failed"),
            };
            view! {
                <li class=cls>
                    <span class="step-mark" aria-hidden="true">{mark}</span>
                    <span class="step-body">
                        <code class="step-check">{s.check.clone()}</code>
                        <span class="badge badge-muted step-level">{level_short_name(s.level)}</span>
                        <span class="sr-only">{format!(" {words}: ")}</span>
                        <span class="step-detail">{s.detail.clone()}</span>
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="try-output" aria-busy=move || busy.get().to_string()>
            <div class=class data-testid="try-outcome" data-outcome=decision.outcome.as_str() role="status" aria-live="polite">
                <span class="try-icon" aria-hidden="true">{icon}</span>
                <div>
                    <p class="try-verdict">{verdict}</p>
                    <p class="try-reason" data-testid="try-reason">{decision.reason.clone()}</p>
                    {decision.code.clone().map(|c| view! { <p class="try-code"><code>{c}</code></p> })}
                </div>
            </div>
            <h3 class="try-trace-title">"How it was decided"</h3>
            <ol class="try-trace" data-testid="try-trace">{steps}</ol>
        </div>
    }
    .into_any()
}
