//! Legal service (*eblagh*) of rulings and summonses on each party: by hand (recorded by
//! staff) or by the judicial e-notice's delivery receipt. Each party's objection or defence
//! window runs from their own service.

use chrono::{DateTime, NaiveDate, Utc};
use shahr_domain::{
    actors::{Actor, Role},
    cases::CaseEvent,
    events::{self, DomainEvent},
    jalali::tehran_today,
    parties::Party,
    vocabulary::{CaseStatus, NotificationMode, RulingStage, RulingStatus},
    windows::Standing,
};
use shahr_urbanism::cases::{
    service::{Document, NewService, PartyRecord, RulingFacts},
    LockedCase,
};
use tokio_postgres::GenericClient;

use super::{
    bad, conflict, policy,
    steps::{emit, party_records, step},
    today, Article100, State, UseCaseError,
};
use crate::auth::Principal;

/// A service to record by hand.
#[derive(Debug, Clone)]
pub struct HandService {
    /// On whom; when absent, the owner whose national id the receiver gave, or the only owner.
    pub party: Option<Party>,
    /// How.
    pub mode: NotificationMode,
    /// Who received it.
    pub receiver_name: String,
    /// The receiver's national id.
    pub receiver_national_id: Option<String>,
    /// The bailiff or officer.
    pub agent: String,
    /// When.
    pub served_at: DateTime<Utc>,
}

/// A recorded service.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Served {
    /// On whom.
    pub party: Party,
    /// The day of service.
    pub served_on: NaiveDate,
    /// False when this party had been served before (their window runs from the first).
    pub first_for_party: bool,
    /// The last day of this party's window (objection for a primary ruling, defence for a
    /// summons); none for an appeal ruling, which is final.
    pub deadline: Option<NaiveDate>,
}

impl Article100 {
    /// The parties of a ruling: as recorded when it was issued, or, for a ruling issued
    /// before the gateway, the parcel's owners now and the municipality.
    pub(crate) async fn ruling_parties(
        &self,
        client: &impl GenericClient,
        ruling_id: i32,
        locked: &LockedCase,
    ) -> Result<Vec<PartyRecord>, UseCaseError> {
        let document = Document::Ruling(ruling_id);
        Ok(self
            .db
            .parties_of(client, &[document])
            .await?
            .remove(&document)
            .unwrap_or_else(|| party_records(locked, true)))
    }

