//! Connection-level limits below HTTP: how many connections are open in all and per client
//! address, how long a request's headers may take to arrive, and how long a kept-alive
//! connection may sit idle. A client that sends its headers a line at a time, or opens
//! thousands of sockets and waits, is cut off before it uses up the process's descriptors.
//!
//! The connection is watched byte by byte: a request starts with its first byte and its
//! headers end at the first blank line (`\r\n\r\n`); from then on the handler owns the
//! deadlines (body read, request timeout) until the response is written, after which the
//! connection is idle again. A switch of protocols (WebSocket `101`) or HTTP/2's preface
//! hands the connection over unwatched: the WebSocket protocol has its own deadlines.

use std::{
    collections::HashMap,
    io,
    net::IpAddr,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use std::future::Future;

use ipnet::IpNet;
use poem::{
    http::uri::Scheme,
    listener::Acceptor,
    web::{LocalAddr, RemoteAddr},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::{Instant, Sleep},
};

/// The limits, from the configuration.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Most open connections in all.
    pub max_connections: usize,
    /// Most open connections from one client address (trusted proxies are exempt: their
    /// clients are limited by address further up).
    pub max_connections_per_ip: usize,
    /// From a request's first byte to the end of its headers.
    pub header_read_timeout: Duration,
    /// How long a connection may sit idle between requests.
    pub keep_alive_timeout: Duration,
    /// Proxies whose connections carry many clients.
    pub trusted_proxies: Vec<IpNet>,
}

/// Counts of open connections, shared by the acceptor and its connections.
#[derive(Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// Wraps an acceptor: refuses connections over the caps and watches the others.
pub struct GuardedAcceptor<A> {
    inner: A,
    limits: Arc<ConnectionLimits>,
    open: Arc<Mutex<Open>>,
    metrics: Arc<crate::metrics::Metrics>,
}

impl<A> GuardedAcceptor<A> {
    /// Guards `inner` with `limits`.
    pub fn new(inner: A, limits: ConnectionLimits, metrics: Arc<crate::metrics::Metrics>) -> Self {
        Self {
            inner,
            limits: Arc::new(limits),
            open: Arc::new(Mutex::new(Open::default())),
            metrics,
        }
    }

    /// Takes a place for a connection from `ip`, or none when a cap is reached.
    fn admit(&self, ip: Option<IpAddr>) -> Option<Place> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.limits.max_connections {
            return None;
        }
        let counted = ip.filter(|ip| !self.limits.trusted_proxies.iter().any(|n| n.contains(ip)));
        if let Some(ip) = counted {
            let n = open.by_ip.entry(ip).or_default();
            if *n >= self.limits.max_connections_per_ip {
                return None;
            }
            *n += 1;
        }
        open.total += 1;
        self.metrics.set_http_connections(open.total);
        Some(Place {
            open: self.open.clone(),
            ip: counted,
            metrics: self.metrics.clone(),
        })
    }
}

/// A connection's place in the counts; given back when the connection ends.
struct Place {
    open: Arc<Mutex<Open>>,
    ip: Option<IpAddr>,
    metrics: Arc<crate::metrics::Metrics>,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(ip) = self.ip {
            if let Some(n) = open.by_ip.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    open.by_ip.remove(&ip);
                }
            }
        }
        self.metrics.set_http_connections(open.total);
    }
}

impl<A: Acceptor> Acceptor for GuardedAcceptor<A> {
    type Io = GuardedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            let (io, local, remote, scheme) = self.inner.accept().await?;
            let ip = remote.as_socket_addr().map(std::net::SocketAddr::ip);
            let Some(place) = self.admit(ip) else {
                // Closed at once: the client sees the connection end before any response.
                self.metrics.add_refused_connection();
                drop(io);
                continue;
            };
            let io = GuardedIo {
                inner: io,
                _place: place,
                phase: Phase::Idle,
                matched: 0,
                deadline: Box::pin(tokio::time::sleep(self.limits.keep_alive_timeout)),
                limits: self.limits.clone(),
                first: true,
            };
            return Ok((io, local, remote, scheme));
        }
    }
}

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between requests: closed after the keep-alive timeout.
    Idle,
    /// Reading a request's headers: closed when they do not end in time.
    Headers,
    /// The handler runs (and reads the body under its own deadline).
    Busy,
    /// Upgraded (WebSocket) or HTTP/2: not watched here.
    Passthrough,
}

/// A watched connection.
pub struct GuardedIo<T> {
    inner: T,
    _place: Place,
    phase: Phase,
    /// How much of `\r\n\r\n` the headers read so far end with.
    matched: u8,
    deadline: Pin<Box<Sleep>>,
    limits: Arc<ConnectionLimits>,
    first: bool,
}

const END_OF_HEADERS: &[u8; 4] = b"\r\n\r\n";

