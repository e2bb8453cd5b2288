//! Relay connections: `first`/`after` forwards and `last`/`before` backwards with opaque
//! keyset cursors, `pageInfo`, and a `totalCount` computed only when asked for.

use async_graphql::{
    connection::{Connection, Edge},
    Object, OutputType,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use futures_util::future::BoxFuture;
use shahr_store::StoreError;
use shahr_urbanism::{Page, PageRequest};

use super::error::ApiError;

/// Items per page when `first` is not given.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Most items per page.
pub const MAX_PAGE_SIZE: usize = 100;

pub struct TotalCount(Box<dyn Fn() -> BoxFuture<'static, Result<i64, StoreError>> + Send + Sync>);

impl TotalCount {
    /// Counts with `count` when (and only when) `totalCount` is selected.
    pub fn new(
        count: impl Fn() -> BoxFuture<'static, Result<i64, StoreError>> + Send + Sync + 'static,
    ) -> Self {
        Self(Box::new(count))
    }
}

/// A lazily computed total.
#[Object]
impl TotalCount {
    /// How many items match, across all pages.
    async fn total_count(&self) -> async_graphql::Result<i64> {
        Ok((self.0)().await.map_err(ApiError::from)?)
    }
}

/// A connection of `N` with `totalCount`.
pub type Conn<N> = Connection<String, N, TotalCount>;

fn cursor(kind: &str, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// The cost of a page for the complexity limit and the cost budget: the page size asked for
/// (20 by default, at most 100) times what each item costs, plus one for the list itself.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let size = first.map_or(DEFAULT_PAGE_SIZE, |n| {
        usize::try_from(n).unwrap_or(0).min(MAX_PAGE_SIZE)
    });
    size.saturating_mul(child_complexity).saturating_add(1)
}

/// Reads `first`/`after` (forwards) or `last`/`before` (backwards) for a list of `kind`; bad
/// values answer `BAD_USER_INPUT` naming the argument.
pub fn page_request(
    kind: &str,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest, ApiError> {
    if first.is_some() && last.is_some() {
        return Err(ApiError::bad_input(
            "last",
            "pass `first` or `last`, not both",
            "فقط یکی از first یا last را بفرستید.",
        ));
    }
    let backward = last.is_some();
    let size = match (first, last) {
        (Some(n), _) => size_of("first", n)?,
        (None, Some(n)) => size_of("last", n)?,
        (None, None) => DEFAULT_PAGE_SIZE,
    };
    Ok(PageRequest {
        first: size,
        after: after.map(|c| key_of(kind, "after", &c)).transpose()?,
        before: before.map(|c| key_of(kind, "before", &c)).transpose()?,
        backward,
    })
}

fn size_of(field: &str, n: i32) -> Result<usize, ApiError> {
    let Ok(size) = usize::try_from(n) else {
        return Err(ApiError::bad_input(
            field,
            format!("`{field}` cannot be negative"),
            "اندازه صفحه نمی‌تواند منفی باشد.",
        ));
    };
    if size > MAX_PAGE_SIZE {
        return Err(ApiError::bad_input(
            field,
            format!("`{field}` can be at most {MAX_PAGE_SIZE}"),
            format!(
                "اندازه صفحه حداکثر {} است.",
                crate::documents::fa_digits(&MAX_PAGE_SIZE.to_string())
            ),
        ));
    }
    Ok(size)
}

fn key_of(kind: &str, field: &str, cursor: &str) -> Result<i64, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (k, id) = s.split_once(':')?;
            (k == kind).then(|| id.parse::<i64>().ok()).flatten()
        })
        .ok_or_else(|| {
            ApiError::bad_input(
                field,
                format!("`{field}` is not a cursor of this list"),
                format!("نشانگر صفحه ({field}) متعلق به این فهرست نیست."),
            )
        })
}

/// Builds the connection of a page.
pub fn connection<T, N: OutputType, K: Into<i64>>(
    kind: &str,
    page: Page<T>,
    id_of: impl Fn(&T) -> K,
    wrap: impl Fn(T) -> N,
    total: TotalCount,
) -> Conn<N> {
    let mut conn = Connection::with_additional_fields(page.has_previous, page.has_next, total);
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(cursor(kind, id_of(&item).into()), wrap(item))),
    );
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_paging_arguments_name_the_argument() {
        let c = cursor("Ruling", 42);
        let field = |r: Result<PageRequest, ApiError>| {
            r.err()
                .and_then(|e| e.extensions().get("field").map(|v| v.to_string()))
        };
        assert_eq!(
            page_request("Ruling", Some(5), Some(c.clone()), None, None)
                .map(|p| p.after)
                .ok(),
            Some(Some(42))
        );
        let back = page_request("Ruling", None, None, Some(5), Some(c.clone())).ok();
        assert_eq!(
            back.map(|p| (p.first, p.before, p.backward)),
            Some((5, Some(42), true))
        );
        // (request, the argument the error names)
        let rows = [
            (
                page_request("Parcel", None, Some(c.clone()), None, None),
                "\"after\"",
            ),
            (
                page_request("Parcel", None, None, Some(3), Some(c)),
                "\"before\"",
            ),
            (
                page_request("Parcel", Some(-1), None, None, None),
                "\"first\"",
            ),
            (
                page_request("Parcel", Some(101), None, None, None),
                "\"first\"",
            ),
            (
                page_request("Parcel", None, None, Some(101), None),
                "\"last\"",
            ),
            (
                page_request("Parcel", Some(1), None, Some(1), None),
                "\"last\"",
            ),
        ];
        for (request, named) in rows {
            assert_eq!(field(request).as_deref(), Some(named));
        }
        assert_eq!(
            page_request("Parcel", None, None, None, None)
                .map(|p| p.first)
                .ok(),
            Some(DEFAULT_PAGE_SIZE)
        );
    }
}
