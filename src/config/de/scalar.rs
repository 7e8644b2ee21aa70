//! Plain scalars typed as serde-saphyr types them with its default options: YAML 1.2
//! core schema nulls and numbers (`0x`, `0o`, `0b`, `_` between digits, `.inf`, `.nan`),
//! YAML 1.1 booleans (`yes`, `off`, ...).

/// The padding serde-saphyr ignores around a number or boolean.
pub(super) fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

/// Empty, `~` or `null`: a null when plain.
pub(super) fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

pub(super) fn boolean(s: &str) -> Option<bool> {
    let t = trim(s);
    let any = |words: [&str; 4]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
    if any(["true", "yes", "y", "on"]) {
        Some(true)
    } else if any(["false", "no", "n", "off"]) {
        Some(false)
    } else {
        None
    }
}

pub(super) fn unsigned(s: &str) -> Option<u128> {
    let t = trim(s);
    if t.starts_with('-') {
        return None;
    }
    magnitude(t.strip_prefix('+').unwrap_or(t))
}

pub(super) fn signed(s: &str) -> Option<i128> {
    let t = trim(s);
    match t.strip_prefix('-') {
        Some(rest) => 0i128.checked_sub_unsigned(magnitude(rest)?),
        None => i128::try_from(magnitude(t.strip_prefix('+').unwrap_or(t))?).ok(),
    }
}

/// A float as a float-typed field reads it: `.inf` and `.nan` allowed, overflow not.
pub(super) fn float(s: &str) -> Option<f64> {
    let t = trim(s);
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned {
        ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" if negative => Some(f64::NEG_INFINITY),
        ".inf" | ".Inf" | ".INF" => Some(f64::INFINITY),
        _ => t.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

/// What a plain scalar is when the type does not say (`deserialize_any`).
#[derive(Debug, PartialEq)]
pub(super) enum Typed {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text,
}

pub(super) fn typed(s: &str) -> Typed {
    if is_null(s) {
        return Typed::Null;
    }
    if let Some(b) = boolean(s) {
        return Typed::Bool(b);
    }
    let t = trim(s);
    let unsigned_part = t.strip_prefix(['+', '-']).unwrap_or(t);
    let upper_radix = matches!(unsigned_part.as_bytes(), [b'0', b'X' | b'O' | b'B', ..]);
    let signed_nan = t != unsigned_part && matches!(unsigned_part, ".nan" | ".NaN" | ".NAN");
    if upper_radix || signed_nan {
        return Typed::Text;
    }
    let int = if t.starts_with('-') {
        signed(t)
            .and_then(|v| i64::try_from(v).ok())
            .map(Typed::Signed)
    } else {
        unsigned(t)
            .and_then(|v| u64::try_from(v).ok())
            .map(Typed::Unsigned)
    };
    int.or_else(|| float_or_overflow(t).map(Typed::Float))
        .unwrap_or(Typed::Text)
}

/// A float, or an infinity for a numeral too large for one (`1e999`).
fn float_or_overflow(t: &str) -> Option<f64> {
    float(t).or_else(|| {
        let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
        let numeral = unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit);
        numeral
            .then(|| t.parse::<f64>().ok())
            .flatten()
            .filter(|v| v.is_infinite())
    })
}

/// `0x`, `0o`, `0b` or decimal digits without a leading zero.
fn magnitude(digits: &str) -> Option<u128> {
    let prefixed = |lower: &str, upper: &str| {
        digits
            .strip_prefix(lower)
            .or_else(|| digits.strip_prefix(upper))
    };
    if let Some(hex) = prefixed("0x", "0X") {
        return in_radix(hex, 16);
    }
    if let Some(octal) = prefixed("0o", "0O") {
        return in_radix(octal, 8);
    }
    if let Some(binary) = prefixed("0b", "0B") {
        return in_radix(binary, 2);
    }
    if digits.starts_with('0') && digits != "0" {
        return None;
    }
    in_radix(digits, 10)
}

/// Digits with single `_` between them allowed.
fn in_radix(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let before = i > 0 && bytes[i - 1] != b'_';
            let after = bytes.get(i + 1).is_some_and(|&n| n != b'_');
            if !(before && after) {
                return None;
            }
            continue;
        }
        let digit = char::from(b).to_digit(radix)?;
        value = value
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(digit))?;
    }
    (!digits.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_are_typed_as_serde_saphyr_types_them() {
        let cases = [
            ("~", Typed::Null),
            ("", Typed::Null),
            ("yes", Typed::Bool(true)),
            ("Off", Typed::Bool(false)),
            ("8080", Typed::Unsigned(8080)),
            ("0x1f", Typed::Unsigned(31)),
            ("0o17", Typed::Unsigned(15)),
            ("1_000", Typed::Unsigned(1000)),
            ("-12", Typed::Signed(-12)),
            ("1.5", Typed::Float(1.5)),
            ("0127", Typed::Float(127.0)),
            ("1e999", Typed::Float(f64::INFINITY)),
            ("0X1F", Typed::Text),
            ("-.nan", Typed::Text),
            ("inf", Typed::Text),
            ("1_", Typed::Text),
            ("127.0.0.1:80", Typed::Text),
        ];
        for (text, want) in cases {
            assert_eq!(typed(text), want, "{text}");
        }
    }

    #[test]
    fn typed_fields_read_numbers_in_any_spelling() {
        assert_eq!(unsigned("+0b101"), Some(5));
        assert_eq!(unsigned("-1"), None);
        assert_eq!(signed("-0x10"), Some(-16));
        assert_eq!(float("-.inf"), Some(f64::NEG_INFINITY));
        assert_eq!(float("1e999"), None);
        assert_eq!(boolean("maybe"), None);
    }
}
