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
    CallregError, CrmStore, Engine, NewCompany, NewContact, NewLead, PhoneInput, UserId,
};
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
        if names.is_empty() || names.iter().all(|n| n.iter().all(u8::is_ascii_whitespace)) {
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
    /// Storing the row failed; nothing of it was stored.
    #[error("not stored: {0}")]
    Store(String),
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
}

/// A CSV file whose header row has been read and checked.
#[derive(Debug)]
pub struct CsvImport<R> {
    reader: csv::Reader<R>,
    header: Header,
}

impl<R: Read> CsvImport<R> {
    /// Reads and checks the header row of `input`; nothing is imported yet.
    ///
    /// # Errors
    /// [`ImportError::Header`] for a missing or refused header, [`ImportError::Read`] when
    /// reading fails.
    pub fn open(kind: ImportKind, input: R) -> Result<Self, ImportError> {
        let mut reader =
            csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(input);
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
            let line = record.position().map_or(0, csv::Position::line);
            let fields: Vec<&[u8]> = record.iter().collect();
            let outcome = parse_row(&self.header, &fields).and_then(|row| store_row(engine, &row));
            match outcome {
                Ok(()) => summary.imported += 1,
                Err(reason) => summary.rejected.push(Rejection { line, reason }),
            }
            progress(self.reader.position().byte());
        }
    }
}

/// Checks a row's references, then stores it in one engine call.
fn store_row<S: CrmStore>(engine: &Engine<S>, row: &ImportRow) -> Result<(), RowError> {
    let store = |e: CallregError| RowError::Store(e.to_string());
    let assigned = match row {
        ImportRow::Contact(c) => c.assigned_by,
        ImportRow::Company(c) => c.assigned_by,
        ImportRow::Lead(l) => l.assigned_by,
    };
    if let Some(user) = assigned
        && !engine.user(user).map_err(store)?.is_some_and(|u| u.active)
    {
        return Err(RowError::UnknownUser(user.0));
    }
    match row {
        ImportRow::Contact(contact) => {
            if let Some(company) = contact.company_id
                && engine.company(company).map_err(store)?.is_none()
            {
                return Err(RowError::UnknownCompany(company));
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
                return Err(RowError::UnknownSource(source.clone()));
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
        assert_eq!(header(ImportKind::Leads, &[""]).unwrap_err(), HeaderError::Missing);
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

    #[test]
    fn an_unknown_column_imports_nothing() {
        let error = CsvImport::open(ImportKind::Companies, "TITLE,EMAIL\nAcme,a@b.c\n".as_bytes())
            .unwrap_err();
        assert!(matches!(error, ImportError::Header(HeaderError::Unknown { .. })));
    }
}
