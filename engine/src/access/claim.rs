//! A pack is submitted by whoever is signed in: its `requestor` is that person (filled in when
//! left out; another name is an error where it is written), and its business line must be one
//! they may request for (an error at the business line otherwise). The page's preview, the
//! REST API's validation and submission all apply this one rule.

use super::{Act, Owner, Principal, Via};
use crate::error::{Class, Problem};
use crate::finding::Finding;
use crate::intake::Intake;
use crate::model::Located;

/// Codes of the findings [`claim`] adds.
pub const REQUESTOR_MISMATCH: &str = "requestor_not_you";
pub const BUSINESS_LINE_NOT_HELD: &str = "business_line_not_yours";
/// A recipient or share of another business line's pack (`resources::check_owners`).
pub const OWNED_ELSEWHERE: &str = "owned_by_another_business_line";

/// Codes that refuse a submission outright (403): the pack reaches into what is not the submitter's.
pub fn is_forbidden(code: &str) -> bool {
    code == BUSINESS_LINE_NOT_HELD || code == OWNED_ELSEWHERE
}

/// An earlier version submitted again (a rollback) is requested by whoever submits it now, not
/// by whoever first did: its requestor becomes theirs before [`claim`] applies the rule.
pub fn restate(intake: &mut Intake, by: &Principal) {
    if let (Some(pack), Via::Session | Via::Token { .. }) = (intake.pack.as_mut(), &by.via) {
        pack.metadata.requestor = by.email.clone();
    }
}

/// Applies the rule to a read pack: fills the requestor in, or adds located error findings.
pub fn claim(intake: &mut Intake, by: &Principal) {
    let Some(pack) = intake.pack.as_mut() else { return };
    let meta = &mut pack.metadata;
    let signed_in = matches!(by.via, Via::Session | Via::Token { .. });
    if signed_in {
        if meta.requestor.trim().is_empty() {
            meta.requestor = by.email.clone();
        } else if !meta.requestor.trim().eq_ignore_ascii_case(&by.email) {
            let finding = Finding::error(
                REQUESTOR_MISMATCH,
                meta.at("requestor"),
                format!("The requestor is {}, but you are signed in as {}", meta.requestor.trim(), by.email),
            )
            .hint("Packs are submitted by whoever is signed in: put your own e-mail there, or leave requestor out");
            intake.findings.push(finding);
        }
    }
    if meta.business_line.trim().is_empty() {
        return;
    }
    let owner = Owner { business_line: Some(meta.business_line.as_str()), requested_by: &by.email };
    if let Err(refused) = by.require(Act::Request, Some(&owner)) {
        let mut finding = Finding::error(BUSINESS_LINE_NOT_HELD, meta.at("business_line"), refused.message);
        finding.hint = refused.hint;
        intake.findings.push(finding);
    }
}

/// The first finding [`claim`] (or `resources::check_owners`) added, as the problem that refuses
/// a submission: 403 for what belongs to a business line not held, 400 for someone else's name.
pub fn refusal(intake: &Intake) -> Option<Problem> {
    intake.findings.iter().find(|finding| is_forbidden(&finding.code) || finding.code == REQUESTOR_MISMATCH).map(|finding| {
        let class = if is_forbidden(&finding.code) { Class::Forbidden } else { Class::Invalid };
        let mut problem = Problem::new(class, &finding.code, finding.message.clone());
        problem.hint = finding.hint.clone();
        problem.location = Some(finding.location.clone());
        problem
    })
}
