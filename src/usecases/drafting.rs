//! Drafting a ruling in session (every item decided, fined items priced exactly inside
//! their note's range, the demolition period set) and the voting members' signatures.

use serde_json::json;
use shahr_domain::{
    actors::{Actor, Role},
    decisions::{
        check_demolition_period, decide, orders_demolition, CaseItem, EngineerReferral, ItemChoice,
    },
    fines::ItemFacts,
    identifiers::NationalId,
    jalali::JalaliDate,
    money::Rials,
    sealed::{DecidedItem, DraftContent},
    session::{check_draft, DraftShape},
    signing::content_hash,
    vocabulary::{
        AppealOutcome, BreachedPrinciple, CaseStatus, InterimReturn, ItemOutcome, RulingKind,
        RulingStage,
    },
};
use shahr_urbanism::cases::{drafts::Draft, wire_name};

use super::{
    bad, conflict, conflict_in, policy, sitting::terms, steps::audit_entry, today, Article100,
    State, UseCaseError,
};
use crate::auth::Principal;

/// What the commission decides.
#[derive(Debug, Clone)]
pub struct DraftRuling {
    /// The sitting.
    pub session_id: i64,
    /// The case.
    pub case_id: i32,
    /// The kind (main outcome).
    pub kind: RulingKind,
    /// The text.
    pub text: String,
    /// The legal basis.
    pub legal_basis: Option<String>,
    /// For demolition.
    pub breached_principle: Option<BreachedPrinciple>,
    /// For appeals.
    pub appeal_outcome: Option<AppealOutcome>,
    /// For interim orders.
    pub interim_return: Option<InterimReturn>,
    /// Items decided other than by the ruling's kind, and fined items' coefficients.
    pub items: Vec<ItemChoice>,
    /// The owner's demolition period, in days (Note 1).
    pub demolition_period_days: Option<u32>,
    /// Note 7.
    pub engineer_referral: Option<EngineerReferral>,
}

