//! The little SOAP the gateway speaks: an envelope with one operation and its arguments, and
//! the text of the `return` element of its answer.

use std::fmt::Write;

const NAMESPACE: &str = "http://interfaces.core.sw.bps.com/";

/// Text made safe for an XML element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The request envelope of `operation` with `args` in order.
pub(crate) fn envelope(operation: &str, args: &[(&str, String)]) -> String {
    let mut body = String::new();
    for (name, value) in args {
        let _ = write!(body, "<{name}>{}</{name}>", escape(value));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:int=\"{NAMESPACE}\">\
         <soapenv:Header/><soapenv:Body><int:{operation}>{body}</int:{operation}></soapenv:Body></soapenv:Envelope>"
    )
}

/// The text of the first `return` element (with or without a namespace prefix).
pub(crate) fn return_value(xml: &str) -> Option<String> {
    let start = xml
        .find("<return>")
        .map(|i| i + "<return>".len())
        .or_else(|| {
            // `<ns2:return>`
            let at = xml.find(":return>")?;
            let open = xml[..at].rfind('<')?;
            (!xml[open..at].contains('/')).then_some(at + ":return>".len())
        })?;
    let end = start + xml[start..].find("</")?;
    Some(unescape(xml[start..end].trim()))
}

/// The operation and the arguments of a request envelope (what a gateway, or its test double,
/// reads).
pub fn read_request(xml: &str) -> Option<(String, Vec<(String, String)>)> {
    let body = &xml[xml.find("Body>")? + "Body>".len()..];
    let open = body.find('<')?;
    let tag_end = open + body[open..].find('>')?;
    let tag = &body[open + 1..tag_end];
    let operation = tag.rsplit(':').next()?.trim().to_owned();
    let inner_end = tag_end + body[tag_end..].find(&format!("</{tag}>"))?;
    let mut rest = &body[tag_end + 1..inner_end];
    let mut args = Vec::new();
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let name = rest[open + 1..close]
            .trim_end_matches('/')
            .trim()
            .to_owned();
        if rest[open..close].ends_with('/') {
            args.push((name, String::new()));
            rest = &rest[close + 1..];
            continue;
        }
        let end = close + rest[close..].find(&format!("</{name}>"))?;
        args.push((name.clone(), unescape(&rest[close + 1..end])));
        rest = &rest[end + name.len() + 3..];
    }
    Some((operation, args))
}

/// The response envelope of `operation` returning `value`.
pub fn response(operation: &str, value: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
         <ns2:{operation}Response xmlns:ns2=\"{NAMESPACE}\"><return>{}</return></ns2:{operation}Response>\
         </soap:Body></soap:Envelope>",
        escape(value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_reads_back_as_its_operation_and_arguments() {
        let xml = envelope(
            "bpPayRequest",
            &[
                ("orderId", "42".into()),
                ("callBackUrl", "https://x/cb?a=1&b=<2>".into()),
                ("additionalData", String::new()),
            ],
        );
        let (operation, args) = read_request(&xml).expect("readable");
        assert_eq!(operation, "bpPayRequest");
        assert_eq!(args[0], ("orderId".into(), "42".into()));
        assert_eq!(args[1].1, "https://x/cb?a=1&b=<2>");
        assert_eq!(args[2], ("additionalData".into(), String::new()));
    }

    #[test]
    fn the_return_value_is_found_with_or_without_a_prefix() {
        assert_eq!(
            return_value(&response("bpVerifyRequest", "0")).as_deref(),
            Some("0")
        );
        assert_eq!(
            return_value("<a><ns2:return>0,AB12</ns2:return></a>").as_deref(),
            Some("0,AB12")
        );
        assert_eq!(return_value("<a><nothing/></a>"), None);
    }
}
