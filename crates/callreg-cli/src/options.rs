//! The command line: clap's definitions, and their translation into the engine's
//! [`EngineConfig`] and the choice of store.
//!
//! Flag values are checked while parsing (`--region XX` and `--tz Mars/Phobos` are usage
//! errors, exit code 2), so nothing is opened or written for a command line that is wrong.

use crate::csv_import::ImportKind;
use callreg_core::phone::Region;
use callreg_core::{CrmMode, EngineConfig};
use chrono_tz::Tz;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The database used when neither `--db` nor `--memory` is given.
pub const DEFAULT_DB: &str = "callreg.db";

/// `callreg`: Bitrix24 external-telephony call registration from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "callreg",
    version,
    about = "Registers telephone calls in a CRM with the rules of Bitrix24's external-telephony REST API",
    after_help = "The portal settings are not stored in the database: pass the same \
                  --region, --tz, --crm-mode, --permission-check, --dedup-window and \
                  --suffix-digits to every command that uses one database."
)]
pub struct Cli {
    /// Where the portal lives and how it is configured.
    #[command(flatten)]
    pub portal: PortalOptions,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The portal: its store and its configuration. Accepted before or after the command.
#[derive(Debug, Clone, Args)]
pub struct PortalOptions {
    /// SQLite database file, created with its schema on first use [default: callreg.db]
    #[arg(long, value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
    /// Keep everything in memory (gone when the command ends) instead of a database file
    #[arg(long, global = true, conflicts_with = "db")]
    pub memory: bool,
    /// Default region for numbers without a country code (ISO 3166-1 alpha-2)
    #[arg(long, value_name = "CC", default_value = "RU", value_parser = parse_region, global = true)]
    pub region: Region,
    /// Portal time zone (IANA name) for dates without an offset and for output
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = parse_time_zone, global = true)]
    pub tz: Tz,
    /// CRM mode: classic (unknown callers become leads) or simple (a contact and a deal)
    #[arg(long, value_name = "MODE", value_enum, default_value_t = CrmModeArg::Classic, global = true)]
    pub crm_mode: CrmModeArg,
    /// Whether register and finish require the CALL_DETAIL_MODIFY permission
    #[arg(long, value_name = "on|off", value_enum, default_value_t = Switch::On, global = true)]
    pub permission_check: Switch,
    /// Dedup window of calls without EXTERNAL_CALL_ID, in minutes (0 switches it off)
    #[arg(long, value_name = "MINUTES", default_value_t = 30, global = true)]
    pub dedup_window: u32,
    /// When a number matches no record exactly, match it by the last N digits of its national
    /// number (1 to 14, e.g. 10; 0 switches it off, the default)
    #[arg(long, value_name = "N", default_value_t = 0, global = true)]
    pub suffix_digits: u32,
}

/// The commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run REST requests given as JSON Lines and answer each with one line
    ///
    /// Reads FILE, or standard input when FILE is absent or `-`, one request a line:
    /// {"method": "...", "params": {...}, "auth": {"user_id": 1, "app_id": "pbx-1"}}
    /// (`auth` optional: user 1 by webhook). Writes {"status": N, "body": {...}} for each,
    /// flushed at once. A malformed line is answered 400 INVALID_REQUEST and the run goes on.
    /// "$CALL_1", "$CALL_2", ... inside a string of `params` stand for the CALL_ID of the
    /// 1st, 2nd, ... successful telephony.externalcall.register of the run.
    Exec {
        /// A file of requests, one JSON object a line
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Import contacts, companies or leads from a CSV file whose header names Bitrix fields
    Import {
        /// What the rows are
        #[arg(value_enum)]
        kind: ImportKind,
        /// The CSV file (UTF-8, comma-separated, a header row first); `-` reads standard input
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
    },
    /// List recent calls, active and finished, most recent first
    Calls {
        /// How many calls to list
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        /// Print a JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
    /// List pending outbox events (oldest first) without removing them
    Events {
        /// How many events to list
        #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        /// Print a JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
}

/// `--crm-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CrmModeArg {
    /// Unknown callers become leads.
    Classic,
    /// Unknown callers become a contact with a deal.
    Simple,
}

/// `on` / `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Where the portal's data is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// A `MemoryStore`, gone when the process ends.
    Memory,
    /// A SQLite database file.
    Sqlite(PathBuf),
}

/// Longest suffix `--suffix-digits` accepts: a national number has at most 14 digits (an
/// E.164 number has 15, the calling code at least one).
pub const MAX_SUFFIX_DIGITS: u32 = 14;

/// A flag value that parses but cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionError {
    /// `--suffix-digits` above [`MAX_SUFFIX_DIGITS`].
    #[error(
        "--suffix-digits {0}: at most {MAX_SUFFIX_DIGITS} (a national number has no more digits; 0 switches suffix matching off)"
    )]
    SuffixDigitsOutOfRange(u32),
}

