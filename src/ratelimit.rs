//! Rate limits: token buckets per viewer and per client address, kept in Redis so that every
//! instance draws on the same buckets (in this process when Redis is absent, and while it
//! does not answer). A bucket holds `capacity` tokens and refills them evenly over `per`; a
//! request takes one token (a query's cost budget takes its complexity). When the tokens
//! are not there the caller is told how long to wait.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde::Deserialize;

/// The limits, from the configuration (`[rate_limits]`); each is a number of requests (or
/// cost units) per period.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// GraphQL requests per minute from one client address without a token.
    pub anonymous_per_minute: u32,
    /// GraphQL requests per minute of one signed-in viewer.
    pub viewer_per_minute: u32,
    /// Mutations per minute of one viewer (or one address without a token).
    pub mutations_per_minute: u32,
    /// Query cost (complexity: fields, times the page sizes asked for) per minute of one
    /// viewer (or address).
    pub cost_per_minute: u32,
    /// `/verify` lookups per minute from one client address.
    pub verify_per_minute: u32,
    /// Uploads per hour of one viewer.
    pub uploads_per_hour: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            anonymous_per_minute: 120,
            viewer_per_minute: 600,
            mutations_per_minute: 60,
            cost_per_minute: 200_000,
            verify_per_minute: 30,
            uploads_per_hour: 60,
        }
    }
}

/// One kind of bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Its name in keys (`anon`, `viewer`, ...).
    pub name: &'static str,
    /// Tokens when full.
    pub capacity: u32,
    /// The time it takes to refill from empty.
    pub per: Duration,
}

impl Bucket {
    fn refill_per_ms(&self) -> f64 {
        f64::from(self.capacity) / self.per.as_millis().max(1) as f64
    }
}

/// Buckets in this process, bounded: past `LOCAL_KEYS` keys, full (idle) ones are dropped.
#[derive(Default)]
struct Local {
    buckets: HashMap<String, (f64, Instant)>,
}

const LOCAL_KEYS: usize = 100_000;

impl Local {
    fn take(&mut self, key: &str, bucket: Bucket, cost: u32) -> Result<(), Duration> {
        let now = Instant::now();
        let rate = bucket.refill_per_ms();
        let capacity = f64::from(bucket.capacity);
        if self.buckets.len() >= LOCAL_KEYS && !self.buckets.contains_key(key) {
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_millis() as f64 * rate < capacity
            });
            if self.buckets.len() >= LOCAL_KEYS {
                self.buckets.clear();
            }
        }
        let (tokens, at) = self
            .buckets
            .entry(key.to_owned())
            .or_insert((capacity, now));
        let available = (*tokens + now.duration_since(*at).as_millis() as f64 * rate).min(capacity);
        let cost = f64::from(cost);
        if available >= cost {
            *tokens = available - cost;
            *at = now;
            Ok(())
        } else {
            *tokens = available;
            *at = now;
            Err(Duration::from_millis(
                ((cost - available) / rate).ceil() as u64
            ))
        }
    }
}

