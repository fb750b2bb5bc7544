//! The intake page: drop or pick a share pack, see it parsed and every finding in place.
//!
//! Works without JavaScript: the drop zone is a plain multipart form posting to the upload
//! server function, which redirects to the upload's page. With JavaScript, dropping or picking a
//! file uploads it at once and the router moves to that page without a reload.

pub mod api;
pub(crate) mod report;
#[cfg(feature = "ssr")]
pub mod ssr;

use crate::components::{not_found, FormError};
use api::{get_upload, UploadPack};
use leptos::ev::{DragEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::wasm_bindgen::JsCast;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;
use report::Report;
use web_sys::{File, FormData, HtmlFormElement, HtmlInputElement};

#[component]
pub fn IntakePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id"));
    let only_errors = Memo::new(move |_| query.read().get("only").as_deref() == Some("errors"));
    let plan_filter = Memo::new(move |_| query.read().get("plan"));
    let upload = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_upload(id).await,
                None => Ok(None),
            }
        },
    );
    view! {
        <section class="intro">
            <h1>"Validate a share pack"</h1>
            <Show when=move || id.get().is_none()>
                <p class="lead">
                    "Drop a YAML or Excel share pack to check it cell by cell before anything reaches Databricks. "
                    "Every problem names its sheet and cell, or its line, and says how to fix it. "
                    "A valid pack gets a plan of exactly what will change; submit it and watch each step being applied."
                </p>
            </Show>
        </section>
        <FormError/>
        <DropZone compact=Signal::derive(move || id.get().is_some())/>
        <Suspense fallback=|| view! { <p class="loading">"Reading the share pack…"</p> }>
            {move || Suspend::new(async move {
                match (id.get(), upload.await) {
                    (None, _) => ().into_any(),
                    (Some(_), Ok(Some(view))) => view! { <Report upload=view only_errors plan_filter/> }.into_any(),
                    (Some(_), Ok(None)) => {
                        not_found();
                        view! {
                            <section class="card empty" id="report">
                                <h2>"No such upload"</h2>
                                <p>"This upload does not exist or has expired. Drop the file again above."</p>
                            </section>
                        }
                        .into_any()
                    }
                    (Some(_), Err(error)) => view! {
                        <section class="card alert" id="report">
                            <h2>"The upload could not be shown"</h2>
                            <p>{error.to_string()}</p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
        <Show when=move || id.get().is_none()>
            <Templates/>
        </Show>
    }
}

/// The drop zone: a multipart form that JavaScript enhances with drag and drop.
/// `compact` once a report is shown below it, so the report is what the eye meets.
#[component]
fn DropZone(compact: Signal<bool>) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let chosen = RwSignal::new(None::<String>);
    let upload = Action::new_local(|form: &FormData| {
        let form = form.clone();
        async move { api::upload_pack(form.into()).await }
    });
    let picker = NodeRef::<leptos::html::Select>::new();
    let info = Resource::new_blocking(|| (), |_| api::portal_info());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = upload.value().get() {
            navigate(&format!("/uploads/{id}"), NavigateOptions::default());
        }
    });
    let send = move |file: File| {
        let Ok(form) = FormData::new() else { return };
        if let Some(select) = picker.get() {
            let _ = form.append_with_str("workspace", &select.value());
        }
        if form.append_with_blob_and_filename("file", &file, &file.name()).is_ok() {
            chosen.set(Some(file.name()));
            upload.dispatch_local(form);
        }
    };
    let on_drop = move |event: DragEvent| {
        event.prevent_default();
        dragging.set(false);
        if let Some(file) = event.data_transfer().and_then(|transfer| transfer.files()).and_then(|files| files.get(0)) {
            send(file);
        }
    };
    let on_change = move |event: leptos::ev::Event| {
        let input = event.target().and_then(|target| target.dyn_into::<HtmlInputElement>().ok());
        if let Some(file) = input.as_ref().and_then(|input| input.files()).and_then(|files| files.get(0)) {
            send(file);
        }
        if let Some(input) = input {
            input.set_value("");
        }
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let form = event.target().and_then(|target| target.dyn_into::<HtmlFormElement>().ok());
        if let Some(data) = form.and_then(|form| FormData::new_with_form(&form).ok()) {
            if let Some(file) = data.get("file").dyn_into::<File>().ok().filter(|file| !file.name().is_empty()) {
                send(file);
            }
        }
    };
    let pending = upload.pending();
    let failure = move || match upload.value().get() {
        Some(Err(error)) => Some(error.to_string().trim_start_matches("error running server function: ").to_string()),
        _ => None,
    };
    view! {
        <form
            class="dropzone"
            class:dragging=move || dragging.get()
            class:busy=move || pending.get()
            class:compact=move || compact.get()
            method="post"
            action=UploadPack::url()
            enctype="multipart/form-data"
            on:submit=on_submit
            on:dragover=move |event: DragEvent| {
                event.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <div class="dropzone-icon" aria-hidden="true">"⇪"</div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    info.await.ok().filter(|info| info.workspaces.len() > 1).map(|info| view! {
                        <label class="picker">
                            "Plan against "
                            <select name="workspace" node_ref=picker>
                                {info.workspaces.into_iter().map(|(name, url, sandbox)| {
                                    let selected = url == info.workspace_url;
                                    let label = if sandbox { format!("{name} (sandbox)") } else { name };
                                    view! { <option value=url selected=selected>{label}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    })
                })}
            </Suspense>
            <label for="pack-file" class="dropzone-label">
                <strong>{move || if compact.get() { "Drop another share pack" } else { "Drop a share pack here" }}</strong>
                <span>" or choose a file"</span>
            </label>
            <input id="pack-file" type="file" name="file" accept=".yaml,.yml,.xlsx,.json" required on:change=on_change/>
            <button type="submit" class="button primary">"Validate"</button>
            <p class="muted">"YAML (.yaml, .yml) or Excel (.xlsx) · up to 10 MiB"</p>
            <Show when=move || pending.get()>
                <p class="status" role="status">"Reading " {move || chosen.get().unwrap_or_default()} "…"</p>
            </Show>
            {move || failure().map(|message| view! { <p class="status error" role="alert">{message}</p> })}
        </form>
    }
}

/// Templates and samples to start from.
#[component]
pub fn Templates() -> impl IntoView {
    let samples = [
        ("valid/finance.yaml", "Finance pack (YAML)", "Two recipients, two shares: the seed's example."),
        ("valid/finance.xlsx", "Finance pack (Excel)", "The same pack as a workbook."),
        ("valid/sales.yaml", "Sales pack (YAML)", "One partner, one share of two tables."),
        ("valid/sales.xlsx", "Sales pack (Excel)", "The same pack as a workbook."),
        ("valid/minimal.yaml", "Minimal pack", "The least a share pack needs."),
        ("invalid/recipients.yaml", "A pack with mistakes", "See what Sharepack reports."),
    ];
    view! {
        <section class="card" id="templates">
            <h2>"Start from a template"</h2>
            <div class="template-grid">
                <a class="template" href="/templates/sharepack-template.xlsx" download rel="external">
                    <span class="badge excel">"XLSX"</span>
                    <strong>"Excel template"</strong>
                    <span class="muted">"Sheets for metadata, recipients, shares, data objects and pipelines, with notes and dropdowns."</span>
                </a>
                <a class="template" href="/templates/sharepack-template.yaml" download rel="external">
                    <span class="badge yaml">"YAML"</span>
                    <strong>"YAML template"</strong>
                    <span class="muted">"Every field, commented."</span>
                </a>
            </div>
            <h3>"Samples"</h3>
            <ul class="samples">
                {samples
                    .into_iter()
                    .map(|(path, title, about)| {
                        view! {
                            <li>
                                <a href=format!("/samples/{path}") download rel="external">{title}</a>
                                <span class="muted">" · " {about}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p class="muted">
                "Automating? The same checks answer over HTTP: "
                <code>"curl -F file=@pack.yaml " {"<portal>"} "/workflow/sharepack/validate"</code>
            </p>
        </section>
    }
}
