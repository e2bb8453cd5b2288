//! The gateway itself: who am I, and a heartbeat subscription.

use async_graphql::{Context, Object, SimpleObject, Subscription};
use chrono::Utc;
use futures_util::Stream;
use tokio_stream::{wrappers::IntervalStream, StreamExt};

use crate::{
    auth::{Role, Viewer},
    graphql::{context::ContextExt, scalars::DateTime},
};

/// The person making the request, as the gateway understood their token.
#[derive(SimpleObject)]
#[graphql(name = "Viewer")]
pub struct ViewerInfo {
    /// True when a valid token was presented.
    pub is_authenticated: bool,
    /// The subject (person id at the identity provider); null when anonymous.
    pub subject: Option<String>,
    /// Roles granted by the token; empty when anonymous.
    pub roles: Vec<Role>,
    /// Persian labels of `roles`, in the same order, ready to display.
    pub role_labels: Vec<String>,
    /// The viewer's national id (10 ASCII digits), when the token asserts one.
    pub national_id: Option<String>,
    /// The district a staff member works in, when the token says so.
    pub district: Option<i32>,
    /// The commission (its urbanism-system id) a secretary or member sits on.
    pub commission_id: Option<i32>,
    /// When the token expires; live subscriptions end then.
    pub expires_at: Option<DateTime>,
}

impl From<&Viewer> for ViewerInfo {
    fn from(viewer: &Viewer) -> Self {
        match viewer.principal() {
            None => Self {
                is_authenticated: false,
                subject: None,
                roles: Vec::new(),
                role_labels: Vec::new(),
                national_id: None,
                district: None,
                commission_id: None,
                expires_at: None,
            },
            Some(p) => Self {
                is_authenticated: true,
                subject: Some(p.subject.clone()),
                roles: p.roles.clone(),
                role_labels: p.roles.iter().map(|r| r.label_fa().to_owned()).collect(),
                national_id: p.national_id.as_ref().map(ToString::to_string),
                district: p.district.map(i32::from),
                commission_id: p.commission_id,
                expires_at: Some(p.expires_at.into()),
            },
        }
    }
}

/// Queries about the gateway and the viewer.
#[derive(Default)]
pub struct SystemQuery;

/// Queries about the gateway and the viewer.
#[Object]
impl SystemQuery {
    /// Who is asking. Anonymous when no token was sent.
    async fn viewer(&self, ctx: &Context<'_>) -> ViewerInfo {
        ViewerInfo::from(ctx.viewer())
    }

    /// The server's current time; compare with the client's clock.
    async fn server_time(&self) -> DateTime {
        Utc::now().into()
    }
}

/// Subscriptions about the gateway.
#[derive(Default)]
pub struct SystemSubscription;

#[Subscription]
impl SystemSubscription {
    /// The server's time, now and then every few seconds (the `server_time_interval`
    /// setting). Clients use it to check that their live channel works.
    async fn server_time(&self, ctx: &Context<'_>) -> impl Stream<Item = DateTime> {
        let interval = tokio::time::interval(ctx.deps().server_time_interval);
        IntervalStream::new(interval).map(|_| DateTime(Utc::now()))
    }
}
