//! Reading parameters as real clients send them: JSON numbers or numeric strings, PHP's casts
//! where Bitrix applies them, and contract D2 for flags. A value of a shape that cannot mean
//! anything for its parameter gets a 400 naming the parameter.

use crate::WireError;
use serde_json::{Map, Value};

/// The parameters of one request (a JSON object; anything else reads as no parameters, as
/// Bitrix ignores a body it cannot decode).
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Params<'a> {
    /// Wraps a request's `params`.
    pub fn new(params: &'a Value) -> Self {
        Params { map: params.as_object() }
    }

    /// The raw value of a parameter; JSON `null` counts as absent.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(name)).filter(|v| !v.is_null())
    }

    /// A parameter looked up case-insensitively (for methods where Bitrix lowercases keys).
    pub fn get_ignore_case(&self, name: &str) -> Option<&'a Value> {
        self.map
            .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
            .filter(|v| !v.is_null())
    }

    /// A text parameter: strings as they are, numbers as their decimal text.
    pub fn string(&self, name: &str) -> Result<Option<String>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => scalar_text(value)
                .map(Some)
                .ok_or_else(|| WireError::argument(format!("{name} should be a string"))),
        }
    }

    /// An integer parameter with PHP's `(int)` cast for strings (`"12abc"` is 12, `"abc"` is
    /// 0, `"1e3"` is 1000); absent is 0. Booleans, arrays and objects are refused.
    pub fn int(&self, name: &str) -> Result<i64, WireError> {
        match self.get(name) {
            None => Ok(0),
            Some(value) => php_int(value)
                .ok_or_else(|| WireError::argument(format!("{name} should be an integer"))),
        }
    }

    /// [`int`](Self::int), with PHP's `(int)` of a boolean too (`true` is 1, `false` is 0):
    /// the register and finish `USER_ID`, which Bitrix casts so.
    pub fn int_or_bool(&self, name: &str) -> Result<i64, WireError> {
        match self.get(name) {
            Some(Value::Bool(b)) => Ok(i64::from(*b)),
            _ => self.int(name),
        }
    }

    /// An optional integer parameter (absent stays `None`).
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.int(name).map(Some),
        }
    }

    /// A float parameter (`COST`): numbers, or strings with PHP's `(float)` cast; absent is 0.
    pub fn float(&self, name: &str) -> Result<f64, WireError> {
        let invalid = || WireError::argument(format!("{name} should be a number"));
        match self.get(name) {
            None => Ok(0.0),
            Some(Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()).ok_or_else(invalid),
            Some(Value::String(s)) => Ok(php_float_prefix(s)),
            Some(_) => Err(invalid()),
        }
    }

    /// A flag (contract D2). Absent or null: `None` (the caller's default).
    pub fn flag(&self, name: &str) -> Result<Option<bool>, WireError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        parse_flag(value)
            .map(Some)
            .ok_or_else(|| WireError::argument(format!("{name} should be 0 or 1")))
    }

    /// Bitrix's `"Y"`/`"N"` fields: `"Y"`, `true` and 1 are yes; `"N"`, `false` and 0 are no.
    pub fn yes_no(&self, name: &str) -> Result<Option<bool>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s == "Y" => Ok(Some(true)),
            Some(Value::String(s)) if s == "N" => Ok(Some(false)),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
            Some(_) => Err(WireError::argument(format!("{name} should be Y or N"))),
        }
    }

    /// A CRM method's array parameter as Bitrix's `CCrmRestHelper::resolveArrayParam` finds it
    /// (`name` in lower case): `FIELDS`, `fields`, `Fields`, then `arFields`, the first present.
    pub fn crm_array(&self, name: &str) -> Result<Option<Params<'a>>, WireError> {
        let lower = name.to_ascii_lowercase();
        let capitalized: String = lower
            .chars()
            .enumerate()
            .map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c })
            .collect();
        let spellings = [
            name.to_ascii_uppercase(),
            lower.clone(),
            capitalized.clone(),
            format!("ar{capitalized}"),
        ];
        match spellings.iter().find(|spelling| self.get(spelling).is_some()) {
            Some(spelling) => self.object_named(spelling, &lower),
            None => Ok(None),
        }
    }

    /// A nested object parameter (`fields`, `filter`).
    pub fn object(&self, name: &str) -> Result<Option<Params<'a>>, WireError> {
        self.object_named(name, name)
    }

    /// The object parameter `name`, called `shown` in its error.
    fn object_named(&self, name: &str, shown: &str) -> Result<Option<Params<'a>>, WireError> {
        match self.get(name) {
            None => Ok(None),
            Some(value @ Value::Object(_)) => Ok(Some(Params::new(value))),
            // PHP sends an empty array for an empty object.
            Some(Value::Array(items)) if items.is_empty() => Ok(None),
            Some(_) => Err(WireError::argument(format!("{shown} should be an object"))),
        }
    }

    /// The parameters with their names in lower case (PHP's `array_change_key_case`, which
    /// some methods apply): a name given in several cases keeps one of the values.
    pub fn lowercased(&self) -> Value {
        let lowered: Map<String, Value> = self
            .map
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.to_lowercase(), value.clone()))
            .collect();
        Value::Object(lowered)
    }

    /// Names of the parameters present.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> {
        self.map.into_iter().flat_map(|m| m.keys().map(String::as_str))
    }
}

