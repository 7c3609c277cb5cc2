//! `callreg import`: contacts, companies or leads from a CSV file whose header row names
//! Bitrix fields.
//!
//! The header is checked before anything is imported: an unknown or repeated column stops the
//! import. Then each row is parsed by [`parse_row`] (a pure function), its references
//! (`ASSIGNED_BY_ID`, `COMPANY_ID`, `SOURCE_ID`) are checked, and it is stored with one engine
//! call, so a row is imported whole or not at all. A bad row is rejected with its line number
//! and the reason, and the import goes on.
//!
//! ```text
//! NAME,LAST_NAME,PHONE,ASSIGNED_BY_ID
//! Ivan,Petrov,+7 495 123-45-67;8 916 000-11-22,1
//! ```

use callreg_core::{
    CallregError, CrmStore, Engine, NewCompany, NewContact, NewLead, PhoneInput, StoreError, UserId,
};
use std::collections::VecDeque;
use std::fmt;
use std::io::Read;

/// What the rows of a file are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    /// `crm.contact` records.
    Contacts,
    /// `crm.company` records.
    Companies,
    /// `crm.lead` records.
    Leads,
}

impl ImportKind {
    /// The columns a file of this kind may have.
    pub fn columns(self) -> &'static [Column] {
        match self {
            ImportKind::Contacts => &[
                Column::Name,
                Column::LastName,
                Column::Phone,
                Column::AssignedById,
                Column::CompanyId,
            ],
            ImportKind::Companies => &[Column::Title, Column::Phone, Column::AssignedById],
            ImportKind::Leads => &[
                Column::Title,
                Column::Name,
                Column::Phone,
                Column::StatusId,
                Column::SourceId,
                Column::AssignedById,
            ],
        }
    }

    /// `contacts`, `companies` or `leads`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Contacts => "contacts",
            ImportKind::Companies => "companies",
            ImportKind::Leads => "leads",
        }
    }
}

/// A Bitrix field a CSV column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// `NAME`.
    Name,
    /// `LAST_NAME`.
    LastName,
    /// `TITLE`.
    Title,
    /// `PHONE`: one or more numbers separated by `;`, stored as `WORK` phones.
    Phone,
    /// `ASSIGNED_BY_ID`: the responsible user's id (default 1).
    AssignedById,
    /// `COMPANY_ID`: the contact's company.
    CompanyId,
    /// `STATUS_ID`: the lead's status (default `NEW`).
    StatusId,
    /// `SOURCE_ID`: the lead's source (default `OTHER`).
    SourceId,
    /// A column with an empty name (spreadsheets export trailing ones): its values must be
    /// empty and are ignored.
    Unnamed,
}

impl Column {
    /// The field's Bitrix name.
    pub fn name(self) -> &'static str {
        match self {
            Column::Name => "NAME",
            Column::LastName => "LAST_NAME",
            Column::Title => "TITLE",
            Column::Phone => "PHONE",
            Column::AssignedById => "ASSIGNED_BY_ID",
            Column::CompanyId => "COMPANY_ID",
            Column::StatusId => "STATUS_ID",
            Column::SourceId => "SOURCE_ID",
            Column::Unnamed => "",
        }
    }
}

/// A checked header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    kind: ImportKind,
    columns: Vec<Column>,
}

/// Why a header row is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The file has no header row.
    #[error("the file is empty: a header row naming Bitrix fields is expected")]
    Missing,
    /// The header row names no column (its fields are empty or blank).
    #[error("the header row names no column: a header row naming Bitrix fields is expected")]
    Blank,
    /// A column name that is not valid UTF-8.
    #[error("column {position} of the header is not valid UTF-8")]
    InvalidUtf8 {
        /// 1-based position of the column.
        position: usize,
    },
    /// A column this kind of record has no field for.
    #[error("unknown column {name:?} for {kind}: the known columns are {known}")]
    Unknown {
        /// The column as written.
        name: String,
        /// `contacts`, `companies` or `leads`.
        kind: &'static str,
        /// The accepted names, comma-separated.
        known: String,
    },
    /// A column named twice.
    #[error("column {0} appears more than once")]
    Duplicate(&'static str),
}

