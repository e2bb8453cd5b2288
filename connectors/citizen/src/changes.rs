//! Filing requests and moving them: each change writes its history row, outbox event and
//! audit entry in one transaction.

use shahr_store::idempotency;

use super::*;

impl CitizenDb {
    /// Files a request: checks the service and district, honours the idempotency key, and in
    /// one transaction writes the request, its first history row, an outbox event and an
    /// audit entry.
    #[tracing::instrument(name = "citizen.submit", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn submit(&self, new: &NewRequest, actor: &Actor) -> Result<Submitted, SubmitError> {
        let hash = payload_hash(new);
        // One connection for the whole filing: it never waits for a second one while it
        // holds this (a pool full of retries would otherwise wait on itself).
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        if let Some(existing) = by_idempotency_key(&**client, &actor.subject, new).await? {
            return if existing.payload_hash == hash {
                Ok(Submitted {
                    request: existing,
                    created: false,
                })
            } else {
                Err(SubmitError::IdempotencyKeyReused)
            };
        }
        let service = services_in(&**client, std::slice::from_ref(&new.service_code))
            .await?
            .into_iter()
            .next()
            .filter(|s| s.active)
            .ok_or(SubmitError::UnknownService)?;
        if !service.districts.contains(&new.district) {
            return Err(SubmitError::NotInDistrict(new.district));
        }
        for _ in 0..5 {
            let tx = client.transaction().await.map_err(StoreError::from)?;
            let code = tracking_code(new.district);
            let inserted = tx
                .query_one(
                    &format!(
                        "INSERT INTO shahr.requests (tracking_code, citizen_subject, citizen_national_id, renovation_code, \
                         district, service_code, form, state, idempotency_key, payload_hash) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {REQUEST_COLUMNS}"
                    ),
                    &[
                        &code,
                        &actor.subject,
                        &new.citizen_national_id,
                        &new.renovation_code,
                        &new.district,
                        &new.service_code,
                        &new.form,
                        &RequestState::Submitted.as_code(),
                        &new.idempotency_key,
                        &hash,
                    ],
                )
                .await;
            let row = match inserted.map_err(StoreError::from) {
                Ok(row) => row,
                Err(StoreError::UniqueViolation { constraint })
                    if constraint.contains("tracking_code") =>
                {
                    continue; // a tracking code collision: draw again
                }
                Err(StoreError::UniqueViolation { .. }) => {
                    // The same key submitted concurrently: the other transaction won.
                    drop(tx);
                    let existing = by_idempotency_key(&**client, &actor.subject, new)
                        .await?
                        .ok_or(SubmitError::IdempotencyKeyReused)?;
                    return if existing.payload_hash == hash {
                        Ok(Submitted {
                            request: existing,
                            created: false,
                        })
                    } else {
                        Err(SubmitError::IdempotencyKeyReused)
                    };
                }
                Err(other) => return Err(other.into()),
            };
            let request = records::request_from_row(&row);
            tx.execute(
                "INSERT INTO shahr.request_history (request_id, actor, role, from_state, to_state) VALUES ($1, $2, $3, NULL, $4)",
                &[&request.id, &actor.subject, &actor.role_name(), &RequestState::Submitted.as_code()],
            )
            .await
            .map_err(StoreError::from)?;
            outbox::enqueue(
                &*tx,
                &DomainEvent::RequestSubmitted(events::RequestSubmitted {
                    tracking_code: request.tracking_code.clone(),
                    request_id: request.id,
                    service: request.service_code.clone(),
                    district: request.district,
                    citizen_national_id: request.citizen_national_id.clone(),
                    state: RequestState::Submitted,
                }),
            )
            .await?;
            audit::append(
                &*tx,
                &audit::Entry::new(
                    actor,
                    "submitServiceRequest",
                    vec![
                        request.tracking_code.clone(),
                        request.renovation_code.clone(),
                    ],
                    "ok",
                    &json!({ "service": request.service_code }),
                ),
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(Submitted {
                request,
                created: true,
            });
        }
        Err(StoreError::Data("could not draw a free tracking code".into()).into())
    }

