//! A generated city for development and benchmarks: `seed --scale N` adds about 20,000 × N
//! parcels with their owners, permits, certificates, violation cases, rulings, service and
//! objections, in the legacy schema's own style (its quirks included, at low rates). The same
//! `seed` gives the same city. Rows go in with `COPY`, so N = 10 takes seconds.

use std::fmt::Write as _;

use bytes::Bytes;
use futures_util::SinkExt;
use rand::{rngs::StdRng, Rng, SeedableRng};
use shahr_store::StoreError;
use tokio_postgres::{Client, GenericClient, Transaction};

use shahr_domain::jalali::JalaliDate;

use crate::sql::persian_digits;

/// A coefficient inside the note's range as the law sets it (Note 2: 1/2 to 3, Note 3: 2 to
/// 4, Note 5: 1 to 2); none for Notes 4 and 6, whose fines are fixed or absent.
fn lawful_coefficient(g: &mut Gen, note: i32) -> Option<String> {
    let hundredths = match note {
        2 => g.rng.gen_range(50..=300),
        3 => g.rng.gen_range(200..=400),
        5 => g.rng.gen_range(100..=200),
        _ => return None,
    };
    Some(format!("{}.{:02}", hundredths / 100, hundredths % 100))
}

/// Today in Tehran: generated legacy dates are never in the future.
fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::minutes(210)).date_naive()
}

/// Parcels per unit of scale.
pub const PARCELS_PER_SCALE: f64 = 20_000.0;

const MALE: &[&str] = &[
    "علی",
    "محمد",
    "حسین",
    "رضا",
    "مهدی",
    "حسن",
    "امیر",
    "محمدرضا",
    "مصطفی",
    "جواد",
    "سعید",
    "یوسف",
    "کاظم",
    "ابراهیم",
    "بهروز",
    "فرهاد",
    "رحیم",
    "صمد",
    "یعقوب",
    "اکبر",
    "بابک",
    "ایرج",
];
const FEMALE: &[&str] = &[
    "فاطمه",
    "زهرا",
    "مریم",
    "معصومه",
    "سمیه",
    "لیلا",
    "نرگس",
    "سارا",
    "الهام",
    "پروین",
    "شیرین",
    "مهسا",
    "آیدا",
    "نازنین",
    "سکینه",
    "طاهره",
    "رقیه",
    "کبری",
    "ژیلا",
    "آزاده",
];
const FAMILY: &[&str] = &[
    "احمدی",
    "محمدی",
    "حسینی",
    "رضایی",
    "کریمی",
    "قاسمی",
    "صادقی",
    "نوری",
    "اکبری",
    "جعفری",
    "رحیمی",
    "یوسفی",
    "کاظمی",
    "عباسی",
    "اصغری",
    "تبریزی",
    "آذری",
    "خیابانی",
    "باقری",
    "مرندی",
    "اهری",
    "سرابی",
    "میانجی",
    "ملکی",
    "قربانی",
    "نجفی",
    "فتحی",
    "زارعی",
    "پورمحمد",
    "علیزاده",
    "حسن‌زاده",
    "قلی‌زاده",
    "رستمی",
    "شکوهی",
    "بهشتی",
    "ولیزاده",
];
const STREETS: &[&str] = &[
    "خیابان امام",
    "خیابان ارتش",
    "خیابان منصور",
    "خیابان شریعتی",
    "خیابان ولیعصر",
    "خیابان آزادی",
    "خیابان طالقانی",
    "خیابان فردوسی",
    "خیابان ششگلان",
    "خیابان مقصودیه",
    "بلوار ۲۹ بهمن",
    "بلوار استاد شهریار",
    "خیابان عباسی",
    "خیابان منجم",
    "خیابان راه‌آهن",
    "کوی ولیعصر",
    "کوی زعفرانیه",
    "خیابان باغمیشه",
    "خیابان کوچه‌باغ",
    "بلوار ائل‌گلی",
];
const COMPANIES: &[&str] = &["ساختمانی", "عمران", "سازه", "توسعه", "انبوه‌سازان"];
const FLOORS: &[&str] = &[
    "زیرزمین",
    "همکف",
    "اول",
    "دوم",
    "سوم",
    "چهارم",
    "پنجم",
    "بام",
];

