//! Errors are values with stable numeric codes (the spec's `code` field).

use nccall_protocol::ErrorCode;

/// Why an engine call failed. `code()` is the stable number an app can
/// switch on; `message()` says what exactly was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CallError {
    code: ErrorCode,
    message: String,
}

impl CallError {
    /// An error with a stable code and a message for people.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CallError {
            code,
            message: message.into(),
        }
    }

    /// The error from a server response with a non-zero code.
    pub(crate) fn from_server(code: u32, message: Option<String>) -> Self {
        match ErrorCode::from_code(code) {
            Some(known) => CallError::new(known, message.unwrap_or_default()),
            None => CallError::new(
                ErrorCode::UnknownServerCode,
                format!("server code {code}: {}", message.unwrap_or_default()),
            ),
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The numeric code, as the spec's result objects carry it.
    pub fn numeric_code(&self) -> u32 {
        self.code.code()
    }

    /// What went wrong, for people (not stable: match on the code).
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// What every fallible API call returns.
pub type CallResult<T> = Result<T, CallError>;