impl<T> GuardedIo<T> {
    fn enter(&mut self, phase: Phase) {
        self.phase = phase;
        let wait = match phase {
            Phase::Idle => self.limits.keep_alive_timeout,
            Phase::Headers => self.limits.header_read_timeout,
            Phase::Busy | Phase::Passthrough => return,
        };
        self.deadline.as_mut().reset(Instant::now() + wait);
    }

    fn watched(&self) -> bool {
        matches!(self.phase, Phase::Idle | Phase::Headers)
    }

    /// Makes sure the connection's task wakes when the deadline passes, even if it is not
    /// reading now (after writing a response it may wait only on the socket): the wake
    /// makes it read, and the read reports the timeout.
    fn arm(&mut self, cx: &mut Context<'_>) {
        if self.watched() {
            let _ = self.deadline.as_mut().poll(cx);
        }
    }

    /// Follows the bytes a read delivered.
    fn on_read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.first {
            self.first = false;
            if bytes.starts_with(b"PRI * HTTP/2.0") {
                self.enter(Phase::Passthrough);
                return;
            }
        }
        if self.phase == Phase::Idle {
            self.matched = 0;
            self.enter(Phase::Headers);
        }
        if self.phase != Phase::Headers {
            return;
        }
        for b in bytes {
            let expected = END_OF_HEADERS[usize::from(self.matched)];
            self.matched = if *b == expected {
                self.matched + 1
            } else if *b == b'\r' {
                1
            } else {
                0
            };
            if usize::from(self.matched) == END_OF_HEADERS.len() {
                self.matched = 0;
                self.enter(Phase::Busy);
                return;
            }
        }
    }

    /// Follows what the server writes.
    fn on_write(&mut self, bytes: &[u8]) {
        match self.phase {
            Phase::Passthrough => {}
            _ if bytes.starts_with(b"HTTP/1.1 101") => self.enter(Phase::Passthrough),
            // `100 Continue`: the client now sends the body; the handler still runs.
            _ if bytes.starts_with(b"HTTP/1.1 100") => {}
            // A response (or more of a streamed one): idle until the next request.
            Phase::Busy | Phase::Idle => self.enter(Phase::Idle),
            Phase::Headers => {}
        }
    }
}

fn timed_out(phase: Phase) -> io::Error {
    let what = match phase {
        Phase::Headers => "the request headers did not arrive in time",
        _ => "the connection was idle too long",
    };
    io::Error::new(io::ErrorKind::TimedOut, what)
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = buf.filled()[before..].to_vec();
                this.on_read(&read);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if this.watched() && this.deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(timed_out(this.phase)));
                }
                Poll::Pending
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &written {
            this.on_write(&buf[..*n]);
            this.arm(cx);
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = &written {
            if *n > 0 {
                let first = bufs
                    .iter()
                    .find(|b| !b.is_empty())
                    .map_or(&[][..], |b| &b[..]);
                this.on_write(&first[..first.len().min(*n)]);
                this.arm(cx);
            }
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io() -> GuardedIo<tokio::io::DuplexStream> {
        let (a, _b) = tokio::io::duplex(64);
        GuardedIo {
            inner: a,
            _place: Place {
                open: Arc::new(Mutex::new(Open::default())),
                ip: None,
                metrics: Arc::new(crate::metrics::Metrics::new()),
            },
            phase: Phase::Idle,
            matched: 0,
            deadline: Box::pin(tokio::time::sleep(Duration::from_secs(1))),
            limits: Arc::new(ConnectionLimits {
                max_connections: 1,
                max_connections_per_ip: 1,
                header_read_timeout: Duration::from_secs(1),
                keep_alive_timeout: Duration::from_secs(1),
                trusted_proxies: Vec::new(),
            }),
            first: true,
        }
    }

    #[tokio::test]
    async fn headers_end_at_the_first_blank_line_even_across_reads() {
        let mut c = io();
        c.on_read(b"GET / HTTP/1.1\r\nHost: x\r");
        assert_eq!(c.phase, Phase::Headers);
        c.on_read(b"\n\r");
        assert_eq!(c.phase, Phase::Headers);
        c.on_read(b"\nbody");
        assert_eq!(c.phase, Phase::Busy);
        c.on_write(b"HTTP/1.1 200 OK\r\n");
        assert_eq!(c.phase, Phase::Idle);
        c.on_read(b"GET");
        assert_eq!(c.phase, Phase::Headers);
    }

    #[tokio::test]
    async fn an_upgrade_or_http2_is_no_longer_watched() {
        let mut c = io();
        c.on_read(b"GET /graphql HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
        c.on_write(b"HTTP/1.1 101 Switching Protocols\r\n");
        assert_eq!(c.phase, Phase::Passthrough);
        let mut h2 = io();
        h2.on_read(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assert_eq!(h2.phase, Phase::Passthrough);
        let mut expect = io();
        expect.on_read(b"POST /uploads HTTP/1.1\r\nExpect: 100-continue\r\n\r\n");
        expect.on_write(b"HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!(expect.phase, Phase::Busy, "the body follows");
    }
}
