//! The report of one upload: the verdict, the findings grouped by the record they concern, and
//! the parsed pack (metadata, recipients, shares with their objects, pipelines).

use super::api::SubmitUpload;
use super::api::{Outcome, Preview, UploadView};
use crate::components::FilterLink;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use sharepack_engine::finding::{Finding, FindingCounts, Severity};
use sharepack_engine::model::{DataObject, Recipient, RecipientType, Share, SharePack, SourceFormat};
use sharepack_engine::plan::{Action, ActionKind};
use std::collections::BTreeMap;

#[component]
pub fn Report(upload: UploadView, only_errors: Memo<bool>, #[prop(optional)] plan_filter: Option<Memo<Option<String>>>) -> impl IntoView {
    let plan_filter = plan_filter.unwrap_or_else(|| Memo::new(|_| None));
    let header = view! {
        <div class="report-file">
            <span class="file-name">{upload.file_name.clone()}</span>
            <span class="muted">{sharepack_engine::error::size(upload.size)} " · uploaded " {upload.uploaded_at.replace('T', " ").replace('Z', " UTC")}</span>
            {upload.note.clone().map(|note| view! { <p class="as-of-note" id="upload-note">{format!("This is a {note}: the plan below brings the workspace back to that version's state from what it is now. Submit it to have it approved and run like any upload.")}</p> })}
        </div>
    };
    match upload.outcome.clone() {
        Outcome::Refused { code, message, hint } => view! {
            <section class="card alert" id="report" data-outcome="refused" data-code=code>
                {header}
                <h2>"This file cannot be read as a share pack"</h2>
                <p class="refusal">{message}</p>
                <p class="hint">{hint}</p>
            </section>
        }
        .into_any(),
        Outcome::Read(intake) => {
            let intake = *intake;
            let counts = intake.counts();
            let verdict = verdict(&counts, intake.pack.is_some());
            let format = intake.format;
            let groups = group_findings(&intake.findings, intake.pack.as_ref());
            let excerpts = upload.excerpts.clone();
            let id = upload.id.clone();
            view! {
                <section class="card" id="report" data-outcome="read" data-errors=counts.errors data-warnings=counts.warnings>
                    {header}
                    <div class="verdict" class:ok=counts.errors == 0>
                        <span class=format!("badge {}", format_class(format))>{format.to_string()}</span>
                        <strong>{verdict}</strong>
                    </div>
                    <div class="counts">
                        <Count n=counts.errors label="errors" class="error"/>
                        <Count n=counts.warnings label="warnings" class="warning"/>
                        <Count n=counts.infos label="notes" class="info"/>
                        {intake.pack.as_ref().map(|pack| view! {
                            <Count n=pack.recipients.len() label="recipients" class="plain"/>
                            <Count n=pack.shares.len() label="shares" class="plain"/>
                            <Count n=pack.data_object_count() label="data objects" class="plain"/>
                        })}
                    </div>
                    {(counts.errors > 0).then(|| view! { <SubmitForm id=id.clone() blocked=true removals=0/> })}
                </section>
                {upload.preview.clone().map(|preview| view! { <PlanPreview preview id=upload.id.clone() filter=plan_filter/> })}
                <Findings groups excerpts only_errors id total=intake.findings.len()/>
                {intake.pack.map(|pack| view! { <PackView pack findings=intake.findings.clone()/> })}
            }
            .into_any()
        }
    }
}

#[component]
fn Count(n: usize, label: &'static str, class: &'static str) -> impl IntoView {
    view! {
        <div class=format!("count {class}") data-count=label>
            <span class="count-n">{n}</span>
            <span class="count-label">{label}</span>
        </div>
    }
}