/// Rough centres of the districts (longitude, latitude), for plausible boundaries.
const CENTRES: [(f64, f64); 10] = [
    (46.320, 38.090),
    (46.330, 38.050),
    (46.270, 38.060),
    (46.300, 38.100),
    (46.280, 38.040),
    (46.220, 38.090),
    (46.250, 38.040),
    (46.295, 38.075),
    (46.350, 38.070),
    (46.240, 38.070),
];

/// One `COPY` text-format line being built.
struct Line(String);

impl Line {
    fn new() -> Self {
        Self(String::with_capacity(256))
    }

    fn sep(&mut self) {
        if !self.0.is_empty() {
            self.0.push('\t');
        }
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.sep();
        if value.is_empty() {
            // Distinguish '' from NULL: an empty field is ''.
        }
        for c in value.chars() {
            match c {
                '\\' => self.0.push_str("\\\\"),
                '\t' => self.0.push_str("\\t"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                c => self.0.push(c),
            }
        }
        self
    }

    fn opt(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => {
                self.sep();
                self.0.push_str("\\N");
                self
            }
        }
    }

    fn num(&mut self, value: impl std::fmt::Display) -> &mut Self {
        self.sep();
        let _ = write!(self.0, "{value}");
        self
    }

    fn end(mut self, out: &mut String) {
        self.0.push('\n');
        out.push_str(&self.0);
    }
}

/// Sends rows to `COPY table (columns) FROM STDIN` in chunks.
struct Copy {
    table: &'static str,
    columns: &'static str,
    buffer: String,
    rows: u64,
}

impl Copy {
    fn new(table: &'static str, columns: &'static str) -> Self {
        Self {
            table,
            columns,
            buffer: String::new(),
            rows: 0,
        }
    }

    fn push(&mut self, line: Line) {
        line.end(&mut self.buffer);
        self.rows += 1;
    }

    async fn send(self, client: &Transaction<'_>) -> Result<u64, StoreError> {
        let sink = client
            .copy_in(&format!(
                "COPY {} ({}) FROM STDIN",
                self.table, self.columns
            ))
            .await?;
        futures_util::pin_mut!(sink);
        let bytes = self.buffer.into_bytes();
        for chunk in bytes.chunks(1 << 20) {
            sink.send(Bytes::copy_from_slice(chunk)).await?;
        }
        sink.finish().await?;
        Ok(self.rows)
    }
}

struct Gen {
    rng: StdRng,
}

