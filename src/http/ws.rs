//! GraphQL over WebSocket: `graphql-transport-ws` (the `graphql-ws` library) and the legacy
//! `graphql-ws` protocol (subscriptions-transport-ws), on one upgrade handler of our own so
//! that we control buffers, the `connection_init` deadline, authentication and close codes.
//!
//! Close codes: 4400 invalid message, 4401 subscribe before init or token expired,
//! 4403 token refused, 4408 no `connection_init` in time, 4409 duplicate subscription id,
//! 4429 second `connection_init`, 1001 server shutting down.

use std::{collections::HashMap, pin::Pin, sync::Arc, time::Duration};

use async_graphql::Response as GqlResponse;
use futures_util::{stream::BoxStream, SinkExt, Stream, StreamExt};
use poem::{
    http::header,
    web::websocket::{Message, WebSocket, WebSocketConfig, WebSocketStream},
    IntoResponse, Request, Response,
};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_stream::StreamMap;

use super::{error_response, HttpState};
use crate::{auth::Viewer, graphql::Admission, metrics::SubscriberGuard};

/// The subprotocols we speak, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// `graphql-transport-ws`.
    TransportWs,
    /// Legacy `graphql-ws` (subscriptions-transport-ws).
    LegacyWs,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::LegacyWs => "graphql-ws",
        }
    }

    fn metric_label(self) -> &'static str {
        match self {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::LegacyWs => "graphql-ws-legacy",
        }
    }
}

/// How often the legacy protocol's keep-alive (`ka`) is sent.
const LEGACY_KEEPALIVE: Duration = Duration::from_secs(15);

/// Handles the upgrade; refuses clients that offer neither subprotocol.
pub(super) fn upgrade(req: &Request, websocket: WebSocket, state: Arc<HttpState>) -> Response {
    let offered: Vec<&str> = req
        .header(header::SEC_WEBSOCKET_PROTOCOL)
        .map(|v| v.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let protocol = if offered.contains(&"graphql-transport-ws") {
        Protocol::TransportWs
    } else if offered.contains(&"graphql-ws") {
        Protocol::LegacyWs
    } else {
        return error_response(
            poem::http::StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Sec-WebSocket-Protocol must offer graphql-transport-ws or graphql-ws",
        );
    };
    let ip = super::client_ip(req, &state.settings);
    let client = super::graphql::client_name(req).map(str::to_owned);
    let Some(permit) = state.connections.acquire(ip) else {
        return error_response(
            poem::http::StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "too many live connections; retry later",
        );
    };
    let max = state.settings.ws_max_message_bytes;
    // Small buffers: an idle subscriber should cost kilobytes, not tungstenite's default 128 KiB.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(max.saturating_mul(4).max(64 * 1024))
        .max_message_size(Some(max))
        .max_frame_size(Some(max));
    websocket
        .protocols([protocol.name()])
        .config(config)
        .on_upgrade(move |socket| async move {
            let _permit = permit;
            serve(socket, protocol, state, ip, client).await
        })
        .into_response()
}

/// Messages clients send, in both protocols.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {},
    Subscribe {
        id: String,
        payload: async_graphql::Request,
    },
    Complete {
        id: String,
    },
    Start {
        id: String,
        payload: async_graphql::Request,
    },
    Stop {
        id: String,
    },
    ConnectionTerminate,
}

type Items = StreamMap<String, Pin<Box<dyn Stream<Item = Item> + Send>>>;

/// One item of a subscription stream: a response, or its end.
enum Item {
    Response(Box<GqlResponse>),
    End,
}

struct Connection {
    protocol: Protocol,
    state: Arc<HttpState>,
    viewer: Option<Viewer>,
    items: Items,
    guards: HashMap<String, SubscriberGuard>,
    /// The replays this socket may run at once.
    replays: crate::graphql::context::SocketReplays,
    /// The client's address (rate limits without a token).
    ip: Option<std::net::IpAddr>,
    /// The client app, from the upgrade's `graphql-client-name` or `connection_init`'s
    /// `clientName`: it decides which trusted documents apply.
    client: Option<String>,
}

enum Step {
    Continue,
    Send(Vec<String>),
    Close(u16, String),
    /// Send messages, then close (the legacy protocol's `connection_error`).
    SendThenClose(Vec<String>, u16, String),
}