impl Header {
    /// Checks the header row of a file of `kind`: every column a known field of that kind,
    /// none twice (names are trimmed; a UTF-8 byte order mark before the first is dropped).
    pub fn parse(kind: ImportKind, names: &[&[u8]]) -> Result<Header, HeaderError> {
        if names.is_empty() {
            return Err(HeaderError::Missing);
        }
        let mut columns = Vec::with_capacity(names.len());
        for (index, raw) in names.iter().enumerate() {
            let raw =
                if index == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
            let name = std::str::from_utf8(raw)
                .map_err(|_| HeaderError::InvalidUtf8 { position: index + 1 })?
                .trim();
            if name.is_empty() {
                columns.push(Column::Unnamed);
                continue;
            }
            let column =
                kind.columns().iter().copied().find(|c| c.name() == name).ok_or_else(|| {
                    HeaderError::Unknown {
                        name: name.to_string(),
                        kind: kind.as_str(),
                        known: kind
                            .columns()
                            .iter()
                            .map(|c| c.name())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }
                })?;
            if columns.contains(&column) {
                return Err(HeaderError::Duplicate(column.name()));
            }
            columns.push(column);
        }
        // Blanks, a byte-order mark alone, non-breaking spaces: no column is named.
        if columns.iter().all(|c| *c == Column::Unnamed) {
            return Err(HeaderError::Blank);
        }
        Ok(Header { kind, columns })
    }

    /// The kind of record.
    pub fn kind(&self) -> ImportKind {
        self.kind
    }

    /// The columns, in file order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
}

/// A row ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportRow {
    /// A contact.
    Contact(NewContact),
    /// A company.
    Company(NewCompany),
    /// A lead.
    Lead(NewLead),
}

/// Why a row is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowError {
    /// A value stands in a column whose header is empty.
    #[error("{0:?} is in a column without a name")]
    UnnamedValue(String),
    /// The row has another number of fields than the header.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// A field that is not valid UTF-8.
    #[error("{0} is not valid UTF-8")]
    InvalidUtf8(&'static str),
    /// An id field that is not a positive integer.
    #[error("{column} {value:?} is not a valid id (a positive integer is expected)")]
    InvalidId {
        /// The column.
        column: &'static str,
        /// The value as written.
        value: String,
    },
    /// A phone with no digit in it.
    #[error("PHONE {0:?} is not a phone number (it has no digits)")]
    PhoneWithoutDigits(String),
    /// A code field (`STATUS_ID`, `SOURCE_ID`) with characters Bitrix codes never have.
    #[error("{column} {value:?} is not a valid code (letters, digits, '_', '-' and ':' only)")]
    InvalidCode {
        /// The column.
        column: &'static str,
        /// The value as written.
        value: String,
    },
    /// `ASSIGNED_BY_ID` names no user, or an inactive one.
    #[error("ASSIGNED_BY_ID {0}: no active user has this id")]
    UnknownUser(u64),
    /// `COMPANY_ID` names no company.
    #[error("COMPANY_ID {0}: no company has this id")]
    UnknownCompany(u64),
    /// `SOURCE_ID` is not in the portal's source list.
    #[error("SOURCE_ID {0:?} is not a known source")]
    UnknownSource(String),
    /// The engine refused the row (a rule, or a constraint of the store); nothing of it was
    /// stored.
    #[error("not stored: {0}")]
    Store(String),
}

/// Why a row was not stored: the row itself, or the store, which then fails every row after
/// it too (busy, full, damaged, an I/O error) and so ends the import.
enum RowFailure {
    Row(RowError),
    Store(CallregError),
}

impl From<RowError> for RowFailure {
    fn from(error: RowError) -> Self {
        RowFailure::Row(error)
    }
}