/// Takes tokens atomically in Redis: refills by the time elapsed (Redis's clock), takes the
/// cost when it is there, and keeps the bucket only as long as it takes to fill.
const TAKE: &str = r"
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local data = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(data[1]) or capacity
local at = tonumber(data[2]) or now
tokens = math.min(capacity, tokens + (now - at) * rate)
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
else
  wait = math.ceil((cost - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return wait
";

/// The rate limiter of an instance.
pub struct RateLimiter {
    limits: RateLimits,
    redis: Option<(deadpool_redis::Pool, String, Duration)>,
    local: Mutex<Local>,
    metrics: Arc<crate::metrics::Metrics>,
}

impl RateLimiter {
    /// A limiter on Redis (`pool`, key `prefix`, command deadline), or in this process.
    pub fn new(
        limits: RateLimits,
        redis: Option<(deadpool_redis::Pool, String, Duration)>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        Self {
            limits,
            redis,
            local: Mutex::new(Local::default()),
            metrics,
        }
    }

    /// The configured limits.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Requests without a token, per address.
    pub fn anonymous(&self) -> Bucket {
        per_minute("anon", self.limits.anonymous_per_minute)
    }

    /// Requests of a viewer.
    pub fn viewer(&self) -> Bucket {
        per_minute("viewer", self.limits.viewer_per_minute)
    }

    /// Mutations.
    pub fn mutations(&self) -> Bucket {
        per_minute("mutation", self.limits.mutations_per_minute)
    }

    /// Query cost.
    pub fn cost(&self) -> Bucket {
        per_minute("cost", self.limits.cost_per_minute)
    }

    /// `/verify` lookups.
    pub fn verify(&self) -> Bucket {
        per_minute("verify", self.limits.verify_per_minute)
    }

    /// Uploads.
    pub fn uploads(&self) -> Bucket {
        Bucket {
            name: "upload",
            capacity: self.limits.uploads_per_hour,
            per: Duration::from_secs(3600),
        }
    }

    /// Takes `cost` tokens from `bucket` of `who`; `Err(wait)` when they are not there.
    pub async fn take(&self, bucket: Bucket, who: &str, cost: u32) -> Result<(), Duration> {
        let key = format!("{}:{who}", bucket.name);
        let result = match &self.redis {
            Some((pool, prefix, deadline)) => {
                match tokio::time::timeout(*deadline, redis_take(pool, prefix, &key, bucket, cost))
                    .await
                {
                    Ok(Ok(wait)) => wait,
                    failed => {
                        // Redis does not answer: limit in this process meanwhile.
                        let reason = match failed {
                            Ok(Err(e)) => e.to_string(),
                            _ => "timed out".to_owned(),
                        };
                        tracing::warn!(error = %reason, "rate limits fall back to this instance");
                        self.take_local(&key, bucket, cost)
                    }
                }
            }
            None => self.take_local(&key, bucket, cost),
        };
        if result.is_err() {
            self.metrics.add_rate_limited(bucket.name);
        }
        result
    }

    fn take_local(&self, key: &str, bucket: Bucket, cost: u32) -> Result<(), Duration> {
        self.local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(key, bucket, cost)
    }
}

fn per_minute(name: &'static str, capacity: u32) -> Bucket {
    Bucket {
        name,
        capacity,
        per: Duration::from_secs(60),
    }
}

#[tracing::instrument(name = "redis.rate_limit_take", skip_all, fields(otel.kind = "client", db.system = "redis"))]
async fn redis_take(
    pool: &deadpool_redis::Pool,
    prefix: &str,
    key: &str,
    bucket: Bucket,
    cost: u32,
) -> anyhow::Result<Result<(), Duration>> {
    let mut conn = pool.get().await?;
    let wait: i64 = redis::Script::new(TAKE)
        .key(format!("{prefix}rate:{key}"))
        .arg(bucket.capacity)
        .arg(bucket.refill_per_ms())
        .arg(cost)
        .invoke_async(&mut *conn)
        .await?;
    Ok(if wait <= 0 {
        Ok(())
    } else {
        Err(Duration::from_millis(
            u64::try_from(wait).unwrap_or(u64::MAX),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_gives_its_capacity_then_refills_evenly() {
        let mut local = Local::default();
        let bucket = Bucket {
            name: "t",
            capacity: 3,
            per: Duration::from_secs(60),
        };
        for _ in 0..3 {
            assert!(local.take("k", bucket, 1).is_ok());
        }
        let wait = local.take("k", bucket, 1).expect_err("empty");
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "one token in a third of a minute: {wait:?}"
        );
        assert!(
            local.take("other", bucket, 1).is_ok(),
            "buckets are per key"
        );
        assert!(local.take("big", bucket, 4).is_err(), "more than it holds");
    }
}
