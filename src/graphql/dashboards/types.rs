//! Objects of the dashboards.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use shahr_citizen::stats as rq;
use shahr_domain::vocabulary::{AppealOutcome, RequestState, RulingKind, RulingStatus};
use shahr_urbanism::stats as rs;

use crate::graphql::{
    loaders::{loader, CommissionLoader},
    node::global_id,
    rulings::types::Commission,
    scalars::{Date, DateTime, Rial},
};

/// Which rulings count. Dates are the ruling's date (inclusive); rulings whose legacy date
/// cannot be read are left out when a range is given.
#[derive(InputObject, Default, Clone)]
pub struct RulingStatsFilter {
    /// Only this district (1-10). Staff may leave it out: their own district is used.
    pub district: Option<i32>,
    /// Only this commission (its `id`).
    pub commission: Option<ID>,
    /// Rulings dated on or after this day.
    pub from: Option<Date>,
    /// Rulings dated on or before this day.
    pub to: Option<Date>,
}

/// Which requests count. Dates are days in Tehran (inclusive) on which requests were filed.
#[derive(InputObject, Default, Clone)]
pub struct RequestStatsFilter {
    /// Only this district (1-10). Staff may leave it out: their own district is used.
    pub district: Option<i32>,
    /// Only this service (its `code`).
    pub service: Option<String>,
    /// Requests filed on or after this day.
    pub from: Option<Date>,
    /// Requests filed on or before this day.
    pub to: Option<Date>,
}

/// A duration over many rulings or requests, in seconds.
#[derive(SimpleObject, Clone, Default)]
pub struct DurationStats {
    /// How many have it (rulings not yet served have no issue-to-service time, ...).
    pub count: i32,
    /// Median, in seconds; `null` when `count` is 0.
    pub median_seconds: Option<f64>,
    /// 90th percentile, in seconds; `null` when `count` is 0.
    pub p90_seconds: Option<f64>,
}

impl From<&rs::Durations> for DurationStats {
    fn from(d: &rs::Durations) -> Self {
        Self {
            count: clamp(d.count),
            median_seconds: d.median,
            p90_seconds: d.p90,
        }
    }
}

