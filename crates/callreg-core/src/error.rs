//! The engine's errors: rule errors with Bitrix's exact descriptions, and storage failures.

use crate::store::StoreError;

/// How a caller should treat an error; maps onto Bitrix's error codes and HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The authentication type may not use this method (403 `WRONG_AUTH_TYPE`).
    WrongAuthType,
    /// The acting user lacks the permission (403 `ACCESS_DENIED`).
    AccessDenied,
    /// A Bitrix rule refused the request (400 `ERROR_CORE`, contract D1).
    Rule,
    /// A parameter is out of its documented range (400 `ERROR_ARGUMENT`).
    Argument,
    /// A parameter has the wrong type (400 `INVALID_ARGUMENT`).
    InvalidArgument,
    /// Storage failed; retrying may help (500 `INTERNAL_SERVER_ERROR`).
    Store,
}

impl ErrorKind {
    /// The wire error code.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::WrongAuthType => "WRONG_AUTH_TYPE",
            ErrorKind::AccessDenied => "ACCESS_DENIED",
            ErrorKind::Rule => "ERROR_CORE",
            ErrorKind::Argument => "ERROR_ARGUMENT",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::Store => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The HTTP status Bitrix answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::WrongAuthType | ErrorKind::AccessDenied => 403,
            ErrorKind::Rule | ErrorKind::Argument | ErrorKind::InvalidArgument => 400,
            ErrorKind::Store => 500,
        }
    }
}

/// Why a command was refused. `Display` is the wire `error_description`, byte for byte.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallregError {
    /// Session auth (the portal UI) on a method reserved for applications and webhooks.
    #[error("Current authorization type is denied for this method")]
    WrongAuthType,
    /// The acting user lacks `CALL_DETAIL_MODIFY` (contract D7).
    #[error("Access denied!")]
    AccessDenied,
    /// Neither a non-zero `USER_ID` nor a `USER_PHONE_INNER` of an active user.
    #[error("USER_ID or USER_PHONE_INNER should be set")]
    UserNotSet,
    /// `TYPE` is not 1–5.
    #[error("Unknown TYPE")]
    UnknownType,
    /// `CALL_START_DATE` is not a date of an accepted format.
    #[error("CALL_START_DATE should be in the ISO-8601 format")]
    InvalidStartDate,
    /// `PHONE_NUMBER` strips to nothing (or to `"0"`).
    #[error("Unsupported phone number format")]
    UnsupportedPhoneNumber,
    /// The call's user does not exist or is inactive.
    #[error("User is not found or is not active")]
    UserNotActive,
    /// A parameter exceeds its length limit (contract D8).
    #[error("{param} is too long: at most {limit} characters")]
    TooLong {
        /// The parameter's name.
        param: &'static str,
        /// Its maximum length in characters.
        limit: usize,
    },
    /// A list parameter has more items than allowed.
    #[error("{param} has too many items: at most {limit}")]
    TooMany {
        /// The parameter's name.
        param: &'static str,
        /// Its maximum number of items.
        limit: usize,
    },
    /// A number parameter is out of its range.
    #[error("{param} should be between {min} and {max}")]
    OutOfRange {
        /// The parameter's name.
        param: &'static str,
        /// The smallest value accepted.
        min: i64,
        /// The largest value accepted.
        max: i64,
    },
    /// An explicit CRM binding names nothing that exists (contract D12).
    #[error("CRM entity {entity_type} {entity_id} is not found")]
    CrmEntityNotFound {
        /// `CRM_ENTITY_TYPE` as given.
        entity_type: String,
        /// `CRM_ENTITY_ID` as given.
        entity_id: i64,
    },
    /// A parameter's value is not one the method accepts; the text names the parameter.
    #[error("{0}")]
    InvalidValue(String),
    /// finish: `CALL_ID` absent or not a string.
    #[error("CALL_ID must be a string")]
    CallIdNotString,
    /// finish: no active call has this id (Bitrix's text, without the closing bracket).
    #[error("Call is not found (call should be registered prior to finishing")]
    CallNotFound,
    /// searchCrmEntities: empty `PHONE_NUMBER`.
    #[error("PHONE_NUMBER is empty")]
    PhoneNumberEmpty,
    /// externalLine.*: empty `NUMBER`.
    #[error("NUMBER should not be empty")]
    LineNumberEmpty,
    /// externalLine.add: the application already has this number.
    #[error("Line already exists")]
    LineExists,
    /// externalLine.update: neither `NAME` nor `CRM_AUTO_CREATE` given.
    #[error("There are no fields to update")]
    NoFieldsToUpdate,
    /// externalLine.update/delete: the application has no such line.
    #[error("Could not find line with number {0}")]
    LineNotFound(String),
    /// attachRecord: neither `RECORD_URL` nor `FILENAME` (Bitrix's wording, kept).
    #[error("Required parameters are not set. Request should contain or URL or FILENAME parameter")]
    RecordSourceMissing,
    /// attachRecord: the call has no statistics row yet.
    #[error("Call is not found in the statistic table. Looks like it is not finished yet.")]
    CallNotFinished,
    /// attachRecord: `FILENAME` is empty.
    #[error("File name is empty")]
    FileNameEmpty,
    /// attachRecord: the extension is not wav or mp3.
    #[error("Wrong file extension. Only wav and mp3 are allowed")]
    WrongFileExtension,
    /// attachRecord: empty content.
    #[error("File content is empty.")]
    FileContentEmpty,
    /// attachRecord: content is not base64.
    #[error("File content is not properly encoded. Base64 encoding is expected.")]
    FileContentNotBase64,
    /// attachRecord: the content is not audio of the file's type (contract D10).
    #[error("FILE_CONTENT does not match the file extension: the content is not {0} audio")]
    FileContentMismatch(&'static str),
    /// attachRecord: the record is larger than the configured limit.
    #[error("FILE_CONTENT is too large: at most {limit} bytes")]
    FileTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// attachRecord (URL mode): the host's fetcher failed; its message.
    #[error("{0}")]
    RecordDownloadFailed(String),
    /// The upload token is unknown or was already used.
    #[error("Error: upload token is not found or has already been used")]
    UploadNotFound,
    /// attachTranscription: `CALL_ID` absent or empty.
    #[error("CALL_ID should be set")]
    TranscriptCallIdMissing,
    /// attachTranscription: `MESSAGES` is not an array.
    #[error("MESSAGES should be an array")]
    MessagesNotArray,
    /// attachTranscription: a message's `SIDE` is not `Client` or `User`.
    #[error("MESSAGES[{0}][SIDE] should be either Client or User")]
    MessageSide(String),
    /// attachTranscription: a negative `START_TIME`.
    #[error("MESSAGES[{0}][START_TIME] should be greater or equal to zero")]
    MessageStartTime(String),
    /// attachTranscription: a `STOP_TIME` of zero or less.
    #[error("MESSAGES[{0}][STOP_TIME] should be greater than zero")]
    MessageStopTime(String),
    /// attachTranscription: an empty `MESSAGE`.
    #[error("MESSAGES[{0}][MESSAGE] is empty")]
    MessageEmpty(String),
    /// attachTranscription: the call is not finished.
    #[error("Call {0} is not found. Is it finished?")]
    TranscriptCallNotFound(String),
    /// Storage failed; nothing of the command was stored.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
}

