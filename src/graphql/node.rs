//! Global object identification: opaque ids and `node(id:)`.

use async_graphql::{Context, Interface, Object, ID};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use shahr_urbanism::parents::Child;

use super::{
    access::visibility,
    context::ContextExt,
    error::ApiError,
    loaders::{loader, CommissionLoader, DistrictLoader},
    parcels::types::{District, Owner, Parcel},
    rulings::types::{Commission, Ruling, ViolationCase},
};

/// Any object that can be fetched alone by its global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global id; pass it to `node(id:)` to fetch the object again."
))]
pub enum Node {
    /// A municipal district.
    District(District),
    /// A parcel.
    Parcel(Parcel),
    /// An owner.
    Owner(Owner),
    /// A commission.
    Commission(Commission),
    /// A violation case.
    ViolationCase(ViolationCase),
    /// A ruling.
    Ruling(Ruling),
    /// An online payment of a request's fee or a fine.
    Payment(super::requests::payments::Payment),
    /// A citizen's service request.
    ServiceRequest(super::requests::types::ServiceRequest),
    /// A sitting of a commission.
    CommissionSession(super::rulings::session::objects::CommissionSession),
    /// A draft ruling with its signatures.
    RulingDraft(super::rulings::session::objects::RulingDraft),
    /// A building permit of a parcel.
    Permit(super::parcels::types::Permit),
    /// A certificate of a parcel.
    Certificate(super::parcels::types::Certificate),
    /// A record of a ruling's service (eblagh).
    Notification(super::rulings::ruling::Notification),
    /// An objection to a ruling.
    Objection(super::rulings::ruling::Objection),
    /// A step of a ruling's enforcement.
    Enforcement(super::rulings::session::parties::Enforcement),
    /// A payment of a ruling's fine.
    FinePayment(super::rulings::session::parties::FinePayment),
    /// A member's seat on a commission.
    CommissionMember(super::rulings::types::CommissionMember),
    /// One item of a violation case.
    ViolationItem(super::rulings::types::ViolationItem),
    /// An owner's defence on a case.
    Defence(super::rulings::session::objects::Defence),
    /// A message in the signed-in person's in-app inbox.
    InboxMessage(super::me::InboxMessage),
}

/// Builds the global id of an object of type `kind` with key `key`.
pub fn global_id(kind: &str, key: impl std::fmt::Display) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{kind}:{key}")))
}

/// Splits a global id into `(kind, key)`; `None` for anything we did not mint.
pub fn parse_global_id(id: &str) -> Option<(String, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, key) = text.split_once(':')?;
    Some((kind.to_owned(), key.to_owned()))
}

/// The `node` query.
#[derive(Default)]
pub struct NodeQuery;

/// The `node` query.
#[Object]
impl NodeQuery {
    /// Fetches any object by its global id. Null when no such object exists or the viewer may
    /// not see it (the two are indistinguishable on purpose).
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id from some object's `id` field.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let Some((kind, key)) = parse_global_id(&id) else {
            return Ok(None);
        };
        if kind == "District" {
            let Ok(number) = key.parse::<i16>() else {
                return Ok(None);
            };
            return Ok(loader::<i16, DistrictLoader>(ctx)
                .load_one(number)
                .await?
                .map(|d| Node::District(District(d))));
        }
        if kind == "Payment" {
            let Ok(order) = key.parse::<i64>() else {
                return Ok(None);
            };
            let found = ctx
                .deps()
                .citizen
                .payment(order)
                .await
                .map_err(ApiError::from)?;
            return Ok(found
                .filter(|p| super::requests::resolvers::may_see_payment(ctx.viewer(), p))
                .map(|p| Node::Payment(super::requests::payments::Payment(p))));
        }
        if kind == "InboxMessage" {
            return super::me::inbox_message_by_key(ctx, &key).await;
        }
        if let Some(child) = child_kind(&kind) {
            let Ok(key) = key.parse::<i64>() else {
                return Ok(None);
            };
            return child_node(ctx, child, key).await;
        }
        // Keys of the gateway's own tables (bigint), each behind its own reading rule.
        if let ("ServiceRequest" | "CommissionSession" | "RulingDraft", Ok(key)) =
            (kind.as_str(), key.parse::<i64>())
        {
            use super::rulings::session::commission::{draft_by_key, session_by_key};
            return Ok(match kind.as_str() {
                "ServiceRequest" => ctx
                    .deps()
                    .citizen
                    .request_by_id(key)
                    .await
                    .map_err(ApiError::from)?
                    .filter(|r| super::requests::resolvers::may_see(ctx.viewer(), r))
                    .map(|r| Node::ServiceRequest(super::requests::types::ServiceRequest(r))),
                "CommissionSession" => session_by_key(ctx, key).await?.map(Node::CommissionSession),
                _ => draft_by_key(ctx, key).await?.map(Node::RulingDraft),
            });
        }
        let Ok(key) = key.parse::<i32>() else {
            return Ok(None);
        };
        let db = &ctx.deps().urbanism;
        let vis = visibility(ctx.viewer());
        let node = match kind.as_str() {
            "Commission" => loader::<i32, CommissionLoader>(ctx)
                .load_one(key)
                .await?
                .map(|c| Node::Commission(Commission(c))),
            "Parcel" => {
                first(db.parcels_by_ids(&[key], &vis).await)?.map(|p| Node::Parcel(Parcel(p)))
            }
            "Owner" => first(db.owners_by_ids(&[key], &vis).await)?.map(|o| Node::Owner(Owner(o))),
            "ViolationCase" => first(db.cases_by_ids(&[key], &vis).await)?
                .map(|c| Node::ViolationCase(ViolationCase(c))),
            "Ruling" => {
                first(db.rulings_by_ids(&[key], &vis).await)?.map(|r| Node::Ruling(Ruling(r)))
            }
            _ => None,
        };
        Ok(node)
    }
}