impl From<CallregError> for RowFailure {
    fn from(error: CallregError) -> Self {
        match error {
            CallregError::Store(ref e) if !matches!(e, StoreError::Constraint(_)) => {
                RowFailure::Store(error)
            }
            other => RowFailure::Row(RowError::Store(other.to_string())),
        }
    }
}

/// Parses one data row under `header` into the record to store. Pure: references to other
/// records are checked by the import, not here.
///
/// Values are trimmed; an empty value means the field's default. `PHONE` holds one or more
/// numbers separated by `;` (empty entries ignored).
///
/// ```
/// use callreg_cli::csv_import::{Header, ImportKind, ImportRow, parse_row};
///
/// let header = Header::parse(ImportKind::Contacts, &[b"NAME", b"PHONE"]).unwrap();
/// let row = parse_row(&header, &[b"Ivan", b"+7 495 123-45-67; 8 916 000-11-22"]).unwrap();
/// let ImportRow::Contact(contact) = row else { unreachable!() };
/// assert_eq!(contact.name, "Ivan");
/// assert_eq!(contact.phones.len(), 2);
/// ```
///
/// # Errors
/// A [`RowError`] saying what is wrong with the row.
pub fn parse_row(header: &Header, fields: &[&[u8]]) -> Result<ImportRow, RowError> {
    if fields.len() != header.columns.len() {
        return Err(RowError::FieldCount { expected: header.columns.len(), found: fields.len() });
    }
    let mut values = RowValues::default();
    for (column, raw) in header.columns.iter().zip(fields) {
        let text = std::str::from_utf8(raw).map_err(|_| RowError::InvalidUtf8(column.name()))?;
        let text = text.trim();
        match column {
            Column::Name => values.name = text.to_string(),
            Column::LastName => values.last_name = text.to_string(),
            Column::Title => values.title = text.to_string(),
            Column::Phone => values.phones = parse_phones(text)?,
            Column::AssignedById => values.assigned_by = parse_id(*column, text)?.map(UserId),
            Column::CompanyId => values.company_id = parse_id(*column, text)?,
            Column::StatusId => values.status_id = parse_code(*column, text)?,
            Column::SourceId => values.source_id = parse_code(*column, text)?,
            Column::Unnamed if text.is_empty() => {}
            Column::Unnamed => return Err(RowError::UnnamedValue(text.to_string())),
        }
    }
    Ok(match header.kind {
        ImportKind::Contacts => ImportRow::Contact(NewContact {
            name: values.name,
            last_name: values.last_name,
            company_id: values.company_id,
            assigned_by: values.assigned_by,
            phones: values.phones,
        }),
        ImportKind::Companies => ImportRow::Company(NewCompany {
            title: values.title,
            assigned_by: values.assigned_by,
            phones: values.phones,
        }),
        ImportKind::Leads => ImportRow::Lead(NewLead {
            title: values.title,
            name: values.name,
            status_id: values.status_id,
            source_id: values.source_id,
            assigned_by: values.assigned_by,
            phones: values.phones,
        }),
    })
}

#[derive(Default)]
struct RowValues {
    name: String,
    last_name: String,
    title: String,
    phones: Vec<PhoneInput>,
    assigned_by: Option<UserId>,
    company_id: Option<u64>,
    status_id: Option<String>,
    source_id: Option<String>,
}

fn parse_id(column: Column, text: &str) -> Result<Option<u64>, RowError> {
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(id) if id > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(id)),
        _ => Err(RowError::InvalidId { column: column.name(), value: text.to_string() }),
    }
}

fn parse_code(column: Column, text: &str) -> Result<Option<String>, RowError> {
    if text.is_empty() {
        return Ok(None);
    }
    if text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':')) {
        Ok(Some(text.to_string()))
    } else {
        Err(RowError::InvalidCode { column: column.name(), value: text.to_string() })
    }
}