async fn serve(
    socket: WebSocketStream,
    protocol: Protocol,
    state: Arc<HttpState>,
    ip: Option<std::net::IpAddr>,
    client: Option<String>,
) {
    let (mut sink, mut stream) = socket.split();
    let mut conn = Connection {
        protocol,
        state: state.clone(),
        viewer: None,
        items: StreamMap::new(),
        guards: HashMap::new(),
        replays: crate::graphql::context::SocketReplays(Arc::new(tokio::sync::Semaphore::new(
            state.settings.max_replays_per_socket,
        ))),
        ip,
        client,
    };
    let init_deadline = tokio::time::sleep(state.settings.ws_init_timeout);
    tokio::pin!(init_deadline);
    let far_future = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
    let expiry = tokio::time::sleep_until(far_future);
    tokio::pin!(expiry);
    let mut expiry_armed = false;
    let mut keepalive = tokio::time::interval(LEGACY_KEEPALIVE);
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let close = loop {
        let step = tokio::select! {
            _ = state.shutdown.cancelled() => Step::Close(1001, "server shutting down".into()),
            _ = &mut init_deadline, if conn.viewer.is_none() => {
                Step::Close(4408, "Connection initialisation timeout".into())
            }
            _ = &mut expiry => Step::Close(4401, "Unauthorized: the token expired".into()),
            _ = keepalive.tick(), if protocol == Protocol::LegacyWs && conn.viewer.is_some() => {
                Step::Send(vec![json!({ "type": "ka" }).to_string()])
            }
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => conn.on_text(&text).await,
                Some(Ok(Message::Binary(bytes))) => match std::str::from_utf8(&bytes) {
                    Ok(text) => conn.on_text(text).await,
                    Err(_) => Step::Close(4400, "Invalid message received".into()),
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break None,
                Some(Ok(_)) => Step::Continue,
            },
            Some((id, item)) = conn.items.next(), if !conn.items.is_empty() => conn.on_item(id, item),
        };
        match step {
            Step::Continue => {}
            Step::Send(texts) => {
                let mut failed = false;
                for text in texts {
                    if sink.send(Message::Text(text)).await.is_err() {
                        failed = true;
                        break;
                    }
                }
                if failed {
                    break None;
                }
                if !expiry_armed && conn.viewer.is_some() {
                    expiry_armed = true;
                    if let Some(at) = conn.viewer.as_ref().and_then(Viewer::expires_at) {
                        let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
                        expiry.as_mut().reset(tokio::time::Instant::now() + left);
                    }
                }
            }
            Step::Close(code, reason) => break Some((code, reason)),
            Step::SendThenClose(texts, code, reason) => {
                for text in texts {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                break Some((code, reason));
            }
        }
    };
    if let Some((code, reason)) = close {
        let _ = sink.send(Message::close_with(code, reason)).await;
    }
    let _ = sink.close().await;
}

impl Connection {
    async fn on_text(&mut self, text: &str) -> Step {
        let Ok(message) = serde_json::from_str::<ClientMessage>(text) else {
            return Step::Close(4400, "Invalid message received".into());
        };
        let legacy = self.protocol == Protocol::LegacyWs;
        match message {
            ClientMessage::ConnectionInit { payload } => self.on_init(payload).await,
            ClientMessage::Ping { payload } if !legacy => {
                let mut pong = json!({ "type": "pong" });
                if let Some(p) = payload {
                    pong["payload"] = p;
                }
                Step::Send(vec![pong.to_string()])
            }
            ClientMessage::Pong {} if !legacy => Step::Continue,
            ClientMessage::Subscribe { id, payload } if !legacy => {
                self.on_subscribe(id, payload).await
            }
            ClientMessage::Start { id, payload } if legacy => self.on_subscribe(id, payload).await,
            ClientMessage::Complete { id } if !legacy => {
                self.stop(&id);
                Step::Continue
            }
            ClientMessage::Stop { id } if legacy => {
                if self.stop(&id) {
                    Step::Send(vec![json!({ "id": id, "type": "complete" }).to_string()])
                } else {
                    Step::Continue
                }
            }
            ClientMessage::ConnectionTerminate if legacy => {
                Step::Close(1000, "terminated by client".into())
            }
            _ => Step::Close(4400, "Invalid message received".into()),
        }
    }

    async fn on_init(&mut self, payload: Option<Value>) -> Step {
        if self.viewer.is_some() {
            return Step::Close(4429, "Too many initialisation requests".into());
        }
        let header = payload.as_ref().and_then(|p| {
            p.get("Authorization")
                .or_else(|| p.get("authorization"))
                .and_then(Value::as_str)
        });
        if self.client.is_none() {
            self.client = payload
                .as_ref()
                .and_then(|p| p.get("clientName"))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|c| !c.is_empty() && c.len() <= 100)
                .map(str::to_owned);
        }
        match self.state.verifier.viewer_from_header(header).await {
            Ok(viewer) => {
                self.viewer = Some(viewer);
                Step::Send(vec![json!({ "type": "connection_ack" }).to_string()])
            }
            Err(err) => match self.protocol {
                Protocol::TransportWs => Step::Close(4403, format!("Forbidden: {err}")),
                // Legacy clients read the reason from a `connection_error` message.
                Protocol::LegacyWs => Step::SendThenClose(
                    vec![json!({
                        "type": "connection_error",
                        "payload": { "message": err.to_string(), "extensions": { "code": "UNAUTHENTICATED" } }
                    })
                    .to_string()],
                    4403,
                    format!("Forbidden: {err}"),
                ),
            },
        }
    }

    async fn on_subscribe(&mut self, id: String, mut request: async_graphql::Request) -> Step {
        let Some(viewer) = self.viewer.clone() else {
            return Step::Close(4401, "Unauthorized".into());
        };
        if self.guards.contains_key(&id) {
            return Step::Close(4409, format!("Subscriber for {id} already exists"));
        }
        if self.items.len() >= self.state.settings.max_operations_per_socket {
            let errors = json!([{
                "message": format!(
                    "this socket already runs {} operations; complete one first",
                    self.state.settings.max_operations_per_socket
                ),
                "extensions": {
                    "code": "LIMIT_EXCEEDED",
                    "limit": "operationsPerSocket",
                    "messageFa": "تعداد درخواست‌های هم‌زمان این اتصال به سقف رسیده است.",
                },
            }]);
            return Step::Send(self.refused(&id, errors));
        }
        if let Err(refusal) = self
            .state
            .persisted
            .resolve(&mut request, self.client.as_deref())
            .await
        {
            return Step::Send(self.refused(&id, refusal.errors()));
        }
        let who = super::rate_who(&viewer, self.ip);
        let budget = crate::graphql::CostBudget {
            limiter: self.state.rate.clone(),
            who,
        };
        let mut request = request.data(viewer).data(self.replays.clone());
        let responses: BoxStream<'static, GqlResponse> =
            match self.state.graph.admit(&mut request, Some(budget)).await {
                Admission::Admitted(_) => self.state.graph.execute_stream(request),
                Admission::Refused(response, _) => {
                    // A request error: the operation never runs.
                    let errors = serde_json::to_value(&response.errors).unwrap_or(Value::Null);
                    return Step::Send(self.refused(&id, errors));
                }
            };
        let items = responses
            .map(|r| Item::Response(Box::new(r)))
            .chain(futures_util::stream::once(async { Item::End }));
        self.items.insert(id.clone(), Box::pin(items));
        self.guards.insert(
            id.clone(),
            self.state.metrics.subscriber(self.protocol.metric_label()),
        );
        Step::Continue
    }

    /// The messages refusing operation `id` with `errors` (GraphQL errors), in the protocol's
    /// shape: an `error` message, and in the legacy protocol a `complete` after it.
    fn refused(&self, id: &str, errors: Value) -> Vec<String> {
        let payload = match self.protocol {
            Protocol::TransportWs => errors,
            Protocol::LegacyWs => json!({ "errors": errors }),
        };
        let mut out = vec![json!({ "id": id, "type": "error", "payload": payload }).to_string()];
        if self.protocol == Protocol::LegacyWs {
            out.push(json!({ "id": id, "type": "complete" }).to_string());
        }
        out
    }

    fn stop(&mut self, id: &str) -> bool {
        self.guards.remove(id);
        self.items.remove(id).is_some()
    }

    fn on_item(&mut self, id: String, item: Item) -> Step {
        match item {
            Item::End => {
                self.guards.remove(&id);
                Step::Send(vec![json!({ "id": id, "type": "complete" }).to_string()])
            }
            Item::Response(response) => {
                self.state
                    .metrics
                    .add_subscription_message(self.protocol.metric_label(), &response);
                let kind = match self.protocol {
                    Protocol::TransportWs => "next",
                    Protocol::LegacyWs => "data",
                };
                // One pass from the response to the frame's text.
                #[derive(serde::Serialize)]
                struct Frame<'a> {
                    id: &'a str,
                    r#type: &'a str,
                    payload: &'a GqlResponse,
                }
                let frame = Frame {
                    id: &id,
                    r#type: kind,
                    payload: &response,
                };
                match serde_json::to_string(&frame) {
                    Ok(text) => Step::Send(vec![text]),
                    Err(e) => {
                        tracing::error!(error = %e, "a subscription response could not be encoded");
                        Step::Close(1011, "internal error".into())
                    }
                }
            }
        }
    }
}