/// A scalar's text: strings as they are, integers and floats as JSON writes them.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// PHP's `(int)` of a JSON number or string; `None` for booleans, arrays and objects.
pub fn php_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(float_to_int)),
        Value::String(s) => Some(php_int_prefix(s)),
        _ => None,
    }
}

/// PHP's `(int)` of any decoded JSON value: [`php_int`] for numbers and strings, `true` 1,
/// `false` and `null` 0, an array or object 1 when it has elements, else 0.
pub fn php_int_cast(value: &Value) -> i64 {
    match value {
        Value::Null => 0,
        Value::Bool(b) => i64::from(*b),
        Value::Array(items) => i64::from(!items.is_empty()),
        Value::Object(items) => i64::from(!items.is_empty()),
        scalar => php_int(scalar).unwrap_or(0),
    }
}

/// Truncates toward zero, saturating at the `i64` range (NaN is 0).
fn float_to_int(f: f64) -> i64 {
    // `as` saturates and maps NaN to 0.
    f.trunc() as i64
}

/// PHP's `(int)"..."` (PHP 7.1 and later): leading whitespace, an optional sign, then the
/// leading digits; a leading number with a fraction or an exponent (`"1.9"`, `"1e3"`) is read
/// as a float and truncated, as PHP does.
pub fn php_int_prefix(text: &str) -> i64 {
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let integer_len = digits.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &digits.as_bytes()[integer_len..];
    let fraction = rest.first() == Some(&b'.')
        && (integer_len > 0 || rest.get(1).is_some_and(u8::is_ascii_digit));
    let exponent = integer_len > 0
        && matches!(rest.first(), Some(b'e' | b'E'))
        && match rest.get(1) {
            Some(b'+' | b'-') => rest.get(2).is_some_and(u8::is_ascii_digit),
            Some(b) => b.is_ascii_digit(),
            None => false,
        };
    if fraction || exponent {
        return float_to_int(php_float_prefix(trimmed));
    }
    let mut value: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        let digit = i64::from(b - b'0');
        value = match value.checked_mul(10).and_then(|v| v.checked_add(digit)) {
            Some(v) => v,
            None => return if negative { i64::MIN } else { i64::MAX },
        };
    }
    if negative { -value } else { value }
}

/// PHP's `(float)"..."`: the longest numeric prefix (sign, digits, fraction, exponent), else 0.
fn php_float_prefix(text: &str) -> f64 {
    let bytes = text.trim_start().as_bytes();
    let digits_from = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut end = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let int_end = digits_from(end);
    let mut mantissa_digits = int_end - end;
    end = int_end;
    if bytes.get(end) == Some(&b'.') {
        let frac_end = digits_from(end + 1);
        mantissa_digits += frac_end - end - 1;
        end = frac_end;
    }
    if mantissa_digits == 0 {
        return 0.0;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exp_end = digits_from(end + 1 + sign);
        if exp_end > end + 1 + sign {
            end = exp_end;
        }
    }
    std::str::from_utf8(&bytes[..end])
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|f| f.is_finite())
        .unwrap_or(0.0)
}

