//! Every party's own window and finality (domain reference, section 1: Note 10 objections,
//! Note 1 defence; section 2, the case's life). Rows name their source.

use chrono::NaiveDate;
use shahr_domain::{
    calendar::HolidayCalendar,
    deadlines::Counting,
    identifiers::{LegalId, NationalId},
    jalali::JalaliDate,
    parties::Party,
    windows::{
        earliest_hearing, finality, may_sit, timeliness, Finality, NotYet, Standing, Summons,
        WindowRule,
    },
};

fn j(s: &str) -> NaiveDate {
    JalaliDate::parse(s).expect("date").to_gregorian()
}

fn owner(n: &str) -> Party {
    Party::Natural(NationalId::parse(n).expect("national id"))
}

const TEN: WindowRule = WindowRule {
    days: 10,
    counting: Counting {
        exclude_day_of_act: true,
    },
};

/// (source, hearing date, summonses, today, expected)
type SitRow = (
    &'static str,
    Option<&'static str>,
    Vec<Summons>,
    &'static str,
    Result<(), NotYet>,
);

fn standing(party: Party, served: Option<&str>, objected: bool) -> Standing {
    Standing {
        party,
        served_on: served.map(j),
        objected_in_time: objected,
    }
}

#[test]
fn each_party_objects_within_the_window_of_its_own_service() {
    let none = HolidayCalendar::default();
    #[rustfmt::skip]
    let rows = [
        // (source, served on, received on, in time?)
        ("Note 10 + CPC 443: served 7 Azar, received 18 Azar (day 11) is in time", Some("1405/09/07"), "1405/09/18", true),
        ("Note 10: received 19 Azar is late", Some("1405/09/07"), "1405/09/19", false),
        ("Note 10: an owner served later objects in time from their own service", Some("1405/09/20"), "1405/09/25", true),
        ("Note 10: before one's own service the window has not begun; in time", None, "1405/09/25", true),
        ("domain §1: timeliness is the receipt date, a letter received on the last day", Some("1405/09/07"), "1405/09/18", true),
    ];
    for (source, served, received, expected) in rows {
        let t = timeliness(served.map(j), j(received), TEN, &none);
        assert_eq!(t.in_time, expected, "{source}");
        assert_eq!(t.last_day.is_some(), served.is_some(), "{source}");
    }
}

#[test]
fn a_ruling_is_final_only_when_every_partys_window_has_closed_with_no_objection_in_time() {
    let none = HolidayCalendar::default();
    let a = || owner("0076229645");
    let b = || owner("1583250689");
    let entity = || Party::Legal(LegalId::parse("10380284790").expect("legal id"));
    #[rustfmt::skip]
    let rows: Vec<(&str, Vec<Standing>, &str, Finality)> = vec![
        ("Note 10: one owner, window closed 18 Azar, final on 19 Azar",
            vec![standing(a(), Some("1405/09/07"), false)], "1405/09/19", Finality::Final { on: j("1405/09/19") }),
        ("Note 10: on the window's last day it is not final yet",
            vec![standing(a(), Some("1405/09/07"), false)], "1405/09/18", Finality::Pending { unserved: vec![], until: Some(j("1405/09/18")) }),
        ("Note 10: finality waits for the owner served last",
            vec![standing(a(), Some("1405/09/07"), false), standing(b(), Some("1405/09/15"), false)], "1405/09/20",
            Finality::Pending { unserved: vec![], until: Some(j("1405/09/26")) }),
        ("Note 10: both windows closed",
            vec![standing(a(), Some("1405/09/07"), false), standing(b(), Some("1405/09/15"), false)], "1405/09/27",
            Finality::Final { on: j("1405/09/27") }),
        ("domain §1: an owner never served keeps the ruling from finality",
            vec![standing(a(), Some("1405/08/01"), false), standing(entity(), None, false)], "1405/09/27",
            Finality::Pending { unserved: vec![entity()], until: Some(j("1405/08/12")) }),
        ("Note 10: the municipality is a party with its own window",
            vec![standing(a(), Some("1405/09/07"), false), standing(Party::Municipality, Some("1405/09/10"), false)], "1405/09/19",
            Finality::Pending { unserved: vec![], until: Some(j("1405/09/21")) }),
        ("Note 10: any objection in time sends the case to appeal",
            vec![standing(a(), Some("1405/09/07"), false), standing(Party::Municipality, Some("1405/09/07"), true)], "1405/10/30",
            Finality::Appealed),
    ];
    for (source, standings, today, expected) in rows {
        assert_eq!(
            finality(&standings, j(today), TEN, &none),
            expected,
            "{source}"
        );
    }
}

#[test]
fn the_commission_sits_only_on_or_after_the_hearing_date_and_after_every_defence_window() {
    let none = HolidayCalendar::default();
    let a = || owner("0076229645");
    let b = || Party::Unidentified(5);
    let summons = |p: Party, served: Option<&str>| Summons {
        party: p,
        served_on: served.map(j),
    };
    #[rustfmt::skip]
    let rows: Vec<SitRow> = vec![
        ("Note 1: hearing on 25 Azar, the window from 1 Azar closed on 12 Azar", Some("1405/09/25"),
            vec![summons(a(), Some("1405/09/01"))], "1405/09/25", Ok(())),
        ("domain §2: not before the hearing date", Some("1405/09/25"),
            vec![summons(a(), Some("1405/09/01"))], "1405/09/24", Err(NotYet::BeforeHearing { session_on: j("1405/09/25") })),
        ("Note 1: the window runs from service, not from scheduling; a hearing inside it is refused", Some("1405/09/25"),
            vec![summons(a(), Some("1405/09/20"))], "1405/09/25", Err(NotYet::InsideDefenceWindow { party: a(), until: j("1405/10/01") })),
        ("domain §1: an owner not yet summoned keeps the commission from sitting", Some("1405/09/25"),
            vec![summons(a(), Some("1405/09/01")), summons(b(), None)], "1405/09/26", Err(NotYet::Unserved(vec![b()]))),
        ("a case scheduled before the gateway: only its hearing date", Some("1405/09/20"), vec![], "1405/09/21", Ok(())),
    ];
    for (source, session_on, summonses, today, expected) in rows {
        assert_eq!(
            may_sit(session_on.map(j), &summonses, j(today), TEN, &none),
            expected,
            "{source}"
        );
    }
    assert_eq!(
        earliest_hearing(j("1405/09/07"), TEN, &none),
        j("1405/09/19"),
        "Note 1: a summons served today leaves the hearing no earlier than the day after its window"
    );
}
