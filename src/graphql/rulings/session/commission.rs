//! Mutations and queries of the commission's work on a case: referral, hearing and summons,
//! defence, sitting, drafts, signatures and the issue of a ruling.

use async_graphql::{Context, Object, ID};
use chrono::Utc;
use shahr_domain::{
    actors::Role,
    decisions::{EngineerReferral, ItemChoice},
    vocabulary::RulingStage,
};
use shahr_urbanism::cases::referral::NewItem;

use super::{
    super::{resolvers::id_of, types::ViolationCase},
    area, check_text, decimal, id64, idempotency_key,
    inputs::*,
    objects::{party_of, CommissionSession, Defence, FineBriefLine, Hearing, RulingDraft},
    queue::PendingService,
};
use crate::{
    graphql::{
        access::signed_in,
        context::ContextExt,
        error::{usecase_error, ApiError, ApiResult, ErrorCode},
        pagination::{connection, page_request, Conn, TotalCount},
        scalars::Date,
    },
    usecases::{drafting::DraftRuling, policy, referral::ReferCase, service::HandService},
};

fn items_of(items: Vec<ViolationItemInput>) -> ApiResult<Vec<NewItem>> {
    if items.len() > 50 {
        return Err(ApiError::bad_input(
            "input.items",
            "at most 50 items",
            "حداکثر ۵۰ قلم تخلف در یک درخواست مجاز است.",
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let f = |name: &str| format!("input.items[{i}].{name}");
            let parking = match item.parking_spaces {
                Some(n) if !(0..=1000).contains(&n) => {
                    return Err(ApiError::bad_input(
                        &f("parkingSpaces"),
                        "between 0 and 1000",
                        "تعداد پارکینگ باید بین صفر و ۱۰۰۰ باشد.",
                    ))
                }
                n => n.and_then(|n| i16::try_from(n).ok()),
            };
            Ok(NewItem {
                floor: item
                    .floor
                    .as_deref()
                    .map(|t| check_text(&f("floor"), t, 30))
                    .transpose()?,
                note: item.note,
                permitted_area: area(&f("permittedAreaM2"), item.permitted_area_m2)?,
                built_area: area(&f("builtAreaM2"), item.built_area_m2)?,
                permitted_use: item.permitted_use,
                actual_use: item.actual_use,
                parking_spaces: parking,
            })
        })
        .collect()
}

pub(crate) fn hand_service(field: &str, s: ServiceInput) -> ApiResult<HandService> {
    if s.mode == shahr_domain::vocabulary::NotificationMode::Electronic {
        return Err(ApiError::bad_input(
            &format!("{field}.mode"),
            "electronic service is recorded from the e-notice service's receipt",
            "ابلاغ الکترونیک از رسید سامانه ابلاغ ثبت می‌شود.",
        ));
    }
    Ok(HandService {
        party: s
            .party
            .as_deref()
            .map(|p| party_of(&format!("{field}.party"), p))
            .transpose()?,
        mode: s.mode,
        receiver_name: check_text(&format!("{field}.receiverName"), &s.receiver_name, 200)?,
        receiver_national_id: s.receiver_national_id.map(|n| n.0),
        agent: check_text(&format!("{field}.agent"), &s.agent, 200)?,
        served_at: s.served_at.map_or_else(Utc::now, |d| d.0),
    })
}

/// Mutations of the commission session.
#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Refers a case in expert review to the commission secretariat, with the expert's
    /// violation items and the fine brief. Inspectors and urbanism staff of the parcel's
    /// district.
    async fn refer_case(
        &self,
        ctx: &Context<'_>,
        input: ReferCaseInput,
    ) -> async_graphql::Result<ReferCasePayload> {
        let p = signed_in(ctx.viewer())?;
        let case_id = id_of("ViolationCase", "input.case", &input.case)?;
        let secretariat_number = input
            .secretariat_number
            .as_deref()
            .map(|n| check_text("input.secretariatNumber", n, 30))
            .transpose()?;
        let items = items_of(input.items.unwrap_or_default())?;
        let key = crate::graphql::idempotency::arguments_key(
            ctx,
            "referCase",
            input.idempotency_key.as_deref(),
        )?;
        let referral = ctx
            .deps()
            .article100
            .refer_case(
                p,
                ReferCase {
                    case_id,
                    secretariat_number,
                    items,
                },
                key.as_ref(),
            )
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(ReferCasePayload {
            case: ViolationCase(referral.case),
            secretariat_number: referral.secretariat_number,
            fine_brief: referral.brief.into_iter().map(FineBriefLine).collect(),
        })
    }

    /// Sets the commission and hearing date of a referred case (or moves the hearing of a case
    /// in its defence window) and summons every owner: by judicial e-notice where an account
    /// exists, otherwise by hand (`recordSummonsService`). Each owner's defence window
    /// (`defenceWindowDays`) runs from the service of their own summons. The secretary of
    /// that commission.
    async fn schedule_hearing(
        &self,
        ctx: &Context<'_>,
        input: ScheduleHearingInput,
    ) -> async_graphql::Result<ScheduleHearingPayload> {
        let p = signed_in(ctx.viewer())?;
        let case_id = id_of("ViolationCase", "input.case", &input.case)?;
        let commission_id = id_of("Commission", "input.commission", &input.commission)?;
        let key = crate::graphql::idempotency::arguments_key(
            ctx,
            "scheduleHearing",
            input.idempotency_key.as_deref(),
        )?;
        let scheduled = ctx
            .deps()
            .article100
            .schedule_hearing(
                p,
                case_id,
                commission_id,
                input.session_on.map(|d| d.0),
                key.as_ref(),
            )
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(ScheduleHearingPayload {
            case: ViolationCase(scheduled.case),
            hearing: Hearing(scheduled.hearing),
            earliest_session_on: Date(scheduled.earliest),
        })
    }

    /// Records the service by hand of the summons of a case's current hearing on an owner;
    /// their defence window runs from it. The secretary of the hearing's commission and
    /// urbanism staff of the parcel's district.
    async fn record_summons_service(
        &self,
        ctx: &Context<'_>,
        input: RecordSummonsServiceInput,
    ) -> async_graphql::Result<RecordSummonsServicePayload> {
        let p = signed_in(ctx.viewer())?;
        let case_id = id_of("ViolationCase", "input.case", &input.case)?;
        let key = crate::graphql::idempotency::arguments_key(
            ctx,
            "recordSummonsService",
            input.idempotency_key.as_deref(),
        )?;
        let service = hand_service("input.service", input.service)?;
        let deps = ctx.deps();
        let served = deps
            .article100
            .serve_summons(p, case_id, service, key.as_ref())
            .await
            .map_err(|e| usecase_error(e, "input.service"))?;
        let hearing = deps
            .urbanism
            .hearings_by_case(&[case_id])
            .await
            .map_err(ApiError::from)?
            .remove(&case_id)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no hearing"))?;
        let deadline = served.deadline.unwrap_or(served.served_on);
        Ok(RecordSummonsServicePayload {
            hearing: Hearing(hearing),
            party_id: served.party.key(),
            served_on: Date(served.served_on),
            defence_deadline: Date(deadline),
            defence_deadline_jalali: crate::graphql::scalars::jalali(deadline),
            first_service: served.first_for_party,
        })
    }

    /// Records an owner's defence while the case is in its defence window. An owner of the
    /// parcel files their own; the secretary of the case's commission may file one received
    /// on paper. A defence after the owner's window is kept and flagged late.
    async fn record_defence(
        &self,
        ctx: &Context<'_>,
        input: RecordDefenceInput,
    ) -> async_graphql::Result<RecordDefencePayload> {
        let p = signed_in(ctx.viewer())?;
        let case_id = id_of("ViolationCase", "input.case", &input.case)?;
        let statement = check_text(
            "input.statement",
            &input.statement,
            shahr_domain::session::MAX_TEXT_CHARS,
        )?;
        let key = crate::graphql::idempotency::command_key(
            ctx,
            "recordDefence",
            input.idempotency_key.as_deref(),
            &(case_id, &statement),
        )?;
        let defence = ctx
            .deps()
            .article100
            .record_defence(p, case_id, &statement, key.as_ref())
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(RecordDefencePayload {
            defence: Defence(defence),
        })
    }

    /// Opens a sitting of a commission with cases on its agenda. A primary commission sits on
    /// a case on or after its hearing date, once every owner's defence window has closed; an
    /// appeal commission hears appealed cases once every party's objection window has closed,
    /// and only if none of its members sat on the primary ruling. The secretary of that
    /// commission.
    async fn open_commission_session(
        &self,
        ctx: &Context<'_>,
        input: OpenCommissionSessionInput,
    ) -> async_graphql::Result<OpenCommissionSessionPayload> {
        let p = signed_in(ctx.viewer())?;
        let commission_id = id_of("Commission", "input.commission", &input.commission)?;
        if input.cases.is_empty() || input.cases.len() > 50 {
            return Err(ApiError::bad_input(
                "input.cases",
                "1 to 50 cases",
                "یک جلسه ۱ تا ۵۰ پرونده را بررسی می‌کند.",
            )
            .into());
        }
        let cases = input
            .cases
            .iter()
            .enumerate()
            .map(|(i, c)| id_of("ViolationCase", &format!("input.cases[{i}]"), c))
            .collect::<ApiResult<Vec<i32>>>()?;
        let key = crate::graphql::idempotency::arguments_key(
            ctx,
            "openCommissionSession",
            input.idempotency_key.as_deref(),
        )?;
        let session = ctx
            .deps()
            .article100
            .open_session(p, commission_id, &cases, key.as_ref())
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(OpenCommissionSessionPayload {
            session: CommissionSession(session),
        })
    }

    /// Drafts the ruling of a case on an open session's agenda: its kind, text and legal
    /// basis, and every item's outcome (a fine for one, demolition for another; a Note 6 item
    /// is always demolished), fined items priced exactly with a coefficient inside the note's
    /// range, and the demolition period. A new draft of the same case replaces the previous
    /// one (its signatures lapse). The secretary of the session's commission.
    async fn draft_ruling(
        &self,
        ctx: &Context<'_>,
        input: DraftRulingInput,
    ) -> async_graphql::Result<RulingDraftPayload> {
        let p = signed_in(ctx.viewer())?;
        let session_id = id64("CommissionSession", "input.session", &input.session)?;
        let case_id = id_of("ViolationCase", "input.case", &input.case)?;
        let items = input.items.unwrap_or_default();
        if items.len() > 50 {
            return Err(ApiError::bad_input(
                "input.items",
                "at most 50 items",
                "حداکثر ۵۰ قلم تخلف در یک درخواست مجاز است.",
            )
            .into());
        }
        let choices = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = format!("input.items[{i}]");
                Ok(ItemChoice {
                    item_id: id_of("ViolationItem", &format!("{field}.item"), &item.item)?,
                    outcome: item.outcome,
                    coefficient: item
                        .coefficient
                        .as_ref()
                        .map(|c| decimal(&format!("{field}.coefficient"), &c.0))
                        .transpose()?,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        if shahr_domain::text::has_bidi_control(&input.text) {
            return Err(ApiError::bad_input(
                "input.text",
                "must not contain bidirectional control characters",
                "متن رأی نباید نویسه‌های کنترل جهت متن داشته باشد.",
            )
            .into());
        }
        let demolition_period_days = match input.demolition_period_days {
            Some(d) => Some(u32::try_from(d).map_err(|_| {
                ApiError::bad_input(
                    "input.demolitionPeriodDays",
                    "a positive number of days",
                    "مهلت قلع باید عددی مثبت باشد.",
                )
            })?),
            None => None,
        };
        let engineer_referral = match input.engineer_referral {
            Some(e) => Some(EngineerReferral {
                name: check_text("input.engineerReferral.name", &e.name, 200)?,
                licence_number: e
                    .licence_number
                    .as_deref()
                    .map(|l| check_text("input.engineerReferral.licenceNumber", l, 50))
                    .transpose()?,
                finding: check_text("input.engineerReferral.finding", &e.finding, 2000)?,
            }),
            None => None,
        };
        let key = crate::graphql::idempotency::arguments_key(
            ctx,
            "draftRuling",
            input.idempotency_key.as_deref(),
        )?;
        let draft = ctx
            .deps()
            .article100
            .draft_ruling(
                p,
                DraftRuling {
                    session_id,
                    case_id,
                    kind: input.kind,
                    text: input.text,
                    legal_basis: input
                        .legal_basis
                        .as_deref()
                        .map(|b| check_text("input.legalBasis", b, 300))
                        .transpose()?,
                    breached_principle: input.breached_principle,
                    appeal_outcome: input.appeal_outcome,
                    interim_return: input.interim_return,
                    items: choices,
                    demolition_period_days,
                    engineer_referral,
                },
                key.as_ref(),
            )
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(RulingDraftPayload {
            draft: RulingDraft(draft),
        })
    }

    /// Signs a draft as the signed-in voting member of its commission (found by the token's
    /// national id). A member who sat on the case's primary ruling (signed it here, or was on
    /// its commission on its date) may not sign its appeal. Signing again changes nothing.
    async fn sign_ruling(
        &self,
        ctx: &Context<'_>,
        input: SignRulingInput,
    ) -> async_graphql::Result<RulingDraftPayload> {
        let p = signed_in(ctx.viewer())?;
        let draft_id = id64("RulingDraft", "input.draft", &input.draft)?;
        let national_id = p
            .national_id
            .as_ref()
            .filter(|_| p.roles.contains(&Role::CommissionMember))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Forbidden,
                    "only a commission member signed in with their national id signs rulings",
                )
            })?;
        let draft = ctx
            .deps()
            .article100
            .sign_ruling(p, draft_id, national_id)
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(RulingDraftPayload {
            draft: RulingDraft(draft),
        })
    }

    /// Issues a draft signed by the three voting members: the dadnameh is rendered and the
    /// content signed first, then one transaction writes the legacy ruling and item rows, the
    /// signed immutable record with its verification code, the parties to serve, the state
    /// history, the audit entry and the `ruling.issued` event. Needs an idempotency key: a
    /// retry with the same key returns the same ruling; the same key for another draft fails
    /// with `IDEMPOTENCY_KEY_REUSED`. The secretary of the session's commission.
    async fn issue_ruling(
        &self,
        ctx: &Context<'_>,
        input: IssueRulingInput,
    ) -> async_graphql::Result<IssueRulingPayload> {
        issue(ctx, input, None).await
    }

    /// Issues an appeal commission's ruling (confirm, overturn or modify the primary ruling);
    /// it is final when issued. An overturned or modified primary ruling is marked
    /// superseded.
    async fn issue_appeal_ruling(
        &self,
        ctx: &Context<'_>,
        input: IssueRulingInput,
    ) -> async_graphql::Result<IssueRulingPayload> {
        issue(ctx, input, Some(RulingStage::Appeal)).await
    }
}