    /// Applies a move in one transaction: the row is locked, `allowed` decides whether the
    /// actor may act on it, the domain rules decide the new state; the history row, the outbox
    /// event and the audit entry are written with it.
    #[tracing::instrument(name = "citizen.change_state", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn change_state(
        &self,
        tracking_code: &str,
        change: &Change,
        actor: &Actor,
        allowed: impl Fn(&ServiceRequest) -> bool,
    ) -> Result<ServiceRequest, TransitionError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await.map_err(StoreError::from)?;
        if let Some(done) = claim_key(&tx, change.idempotency.as_ref()).await? {
            return Ok(done);
        }
        let current = lock_request(&tx, tracking_code, &allowed)
            .await?
            .ok_or(TransitionError::NotFound)?;
        let updated = self.apply_change(&tx, current, change, actor).await?;
        if let Some(key) = &change.idempotency {
            idempotency::complete(&*tx, key, &updated.tracking_code).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(updated)
    }

    /// Applies `change` to `current`, locked in `tx`: the domain rules decide the new state;
    /// the history row, the outbox event and the audit entry are written in `tx`.
    pub(crate) async fn apply_change(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        current: ServiceRequest,
        change: &Change,
        actor: &Actor,
    ) -> Result<ServiceRequest, TransitionError> {
        // Read in this transaction: a second pooled connection must not be awaited while the
        // request's row is locked.
        let service = services_in(&**tx, std::slice::from_ref(&current.service_code))
            .await?
            .into_iter()
            .next()
            .ok_or(TransitionError::NotFound)?;
        let next = shahr_domain::requests::apply(&service.steps, current.state, change.action)?;
        let fee_now = current
            .fee_rials
            .and_then(|f| shahr_domain::money::Rials::new(f).ok());
        shahr_domain::requests::check_payment(next, fee_now, change.payment.as_ref())?;
        // A payment recorded by a person (not verified by the gateway) needs a second person.
        if let (RequestState::Paid, Some(given), shahr_domain::actors::Capacity::Person(_)) =
            (next, change.payment.as_ref(), actor.capacity)
        {
            if self.manual_payment_step(tx, &current, given, actor).await?
                == shahr_domain::requests::ManualStep::Record
            {
                return Ok(current);
            }
        }
        let fee = if next == RequestState::FeePayable {
            let area = change.parcel_area.unwrap_or_default();
            let tariff = tariff_rows(tx, &service.code).await?;
            let year = shahr_domain::jalali::JalaliDate::from_gregorian(
                shahr_domain::jalali::tehran_today(chrono::Utc::now()),
            )
            .year();
            let parcel = shahr_domain::tariff::ParcelFacts {
                district: current.district,
                land_use: change.parcel_land_use,
                area,
            };
            let fee = match shahr_domain::tariff::pick(&tariff, &service.code, year, &parcel) {
                Some(row) => row.fee(area),
                None => {
                    shahr_domain::requests::fee(service.fee_rials, service.fee_per_m2_rials, area)
                }
            }
            .map_err(|e| {
                TransitionError::Store(StoreError::Data(format!("{}: {e}", service.code)))
            })?;
            Some(fee.get())
        } else {
            current.fee_rials
        };
        let (reference, paid) = match &change.payment {
            Some(p) => (Some(p.reference.as_str()), Some(p.amount.get())),
            None => (None, None),
        };
        let updated = tx
            .query_one(
                &format!(
                    "UPDATE shahr.requests SET state = $2, fee_rials = $3, updated_at = now(), state_since = now(), \
                     payment_reference = COALESCE($4, payment_reference), paid_rials = COALESCE($5, paid_rials), \
                     paid_at = CASE WHEN $4::text IS NULL THEN paid_at ELSE now() END \
                     WHERE id = $1 RETURNING {REQUEST_COLUMNS}"
                ),
                &[&current.id, &next.as_code(), &fee, &reference, &paid],
            )
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::UniqueViolation { .. } => {
                    shahr_domain::requests::PaymentError::ReferenceUsed.into()
                }
                other => TransitionError::Store(other),
            })?;
        let updated = records::request_from_row(&updated);
        self.record_change(
            tx,
            &current,
            &updated,
            actor,
            change.comment.as_deref(),
            "changeServiceRequestState",
        )
        .await?;
        Ok(updated)
    }

    /// What an earlier attempt with this idempotency key left, if any.
    #[tracing::instrument(name = "citizen.idempotency_prior", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn idempotency_prior(
        &self,
        key: &idempotency::Key,
    ) -> Result<Option<idempotency::Claim>, StoreError> {
        let client = self.pool.get().await?;
        idempotency::prior(&**client, key).await
    }

    /// Assigns a request to a staff member (by subject), with history, outbox and audit.
    #[tracing::instrument(name = "citizen.assign", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn assign(
        &self,
        tracking_code: &str,
        assignee: &str,
        actor: &Actor,
        key: Option<&idempotency::Key>,
        allowed: impl Fn(&ServiceRequest) -> bool,
    ) -> Result<ServiceRequest, TransitionError> {
        let mut client = self.pool.get().await.map_err(StoreError::from)?;
        let tx = client.transaction().await.map_err(StoreError::from)?;
        if let Some(done) = claim_key(&tx, key).await? {
            return Ok(done);
        }
        let current = lock_request(&tx, tracking_code, &allowed)
            .await?
            .ok_or(TransitionError::NotFound)?;
        shahr_domain::requests::ensure_open(current.state, "be assigned")?;
        let updated = tx
            .query_one(
                &format!("UPDATE shahr.requests SET assigned_to = $2, updated_at = now() WHERE id = $1 RETURNING {REQUEST_COLUMNS}"),
                &[&current.id, &assignee],
            )
            .await
            .map_err(StoreError::from)?;
        let updated = records::request_from_row(&updated);
        let comment = format!("assigned to {assignee}");
        self.record_change(
            &tx,
            &current,
            &updated,
            actor,
            Some(&comment),
            "assignServiceRequest",
        )
        .await?;
        if let Some(key) = key {
            idempotency::complete(&*tx, key, &updated.tracking_code).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(updated)
    }

    pub(crate) async fn record_change(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        before: &ServiceRequest,
        after: &ServiceRequest,
        actor: &Actor,
        comment: Option<&str>,
        operation: &str,
    ) -> Result<(), StoreError> {
        let history: i64 = tx
            .query_one(
                "INSERT INTO shahr.request_history (request_id, actor, role, from_state, to_state, comment) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&after.id, &actor.subject, &actor.role_name(), &before.state.as_code(), &after.state.as_code(), &comment],
            )
            .await?
            .get(0);
        if before.state != after.state {
            let mut channels = vec![deliveries::Channel::Inbox];
            if self.sms_alerts {
                channels.push(deliveries::Channel::Sms);
            }
            for channel in channels {
                deliveries::enqueue(
                    &**tx,
                    &deliveries::NewDelivery {
                        send_id: format!(
                            "request-{}-{history}-{}",
                            after.id,
                            channel.as_str().to_lowercase()
                        ),
                        channel,
                        subject_kind: "request".into(),
                        subject_id: after.tracking_code.clone(),
                        national_id: Some(after.citizen_national_id.clone()),
                        legal_id: None,
                        mobile: None,
                        name: None,
                        title: format!("درخواست {}", after.tracking_code),
                        body: format!(
                            "وضعیت درخواست شما به «{}» تغییر کرد.",
                            after.state.label_fa()
                        ),
                        link: None,
                    },
                )
                .await?;
            }
        }
        outbox::enqueue(
            &**tx,
            &DomainEvent::RequestStatusChanged(events::RequestStatusChanged {
                tracking_code: after.tracking_code.clone(),
                request_id: after.id,
                service: after.service_code.clone(),
                district: after.district,
                citizen_national_id: after.citizen_national_id.clone(),
                from: before.state,
                to: after.state,
                assigned_to: after.assigned_to.clone(),
            }),
        )
        .await?;
        audit::append(
            &**tx,
            &audit::Entry::new(
                actor,
                operation,
                vec![after.tracking_code.clone()],
                "ok",
                &json!({ "from": before.state.as_code(), "to": after.state.as_code(), "comment": comment }),
            ),
        )
        .await?;
        Ok(())
    }
}