impl Article100 {
    /// Drafts the ruling of a case on a sitting's agenda; a newer draft replaces the older
    /// one (its signatures lapse). The secretary of the sitting's commission.
    pub async fn draft_ruling(
        &self,
        p: &Principal,
        input: DraftRuling,
        key: Option<&shahr_store::idempotency::Key>,
    ) -> Result<Draft, UseCaseError> {
        let actor = Actor::person(&p.subject, Role::CommissionSecretary);
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, key).await? {
            return super::keys::decode(&done);
        }
        let session = self
            .db
            .session_in(&*tx, input.session_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        if !policy::is_secretary_of(p, session.commission_id) {
            return Err(policy::sitting_refusal(p, session.commission_id));
        }
        if !session.case_ids.contains(&input.case_id) {
            return Err(bad(
                "case",
                "this case is not on the session's agenda",
                "این پرونده در دستور جلسه نیست.",
            ));
        }
        let locked = self
            .db
            .lock_case(&*tx, input.case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let expected = match session.stage {
            RulingStage::Primary => CaseStatus::InSession,
            RulingStage::Appeal => CaseStatus::Appealed,
        };
        if locked.case.status != expected {
            return Err(conflict_in(
                locked.case.status,
                format!(
                    "a ruling is drafted while the case is {}",
                    wire_name(expected)
                ),
                "پیش‌نویس رأی فقط برای پرونده در حال رسیدگی تهیه می‌شود.",
            ));
        }
        let items = self.db.items_in(&*tx, input.case_id).await?;
        let case_items: Vec<CaseItem> = items
            .iter()
            .map(|i| CaseItem {
                id: i.id,
                note: i.note,
            })
            .collect();
        let decisions = decide(input.kind, &case_items, &input.items)
            .map_err(|e| rule_error(e.field, e.message))?;
        let text = shahr_domain::text::normalise(input.text.trim());
        check_draft(&DraftShape {
            stage: session.stage,
            kind: input.kind,
            breached_principle: input.breached_principle,
            appeal_outcome: input.appeal_outcome,
            interim_return: input.interim_return,
            orders_demolition: orders_demolition(&decisions),
            text: text.clone(),
        })
        .map_err(|e| rule_error(e.field, e.message))?;
        check_demolition_period(
            &decisions,
            input.demolition_period_days,
            self.rules.max_demolition_days,
        )
        .map_err(|e| rule_error(e.field, e.message))?;
        let year = JalaliDate::from_gregorian(locked.case.detected_on.unwrap_or_else(today)).year();
        let fined = decisions.iter().any(|d| d.outcome == ItemOutcome::Fine);
        let (tv, gw) = match (fined, locked.district, locked.block) {
            (true, Some(d), Some(b)) => self.db.values_in(&*tx, year, d, b).await?,
            _ => (None, None),
        };
        let mut decided = Vec::with_capacity(decisions.len());
        for d in &decisions {
            let item = items
                .iter()
                .find(|i| i.id == d.item_id)
                .ok_or(UseCaseError::NotFound)?;
            let field = |name: &str| match input.items.iter().position(|c| c.item_id == d.item_id) {
                Some(i) => format!("items[{i}].{name}"),
                None => "items".to_owned(),
            };
            let mut out = DecidedItem {
                item_id: d.item_id,
                note: d.note,
                outcome: d.outcome,
                coefficient: d.coefficient,
                fine_rials: None,
                arithmetic: None,
                arithmetic_fa: None,
            };
            if let (ItemOutcome::Fine, Some(note)) = (d.outcome, d.note) {
                let facts = ItemFacts {
                    note,
                    area: item.excess_area(),
                    parking_spaces: item
                        .parking_spaces
                        .and_then(|p| u32::try_from(p).ok())
                        .unwrap_or(0),
                    transaction_value: tv,
                    goodwill_value: gw,
                    coefficient: d.coefficient,
                };
                let line = self.rules.fines.fine(&facts).map_err(|e| {
                    let name = if e.is_about_coefficient() {
                        "coefficient"
                    } else {
                        "item"
                    };
                    bad(
                        field(name),
                        format!("item {}: {e}", d.item_id),
                        fine_error_fa(e),
                    )
                })?;
                out.fine_rials = Some(line.rials.get());
                out.arithmetic = Some(line.arithmetic);
                out.arithmetic_fa = Some(line.arithmetic_fa);
            }
            decided.push(out);
        }
        let fines: Vec<Rials> = decided
            .iter()
            .filter_map(|d| d.fine_rials)
            .filter_map(|f| Rials::new(f).ok())
            .collect();
        let fine_rials = if fines.is_empty() {
            None
        } else {
            Some(
                Rials::sum(fines)
                    .map_err(|_| {
                        bad(
                            "items",
                            "the total fine is too large to record",
                            "جمع جریمه بیش از حد قابل ثبت است.",
                        )
                    })?
                    .get(),
            )
        };
        let appeal_of = match session.stage {
            RulingStage::Appeal => self
                .db
                .primary_ruling(&*tx, input.case_id)
                .await?
                .map(|r| r.ruling_id),
            RulingStage::Primary => None,
        };
        let content = DraftContent {
            case_id: input.case_id,
            session_id: input.session_id,
            commission_id: session.commission_id,
            stage: session.stage,
            kind: input.kind,
            text,
            legal_basis: input
                .legal_basis
                .as_deref()
                .map(|b| shahr_domain::text::normalise(b.trim()))
                .filter(|b| !b.is_empty()),
            breached_principle: input.breached_principle,
            appeal_outcome: input.appeal_outcome,
            interim_return: input.interim_return,
            items: decided,
            fine_rials,
            demolition_period_days: input.demolition_period_days,
            engineer_referral: input.engineer_referral,
            appeal_of,
        };
        let content_json = serde_json::to_value(&content).unwrap_or_default();
        let hash = content_hash(&content_json);
        self.db
            .replace_drafts(&*tx, input.session_id, input.case_id)
            .await?;
        let draft_id = self
            .db
            .insert_draft(&*tx, &content, &content_json, &hash, &actor.subject)
            .await?;
        audit_entry(
            &*tx,
            &actor,
            "draftRuling",
            vec![
                format!("draft:{draft_id}"),
                format!("case:{}", input.case_id),
            ],
            "ok",
            json!({ "contentHash": hash, "kind": input.kind }),
        )
        .await?;
        let draft = self
            .db
            .draft_in(&*tx, draft_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let answer = { draft };
        super::keys::complete(&*tx, key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// A voting member signs a draft: found by national id among the serving members of the
    /// draft's commission; a member who sat on the case's primary ruling (signed it here, or
    /// was on its commission on its date) may not sign its appeal. Signing again changes
    /// nothing.
    pub async fn sign_ruling(
        &self,
        p: &Principal,
        draft_id: i64,
        signer: &NationalId,
    ) -> Result<Draft, UseCaseError> {
        let actor = Actor::person(&p.subject, Role::CommissionMember);
        let today = today();
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        if !self.db.lock_draft(&*tx, draft_id).await? {
            return Err(UseCaseError::NotFound);
        }
        let draft = self
            .db
            .draft_in(&*tx, draft_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        if p.commission_id != Some(draft.content.commission_id) {
            return Err(UseCaseError::Forbidden(
                "only members of this commission sign its rulings".into(),
            ));
        }
        if draft.issued_ruling_id.is_some() {
            return Err(conflict(
                State::of_draft(&draft),
                "this draft is already issued; it takes no more signatures",
                "این رأی پیش‌تر صادر شده است و امضای دیگری نمی‌پذیرد.",
            ));
        }
        if draft.replaced {
            return Err(conflict(
                State::of_draft(&draft),
                "a newer draft replaced this one; sign the newer draft",
                "پیش‌نویس جدیدتری جایگزین این پیش‌نویس شده است؛ پیش‌نویس جدید را امضا کنید.",
            ));
        }
        let records = self
            .db
            .member_terms(&*tx, &[draft.content.commission_id])
            .await?;
        let serving = terms(&records, true, today);
        let member = records.iter().find_map(|m| {
            let seat = m.seat.filter(|s| s.is_voting())?;
            let serves = serving
                .iter()
                .any(|t| m.national_id.as_ref() == Some(&t.national_id) && t.covers(today));
            (m.national_id.as_ref() == Some(signer) && m.active && serves)
                .then_some((m.member_id, seat))
        });
        let Some((member_id, seat)) = member else {
            return Err(UseCaseError::Forbidden(
                "only a serving voting member of this commission signs its rulings".into(),
            ));
        };
        if draft.content.stage == RulingStage::Appeal
            && self
                .primary_sitters(&*tx, draft.content.case_id)
                .await?
                .contains(signer)
        {
            return Err(UseCaseError::Forbidden(
                "a member who sat on the primary ruling may not sit on its appeal".into(),
            ));
        }
        if let Some(existing) = draft.signatures.iter().find(|s| s.seat == seat) {
            if existing.member_id == member_id {
                return Ok(draft);
            }
            return Err(conflict(
                State::of_draft(&draft),
                "another member already signed for this seat",
                "عضو دیگری برای این سمت امضا کرده است.",
            ));
        }
        self.db
            .insert_signature(
                &*tx,
                draft_id,
                member_id,
                signer,
                seat,
                &draft.content_hash,
                &actor.subject,
            )
            .await?;
        audit_entry(
            &*tx,
            &actor,
            "signRuling",
            vec![format!("draft:{draft_id}"), format!("member:{member_id}")],
            "ok",
            json!({ "contentHash": draft.content_hash, "seat": seat }),
        )
        .await?;
        let draft = self
            .db
            .draft_in(&*tx, draft_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        tx.commit().await?;
        Ok(draft)
    }
}

/// A refusal of the domain's drafting rules, with a Persian message.
fn rule_error(field: String, message: String) -> UseCaseError {
    let fa = match field.as_str() {
        f if f.ends_with("outcome") => "قلم تبصره ۶ (تجاوز به معبر) همواره به قلع بنا محکوم می‌شود.",
        f if f.ends_with("coefficient") => "ضریب جریمه را در محدوده تبصره مربوط تعیین کنید.",
        "breachedPrinciple" => "رأی قلع بنا باید اصل نقض‌شده (فنی، بهداشتی یا شهرسازی) را ذکر کند.",
        "demolitionPeriodDays" => "مهلت قلع بنا را در رأی تعیین کنید (حداکثر دو ماه).",
        "appealOutcome" => "رأی تجدیدنظر باید تأیید، نقض یا اصلاح رأی بدوی را مشخص کند.",
        "interimReturn" => "قرار باید مشخص کند پرونده به کجا بازمی‌گردد.",
        "text" => "متن رأی را وارد کنید (حداکثر ۸۰۰۰ نویسه).",
        "kind" => "نوع رأی باید با نتیجه اقلام سازگار باشد.",
        _ => "تصمیم درباره اقلام تخلف نامعتبر است.",
    };
    bad(field, message, fa)
}

fn fine_error_fa(e: shahr_domain::fines::FineError) -> &'static str {
    use shahr_domain::fines::FineError as E;
    match e {
        E::CoefficientOutOfRange { .. } => "ضریب خارج از محدوده قانونی تبصره است (تبصره ۲: یک‌دوم تا سه برابر، تبصره ۳: دو تا چهار برابر، تبصره ۵: یک تا دو برابر).",
        E::CoefficientMissing => "برای این قلم ضریب جریمه را تعیین کنید.",
        E::CoefficientNotApplicable => "جریمه تبصره ۴ را قانون تعیین کرده است؛ ضریبی وارد نکنید.",
        E::DemolitionOnly => "تبصره ۶ جریمه ندارد و به قلع بنا منجر می‌شود.",
        E::NoTransactionValue => "ارزش معاملاتی سال و بلوک پرونده ثبت نشده است.",
        E::NoParkingSpaces => "تعداد پارکینگ کسری این قلم ثبت نشده است.",
        E::NoArea => "این قلم مساحت مازاد بر پروانه ندارد.",
        E::Overflow => "مبلغ جریمه بیش از حد قابل ثبت است.",
    }
}