async fn issue(
    ctx: &Context<'_>,
    input: IssueRulingInput,
    only: Option<RulingStage>,
) -> async_graphql::Result<IssueRulingPayload> {
    let p = signed_in(ctx.viewer())?;
    let draft_id = id64("RulingDraft", "input.draft", &input.draft)?;
    let key = idempotency_key(ctx, input.idempotency_key)?;
    let deps = ctx.deps();
    let issued = deps
        .article100
        .issue_ruling(p, draft_id, &key, only, &deps.public_base_url)
        .await
        .map_err(|e| usecase_error(e, "input"))?;
    let ruling = super::ruling_payload(ctx, issued.legacy_ruling_id).await?;
    Ok(IssueRulingPayload {
        ruling,
        number: issued.number,
        verification_code: issued.verification_code,
        created: issued.created,
    })
}

/// Queries of the commission session.
#[derive(Default)]
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// A sitting of a commission. Its secretary and members, auditors and admins; null for
    /// anyone else.
    async fn commission_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's `id`.")] id: ID,
    ) -> async_graphql::Result<Option<CommissionSession>> {
        let Ok(key) = id64("CommissionSession", "id", &id) else {
            return Ok(None);
        };
        session_by_key(ctx, key).await
    }

    /// The secretariat's work list: parties of the commission's cases that no e-notice
    /// account reaches and that have not been served yet (with the current hearing's summons,
    /// or with a ruling), oldest first. The commission's secretary and members, auditors and
    /// admins; `FORBIDDEN` for anyone else.
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn service_by_hand_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commission (its `id`).")] commission: ID,
        #[graphql(desc = "Page size: 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return parties after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page size from the end instead of `first`: the last items (before `before`), at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return items before this cursor (an edge's `cursor`); pages backwards with `last`."
        )]
        before: Option<String>,
    ) -> async_graphql::Result<Conn<PendingService>> {
        let p = signed_in(ctx.viewer())?;
        let commission = id_of("Commission", "commission", &commission)?;
        if !policy::may_read_commission(p, commission) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "only the commission's secretary and members, auditors and admins see its work list",
            )
            .with_fa("فهرست ابلاغ دستی فقط برای دبیر و اعضای همان کمیسیون قابل مشاهده است.")
            .into());
        }
        let request = page_request("PendingService", first, after, last, before)?;
        let db = ctx.deps().urbanism.clone();
        let page = db
            .awaiting_service_by_hand(commission, request)
            .await
            .map_err(ApiError::from)?;
        let total = TotalCount::new(move || {
            let db = db.clone();
            Box::pin(async move { db.awaiting_service_by_hand_count(commission).await })
        });
        Ok(connection(
            "PendingService",
            page,
            |s| s.id,
            PendingService,
            total,
        ))
    }

    /// A draft ruling with its signatures: what a member reads before signing. The
    /// commission's secretary and members, auditors and admins; null for anyone else.
    async fn ruling_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft's `id`.")] id: ID,
    ) -> async_graphql::Result<Option<RulingDraft>> {
        let Ok(key) = id64("RulingDraft", "id", &id) else {
            return Ok(None);
        };
        draft_by_key(ctx, key).await
    }
}

/// A sitting the viewer may read (its commission's secretary and members, auditors and
/// admins), or `None` exactly as for one that does not exist.
pub(crate) async fn session_by_key(
    ctx: &Context<'_>,
    key: i64,
) -> async_graphql::Result<Option<CommissionSession>> {
    let Some(p) = ctx.viewer().principal() else {
        return Ok(None);
    };
    let found = ctx
        .deps()
        .urbanism
        .session(key)
        .await
        .map_err(ApiError::from)?;
    Ok(found
        .filter(|s| policy::may_read_commission(p, s.commission_id))
        .map(CommissionSession))
}

/// A draft the viewer may read (as its commission's sittings), or `None`.
pub(crate) async fn draft_by_key(
    ctx: &Context<'_>,
    key: i64,
) -> async_graphql::Result<Option<RulingDraft>> {
    let Some(p) = ctx.viewer().principal() else {
        return Ok(None);
    };
    let found = ctx
        .deps()
        .urbanism
        .draft(key)
        .await
        .map_err(ApiError::from)?;
    Ok(found
        .filter(|d| policy::may_read_commission(p, d.content.commission_id))
        .map(RulingDraft))
}