fn parse_phones(text: &str) -> Result<Vec<PhoneInput>, RowError> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.bytes().any(|b| b.is_ascii_digit()) {
                Ok(PhoneInput::work(p))
            } else {
                Err(RowError::PhoneWithoutDigits(p.to_string()))
            }
        })
        .collect()
}

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    /// Why.
    pub reason: RowError,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Rows stored.
    pub imported: u64,
    /// Rows rejected, in file order.
    pub rejected: Vec<Rejection>,
}

impl fmt::Display for ImportSummary {
    /// `rows imported: N`, `rows rejected: M`, then `line L: reason` for each rejection.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "rows imported: {}", self.imported)?;
        writeln!(f, "rows rejected: {}", self.rejected.len())?;
        for rejection in &self.rejected {
            writeln!(f, "line {}: {}", rejection.line, rejection.reason)?;
        }
        Ok(())
    }
}

/// Why an import could not run to the end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The header row is refused; nothing was imported.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The file could not be read (after `imported` rows were stored).
    #[error("cannot read the file after {imported} imported rows: {source}")]
    Read {
        /// Rows stored before the failure.
        imported: u64,
        /// The reader's error.
        #[source]
        source: csv::Error,
    },
    /// The store failed (after `imported` rows were stored): the row on `line` and those
    /// after it were not imported.
    #[error("the store failed at line {line}, after {imported} imported rows: {source}")]
    Store {
        /// Rows stored before the failure.
        imported: u64,
        /// The line of the row that could not be stored.
        line: u64,
        /// The engine's error.
        #[source]
        source: CallregError,
    },
}

/// A CSV file whose header row has been read and checked.
#[derive(Debug)]
pub struct CsvImport<R> {
    reader: csv::Reader<LineBreaks<R>>,
    header: Header,
}

/// The input of the CSV reader, noting where its line breaks are (`\n`, `\r\n`, a lone `\r`)
/// so that a row's line is the file's whatever its line endings: the reader's own count is
/// off after `\r\n` and blank lines.
#[derive(Debug)]
struct LineBreaks<R> {
    inner: R,
    /// The offset of the next byte read.
    offset: u64,
    /// The breaks read and not yet counted, ascending, adjacent ones in one run (a run of
    /// blank lines takes one entry, so memory does not grow with them): where the run starts,
    /// its length in bytes, and how many breaks it holds.
    pending: VecDeque<Breaks>,
    /// A `\r` ended the last read: the next byte decides whether a `\n` completes it.
    open_cr: Option<u64>,
    /// How many breaks were counted.
    counted: u64,
}

/// Adjacent line breaks: `at..at + len` holds `count` of them and nothing else.
#[derive(Debug, Clone, Copy)]
struct Breaks {
    at: u64,
    len: u64,
    count: u64,
}

impl<R> LineBreaks<R> {
    fn new(inner: R) -> Self {
        LineBreaks { inner, offset: 0, pending: VecDeque::new(), open_cr: None, counted: 0 }
    }

    /// Notes a break of `len` bytes at `at`, in the run before it when adjacent.
    fn push(&mut self, at: u64, len: u64) {
        match self.pending.back_mut() {
            Some(run) if run.at + run.len == at => {
                run.len += len;
                run.count += 1;
            }
            _ => self.pending.push_back(Breaks { at, len, count: 1 }),
        }
    }

