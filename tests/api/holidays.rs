//! The official holidays as data: `shahr-gateway holidays import FILE` replaces a Jalali
//! year's list (refusing a bad file with a message naming the problem), and the gateway
//! warns at start when the next 90 days have no holiday data; a service catalogue whose
//! workflow cannot be followed stops the start, naming the service. Run as the real binary.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::{Kind, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_shahr-gateway");

/// The binary against these databases, with no other `SHAHR_*` variable inherited.
pub(crate) fn gateway(urbanism: &str, citizen: &str) -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("SHAHR_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "warn")
        .env("SHAHR_URBANISM_DATABASE_URL", urbanism)
        .env("SHAHR_CITIZEN_DATABASE_URL", citizen)
        .env("SHAHR_LISTEN", "127.0.0.1:0");
    cmd
}

async fn days_of(urbanism: &TestDatabase, year: i32) -> Vec<String> {
    urbanism
        .client()
        .await
        .query(
            "SELECT jalali FROM shahr.holidays WHERE year = $1 ORDER BY day",
            &[&year],
        )
        .await
        .expect("holidays")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn a_years_holidays_are_imported_from_a_file_and_a_bad_file_is_refused_naming_the_problem() {
    let (urbanism, citizen) = (
        TestDatabase::create(Kind::Urbanism).await,
        TestDatabase::create(Kind::Citizen).await,
    );
    let shipped = days_of(&urbanism, 1406).await;
    assert!(
        shipped.contains(&"1406/03/24".to_owned()),
        "Tasua 1406 as shipped"
    );

    // The official calendar of 1406 moved Tasua and Ashura a day: import the corrected list.
    let dir = tempfile::tempdir().expect("dir");
    let corrected = shahr_gateway::holidays::SHIPPED[1]
        .1
        .replace("date = \"1406/03/25\"", "date = \"1406/03/26\"")
        .replace("date = \"1406/03/24\"", "date = \"1406/03/25\"");
    let file = dir.path().join("1406.toml");
    std::fs::write(&file, corrected).expect("write");
    let out = gateway(&urbanism.url, &citizen.url)
        .args(["holidays", "import", file.to_str().expect("utf8")])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("imported 26 holidays of 1406"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1405\t26 days") && stdout.contains("1406\t26 days"),
        "{stdout}"
    );
    let now = days_of(&urbanism, 1406).await;
    assert!(
        now.contains(&"1406/03/26".to_owned()) && !now.contains(&"1406/03/24".to_owned()),
        "the year was replaced: {now:?}"
    );

    for (content, expected) in [
        ("year = 1406\nsource = \"x\"\n[[holiday]]\ndate = \"1407/01/01\"\nkind = \"solar\"\nname = \"نوروز\"\n", "1407/01/01 is not in 1406"),
        ("year = 1406\nsource = \"x\"\n[[holiday]]\ndate = \"1406/13/01\"\nkind = \"solar\"\nname = \"x\"\n", "1406/13/01"),
        ("year = 1406\n[[holiday]]\ndate = \"1406/01/01\"\nkind = \"solar\"\nname = \"x\"\n", "source"),
    ] {
        std::fs::write(&file, content).expect("write");
        let out = gateway(&urbanism.url, &citizen.url)
            .args(["holidays", "import", file.to_str().expect("utf8")])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{content}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    assert_eq!(
        days_of(&urbanism, 1406).await,
        now,
        "a refused file changes nothing"
    );
}

/// Starts `serve`, waits until it listens, stops it and returns what it wrote on stderr.
pub(crate) fn stderr_of_start(urbanism: &str, citizen: &str) -> String {
    let mut child = gateway(urbanism, citizen)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let started = Instant::now();
    for line in stdout.lines() {
        let line = line.expect("line");
        if line.contains("listening on") || started.elapsed() > Duration::from_secs(30) {
            break;
        }
    }
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid")),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = child.wait();
    reader.join().expect("stderr")
}

#[tokio::test]
async fn the_gateway_warns_at_start_when_the_next_ninety_days_have_no_holiday_data() {
    let (urbanism, citizen) = (
        TestDatabase::create(Kind::Urbanism).await,
        TestDatabase::create(Kind::Citizen).await,
    );
    let with_data = tokio::task::spawn_blocking({
        let (u, c) = (urbanism.url.clone(), citizen.url.clone());
        move || stderr_of_start(&u, &c)
    })
    .await
    .expect("runs");
    assert!(!with_data.contains("no official holidays"), "{with_data}");

    urbanism
        .client()
        .await
        .batch_execute("DELETE FROM shahr.holiday_years")
        .await
        .expect("forget the holidays");
    let without = tokio::task::spawn_blocking({
        let (u, c) = (urbanism.url.clone(), citizen.url.clone());
        move || stderr_of_start(&u, &c)
    })
    .await
    .expect("runs");
    assert!(
        without.contains("no official holidays are on record"),
        "{without}"
    );
    assert!(
        without.contains("holidays import"),
        "the warning says how to fix it: {without}"
    );
}

#[tokio::test]
async fn the_gateway_refuses_to_start_on_a_service_whose_workflow_it_cannot_follow() {
    let (urbanism, citizen) = (
        TestDatabase::create(Kind::Urbanism).await,
        TestDatabase::create(Kind::Citizen).await,
    );
    citizen
        .client()
        .await
        .batch_execute(
            "UPDATE shahr.services SET steps = ARRAY['SUBMITTED', 'TELEPORTED', 'ISSUED']
              WHERE code = 'land_use_inquiry'",
        )
        .await
        .expect("break the catalogue");
    let stderr = tokio::task::spawn_blocking({
        let (u, c) = (urbanism.url.clone(), citizen.url.clone());
        move || stderr_of_start(&u, &c)
    })
    .await
    .expect("runs");
    assert!(
        stderr.contains("land_use_inquiry") && stderr.contains("TELEPORTED"),
        "the refusal names the service and the step: {stderr}"
    );
    let status = gateway(&urbanism.url, &citizen.url)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("runs");
    assert!(!status.success(), "it does not serve a broken catalogue");
}
