//! Issuing a signed draft. The ruling's number and legacy row id are reserved first in a
//! short transaction of their own (keyed by the idempotency key); the dadnameh is rendered,
//! hashed and the content signed with no lock held; then one transaction locks the case and
//! writes the legacy rows, the signed record and its document, the parties to serve, the
//! state, the outbox event, the audit entry and the parties' messages.

use chrono::Utc;
use sha2::{Digest, Sha256};
use shahr_domain::{
    actors::{Actor, Role},
    cases::CaseEvent,
    events::{self, DomainEvent},
    parties::Party,
    sealed::{SealedContent, SessionRecord, Signer},
    session::missing_seats,
    vocabulary::{
        AppealOutcome, InterimReturn, MemberRole, NotificationMode, RulingKind, RulingStage,
        RulingStatus,
    },
};
use shahr_store::StoreError;
use shahr_urbanism::{
    cases::{
        drafts::Draft,
        issue::{legacy_fields, Reservation},
        service::{Document, NewService, RulingFacts},
    },
    Visibility,
};

use super::{
    bad, conflict, policy,
    steps::{mobiles, party_records, step, tell_parties, Message},
    today, Article100, State, UseCaseError,
};
use crate::{auth::Principal, documents::dadnameh, hologram};

mod document;

/// An issued ruling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The legacy ruling row.
    pub legacy_ruling_id: i32,
    /// The signed record.
    pub record_id: i64,
    /// The number.
    pub number: String,
    /// The verification code.
    pub verification_code: String,
    /// False when an earlier call with the same key issued it.
    pub created: bool,
}

fn already(done: shahr_urbanism::cases::issue::IssuedByKey) -> Issued {
    Issued {
        legacy_ruling_id: done.legacy_ruling_id,
        record_id: done.record_id,
        number: done.number,
        verification_code: done.verification_code,
        created: false,
    }
}

fn reused() -> UseCaseError {
    UseCaseError::IdempotencyKeyReused(
        "this idempotency key was used to issue another ruling".into(),
    )
}

fn check_ready(draft: &Draft) -> Result<(), UseCaseError> {
    if draft.issued_ruling_id.is_some() {
        return Err(conflict(
            State::of_draft(draft),
            "this draft is already issued (with another idempotency key)",
            "این رأی پیش‌تر با شناسه درخواست دیگری صادر شده است.",
        ));
    }
    if draft.replaced {
        return Err(conflict(
            State::of_draft(draft),
            "a newer draft replaced this one; issue the newer draft",
            "پیش‌نویس جدیدتری جایگزین این پیش‌نویس شده است؛ پیش‌نویس جدید را صادر کنید.",
        ));
    }
    let seats: Vec<MemberRole> = draft.signatures.iter().map(|s| s.seat).collect();
    let missing = missing_seats(&seats);
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|m| m.label_fa()).collect();
        return Err(UseCaseError::Conflict {
            message: format!(
                "the ruling needs the signatures of all three voting members; missing: {}",
                names.join("، ")
            ),
            message_fa: Some(format!("امضای اعضای زیر لازم است: {}", names.join("، "))),
            current: State::of_draft(draft),
        });
    }
    Ok(())
}

