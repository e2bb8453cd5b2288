//! Serving every owner (domain reference, section 1: "Serving every owner"; section 2,
//! eblagh). Rows name their source.

use shahr_domain::{
    identifiers::{LegalId, NationalId},
    parties::{owner_parties, owner_party, OwnerRecord, Party},
    vocabulary::{OwnerKind, PartyKind},
};

fn record(
    legacy_id: i32,
    kind: Option<OwnerKind>,
    nid: Option<&str>,
    lid: Option<&str>,
) -> OwnerRecord {
    OwnerRecord {
        legacy_id,
        kind,
        national_id: nid.map(|n| NationalId::parse(n).expect("nid")),
        legal_id: lid.map(|l| LegalId::parse(l).expect("lid")),
        name: "مالک".into(),
        mobile: None,
    }
}

#[test]
fn every_owner_is_a_party_served_by_their_own_identifier_or_by_hand() {
    #[rustfmt::skip]
    let rows = [
        ("domain §1: a natural person by national id", record(1, Some(OwnerKind::Natural), Some("0076229645"), None), PartyKind::NaturalPerson, false),
        ("domain §1: a legal entity by its legal id (e-notice has accounts for legal persons)", record(4, Some(OwnerKind::Legal), None, Some("10380284790")), PartyKind::LegalEntity, false),
        ("a legal entity whose kind code is unreadable, by its legal id", record(4, None, None, Some("10380284790")), PartyKind::LegalEntity, false),
        ("domain §1: an unreadable id is never skipped: service by hand", record(5, Some(OwnerKind::Natural), None, None), PartyKind::Unidentified, true),
    ];
    for (source, owner, kind, by_hand) in rows {
        let p = owner_party(&owner);
        assert_eq!(
            (p.party.kind(), p.needs_service_by_hand),
            (kind, by_hand),
            "{source}"
        );
    }
}

#[test]
fn parties_are_listed_once_and_keep_their_keys() {
    let owners = [
        record(1, Some(OwnerKind::Natural), Some("0076229645"), None),
        record(9, Some(OwnerKind::Natural), Some("0076229645"), None),
        record(5, Some(OwnerKind::Natural), None, None),
    ];
    let parties = owner_parties(&owners);
    assert_eq!(parties.len(), 2, "the same person twice is one party");
    for p in parties
        .iter()
        .map(|p| p.party.clone())
        .chain([Party::Municipality])
    {
        assert_eq!(Party::from_key(&p.key()), Some(p.clone()), "{p}");
    }
    assert_eq!(Party::from_key("owner:5"), Some(Party::Unidentified(5)));
    assert_eq!(
        Party::from_key("nid:0076229646"),
        None,
        "a bad check digit is not a party"
    );
}
