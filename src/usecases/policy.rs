//! Who may act on what, decided before anything is revealed: a person who may not see a case
//! is told it does not exist; one who sees it but may not act is told so.

use shahr_domain::{actors::Role, identifiers::NationalId};
use shahr_urbanism::{cases::LockedCase, Visibility};

use super::UseCaseError;
use crate::auth::{Principal, Viewer};

/// Roles that work a district's files.
const DISTRICT_STAFF: [Role; 4] = [
    Role::Inspector,
    Role::CommissionSecretary,
    Role::CommissionMember,
    Role::UrbanismStaff,
];

/// What a viewer may see: auditors and admins everything, staff their district, citizens the
/// parcels they own (and what hangs off them), anyone else nothing.
pub fn visibility(viewer: &Viewer) -> Visibility {
    let Some(p) = viewer.principal() else {
        return Visibility::Nothing;
    };
    principal_visibility(p)
}

/// [`visibility`] of a signed-in person.
pub fn principal_visibility(p: &Principal) -> Visibility {
    if p.roles.contains(&Role::Auditor) || p.roles.contains(&Role::Admin) {
        return Visibility::All;
    }
    if p.roles.iter().any(|r| DISTRICT_STAFF.contains(r)) {
        return p.district.map_or(Visibility::Nothing, Visibility::District);
    }
    if p.roles.contains(&Role::Citizen) {
        if let Some(id) = &p.national_id {
            return Visibility::Owner(id.clone());
        }
    }
    Visibility::Nothing
}

/// True when `p` may see a case in `district` owned by `owners`.
pub fn sees(p: &Principal, district: Option<i16>, owners: &[NationalId]) -> bool {
    match principal_visibility(p) {
        Visibility::All => true,
        Visibility::District(d) => district == Some(d),
        Visibility::Owner(n) => owners.contains(&n),
        Visibility::Nothing => false,
    }
}

/// True when `p` may see the locked case.
pub fn sees_case(p: &Principal, case: &LockedCase) -> bool {
    sees(p, case.district, &case.owner_national_ids())
}

/// Allowed, or refused as `FORBIDDEN` when the case is visible to `p`, `NOT_FOUND` when not.
pub fn decide(
    p: &Principal,
    case: &LockedCase,
    allowed: bool,
    why: &str,
) -> Result<(), UseCaseError> {
    if allowed {
        Ok(())
    } else if sees_case(p, case) {
        Err(UseCaseError::Forbidden(why.to_owned()))
    } else {
        Err(UseCaseError::NotFound)
    }
}

/// True when `p` holds `role` for the case's district.
pub fn works_district(p: &Principal, role: Role, case: &LockedCase) -> bool {
    p.roles.contains(&role) && p.district.is_some() && p.district == case.district
}

/// True when `p` is the secretary of `commission_id`.
pub fn is_secretary_of(p: &Principal, commission_id: i32) -> bool {
    p.roles.contains(&Role::CommissionSecretary) && p.commission_id == Some(commission_id)
}

/// True when `p` is an owner of the case acting as a citizen.
pub fn is_owner(p: &Principal, case: &LockedCase) -> bool {
    p.roles.contains(&Role::Citizen)
        && p.national_id
            .as_ref()
            .is_some_and(|n| case.owner_national_ids().contains(n))
}

/// Refuses opening a sitting of a commission to someone else: commissions are public, so
/// anyone signed in who is not a citizen is told they may not; citizens see no sittings.
pub fn commission_refusal(p: &Principal) -> UseCaseError {
    if p.roles.iter().any(|r| *r != Role::Citizen) {
        UseCaseError::Forbidden("only this commission's secretary runs its session".into())
    } else {
        UseCaseError::NotFound
    }
}

/// Refuses work on a commission's sitting or draft: those who may read it (see
/// [`may_read_commission`]) are told they may not act; anyone else is told there is no such
/// sitting or draft, exactly as for an id that does not exist.
pub fn sitting_refusal(p: &Principal, commission_id: i32) -> UseCaseError {
    if may_read_commission(p, commission_id) {
        UseCaseError::Forbidden("only this commission's secretary runs its session".into())
    } else {
        UseCaseError::NotFound
    }
}

/// True when `p` may read a commission's sittings and drafts: its secretary and members,
/// auditors and admins.
pub fn may_read_commission(p: &Principal, commission_id: i32) -> bool {
    p.roles.contains(&Role::Auditor)
        || p.roles.contains(&Role::Admin)
        || (p.commission_id == Some(commission_id)
            && (p.roles.contains(&Role::CommissionSecretary)
                || p.roles.contains(&Role::CommissionMember)))
}