impl Article100 {
    /// Issues a draft signed by the three voting members (`only` restricts it to one stage).
    /// The same key returns the same ruling, also when two calls race; the same key for
    /// another draft is `IdempotencyKeyReused`. The secretary of the draft's commission.
    pub async fn issue_ruling(
        &self,
        p: &Principal,
        draft_id: i64,
        key: &str,
        only: Option<RulingStage>,
        public_base_url: &str,
    ) -> Result<Issued, UseCaseError> {
        let actor = Actor::person(&p.subject, Role::CommissionSecretary);
        let client = self.db.pool().get().await?;
        let draft = self
            .db
            .draft_in(&**client, draft_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let c = draft.content.clone();
        if !policy::is_secretary_of(p, c.commission_id) {
            return Err(policy::sitting_refusal(p, c.commission_id));
        }
        if only.is_some_and(|st| st != c.stage) {
            return Err(bad(
                "draft",
                "this draft is not an appeal ruling; issue it with issueRuling",
                "این پیش‌نویس رأی تجدیدنظر نیست.",
            ));
        }
        if let Some(done) = self.db.issued_by_key(&**client, key).await? {
            return if done.draft_id == Some(draft_id) {
                Ok(already(done))
            } else {
                Err(reused())
            };
        }
        check_ready(&draft)?;

        // 1. The number and legacy id, in a short transaction of their own. No connection is
        // held while another is taken from the pool (the lookups below, the rendering): with
        // as many issues at once as the pool has connections, none could go on.
        let reserved = self.db.reservation(&**client, key).await?;
        drop(client);
        let reservation = match reserved {
            Some(r) => r,
            None => {
                let district = self
                    .db
                    .cases_by_ids(&[c.case_id], &Visibility::All)
                    .await?
                    .first()
                    .map(|case| case.parcel_id);
                let district = match district {
                    Some(parcel) => self
                        .db
                        .parcels_by_ids(&[parcel], &Visibility::All)
                        .await?
                        .first()
                        .and_then(|p| p.district)
                        .unwrap_or(0),
                    None => 0,
                };
                let mut client = self.db.pool().get().await?;
                let tx = client.transaction().await?;
                let r = self
                    .db
                    .reserve(
                        &*tx,
                        key,
                        draft_id,
                        district,
                        today(),
                        &self.rules.ruling_number,
                        &actor.subject,
                    )
                    .await?;
                tx.commit().await?;
                r
            }
        };
        if reservation.draft_id != draft_id {
            return Err(reused());
        }

        // 2. Render, hash and sign, holding no lock.
        let mut record = self
            .seal(&draft, &reservation, key, &actor, public_base_url)
            .await?;

        // 3. One transaction under the case's lock.
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        let mut locked = self
            .db
            .lock_case(&*tx, c.case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        if let Some(done) = self.db.issued_by_key(&*tx, key).await? {
            return if done.draft_id == Some(draft_id) {
                Ok(already(done))
            } else {
                Err(reused())
            };
        }
        let draft = self
            .db
            .draft_in(&*tx, draft_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        check_ready(&draft)?;
        let event = match (c.stage, c.kind, c.interim_return) {
            (RulingStage::Appeal, _, _) => CaseEvent::IssueAppealRuling,
            (_, RulingKind::InterimOrder, Some(InterimReturn::ExpertReview)) => {
                CaseEvent::InterimOrderToReview
            }
            (_, RulingKind::InterimOrder, _) => CaseEvent::InterimOrderToDefence,
            _ => CaseEvent::IssueRuling,
        };
        shahr_domain::cases::next(locked.case.status, event).map_err(|e| {
            super::conflict_in(e.current, e.to_string(), "پرونده در وضعیت صدور رأی نیست.")
        })?;
        self.db.insert_legacy_ruling(&*tx, &reservation, &c).await?;
        if let (RulingStage::Appeal, Some(primary)) = (c.stage, c.appeal_of) {
            let primary_record = self.db.record_of(&*tx, primary).await?;
            let (status, state) = match c.appeal_outcome {
                Some(AppealOutcome::Confirm) => (RulingStatus::Final, "CONFIRMED_ON_APPEAL"),
                _ => (RulingStatus::Overturned, "OVERTURNED"),
            };
            self.db.set_ruling_status(&*tx, primary, status).await?;
            self.db
                .append_ruling_state(&*tx, primary, state, &actor, Some(&reservation.number))
                .await?;
            if c.appeal_outcome != Some(AppealOutcome::Confirm) {
                record.supersedes = primary_record;
            }
        }
        let record_id = match shahr_urbanism::issued::record(&*tx, &record).await {
            Ok(id) => id,
            Err(StoreError::UniqueViolation { .. }) => {
                drop(tx);
                let done = self
                    .db
                    .issued_by_key(&**client, key)
                    .await?
                    .ok_or_else(reused)?;
                return if done.draft_id == Some(draft_id) {
                    Ok(already(done))
                } else {
                    Err(reused())
                };
            }
            Err(e) => return Err(e.into()),
        };
        self.db.mark_draft_issued(&*tx, draft_id, record_id).await?;
        let parties = party_records(&locked, true);
        let document = Document::Ruling(reservation.legacy_ruling_id);
        self.db
            .save_parties(&*tx, document, c.case_id, &parties)
            .await?;
        let now = Utc::now();
        if c.stage == RulingStage::Primary
            && c.kind != RulingKind::InterimOrder
            && self.rules.municipality_served_at_issue
        {
            let received = NewService {
                party: Party::Municipality,
                mode: NotificationMode::Electronic,
                receiver_name: "شهرداری تبریز".into(),
                receiver_national_id: None,
                agent: "سامانه یکپارچه شهرسازی (ثبت رأی در جلسه)".into(),
                served_at: now,
                served_on: reservation.issued_on,
                delivery_id: None,
                legacy_row: false,
            };
            self.db
                .insert_service(&*tx, document, c.case_id, &received, &actor)
                .await?;
        }
        step(
            &self.db,
            &*tx,
            &mut locked,
            event,
            &actor,
            "issueRuling",
            DomainEvent::RulingIssued,
            events::RulingIssued {
                ruling_id: i64::from(reservation.legacy_ruling_id),
                issued_record_id: record_id,
                number: reservation.number.clone(),
                kind: c.kind,
                stage: c.stage,
                fine_rials: c.fine_rials.map(|f| f.to_string()),
                ruling_commission_id: c.commission_id,
                content_hash: record.content_hash.clone(),
                key_id: record.key_id.clone(),
                issued_at: now,
            },
        )
        .await?;
        if c.stage == RulingStage::Appeal {
            // An appeal commission's ruling is final when issued.
            let facts = RulingFacts {
                id: reservation.legacy_ruling_id,
                case_id: c.case_id,
                commission_id: Some(c.commission_id),
                stage: c.stage,
                kind: Some(c.kind),
                issued_on: Some(reservation.issued_on),
                number: reservation.number.clone(),
                fine_rials: c.fine_rials.unwrap_or_default(),
                status: Some(RulingStatus::Issued),
            };
            self.make_final(&*tx, &mut locked, &facts, reservation.issued_on, &actor)
                .await?;
        }
        tell_parties(
            &*tx,
            &self.channels,
            &parties,
            &mobiles(&locked),
            &Message {
                subject_kind: "ruling",
                subject_id: reservation.legacy_ruling_id.to_string(),
                title: "ابلاغ رأی کمیسیون ماده صد".into(),
                body: format!(
                    "رأی شماره {} کمیسیون ماده صد درباره ملک شما صادر شد. متن دادنامه در سامانه شهر در دسترس است.",
                    reservation.number
                ),
                link: Some(format!("{}/verify/{}", self.channels.public_base_url, record.verification_code)),
            },
        )
        .await?;
        match tx.commit().await.map_err(StoreError::from) {
            Ok(()) => {}
            Err(StoreError::UniqueViolation { .. }) => {
                let done = self
                    .db
                    .issued_by_key(&**client, key)
                    .await?
                    .ok_or_else(reused)?;
                return if done.draft_id == Some(draft_id) {
                    Ok(already(done))
                } else {
                    Err(reused())
                };
            }
            Err(e) => return Err(e.into()),
        }
        Ok(Issued {
            legacy_ruling_id: reservation.legacy_ruling_id,
            record_id,
            number: reservation.number,
            verification_code: record.verification_code,
            created: true,
        })
    }

    /// Renders the dadnameh, hashes it into the content and signs the content; no lock is
    /// held (the reads go through the pool).
    async fn seal(
        &self,
        draft: &Draft,
        reservation: &Reservation,
        key: &str,
        actor: &Actor,
        public_base_url: &str,
    ) -> Result<shahr_urbanism::issued::NewIssuedRuling, UseCaseError> {
        let c = &draft.content;
        let client = self.db.pool().get().await?;
        let ids: Vec<i32> = draft.signatures.iter().map(|s| s.member_id).collect();
        let names = self.db.member_names(&**client, &ids).await?;
        drop(client);
        let mut signatures = draft.signatures.clone();
        signatures.sort_by_key(|s| s.seat);
        let signers: Vec<Signer> = signatures
            .iter()
            .map(|s| Signer {
                member_id: s.member_id,
                name: names.get(&s.member_id).cloned(),
                seat: s.seat,
                signed_at: s.signed_at.to_rfc3339(),
            })
            .collect();
        let inputs = document::load(self, c).await?;
        let commission_name = inputs.commission_name.clone();
        let code = hologram::verification_code();
        let legacy = legacy_fields(reservation, c);
        let seal = crate::documents::seal::SealSeed::of(
            // A plain struct of strings and numbers: serialising it cannot fail.
            &serde_json::to_value(&legacy).unwrap_or_default(),
            &code,
        );
        let doc = inputs.finish(
            reservation,
            c,
            &signers,
            document::Finish {
                code: &code,
                base_url: public_base_url,
                rules: &self.rules,
                seal,
                letterhead: &self.letterhead,
            },
        );
        let html = dadnameh::body(&doc);
        let hash = hex::encode(Sha256::digest(html.as_bytes()));
        let issued_at = Utc::now().to_rfc3339();
        let content = SealedContent {
            legacy,
            commission_name,
            issued_at: issued_at.clone(),
            session: Some(SessionRecord {
                draft: c.clone(),
                draft_hash: draft.content_hash.clone(),
                drafted_at: draft.drafted_at.to_rfc3339(),
                signers,
                issued_at,
            }),
            document_hash: Some(hash.clone()),
        };
        let mut record = hologram::seal_with_code(
            &self.keyring,
            hologram::ToSeal {
                legacy_ruling_id: reservation.legacy_ruling_id,
                case_id: c.case_id,
                number: &reservation.number,
                content: content.to_value(),
                issued_by: &actor.subject,
                idempotency_key: Some(key.to_owned()),
                supersedes: None,
            },
            code,
        );
        record.draft_id = Some(draft.id);
        record.document = Some((html, hash));
        Ok(record)
    }
}
