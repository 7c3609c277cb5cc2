//! Portal configuration: the settings a Bitrix24 portal administrator would choose.

use crate::phone::Region;
use chrono::Duration;
use chrono_tz::Tz;

/// How auto-creation works (Bitrix's "CRM mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrmMode {
    /// Classic mode, with leads: an unknown caller becomes a lead.
    #[default]
    Classic,
    /// Simple mode, without leads: an unknown caller becomes a contact with a deal.
    Simple,
}

/// The engine's settings. `EngineConfig::default()` is a new portal: region `RU`, UTC,
/// classic CRM, a 30-minute dedup window, permission checks on, records up to 50 MiB, no
/// suffix matching.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Region used to read numbers written without a country code.
    pub default_region: Region,
    /// Time zone for `CALL_START_DATE` values without an offset.
    pub time_zone: Tz,
    /// Classic (leads) or simple (contact + deal) auto-creation.
    pub crm_mode: CrmMode,
    /// Window of Bitrix's number-based dedup, measured from registration time;
    /// `None` switches that key off (`EXTERNAL_CALL_ID` still deduplicates).
    pub dedup_window: Option<Duration>,
    /// Whether register and finish require `CALL_DETAIL_MODIFY` (contract D7).
    pub permission_check: bool,
    /// Largest record `attachRecord` accepts, in bytes (decoded).
    pub record_max_bytes: usize,
    /// Base of the upload URLs `attachRecord` hands out (e.g. `https://crm.example.com`).
    pub portal_url: String,
    /// Tier 3 of number matching (matching.md), off (`None`) by default: when tiers 1 and 2
    /// find no record, a caller whose national number has at least N digits is matched to the
    /// records with a stored E.164 phone whose national number ends with the same last N
    /// digits (at most [`MAX_SUFFIX_OWNERS`](crate::matching::MAX_SUFFIX_OWNERS) of them;
    /// more share the suffix: no match). 10 suits numbering plans of ten-digit national
    /// numbers (RU, US); fewer digits match more loosely. `Some(0)` is the same as `None`.
    pub suffix_digits: Option<u8>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            default_region: Region::RU,
            time_zone: chrono_tz::UTC,
            crm_mode: CrmMode::Classic,
            dedup_window: Some(Duration::minutes(30)),
            permission_check: true,
            record_max_bytes: 50 * 1024 * 1024,
            portal_url: "http://localhost".to_string(),
            suffix_digits: None,
        }
    }
}
