//! The audit log is append-only and tamper-evident.

use serde_json::json;
use shahr_domain::actors::{Actor, Role};
use shahr_store::audit::{self, Entry};

use crate::helpers::{Kind, TestDatabase};

fn entry(n: usize) -> Entry {
    Entry::new(
        &Actor::person(&format!("dev:{n}"), Role::UrbanismStaff),
        "test",
        vec![n.to_string()],
        "ok",
        &json!({ "n": n }),
    )
}

#[tokio::test]
async fn the_audit_chain_verifies_refuses_changes_and_exposes_tampering() {
    let db = TestDatabase::create(Kind::Citizen).await;
    let mut client = db.client().await;
    for n in 0..5 {
        let tx = client.transaction().await.expect("tx");
        audit::append(&tx, &entry(n)).await.expect("append");
        tx.commit().await.expect("commit");
    }
    let v = audit::verify(&client).await.expect("verify");
    assert_eq!((v.entries, v.first_broken), (5, None));

    for statement in [
        "UPDATE shahr.audit_log SET outcome = 'FORBIDDEN' WHERE seq = 3",
        "DELETE FROM shahr.audit_log WHERE seq = 5",
        "TRUNCATE shahr.audit_log",
    ] {
        let err = client.batch_execute(statement).await.expect_err(statement);
        assert!(
            err.to_string().contains("append-only") || format!("{err:?}").contains("append-only"),
            "{err:?}"
        );
    }

    // Someone with the database owner's rights changes one byte behind the trigger's back.
    client
        .batch_execute(
            "ALTER TABLE shahr.audit_log DISABLE TRIGGER audit_log_append_only;
             UPDATE shahr.audit_log SET detail = '{\"n\": 9}' WHERE seq = 3;
             ALTER TABLE shahr.audit_log ENABLE TRIGGER audit_log_append_only;",
        )
        .await
        .expect("tamper");
    let v = audit::verify(&client).await.expect("verify");
    assert_eq!(v.first_broken, Some(3), "the changed entry is found");
}

#[tokio::test]
async fn an_open_transaction_holding_an_audit_entry_does_not_hold_up_other_writers() {
    let db = TestDatabase::create(Kind::Urbanism).await;
    let mut slow = db.client().await;
    let mut quick = db.client().await;

    // A long transaction writes its entry first and stays open.
    let slow_tx = slow.transaction().await.expect("tx");
    audit::append(&slow_tx, &entry(1)).await.expect("append");

    // Others write and commit meanwhile, without waiting for it.
    for n in 2..=4 {
        let tx = quick.transaction().await.expect("tx");
        audit::append(&tx, &entry(n)).await.expect("append");
        tokio::time::timeout(std::time::Duration::from_secs(5), tx.commit())
            .await
            .expect("a commit does not wait for an open transaction's audit entry")
            .expect("commit");
    }
    slow_tx.commit().await.expect("commit");

    // The chain is in commit order, gapless and intact; a rolled-back entry leaves no trace.
    let tx = quick.transaction().await.expect("tx");
    audit::append(&tx, &entry(5)).await.expect("append");
    tx.rollback().await.expect("rollback");
    let order: Vec<(i64, String)> = quick
        .query("SELECT seq, actor FROM shahr.audit_log ORDER BY seq", &[])
        .await
        .expect("log")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        order,
        vec![
            (1, "dev:2".to_owned()),
            (2, "dev:3".to_owned()),
            (3, "dev:4".to_owned()),
            (4, "dev:1".to_owned()),
        ]
    );
    let pending: i64 = quick
        .query_one("SELECT count(*) FROM shahr.audit_pending", &[])
        .await
        .expect("pending")
        .get(0);
    assert_eq!(pending, 0, "nothing waits to be linked after commit");
    let v = audit::verify(&quick).await.expect("verify");
    assert_eq!((v.entries, v.first_broken), (4, None));

    // Forging a link (a consistent-looking hash for changed content) is still found.
    quick
        .batch_execute(
            "ALTER TABLE shahr.audit_log DISABLE TRIGGER audit_log_append_only;
             UPDATE shahr.audit_log SET actor = 'dev:9' WHERE seq = 2;
             ALTER TABLE shahr.audit_log ENABLE TRIGGER audit_log_append_only;",
        )
        .await
        .expect("tamper");
    let v = audit::verify(&quick).await.expect("verify");
    assert_eq!(v.first_broken, Some(2));
}

#[tokio::test]
async fn audit_verify_walks_both_chains_and_names_the_first_broken_link() {
    let app = crate::helpers::TestApp::spawn().await;
    for n in 0..3 {
        let body = app
            .query_as(
                &app.citizen("1583250689"),
                "mutation($input: SubmitServiceRequestInput!) { submitServiceRequest(input: $input) { created } }",
                json!({ "input": { "serviceCode": "land_use_inquiry", "renovationCode": "9-1-12-7-301-0-0",
                                   "idempotencyKey": format!("audit-{n}") } }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let run = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_shahr-gateway"));
        for (key, _) in std::env::vars() {
            if key.starts_with("SHAHR_") {
                command.env_remove(key);
            }
        }
        command
            .args(["audit", "verify"])
            .env("RUST_LOG", "warn")
            .env("SHAHR_URBANISM_DATABASE_URL", &app.databases.urbanism.url)
            .env("SHAHR_CITIZEN_DATABASE_URL", &app.databases.citizen.url)
            .output()
            .expect("runs")
    };
    let intact = run();
    let out = String::from_utf8_lossy(&intact.stdout).to_string();
    assert!(
        intact.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(out.contains("citizen: 3 entries, chain intact"), "{out}");
    assert!(out.contains("urbanism: "), "{out}");

    app.databases
        .citizen
        .client()
        .await
        .batch_execute(
            "ALTER TABLE shahr.audit_log DISABLE TRIGGER audit_log_append_only;
             UPDATE shahr.audit_log SET outcome = 'forged' WHERE seq = 2;
             ALTER TABLE shahr.audit_log ENABLE TRIGGER audit_log_append_only;",
        )
        .await
        .expect("tamper");
    let broken = run();
    let out = String::from_utf8_lossy(&broken.stdout).to_string();
    assert_eq!(broken.status.code(), Some(1), "{out}");
    assert!(out.contains("citizen: chain broken at entry 2"), "{out}");
}