async fn by_idempotency_key(
    client: &impl tokio_postgres::GenericClient,
    subject: &str,
    new: &NewRequest,
) -> Result<Option<ServiceRequest>, StoreError> {
    let Some(key) = &new.idempotency_key else {
        return Ok(None);
    };
    let row = client
        .query_opt(
            &format!("SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE citizen_subject = $1 AND idempotency_key = $2"),
            &[&subject, key],
        )
        .await?;
    Ok(row.as_ref().map(records::request_from_row))
}

/// Claims a change's idempotency key in its transaction: the request as it is now when the
/// change was made already (the key names its tracking code), `None` when it is new.
impl CitizenDb {
    /// The two-person rule of manual payments, in the move's transaction: the first staff
    /// member's payment is recorded to await confirmation (the request stays as it is); a
    /// second staff member's matching one confirms it.
    async fn manual_payment_step(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        current: &ServiceRequest,
        given: &shahr_domain::requests::Payment,
        actor: &Actor,
    ) -> Result<shahr_domain::requests::ManualStep, TransitionError> {
        use shahr_domain::requests::{manual_step, ManualPayment, ManualStep, Payment};
        let awaiting = tx
            .query_opt(
                "SELECT reference, amount_rials, recorded_by FROM shahr.manual_payments \
                 WHERE request_id = $1 AND confirmed_by IS NULL FOR UPDATE",
                &[&current.id],
            )
            .await
            .map_err(StoreError::from)?
            .and_then(|row| {
                Some(ManualPayment {
                    payment: Payment {
                        reference: row.get(0),
                        amount: shahr_domain::money::Rials::new(row.get(1)).ok()?,
                    },
                    recorded_by: row.get(2),
                })
            });
        let step = manual_step(awaiting.as_ref(), &actor.subject, given)?;
        match step {
            ManualStep::Record => {
                tx.execute(
                    "INSERT INTO shahr.manual_payments (request_id, reference, amount_rials, recorded_by) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (request_id) DO UPDATE SET reference = EXCLUDED.reference, \
                     amount_rials = EXCLUDED.amount_rials, recorded_by = EXCLUDED.recorded_by, recorded_at = now(), \
                     confirmed_by = NULL, confirmed_at = NULL",
                    &[&current.id, &given.reference, &given.amount.get(), &actor.subject],
                )
                .await
                .map_err(StoreError::from)?;
            }
            ManualStep::Confirm => {
                tx.execute(
                    "UPDATE shahr.manual_payments SET confirmed_by = $2, confirmed_at = now() WHERE request_id = $1",
                    &[&current.id, &actor.subject],
                )
                .await
                .map_err(StoreError::from)?;
            }
        }
        audit::append(
            &**tx,
            &audit::Entry::new(
                actor,
                match step {
                    ManualStep::Record => "manualPaymentRecorded",
                    ManualStep::Confirm => "manualPaymentConfirmed",
                },
                vec![current.tracking_code.clone()],
                "ok",
                &json!({ "reference": given.reference, "amount": given.amount.get() }),
            ),
        )
        .await?;
        Ok(step)
    }