/// A count that fits GraphQL's `Int`.
pub(crate) fn clamp(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Rulings of one kind.
#[derive(SimpleObject)]
pub struct RulingKindCount {
    /// The kind; `null` when the legacy code could not be read.
    pub kind: Option<RulingKind>,
    /// How a person reads it (`جریمه`, `نامشخص` when unreadable).
    pub label_fa: String,
    /// How many.
    pub count: i32,
}

/// Rulings in one state.
#[derive(SimpleObject)]
pub struct RulingStatusCount {
    /// The state; `null` when the legacy code could not be read.
    pub status: Option<RulingStatus>,
    /// How a person reads it.
    pub label_fa: String,
    /// How many.
    pub count: i32,
}

/// Rulings or requests of one district.
#[derive(SimpleObject)]
pub struct DistrictCount {
    /// The district (1-10); `null` when the legacy value could not be read.
    pub district: Option<i32>,
    /// How many.
    pub count: i32,
}

/// Counts per district, as the API gives them.
fn districts(counts: impl Iterator<Item = (Option<i16>, i64)>) -> Vec<DistrictCount> {
    counts
        .map(|(district, count)| DistrictCount {
            district: district.map(i32::from),
            count: clamp(count),
        })
        .collect()
}

/// Rulings of one commission.
pub struct CommissionCount {
    commission_id: Option<i32>,
    count: i32,
}

/// Rulings of one commission.
#[Object]
impl CommissionCount {
    /// The commission's `id`; `null` when the legacy ruling names none.
    async fn commission_id(&self) -> Option<ID> {
        self.commission_id.map(|c| global_id("Commission", c))
    }

    /// The commission (name, kind, district).
    async fn commission(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Commission>> {
        let Some(id) = self.commission_id else {
            return Ok(None);
        };
        Ok(loader::<i32, CommissionLoader>(ctx)
            .load_one(id)
            .await?
            .map(Commission))
    }

    /// How many.
    async fn count(&self) -> i32 {
        self.count
    }
}

/// Appeal rulings with one outcome.
#[derive(SimpleObject)]
pub struct AppealOutcomeCount {
    /// The outcome.
    pub outcome: Option<AppealOutcome>,
    /// How a person reads it.
    pub label_fa: String,
    /// How many.
    pub count: i32,
}

/// One Jalali month of rulings: the gap-time trend.
#[derive(SimpleObject)]
pub struct RulingMonthStats {
    /// The Jalali month, `1405/09`.
    pub month: String,
    /// Rulings dated in the month.
    pub rulings: i32,
    /// From the commission's session to the issued ruling.
    pub session_to_issue: DurationStats,
    /// From the issued ruling to legal service on the owner.
    pub issue_to_service: DurationStats,
}

const UNKNOWN_FA: &str = "نامشخص";

/// Counts and times of Article 100 rulings, for dashboards.
pub struct RulingStats(pub rs::RulingStats);

/// Counts and times of Article 100 rulings, for dashboards. Times are exact for rulings issued
/// through the gateway (session opened, record issued, legal service recorded) and whole days
/// between the legacy record's dates for older rulings.
#[Object]
impl RulingStats {
    /// Rulings counted.
    async fn total(&self) -> i32 {
        clamp(self.0.total)
    }

    /// By kind (demolition, fine, ...).
    async fn by_kind(&self) -> Vec<RulingKindCount> {
        self.0
            .by_kind
            .iter()
            .map(|c| RulingKindCount {
                kind: c.key,
                label_fa: c.key.map_or(UNKNOWN_FA, RulingKind::label_fa).to_owned(),
                count: clamp(c.count),
            })
            .collect()
    }

    /// By state (issued, notified, final, ...).
    async fn by_status(&self) -> Vec<RulingStatusCount> {
        self.0
            .by_state
            .iter()
            .map(|c| RulingStatusCount {
                status: c.key,
                label_fa: c.key.map_or(UNKNOWN_FA, RulingStatus::label_fa).to_owned(),
                count: clamp(c.count),
            })
            .collect()
    }

    /// By district, in district order.
    async fn by_district(&self) -> Vec<DistrictCount> {
        districts(self.0.by_district.iter().map(|c| (c.key, c.count)))
    }

    /// By commission.
    async fn by_commission(&self) -> Vec<CommissionCount> {
        self.0
            .by_commission
            .iter()
            .map(|c| CommissionCount {
                commission_id: c.key,
                count: clamp(c.count),
            })
            .collect()
    }

    /// Fines imposed by fine rulings.
    async fn fines_imposed(&self) -> Rial {
        Rial(self.0.fines_imposed)
    }

    /// Fines paid: payments recorded through the gateway; a legacy fine ruling marked enforced
    /// with no payment recorded counts in full.
    async fn fines_collected(&self) -> Rial {
        Rial(self.0.fines_collected)
    }

    /// From the commission's session to the issued ruling (primary rulings; appeals issued
    /// through the gateway too).
    async fn session_to_issue(&self) -> DurationStats {
        (&self.0.session_to_issue).into()
    }

    /// From the issued ruling to legal service on the owner: the gap the online rulings close.
    async fn issue_to_service(&self) -> DurationStats {
        (&self.0.issue_to_service).into()
    }

    /// Rulings served on their owners.
    async fn served(&self) -> i32 {
        clamp(self.0.served)
    }

    /// Objections filed against these rulings.
    async fn objections(&self) -> i32 {
        clamp(self.0.objections)
    }

    /// Objections filed within the window.
    async fn objections_in_time(&self) -> i32 {
        clamp(self.0.objections_in_time)
    }

    /// Objections filed after the window (recorded, flagged).
    async fn objections_late(&self) -> i32 {
        clamp(self.0.objections - self.0.objections_in_time)
    }

    /// Appeal rulings by outcome. Legacy appeals read as overturned when the primary ruling is
    /// marked overturned (the legacy system does not tell overturned from modified).
    async fn appeal_outcomes(&self) -> Vec<AppealOutcomeCount> {
        self.0
            .appeal_outcomes
            .iter()
            .map(|c| AppealOutcomeCount {
                outcome: c.key,
                label_fa: c.key.map_or(UNKNOWN_FA, AppealOutcome::label_fa).to_owned(),
                count: clamp(c.count),
            })
            .collect()
    }

    /// By Jalali month of the ruling, oldest first: the gap-time trend.
    async fn by_month(&self) -> Vec<RulingMonthStats> {
        self.0
            .by_month
            .iter()
            .map(|m| RulingMonthStats {
                month: m.month.clone(),
                rulings: clamp(m.rulings),
                session_to_issue: (&m.session_to_issue).into(),
                issue_to_service: (&m.issue_to_service).into(),
            })
            .collect()
    }

    /// When these figures were brought up to date (the gateway refreshes them in the
    /// background and soon after each ruling event); `null` before the first refresh.
    async fn as_of(&self) -> Option<DateTime> {
        self.0.as_of.map(DateTime)
    }
}

/// Requests of one service.
#[derive(SimpleObject)]
pub struct ServiceCount {
    /// The service's `code`.
    pub code: String,
    /// Its name in Persian.
    pub name_fa: String,
    /// How many.
    pub count: i32,
}

/// Requests in one state.
#[derive(SimpleObject)]
pub struct RequestStateCount {
    /// The state; `null` when the stored value is not one the gateway knows.
    pub state: Option<RequestState>,
    /// How a person reads it.
    pub label_fa: String,
    /// How many.
    pub count: i32,
}

/// One workflow step across the requests counted.
#[derive(SimpleObject)]
pub struct RequestStepStats {
    /// The state the step is spent in.
    pub state: Option<RequestState>,
    /// How a person reads it.
    pub label_fa: String,
    /// Times the step was completed (the request moved on).
    pub handled: i32,
    /// Time to complete the step.
    pub handling_time: DurationStats,
    /// Completed after the step's SLA.
    pub breached: i32,
    /// Requests in the step now.
    pub open: i32,
    /// Requests in the step now and past its SLA.
    pub overdue: i32,
}

/// Counts, SLA and handling times of citizens' service requests, for dashboards.
pub struct RequestStats(pub rq::RequestStats);

/// Counts, SLA and handling times of citizens' service requests, for dashboards.
#[Object]
impl RequestStats {
    /// Requests counted.
    async fn total(&self) -> i32 {
        clamp(self.0.total)
    }

    /// By service, most requested first.
    async fn by_service(&self) -> Vec<ServiceCount> {
        self.0
            .by_service
            .iter()
            .map(|s| ServiceCount {
                code: s.code.clone(),
                name_fa: s.name_fa.clone(),
                count: clamp(s.count),
            })
            .collect()
    }

    /// By current state.
    async fn by_state(&self) -> Vec<RequestStateCount> {
        self.0
            .by_state
            .iter()
            .map(|c| RequestStateCount {
                state: c.key,
                label_fa: c.key.map_or(UNKNOWN_FA, RequestState::label_fa).to_owned(),
                count: clamp(c.count),
            })
            .collect()
    }

    /// By district, in district order.
    async fn by_district(&self) -> Vec<DistrictCount> {
        districts(self.0.by_district.iter().map(|c| (c.key, c.count)))
    }

    /// Per workflow step, in workflow order: handling time, SLA breaches, what is waiting.
    async fn steps(&self) -> Vec<RequestStepStats> {
        self.0
            .steps
            .iter()
            .map(|s| RequestStepStats {
                state: s.state,
                label_fa: s
                    .state
                    .map_or(UNKNOWN_FA, RequestState::label_fa)
                    .to_owned(),
                handled: clamp(s.handled),
                handling_time: DurationStats {
                    count: clamp(s.handled),
                    median_seconds: s.median_seconds,
                    p90_seconds: s.p90_seconds,
                },
                breached: clamp(s.breached),
                open: clamp(s.open),
                overdue: clamp(s.overdue),
            })
            .collect()
    }

    /// Steps completed after their SLA plus steps open past it.
    async fn sla_breaches(&self) -> i32 {
        clamp(self.0.sla_breaches)
    }

    /// Steps with an SLA completed within it.
    async fn handled_in_time(&self) -> i32 {
        clamp(self.0.handled_in_time)
    }

    /// Fees collected on the requests counted: every recorded payment (online, and by hand
    /// once a second staff member confirmed it).
    async fn fees_collected(&self) -> crate::graphql::scalars::Rial {
        crate::graphql::scalars::Rial(self.0.fees_collected)
    }

    /// The part of `feesCollected` paid online through the payment gateway.
    async fn fees_collected_online(&self) -> crate::graphql::scalars::Rial {
        crate::graphql::scalars::Rial(self.0.fees_collected_online)
    }
}
