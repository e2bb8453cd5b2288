//! What an identity must carry for each role (api-conventions: who sees what). Each row: the
//! roles, the claims present, and the claims reported missing.

use shahr_domain::actors::{missing_claims, Claim, Role};

use Claim::{Commission, District, NationalId};

/// Why, the roles, the claims present, the claims missing.
type Row = (
    &'static str,
    &'static [Role],
    &'static [Claim],
    &'static [(Role, Claim)],
);

#[test]
fn each_role_names_the_claims_it_cannot_act_without() {
    let rows: &[Row] = &[
        (
            "a citizen is known by their national id",
            &[Role::Citizen],
            &[],
            &[(Role::Citizen, NationalId)],
        ),
        (
            "a citizen with it is complete",
            &[Role::Citizen],
            &[NationalId],
            &[],
        ),
        (
            "staff work a district's queue",
            &[Role::UrbanismStaff],
            &[NationalId],
            &[(Role::UrbanismStaff, District)],
        ),
        (
            "inspectors detect in a district",
            &[Role::Inspector],
            &[],
            &[(Role::Inspector, District)],
        ),
        (
            "a secretary serves one commission",
            &[Role::CommissionSecretary],
            &[District],
            &[(Role::CommissionSecretary, Commission)],
        ),
        (
            "a member signs as themself on their commission",
            &[Role::CommissionMember],
            &[],
            &[
                (Role::CommissionMember, Commission),
                (Role::CommissionMember, NationalId),
            ],
        ),
        (
            "a member with only a commission still lacks the id",
            &[Role::CommissionMember],
            &[Commission],
            &[(Role::CommissionMember, NationalId)],
        ),
        (
            "auditors and admins need nothing more",
            &[Role::Auditor, Role::Admin],
            &[],
            &[],
        ),
        (
            "a claim two roles need is reported once, for the first",
            &[Role::Citizen, Role::CommissionMember],
            &[Commission],
            &[(Role::Citizen, NationalId)],
        ),
    ];
    for (why, roles, present, expected) in rows {
        let missing = missing_claims(roles, |c| present.contains(&c));
        assert_eq!(&missing, expected, "{why}");
    }
}

#[test]
fn every_missing_claim_has_its_flag() {
    assert_eq!(
        [NationalId, District, Commission].map(Claim::flag),
        ["--national-id", "--district", "--commission"]
    );
}
