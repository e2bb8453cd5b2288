//! A bank for the tests: a local HTTP server speaking Behpardakht Mellat's protocol (the SOAP
//! service and the payment pages), with books the tests read and moods they set (down, a
//! verification that hangs).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::Route;
use shahr_payment::soap;

pub(crate) const TERMINAL: i64 = 7_000_123;

/// One order at the fake bank.
#[derive(Debug, Clone, Default)]
pub(crate) struct Order {
    pub(crate) amount: i64,
    pub(crate) ref_id: String,
    pub(crate) sale_reference: Option<i64>,
    pub(crate) verified: bool,
    pub(crate) settled: u32,
    pub(crate) reversed: bool,
    /// Where the bank sends the payer back.
    pub(crate) callback_url: String,
}

/// The fake bank's books and its moods.
#[derive(Debug, Default)]
pub(crate) struct Books {
    pub(crate) orders: HashMap<i64, Order>,
    pub(crate) calls: Vec<String>,
    pub(crate) down: bool,
    /// Verify calls that hang past the client's deadline before it answers normally again.
    pub(crate) hang_verify: u32,
    pub(crate) next_reference: i64,
}

#[derive(Clone)]
pub(crate) struct Bank {
    pub(crate) url: String,
    pub(crate) books: Arc<Mutex<Books>>,
}

impl Bank {
    pub(crate) async fn start() -> Self {
        let books = Arc::new(Mutex::new(Books {
            next_reference: 118_900_000,
            ..Books::default()
        }));
        let soap_books = books.clone();
        let page_books = books.clone();
        let app = Route::new()
            .at(
                "/pgwchannel/services/pgw",
                poem::post(poem::endpoint::make(move |req: poem::Request| {
                    let books = soap_books.clone();
                    async move { answer(books, req).await }
                })),
            )
            .at(
                "/pgwchannel/startpay.mellat",
                poem::post(poem::endpoint::make({
                    let books = page_books.clone();
                    move |req: poem::Request| {
                        let books = books.clone();
                        async move { payment_page(books, req).await }
                    }
                })),
            )
            .at(
                "/pgwchannel/pay",
                poem::post(poem::endpoint::make({
                    let books = page_books.clone();
                    move |req: poem::Request| {
                        let books = books.clone();
                        async move { paid_page(books, req).await }
                    }
                })),
            );
        Self {
            url: super::serve_upstream(app).await,
            books,
        }
    }

    pub(crate) fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().expect("books")
    }

    /// The citizen pays `order` on the bank's page: the form the bank posts back.
    pub(crate) fn pay(&self, order: i64) -> Vec<(String, String)> {
        pay_order(&mut self.books(), order)
    }

    /// The citizen cancels on the bank's page.
    pub(crate) fn cancel(&self, order: i64) -> Vec<(String, String)> {
        let ref_id = self.books().orders[&order].ref_id.clone();
        form(&[
            ("RefId", ref_id),
            ("ResCode", "17".into()),
            ("SaleOrderId", order.to_string()),
            ("SaleReferenceId", String::new()),
        ])
    }

    pub(crate) fn count(&self, operation: &str) -> usize {
        self.books()
            .calls
            .iter()
            .filter(|c| *c == operation)
            .count()
    }
}

