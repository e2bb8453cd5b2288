//! The judgment document (dadnameh) of an issued ruling: print-ready HTML, Persian and
//! right-to-left, with Jalali dates. The body rendered at issue is stored and hashed into the
//! signed content; the page around it adds what happens later (service, objection deadline).

use std::fmt::Write;

use shahr_domain::{
    decisions::EngineerReferral,
    sealed::DecidedItem,
    vocabulary::{AppealOutcome, BreachedPrinciple, RulingKind, RulingStage},
};
use shahr_urbanism::records::{Ownership, Parcel, ViolationItem};

use super::{esc, fa_decimal, fa_digits, fa_rials, letterhead::Letterhead, qr_svg};

/// Everything the document says.
#[derive(Debug, Clone)]
pub struct Dadnameh {
    /// The ruling number.
    pub number: String,
    /// The issue date, Jalali (`1405/09/07`).
    pub date_jalali: String,
    /// The commission's name.
    pub commission_name: String,
    /// Primary or appeal.
    pub stage: RulingStage,
    /// The kind.
    pub kind: RulingKind,
    /// The case number.
    pub case_number: Option<String>,
    /// The secretariat number.
    pub secretariat_number: Option<String>,
    /// The parcel.
    pub parcel: Option<Parcel>,
    /// Its owners and shares.
    pub owners: Vec<Ownership>,
    /// The violation items.
    pub items: Vec<ViolationItem>,
    /// What the ruling decided for each item (and the fine of each fined item).
    pub decided: Vec<DecidedItem>,
    /// Total fine.
    pub fine_rials: Option<i64>,
    /// The ruling's text.
    pub text: String,
    /// The legal basis.
    pub legal_basis: Option<String>,
    /// For demolition.
    pub breached_principle: Option<BreachedPrinciple>,
    /// For appeals.
    pub appeal_outcome: Option<AppealOutcome>,
    /// The members who signed: name and seat label.
    pub signers: Vec<(String, String)>,
    /// The objection window in days (primary rulings).
    pub objection_days: u32,
    /// The owner's demolition period set by the ruling, in days from finality.
    pub demolition_period_days: Option<u32>,
    /// Note 7: the supervising engineer referred to the disciplinary board.
    pub engineer_referral: Option<EngineerReferral>,
    /// The location sketch (SVG).
    pub kroki_svg: String,
    /// The public verification page's URL (the QR code's target).
    pub verify_url: String,
    /// The verification code.
    pub verification_code: String,
    /// The visible seal (SVG), drawn from the ruling's seal seed.
    pub seal_svg: String,
    /// Eight characters naming the seal, printed under it.
    pub seal_fingerprint: String,
    /// The municipality's name and emblem.
    pub letterhead: Letterhead,
}

fn row(out: &mut String, label: &str, value: &str) {
    let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(label), value);
}

