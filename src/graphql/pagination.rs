//! Relay connections: `first`/`after` with opaque keyset cursors, `pageInfo`, and a
//! `totalCount` computed only when asked for.

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

fn cursor(kind: &str, id: i32) -> String {
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

/// Reads `first` and `after` for a list of `kind`; bad values answer `BAD_USER_INPUT`.
pub fn page_request(
    kind: &str,
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageRequest, ApiError> {
    let first = match first {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if n < 0 => {
            return Err(ApiError::bad_input(
                "first",
                "`first` cannot be negative",
                "اندازه صفحه نمی‌تواند منفی باشد.",
            ))
        }
        Some(n) => usize::try_from(n).unwrap_or(MAX_PAGE_SIZE),
    };
    if first > MAX_PAGE_SIZE {
        return Err(ApiError::bad_input(
            "first",
            format!("`first` can be at most {MAX_PAGE_SIZE}"),
            format!(
                "اندازه صفحه حداکثر {} است.",
                crate::documents::fa_digits(&MAX_PAGE_SIZE.to_string())
            ),
        ));
    }
    let after = match after {
        None => None,
        Some(c) => Some(
            URL_SAFE_NO_PAD
                .decode(c.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| {
                    let (k, id) = s.split_once(':')?;
                    (k == kind).then(|| id.parse::<i32>().ok()).flatten()
                })
                .ok_or_else(|| {
                    ApiError::bad_input(
                        "after",
                        "`after` is not a cursor of this list",
                        "نشانگر صفحه (after) متعلق به این فهرست نیست.",
                    )
                })?,
        ),
    };
    Ok(PageRequest { first, after })
}

/// Builds the connection of a page.
pub fn connection<T, N: OutputType>(
    kind: &str,
    request: PageRequest,
    page: Page<T>,
    id_of: impl Fn(&T) -> i32,
    wrap: impl Fn(T) -> N,
    total: TotalCount,
) -> Conn<N> {
    let mut conn =
        Connection::with_additional_fields(request.after.is_some(), page.has_next, total);
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(cursor(kind, id_of(&item)), wrap(item))),
    );
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_cursors_are_refused() {
        let c = cursor("Ruling", 42);
        assert_eq!(
            page_request("Ruling", Some(5), Some(c.clone()))
                .map(|p| p.after)
                .ok(),
            Some(Some(42))
        );
        assert!(page_request("Parcel", None, Some(c)).is_err());
        assert!(page_request("Parcel", Some(-1), None).is_err());
        assert!(page_request("Parcel", Some(101), None).is_err());
        assert_eq!(
            page_request("Parcel", None, None).map(|p| p.first).ok(),
            Some(DEFAULT_PAGE_SIZE)
        );
    }
}
