//! New `CALL_ID`s (contract D11): `externalCall.<32 lowercase hex>.<unix seconds>`, the hex
//! from the operating system's cryptographically secure random source.

use crate::types::CallId;
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// The operating system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("no secure random bytes for a CALL_ID: {0}")]
pub struct RandomSourceError(String);

/// A fresh call id stamped with the registration time `now`.
pub fn new_call_id(now: DateTime<Utc>) -> Result<CallId, RandomSourceError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| RandomSourceError(e.to_string()))?;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(13 + 32 + 1 + 11);
    id.push_str("externalCall.");
    for b in bytes {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    let _ = write!(id, ".{}", now.timestamp());
    Ok(CallId::new(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_have_bitrix_shape_and_differ() -> Result<(), RandomSourceError> {
        let now = DateTime::from_timestamp(1_773_130_779, 0).unwrap_or_default();
        let a = new_call_id(now)?;
        let b = new_call_id(now)?;
        assert_ne!(a, b);
        let parts: Vec<&str> = a.as_str().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "externalCall");
        assert_eq!(parts[1].len(), 32);
        assert!(parts[1].bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_eq!(parts[2], "1773130779");
        Ok(())
    }
}