/// The document body (what is hashed and signed).
pub fn body(d: &Dadnameh) -> String {
    let mut out = String::new();
    let title = match d.stage {
        RulingStage::Primary => "دادنامه کمیسیون ماده صد قانون شهرداری",
        RulingStage::Appeal => "دادنامه کمیسیون تجدیدنظر ماده صد قانون شهرداری",
    };
    let _ = write!(
        out,
        r#"<article class="dadnameh" data-ruling-number="{n}" data-verify-url="{v}"><header class="letterhead"><div class="emblem"><img src="{emblem}" alt="نشان {m}" width="72" height="72"></div><div class="heads"><p class="opening">بسمه تعالی</p><p class="municipality">{m}</p><h1>{t}</h1><p class="commission">{c}</p></div><table class="meta">"#,
        n = esc(&d.number),
        v = esc(&d.verify_url),
        emblem = esc(&d.letterhead.emblem),
        m = esc(&d.letterhead.municipality_name),
        t = title,
        c = fa_digits(&esc(&d.commission_name))
    );
    row(&mut out, "شماره", &fa_digits(&esc(&d.number)));
    row(&mut out, "تاریخ", &fa_digits(&esc(&d.date_jalali)));
    if let Some(n) = &d.case_number {
        row(&mut out, "پرونده", &fa_digits(&esc(n)));
    }
    if let Some(n) = &d.secretariat_number {
        row(&mut out, "دبیرخانه", &fa_digits(&esc(n)));
    }
    out.push_str("</table></header>");

    out.push_str("<section class=\"parcel\"><h2>مشخصات ملک و مالکان</h2><table>");
    if let Some(p) = &d.parcel {
        row(
            &mut out,
            "کد نوسازی",
            &fa_digits(&esc(p.renovation_code.as_str())),
        );
        if let Some(a) = &p.address {
            row(&mut out, "نشانی", &fa_digits(&esc(a)));
        }
        let plate = [&p.plate_main, &p.plate_sub]
            .iter()
            .filter_map(|x| x.as_deref())
            .collect::<Vec<_>>()
            .join("/");
        if !plate.is_empty() {
            row(&mut out, "پلاک ثبتی", &fa_digits(&esc(&plate)));
        }
        if let Some(area) = p.area {
            row(
                &mut out,
                "مساحت عرصه",
                &format!("{} مترمربع", fa_decimal(&area.to_fixed())),
            );
        }
    }
    out.push_str("</table><table class=\"owners\"><thead><tr><th>مالک</th><th>سهم (دانگ)</th></tr></thead><tbody>");
    for o in &d.owners {
        let share = o
            .share_dang
            .map(|s| fa_digits(&format!("{s}")))
            .unwrap_or_else(|| "—".into());
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{share}</td></tr>",
            esc(&o.owner.full_name)
        );
    }
    out.push_str("</tbody></table></section>");

    out.push_str("<section class=\"items\"><h2>اقلام تخلف و رأی هر قلم</h2><table><thead><tr><th>ردیف</th><th>طبقه</th><th>تبصره</th><th>مساحت مجاز</th><th>مساحت اجرا شده</th><th>کسری پارکینگ</th><th>رأی</th></tr></thead><tbody>");
    for (n, item) in d.items.iter().enumerate() {
        let area = |a: Option<shahr_domain::quantities::Area>| {
            a.map(|v| fa_decimal(&v.to_fixed()))
                .unwrap_or_else(|| "—".into())
        };
        let outcome = d
            .decided
            .iter()
            .find(|x| x.item_id == item.id)
            .map(|x| x.outcome.label_fa())
            .unwrap_or("—");
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"outcome\">{}</td></tr>",
            fa_digits(&(n + 1).to_string()),
            fa_digits(&esc(item.floor.as_deref().unwrap_or("—"))),
            item.note.map(|n| n.label_fa()).unwrap_or("—"),
            area(item.permitted_area),
            area(item.built_area),
            item.parking_spaces
                .map(|n| fa_digits(&n.to_string()))
                .unwrap_or_else(|| "—".into()),
            outcome
        );
    }
    out.push_str("</tbody></table></section>");

    let _ = write!(
        out,
        "<section class=\"ruling\"><h2>رأی کمیسیون</h2><p class=\"kind\">نوع رأی: <strong>{}</strong></p>",
        d.kind.label_fa()
    );
    if let Some(outcome) = d.appeal_outcome {
        let _ = write!(
            out,
            "<p>نتیجه تجدیدنظر: <strong>{}</strong></p>",
            outcome.label_fa()
        );
    }
    let _ = write!(out, "<p class=\"text\">{}</p>", fa_digits(&esc(&d.text)));
    if let Some(basis) = &d.legal_basis {
        let _ = write!(
            out,
            "<p class=\"basis\">مستند قانونی: {}</p>",
            fa_digits(&esc(basis))
        );
    }
    if let Some(p) = d.breached_principle {
        let _ = write!(
            out,
            "<p class=\"principle\">اصل نقض‌شده: {}</p>",
            p.label_fa()
        );
    }
    out.push_str("</section>");

    fines(&mut out, d);
    if let Some(e) = &d.engineer_referral {
        let _ = write!(
            out,
            "<section class=\"engineer\"><h2>معرفی مهندس ناظر (تبصره ۷)</h2><p>مهندس ناظر {}{} به سبب {} به شورای انتظامی سازمان نظام مهندسی معرفی می‌شود.</p></section>",
            esc(&e.name),
            e.licence_number
                .as_deref()
                .map(|l| format!(" (پروانه اشتغال {})", fa_digits(&esc(l))))
                .unwrap_or_default(),
            fa_digits(&esc(&e.finding))
        );
    }

    out.push_str("<section class=\"deadlines\"><h2>مهلت‌ها</h2>");
    match d.stage {
        RulingStage::Primary => {
            let _ = write!(
                out,
                "<p class=\"objection\">مالک یا شهرداری می‌تواند ظرف {} روز از تاریخ ابلاغ قانونی این دادنامه به آن اعتراض کند (تبصره ۱۰ ماده صد).</p>",
                fa_digits(&d.objection_days.to_string())
            );
        }
        RulingStage::Appeal => out.push_str(
            "<p class=\"objection\">این رأی قطعی است و تنها در دیوان عدالت اداری قابل شکایت است.</p>",
        ),
    }
    if let Some(days) = d.demolition_period_days {
        let _ = write!(
            out,
            "<p class=\"demolition\">مالک مکلف است ظرف {} روز از تاریخ قطعیت رأی نسبت به قلع بنای اقلام محکوم به قلع اقدام کند؛ در غیر این صورت شهرداری به هزینه مالک اقدام می‌کند.</p>",
            fa_digits(&days.to_string())
        );
    }
    out.push_str("</section>");

    let _ = write!(
        out,
        "<section class=\"kroki\"><h2>کروکی موقعیت ملک</h2>{}</section>",
        d.kroki_svg
    );

    // The signatures, the QR code, the seal and the code stay together on one page.
    out.push_str("<div class=\"closing\"><section class=\"signatures\"><h2>اعضای کمیسیون</h2><ul>");
    for (name, seat) in &d.signers {
        let _ = write!(
            out,
            "<li><strong>{}</strong> — {} <span class=\"signed\">(امضای الکترونیک)</span></li>",
            esc(name),
            esc(seat)
        );
    }
    out.push_str("</ul></section>");
    let _ = write!(
        out,
        "<footer class=\"hologram\"><div class=\"qr\">{}</div><div class=\"verify-text\"><p>اصالت این دادنامه را با اسکن کد کنار یا در نشانی زیر بررسی کنید؛ صفحه استعلام همین مهر را نشان می‌دهد:</p><p><bdi dir=\"ltr\" class=\"verify-url\">{}</bdi></p><p>کد رهگیری اصالت: <bdi dir=\"ltr\" class=\"verification-code\">{}</bdi></p></div><figure class=\"seal-box\">{}<figcaption>مهر دیداری <bdi dir=\"ltr\">{}</bdi></figcaption></figure></footer></div></article>",
        qr_svg(&d.verify_url),
        esc(&d.verify_url),
        esc(&d.verification_code),
        d.seal_svg,
        esc(&d.seal_fingerprint)
    );
    out
}

