//! The outbox and its relay: committed events reach subscribers once, rolled-back ones never;
//! one relay per database across instances.

use std::time::Duration;

use shahr_gateway::events::{relay::RelayRole, Source};
use shahr_store::outbox;

use crate::{
    helpers::{SharedDatabases, TestApp},
    samples::delivered,
};

#[tokio::test]
async fn a_committed_outbox_row_reaches_a_subscriber_exactly_once_and_a_rolled_back_one_never() {
    let app = TestApp::spawn().await;
    app.wait_for_relay(Source::Urbanism, RelayRole::Leader, Duration::from_secs(10))
        .await;
    let mut events = app.bus.subscribe();
    let mut client = app.databases.urbanism.client().await;

    let tx = client.transaction().await.expect("begin");
    outbox::enqueue(&tx, &delivered(0)).await.expect("enqueue");
    tx.rollback().await.expect("rollback");

    let tx = client.transaction().await.expect("begin");
    let committed = delivered(1);
    let id = outbox::enqueue(&tx, &committed).await.expect("enqueue");
    tx.commit().await.expect("commit");

    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("relayed in time")
        .expect("event");
    assert_eq!(event.topic(), "notification.delivered");
    assert_eq!(event.outbox_id, id);
    assert_eq!(event.source, Source::Urbanism);
    assert_eq!(event.event, committed, "the event reads back as written");

    // Nothing else arrives: not a duplicate, not the rolled-back row.
    let more = tokio::time::timeout(Duration::from_millis(1500), events.recv()).await;
    assert!(more.is_err(), "unexpected second event: {more:?}");

    let row = client
        .query_one(
            "SELECT event_id, relayed_at IS NOT NULL FROM shahr.outbox WHERE id = $1",
            &[&id],
        )
        .await
        .expect("row");
    assert_eq!(
        row.get::<_, Option<String>>(0),
        Some(event.id.0.clone()),
        "the event id is stored back"
    );
    assert!(row.get::<_, bool>(1));
    let rolled_back: i64 = client
        .query_one(
            "SELECT count(*) FROM shahr.outbox WHERE payload->>'deliveryId' = '0'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(rolled_back, 0);
}

#[tokio::test]
async fn events_of_the_citizen_database_are_relayed_too() {
    let app = TestApp::spawn().await;
    let mut events = app.bus.subscribe();
    let client = app.databases.citizen.client().await;
    outbox::enqueue(&client, &delivered(1))
        .await
        .expect("enqueue");
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("relayed in time")
        .expect("event");
    assert_eq!(event.source, Source::Citizen);
}

#[tokio::test]
async fn a_burst_of_events_arrives_in_outbox_order() {
    let app = TestApp::spawn().await;
    app.wait_for_relay(Source::Urbanism, RelayRole::Leader, Duration::from_secs(10))
        .await;
    let mut events = app.bus.subscribe();
    let client = app.databases.urbanism.client().await;
    for n in 0..50 {
        outbox::enqueue(&client, &delivered(n))
            .await
            .expect("enqueue");
    }
    for n in 0..50 {
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("in time")
            .expect("event");
        let shahr_domain::events::DomainEvent::NotificationDelivered(d) = &event.event else {
            panic!("not the event written: {event:?}");
        };
        assert_eq!(d.delivery_id, n, "in outbox order");
    }
}

#[tokio::test]
async fn one_relay_leads_per_database_and_a_standby_takes_over_when_the_leader_stops() {
    let databases = SharedDatabases::create().await;
    let mut first = TestApp::builder()
        .databases(databases.clone())
        .spawn()
        .await;
    first
        .wait_for_relay(Source::Urbanism, RelayRole::Leader, Duration::from_secs(10))
        .await;
    let second = TestApp::builder()
        .databases(databases.clone())
        .spawn()
        .await;
    second
        .wait_for_relay(
            Source::Urbanism,
            RelayRole::Standby,
            Duration::from_secs(10),
        )
        .await;
    second
        .wait_for_relay(Source::Citizen, RelayRole::Standby, Duration::from_secs(10))
        .await;
    assert_eq!(first.relay_role(Source::Urbanism), RelayRole::Leader);

    first.stop().await;
    second
        .wait_for_relay(Source::Urbanism, RelayRole::Leader, Duration::from_secs(10))
        .await;

    // The new leader relays.
    let mut events = second.bus.subscribe();
    let client = databases.urbanism.client().await;
    let id = outbox::enqueue(&client, &delivered(1))
        .await
        .expect("enqueue");
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("relayed by the new leader")
        .expect("event");
    assert_eq!(event.outbox_id, id);
}
