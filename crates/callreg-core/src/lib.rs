//! callreg-core: the rules of Bitrix24's external-telephony REST API as a typed Rust engine.
//!
//! The [`Engine`] runs each command (`register`, ...) as one transaction of a [`CrmStore`],
//! so every rule lives here and storage adapters only store and fetch. See the README for
//! the differences from Bitrix24.

pub mod auth;
pub mod call_date;
pub mod call_id;
pub mod card;
pub mod clock;
pub mod config;
pub mod engine;
pub mod error;
pub mod finish;
pub mod lines;
pub mod matching;
pub mod model;
pub mod outbox;
pub mod phone;
pub mod records;
pub mod register;
pub mod search;
pub mod store;
pub mod transcripts;
pub mod types;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use auth::{AppId, Auth, AuthKind};
pub use config::{CrmMode, EngineConfig};
pub use engine::{Engine, NewCompany, NewContact, NewDeal, NewLead, NewUser, PhoneInput};
pub use error::{CallregError, ErrorKind};
pub use finish::{FinishOutcome, FinishRequest};
pub use outbox::OfflineEvents;
pub use records::{AttachRecordOutcome, AttachRecordRequest, AudioKind, RecordFetcher};
pub use register::{RegisterOutcome, RegisterRequest};
pub use search::CrmSearchHit;
pub use store::{CrmStore, StoreError, StoreTx};
pub use transcripts::{RawTranscriptMessage, TranscriptRequest};
pub use types::{CallId, CallType, EntityRef, EntityRefs, EntityType, UserId, UserRef};
