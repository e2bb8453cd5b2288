//! Batched loaders over the urbanism connector. Through [`Batcher`], each turns all keys
//! requested in one poll pass into one SQL statement, so the statements per request depend on
//! the query's shape, not on list sizes. Loaders keep no cache: they are shared across
//! requests and never serve stale or foreign data. Nested loads need no visibility check:
//! they hang off a visible root.

use std::collections::HashMap;

use async_graphql::{dataloader::Loader, Context};
use shahr_citizen::{CitizenDb, HistoryEntry, Service, ServiceRequest};
use shahr_urbanism::{cases::service::Document, records::*, District, UrbanismDb, Visibility};

use super::{batch::Batcher, error::ApiError};

/// Declares a loader of one record per id.
macro_rules! by_id {
    ($(#[$doc:meta])* $name:ident, $key:ty, $value:ty, |$db:ident, $keys:ident| $load:expr, |$item:ident| $id:expr) => {
        $(#[$doc])*
        pub struct $name(pub UrbanismDb);

        impl Loader<$key> for $name {
            type Value = $value;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, ApiError> {
                let $db = &self.0;
                let $keys = keys;
                let items: Vec<$value> = $load.await?;
                Ok(items.into_iter().map(|$item| ($id, $item)).collect())
            }
        }
    };
}

/// Declares a loader of root records by id as one viewer may see them: keys carry the
/// viewer's visibility, and each distinct visibility (one per request, as a rule) is one
/// statement filtered by it, so what the viewer may not see is absent, as on every root.
macro_rules! visible_by_id {
    ($(#[$doc:meta])* $name:ident, $value:ty, $method:ident) => {
        $(#[$doc])*
        pub struct $name(pub UrbanismDb);

        impl Loader<(Visibility, i32)> for $name {
            type Value = $value;
            type Error = ApiError;

            async fn load(
                &self,
                keys: &[(Visibility, i32)],
            ) -> Result<HashMap<(Visibility, i32), $value>, ApiError> {
                let mut by_visibility: HashMap<&Visibility, Vec<i32>> = HashMap::new();
                for (vis, id) in keys {
                    by_visibility.entry(vis).or_default().push(*id);
                }
                let mut out = HashMap::new();
                for (vis, ids) in by_visibility {
                    for item in self.0.$method(&ids, vis).await? {
                        out.insert((vis.clone(), item.id), item);
                    }
                }
                Ok(out)
            }
        }
    };
}

visible_by_id!(
    /// Parcels by id, as the viewer may see them (roots: `_entities`).
    VisibleParcelLoader, Parcel, parcels_by_ids
);
visible_by_id!(
    /// Cases by id, as the viewer may see them.
    VisibleCaseLoader, ViolationCase, cases_by_ids
);
visible_by_id!(
    /// Rulings by id, as the viewer may see them.
    VisibleRulingLoader, Ruling, rulings_by_ids
);

/// Declares a loader of the records hanging off each key.
macro_rules! grouped {
    ($(#[$doc:meta])* $name:ident, $value:ty, $method:ident) => {
        $(#[$doc])*
        pub struct $name(pub UrbanismDb);

        impl Loader<i32> for $name {
            type Value = Vec<$value>;
            type Error = ApiError;

            async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Vec<$value>>, ApiError> {
                Ok(self.0.$method(keys).await?)
            }
        }
    };
}

by_id!(
    /// Districts by number.
    DistrictLoader, i16, District, |db, keys| db.districts_by_number(keys), |d| d.number
);
by_id!(
    /// Parcels by id (nested: no visibility filter).
    ParcelLoader, i32, Parcel, |db, keys| db.parcels_by_ids(keys, &Visibility::All), |p| p.id
);
by_id!(
    /// Cases by id (nested).
    CaseLoader, i32, ViolationCase, |db, keys| db.cases_by_ids(keys, &Visibility::All), |c| c.id
);
by_id!(
    /// Commissions by id (public).
    CommissionLoader, i32, Commission, |db, keys| db.commissions_by_ids(keys), |c| c.id
);
grouped!(
    /// Owners and shares per parcel.
    OwnershipsLoader, Ownership, ownerships_by_parcel
);
grouped!(
    /// Permits per parcel.
    PermitsLoader, Permit, permits_by_parcel
);
grouped!(
    /// Certificates per parcel.
    CertificatesLoader, Certificate, certificates_by_parcel
);
grouped!(
    /// Cases per parcel.
    CasesByParcelLoader, ViolationCase, cases_by_parcel
);
grouped!(
    /// Items per case.
    ItemsLoader, ViolationItem, items_by_case
);
grouped!(
    /// Rulings per case.
    RulingsByCaseLoader, Ruling, rulings_by_case
);
grouped!(
    /// Members per commission.
    MembersLoader, CommissionMember, members_by_commission
);
grouped!(
    /// Service records per ruling.
    NotificationsLoader, Notification, notifications_by_ruling
);
grouped!(
    /// Objections per ruling.
    ObjectionsLoader, Objection, objections_by_ruling
);

/// Declares a loader of at most one record per key, from a connector method returning a map.
macro_rules! mapped {
    ($(#[$doc:meta])* $name:ident, $value:ty, $method:ident) => {
        $(#[$doc])*
        pub struct $name(pub UrbanismDb);

        impl Loader<i32> for $name {
            type Value = $value;
            type Error = ApiError;

            async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, $value>, ApiError> {
                Ok(self.0.$method(keys).await?)
            }
        }
    };
}

grouped!(
    /// The owner's defences per case.
    DefencesLoader, shahr_urbanism::cases::hearings::Defence, defences_by_case
);
grouped!(
    /// The fine brief recorded at referral, per case.
    FineBriefLoader, shahr_urbanism::cases::referral::BriefLine, fine_briefs
);
grouped!(
    /// Fine payments per ruling.
    PaymentsLoader, shahr_urbanism::cases::enforcement::Payment, payments_by_ruling
);
grouped!(
    /// Enforcement records per ruling.
    EnforcementsLoader, shahr_urbanism::cases::enforcement::EnforcementRecord, enforcements_by_ruling
);
mapped!(
    /// The day each ruling became final.
    FinalDatesLoader, chrono::NaiveDate, final_dates
);
mapped!(
    /// The current hearing per case.
    HearingLoader, shahr_urbanism::cases::hearings::Hearing, hearings_by_case
);
mapped!(
    /// The signed content of rulings issued through the gateway, per legacy ruling id.
    SealedContentLoader, shahr_domain::sealed::SealedContent, sealed_contents
);

/// What each parcel still owes on the final fines of its cases' operative rulings.
pub struct UnpaidFinesLoader(pub UrbanismDb);

impl Loader<i32> for UnpaidFinesLoader {
    type Value = i64;
    type Error = ApiError;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, i64>, ApiError> {
        let client = self
            .0
            .pool()
            .get()
            .await
            .map_err(shahr_store::StoreError::from)?;
        let ledgers = self.0.rulings_of_parcels(&**client, keys).await?;
        Ok(crate::usecases::enforcement::unpaid_by_parcel(&ledgers))
    }
}

/// Each ruling's standing for enforcement (operative or replaced, final, fine and paid), per
/// parcel: the rulings of all the parcel's cases, one statement per batch of parcels.
pub struct StandingsLoader(pub UrbanismDb);

impl Loader<i32> for StandingsLoader {
    type Value = Vec<shahr_domain::enforcement::RulingStanding>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[i32],
    ) -> Result<HashMap<i32, Vec<shahr_domain::enforcement::RulingStanding>>, ApiError> {
        let client = self
            .0
            .pool()
            .get()
            .await
            .map_err(shahr_store::StoreError::from)?;
        let ledgers = self.0.rulings_of_parcels(&**client, keys).await?;
        let mut standing = crate::usecases::enforcement::standings(&ledgers);
        let mut out: HashMap<i32, Vec<_>> = HashMap::new();
        for l in &ledgers {
            if let Some(s) = standing.remove(&l.facts.id) {
                out.entry(l.parcel_id).or_default().push(s);
            }
        }
        Ok(out)
    }
}

/// Declares a loader keyed by a document (a ruling or a summons).
macro_rules! by_document {
    ($(#[$doc:meta])* $name:ident, $value:ty, $method:ident) => {
        $(#[$doc])*
        pub struct $name(pub UrbanismDb);

        impl Loader<Document> for $name {
            type Value = Vec<$value>;
            type Error = ApiError;

            async fn load(&self, keys: &[Document]) -> Result<HashMap<Document, Vec<$value>>, ApiError> {
                Ok(self.0.$method(keys).await?)
            }
        }
    };
}

by_document!(
    /// The parties each document must be served on.
    DocumentPartiesLoader, shahr_urbanism::cases::service::PartyRecord, parties_by_documents
);
by_document!(
    /// The legal services of each document.
    DocumentServicesLoader, shahr_urbanism::cases::service::ServiceRecord, services_by_documents
);
mapped!(
    /// Verification codes of signed rulings, per legacy ruling id.
    VerificationCodeLoader, (String, bool), verification_codes
);

/// Parcels by canonical renovation code (the join from the citizen store).
pub struct ParcelByCodeLoader(pub UrbanismDb);

impl Loader<String> for ParcelByCodeLoader {
    type Value = Parcel;
    type Error = ApiError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Parcel>, ApiError> {
        let parcels = self.0.parcels_by_renovation_codes(keys).await?;
        Ok(parcels
            .into_iter()
            .map(|p| (p.renovation_code.as_str().to_owned(), p))
            .collect())
    }
}

/// Catalogue services by code.
pub struct ServiceLoader(pub CitizenDb);

impl Loader<String> for ServiceLoader {
    type Value = Service;
    type Error = ApiError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Service>, ApiError> {
        let services = self.0.services_by_codes(keys).await?;
        Ok(services.into_iter().map(|s| (s.code.clone(), s)).collect())
    }
}

/// State history per request.
pub struct HistoryLoader(pub CitizenDb);

impl Loader<i64> for HistoryLoader {
    type Value = Vec<HistoryEntry>;
    type Error = ApiError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<HistoryEntry>>, ApiError> {
        Ok(self.0.history_by_request(keys).await?)
    }
}

/// Attached documents per request.
pub struct DocumentsLoader(pub CitizenDb);

impl Loader<i64> for DocumentsLoader {
    type Value = Vec<shahr_citizen::AttachedDocument>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[i64],
    ) -> Result<HashMap<i64, Vec<shahr_citizen::AttachedDocument>>, ApiError> {
        Ok(self.0.documents_by_request(keys).await?)
    }
}

/// Online payments of each ruling's fine (from the citizen store).
pub struct OnlinePaymentsLoader(pub CitizenDb);

impl Loader<i32> for OnlinePaymentsLoader {
    type Value = Vec<shahr_citizen::payments::Payment>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[i32],
    ) -> Result<HashMap<i32, Vec<shahr_citizen::payments::Payment>>, ApiError> {
        Ok(self.0.payments_by_ruling(keys).await?)
    }
}

/// Requests per parcel (by canonical renovation code).
pub struct RequestsByParcelLoader(pub CitizenDb);

impl Loader<String> for RequestsByParcelLoader {
    type Value = Vec<ServiceRequest>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, Vec<ServiceRequest>>, ApiError> {
        Ok(self.0.requests_by_parcel(keys).await?)
    }
}

/// Service requests by tracking code (federation's entity lookups); the caller filters what
/// the viewer may see.
pub struct RequestByCodeLoader(pub CitizenDb);

impl Loader<String> for RequestByCodeLoader {
    type Value = ServiceRequest;
    type Error = ApiError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, ServiceRequest>, ApiError> {
        Ok(self.0.requests_by_tracking_codes(keys).await?)
    }
}

/// Registers every loader on the schema.
pub(super) fn register(
    builder: super::AppSchemaBuilder,
    db: &UrbanismDb,
    citizen: &CitizenDb,
) -> super::AppSchemaBuilder {
    macro_rules! add {
        ($b:expr, $($loader:ident),+) => {
            $b$(.data(Batcher::new($loader(db.clone()))))+
        };
    }
    add!(
        builder,
        DistrictLoader,
        ParcelLoader,
        CaseLoader,
        CommissionLoader,
        OwnershipsLoader,
        PermitsLoader,
        CertificatesLoader,
        CasesByParcelLoader,
        ItemsLoader,
        RulingsByCaseLoader,
        MembersLoader,
        NotificationsLoader,
        ObjectionsLoader,
        ParcelByCodeLoader,
        DefencesLoader,
        FineBriefLoader,
        HearingLoader,
        VerificationCodeLoader,
        PaymentsLoader,
        UnpaidFinesLoader,
        StandingsLoader,
        VisibleParcelLoader,
        VisibleCaseLoader,
        VisibleRulingLoader,
        FinalDatesLoader,
        EnforcementsLoader,
        SealedContentLoader,
        DocumentPartiesLoader,
        DocumentServicesLoader
    )
    .data(Batcher::new(ServiceLoader(citizen.clone())))
    .data(Batcher::new(HistoryLoader(citizen.clone())))
    .data(Batcher::new(DocumentsLoader(citizen.clone())))
    .data(Batcher::new(RequestsByParcelLoader(citizen.clone())))
    .data(Batcher::new(RequestByCodeLoader(citizen.clone())))
    .data(Batcher::new(OnlinePaymentsLoader(citizen.clone())))
}

/// The batcher of loader `L` registered on the schema.
pub fn loader<'a, K, L>(ctx: &Context<'a>) -> &'a Batcher<K, L>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K, Error = ApiError>,
{
    ctx.data_unchecked::<Batcher<K, L>>()
}

/// Loads one key and returns an empty list when nothing hangs off it.
pub async fn many<L, T>(ctx: &Context<'_>, key: i32) -> async_graphql::Result<Vec<T>>
where
    L: Loader<i32, Value = Vec<T>, Error = ApiError> + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Ok(loader::<i32, L>(ctx)
        .load_one(key)
        .await?
        .unwrap_or_default())
}