impl CallregError {
    /// The category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            CallregError::WrongAuthType => ErrorKind::WrongAuthType,
            CallregError::AccessDenied => ErrorKind::AccessDenied,
            CallregError::UserNotSet
            | CallregError::UnknownType
            | CallregError::InvalidStartDate
            | CallregError::UnsupportedPhoneNumber
            | CallregError::UserNotActive
            | CallregError::CallNotFound
            | CallregError::PhoneNumberEmpty
            | CallregError::LineNumberEmpty
            | CallregError::LineExists
            | CallregError::NoFieldsToUpdate
            | CallregError::LineNotFound(_)
            | CallregError::RecordSourceMissing
            | CallregError::CallNotFinished
            | CallregError::FileNameEmpty
            | CallregError::WrongFileExtension
            | CallregError::FileContentEmpty
            | CallregError::FileContentNotBase64
            | CallregError::RecordDownloadFailed(_)
            | CallregError::UploadNotFound
            | CallregError::TranscriptCallIdMissing
            | CallregError::MessagesNotArray
            | CallregError::MessageSide(_)
            | CallregError::MessageStartTime(_)
            | CallregError::MessageStopTime(_)
            | CallregError::MessageEmpty(_)
            | CallregError::TranscriptCallNotFound(_) => ErrorKind::Rule,
            CallregError::TooLong { .. }
            | CallregError::TooMany { .. }
            | CallregError::OutOfRange { .. }
            | CallregError::CrmEntityNotFound { .. }
            | CallregError::FileContentMismatch(_)
            | CallregError::FileTooLarge { .. }
            | CallregError::InvalidValue(_) => ErrorKind::Argument,
            CallregError::CallIdNotString => ErrorKind::InvalidArgument,
            CallregError::Store(_) => ErrorKind::Store,
        }
    }

    /// The wire error code (contract D1).
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// The HTTP status.
    pub fn http_status(&self) -> u16 {
        self.kind().http_status()
    }
}
