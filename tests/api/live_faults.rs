//! Live events through faults: Redis down while events are written, and gateway processes
//! terminated while their subscribers listen.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    flow::{ok, Session},
    helpers::{GatewayProcess, SharedDatabases, TestApp},
    live::{next_event, next_event_or_end, subscribe, write_rulings, RULING_EVENTS},
};

/// A private `redis-server` this test may stop and start (the shared one stays untouched).
struct PrivateRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    fn start_on(port: u16) -> std::process::Child {
        std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts (apt-get install redis-server)")
    }

    async fn new() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let redis = Self {
            port,
            child: Some(Self::start_on(port)),
        };
        redis.wait_up().await;
        redis
    }

    async fn wait_up(&self) {
        for _ in 0..50 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the private redis did not start");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn restart(&mut self) {
        self.stop();
        self.child = Some(Self::start_on(self.port));
        self.wait_up().await;
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn events_written_while_redis_is_down_arrive_once_when_it_returns() {
    let mut redis = PrivateRedis::new().await;
    let url = redis.url();
    let app = TestApp::builder()
        .configure(move |c| {
            c.redis_url = Some(shahr_gateway::config::Secret::new(url));
            c.redis_timeout = Duration::from_millis(500);
        })
        .spawn()
        .await;
    let token = app.auditor();
    let mut ws = subscribe(&app, &token, RULING_EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_rulings(&app, 1, 5).await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let event = next_event(&mut ws, Duration::from_secs(10))
            .await
            .expect("before the outage");
        seen.push(event["rulingId"].clone());
    }

    redis.stop();
    write_rulings(&app, 6, 5).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let waiting = {
        let client = app.databases.urbanism.client().await;
        client
            .query_one(
                "SELECT count(*) FROM shahr.outbox WHERE relayed_at IS NULL",
                &[],
            )
            .await
            .expect("count")
            .get::<_, i64>(0)
    };
    assert_eq!(
        waiting, 5,
        "the outbox keeps everything while Redis is down"
    );
    redis.restart().await;
    // The same live subscription carries on: nothing lost, nothing twice.
    for _ in 0..5 {
        match next_event_or_end(&mut ws, Duration::from_secs(10)).await {
            Some(Some(event)) => seen.push(event["rulingId"].clone()),
            Some(None) => panic!("the subscription ended during the outage: {seen:?}"),
            None => panic!("events written during the outage did not arrive: {seen:?}"),
        }
    }
    let expected: Vec<Value> = (1..11)
        .map(|n| json!(shahr_gateway::graphql::node::global_id("Ruling", n).to_string()))
        .collect();
    assert_eq!(seen, expected, "every event once, in order");
    assert!(
        next_event(&mut ws, Duration::from_millis(1000))
            .await
            .is_none(),
        "no duplicate"
    );
}

#[tokio::test]
async fn three_gateway_processes_deliver_each_ruling_once_and_a_terminated_one_hands_its_subscribers_over(
) {
    let databases = SharedDatabases::create().await;
    let prefix = format!("shahr-test:{}:", uuid::Uuid::new_v4().simple());
    let mut a = GatewayProcess::start(&databases, &prefix).await;
    let b = GatewayProcess::start(&databases, &prefix).await;
    let c = GatewayProcess::start(&databases, &prefix).await;
    let (on_a, on_b, on_c) = (
        TestApp::attach(databases.clone(), a.port),
        TestApp::attach(databases.clone(), b.port),
        TestApp::attach(databases.clone(), c.port),
    );
    let token = on_a.auditor();
    let filter = json!({ "filter": { "types": ["RULING_ISSUED"] } });
    let mut ws = subscribe(&on_a, &token, RULING_EVENTS, filter.clone()).await;
    let mut watcher = subscribe(&on_c, &token, RULING_EVENTS, filter.clone()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A ruling issued through B, the whole session run against B.
    let s = Session::new(&on_b);
    let draft = s.signed_draft().await;
    ok(&s.issue(&s.secretary, &draft, "processes").await);
    let event = next_event(&mut ws, Duration::from_secs(10))
        .await
        .expect("the ruling reached the subscriber on A");
    assert_eq!(event["rulingNumber"], "1/05/0001");
    let seen_on_c = next_event(&mut watcher, Duration::from_secs(10))
        .await
        .expect("and the one on C");
    assert_eq!(seen_on_c["id"], event["id"]);
    for ws in [&mut ws, &mut watcher] {
        assert!(
            next_event(ws, Duration::from_millis(1500)).await.is_none(),
            "exactly once"
        );
    }

    // SIGTERM to A: its socket closes with 1001 and the process exits cleanly.
    let cursor = event["id"].as_str().expect("id").to_owned();
    a.terminate();
    let (code, _) = ws.expect_close(Duration::from_secs(10)).await;
    assert_eq!(code, 1001, "going away");
    assert!(a.wait(Duration::from_secs(15)).await.success());

    // Meanwhile more events; the subscriber resumes on C from its cursor.
    write_rulings(&on_b, 100, 5).await;
    let mut resumed = subscribe(
        &on_c,
        &token,
        RULING_EVENTS,
        json!({ "after": cursor, "filter": { "types": ["RULING_ISSUED"] } }),
    )
    .await;
    for n in 100..105 {
        let event = next_event(&mut resumed, Duration::from_secs(10))
            .await
            .expect("a missed event");
        assert_eq!(
            event["rulingId"],
            json!(shahr_gateway::graphql::node::global_id("Ruling", n).to_string())
        );
    }
    assert!(next_event(&mut resumed, Duration::from_millis(1000))
        .await
        .is_none());
}

async fn connections_received(redis: &PrivateRedis) -> i64 {
    let client = redis::Client::open(redis.url()).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connects");
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut conn)
        .await
        .expect("info");
    info.lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("a count")
}

#[tokio::test]
async fn replays_after_a_cursor_share_the_instances_redis_connection() {
    let redis = PrivateRedis::new().await;
    let url = redis.url();
    let app = TestApp::builder()
        .configure(move |c| c.redis_url = Some(shahr_gateway::config::Secret::new(url)))
        .spawn()
        .await;
    let token = app.auditor();
    let mut ws = subscribe(&app, &token, RULING_EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_rulings(&app, 1, 3).await;
    let first = next_event(&mut ws, Duration::from_secs(10))
        .await
        .expect("an event");
    let cursor = first["id"].as_str().expect("id").to_owned();
    for _ in 0..2 {
        next_event(&mut ws, Duration::from_secs(10))
            .await
            .expect("the rest");
    }
    let before = connections_received(&redis).await;
    for _ in 0..10 {
        let mut resumed = subscribe(&app, &token, RULING_EVENTS, json!({ "after": cursor })).await;
        for _ in 0..2 {
            next_event(&mut resumed, Duration::from_secs(10))
                .await
                .expect("a replayed event");
        }
    }
    let opened = connections_received(&redis).await - before;
    // One connection is this test's own INFO; the replays open none.
    assert!(opened <= 2, "{opened} connections for 10 replays");
}