fn child_kind(kind: &str) -> Option<Child> {
    Some(match kind {
        "Permit" => Child::Permit,
        "Certificate" => Child::Certificate,
        "Notification" => Child::Notification,
        "Objection" => Child::Objection,
        "Enforcement" => Child::Enforcement,
        "FinePayment" => Child::FinePayment,
        "CommissionMember" => Child::CommissionMember,
        "ViolationItem" => Child::ViolationItem,
        "Defence" => Child::Defence,
        _ => return None,
    })
}

/// A record that belongs to a parent, found through the parent: null unless the viewer may
/// see that parcel, ruling or case (commissions are public), as when it is read in place.
async fn child_node(
    ctx: &Context<'_>,
    child: Child,
    key: i64,
) -> async_graphql::Result<Option<Node>> {
    use super::{
        loaders::{
            many, CertificatesLoader, DefencesLoader, EnforcementsLoader, ItemsLoader,
            MembersLoader, NotificationsLoader, ObjectionsLoader, PaymentsLoader, PermitsLoader,
        },
        parcels::types as p,
        rulings::{ruling as r, session::objects as o, session::parties as s, types as t},
    };
    let db = &ctx.deps().urbanism;
    let Some(parent) = db.parent_of(child, key).await.map_err(ApiError::from)? else {
        return Ok(None);
    };
    let Ok(parent) = i32::try_from(parent) else {
        return Ok(None);
    };
    let vis = visibility(ctx.viewer());
    let visible = match child {
        Child::Permit | Child::Certificate => {
            first(db.parcels_by_ids(&[parent], &vis).await)?.is_some()
        }
        Child::Notification | Child::Objection | Child::Enforcement | Child::FinePayment => {
            first(db.rulings_by_ids(&[parent], &vis).await)?.is_some()
        }
        Child::ViolationItem | Child::Defence => {
            first(db.cases_by_ids(&[parent], &vis).await)?.is_some()
        }
        Child::CommissionMember => true,
    };
    if !visible {
        return Ok(None);
    }
    // The child among its parent's, read as the parent's field reads them.
    macro_rules! among {
        ($loader:ty, $variant:ident, $wrap:path) => {
            many::<$loader, _>(ctx, parent)
                .await?
                .into_iter()
                .find(|x| same(x.id, key))
                .map(|x| Node::$variant($wrap(x)))
        };
    }
    Ok(match child {
        Child::Permit => among!(PermitsLoader, Permit, p::Permit),
        Child::Certificate => among!(CertificatesLoader, Certificate, p::Certificate),
        Child::Notification => among!(NotificationsLoader, Notification, r::Notification),
        Child::Objection => among!(ObjectionsLoader, Objection, r::Objection),
        Child::Enforcement => among!(EnforcementsLoader, Enforcement, s::Enforcement),
        Child::FinePayment => among!(PaymentsLoader, FinePayment, s::FinePayment),
        Child::CommissionMember => among!(MembersLoader, CommissionMember, t::CommissionMember),
        Child::ViolationItem => among!(ItemsLoader, ViolationItem, t::ViolationItem),
        Child::Defence => among!(DefencesLoader, Defence, o::Defence),
    })
}

/// Whether a record's id (of whichever width) is `key`.
fn same(id: impl Into<i64>, key: i64) -> bool {
    id.into() == key
}

fn first<T>(found: Result<Vec<T>, shahr_store::StoreError>) -> Result<Option<T>, ApiError> {
    Ok(found.map_err(ApiError::from)?.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_foreign_ids_are_refused() {
        let id = global_id("District", 9);
        assert_eq!(
            parse_global_id(&id),
            Some(("District".to_owned(), "9".to_owned()))
        );
        assert_eq!(parse_global_id("not base64!"), None);
    }
}
