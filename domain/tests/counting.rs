//! Counting legal windows and the official holidays (domain reference, section 1:
//! "counting" and "holidays"; Civil Procedure Code, arts. 443–445). Rows name their source.

use shahr_domain::{
    calendar::{Holiday, HolidayCalendar, HolidayError, HolidayYear},
    deadlines::{in_time, last_day, Counting},
    jalali::JalaliDate,
    vocabulary::HolidayKind,
};

fn j(s: &str) -> chrono::NaiveDate {
    JalaliDate::parse(s).expect("date").to_gregorian()
}

fn shipped() -> HolidayCalendar {
    HolidayCalendar::new([
        HolidayYear::from_toml(include_str!("../../deploy/holidays/1405.toml")).expect("1405"),
        HolidayYear::from_toml(include_str!("../../deploy/holidays/1406.toml")).expect("1406"),
    ])
}

const EXCLUDE_ACT: Counting = Counting {
    exclude_day_of_act: true,
};
const INCLUDE_ACT: Counting = Counting {
    exclude_day_of_act: false,
};

#[test]
fn a_window_counts_neither_the_day_of_service_nor_the_day_of_the_act() {
    let none = HolidayCalendar::default();
    #[rustfmt::skip]
    let rows = [
        // (source, served, days, counting, last day to act)
        ("CPC 443, the judiciary's worked example: served 15 Farvardin, 20 days, 5 Ordibehesht in time",
            "1405/01/15", 20, EXCLUDE_ACT, "1405/02/05"),
        ("CPC 443: ten days served on 7 Azar end on 18 Azar", "1405/09/07", 10, EXCLUDE_ACT, "1405/09/18"),
        ("setting off: the day of the act counts, ten days end on 17 Azar", "1405/09/07", 10, INCLUDE_ACT, "1405/09/17"),
        ("CPC 443: a window across a month's end", "1405/06/25", 10, EXCLUDE_ACT, "1405/07/05"),
        ("CPC 443: across the year's end (1404 has 29 days in Esfand)", "1404/12/24", 10, EXCLUDE_ACT, "1405/01/06"),
    ];
    for (source, served, days, counting, expected) in rows {
        assert_eq!(
            JalaliDate::from_gregorian(last_day(j(served), days, counting, &none)).to_string(),
            expected,
            "{source}"
        );
    }
    assert!(
        in_time(j("1405/01/15"), 20, j("1405/02/05"), EXCLUDE_ACT, &none),
        "CPC 443 example"
    );
    assert!(!in_time(
        j("1405/01/15"),
        20,
        j("1405/02/06"),
        EXCLUDE_ACT,
        &none
    ));
    assert!(in_time(
        j("1405/09/07"),
        10,
        j("1405/09/18"),
        EXCLUDE_ACT,
        &none
    ));
    assert!(
        !in_time(j("1405/09/07"), 10, j("1405/09/18"), INCLUDE_ACT, &none),
        "the setting decides"
    );
}

#[test]
fn a_last_day_on_a_friday_or_an_official_holiday_moves_to_the_next_working_day() {
    let calendar = shipped();
    #[rustfmt::skip]
    let rows = [
        // (source, served, days, last day to act)
        ("CPC 445: 1405/09/13 is a Friday, the window ends on Saturday 1405/09/14", "1405/09/02", 10, "1405/09/14"),
        ("CPC 445 and the 1405 calendar: Nowruz 1–4 Farvardin are off", "1404/12/20", 10, "1405/01/05"),
        ("CPC 445, lunar holidays: Tasua and Ashura (3–4 Tir 1405), then a Friday", "1405/03/23", 10, "1405/04/06"),
        ("CPC 445, lunar holiday: Eid al-Fitr 18–19 Esfand 1405", "1405/12/06", 11, "1405/12/20"),
        ("CPC 445, solar holiday: 22 Bahman 1405, then a Friday", "1405/11/10", 11, "1405/11/24"),
        ("1406 data: Nowruz 1406", "1405/12/20", 10, "1406/01/05"),
    ];
    for (source, served, days, expected) in rows {
        assert_eq!(
            JalaliDate::from_gregorian(last_day(j(served), days, EXCLUDE_ACT, &calendar))
                .to_string(),
            expected,
            "{source}"
        );
    }
}

#[test]
fn the_shipped_holiday_lists_hold_the_official_solar_and_lunar_holidays() {
    let y1405 =
        HolidayYear::from_toml(include_str!("../../deploy/holidays/1405.toml")).expect("1405");
    let kinds = |y: &HolidayYear, k| y.days().iter().filter(|d| d.kind == k).count();
    assert_eq!(
        y1405.days().len(),
        26,
        "the published 25 days and 25 Shawwal"
    );
    assert!(
        kinds(&y1405, HolidayKind::Lunar) >= 15,
        "Tasua, Ashura, Arbaeen, the Eids, ..."
    );
    let calendar = shipped();
    for (day, what) in [
        ("1405/01/01", "Nowruz"),
        ("1405/03/06", "Eid al-Adha"),
        ("1405/03/14", "Ghadir and 14 Khordad"),
        ("1405/04/03", "Tasua"),
        ("1405/04/04", "Ashura"),
        ("1405/05/12", "Arbaeen"),
        ("1405/05/20", "the Prophet's demise"),
        ("1405/11/22", "22 Bahman"),
        ("1405/12/18", "Eid al-Fitr 1448"),
    ] {
        assert!(calendar.holiday(j(day)).is_some(), "{what} on {day}");
    }
    assert!(
        calendar.holiday(j("1405/02/10")).is_none(),
        "Ordibehesht 1405 has no holiday"
    );
    assert_eq!(
        calendar.missing_years(j("1405/09/09"), j("1406/03/07")),
        Vec::<i32>::new()
    );
    assert_eq!(
        calendar.missing_years(j("1406/11/01"), j("1407/02/01")),
        vec![1407]
    );
}

#[test]
fn a_holiday_list_is_refused_when_it_breaks_a_rule() {
    let day = |d: &str, name: &str| Holiday {
        date: JalaliDate::parse(d).expect("date"),
        name: name.into(),
        kind: HolidayKind::Solar,
    };
    assert_eq!(
        HolidayYear::new(1405, "x", vec![]),
        Err(HolidayError::Empty(1405))
    );
    assert_eq!(
        HolidayYear::new(1405, "x", vec![day("1406/01/01", "نوروز")]),
        Err(HolidayError::WrongYear {
            date: JalaliDate::parse("1406/01/01").expect("d"),
            year: 1405
        })
    );
    assert!(matches!(
        HolidayYear::new(
            1405,
            "x",
            vec![day("1405/01/01", "a"), day("1405/01/01", "b")]
        ),
        Err(HolidayError::Duplicate(_))
    ));
    assert!(matches!(
        HolidayYear::new(1405, "x", vec![day("1405/01/01", " ")]),
        Err(HolidayError::Unnamed(_))
    ));
    assert_eq!(
        HolidayYear::new(1405, " ", vec![day("1405/01/01", "a")]),
        Err(HolidayError::NoSource(1405))
    );
    assert!(HolidayYear::from_toml("year = 1405\nsource = \"x\"\n[[holiday]]\ndate = \"1405/13/01\"\nkind = \"solar\"\nname = \"x\"\n").is_err());
    assert!(HolidayYear::from_toml("year = 1405\nsource = \"x\"\n[[holiday]]\ndate = \"1405/01/01\"\nkind = \"moon\"\nname = \"x\"\n").is_err());
}