fn verdict(counts: &FindingCounts, has_pack: bool) -> String {
    match (has_pack, counts.errors, counts.warnings) {
        (false, _, _) => "The file could not be read as a share pack".into(),
        (true, 0, 0) => "Valid: ready for planning".into(),
        (true, 0, warnings) => format!("Valid, with {warnings} warning{} to review", plural(warnings)),
        (true, errors, _) => format!("{errors} error{} to fix before this pack can be provisioned", plural(errors)),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn format_class(format: SourceFormat) -> &'static str {
    match format {
        SourceFormat::Yaml => "yaml",
        SourceFormat::Excel => "excel",
    }
}

/// Findings of one record (a recipient, a share, the metadata, a sheet).
#[derive(Clone)]
struct Group {
    label: String,
    anchor: Option<String>,
    findings: Vec<Finding>,
}

/// Groups findings by the record their path starts with (`recipients[2]`), in file order.
fn group_findings(findings: &[Finding], pack: Option<&SharePack>) -> Vec<Group> {
    let mut groups: Vec<(String, Group)> = Vec::new();
    for finding in findings {
        let root = record_of(&finding.at.path);
        let key = if root.is_empty() { finding.at.sheet.clone().unwrap_or_default() } else { root.clone() };
        match groups.iter_mut().find(|(existing, _)| *existing == key) {
            Some((_, group)) => group.findings.push(finding.clone()),
            None => {
                let (label, anchor) = label_of(&root, finding, pack);
                groups.push((key, Group { label, anchor, findings: vec![finding.clone()] }));
            }
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// `recipients[2].allowed_ips[1]` → `recipients[2]`; `metadata.requestor` → `metadata`.
fn record_of(path: &str) -> String {
    let first = path.split('.').next().unwrap_or("");
    if first.starts_with("recipients[") || first.starts_with("shares[") || first.starts_with("pipelines[") || first == "metadata" {
        first.to_string()
    } else {
        String::new()
    }
}

fn index_of(root: &str) -> Option<usize> {
    root.split_once('[')?.1.trim_end_matches(']').parse().ok()
}

fn label_of(root: &str, finding: &Finding, pack: Option<&SharePack>) -> (String, Option<String>) {
    let named = |kind: &str, name: Option<&str>| match name.filter(|name| !name.is_empty()) {
        Some(name) => format!("{kind} {name}"),
        None => format!("{kind} #{}", index_of(root).map(|i| i + 1).unwrap_or(0)),
    };
    let anchor = Some(root.replace(['[', ']'], "-").trim_end_matches('-').to_string());
    if root == "metadata" {
        return ("Metadata".into(), Some("metadata".into()));
    }
    if let Some(index) = root.strip_prefix("recipients[").and(index_of(root)) {
        let name = pack.and_then(|pack| pack.recipients.get(index)).map(|r| r.name.as_str());
        return (named("Recipient", name), anchor);
    }
    if let Some(index) = root.strip_prefix("shares[").and(index_of(root)) {
        let name = pack.and_then(|pack| pack.shares.get(index)).map(|s| s.name.as_str());
        return (named("Share", name), anchor);
    }
    if let Some(index) = root.strip_prefix("pipelines[").and(index_of(root)) {
        let name = pack.and_then(|pack| pack.pipelines.get(index)).map(|p| p.name.as_str());
        return (named("Pipeline", name), anchor);
    }
    match &finding.at.sheet {
        Some(sheet) => (format!("Sheet {sheet}"), None),
        None => ("The file".into(), None),
    }
}

#[component]
fn Findings(groups: Vec<Group>, excerpts: BTreeMap<u32, String>, only_errors: Memo<bool>, id: String, total: usize) -> impl IntoView {
    if total == 0 {
        return view! {
            <section class="card" id="findings">
                <h2>"Findings"</h2>
                <p class="all-clear">"No problems found."</p>
            </section>
        }
        .into_any();
    }
    let groups = StoredValue::new(groups);
    let excerpts = StoredValue::new(excerpts);
    view! {
        <section class="card" id="findings">
            <div class="section-head">
                <h2>"Findings"</h2>
                <div class="filters" role="group" aria-label="Filter findings">
                    <span class:active=move || !only_errors.get()>
                        <FilterLink id=id.clone() only_errors=false>"All"</FilterLink>
                    </span>
                    <span class:active=move || only_errors.get()>
                        <FilterLink id=id.clone() only_errors=true>"Only errors"</FilterLink>
                    </span>
                </div>
            </div>
            {move || {
                let errors_only = only_errors.get();
                let visible: Vec<Group> = groups
                    .get_value()
                    .into_iter()
                    .filter_map(|mut group| {
                        group.findings.retain(|finding| !errors_only || finding.severity == Severity::Error);
                        (!group.findings.is_empty()).then_some(group)
                    })
                    .collect();
                if visible.is_empty() {
                    return view! { <p class="all-clear">"No errors. Warnings and notes are hidden by the filter."</p> }.into_any();
                }
                view! {
                    <div class="finding-groups">
                        {visible
                            .into_iter()
                            .map(|group| {
                                let title = match &group.anchor {
                                    Some(anchor) => view! { <a href=format!("#{anchor}")>{group.label.clone()}</a> }.into_any(),
                                    None => view! { <span>{group.label.clone()}</span> }.into_any(),
                                };
                                view! {
                                    <div class="finding-group">
                                        <h3>{title}</h3>
                                        <ul class="finding-list">
                                            {group
                                                .findings
                                                .into_iter()
                                                .map(|finding| {
                                                    let excerpt = finding.at.line.and_then(|line| excerpts.with_value(|e| e.get(&line).cloned()));
                                                    view! { <FindingItem finding excerpt/> }
                                                })
                                                .collect_view()}
                                        </ul>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </div>
                }
                .into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn FindingItem(finding: Finding, excerpt: Option<String>) -> impl IntoView {
    let severity = finding.severity.as_str();
    view! {
        <li class=format!("finding {severity}") data-code=finding.code.clone() data-severity=severity>
            <span class=format!("sev {severity}")>{severity}</span>
            <code class="loc">{finding.location.clone()}</code>
            <div class="finding-body">
                <p class="message">{finding.message.clone()}</p>
                {finding.hint.clone().map(|hint| view! { <p class="hint">{hint}</p> })}
                {excerpt.map(|line| {
                    let number = finding.at.line.unwrap_or(0);
                    view! { <pre class="excerpt"><span class="ln">{number}</span>{line}</pre> }
                })}
            </div>
        </li>
    }
}

/// Severity of the worst finding under a path prefix, for marking rows.
fn worst(findings: &[Finding], prefix: &str) -> Option<&'static str> {
    let under = |finding: &&Finding| {
        finding.at.path == prefix
            || finding.at.path.starts_with(&format!("{prefix}."))
            || finding.at.path.starts_with(&format!("{prefix}["))
    };
    findings.iter().filter(under).map(|finding| finding.severity).min().map(Severity::as_str)
}

#[component]
fn PackView(pack: SharePack, findings: Vec<Finding>) -> impl IntoView {
    let meta = pack.metadata.clone();
    let strategy = meta.strategy.map(|s| s.as_str().to_string()).unwrap_or_else(|| "detect (not declared)".into());
    let rows = [
        ("Requestor", meta.requestor.clone()),
        ("Project", meta.project_name.clone()),
        ("Business line", meta.business_line.clone()),
        ("Strategy", strategy),
        ("Description", meta.description.clone().unwrap_or_default()),
        ("Workspace", meta.workspace_url.clone().unwrap_or_default()),
    ];
    view! {
        <section class="card" id="metadata">
            <h2>"Metadata"</h2>
            <dl class="meta">
                {rows
                    .into_iter()
                    .filter(|(_, value)| !value.is_empty())
                    .map(|(label, value)| view! { <dt>{label}</dt> <dd>{value}</dd> })
                    .collect_view()}
            </dl>
        </section>
        <section class="card" id="recipients">
            <h2>"Recipients " <span class="muted">"(" {pack.recipients.len()} ")"</span></h2>
            <div class="table-wrap">
                <table class="grid">
                    <thead>
                        <tr><th>"Name"</th><th>"Type"</th><th>"Contact / metastore"</th><th>"Allowed IPs"</th><th>"Token expiry"</th><th>"Comment"</th><th>"Source"</th></tr>
                    </thead>
                    <tbody>
                        {pack.recipients.iter().enumerate().map(|(index, recipient)| recipient_row(index, recipient, &findings)).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card" id="shares">
            <h2>"Shares " <span class="muted">"(" {pack.shares.len()} ")"</span></h2>
            {pack.shares.iter().enumerate().map(|(index, share)| share_card(index, share, &findings)).collect_view()}
        </section>
        {(!pack.pipelines.is_empty()).then(|| view! {
            <section class="card" id="pipelines">
                <h2>"Pipelines " <span class="muted">"(recorded, not provisioned)"</span></h2>
                <div class="table-wrap">
                    <table class="grid">
                        <thead><tr><th>"Name"</th><th>"Type"</th><th>"Schedule"</th><th>"Source"</th><th>"Destination"</th><th>"Source"</th></tr></thead>
                        <tbody>
                            {pack.pipelines.iter().enumerate().map(|(index, pipeline)| view! {
                                <tr id=format!("pipelines-{index}") class=worst(&findings, &format!("pipelines[{index}]")).unwrap_or("")>
                                    <td>{pipeline.name.clone()}</td>
                                    <td>{pipeline.kind.clone()}</td>
                                    <td><code>{pipeline.schedule.clone()}</code></td>
                                    <td>{pipeline.source.clone()}</td>
                                    <td>{pipeline.destination.clone()}</td>
                                    <td><code class="loc">{pipeline.origin.to_string()}</code></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        })}
    }
}

fn recipient_row(index: usize, recipient: &Recipient, findings: &[Finding]) -> impl IntoView {
    let contact = match recipient.kind {
        RecipientType::D2O => recipient.email.clone().unwrap_or_default(),
        RecipientType::D2D => recipient.metastore_id.clone().unwrap_or_default(),
    };
    let kind_title = match recipient.kind {
        RecipientType::D2O => "Open sharing: gets a token and an activation link",
        RecipientType::D2D => "Databricks-to-Databricks: reads from its own workspace",
    };
    view! {
        <tr id=format!("recipients-{index}") class=worst(findings, &format!("recipients[{index}]")).unwrap_or("")>
            <td class="name">{recipient.name.clone()}</td>
            <td><span class="badge type" title=kind_title>{recipient.kind.as_str()}</span></td>
            <td class="wrap">{contact}</td>
            <td class="wrap">{recipient.allowed_ips.join(", ")}</td>
            <td>{recipient.token_expiry.map(|date| date.format("%Y-%m-%d").to_string())}</td>
            <td class="wrap">{recipient.comment.clone()}</td>
            <td><code class="loc">{recipient.origin.to_string()}</code></td>
        </tr>
    }
}

fn share_card(index: usize, share: &Share, findings: &[Finding]) -> impl IntoView {
    let prefix = format!("shares[{index}]");
    view! {
        <article class=format!("share {}", worst(findings, &prefix).unwrap_or("")) id=format!("shares-{index}")>
            <header class="share-head">
                <h3>{share.name.clone()}</h3>
                <code class="loc">{share.origin.to_string()}</code>
            </header>
            {share.comment.clone().map(|comment| view! { <p class="muted">{comment}</p> })}
            <p class="granted">
                "Granted to: "
                {if share.recipients.is_empty() {
                    view! { <span class="muted">"nobody yet"</span> }.into_any()
                } else {
                    share.recipients.iter().map(|name| view! { <span class="chip">{name.clone()}</span> }).collect_view().into_any()
                }}
            </p>
            <div class="table-wrap">
                <table class="grid objects">
                    <thead><tr><th>"Object"</th><th>"Type"</th><th>"Shared as"</th><th>"Options"</th></tr></thead>
                    <tbody>
                        {share.data_objects.iter().take(500).map(object_row).collect_view()}
                    </tbody>
                </table>
            </div>
            {(share.data_objects.len() > 500).then(|| view! {
                <p class="muted">"… and " {share.data_objects.len() - 500} " more objects"</p>
            })}
        </article>
    }
}

fn object_row(object: &DataObject) -> impl IntoView {
    let mut options = Vec::new();
    if object.history_sharing == Some(true) {
        options.push("history".to_string());
    }
    if object.cdf_enabled == Some(true) {
        options.push("change data feed".to_string());
    }
    options.extend(object.partitions.iter().map(|partition| format!("partition {partition}")));
    view! {
        <tr>
            <td class="name">{object.name.clone()}</td>
            <td>{object.kind.as_str()}</td>
            <td>{object.shared_as.clone()}</td>
            <td class="wrap">{options.join("; ")}</td>
        </tr>
    }
}

/// Which actions a plan filter shows.
fn in_filter(action: ActionKind, filter: Option<&str>) -> bool {
    match filter {
        Some("create") => matches!(action, ActionKind::Create | ActionKind::AddObject | ActionKind::Grant),
        Some("update") => matches!(action, ActionKind::Update | ActionKind::UpdateObject),
        Some("remove") => action.is_removal(),
        Some("unchanged") => action == ActionKind::Unchanged,
        _ => true,
    }
}

fn action_label(action: ActionKind) -> (&'static str, &'static str) {
    match action {
        ActionKind::Create => ("create", "create"),
        ActionKind::Update => ("update", "update"),
        ActionKind::AddObject => ("add", "create"),
        ActionKind::UpdateObject => ("update", "update"),
        ActionKind::RemoveObject => ("remove", "remove"),
        ActionKind::Grant => ("grant", "create"),
        ActionKind::Revoke => ("revoke", "remove"),
        ActionKind::Delete => ("delete", "remove"),
        ActionKind::Unchanged => ("unchanged", "unchanged"),
    }
}

/// `recipients[2].email` → `#recipients-2`, the row the action comes from.
fn anchor_of(path: &str) -> Option<String> {
    let root = record_of(path);
    (!root.is_empty() && root != "metadata").then(|| format!("#{}", root.replace(['[', ']'], "-").trim_end_matches('-')))
}

/// What the pack would change in the workspace, before anything happens.
#[component]
fn PlanPreview(preview: Preview, id: String, filter: Memo<Option<String>>) -> impl IntoView {
    let declared = preview.declared.map(|s| s.as_str()).unwrap_or("not declared");
    let strategy = preview.strategy.map(|s| s.as_str()).unwrap_or("unknown");
    let switched = preview.declared.is_some() && preview.declared != preview.strategy;
    let findings = preview.findings.clone();
    let blocked = findings.iter().any(Finding::is_error);
    let actions = StoredValue::new(preview.actions.clone());
    let removals = preview.summary.remove;
    let filters = [
        ("All", None),
        ("Create", Some("create")),
        ("Update", Some("update")),
        ("Remove", Some("remove")),
        ("Unchanged", Some("unchanged")),
    ];
    view! {
        <section class="card" id="plan" data-strategy=strategy data-planned=preview.planned.to_string()>
            <div class="section-head">
                <h2>"Plan for " {preview.workspace_name.clone()} {preview.sandbox.then(|| view! { <span class="badge sandbox-badge">"sandbox"</span> })}</h2>
                <span class="strategy" class:switched=switched>"Strategy " <strong>{strategy}</strong> {(preview.declared.is_none() || switched).then(|| format!(" (declared: {declared})"))}</span>
            </div>
            {(!preview.planned).then(|| view! { <SubmitForm id=id.clone() blocked=true removals=0/> })}
            {(!findings.is_empty()).then(|| view! {
                <ul class="finding-list plan-findings">
                    {findings.into_iter().map(|finding| view! { <FindingItem finding excerpt=None/> }).collect_view()}
                </ul>
            })}
            {preview.planned.then(|| view! {
                <div class="counts">
                    <Count n=preview.summary.create label="to create" class="plain"/>
                    <Count n=preview.summary.update label="to update" class="plain"/>
                    <Count n=preview.summary.remove label="to remove" class="plain"/>
                    <Count n=preview.summary.unchanged label="unchanged" class="plain"/>
                </div>
                <ul class="story">{preview.story.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ul>
                <SubmitForm id=id.clone() blocked removals/>
                <div class="filters" role="group" aria-label="Filter the plan">
                    {filters.into_iter().map(|(label, value)| {
                        let href = match value { Some(value) => format!("/uploads/{id}?plan={value}#plan"), None => format!("/uploads/{id}#plan") };
                        view! { <span class:active=move || filter.get().as_deref() == value><A href=href attr:class="filter">{label}</A></span> }
                    }).collect_view()}
                </div>
                <PlanActions actions=actions.get_value() filter linked=true/>
            })}
        </section>
    }
}

/// The plan's actions as a table: what, why, which fields change, and where in the pack.
/// `linked`: the source cells link to the pack's records on the same page.
#[component]
pub fn PlanActions(actions: Vec<Action>, filter: Memo<Option<String>>, linked: bool) -> impl IntoView {
    let actions = StoredValue::new(actions);
    view! {
        <div class="table-wrap">
            <table class="grid plan-table">
                <thead><tr><th>"Action"</th><th>"What"</th><th>"Why"</th><th>"Changes"</th><th>"Source"</th></tr></thead>
                <tbody>
                    {move || actions.get_value().into_iter().filter(|action| in_filter(action.action, filter.get().as_deref())).map(|action| {
                        let (label, kind) = action_label(action.action);
                        let what = match &action.share {
                            Some(share) => format!("{} in {share}", action.name),
                            None => action.name.clone(),
                        };
                        let resource = format!("{:?}", action.resource_type).to_lowercase().replace("dataobject", "object");
                        let changes = action.changes.iter().map(|change| format!("{}: {} → {}", change.field, change.before.clone().unwrap_or_else(|| "—".into()), change.after.clone().unwrap_or_else(|| "—".into()))).collect::<Vec<_>>().join("; ");
                        let source = match anchor_of(&action.at.path).filter(|_| linked) {
                            Some(anchor) => view! { <a href=anchor><code class="loc">{action.location.clone()}</code></a> }.into_any(),
                            None => view! { <code class="loc">{action.location.clone()}</code> }.into_any(),
                        };
                        view! {
                            <tr data-action=label>
                                <td data-label="Action"><span class=format!("badge action {kind}")>{label}</span></td>
                                <td class="wrap" data-label="What"><span class="muted">{resource} " "</span><strong>{what}</strong></td>
                                <td class="wrap" data-label="Why">{action.reason.clone()} {action.needs_confirmation.then(|| view! { <span class="muted">" (needs your confirmation)"</span> })}</td>
                                <td class="wrap" data-label="Changes">{changes}</td>
                                <td data-label="Source">{source}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Submits the previewed pack. Disabled while the plan has errors; removals (objects leaving a
/// share, revoked grants) are applied only when the box is ticked. A plain form, so it works
/// without JavaScript.
#[component]
fn SubmitForm(id: String, blocked: bool, removals: usize) -> impl IntoView {
    view! {
        <form class="submit-form" method="post" action=SubmitUpload::url() id="submit" data-blocked=blocked.to_string()>
            <input type="hidden" name="id" value=id/>
            {(removals > 0 && !blocked).then(|| view! {
                <label class="confirm-removals">
                    <input type="checkbox" name="confirm_removals" value="true"/>
                    {format!(" Also remove the {removals} item{} marked Remove (objects leaving shares, revoked grants). Unticked, they are kept.", plural(removals))}
                </label>
            })}
            {(!blocked).then(|| view! {
                <label class="start-at">
                    "Start at (UTC, optional) "
                    <input type="datetime-local" name="start_at"/>
                    <span class="hint">" Once approved, the run waits until then. Empty: as soon as it may."</span>
                </label>
            })}
            <button type="submit" class="button primary" disabled=blocked>"Submit for provisioning"</button>
            {if blocked {
                view! { <p class="status error" role="alert">"This pack cannot be submitted until the errors above are fixed."</p> }.into_any()
            } else {
                view! { <p class="hint">"Workers apply the plan step by step; you can follow each step, and cancel, on the next page."</p> }.into_any()
            }}
        </form>
    }
}