impl PortalOptions {
    /// The engine configuration these options describe.
    ///
    /// ```
    /// use callreg_cli::options::Cli;
    /// use clap::Parser;
    ///
    /// let cli = Cli::parse_from(["callreg", "--region", "de", "--dedup-window", "0", "calls"]);
    /// let config = cli.portal.engine_config().unwrap();
    /// assert_eq!(config.default_region.as_str(), "DE");
    /// assert_eq!(config.dedup_window, None);
    /// ```
    ///
    /// # Errors
    /// [`OptionError::SuffixDigitsOutOfRange`] for `--suffix-digits` above
    /// [`MAX_SUFFIX_DIGITS`]: no number would ever match, which is surely not what was meant.
    pub fn engine_config(&self) -> Result<EngineConfig, OptionError> {
        let suffix_digits = match self.suffix_digits {
            0 => None,
            n if n > MAX_SUFFIX_DIGITS => return Err(OptionError::SuffixDigitsOutOfRange(n)),
            n => u8::try_from(n).ok(),
        };
        let dedup_window = match self.dedup_window {
            0 => None,
            minutes => Some(chrono::Duration::minutes(i64::from(minutes))),
        };
        Ok(EngineConfig {
            default_region: self.region,
            time_zone: self.tz,
            crm_mode: match self.crm_mode {
                CrmModeArg::Classic => CrmMode::Classic,
                CrmModeArg::Simple => CrmMode::Simple,
            },
            dedup_window,
            permission_check: self.permission_check == Switch::On,
            suffix_digits,
            ..EngineConfig::default()
        })
    }

    /// The store to use: memory, the `--db` file, or `callreg.db` in the working directory.
    pub fn store(&self) -> StoreChoice {
        if self.memory {
            StoreChoice::Memory
        } else {
            StoreChoice::Sqlite(self.db.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_DB)))
        }
    }
}

/// `--region`: a two-letter region the number metadata knows, in any case.
pub fn parse_region(code: &str) -> Result<Region, String> {
    Region::parse(code.trim()).map_err(|_| {
        format!(
            "unknown region code {code:?}: expected an ISO 3166-1 alpha-2 code such as RU, DE or US"
        )
    })
}

/// `--tz`: an IANA time zone name.
pub fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.trim().parse::<Tz>().map_err(|_| {
        format!("unknown time zone {name:?}: expected an IANA name such as UTC or Europe/Moscow")
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn defaults_are_a_new_portal_in_callreg_db() {
        let cli = Cli::parse_from(["callreg", "exec"]);
        let config = cli.portal.engine_config().unwrap();
        assert_eq!(config.default_region, Region::RU);
        assert_eq!(config.time_zone, chrono_tz::UTC);
        assert_eq!(config.crm_mode, CrmMode::Classic);
        assert_eq!(config.dedup_window, Some(chrono::Duration::minutes(30)));
        assert!(config.permission_check);
        assert_eq!(cli.portal.store(), StoreChoice::Sqlite(PathBuf::from("callreg.db")));
    }

    #[test]
    fn options_are_accepted_after_the_command_too() {
        let cli = Cli::parse_from([
            "callreg",
            "exec",
            "--memory",
            "--tz",
            "Europe/Berlin",
            "--crm-mode",
            "simple",
            "--permission-check",
            "off",
        ]);
        let config = cli.portal.engine_config().unwrap();
        assert_eq!(cli.portal.store(), StoreChoice::Memory);
        assert_eq!(config.time_zone, chrono_tz::Europe::Berlin);
        assert_eq!(config.crm_mode, CrmMode::Simple);
        assert!(!config.permission_check);
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            vec!["callreg", "--region", "XX", "calls"],
            vec!["callreg", "--tz", "Mars/Phobos", "calls"],
            vec!["callreg", "--crm-mode", "fancy", "calls"],
            vec!["callreg", "--permission-check", "maybe", "calls"],
            vec!["callreg", "--dedup-window", "-1", "calls"],
            vec!["callreg", "--db", "a.db", "--memory", "calls"],
            vec!["callreg", "calls", "--limit", "0"],
        ] {
            let error = Cli::try_parse_from(&args).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn suffix_digits_switch_tier_three_on() {
        let config = |args: &[&str]| Cli::parse_from(args).portal.engine_config();
        assert_eq!(config(&["callreg", "calls"]).unwrap().suffix_digits, None, "off by default");
        assert_eq!(
            config(&["callreg", "--suffix-digits", "0", "calls"]).unwrap().suffix_digits,
            None
        );
        assert_eq!(
            config(&["callreg", "--suffix-digits", "10", "calls"]).unwrap().suffix_digits,
            Some(10)
        );
        assert_eq!(
            config(&["callreg", "calls", "--suffix-digits", "14"]).unwrap().suffix_digits,
            Some(14)
        );
        assert_eq!(
            config(&["callreg", "--suffix-digits", "15", "calls"]).unwrap_err(),
            OptionError::SuffixDigitsOutOfRange(15)
        );
        let error = Cli::try_parse_from(["callreg", "--suffix-digits", "-1", "calls"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
    }
}
