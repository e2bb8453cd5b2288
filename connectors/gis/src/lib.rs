//! The city's GIS service, over HTTP: the surroundings of a parcel (its outline, the
//! neighbouring parcels' outlines and the street it faces) for the location sketch (kroki)
//! printed on a ruling. The legacy urbanism database has outlines but no streets; when a GIS
//! service is configured, its drawing is preferred.
//!
//! Contract: `GET {base}/parcels/{renovationCode}/surroundings` with `Authorization: Bearer
//! {token}` → 200 `{"parcel": [[lon, lat], …], "neighbours": [[[lon, lat], …], …],
//! "street": {"name": "…", "line": [[lon, lat], …]}, "violations": [[[lon, lat], …], …]}`, or
//! 404 when the parcel is unknown. `violations` (optional) outlines the areas built in
//! violation, as surveyed; without it the sketch shows the whole parcel.

use std::time::Duration;

use serde::Deserialize;

/// A ring or line of (longitude, latitude) points.
pub type Points = Vec<(f64, f64)>;

/// What the GIS service knows around a parcel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Surroundings {
    /// The parcel's outline.
    pub parcel: Points,
    /// The neighbours' outlines.
    pub neighbours: Vec<Points>,
    /// The street's centre line.
    pub street: Option<Points>,
    /// The street's name.
    pub street_name: Option<String>,
    /// The surveyed outlines of the areas built in violation (empty when not surveyed).
    pub violations: Vec<Points>,
}

/// Why the service gave nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum GisError {
    /// No answer in time, or no connection.
    #[error("the GIS service did not answer: {0}")]
    Unavailable(String),
    /// An answer the contract does not allow.
    #[error("the GIS service answered {0}")]
    Bad(String),
}

#[derive(Deserialize)]
struct Street {
    name: Option<String>,
    line: Option<Vec<[f64; 2]>>,
}

#[derive(Deserialize)]
struct Answer {
    parcel: Vec<[f64; 2]>,
    #[serde(default)]
    neighbours: Vec<Vec<[f64; 2]>>,
    street: Option<Street>,
    #[serde(default)]
    violations: Vec<Vec<[f64; 2]>>,
}

fn points(raw: Vec<[f64; 2]>) -> Points {
    raw.into_iter()
        .filter(|[x, y]| x.is_finite() && y.is_finite())
        .map(|[x, y]| (x, y))
        .collect()
}

/// The client.
#[derive(Debug, Clone)]
pub struct GisClient {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl GisClient {
    /// A client of the service at `base_url`; every call has `timeout` as its deadline.
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout)
                .build()?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    /// The surroundings of the parcel with this renovation code; `None` when the service
    /// does not know it.
    #[tracing::instrument(name = "gis.surroundings", skip_all, fields(otel.kind = "client"))]
    pub async fn surroundings(
        &self,
        renovation_code: &str,
    ) -> Result<Option<Surroundings>, GisError> {
        let url = format!("{}/parcels/{renovation_code}/surroundings", self.base_url);
        let response = self
            .http
            .get(&url)
            .headers(shahr_tracecontext::headers())
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| GisError::Unavailable(e.to_string()))?;
        match response.status() {
            s if s == reqwest::StatusCode::NOT_FOUND => return Ok(None),
            s if !s.is_success() => return Err(GisError::Bad(s.to_string())),
            _ => {}
        }
        let answer: Answer = response
            .json()
            .await
            .map_err(|e| GisError::Bad(format!("an unreadable body: {e}")))?;
        let parcel = points(answer.parcel);
        if parcel.len() < 3 {
            return Err(GisError::Bad(
                "a parcel outline with fewer than 3 points".into(),
            ));
        }
        let (street, street_name) = match answer.street {
            Some(s) => (s.line.map(points).filter(|l| l.len() >= 2), s.name),
            None => (None, None),
        };
        Ok(Some(Surroundings {
            parcel,
            neighbours: answer.neighbours.into_iter().map(points).collect(),
            street,
            street_name,
            violations: answer
                .violations
                .into_iter()
                .map(points)
                .filter(|r| r.len() >= 3)
                .collect(),
        }))
    }
}
