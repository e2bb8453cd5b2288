//! Keyset pagination in both directions, for lists ordered by one unique integer column.
//!
//! A page is asked for forwards (`first` items after a row) or backwards (`last` items before
//! a row), in the list's own order, ascending or descending. One statement reads one row more
//! than asked, to know whether more follow; a backward page is read in reverse order and
//! turned around, so it comes back in the list's order.

/// A page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Most items (`first`, or `last` when paging backwards).
    pub first: usize,
    /// Only items after this row's key (in the list's order).
    pub after: Option<i64>,
    /// Only items before this row's key (in the list's order).
    pub before: Option<i64>,
    /// The last `first` items before `before` (or of the whole list), instead of the first.
    pub backward: bool,
}

/// A page of items and whether more lie beyond it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// True when items follow the last one.
    pub has_next: bool,
    /// True when items precede the first one.
    pub has_previous: bool,
}

impl PageRequest {
    /// The first `first` items after `after`, forwards.
    pub fn forward(first: usize, after: Option<i64>) -> Self {
        Self {
            first,
            after,
            before: None,
            backward: false,
        }
    }

    /// The conditions, order and limit for a list ordered by `column` (`descending`: highest
    /// key first), to append after a `WHERE` clause: ` AND column > $n ... ORDER BY column
    /// LIMIT $m`. `bind` binds a value and returns its placeholder; keys are compared as
    /// `bigint`, which an index on an `integer` column serves as well.
    pub fn sql(
        &self,
        column: &str,
        descending: bool,
        mut bind: impl FnMut(i64) -> String,
    ) -> String {
        let (later, earlier) = if descending { ("<", ">") } else { (">", "<") };
        let mut sql = String::new();
        if let Some(after) = self.after {
            sql.push_str(&format!(" AND {column} {later} {}::bigint", bind(after)));
        }
        if let Some(before) = self.before {
            sql.push_str(&format!(" AND {column} {earlier} {}::bigint", bind(before)));
        }
        // Backwards, read from the end of the range towards its start.
        let ascending = descending == self.backward;
        let limit = bind(i64::try_from(self.first).unwrap_or(i64::MAX - 1) + 1);
        sql.push_str(&format!(
            " ORDER BY {column} {} LIMIT {limit}",
            if ascending { "ASC" } else { "DESC" }
        ));
        sql
    }

    /// The page from the rows read by [`sql`](Self::sql) (at most one more than asked).
    pub fn page<T>(&self, rows: Vec<T>) -> Page<T> {
        self.page_of(rows, Some)
    }

    /// The page from the rows read by [`sql`](Self::sql), each read by `read`; rows it cannot
    /// read (unusable legacy rows) are left out before the page is cut to size.
    pub fn page_of<R, T>(&self, rows: Vec<R>, read: impl FnMut(R) -> Option<T>) -> Page<T> {
        let more = rows.len() > self.first;
        let mut items: Vec<T> = rows.into_iter().filter_map(read).collect();
        items.truncate(self.first);
        if self.backward {
            items.reverse();
            Page {
                items,
                has_next: self.before.is_some(),
                has_previous: more,
            }
        } else {
            Page {
                items,
                has_next: more,
                has_previous: self.after.is_some(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the request against the keys 1..=10 as PostgreSQL would.
    fn run(request: PageRequest, descending: bool) -> (Vec<i64>, bool, bool) {
        let mut values = Vec::new();
        let sql = request.sql("id", descending, |v| {
            values.push(v);
            format!("${}", values.len())
        });
        let mut keys: Vec<i64> = (1..=10).collect();
        let mut at = 0;
        if request.after.is_some() {
            let after = values[at];
            at += 1;
            keys.retain(|k| if descending { *k < after } else { *k > after });
        }
        if request.before.is_some() {
            let before = values[at];
            at += 1;
            keys.retain(|k| if descending { *k > before } else { *k < before });
        }
        if sql.contains(" DESC ") {
            keys.reverse();
        }
        keys.truncate(usize::try_from(values[at]).expect("limit"));
        let page = request.page(keys);
        (page.items, page.has_previous, page.has_next)
    }

    #[test]
    fn pages_come_in_the_lists_order_in_both_directions() {
        let req = |first, after, before, backward| PageRequest {
            first,
            after,
            before,
            backward,
        };
        // (request, descending list, items, has_previous, has_next)
        let rows: [(PageRequest, bool, Vec<i64>, bool, bool); 8] = [
            (req(3, None, None, false), false, vec![1, 2, 3], false, true),
            (
                req(3, Some(3), None, false),
                false,
                vec![4, 5, 6],
                true,
                true,
            ),
            (
                req(3, Some(8), None, false),
                false,
                vec![9, 10],
                true,
                false,
            ),
            (req(3, None, None, true), false, vec![8, 9, 10], true, false),
            (
                req(3, None, Some(4), true),
                false,
                vec![1, 2, 3],
                false,
                true,
            ),
            (
                req(3, None, Some(8), true),
                false,
                vec![5, 6, 7],
                true,
                true,
            ),
            (req(3, None, None, false), true, vec![10, 9, 8], false, true),
            (req(3, None, Some(8), true), true, vec![10, 9], false, true),
        ];
        for (request, descending, items, has_previous, has_next) in rows {
            assert_eq!(
                run(request, descending),
                (items, has_previous, has_next),
                "{request:?} descending={descending}"
            );
        }
    }

    #[test]
    fn a_range_between_two_cursors_is_cut_from_the_side_paged_from() {
        let between = |backward| PageRequest {
            first: 2,
            after: Some(2),
            before: Some(8),
            backward,
        };
        assert_eq!(run(between(false), false), (vec![3, 4], true, true));
        assert_eq!(run(between(true), false), (vec![6, 7], true, true));
    }
}