fn form(fields: &[(&str, String)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

async fn answer(books: Arc<Mutex<Books>>, mut req: poem::Request) -> poem::Response {
    let body = req.take_body().into_string().await.unwrap_or_default();
    let Some((operation, args)) = soap::read_request(&body) else {
        return poem::Response::builder()
            .status(poem::http::StatusCode::BAD_REQUEST)
            .finish();
    };
    let arg = |name: &str| {
        args.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let hang = {
        let mut b = books.lock().expect("books");
        b.calls.push(operation.clone());
        if b.down {
            return poem::Response::builder()
                .status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
                .finish();
        }
        let hang = operation == "bpVerifyRequest" && b.hang_verify > 0;
        if hang {
            b.hang_verify -= 1;
        }
        hang
    };
    if hang {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let value = {
        let mut b = books.lock().expect("books");
        if arg("terminalId") != TERMINAL.to_string() || arg("userPassword") != "secret" {
            "21".to_owned()
        } else {
            let order: i64 = arg("orderId").parse().unwrap_or(-1);
            let sale: i64 = arg("saleReferenceId").parse().unwrap_or(-1);
            match operation.as_str() {
                "bpPayRequest" => match b.orders.entry(order) {
                    std::collections::hash_map::Entry::Occupied(_) => "41".to_owned(),
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        let ref_id = format!("RF{order:08}AB");
                        slot.insert(Order {
                            amount: arg("amount").parse().unwrap_or(0),
                            ref_id: ref_id.clone(),
                            callback_url: arg("callBackUrl"),
                            ..Order::default()
                        });
                        format!("0,{ref_id}")
                    }
                },
                op => match b.orders.get_mut(&order) {
                    // Only the sale reference the bank gave for this order counts.
                    Some(o) if o.sale_reference == Some(sale) && !o.reversed => match op {
                        "bpVerifyRequest" if o.verified => "43".into(),
                        "bpVerifyRequest" => {
                            o.verified = true;
                            "0".into()
                        }
                        "bpInquiryRequest" => "0".into(),
                        "bpSettleRequest" if !o.verified => "44".into(),
                        "bpSettleRequest" if o.settled > 0 => "45".into(),
                        "bpSettleRequest" => {
                            o.settled += 1;
                            "0".into()
                        }
                        "bpReversalRequest" if o.settled > 0 => "47".into(),
                        "bpReversalRequest" => {
                            o.reversed = true;
                            "0".into()
                        }
                        _ => "11".into(),
                    },
                    Some(o) if o.reversed && op == "bpReversalRequest" => "48".into(),
                    _ => "414".into(),
                },
            }
        }
    };
    poem::Response::builder()
        .content_type("text/xml; charset=utf-8")
        .body(soap::response(&operation, &value))
}

fn pay_order(books: &mut Books, order: i64) -> Vec<(String, String)> {
    books.next_reference += 1;
    let reference = books.next_reference;
    let o = books.orders.get_mut(&order).expect("a registered order");
    o.sale_reference = Some(reference);
    let (ref_id, amount) = (o.ref_id.clone(), o.amount);
    form(&[
        ("RefId", ref_id),
        ("ResCode", "0".into()),
        ("SaleOrderId", order.to_string()),
        ("SaleReferenceId", reference.to_string()),
        ("CardHolderPan", "603799******7161".into()),
        ("FinalAmount", amount.to_string()),
    ])
}

/// The RefId a page's POSTed form names.
async fn ref_id(req: &mut poem::Request) -> String {
    let body = req.take_body().into_string().await.unwrap_or_default();
    body.split('&')
        .find_map(|pair| pair.strip_prefix("RefId="))
        .unwrap_or_default()
        .to_owned()
}

fn html(body: String) -> poem::Response {
    poem::Response::builder()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"fa\" dir=\"rtl\"><head><meta charset=\"utf-8\"><title>درگاه پرداخت آزمایشی</title></head><body>{body}</body></html>"
        ))
}

/// The bank's payment page for the order a RefId names: its amount and a button.
async fn payment_page(books: Arc<Mutex<Books>>, mut req: poem::Request) -> poem::Response {
    let ref_id = ref_id(&mut req).await;
    let amount = books
        .lock()
        .expect("books")
        .orders
        .values()
        .find(|o| o.ref_id == ref_id)
        .map(|o| o.amount);
    let Some(amount) = amount else {
        return html("<h1>تراکنش نامعتبر</h1>".into());
    };
    html(format!(
        "<h1>درگاه پرداخت</h1><p id=\"amount\">مبلغ: {amount} ریال</p>\
         <form method=\"post\" action=\"/pgwchannel/pay\"><input type=\"hidden\" name=\"RefId\" value=\"{ref_id}\">\
         <button id=\"pay\" type=\"submit\">پرداخت</button></form>"
    ))
}

/// The payer pressed "pay": the order is paid and the browser is sent back to the merchant's
/// callback with the bank's form, as the real gateway does.
async fn paid_page(books: Arc<Mutex<Books>>, mut req: poem::Request) -> poem::Response {
    let ref_id = ref_id(&mut req).await;
    let mut books = books.lock().expect("books");
    let Some((&order, callback)) = books
        .orders
        .iter()
        .find(|(_, o)| o.ref_id == ref_id)
        .map(|(id, o)| (id, o.callback_url.clone()))
    else {
        return html("<h1>تراکنش نامعتبر</h1>".into());
    };
    let fields = pay_order(&mut books, order);
    let inputs: String = fields
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{v}\">"))
        .collect();
    html(format!(
        "<form id=\"back\" method=\"post\" action=\"{callback}\">{inputs}</form>\
         <script>document.getElementById('back').submit()</script>"
    ))
}