    /// The line (from 1) of the row the reader says starts at `offset`; rows are asked in
    /// order. The reader may place a row's start on the line endings before it (a blank line,
    /// the `\n` of a `\r\n`): those are skipped.
    fn line_of(&mut self, offset: u64) -> u64 {
        let mut start = offset;
        while let Some(&run) = self.pending.front()
            && run.at <= start
        {
            self.pending.pop_front();
            self.counted += run.count;
            start = start.max(run.at + run.len);
        }
        let open = u64::from(self.open_cr.is_some_and(|at| at < start));
        self.counted + open + 1
    }
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &byte) in buf.iter().take(n).enumerate() {
            let at = self.offset + i as u64;
            if let Some(cr) = self.open_cr.take() {
                if byte == b'\n' {
                    self.push(cr, 2);
                    continue;
                }
                self.push(cr, 1);
            }
            match byte {
                b'\n' => self.push(at, 1),
                b'\r' => self.open_cr = Some(at),
                _ => {}
            }
        }
        if n == 0
            && let Some(cr) = self.open_cr.take()
        {
            self.push(cr, 1);
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R: Read> CsvImport<R> {
    /// Reads and checks the header row of `input`; nothing is imported yet.
    ///
    /// # Errors
    /// [`ImportError::Header`] for a missing or refused header, [`ImportError::Read`] when
    /// reading fails.
    pub fn open(kind: ImportKind, input: R) -> Result<Self, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(LineBreaks::new(input));
        let names = reader
            .byte_headers()
            .map_err(|source| ImportError::Read { imported: 0, source })?
            .clone();
        let names: Vec<&[u8]> = names.iter().collect();
        let header = Header::parse(kind, &names)?;
        Ok(CsvImport { reader, header })
    }

    /// The checked header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Imports every row, one engine call each; `progress` is told how many bytes of the
    /// input have been read after each row.
    ///
    /// # Errors
    /// [`ImportError::Read`] when the input cannot be read any further; the rows before it
    /// stay imported.
    pub fn run<S: CrmStore>(
        mut self,
        engine: &Engine<S>,
        mut progress: impl FnMut(u64),
    ) -> Result<ImportSummary, ImportError> {
        let mut summary = ImportSummary::default();
        let mut record = csv::ByteRecord::new();
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(summary),
                Err(source) => {
                    return Err(ImportError::Read { imported: summary.imported, source });
                }
            }
            let start = record.position().map_or(0, csv::Position::byte);
            let line = self.reader.get_mut().line_of(start);
            let fields: Vec<&[u8]> = record.iter().collect();
            let outcome = parse_row(&self.header, &fields)
                .map_err(RowFailure::Row)
                .and_then(|row| store_row(engine, &row));
            match outcome {
                Ok(()) => summary.imported += 1,
                Err(RowFailure::Row(reason)) => summary.rejected.push(Rejection { line, reason }),
                Err(RowFailure::Store(source)) => {
                    return Err(ImportError::Store { imported: summary.imported, line, source });
                }
            }
            progress(self.reader.position().byte());
        }
    }
}

