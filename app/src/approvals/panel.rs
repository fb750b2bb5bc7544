//! The approval panel of a run's page: what the plan needs and why, who may approve, who
//! decided what; while it waits, the plan itself (in plain words and as actions, with its
//! findings), what changed since an earlier approval, how the pack differs from its previous
//! version, and for an approver the decision form. Plain forms: they work without JavaScript.

use super::api::{ApproveRun, RejectRun};
use crate::components::when;
use crate::intake::report::PlanActions;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use sharepack_engine::records::{Decision, RunStatus};
use sharepack_engine::views::{ApprovalView, RunView};

#[component]
pub fn ApprovalPanel(run: Signal<RunView>) -> impl IntoView {
    move || {
        let run = run.get();
        let approval = run.approval.clone()?;
        let waiting = run.status == RunStatus::AwaitingApproval;
        Some(view! {
            <section class="card approval" id="approval" data-waiting=waiting.to_string() data-approved=approval.approved data-needed=approval.needed>
                <h2>{if waiting { "Waiting for approval" } else { "Approval" }}</h2>
                <Needs approval=approval.clone() waiting/>
                <Decisions approval=approval.clone()/>
                {approval.changes.clone().filter(|changes| !changes.is_empty()).map(|changes| view! {
                    <div class="plan-changed" id="plan-changed" role="status">
                        <h3>"The plan changed since it was approved"</h3>
                        <p class="hint">"The workspace moved on between the approval and the apply, so nothing was applied on the earlier approval. This is what differs:"</p>
                        <ChangeList title="Now also in the plan" items=changes.added/>
                        <ChangeList title="No longer in the plan" items=changes.dropped/>
                        <ChangeList title="Changed in the workspace" items=changes.state/>
                    </div>
                })}
                {approval.can_decide.then(|| view! { <DecisionForm run_id=run.id.clone() digest=approval.plan_digest.clone()/> })}
                {approval.cannot.clone().map(|why| view! { <p class="muted cannot-decide">{why}</p> })}
            </section>
            {approval.plan.clone().map(|plan| view! {
                <section class="card" id="plan">
                    <h2>"The plan to approve"</h2>
                    <p class="hint">"Exactly what the workers will change in " <code>{run.workspace_url.clone()}</code> ", computed from the workspace as it was when the plan was made."</p>
                    {(!plan.findings.is_empty()).then(|| view! {
                        <ul class="finding-list plan-findings">
                            {plan.findings.iter().map(|finding| view! {
                                <li class=format!("finding {}", finding.severity.as_str()) data-code=finding.code.clone()>
                                    <span class=format!("sev {}", finding.severity.as_str())>{finding.severity.as_str()}</span>
                                    " " {finding.message.clone()}
                                </li>
                            }).collect_view()}
                        </ul>
                    })}
                    <ul class="story">{plan.story.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ul>
                    <PlanActions actions=plan.changes().cloned().collect() filter=Memo::new(|_| None) linked=false/>
                </section>
            })}
            {(waiting && approval.previous_upload.is_some()).then(|| view! { <PackChanges approval=approval.clone()/> })}
        }
        .into_any())
    }
}

#[component]
fn Needs(approval: ApprovalView, waiting: bool) -> impl IntoView {
    let who = if approval.admin { ", one of them an administrator's" } else { "" };
    let approvers = approval.approvers.clone();
    view! {
        <p class="needs">
            <strong>{format!("{} of {} approval{}", approval.approved, approval.needed, if approval.needed == 1 { "" } else { "s" })}</strong>
            {who}
        </p>
        <ul class="why">{approval.why.iter().map(|why| view! { <li>{why.clone()}</li> }).collect_view()}</ul>
        {waiting.then(|| view! {
            <p class="approvers">
                "Who can approve: "
                {if approvers.is_empty() {
                    view! { <strong class="status error">"nobody yet — an administrator must give someone the approver role on this business line"</strong> }.into_any()
                } else {
                    approvers.into_iter().map(|(email, admin)| view! {
                        <span class="approver" data-email=email.clone()>{email.clone()} {admin.then_some(" (administrator)")}</span>
                    }).collect_view().into_any()
                }}
            </p>
        })}
    }
}

#[component]
fn Decisions(approval: ApprovalView) -> impl IntoView {
    (!approval.decisions.is_empty()).then(|| {
        view! {
            <ul class="decisions">
                {approval.decisions.into_iter().map(|decision| {
                    let verb = match decision.decision { Decision::Approved => "approved", Decision::Rejected => "rejected" };
                    view! {
                        <li data-decision=decision.decision.as_str() class:stale=!decision.current>
                            <span class="muted">{when(&decision.at)}</span> " "
                            <strong>{decision.by.clone()}</strong> {decision.as_admin.then_some(" (administrator)")} " " {verb}
                            {(!decision.current).then(|| view! { <span class="muted">" an earlier plan"</span> })}
                            {(!decision.comment.is_empty()).then(|| view! { <span class="comment">" — " {decision.comment.clone()}</span> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn ChangeList(title: &'static str, items: Vec<String>) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <h4>{title}</h4>
            <ul class="changes">{items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}</ul>
        }
    })
}

/// Approve or reject, with a comment (needed to reject). The digest of the plan on the page
/// goes with it: a plan that changed meanwhile is refused, never approved unseen.
#[component]
fn DecisionForm(run_id: String, digest: String) -> impl IntoView {
    view! {
        <form class="decision-form" method="post" action=ApproveRun::url() id="decide">
            <input type="hidden" name="id" value=run_id/>
            <input type="hidden" name="digest" value=digest/>
            <label>"Comment" <textarea name="comment" maxlength="2000" rows="2" placeholder="Optional to approve; say why to reject"></textarea></label>
            <div class="actions">
                <button type="submit" class="button primary approve">"Approve this plan"</button>
                <button type="submit" class="button danger reject" formaction=RejectRun::url()>"Reject"</button>
            </div>
            <p class="hint">"Approving queues the plan for the workers; they re-read the workspace first and ask again if anything changed."</p>
        </form>
    }
}

#[component]
fn PackChanges(approval: ApprovalView) -> impl IntoView {
    let previous = approval.previous_upload.unwrap_or_default();
    view! {
        <section class="card" id="pack-changes">
            <h2>{format!("Changes to the pack since version {previous}")}</h2>
            {if approval.pack_changes.is_empty() {
                view! { <p class="muted">"The pack's content is the same as that version's."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="grid">
                            <thead><tr><th>"Field"</th><th>"Before"</th><th>"After"</th></tr></thead>
                            <tbody>
                                {approval.pack_changes.into_iter().map(|change| view! {
                                    <tr><td><code>{change.field}</code></td><td class="wrap">{change.before.unwrap_or_else(|| "—".into())}</td><td class="wrap">{change.after.unwrap_or_else(|| "—".into())}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