/// The fine of each fined item on its own line, in Persian, then the total once.
fn fines(out: &mut String, d: &Dadnameh) {
    let fined: Vec<(usize, &DecidedItem)> = d
        .items
        .iter()
        .enumerate()
        .filter_map(|(n, item)| {
            d.decided
                .iter()
                .find(|x| x.item_id == item.id && x.fine_rials.is_some())
                .map(|x| (n + 1, x))
        })
        .collect();
    if fined.is_empty() {
        return;
    }
    out.push_str("<section class=\"fines\"><h2>محاسبه جریمه</h2><table><thead><tr><th>ردیف قلم</th><th>تبصره</th><th>محاسبه</th><th>جریمه</th></tr></thead><tbody>");
    for (n, p) in fined {
        let arithmetic = p
            .arithmetic_fa
            .as_deref()
            .map(|a| fa_digits(&esc(a)))
            .unwrap_or_else(|| "—".into());
        let _ = write!(
            out,
            "<tr class=\"fine-line\"><td>{}</td><td>{}</td><td class=\"arithmetic\"><bdi dir=\"rtl\">{}</bdi></td><td class=\"amount\">{}</td></tr>",
            fa_digits(&n.to_string()),
            p.note.map(|n| n.label_fa()).unwrap_or("—"),
            arithmetic,
            fa_rials(p.fine_rials.unwrap_or_default())
        );
    }
    let _ = write!(
        out,
        "<tr class=\"total-row\"><th colspan=\"3\">جمع جریمه</th><td class=\"total\">{}</td></tr></tbody></table></section>",
        d.fine_rials.map(fa_rials).unwrap_or_default()
    );
}

