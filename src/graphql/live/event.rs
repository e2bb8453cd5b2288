//! One live event as a subscriber receives it, rendered once per distinct selection.

use std::{
    borrow::Cow,
    sync::{Arc, OnceLock},
};

use async_graphql::{
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
    ContextSelectionSet, Enum, Json, OutputType, Positioned, ServerResult, Value, ID,
};

use crate::{
    events::Event,
    graphql::{node::global_id, scalars::DateTime},
};

/// What happened.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    /// A ruling was issued.
    RulingIssued,
    /// A ruling was served (legal service).
    RulingServed,
    /// An objection was filed in time.
    ObjectionFiled,
    /// An objection came after the window (recorded, flagged).
    ObjectionLate,
    /// A ruling became final.
    RulingFinal,
    /// A fine was paid in full.
    FinePaid,
    /// An instalment of a fine was paid.
    InstalmentPaid,
    /// A case moved in its lifecycle (referral, hearing, defence, session, enforcement).
    CaseChanged,
    /// A service request was filed.
    RequestSubmitted,
    /// A service request changed state or assignee.
    RequestStatusChanged,
    /// An online payment of a request's fee succeeded.
    PaymentSucceeded,
    /// An online payment failed or was given back.
    PaymentFailed,
    /// A message reached its receiver (inbox, e-notice, SMS).
    NotificationDelivered,
    /// Anything else.
    Other,
}

pub(super) fn event_type(topic: &str) -> EventType {
    match topic {
        "ruling.issued" => EventType::RulingIssued,
        "ruling.served" => EventType::RulingServed,
        "ruling.objection_filed" => EventType::ObjectionFiled,
        "ruling.objection_late" => EventType::ObjectionLate,
        "ruling.final" => EventType::RulingFinal,
        "ruling.fine_paid" => EventType::FinePaid,
        "ruling.instalment_paid" => EventType::InstalmentPaid,
        "request.submitted" => EventType::RequestSubmitted,
        "request.status_changed" => EventType::RequestStatusChanged,
        "payment.succeeded" => EventType::PaymentSucceeded,
        "payment.failed" => EventType::PaymentFailed,
        "notification.delivered" => EventType::NotificationDelivered,
        t if t.starts_with("case.") => EventType::CaseChanged,
        _ => EventType::Other,
    }
}

/// One event as a subscriber receives it. Thousands of subscribers asking for the same fields
/// of the same event share one rendering (see [`LiveEvent::resolve`]).
pub struct LiveEvent {
    pub(super) fields: LiveEventFields,
    pub(super) shape: Shape,
}

/// The fields of a live event, resolved by async-graphql.
pub struct LiveEventFields {
    pub(super) event: Arc<Event>,
    pub(super) cursor: String,
}

/// A subscription's selection in a canonical form, worked out on its first event; `None`
/// when the selection cannot be shared (fragment spreads, directives or arguments, whose
/// meaning depends on the document's fragments or the subscriber's variables).
pub(super) type Shape = Arc<OnceLock<Option<Arc<str>>>>;

fn shape_of(set: &SelectionSet, out: &mut String) -> bool {
    out.push('{');
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                if !field.arguments.is_empty() || !field.directives.is_empty() {
                    return false;
                }
                if let Some(alias) = &field.alias {
                    out.push_str(alias.node.as_str());
                    out.push(':');
                }
                out.push_str(field.name.node.as_str());
                out.push(' ');
                if !field.selection_set.node.items.is_empty()
                    && !shape_of(&field.selection_set.node, out)
                {
                    return false;
                }
            }
            Selection::InlineFragment(fragment) => {
                let fragment = &fragment.node;
                if !fragment.directives.is_empty() {
                    return false;
                }
                out.push_str("...");
                if let Some(on) = &fragment.type_condition {
                    out.push_str(on.node.on.node.as_str());
                }
                if !shape_of(&fragment.selection_set.node, out) {
                    return false;
                }
            }
            Selection::FragmentSpread(_) => return false,
        }
    }
    out.push('}');
    true
}

impl OutputType for LiveEvent {
    fn type_name() -> Cow<'static, str> {
        <LiveEventFields as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <LiveEventFields as OutputType>::create_type_info(registry)
    }

    /// Resolves the selection once per event, selection and cursor, and hands the same value
    /// to every other subscriber asking for the same: the fields depend on nothing else (who
    /// may see the event was decided before it got here).
    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let shape = self.shape.get_or_init(|| {
            let mut out = String::new();
            shape_of(&field.node.selection_set.node, &mut out).then(|| Arc::from(out))
        });
        let Some(shape) = shape else {
            return OutputType::resolve(&self.fields, ctx, field).await;
        };
        let renderings = &self.fields.event.renderings;
        if let Some(value) = renderings
            .get(shape, &self.fields.cursor)
            .and_then(|r| r.downcast_ref::<Value>().cloned())
        {
            return Ok(value);
        }
        let value = OutputType::resolve(&self.fields, ctx, field).await?;
        renderings.keep(shape.clone(), &self.fields.cursor, Arc::new(value.clone()));
        Ok(value)
    }
}

/// One event as a subscriber receives it.
#[async_graphql::Object(name = "LiveEvent")]
impl LiveEventFields {
    /// The cursor to resume from: pass it as `after:` after a reconnect.
    async fn id(&self) -> &str {
        &self.cursor
    }

    /// What happened.
    async fn r#type(&self) -> EventType {
        event_type(self.event.topic())
    }

    /// The event's topic (`ruling.issued`, `case.referred`, `request.status_changed`, ...).
    async fn topic(&self) -> &'static str {
        self.event.topic()
    }

    /// The ruling concerned, when there is one (its `id`).
    async fn ruling_id(&self) -> Option<ID> {
        self.event
            .event
            .ruling_id()
            .map(|id| global_id("Ruling", id))
    }

    /// The ruling's number, when there is one.
    async fn ruling_number(&self) -> Option<&str> {
        self.event.event.ruling_number()
    }

    /// The case concerned (its `id`).
    async fn case_id(&self) -> Option<ID> {
        self.event
            .event
            .case_id()
            .map(|id| global_id("ViolationCase", id))
    }

    /// The request concerned (its tracking code).
    async fn tracking_code(&self) -> Option<&str> {
        self.event.event.tracking_code()
    }

    /// The district (1-10).
    async fn district(&self) -> Option<i32> {
        self.event.event.district().map(i32::from)
    }

    /// The commission concerned (its `id`).
    async fn commission_id(&self) -> Option<ID> {
        self.event
            .event
            .commission_id()
            .map(|id| global_id("Commission", id))
    }

    /// The state reached (case state for case and ruling events, request state for requests).
    async fn status(&self) -> Option<String> {
        self.event.event.status()
    }

    /// When it happened (when the change was committed).
    async fn occurred_at(&self) -> DateTime {
        DateTime(self.event.occurred_at)
    }

    /// Details, as recorded (amounts, dates, the objection deadline, ...). Personal
    /// identifiers are removed.
    async fn details(&self) -> Json<serde_json::Value> {
        let mut details = serde_json::to_value(&self.event.event).unwrap_or_default();
        if let Some(map) = details.as_object_mut() {
            map.remove("topic");
            map.remove("ownerNationalIds");
            map.remove("citizenNationalId");
        }
        Json(details)
    }
}