/// Contract D2: exactly the values its two lists give for false and true; anything else
/// (`"TRUE"`, `" 1 "`, `1.0`, `2`) is `None`.
pub fn parse_flag(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        Value::String(s) => match s.as_str() {
            "0" | "" | "N" | "n" | "false" | "no" | "off" => Some(false),
            "1" | "Y" | "y" | "true" | "yes" | "on" => Some(true),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_int_cast_reads_every_json_value_as_php_does() {
        let cases = [
            (json!(null), 0),
            (json!(true), 1),
            (json!(false), 0),
            (json!([]), 0),
            (json!([5]), 1),
            (json!({}), 0),
            (json!({"a": 0}), 1),
            (json!("12abc"), 12),
            (json!("abc"), 0),
            (json!(3.9), 3),
            (json!(-2), -2),
        ];
        for (value, expected) in cases {
            assert_eq!(php_int_cast(&value), expected, "{value}");
        }
    }

    #[test]
    fn flags_mean_what_they_say() {
        for f in [
            json!(0),
            json!("0"),
            json!(false),
            json!(""),
            json!("N"),
            json!("n"),
            json!("false"),
            json!("no"),
            json!("off"),
        ] {
            assert_eq!(parse_flag(&f), Some(false), "{f}");
        }
        for t in [
            json!(1),
            json!("1"),
            json!(true),
            json!("Y"),
            json!("y"),
            json!("true"),
            json!("yes"),
            json!("on"),
        ] {
            assert_eq!(parse_flag(&t), Some(true), "{t}");
        }
        for bad in [
            json!(2),
            json!(-1),
            json!("maybe"),
            json!([]),
            json!({}),
            json!(0.5),
            json!(1.0),
            json!(0.0),
            json!("TRUE"),
            json!("Yes"),
            json!("OFF"),
            json!("No"),
            json!(" 1 "),
            json!("  "),
        ] {
            assert_eq!(parse_flag(&bad), None, "{bad}");
        }
    }

    #[test]
    fn php_int_casts() {
        assert_eq!(php_int(&json!("12abc")), Some(12));
        assert_eq!(php_int(&json!("abc")), Some(0));
        assert_eq!(php_int(&json!(" -7")), Some(-7));
        assert_eq!(php_int(&json!(12)), Some(12));
        assert_eq!(php_int(&json!(12.9)), Some(12));
        assert_eq!(php_int(&json!("99999999999999999999")), Some(i64::MAX));
        assert_eq!(php_int(&json!(1e300)), Some(i64::MAX));
        assert_eq!(php_int(&json!(true)), None);
        let flags = json!({"T": true, "F": false, "N": "7"});
        let p = Params::new(&flags);
        assert_eq!((p.int_or_bool("T").ok(), p.int_or_bool("F").ok()), (Some(1), Some(0)));
        assert_eq!(p.int_or_bool("N").ok(), Some(7));
        assert!(p.int("T").is_err());
        assert_eq!(php_int(&json!([1])), None);
        assert_eq!(php_int(&json!({"a": 1})), None);
        for (text, cast) in [
            ("1e3", 1000),
            (" 1e3abc", 1000),
            ("-2.9", -2),
            ("1.9", 1),
            (".5", 0),
            ("1e", 1),
            ("1e+2", 100),
            ("1E-1", 0),
            ("1.", 1),
            ("+.", 0),
            ("12e", 12),
            ("1e999", 0),
        ] {
            assert_eq!(php_int_prefix(text), cast, "{text}");
        }
    }

    #[test]
    fn floats_take_the_numeric_prefix() {
        let params = json!({"A": "1.5RUB", "B": "x", "C": 2.25, "D": [1], "F": " -2e3x", "G": ".5", "H": "1e999"});
        let p = Params::new(&params);
        assert_eq!(p.float("A").ok(), Some(1.5));
        assert_eq!(p.float("B").ok(), Some(0.0));
        assert_eq!(p.float("C").ok(), Some(2.25));
        assert!(p.float("D").is_err());
        assert_eq!(p.float("E").ok(), Some(0.0));
        assert_eq!(p.float("F").ok(), Some(-2000.0));
        assert_eq!(p.float("G").ok(), Some(0.5));
        assert_eq!(p.float("H").ok(), Some(0.0));
    }
}
