//! The kroki: an SVG location sketch of a parcel with its neighbours' outlines, the street
//! side, a north arrow, a scale bar, and the violating area hatched (the surveyed outline when
//! there is one, else the whole parcel, and the legend says which).

use std::fmt::Write;

use super::{esc, fa_digits};

/// A point on the sketch (metres, or screen units).
type Point = (f64, f64);

/// A ring of (longitude, latitude) points.
pub type Ring = Vec<(f64, f64)>;

/// What the sketch shows.
#[derive(Debug, Clone, Default)]
pub struct KrokiInput {
    /// The parcel's boundary.
    pub parcel: Option<Ring>,
    /// Neighbouring parcels' boundaries.
    pub neighbours: Vec<Ring>,
    /// The street's centre line, when a GIS service gave one.
    pub street: Option<Ring>,
    /// The street's name, for its label.
    pub street_name: Option<String>,
    /// The violating area in m², for the legend.
    pub violation_m2: Option<f64>,
    /// The surveyed outlines of the violating areas; empty when none were surveyed (the
    /// sketch then hatches the whole parcel and says so).
    pub violations: Vec<Ring>,
}

const W: f64 = 480.0;
const H: f64 = 360.0;
const PAD: f64 = 40.0;

/// Metres east and north of `origin` (an equirectangular projection: exact enough for a
/// sketch of a few hundred metres).
fn project(origin: (f64, f64), p: (f64, f64)) -> (f64, f64) {
    let lat0 = origin.1.to_radians();
    (
        (p.0 - origin.0) * 111_320.0 * lat0.cos(),
        (p.1 - origin.1) * 110_540.0,
    )
}

