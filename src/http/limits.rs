//! Caps on live connections (WebSockets and SSE streams), globally and per client address, so
//! one client cannot take every socket of an instance.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
};

/// Counts live connections.
pub struct ConnectionLimiter {
    global_max: usize,
    per_ip_max: usize,
    counts: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// Held while a connection lives; releases its place when dropped.
pub struct ConnectionPermit {
    limiter: Arc<ConnectionLimiter>,
    ip: Option<IpAddr>,
}

impl ConnectionLimiter {
    /// A limiter of `global_max` connections, at most `per_ip_max` from one address.
    pub fn new(global_max: usize, per_ip_max: usize) -> Arc<Self> {
        Arc::new(Self {
            global_max,
            per_ip_max,
            counts: Mutex::new((0, HashMap::new())),
        })
    }

    /// A place for a connection from `ip`, or `None` when a cap is reached.
    pub fn acquire(self: &Arc<Self>, ip: Option<IpAddr>) -> Option<ConnectionPermit> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if counts.0 >= self.global_max {
            return None;
        }
        if let Some(ip) = ip {
            let n = counts.1.entry(ip).or_insert(0);
            if *n >= self.per_ip_max {
                return None;
            }
            *n += 1;
        }
        counts.0 += 1;
        Some(ConnectionPermit {
            limiter: self.clone(),
            ip,
        })
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut counts = self
            .limiter
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.0 = counts.0.saturating_sub(1);
        if let Some(ip) = self.ip {
            if let Some(n) = counts.1.get_mut(&ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.1.remove(&ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_per_address_and_globally_and_places_come_back() {
        let limiter = ConnectionLimiter::new(3, 2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let first = limiter.acquire(Some(a)).expect("1");
        let _second = limiter.acquire(Some(a)).expect("2");
        assert!(limiter.acquire(Some(a)).is_none(), "per address");
        let _third = limiter.acquire(Some(b)).expect("3");
        assert!(limiter.acquire(Some(b)).is_none(), "global");
        drop(first);
        assert!(limiter.acquire(Some(a)).is_some(), "a place came back");
    }
}
