//! Who may see what. Every read of the urbanism graph is restricted at the root by the
//! viewer's [`Visibility`]; nested objects hang off a visible root.

use shahr_urbanism::Visibility;

use super::error::{ApiError, ErrorCode};
use crate::auth::{Principal, Role, Viewer};

/// What the viewer may see: auditors and admins everything, staff their district, citizens
/// the parcels they own (and what hangs off them), anyone else nothing.
pub fn visibility(viewer: &Viewer) -> Visibility {
    crate::usecases::policy::visibility(viewer)
}

/// True when the viewer may see `parcel` itself, reached by a path that does not restrict
/// it (a request's parcel): staff of its district, auditors and admins, and its current
/// owners; a former owner no longer.
pub async fn sees_parcel(
    ctx: &async_graphql::Context<'_>,
    parcel: &shahr_urbanism::records::Parcel,
) -> async_graphql::Result<bool> {
    use super::context::ContextExt;
    Ok(match visibility(ctx.viewer()) {
        Visibility::All => true,
        Visibility::District(d) => parcel.district == Some(d),
        Visibility::Owner(n) => {
            super::loaders::many::<super::loaders::OwnershipsLoader, _>(ctx, parcel.id)
                .await?
                .iter()
                .any(|o| o.owner.national_id.as_ref() == Some(&n))
        }
        Visibility::Nothing => false,
    })
}

/// True when the viewer may read personal data (national id, mobile) of a person with
/// `national_id`: staff, auditors and admins, or the person themself.
pub fn may_read_personal_data(viewer: &Viewer, national_id: Option<&str>) -> bool {
    match viewer.principal() {
        None => false,
        Some(p) => {
            p.roles.iter().any(|r| *r != Role::Citizen)
                || national_id
                    .is_some_and(|n| p.national_id.as_ref().is_some_and(|own| own.as_str() == n))
        }
    }
}

/// The signed-in principal, or `UNAUTHENTICATED`.
pub fn signed_in(viewer: &Viewer) -> Result<&Principal, ApiError> {
    viewer
        .principal()
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "sign in to see this"))
}

/// The district a staff reader is limited to (`None`: all, for auditors and admins), given
/// the district they asked for. Citizens and strangers get `refusal`; staff asking for another
/// district are told they see their own district's `what`.
pub fn staff_scope(
    viewer: &Viewer,
    requested: Option<i32>,
    refusal: &str,
    what: &str,
) -> async_graphql::Result<Option<i32>> {
    let scope = match visibility(viewer) {
        Visibility::All => None,
        Visibility::District(d) => Some(i32::from(d)),
        _ => {
            signed_in(viewer)?;
            return Err(ApiError::new(ErrorCode::Forbidden, refusal).into());
        }
    };
    if scope.is_some() && requested.is_some_and(|d| Some(d) != scope) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("staff see their own district's {what}"),
        )
        .into());
    }
    Ok(requested.or(scope))
}
