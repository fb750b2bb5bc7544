use leptos::prelude::*;
use sharepack_engine::records::Tone;

/// A status as a coloured badge; `data-status` keeps the machine form for tests and scripts.
#[component]
pub fn StatusBadge(status: &'static str, tone: Tone) -> impl IntoView {
    let class = format!("badge run-status {}", tone.class());
    let label = status.replace('_', " ").to_lowercase();
    view! { <span class=class data-status=status>{label}</span> }
}
