//! A WebSocket client speaking the GraphQL protocols.

use super::*;

/// A WebSocket client that speaks JSON messages.
pub struct WsClient {
    pub(super) socket: Socket,
}

/// What arrives next on a socket.
#[derive(Debug)]
pub enum WsEvent {
    Json(Value),
    Closed(u16, String),
}

impl WsClient {
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("ws send");
    }

    /// The next JSON message or close frame, or `None` when nothing arrives within `within`.
    pub async fn try_next_event(&mut self, within: Duration) -> Option<WsEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = tokio::time::timeout(left, self.socket.next()).await.ok()?;
            return Some(match message {
                Some(Ok(Message::Text(text))) => {
                    WsEvent::Json(serde_json::from_str(&text).expect("JSON message"))
                }
                Some(Ok(Message::Close(frame))) => match frame {
                    Some(f) => WsEvent::Closed(u16::from(f.code), f.reason.to_string()),
                    None => WsEvent::Closed(1005, String::new()),
                },
                Some(Ok(_)) => continue,
                Some(Err(e)) => WsEvent::Closed(1006, e.to_string()),
                None => WsEvent::Closed(1006, "stream ended".into()),
            });
        }
    }

    /// The next JSON message or close frame, failing the test after `within`.
    pub async fn next_event(&mut self, within: Duration) -> WsEvent {
        loop {
            let message = tokio::time::timeout(within, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("nothing arrived within {within:?}"));
            match message {
                Some(Ok(Message::Text(text))) => {
                    return WsEvent::Json(serde_json::from_str(&text).expect("JSON message"))
                }
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(f) => WsEvent::Closed(u16::from(f.code), f.reason.to_string()),
                        None => WsEvent::Closed(1005, String::new()),
                    }
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return WsEvent::Closed(1006, e.to_string()),
                None => return WsEvent::Closed(1006, "stream ended".into()),
            }
        }
    }

    /// The next JSON message, skipping legacy keep-alives.
    pub async fn next_json(&mut self, within: Duration) -> Value {
        loop {
            match self.next_event(within).await {
                WsEvent::Json(v) if v["type"] == "ka" => continue,
                WsEvent::Json(v) => return v,
                WsEvent::Closed(code, reason) => {
                    panic!("socket closed ({code} {reason}) while a message was expected")
                }
            }
        }
    }

    /// Waits for the server to close the socket; returns the close code and reason.
    pub async fn expect_close(&mut self, within: Duration) -> (u16, String) {
        loop {
            match self.next_event(within).await {
                WsEvent::Closed(code, reason) => return (code, reason),
                WsEvent::Json(_) => continue,
            }
        }
    }

    /// Sends `connection_init` with an optional token and expects the ack.
    pub async fn init(&mut self, token: Option<&str>) {
        let payload = match token {
            Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
            None => json!({}),
        };
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = self.next_json(Duration::from_secs(5)).await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
    }
}