/// A round scale-bar length (1, 2 or 5 × 10ⁿ metres) about a fifth of `span` metres.
fn scale_length(span: f64) -> f64 {
    let target = (span / 5.0).max(1.0);
    let magnitude = 10f64.powf(target.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .rfind(|l| *l <= target)
        .unwrap_or(magnitude)
}

/// The SVG. Without a boundary it says so instead of drawing.
pub fn svg(input: &KrokiInput) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="kroki" viewBox="0 0 {W} {H}" width="{W}" height="{H}" direction="rtl" font-family="Vazirmatn, Tahoma, sans-serif" role="img" aria-label="کروکی موقعیت ملک">"##
    );
    out.push_str(r##"<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" stroke="#b3261e" stroke-width="2"/></pattern></defs>"##);
    let _ = write!(
        out,
        r##"<rect x="0" y="0" width="{W}" height="{H}" fill="#fbfaf7" stroke="#888"/>"##
    );
    let Some(parcel) = input.parcel.as_ref().filter(|r| r.len() >= 3) else {
        out.push_str(r##"<text x="240" y="180" text-anchor="middle" font-size="16">هندسه ملک در سامانه ثبت نشده است</text></svg>"##);
        return out;
    };
    let origin = parcel[0];
    let all: Vec<(f64, f64)> = parcel.iter().map(|p| project(origin, *p)).collect();
    let neighbours: Vec<Vec<(f64, f64)>> = input
        .neighbours
        .iter()
        .map(|r| r.iter().map(|p| project(origin, *p)).collect())
        .collect();
    let street: Option<Vec<(f64, f64)>> = input
        .street
        .as_ref()
        .map(|r| r.iter().map(|p| project(origin, *p)).collect());
    // Fit the parcel and what is close to it; far neighbours are clipped by the frame.
    let (mut min_x, mut min_y, mut max_x, mut max_y) = bounds(&all);
    let span = (max_x - min_x).max(max_y - min_y).max(10.0);
    let margin = span * 1.2;
    min_x -= margin;
    min_y -= margin;
    max_x += margin;
    max_y += margin;
    let scale = ((W - 2.0 * PAD) / (max_x - min_x)).min((H - 2.0 * PAD) / (max_y - min_y));
    let cx = (min_x + max_x) / 2.0;
    let cy = (min_y + max_y) / 2.0;
    let to_screen = |p: &(f64, f64)| (W / 2.0 + (p.0 - cx) * scale, H / 2.0 - (p.1 - cy) * scale);
    let points = |ring: &[(f64, f64)]| {
        ring.iter()
            .map(|p| {
                let (x, y) = to_screen(p);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = write!(
        out,
        r##"<clipPath id="frame"><rect x="1" y="1" width="{}" height="{}"/></clipPath><g clip-path="url(#frame)">"##,
        W - 2.0,
        H - 2.0
    );
    for n in &neighbours {
        let _ = write!(
            out,
            r##"<polygon class="neighbour" points="{}" fill="#eeeeee" stroke="#777" stroke-width="1"/>"##,
            points(n)
        );
    }
    // The street: the GIS centre line, or the side of the parcel facing south (the legacy
    // system stores no street geometry; the sketch says which it drew).
    let (street_line, from_gis) = match &street {
        Some(line) if line.len() >= 2 => (line.clone(), true),
        _ => {
            let lowest = all.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
            let offset = span * 0.25;
            (
                vec![(min_x, lowest - offset), (max_x, lowest - offset)],
                false,
            )
        }
    };
    let band = (span * 0.3 * scale).clamp(20.0, 40.0);
    let _ = write!(
        out,
        r##"<polyline class="street" points="{}" fill="none" stroke="#c9c3b6" stroke-width="{band:.1}" stroke-linecap="butt"/>"##,
        points(&street_line),
    );
    street_label(
        &mut out,
        &street_line,
        &to_screen,
        band,
        input.street_name.as_deref(),
    );
    let violations: Vec<Vec<(f64, f64)>> = input
        .violations
        .iter()
        .filter(|r| r.len() >= 3)
        .map(|r| r.iter().map(|p| project(origin, *p)).collect())
        .collect();
    let _ = write!(
        out,
        r##"<polygon class="parcel" points="{}" fill="#fde7e4" stroke="#b3261e" stroke-width="2.5"/>"##,
        points(&all)
    );
    if violations.is_empty() {
        let _ = write!(
            out,
            r##"<polygon class="violation whole-parcel" points="{}" fill="url(#hatch)" opacity="0.5"/>"##,
            points(&all)
        );
    } else {
        for v in &violations {
            let _ = write!(
                out,
                r##"<polygon class="violation" points="{}" fill="url(#hatch)" stroke="#b3261e" stroke-width="1.2"/>"##,
                points(v)
            );
        }
    }
    out.push_str("</g>");
    // North arrow, top left.
    out.push_str(r##"<g class="north" transform="translate(36,58)"><polygon points="0,-26 9,6 0,0 -9,6" fill="#222"/><text x="0" y="22" text-anchor="middle" font-size="13" font-weight="bold">N شمال</text></g>"##);
    // Scale bar, bottom left.
    let length = scale_length(max_x - min_x);
    let bar = length * scale;
    let _ = write!(
        out,
        r##"<g class="scale" transform="translate(20,{:.1})"><rect x="0" y="0" width="{bar:.1}" height="6" fill="#222"/><rect x="{:.1}" y="0" width="{:.1}" height="6" fill="#fff" stroke="#222"/><text x="0" y="20" font-size="11" text-anchor="middle">۰</text><text x="{bar:.1}" y="20" font-size="11" text-anchor="middle">{} متر</text></g>"##,
        H - 30.0,
        bar / 2.0,
        bar / 2.0,
        fa_digits(&format!("{length}"))
    );
    // Legend, bottom right: what is hatched, and how the street was placed.
    let area = match input.violation_m2 {
        Some(m2) if m2 > 0.0 => format!(
            "محدوده تخلف: {} مترمربع",
            fa_digits(&format!("{m2:.2}")).replace('.', "٫")
        ),
        _ => "ملک موضوع پرونده".to_owned(),
    };
    let mut legend = vec![area];
    if violations.is_empty() {
        legend.push("محدوده دقیق تخلف برداشت نشده؛ کل ملک هاشور خورده است".to_owned());
    }
    if !from_gis {
        legend.push("جانمایی معبر تقریبی است".to_owned());
    }
    let _ = write!(
        out,
        r##"<g class="legend" transform="translate({:.1},{:.1})"><rect x="0" y="-11" width="14" height="14" fill="url(#hatch)" stroke="#b3261e"/>"##,
        W - 24.0,
        H - 14.0 - 15.0 * (legend.len() as f64 - 1.0)
    );
    for (i, line) in legend.iter().enumerate() {
        let _ = write!(
            out,
            r##"<text x="-6" y="{}" font-size="{}" text-anchor="start" fill="{}">{}</text>"##,
            15 * i,
            if i == 0 { 12 } else { 10 },
            if i == 0 { "#1b1b1b" } else { "#555" },
            esc(line)
        );
    }
    out.push_str("</g>");
    out.push_str("</svg>");
    out
}

/// The street's name along the middle of its longest drawn segment, centred in the band and
/// small enough to stay inside it (both across and along).
fn street_label(
    out: &mut String,
    line: &[(f64, f64)],
    to_screen: &dyn Fn(&Point) -> Point,
    band: f64,
    name: Option<&str>,
) {
    let name = name.unwrap_or("معبر");
    let screen: Vec<(f64, f64)> = line.iter().map(to_screen).collect();
    let Some((a, b)) = screen
        .windows(2)
        .map(|w| (clamp_to_frame(w[0]), clamp_to_frame(w[1])))
        .max_by(|x, y| seg_len(*x).total_cmp(&seg_len(*y)))
    else {
        return;
    };
    let length = seg_len((a, b));
    let chars = name.chars().count().max(1) as f64;
    // Vazirmatn's average advance is about 0.55 em; keep a margin at each end.
    let size = (band * 0.6).min((length - 12.0) / (chars * 0.55)).min(12.0);
    if size < 6.0 {
        return;
    }
    let mut angle = (b.1 - a.1).atan2(b.0 - a.0).to_degrees();
    if angle > 90.0 {
        angle -= 180.0;
    } else if angle < -90.0 {
        angle += 180.0;
    }
    let (x, y) = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let _ = write!(
        out,
        r##"<text class="street-name" x="{x:.1}" y="{y:.1}" transform="rotate({angle:.1} {x:.1} {y:.1})" text-anchor="middle" dominant-baseline="central" font-size="{size:.1}" fill="#333">{}</text>"##,
        esc(name)
    );
}

fn seg_len((a, b): ((f64, f64), (f64, f64))) -> f64 {
    ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt()
}

/// A point moved inside the frame (the street runs past it; its label must not).
fn clamp_to_frame(p: (f64, f64)) -> (f64, f64) {
    (p.0.clamp(2.0, W - 2.0), p.1.clamp(2.0, H - 2.0))
}

fn bounds(points: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    points.iter().fold(
        (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), p| (a.min(p.0), b.min(p.1), c.max(p.0), d.max(p.1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lon: f64, lat: f64, d: f64) -> Ring {
        vec![
            (lon, lat),
            (lon + d, lat),
            (lon + d, lat - d),
            (lon, lat - d),
            (lon, lat),
        ]
    }

    #[test]
    fn the_sketch_draws_the_parcel_neighbours_street_north_arrow_and_scale() {
        let svg = svg(&KrokiInput {
            parcel: Some(square(46.2912, 38.0801, 0.0003)),
            neighbours: vec![square(46.2916, 38.0801, 0.0003)],
            street: None,
            street_name: Some("خیابان امام".into()),
            violation_m2: Some(60.0),
            violations: Vec::new(),
        });
        for part in [
            "class=\"parcel\"",
            "class=\"neighbour\"",
            "class=\"street\"",
            "class=\"north\"",
            "class=\"scale\"",
            "url(#hatch)",
            "خیابان امام",
            "۶۰٫۰۰",
            "کل ملک هاشور خورده است",
            "whole-parcel",
        ] {
            assert!(svg.contains(part), "{part} missing");
        }
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn a_surveyed_violation_is_hatched_alone_and_the_legend_does_not_claim_the_whole_parcel() {
        let parcel = square(46.2912, 38.0801, 0.0003);
        let corner = vec![
            (46.2912, 38.0801),
            (46.2913, 38.0801),
            (46.2913, 38.0800),
            (46.2912, 38.0800),
        ];
        let svg = svg(&KrokiInput {
            parcel: Some(parcel),
            violations: vec![corner],
            violation_m2: Some(12.5),
            ..KrokiInput::default()
        });
        assert!(svg.contains("class=\"violation\""));
        assert!(!svg.contains("whole-parcel"));
        assert!(!svg.contains("کل ملک هاشور خورده است"));
        assert!(svg.contains("۱۲٫۵۰"));
    }

    #[test]
    fn the_street_name_fits_inside_its_band() {
        let long = "بلوار شهید دکتر مصطفی چمران و شهید مدرس شمالی تا میدان آزادی";
        let svg = svg(&KrokiInput {
            parcel: Some(square(46.2912, 38.0801, 0.0003)),
            street_name: Some(long.into()),
            ..KrokiInput::default()
        });
        let size: f64 = svg
            .split("class=\"street-name\"")
            .nth(1)
            .and_then(|rest| rest.split("font-size=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::MAX);
        // The band is at least 20 units wide: the text is at most 0.6 of it, and a long name
        // is made smaller (or left out) rather than running past the street's ends.
        assert!(size <= 12.0, "{size}");
        assert!(svg.contains("dominant-baseline=\"central\""));
    }

    #[test]
    fn without_a_boundary_the_sketch_says_so() {
        let svg = svg(&KrokiInput::default());
        assert!(svg.contains("هندسه ملک در سامانه ثبت نشده است"));
    }

    #[test]
    fn scale_bars_have_round_lengths() {
        assert_eq!(scale_length(100.0), 20.0);
        assert_eq!(scale_length(260.0), 50.0);
        assert_eq!(scale_length(9.0), 1.0);
    }
}
