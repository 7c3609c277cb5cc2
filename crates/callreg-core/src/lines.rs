//! `telephony.externalLine.add|update|delete|get`: an application's external lines.

use crate::auth::Auth;
use crate::engine::Engine;
use crate::error::CallregError;
use crate::model::Line;
use crate::register::MAX_LINE_NUMBER;
use crate::store::CrmStore;

impl<S: CrmStore> Engine<S> {
    /// Adds a line of the calling application (`CRM_AUTO_CREATE` defaults to on).
    /// Returns its id.
    pub fn add_line(
        &self,
        auth: &Auth,
        number: &str,
        name: Option<&str>,
        crm_auto_create: Option<bool>,
    ) -> Result<u64, CallregError> {
        let number = valid_line_number(auth, Some(number))?;
        let key = self.phones().key(number);
        self.in_transaction(|tx| {
            let app = auth.app_id.as_ref();
            if tx.find_line(app, number)?.is_some() {
                return Err(CallregError::LineExists);
            }
            let line = Line {
                id: 0,
                app_id: auth.app_id.clone(),
                number: number.to_string(),
                name: name.map(str::to_string),
                crm_auto_create: crm_auto_create.unwrap_or(true),
                key,
            };
            Ok(tx.insert_line(&line)?)
        })
    }

    /// Changes a line's name and/or auto-create flag. Returns its id.
    pub fn update_line(
        &self,
        auth: &Auth,
        number: Option<&str>,
        name: Option<&str>,
        crm_auto_create: Option<bool>,
    ) -> Result<u64, CallregError> {
        if !auth.kind.may_manage_calls() {
            return Err(CallregError::WrongAuthType);
        }
        // Bitrix checks for fields before it checks the number.
        if name.is_none() && crm_auto_create.is_none() {
            return Err(CallregError::NoFieldsToUpdate);
        }
        let number = valid_line_number(auth, number)?;
        self.in_transaction(|tx| {
            let Some(mut line) = tx.find_line(auth.app_id.as_ref(), number)? else {
                return Err(CallregError::LineNotFound(number.to_string()));
            };
            if let Some(name) = name {
                line.name = Some(name.to_string());
            }
            if let Some(flag) = crm_auto_create {
                line.crm_auto_create = flag;
            }
            tx.update_line(&line)?;
            Ok(line.id)
        })
    }

    /// Deletes a line of the calling application.
    pub fn delete_line(&self, auth: &Auth, number: Option<&str>) -> Result<(), CallregError> {
        let number = valid_line_number(auth, number)?;
        self.in_transaction(|tx| {
            let Some(line) = tx.find_line(auth.app_id.as_ref(), number)? else {
                return Err(CallregError::LineNotFound(number.to_string()));
            };
            tx.delete_line(line.id)?;
            Ok(())
        })
    }

    /// The calling application's lines, oldest first.
    pub fn lines(&self, auth: &Auth) -> Result<Vec<Line>, CallregError> {
        if !auth.kind.may_manage_calls() {
            return Err(CallregError::WrongAuthType);
        }
        self.read(|tx| tx.list_lines(auth.app_id.as_ref()))
    }
}

/// Auth type, then `NUMBER` trimmed and non-empty, within the line-number limit.
fn valid_line_number<'a>(auth: &Auth, number: Option<&'a str>) -> Result<&'a str, CallregError> {
    if !auth.kind.may_manage_calls() {
        return Err(CallregError::WrongAuthType);
    }
    let number = number.map(str::trim).unwrap_or("");
    if number.is_empty() {
        return Err(CallregError::LineNumberEmpty);
    }
    if number.chars().count() > MAX_LINE_NUMBER {
        return Err(CallregError::TooLong { param: "NUMBER", limit: MAX_LINE_NUMBER });
    }
    Ok(number)
}
