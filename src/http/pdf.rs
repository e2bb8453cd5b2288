//! PDFs of judgment documents. A document never changes, so its PDF is printed once (by
//! headless Chromium, from this server's own page of the bare document), kept beside it with
//! its SHA-256, and served from storage afterwards. Prints are capped per instance
//! (`max_concurrent_pdf_renders`): one at a time per document, the others wait their turn
//! briefly and are then told to retry. Chromium runs with its sandbox unless the process is
//! root, where the sandbox cannot start.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{
    http::{header, StatusCode},
    Response,
};
use sha2::{Digest, Sha256};
use shahr_urbanism::issued::StoredDocument;

use super::{documents::refusal, HttpState};

/// How long a request waits for its turn to print before it is told to retry.
const TURN: Duration = Duration::from_secs(20);

/// How long one print may take.
const PRINT: Duration = Duration::from_secs(30);

/// Turns to print: at most `max_concurrent_pdf_renders` prints at once, and one print per
/// document at a time (those asking for the same document wait for it and take the stored copy).
pub struct Printer {
    turns: Arc<tokio::sync::Semaphore>,
    /// Documents being printed now; bounded by the requests in flight, emptied as each ends.
    printing: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

impl Printer {
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            turns: Arc::new(tokio::sync::Semaphore::new(max_concurrent)),
            printing: Mutex::new(HashMap::new()),
        }
    }

    fn document_lock(&self, record: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut printing = self.printing.lock().unwrap_or_else(|e| e.into_inner());
        printing.entry(record).or_default().clone()
    }

    /// Forgets the document's lock when no one else holds or waits on it.
    fn release(&self, record: i64, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut printing = self.printing.lock().unwrap_or_else(|e| e.into_inner());
        // Two references left: the map's and this one.
        if Arc::strong_count(&lock) <= 2 {
            printing.remove(&record);
        }
    }
}

/// The stored PDF of `stored`, printing it first when it has never been printed.
pub(super) async fn serve(state: &HttpState, stored: &StoredDocument, link: &str) -> Response {
    let record = stored.record.id;
    match from_storage(state, record).await {
        Ok(Some(bytes)) => return pdf_response(bytes, &stored.record.number),
        Ok(None) => {}
        Err(response) => return response,
    }
    let Some(chromium) = state.chromium.clone() else {
        return refusal(
            StatusCode::NOT_IMPLEMENTED,
            "نسخه PDF در دسترس نیست",
            "برای PDF، مرورگر Chromium باید روی سرور نصب باشد (README: PDF documents).",
        );
    };
    let lock = state.pdfs.document_lock(record);
    let response = print_once(state, stored, link, &chromium, &lock).await;
    state.pdfs.release(record, lock);
    response
}

async fn print_once(
    state: &HttpState,
    stored: &StoredDocument,
    link: &str,
    chromium: &std::path::Path,
    lock: &tokio::sync::Mutex<()>,
) -> Response {
    let record = stored.record.id;
    let waited = tokio::time::timeout(TURN, async {
        let document = lock.lock().await;
        let turn = state.pdfs.turns.clone().acquire_owned().await;
        (document, turn)
    })
    .await;
    let Ok((_document, Ok(_turn))) = waited else {
        return busy();
    };
    // Another request may have printed it while this one waited.
    match from_storage(state, record).await {
        Ok(Some(bytes)) => return pdf_response(bytes, &stored.record.number),
        Ok(None) => {}
        Err(response) => return response,
    }
    let Some(bytes) = print(chromium, &format!("{}{link}&bare=1", state.self_url)).await else {
        tracing::warn!(
            ruling = stored.record.legacy_ruling_id,
            "chromium did not print the document"
        );
        return super::error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "the PDF could not be rendered; retry shortly",
        );
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    if let Err(err) = state
        .urbanism
        .store_document_pdf(record, &bytes, &sha256)
        .await
    {
        tracing::warn!(error = %err, "a printed PDF could not be kept; it is served all the same");
        return pdf_response(bytes, &stored.record.number);
    }
    // What is kept is what is served: the first print stored, if two instances raced.
    match from_storage(state, record).await {
        Ok(Some(kept)) => pdf_response(kept, &stored.record.number),
        Ok(None) => pdf_response(bytes, &stored.record.number),
        Err(response) => response,
    }
}

/// The kept PDF, checked against its recorded hash; an altered one is refused loudly.
async fn from_storage(state: &HttpState, record: i64) -> Result<Option<Vec<u8>>, Response> {
    match state.urbanism.document_pdf(record).await {
        Ok(Some((bytes, sha256))) => {
            if hex::encode(Sha256::digest(&bytes)) == sha256 {
                Ok(Some(bytes))
            } else {
                tracing::error!(record, "a stored PDF does not match its recorded hash");
                Err(refusal(
                    StatusCode::CONFLICT,
                    "نسخه PDF مخدوش است",
                    "نسخه PDF ذخیره‌شده این دادنامه با چکیده ثبت‌شده آن مطابقت ندارد؛ به دبیرخانه کمیسیون اطلاع دهید.",
                ))
            }
        }
        Ok(None) => Ok(None),
        Err(err) => {
            tracing::warn!(error = %err, "stored PDF lookup failed");
            Err(super::error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "documents are unavailable; retry shortly",
            ))
        }
    }
}

/// Prints `url` to PDF with headless Chromium; none when it fails or takes too long.
async fn print(chromium: &std::path::Path, url: &str) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().ok()?;
    let out = dir.path().join("dadnameh.pdf");
    let mut command = tokio::process::Command::new(chromium);
    command.args([
        "--headless=new",
        "--disable-gpu",
        "--no-first-run",
        "--no-pdf-header-footer",
    ]);
    // Chromium's sandbox cannot start as root; anywhere else it stays on.
    if nix::unistd::geteuid().is_root() {
        command.arg("--no-sandbox");
    }
    let run = command
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .status();
    match tokio::time::timeout(PRINT, run).await {
        Ok(Ok(status)) if status.success() => {
            let bytes = tokio::fs::read(&out).await.ok()?;
            bytes.starts_with(b"%PDF").then_some(bytes)
        }
        _ => None,
    }
}

fn pdf_response(bytes: Vec<u8>, number: &str) -> Response {
    Response::builder()
        .content_type("application/pdf")
        .header(header::CACHE_CONTROL, "private, no-store")
        .header(
            header::CONTENT_DISPOSITION,
            format!(
                "inline; filename=\"dadnameh-{}.pdf\"",
                number.replace(['/', '"'], "-")
            ),
        )
        .body(bytes)
}

fn busy() -> Response {
    let mut response = super::error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
        "PDFs are being printed; retry shortly",
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        poem::http::HeaderValue::from_static("10"),
    );
    response
}