/// Checks a row's references, then stores it in one engine call.
fn store_row<S: CrmStore>(engine: &Engine<S>, row: &ImportRow) -> Result<(), RowFailure> {
    let store = RowFailure::from;
    let assigned = match row {
        ImportRow::Contact(c) => c.assigned_by,
        ImportRow::Company(c) => c.assigned_by,
        ImportRow::Lead(l) => l.assigned_by,
    };
    if let Some(user) = assigned
        && !engine.user(user).map_err(store)?.is_some_and(|u| u.active)
    {
        return Err(RowError::UnknownUser(user.0).into());
    }
    match row {
        ImportRow::Contact(contact) => {
            if let Some(company) = contact.company_id
                && engine.company(company).map_err(store)?.is_none()
            {
                return Err(RowError::UnknownCompany(company).into());
            }
            engine.add_contact(contact).map_err(store)?;
        }
        ImportRow::Company(company) => {
            engine.add_company(company).map_err(store)?;
        }
        ImportRow::Lead(lead) => {
            if let Some(source) = &lead.source_id
                && !engine.read(|tx| tx.source_exists(source)).map_err(store)?
            {
                return Err(RowError::UnknownSource(source.clone()).into());
            }
            engine.add_lead(lead).map_err(store)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use callreg_core::EngineConfig;
    use callreg_core::EntityType;
    use callreg_store_memory::MemoryStore;

    fn header(kind: ImportKind, names: &[&str]) -> Result<Header, HeaderError> {
        let names: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
        Header::parse(kind, &names)
    }

    fn row(header: &Header, fields: &[&str]) -> Result<ImportRow, RowError> {
        let fields: Vec<&[u8]> = fields.iter().map(|f| f.as_bytes()).collect();
        parse_row(header, &fields)
    }

    #[test]
    fn headers_name_known_fields_once() {
        let h =
            header(ImportKind::Contacts, &["\u{feff}NAME", " PHONE ", "ASSIGNED_BY_ID"]).unwrap();
        assert_eq!(h.columns(), [Column::Name, Column::Phone, Column::AssignedById]);
        assert_eq!(
            header(ImportKind::Companies, &["TITLE", "NAME"]).unwrap_err().to_string(),
            "unknown column \"NAME\" for companies: the known columns are TITLE, PHONE, ASSIGNED_BY_ID"
        );
        assert_eq!(
            header(ImportKind::Leads, &["TITLE", "TITLE"]).unwrap_err(),
            HeaderError::Duplicate("TITLE")
        );
        assert_eq!(header(ImportKind::Leads, &[]).unwrap_err(), HeaderError::Missing);
        assert_eq!(header(ImportKind::Leads, &[""]).unwrap_err(), HeaderError::Blank);
        assert_eq!(header(ImportKind::Leads, &["  ", "\t"]).unwrap_err(), HeaderError::Blank);
        let excel = header(ImportKind::Leads, &["\u{feff}", "", "\u{a0}"]).unwrap_err();
        assert_eq!(excel, HeaderError::Blank, "an empty first row saved by a spreadsheet");
        // Spreadsheets export trailing columns without a name: they are ignored when empty.
        let h = header(ImportKind::Companies, &["TITLE", "", " "]).unwrap();
        assert_eq!(h.columns(), [Column::Title, Column::Unnamed, Column::Unnamed]);
        let ImportRow::Company(company) = row(&h, &["Acme", "", ""]).unwrap() else {
            panic!("a company")
        };
        assert_eq!(company.title, "Acme");
        assert_eq!(
            row(&h, &["Acme", "", "stray"]).unwrap_err().to_string(),
            "\"stray\" is in a column without a name"
        );
        assert_eq!(
            Header::parse(ImportKind::Leads, &[b"TITLE", b"\xff"]).unwrap_err(),
            HeaderError::InvalidUtf8 { position: 2 }
        );
    }

    #[test]
    fn rows_become_records_with_defaults_for_empty_fields() {
        let h = header(
            ImportKind::Leads,
            &["TITLE", "PHONE", "STATUS_ID", "SOURCE_ID", "ASSIGNED_BY_ID"],
        )
        .unwrap();
        let ImportRow::Lead(lead) =
            row(&h, &["Web request", "+7 812 000-00-01;;", "", "WEB", " 3 "]).unwrap()
        else {
            panic!("a lead")
        };
        assert_eq!(lead.title, "Web request");
        assert_eq!(lead.phones, vec![PhoneInput::work("+7 812 000-00-01")]);
        assert_eq!(lead.status_id, None);
        assert_eq!(lead.source_id.as_deref(), Some("WEB"));
        assert_eq!(lead.assigned_by, Some(UserId(3)));
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let h = header(ImportKind::Contacts, &["NAME", "PHONE", "ASSIGNED_BY_ID", "COMPANY_ID"])
            .unwrap();
        assert_eq!(
            row(&h, &["a", "1"]).unwrap_err(),
            RowError::FieldCount { expected: 4, found: 2 }
        );
        assert_eq!(
            row(&h, &["a", "1", "x", ""]).unwrap_err().to_string(),
            "ASSIGNED_BY_ID \"x\" is not a valid id (a positive integer is expected)"
        );
        assert!(matches!(row(&h, &["a", "1", "0", ""]), Err(RowError::InvalidId { .. })));
        assert!(matches!(row(&h, &["a", "1", "+1", ""]), Err(RowError::InvalidId { .. })));
        assert!(matches!(row(&h, &["a", "1", "", "-2"]), Err(RowError::InvalidId { .. })));
        assert_eq!(
            row(&h, &["a", "n/a", "", ""]).unwrap_err(),
            RowError::PhoneWithoutDigits("n/a".into())
        );
        let fields: [&[u8]; 4] = [b"\xc3", b"1", b"", b""];
        assert_eq!(parse_row(&h, &fields).unwrap_err(), RowError::InvalidUtf8("NAME"));
        let leads = header(ImportKind::Leads, &["STATUS_ID"]).unwrap();
        assert!(matches!(row(&leads, &["NEW LEAD"]), Err(RowError::InvalidCode { .. })));
    }

    #[test]
    fn an_import_stores_good_rows_and_lists_bad_ones_by_line() {
        let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
        let csv = "NAME,LAST_NAME,PHONE,ASSIGNED_BY_ID,COMPANY_ID\n\
                   Ivan,Petrov,+7 495 123-45-67,1,\n\
                   Anna,\"Smith, Jr\",8 916 000-11-22;+7 916 000-11-23,,\n\
                   Bad,User,+7 495 000-00-00,42,\n\
                   \"Multi\nline\",X,+7 495 000-00-01,,7\n\
                   Short,Row\n\
                   Oleg,Sidorov,+7 495 000-00-02,1,\n";
        let import = CsvImport::open(ImportKind::Contacts, csv.as_bytes()).unwrap();
        let mut reported = Vec::new();
        let summary = import.run(&engine, |bytes| reported.push(bytes)).unwrap();
        assert_eq!(summary.imported, 3);
        assert_eq!(
            summary.to_string(),
            "rows imported: 3\nrows rejected: 3\n\
             line 4: ASSIGNED_BY_ID 42: no active user has this id\n\
             line 5: COMPANY_ID 7: no company has this id\n\
             line 7: expected 5 fields, found 2\n"
        );
        assert_eq!(reported.len(), 6);
        assert_eq!(reported.last().copied(), Some(csv.len() as u64));
        let ids = engine.entity_ids(EntityType::Contact).unwrap();
        assert_eq!(ids.len(), 3);
        let anna = engine.contact(ids[1]).unwrap().unwrap();
        assert_eq!(anna.last_name, "Smith, Jr");
        assert_eq!(anna.phones.len(), 2);
    }

    /// The lines of the rejected rows of `csv` (one field per row; `x` rows are refused).
    fn rejected_lines(csv: &[u8]) -> Vec<u64> {
        let engine = Engine::new(MemoryStore::new(), EngineConfig::default()).unwrap();
        let import = CsvImport::open(ImportKind::Companies, csv).unwrap();
        let summary = import.run(&engine, |_| {}).unwrap();
        summary.rejected.iter().map(|r| r.line).collect()
    }

    #[test]
    fn rejected_rows_carry_the_file_line_whatever_the_line_endings() {
        // Row 4 of each file (after the header, a good row and a multi-line or blank part)
        // has a phone without digits.
        let cases: [(&[u8], Vec<u64>); 7] = [
            (b"TITLE,PHONE\nA,1\nB,x\nC,x\n", vec![3, 4]),
            (b"TITLE,PHONE\r\nA,1\r\nB,x\r\nC,x\r\n", vec![3, 4]),
            (b"TITLE,PHONE\rA,1\rB,x\rC,x\r", vec![3, 4]),
            (b"TITLE,PHONE\n\nA,1\n\nB,x\nC,x", vec![5, 6]),
            (b"TITLE,PHONE\r\n\"m\r\nl\",1\r\nB,x\r\n", vec![4]),
            (b"TITLE,PHONE\n\"m\nl\nn\",x\nB,x\n", vec![2, 5]),
            (b"\xEF\xBB\xBFTITLE,PHONE\r\nA,x\r\n", vec![2]),
        ];
        for (csv, lines) in cases {
            assert_eq!(rejected_lines(csv), lines, "{:?}", String::from_utf8_lossy(csv));
        }
    }

    /// The line (from 1) of byte `at` of `text`, as a text editor counts: `\r\n`, a lone `\r`
    /// and a lone `\n` each end a line.
    fn naive_line(text: &[u8], at: usize) -> u64 {
        let mut line = 1;
        let mut i = 0;
        while i < at {
            match text[i] {
                b'\r' if text.get(i + 1) == Some(&b'\n') && i + 1 < at => {
                    line += 1;
                    i += 1;
                }
                b'\r' | b'\n' => line += 1,
                _ => {}
            }
            i += 1;
        }
        line
    }

    proptest::proptest! {
        /// Whatever the line endings (mixed), blank lines and multi-line quoted fields, a
        /// rejected row's line is the line its first field starts on, counted as a text
        /// editor counts.
        #[test]
        fn rejected_rows_carry_the_line_they_start_on(
            rows in proptest::collection::vec(
                (0usize..3, 0usize..3, proptest::bool::ANY, 0usize..3),
                1..12,
            ),
            header_ending in 0usize..3,
        ) {
            const ENDINGS: [&str; 3] = ["\n", "\r\n", "\r"];
            let mut csv = format!("TITLE,PHONE{}", ENDINGS[header_ending]);
            let mut starts = Vec::new();
            for (blank_lines, ending, multi_line, inner_ending) in rows {
                for _ in 0..blank_lines {
                    csv.push_str(ENDINGS[ending]);
                }
                starts.push(csv.len());
                if multi_line {
                    csv.push_str(&format!("\"a{}b\",x", ENDINGS[inner_ending]));
                } else {
                    csv.push_str("a,x");
                }
                csv.push_str(ENDINGS[ending]);
            }
            let expected: Vec<u64> =
                starts.iter().map(|&at| naive_line(csv.as_bytes(), at)).collect();
            proptest::prop_assert_eq!(rejected_lines(csv.as_bytes()), expected, "{:?}", csv);
        }
    }

    #[test]
    fn blank_lines_take_one_entry_however_many() {
        let text = format!("{}a,x\r\n{}", "\n\r\n".repeat(100_000), "\n".repeat(50_000));
        let mut breaks = LineBreaks::new(text.as_bytes());
        std::io::copy(&mut breaks, &mut std::io::sink()).unwrap();
        assert_eq!(breaks.pending.len(), 2, "one run before the row, one after it");
        assert_eq!(breaks.line_of(300_000), 200_001);
        assert_eq!(breaks.line_of(text.len() as u64), 250_002);
    }

    #[test]
    fn a_failing_store_ends_the_import() {
        use callreg_core::StoreTx;
        use callreg_core::store::StoreResult;
        /// A store whose every transaction fails as a full disk does.
        #[derive(Debug)]
        struct Full(MemoryStore, std::sync::atomic::AtomicBool);
        impl CrmStore for Full {
            fn begin(&self) -> StoreResult<Box<dyn StoreTx + '_>> {
                if self.1.load(std::sync::atomic::Ordering::SeqCst) {
                    return Err(StoreError::Full("database or disk is full".into()));
                }
                self.0.begin()
            }
        }
        let engine =
            Engine::new(Full(MemoryStore::new(), false.into()), EngineConfig::default()).unwrap();
        engine.store().1.store(true, std::sync::atomic::Ordering::SeqCst);
        let csv = "TITLE,PHONE\nA,x\nB,1\nC,2\n";
        let import = CsvImport::open(ImportKind::Companies, csv.as_bytes()).unwrap();
        match import.run(&engine, |_| {}) {
            Err(ImportError::Store { imported: 0, line: 3, source }) => {
                assert!(matches!(source, CallregError::Store(StoreError::Full(_))), "{source}");
            }
            other => panic!("expected the store's failure, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_column_imports_nothing() {
        let error = CsvImport::open(ImportKind::Companies, "TITLE,EMAIL\nAcme,a@b.c\n".as_bytes())
            .unwrap_err();
        assert!(matches!(error, ImportError::Header(HeaderError::Unknown { .. })));
    }
}