    /// Each party's standing on a primary ruling: the day of their first legal service and
    /// whether they objected in time. Services the legacy system recorded before the gateway
    /// (with no party on record) count for the owner who received them, or, when the receiver
    /// is not an owner, for every owner; the municipality of a legacy ruling counts as served
    /// on its date when the setting says it is served at issue.
    pub(crate) async fn standings(
        &self,
        client: &impl GenericClient,
        facts: &RulingFacts,
        locked: &LockedCase,
    ) -> Result<Vec<Standing>, UseCaseError> {
        let document = Document::Ruling(facts.id);
        let parties = self.ruling_parties(client, facts.id, locked).await?;
        let services = self
            .db
            .services_of(client, &[document])
            .await?
            .remove(&document)
            .unwrap_or_default();
        let legacy = self.db.legacy_services(client, facts.id).await?;
        let objections = self
            .db
            .objections_of(client, &[facts.id])
            .await?
            .remove(&facts.id)
            .unwrap_or_default();
        let legacy_objection = self.db.legacy_objection_in_time(client, facts.id).await?;
        let owner_ids: Vec<_> = parties
            .iter()
            .filter_map(|p| match &p.party {
                Party::Natural(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        Ok(parties
            .iter()
            .map(|p| {
                let ours = services
                    .iter()
                    .filter(|s| s.party == p.party)
                    .map(|s| s.served_on);
                let theirs = legacy.iter().filter_map(|(day, receiver)| {
                    let to_owner = receiver.as_ref().filter(|r| owner_ids.contains(r));
                    match (&p.party, to_owner) {
                        (Party::Natural(n), Some(r)) if n == r => Some(*day),
                        (party, None) if party.is_owner() => Some(*day),
                        _ => None,
                    }
                });
                let mut served_on = ours.chain(theirs).min();
                if p.party == Party::Municipality
                    && served_on.is_none()
                    && self.rules.municipality_served_at_issue
                {
                    served_on = facts.issued_on;
                }
                Standing {
                    party: p.party.clone(),
                    served_on,
                    objected_in_time: legacy_objection
                        || objections.iter().any(|o| o.party == p.party && o.in_time),
                }
            })
            .collect())
    }

    /// Records a ruling's service by hand. Urbanism staff of the parcel's district and the
    /// secretary of the ruling's commission.
    pub async fn serve_ruling(
        &self,
        p: &Principal,
        ruling_id: i32,
        service: HandService,
        key: Option<&shahr_store::idempotency::Key>,
    ) -> Result<Served, UseCaseError> {
        let role = if p.roles.contains(&Role::UrbanismStaff) {
            Role::UrbanismStaff
        } else {
            Role::CommissionSecretary
        };
        let actor = Actor::person(&p.subject, role);
        let mut client = self.db.pool().get().await?;
        let facts = self
            .db
            .ruling_facts(&**client, ruling_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, key).await? {
            return super::keys::decode(&done);
        }
        let mut locked = self
            .db
            .lock_case(&*tx, facts.case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let allowed = policy::works_district(p, Role::UrbanismStaff, &locked)
            || facts
                .commission_id
                .is_some_and(|c| policy::is_secretary_of(p, c));
        policy::decide(
            p,
            &locked,
            allowed,
            "only urbanism staff of the parcel's district or the commission's secretary record service",
        )?;
        let parties = self.ruling_parties(&*tx, ruling_id, &locked).await?;
        let party = which_party(
            &parties,
            service.party.clone(),
            service.receiver_national_id.as_deref(),
        )?;
        let served = self
            .record_ruling_service(&*tx, &facts, &mut locked, &party, &service, None, &actor)
            .await?;
        let answer = { served };
        super::keys::complete(&*tx, key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Records a ruling's legal service on `party` in the caller's transaction: the legacy
    /// row and ours; the first service on anyone opens the case's objection window.
    #[allow(clippy::too_many_arguments)] // one service's facts
    pub(crate) async fn record_ruling_service(
        &self,
        tx: &impl GenericClient,
        facts: &RulingFacts,
        locked: &mut LockedCase,
        party: &Party,
        service: &HandService,
        delivery_id: Option<i64>,
        actor: &Actor,
    ) -> Result<Served, UseCaseError> {
        let served_on = tehran_today(service.served_at);
        if served_on > today() {
            return Err(bad(
                "servedAt",
                "a service date cannot be in the future",
                "تاریخ ابلاغ نمی‌تواند در آینده باشد.",
            ));
        }
        if facts.issued_on.is_some_and(|d| served_on < d) {
            return Err(bad(
                "servedAt",
                "a notification date can never precede the ruling date",
                "تاریخ ابلاغ نمی‌تواند پیش از تاریخ صدور رأی باشد.",
            ));
        }
        let before = self.standings(tx, facts, locked).await?;
        let earlier = before
            .iter()
            .find(|s| &s.party == party)
            .and_then(|s| s.served_on);
        let first_for_party = earlier.is_none_or(|e| served_on < e);
        let new = NewService {
            party: party.clone(),
            mode: service.mode,
            receiver_name: service.receiver_name.clone(),
            receiver_national_id: service.receiver_national_id.clone(),
            agent: service.agent.clone(),
            served_at: service.served_at,
            served_on,
            delivery_id,
            legacy_row: party.is_owner(),
        };
        self.db
            .insert_service(tx, Document::Ruling(facts.id), facts.case_id, &new, actor)
            .await?;
        let calendar = self.db.calendar_in(tx).await?;
        let from = earlier.map_or(served_on, |e| e.min(served_on));
        let deadline = (facts.stage == RulingStage::Primary)
            .then(|| self.rules.objection().last_day(from, &calendar));
        let detail = events::RulingServed {
            ruling_id: i64::from(facts.id),
            number: facts.number.clone(),
            party: party.key(),
            mode: service.mode,
            served_on,
            objection_deadline: deadline,
        };
        if facts.stage == RulingStage::Primary && locked.case.status == CaseStatus::RulingIssued {
            step(
                &self.db,
                tx,
                locked,
                CaseEvent::Serve,
                actor,
                "recordNotification",
                DomainEvent::RulingServed,
                detail,
            )
            .await?;
            step(
                &self.db,
                tx,
                locked,
                CaseEvent::OpenObjectionWindow,
                actor,
                "recordNotification",
                DomainEvent::ObjectionWindowOpened,
                events::RulingRef {
                    ruling_id: i64::from(facts.id),
                },
            )
            .await?;
            self.db
                .set_ruling_status(tx, facts.id, RulingStatus::Notified)
                .await?;
            self.db
                .append_ruling_state(tx, facts.id, "NOTIFIED", actor, None)
                .await?;
        } else {
            emit(
                tx,
                locked,
                actor,
                ("recordNotification", format!("ruling:{}", facts.id)),
                DomainEvent::RulingServed,
                detail,
            )
            .await?;
        }
        Ok(Served {
            party: party.clone(),
            served_on,
            first_for_party,
            deadline,
        })
    }

    /// Records the service of the current hearing's summons on an owner, by hand. The
    /// secretary of the hearing's commission and urbanism staff of the parcel's district.
    pub async fn serve_summons(
        &self,
        p: &Principal,
        case_id: i32,
        service: HandService,
        key: Option<&shahr_store::idempotency::Key>,
    ) -> Result<Served, UseCaseError> {
        let role = if p.roles.contains(&Role::CommissionSecretary) {
            Role::CommissionSecretary
        } else {
            Role::UrbanismStaff
        };
        let actor = Actor::person(&p.subject, role);
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        if let Some(done) = super::keys::claim(&*tx, key).await? {
            return super::keys::decode(&done);
        }
        let locked = self
            .db
            .lock_case(&*tx, case_id)
            .await?
            .ok_or(UseCaseError::NotFound)?;
        let hearing = self.db.latest_hearing(&*tx, case_id).await?;
        let allowed = policy::works_district(p, Role::UrbanismStaff, &locked)
            || hearing
                .as_ref()
                .is_some_and(|h| policy::is_secretary_of(p, h.commission_id));
        policy::decide(
            p,
            &locked,
            allowed,
            "only the secretary of the hearing's commission or urbanism staff of the district record service",
        )?;
        let hearing = hearing.ok_or_else(|| {
            conflict(
                State::Case(locked.case.status),
                "the case has no hearing scheduled through the gateway; nothing to serve",
                "برای این پرونده احضاریه‌ای صادر نشده است.",
            )
        })?;
        let served = self
            .record_summons_service(
                &*tx,
                &locked,
                hearing.id,
                hearing.scheduled_at,
                &service,
                None,
                &actor,
            )
            .await?;
        let answer = { served };
        super::keys::complete(&*tx, key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Records a summons' legal service in the caller's transaction.
    #[allow(clippy::too_many_arguments)] // one service's facts
    pub(crate) async fn record_summons_service(
        &self,
        tx: &impl GenericClient,
        locked: &LockedCase,
        hearing_id: i64,
        scheduled_at: DateTime<Utc>,
        service: &HandService,
        delivery_id: Option<i64>,
        actor: &Actor,
    ) -> Result<Served, UseCaseError> {
        let document = Document::Summons(hearing_id);
        let parties = self
            .db
            .parties_of(tx, &[document])
            .await?
            .remove(&document)
            .unwrap_or_default();
        let party = which_party(
            &parties,
            service.party.clone(),
            service.receiver_national_id.as_deref(),
        )?;
        let served_on = tehran_today(service.served_at);
        if served_on > today() {
            return Err(bad(
                "servedAt",
                "a service date cannot be in the future",
                "تاریخ ابلاغ نمی‌تواند در آینده باشد.",
            ));
        }
        if served_on < tehran_today(scheduled_at) {
            return Err(bad(
                "servedAt",
                "a summons cannot be served before it was issued",
                "تاریخ ابلاغ نمی‌تواند پیش از صدور احضاریه باشد.",
            ));
        }
        let earlier = self
            .db
            .services_of(tx, &[document])
            .await?
            .remove(&document)
            .unwrap_or_default()
            .iter()
            .filter(|s| s.party == party)
            .map(|s| s.served_on)
            .min();
        let new = NewService {
            party: party.clone(),
            mode: service.mode,
            receiver_name: service.receiver_name.clone(),
            receiver_national_id: service.receiver_national_id.clone(),
            agent: service.agent.clone(),
            served_at: service.served_at,
            served_on,
            delivery_id,
            legacy_row: false,
        };
        self.db
            .insert_service(tx, document, locked.case.id, &new, actor)
            .await?;
        let calendar = self.db.calendar_in(tx).await?;
        let from = earlier.map_or(served_on, |e| e.min(served_on));
        let deadline = self.rules.defence().last_day(from, &calendar);
        emit(
            tx,
            locked,
            actor,
            ("recordSummonsService", format!("case:{}", locked.case.id)),
            DomainEvent::SummonsServed,
            events::SummonsServed {
                hearing_id,
                party: party.key(),
                served_on,
                defence_deadline: deadline,
            },
        )
        .await?;
        Ok(Served {
            party,
            served_on,
            first_for_party: earlier.is_none_or(|e| served_on < e),
            deadline: Some(deadline),
        })
    }

    /// Records an e-notice's delivery receipt as the legal service of the ruling or summons
    /// it carried, on the party it was addressed to (once, whatever the retries). Returns
    /// false when the receipt was recorded before.
    #[allow(clippy::too_many_arguments)] // one receipt's facts
    pub async fn record_receipt(
        &self,
        subject_kind: &str,
        subject_id: &str,
        party: Party,
        receiver_name: &str,
        agent: &str,
        delivered_at: DateTime<Utc>,
        delivery_id: i64,
    ) -> Result<bool, UseCaseError> {
        let actor = Actor::system("e-notice");
        let service = HandService {
            party: Some(party),
            mode: NotificationMode::Electronic,
            receiver_name: receiver_name.to_owned(),
            receiver_national_id: None,
            agent: agent.to_owned(),
            served_at: delivered_at,
        };
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        if !self
            .db
            .claim_delivery(&*tx, delivery_id, delivered_at)
            .await?
        {
            return Ok(false);
        }
        match subject_kind {
            "ruling" => {
                let ruling_id: i32 = subject_id.parse().map_err(|_| UseCaseError::NotFound)?;
                let facts = self
                    .db
                    .ruling_facts(&*tx, ruling_id)
                    .await?
                    .ok_or(UseCaseError::NotFound)?;
                let mut locked = self
                    .db
                    .lock_case(&*tx, facts.case_id)
                    .await?
                    .ok_or(UseCaseError::NotFound)?;
                let receiver = service.party.clone().ok_or(UseCaseError::NotFound)?;
                self.record_ruling_service(
                    &*tx,
                    &facts,
                    &mut locked,
                    &receiver,
                    &service,
                    Some(delivery_id),
                    &actor,
                )
                .await?;
            }
            "summons" => {
                let hearing_id: i64 = subject_id.parse().map_err(|_| UseCaseError::NotFound)?;
                let case_id: i32 = tx
                    .query_opt(
                        "SELECT case_id FROM shahr.hearings WHERE id = $1",
                        &[&hearing_id],
                    )
                    .await?
                    .map(|r| r.get(0))
                    .ok_or(UseCaseError::NotFound)?;
                let locked = self
                    .db
                    .lock_case(&*tx, case_id)
                    .await?
                    .ok_or(UseCaseError::NotFound)?;
                let scheduled_at = self
                    .db
                    .latest_hearing(&*tx, case_id)
                    .await?
                    .filter(|h| h.id == hearing_id)
                    .map_or(delivered_at, |h| h.scheduled_at);
                self.record_summons_service(
                    &*tx,
                    &locked,
                    hearing_id,
                    scheduled_at,
                    &service,
                    Some(delivery_id),
                    &actor,
                )
                .await?;
            }
            _ => return Err(UseCaseError::NotFound),
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// The party a service is on: the one named, or the owner whose national id the receiver
/// gave, or the only owner; refused when it is none of the document's parties.
fn which_party(
    parties: &[PartyRecord],
    named: Option<Party>,
    receiver: Option<&str>,
) -> Result<Party, UseCaseError> {
    let owners: Vec<&PartyRecord> = parties.iter().filter(|p| p.party.is_owner()).collect();
    let chosen = match named {
        Some(p) => Some(p),
        None => receiver
            .and_then(|r| {
                owners
                    .iter()
                    .find(|o| matches!(&o.party, Party::Natural(n) if n.as_str() == r))
                    .map(|o| o.party.clone())
            })
            .or_else(|| (owners.len() == 1).then(|| owners[0].party.clone())),
    };
    match chosen {
        Some(p) if parties.iter().any(|x| x.party == p) => Ok(p),
        Some(_) => Err(bad(
            "party",
            "not a party of this document",
            "این شخص طرف این ابلاغ نیست.",
        )),
        None => Err(bad(
            "party",
            "the parcel has several owners: say whom it was served on",
            "ملک چند مالک دارد؛ مشخص کنید ابلاغ به کدام مالک انجام شد.",
        )),
    }
}