impl Gen {
    fn pick<'a>(&mut self, list: &'a [&'a str]) -> &'a str {
        list[self.rng.gen_range(0..list.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    /// Legacy spelling of a number or date: Persian digits now and then.
    fn digits(&mut self, ascii: String) -> String {
        if self.chance(0.12) {
            persian_digits(&ascii)
        } else {
            ascii
        }
    }

    /// Arabic yeh and kaf now and then, as older forms were typed.
    fn letters(&mut self, text: &str) -> String {
        if self.chance(0.1) {
            text.replace('ی', "ي").replace('ک', "ك")
        } else {
            text.to_owned()
        }
    }

    fn jalali(&mut self, from_year: i32, to_year: i32) -> String {
        let y = self.rng.gen_range(from_year..=to_year);
        let m = self.rng.gen_range(1..=12);
        let d = self.rng.gen_range(
            1..=if m <= 6 {
                31
            } else if m < 12 {
                30
            } else {
                29
            },
        );
        let date = format!("{y:04}/{m:02}/{d:02}");
        if self.chance(0.003) {
            return format!("{y:04}/13/{d:02}"); // a malformed legacy date
        }
        self.digits(date)
    }

    /// A day of the Jalali years `from_year..=to_year`, never after today.
    fn day(&mut self, from_year: i32, to_year: i32) -> chrono::NaiveDate {
        let first = JalaliDate::new(from_year, 1, 1)
            .map(JalaliDate::to_gregorian)
            .unwrap_or_default();
        let end = JalaliDate::new(to_year + 1, 1, 1)
            .map(JalaliDate::to_gregorian)
            .unwrap_or_default()
            .min(today());
        let span = (end - first).num_days().max(1);
        first + chrono::Duration::days(self.rng.gen_range(0..span))
    }

    /// `day` plus some of `days`; when that is after today, a day between `day` and today
    /// instead (so recent files do not all land on today).
    fn after(
        &mut self,
        day: chrono::NaiveDate,
        days: std::ops::RangeInclusive<i64>,
    ) -> chrono::NaiveDate {
        let target = day + chrono::Duration::days(self.rng.gen_range(days));
        let today = today();
        if target <= today {
            return target;
        }
        let room = (today - day).num_days().max(0);
        day + chrono::Duration::days(self.rng.gen_range(0..=room))
    }

    /// A day as the legacy system spells it: Persian digits now and then, and rarely a
    /// malformed month.
    fn spelled(&mut self, day: chrono::NaiveDate) -> String {
        let j = JalaliDate::from_gregorian(day);
        if self.chance(0.003) {
            return format!("{:04}/13/{:02}", j.year(), j.day()); // a malformed legacy date
        }
        self.digits(j.to_string())
    }

    fn national_id(&mut self) -> String {
        loop {
            let digits: Vec<u32> = (0..9).map(|_| self.rng.gen_range(0..10)).collect();
            if digits.iter().all(|d| *d == digits[0]) {
                continue;
            }
            let sum: u32 = (0..9).map(|i| digits[i] * (10 - i as u32)).sum();
            let r = sum % 11;
            let check = if r < 2 { r } else { 11 - r };
            let mut id: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
            id.push(char::from(b'0' + check as u8));
            if self.chance(0.002) {
                // A typo the legacy system accepted: wrong check digit.
                id.pop();
                id.push(char::from(b'0' + ((check + 1) % 10) as u8));
            }
            if id.starts_with('0') && self.chance(0.3) {
                return id.trim_start_matches('0').to_owned(); // stored unpadded
            }
            return self.digits(id);
        }
    }

    fn mobile(&mut self) -> String {
        let n: u64 = self.rng.gen_range(0..100_000_000);
        let prefix = self.pick(&["914", "912", "935", "936", "901", "919"]);
        let national = format!("{prefix}{n:07}");
        match self.rng.gen_range(0..4) {
            0 => format!("+98{national}"),
            1 => format!("0098{national}"),
            2 => national,
            _ => format!("0{national}"),
        }
    }
}

/// What was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Rows per table, in insertion order.
    pub rows: Vec<(&'static str, u64)>,
}

async fn next_id(
    client: &impl GenericClient,
    table: &str,
    column: &str,
) -> Result<i64, StoreError> {
    let row = client
        .query_one(
            &format!("SELECT COALESCE(max({column}), 0)::int8 + 1 FROM {table}"),
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// Adds a generated city of `scale` (1.0 ≈ 20,000 parcels) to the fixture in this database.
/// `progress(table, done_tables, total_tables)` reports each table as it is written.
pub async fn generate(
    client: &mut Client,
    scale: f64,
    seed: u64,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<Generated, StoreError> {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
    };
    let parcels = (PARCELS_PER_SCALE * scale).round().max(1.0) as i64;
    let tx = client.transaction().await?;
    let parcel0 = next_id(&tx, "tbl_parvandeh", "id_parvandeh").await?;
    let owner0 = next_id(&tx, "tbl_malek", "id_malek").await?;
    let permit0 = next_id(&tx, "tbl_parvaneh", "id_parvaneh").await?;
    let case0 = next_id(&tx, "tbl_parvandeh_takhalof", "id_takhalof").await?;
    let ruling0 = next_id(&tx, "tbl_ray", "id_ray").await?;

    let mut t_parcels = Copy::new(
        "tbl_parvandeh",
        "id_parvandeh, kod_nosazi, kod_mantaghe, pelak_asli, pelak_farei, bakhsh, kod_posti, neshani, \
         masahat_arseh, karbari_kod, tedad_tabaghat, tedad_vahed, hendese, tarikh_sabt",
    );
    let mut t_owners = Copy::new(
        "tbl_malek",
        "id_malek, noe_shakhs, nam, nam_khanevadegi, nam_sherkat, kod_melli, shenaseh_melli, mobile, tarikh_tavalod",
    );
    let mut t_shares = Copy::new(
        "tbl_malekiat",
        "id_parvandeh, id_malek, sahm_dang, tarikh_enteghal",
    );
    let mut t_permits = Copy::new(
        "tbl_parvaneh",
        "id_parvaneh, id_parvandeh, shomare_parvaneh, noe_parvaneh, tarikh_sodur, tarikh_etebar, \
         masahat_mojaz, tedad_tabaghat_mojaz, karbari_kod, vaziat",
    );
    let mut t_certs = Copy::new(
        "tbl_govahi",
        "id_parvandeh, noe_govahi, shomare, tarikh_sodur, id_parvaneh",
    );
    let mut t_cases = Copy::new(
        "tbl_parvandeh_takhalof",
        "id_takhalof, id_parvandeh, shomare_parvandeh, marhaleh, manba, tarikh_kashf, id_commission, \
         tarikh_jalaseh, shomare_dabirkhaneh",
    );
    let mut t_items = Copy::new(
        "tbl_aqlam_takhalof",
        "id_takhalof, tabaghe, band_tabsare, masahat_mojaz, masahat_ejra, karbari_mojaz, karbari_feli, zarib_k, tedad_parking",
    );
    let mut t_rulings = Copy::new(
        "tbl_ray",
        "id_ray, id_takhalof, id_commission, shomare_ray, noe_ray, marhaleh_ray, tarikh_ray, mablagh_jarimeh, \
         matn_ray, mabna_qanuni, asl_naqz, vaziat",
    );
    let mut t_notices = Copy::new(
        "tbl_eblagh",
        "id_ray, tarikh_eblagh, noe_eblagh, nam_girandeh, kod_melli_girandeh, mamur",
    );
    let mut t_objections = Copy::new(
        "tbl_eteraz",
        "id_ray, tarikh_eteraz, moteraz, sharh, dar_mohlat",
    );

    // A pool of people, some of whom own several parcels.
    let people = (parcels as f64 * 1.1) as i64;
    let mut names: Vec<(String, Option<String>)> = Vec::with_capacity(people as usize);
    for i in 0..people {
        let id = owner0 + i;
        let mut line = Line::new();
        line.num(id);
        if g.chance(0.03) {
            let name = format!("شرکت {} {}", g.pick(COMPANIES), g.pick(FAMILY));
            let legal = format!("10{:09}", g.rng.gen_range(0..1_000_000_000u64));
            let mobile = g.mobile();
            line.text("2")
                .opt(None)
                .opt(None)
                .text(&name)
                .opt(None)
                .text(&legal)
                .text(&mobile)
                .opt(None);
            names.push((name, None));
        } else {
            let first = if g.chance(0.5) {
                g.pick(MALE)
            } else {
                g.pick(FEMALE)
            };
            let first = g.letters(first);
            let family = g.pick(FAMILY);
            let last = g.letters(family);
            let national = g.national_id();
            let mobile = g.mobile();
            let born = g.jalali(1320, 1385);
            line.text("1")
                .text(&first)
                .text(&last)
                .opt(None)
                .text(&national)
                .opt(None)
                .text(&mobile)
                .text(&born);
            names.push((format!("{first} {last}"), Some(national)));
        }
        t_owners.push(line);
    }

    let mut permit_id = permit0;
    let mut case_id = case0;
    let mut ruling_id = ruling0;
    for i in 0..parcels {
        let id = parcel0 + i;
        let district = 1 + (g.rng.gen_range(0..100) % 10) as u32;
        let (region, block, house) = (
            g.rng.gen_range(1..6),
            g.rng.gen_range(1..80),
            g.rng.gen_range(1..400),
        );
        let building = if g.chance(0.3) {
            g.rng.gen_range(1..900)
        } else {
            0
        };
        let code = if g.chance(0.0005) {
            "نامشخص".to_owned()
        } else {
            g.digits(format!(
                "{district}-{region}-{block}-{house}-{building}-0-0"
            ))
        };
        let land_use = match g.rng.gen_range(0..100) {
            0..=71 => 1,
            72..=83 => 2,
            84..=88 => 3,
            89..=91 => 4,
            92..=94 => 5,
            95..=96 => 6,
            _ => 7,
        };
        let land_use_text = if g.chance(0.01) {
            None
        } else if g.chance(0.2) {
            Some(land_use.to_string())
        } else {
            Some(format!("{land_use:02}"))
        };
        let area: f64 = g.rng.gen_range(80.0..1200.0);
        let floors: i32 = g.rng.gen_range(1..8);
        let (cx, cy) = CENTRES[(district - 1) as usize];
        let x = cx + g.rng.gen_range(-0.02..0.02);
        let y = cy + g.rng.gen_range(-0.015..0.015);
        let (w, h) = (0.00015 + area / 8.0e6, 0.0001 + area / 1.2e7);
        let wkt = format!(
            "POLYGON(({x:.6} {y:.6}, {:.6} {y:.6}, {:.6} {:.6}, {x:.6} {:.6}, {x:.6} {y:.6}))",
            x + w,
            x + w,
            y - h,
            y - h
        );
        let postal = format!(
            "51{:03}{:05}",
            g.rng.gen_range(0..1000),
            g.rng.gen_range(0..100_000)
        );
        let postal = if g.chance(0.3) {
            format!("{}-{}", &postal[..5], &postal[5..])
        } else {
            postal
        };
        let postal = g.digits(postal);
        let street = g.pick(STREETS);
        let (alley, plate) = (g.rng.gen_range(1..60), g.rng.gen_range(1..200));
        let address = g.letters(&format!(
            "تبریز، منطقه {district}، {street}، کوچه {alley}، پلاک {plate}"
        ));
        let district_text = g.digits(district.to_string());
        let registered = g.jalali(1370, 1404);
        let mut line = Line::new();
        line.num(id)
            .text(&code)
            .text(&district_text)
            .num(g.rng.gen_range(100..9000))
            .num(g.rng.gen_range(1..400))
            .num(district + 4)
            .text(&postal)
            .text(&address)
            .num(format!("{area:.2}"))
            .opt(land_use_text.as_deref())
            .num(floors)
            .num(floors * g.rng.gen_range(1..3))
            .opt((!g.chance(0.05)).then_some(wkt.as_str()))
            .text(&registered);
        t_parcels.push(line);

        // Owners and shares (six dang in all).
        let owners = match g.rng.gen_range(0..100) {
            0..=69 => 1,
            70..=94 => 2,
            _ => 3,
        };
        let shares: &[f64] = match owners {
            1 => &[6.0],
            2 => &[4.0, 2.0],
            _ => &[3.0, 2.0, 1.0],
        };
        let mut parcel_owners = Vec::with_capacity(owners);
        for share in shares {
            let owner = owner0 + g.rng.gen_range(0..people);
            if parcel_owners.contains(&owner) {
                continue;
            }
            parcel_owners.push(owner);
            let since = g.jalali(1380, 1404);
            let mut line = Line::new();
            line.num(id).num(owner).num(share).text(&since);
            t_shares.push(line);
        }

        // Permits and certificates.
        if g.chance(0.8) {
            let issued_year = g.rng.gen_range(1385..1404);
            let issued = g.jalali(issued_year, issued_year);
            let until = g.jalali(issued_year + 3, issued_year + 3);
            let permitted = area * f64::from(floors) * g.rng.gen_range(0.8..1.0);
            let status = if issued_year + 3 < 1405 { "2" } else { "1" };
            let mut line = Line::new();
            line.num(permit_id)
                .num(id)
                .text(&g.digits(format!(
                    "{issued_year}-{district}-{:05}",
                    permit_id % 100_000
                )))
                .text("01")
                .text(&issued)
                .text(&until)
                .num(format!("{permitted:.2}"))
                .num(floors)
                .opt(land_use_text.as_deref())
                .text(status);
            t_permits.push(line);
            if g.chance(0.45) {
                let mut line = Line::new();
                let done = g.jalali(issued_year + 1, (issued_year + 3).min(1405));
                line.num(id)
                    .text("1")
                    .text(&format!("PK-{:06}", permit_id % 1_000_000))
                    .text(&done)
                    .num(permit_id);
                t_certs.push(line);
            }
            permit_id += 1;
        }
        if g.chance(0.08) {
            let mut line = Line::new();
            let when = g.jalali(1400, 1405);
            line.num(id)
                .text("2")
                .text(&format!("AK-{:06}", id % 1_000_000))
                .text(&when)
                .opt(None);
            t_certs.push(line);
        }

        // About one parcel in twelve has a violation case.
        if g.chance(0.08) {
            let detected_year = g.rng.gen_range(1399..=1405);
            let detected = g.jalali(detected_year, detected_year);
            let commission = district as i64;
            let stage_roll = g.rng.gen_range(0..100);
            let (status, rulings) = match stage_roll {
                0..=9 => ("20", 0),
                10..=19 => ("45", 0),
                20..=44 => ("60", 1),
                45..=64 => ("70", 1),
                65..=79 => ("90", 1),
                80..=89 => ("85", 2),
                _ => ("95", 1),
            };
            // The commission sits some time after detection; before the online sessions its
            // ruling was written up days later, served weeks after that.
            let session_day = g.day(detected_year.max(1400), 1405);
            let session = (rulings > 0).then(|| g.spelled(session_day));
            let mut ruled_day = session_day;
            let mut line = Line::new();
            line.num(case_id)
                .num(id)
                .text(&format!(
                    "T-{district}-{detected_year}-{:05}",
                    case_id % 100_000
                ))
                .text(&g.digits(status.to_owned()))
                .num(g.rng.gen_range(1..5))
                .text(&detected)
                .num(commission)
                .opt(session.as_deref())
                .opt(
                    session
                        .as_ref()
                        .map(|_| format!("D-{district}-{:05}", case_id % 100_000))
                        .as_deref(),
                );
            t_cases.push(line);
            let items = g.rng.gen_range(1..4);
            let mut excess = 0.0;
            for _ in 0..items {
                let note = g.rng.gen_range(2..7);
                let permitted: f64 = g.rng.gen_range(50.0..300.0);
                let built = permitted + g.rng.gen_range(5.0..120.0);
                excess += built - permitted;
                let mut line = Line::new();
                let floor = g.pick(FLOORS);
                line.num(case_id)
                    .text(floor)
                    .num(note)
                    .num(format!("{permitted:.2}"))
                    .num(format!("{built:.2}"))
                    .text("01")
                    .text(if note == 3 { "02" } else { "01" })
                    .opt(lawful_coefficient(&mut g, note).as_deref())
                    .opt((note == 5).then_some("1"));
                t_items.push(line);
            }
            for stage in 1..=rulings {
                let kind = if stage == 2 || g.chance(0.7) {
                    2
                } else if g.chance(0.6) {
                    1
                } else {
                    g.rng.gen_range(3..7)
                };
                let fine = (kind == 2)
                    .then(|| (excess * g.rng.gen_range(1_500_000.0..9_000_000.0)) as i64);
                let status = match (stage, rulings, status) {
                    (1, 2, _) => "7",
                    (_, _, "60") => "1",
                    (_, _, "70") => "2",
                    (_, _, "95") => "6",
                    _ => "5",
                };
                ruled_day = if stage == 1 {
                    g.after(session_day, 0..=20)
                } else {
                    g.after(ruled_day, 60..=150)
                };
                let date = g.spelled(ruled_day);
                let served_day = g.after(ruled_day, 3..=45);
                let mut line = Line::new();
                line.num(ruling_id)
                    .num(case_id)
                    .num(if stage == 2 {
                        11 + (case_id % 3)
                    } else {
                        commission
                    })
                    .text(&format!(
                        "{}/{}/{:05}",
                        if stage == 2 {
                            "T".to_owned()
                        } else {
                            district.to_string()
                        },
                        detected_year % 100,
                        ruling_id % 100_000
                    ))
                    .text(&g.digits(format!("{kind:02}")))
                    .num(stage)
                    .text(&date)
                    .opt(fine.map(|f| f.to_string()).as_deref())
                    .text(if kind == 2 {
                        "مالک به پرداخت جریمه محکوم می‌شود."
                    } else {
                        "به شرح گزارش کارشناسی رأی صادر شد."
                    })
                    .text("ماده ۱۰۰ قانون شهرداری")
                    .opt((kind == 1).then_some("3"))
                    .text(status);
                t_rulings.push(line);
                if status != "1" {
                    let owner_idx =
                        (parcel_owners.first().copied().unwrap_or(owner0) - owner0) as usize;
                    let (name, national) = names.get(owner_idx).cloned().unwrap_or_default();
                    let served = g.spelled(served_day);
                    let mut line = Line::new();
                    line.num(ruling_id)
                        .text(&served)
                        .num(g.rng.gen_range(1..6))
                        .text(&name)
                        .opt(national.as_deref())
                        .text("مأمور ابلاغ");
                    t_notices.push(line);
                }
                if stage == 1 && rulings == 2 {
                    let mut line = Line::new();
                    let on_time = g.chance(0.9);
                    let lag = if on_time { 1..=10 } else { 11..=40 };
                    let filed_day = g.after(served_day, lag);
                    let filed = g.spelled(filed_day);
                    let in_time = if on_time { "1" } else { "0" };
                    line.num(ruling_id)
                        .text(&filed)
                        .text("1")
                        .text("درخواست تجدیدنظر در رأی بدوی.")
                        .text(in_time);
                    t_objections.push(line);
                }
                ruling_id += 1;
            }
            case_id += 1;
        }
    }

    // Transaction and goodwill values per year, district and block.
    let mut t_values = Copy::new(
        "tbl_arzesh_moamelati",
        "sal, kod_mantaghe, kod_block, arzesh_riyal",
    );
    let mut t_goodwill = Copy::new(
        "tbl_arzesh_sarqofli",
        "sal, kod_mantaghe, kod_block, arzesh_riyal",
    );
    let blocks = ((60.0 * scale.sqrt()).round() as u32).max(5);
    for year in 1395..=1405u32 {
        for district in 1..=10u32 {
            for block in 1..=blocks {
                let base = 4_000_000.0
                    * 1.3f64.powi((year - 1395) as i32)
                    * (1.0 + f64::from(district % 4) * 0.2);
                let value = (base * g.rng.gen_range(0.7..1.5)) as i64;
                let year_text = g.digits(year.to_string());
                let mut line = Line::new();
                line.text(&year_text).num(district).num(block).num(value);
                t_values.push(line);
                let mut line = Line::new();
                line.text(&year_text)
                    .num(district)
                    .num(block)
                    .num(value * 2);
                t_goodwill.push(line);
            }
        }
    }

    let tables = vec![
        t_owners,
        t_parcels,
        t_shares,
        t_permits,
        t_certs,
        t_cases,
        t_items,
        t_rulings,
        t_notices,
        t_objections,
        t_values,
        t_goodwill,
    ];
    let total = tables.len() as u64;
    let mut out = Generated::default();
    for (i, table) in tables.into_iter().enumerate() {
        let name = table.table;
        progress(name, i as u64, total);
        let rows = table.send(&tx).await?;
        out.rows.push((name, rows));
    }
    progress("analyze", total, total);
    for (table, column) in [
        ("tbl_parvandeh", "id_parvandeh"),
        ("tbl_malek", "id_malek"),
        ("tbl_parvaneh", "id_parvaneh"),
        ("tbl_parvandeh_takhalof", "id_takhalof"),
        ("tbl_ray", "id_ray"),
        ("tbl_malekiat", "id_malekiat"),
        ("tbl_govahi", "id_govahi"),
        ("tbl_aqlam_takhalof", "id_qalam"),
        ("tbl_eblagh", "id_eblagh"),
        ("tbl_eteraz", "id_eteraz"),
    ] {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT COALESCE(max({column}), 1) FROM {table}))"
            ),
            &[],
        )
        .await?;
    }
    tx.commit().await?;
    client.batch_execute("ANALYZE").await?;
    Ok(out)
}