const STYLE: &str = "body{font-family:Vazirmatn,Tahoma,sans-serif;margin:0;background:#eceae4;color:#1b1b1b;line-height:1.7}\
.page{max-width:210mm;box-sizing:border-box;margin:12px auto;background:#fff;padding:16mm 14mm;box-shadow:0 1px 4px rgba(0,0,0,.2)}\
.letterhead{display:grid;grid-template-columns:84px 1fr auto;gap:10px;align-items:center;border-bottom:2px solid #1f4e5f;padding-bottom:8px;margin-bottom:6px}\
.emblem img{display:block;width:72px;height:72px}.heads{text-align:center}.heads p{margin:0}\
.opening{font-size:13px}.municipality{font-weight:bold;font-size:15px}\
h1{font-size:18px;text-align:center;margin:2px 0}h2{font-size:15px;border-bottom:1px solid #999;padding-bottom:3px;margin:16px 0 8px;break-after:avoid}\
.commission{font-size:13px}table{border-collapse:collapse;width:100%;font-size:13px}\
th,td{border:1px solid #bbb;padding:4px 6px;text-align:right;vertical-align:top}th{background:#f3f1ec;width:28%}\
.letterhead .meta{width:auto;font-size:12px}.letterhead .meta th,.letterhead .meta td{border:0;background:none;padding:1px 4px;width:auto}\
.owners th,.items th,.fines th{width:auto}thead{display:table-header-group}tr{break-inside:avoid}\
.arithmetic{font-size:12.5px}.amount,.total{white-space:nowrap}.total-row th,.total{font-weight:bold;background:#f3f1ec}\
.kroki{break-inside:avoid}.kroki svg{display:block;margin:0 auto;max-width:100%;height:auto}\
.closing{break-inside:avoid}.signatures ul{margin:0;padding-inline-start:18px}\
.hologram{display:grid;grid-template-columns:auto 1fr auto;gap:12px;align-items:center;margin-top:14px;font-size:12px;border-top:1px solid #ccc;padding-top:10px}\
.hologram p{margin:2px 0}.qr svg{width:120px;height:120px;display:block}\
.seal-box{margin:0;text-align:center}.seal-box svg{width:120px;height:120px;display:block}.seal-box figcaption{font-size:11px}\
.status{margin:12px auto;max-width:210mm;box-sizing:border-box;padding:10px 14mm;background:#fff8e1;border:1px solid #e0c060;font-size:13px}\
@page{size:A4;margin:14mm 12mm}\
@media print{body{background:#fff}.page{box-shadow:none;margin:0;padding:0;max-width:none}.status{display:none}}";

/// The `@font-face` rules with the typeface embedded, so a saved copy shows the same.
fn embedded_font_css() -> &'static str {
    static CSS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSS.get_or_init(|| {
        use base64::Engine;
        let uri = |bytes: &[u8]| {
            format!(
                "data:font/woff2;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        };
        format!(
            "@font-face{{font-family:Vazirmatn;font-weight:400;src:url({}) format('woff2')}}\
             @font-face{{font-family:Vazirmatn;font-weight:700;src:url({}) format('woff2')}}",
            uri(super::FONT_REGULAR),
            uri(super::FONT_BOLD)
        )
    })
}

/// The whole page: the stored body inside a print-ready A4 frame, and a status note (service,
/// the objection deadline) that is not part of the signed document. Everything it shows is in
/// the page itself (fonts, emblem, sketch, QR code, seal): a saved copy shows the same.
pub fn page(title: &str, body_html: &str, status_html: &str) -> String {
    format!(
        "<!doctype html><html lang=\"fa\" dir=\"rtl\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><link rel=\"icon\" href=\"data:,\"><title>{}</title><style>{}{}</style></head><body>{}<main class=\"page\">{}</main></body></html>",
        esc(title),
        embedded_font_css(),
        STYLE,
        status_html,
        body_html
    )
}

/// A short notice (a refused or expired link) in the documents' style, with the typeface
/// linked rather than embedded.
pub fn notice(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html lang=\"fa\" dir=\"rtl\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><link rel=\"icon\" href=\"data:,\"><title>{}</title><style>{}{}</style></head><body><main class=\"page\">{}</main></body></html>",
        esc(title),
        super::font_css(),
        STYLE,
        body_html
    )
}