    /// The manual payment of a request awaiting a second staff member, if any: its reference,
    /// amount and who recorded it.
    #[tracing::instrument(name = "citizen.awaiting_manual_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn awaiting_manual_payment(
        &self,
        request_id: i64,
    ) -> Result<Option<(String, i64, String)>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_opt(
                "SELECT reference, amount_rials, recorded_by FROM shahr.manual_payments \
                 WHERE request_id = $1 AND confirmed_by IS NULL",
                &[&request_id],
            )
            .await?
            .map(|row| (row.get(0), row.get(1), row.get(2))))
    }
}

/// The tariff rows of `service`, read in the move's transaction.
async fn tariff_rows(
    tx: &deadpool_postgres::Transaction<'_>,
    service: &str,
) -> Result<Vec<shahr_domain::tariff::TariffRow>, StoreError> {
    let rows = tx
        .query(
            "SELECT year, district, land_use, area_from, area_to, fixed_rials, per_m2_rials \
             FROM shahr.fee_tariffs WHERE service_code = $1",
            &[&service],
        )
        .await?;
    let area = |h: i64| {
        shahr_domain::quantities::Hundredths::from_hundredths(u64::try_from(h).unwrap_or(0))
            .unwrap_or_default()
    };
    Ok(rows
        .iter()
        .map(|r| shahr_domain::tariff::TariffRow {
            service: service.to_owned(),
            year: r.get(0),
            district: r.get(1),
            land_use: r
                .get::<_, Option<String>>(2)
                .and_then(|u| serde_json::from_value(serde_json::Value::String(u)).ok()),
            area_from: area(r.get(3)),
            area_to: r.get::<_, Option<i64>>(4).map(area),
            fixed_rials: r.get(5),
            per_m2_rials: r.get(6),
        })
        .collect())
}

async fn claim_key(
    tx: &deadpool_postgres::Transaction<'_>,
    key: Option<&idempotency::Key>,
) -> Result<Option<ServiceRequest>, TransitionError> {
    let Some(key) = key else {
        return Ok(None);
    };
    match idempotency::claim(&**tx, key).await? {
        idempotency::Claim::Fresh => Ok(None),
        idempotency::Claim::Reused => Err(TransitionError::KeyReused),
        idempotency::Claim::Done(code) => {
            let row = tx
                .query_opt(
                    &format!(
                        "SELECT {REQUEST_COLUMNS} FROM shahr.requests WHERE tracking_code = $1"
                    ),
                    &[&code],
                )
                .await
                .map_err(StoreError::from)?;
            row.as_ref()
                .map(records::request_from_row)
                .map(Some)
                .ok_or(TransitionError::NotFound)
        }
    }
}
