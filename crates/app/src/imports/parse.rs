//! Reading an import's CSV as a stream of records: the separator guessed
//! from the header line, quoted fields (embedded separators, newlines and
//! doubled quotes), a UTF-8 byte-order mark skipped, and each record's
//! spreadsheet row number (the header is row 1; a quoted newline does not
//! start a row) and the byte offset where it ends.
//!
//! The file is never held in memory: [`RecordReader`] feeds the chunks of
//! the store's stream to `csv_core`'s push parser, one record at a time,
//! so a reader holds one chunk and one record. A record longer than
//! [`MAX_RECORD_BYTES`] fails the read (a file that is not CSV, usually).
//! Blank lines are not records: they are skipped and not counted.
use bytes::Bytes;
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use futures_util::StreamExt;
use switchboard_providers::storage::ByteStream;

/// The longest record accepted, all cells together.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// The most cells a record may have.
pub const MAX_CELLS: usize = 1000;

/// What separates the cells of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub enum Separator {
    #[serde(rename = ",")]
    Comma,
    #[serde(rename = ";")]
    Semicolon,
    #[serde(rename = "\t")]
    Tab,
}

impl Separator {
    pub const ALL: [Separator; 3] = [Separator::Comma, Separator::Semicolon, Separator::Tab];

    pub fn byte(self) -> u8 {
        match self {
            Separator::Comma => b',',
            Separator::Semicolon => b';',
            Separator::Tab => b'\t',
        }
    }

    /// As stored and sent: `,`, `;` or a tab.
    pub fn as_str(self) -> &'static str {
        match self {
            Separator::Comma => ",",
            Separator::Semicolon => ";",
            Separator::Tab => "\t",
        }
    }

    /// `,`, `;`, a tab, or the words `comma`, `semicolon`, `tab`.
    pub fn parse(raw: &str) -> Option<Separator> {
        match raw {
            "," | "comma" => Some(Separator::Comma),
            ";" | "semicolon" => Some(Separator::Semicolon),
            "\t" | "tab" => Some(Separator::Tab),
            _ => None,
        }
    }
}

/// The separator of the file whose first bytes are `prefix`: the one of
/// `,` `;` tab found most often outside quotes on the header line (a tie
/// goes to the earlier of that list; none found: a comma, one column).
pub fn detect_separator(prefix: &[u8]) -> Separator {
    let prefix = prefix.strip_prefix(b"\xef\xbb\xbf").unwrap_or(prefix);
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in prefix {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if quoted => {}
            _ => {
                if let Some(i) = Separator::ALL.iter().position(|s| s.byte() == b) {
                    counts[i] += 1;
                }
            }
        }
    }
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    Separator::ALL[best]
}

/// One record of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The row number a spreadsheet shows: the header is 1.
    pub row: u64,
    pub cells: Vec<String>,
    /// Some cell was not UTF-8 (its bad bytes show as U+FFFD).
    pub invalid_utf8: bool,
    /// Bytes of the file up to the end of this record.
    pub end_offset: u64,
}

/// Why the file could not be read on.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("row {0} is longer than 1 MiB; is this a CSV file?")]
    RecordTooLong(u64),
    #[error("row {0} has more than 1000 columns")]
    TooManyCells(u64),
}

/// Records pulled from a byte stream, one at a time.
pub struct RecordReader {
    parser: Reader,
    stream: ByteStream,
    chunk: Bytes,
    pos: usize,
    eof: bool,
    /// Bytes of the file consumed by the parser.
    offset: u64,
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// The row number of the last record returned.
    row: u64,
    /// Reading from the file's first byte, whose byte-order mark this
    /// reader drops itself: `csv_core` strips one only when its three
    /// bytes come in one chunk, and ends the file when nothing follows
    /// them in that chunk.
    at_file_start: bool,
}

impl RecordReader {
    /// Reads the file from its first byte: the first record is the header (row 1).
    pub fn new(stream: ByteStream, separator: Separator) -> Self {
        Self::at(stream, separator, 0, 0)
    }

    /// Reads on from a record boundary: `stream` starts at byte `offset` of
    /// the file, and the record there is row `last_row + 1`.
    pub fn at(stream: ByteStream, separator: Separator, offset: u64, last_row: u64) -> Self {
        RecordReader {
            parser: ReaderBuilder::new().delimiter(separator.byte()).build(),
            stream,
            chunk: Bytes::new(),
            pos: 0,
            eof: false,
            offset,
            out: vec![0; 4096],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            row: last_row,
            at_file_start: offset == 0,
        }
    }

    /// Bytes of the file read so far (a record boundary after a record).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Drops a leading byte-order mark, however the first chunks are cut.
    async fn skip_bom(&mut self) -> Result<(), ReadError> {
        let mut head = Vec::with_capacity(3);
        while head.len() < 3 {
            match self.stream.next().await {
                Some(chunk) => head.extend_from_slice(&chunk?),
                None => {
                    self.eof = true;
                    break;
                }
            }
        }
        if head.starts_with(b"\xef\xbb\xbf") {
            head.drain(..3);
            self.offset += 3;
        }
        self.chunk = Bytes::from(head);
        self.pos = 0;
        Ok(())
    }

    /// The next record, or `None` at the end of the file.
    pub async fn next_record(&mut self) -> Result<Option<Record>, ReadError> {
        if std::mem::take(&mut self.at_file_start) {
            self.skip_bom().await?;
        }
        loop {
            if self.pos == self.chunk.len() && !self.eof {
                match self.stream.next().await {
                    Some(chunk) => {
                        self.chunk = chunk?;
                        self.pos = 0;
                    }
                    None => self.eof = true,
                }
                continue;
            }
            let input = &self.chunk[self.pos..];
            let (result, nin, nout, nend) =
                self.parser.read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.ends_len..]);
            self.pos += nin;
            self.offset += nin as u64;
            self.out_len += nout;
            self.ends_len += nend;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= MAX_RECORD_BYTES {
                        return Err(ReadError::RecordTooLong(self.row + 1));
                    }
                    let grown = (self.out.len() * 2).min(MAX_RECORD_BYTES);
                    self.out.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_CELLS {
                        return Err(ReadError::TooManyCells(self.row + 1));
                    }
                    let grown = (self.ends.len() * 2).min(MAX_CELLS);
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => return Ok(Some(self.take_record())),
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    fn take_record(&mut self) -> Record {
        self.row += 1;
        let mut cells = Vec::with_capacity(self.ends_len);
        let mut invalid_utf8 = false;
        let mut start = 0;
        for &end in &self.ends[..self.ends_len] {
            let bytes = &self.out[start..end];
            match std::str::from_utf8(bytes) {
                Ok(text) => cells.push(text.to_owned()),
                Err(_) => {
                    invalid_utf8 = true;
                    cells.push(String::from_utf8_lossy(bytes).into_owned());
                }
            }
            start = end;
        }
        self.out_len = 0;
        self.ends_len = 0;
        Record { row: self.row, cells, invalid_utf8, end_offset: self.offset }
    }
}

/// A stream of `bytes` in chunks of `chunk` bytes (tests, previews of a prefix).
pub fn chunked(bytes: &[u8], chunk: usize) -> ByteStream {
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        bytes.chunks(chunk.max(1)).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    futures_util::stream::iter(chunks).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(bytes: &[u8], sep: Separator, chunk: usize) -> Vec<Record> {
        let mut reader = RecordReader::new(chunked(bytes, chunk), sep);
        let mut out = Vec::new();
        while let Some(record) = reader.next_record().await.expect("reads") {
            out.push(record);
        }
        out
    }

    fn cells(records: &[Record]) -> Vec<Vec<&str>> {
        records.iter().map(|r| r.cells.iter().map(String::as_str).collect()).collect()
    }

    #[test]
    fn the_separator_is_the_most_frequent_outside_quotes_on_the_header_line() {
        assert_eq!(detect_separator(b"phone,email,name\n1;2;3;4;5"), Separator::Comma);
        assert_eq!(detect_separator(b"phone;email;\"a,b,c,d\"\n"), Separator::Semicolon);
        assert_eq!(detect_separator(b"\xef\xbb\xbfphone\temail\tname\r\n"), Separator::Tab);
        assert_eq!(detect_separator(b"phone\n"), Separator::Comma);
        assert_eq!(detect_separator(b""), Separator::Comma);
    }

    #[tokio::test]
    async fn quoted_cells_keep_separators_newlines_and_doubled_quotes_at_any_chunk_size() {
        let file = "\u{feff}phone,note\r\n+15550001,\"a, \"\"b\"\"\nc\"\r\n+15550002,plain\n\n+15550003,\"\"\n";
        for chunk in [1, 2, 3, 7, 4096] {
            let records = read_all(file.as_bytes(), Separator::Comma, chunk).await;
            assert_eq!(
                cells(&records),
                vec![
                    vec!["phone", "note"],
                    vec!["+15550001", "a, \"b\"\nc"],
                    vec!["+15550002", "plain"],
                    vec!["+15550003", ""],
                ],
                "chunk {chunk}"
            );
            // Rows as a spreadsheet numbers them: the quoted newline is no row.
            assert_eq!(records.iter().map(|r| r.row).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        }
    }

    #[tokio::test]
    async fn a_reader_started_at_a_record_end_reads_on_with_the_row_numbers() {
        let file = b"phone;name\n1;a\n2;b\n3;c\n";
        let records = read_all(file, Separator::Semicolon, 5).await;
        let second = &records[1];
        let rest = &file[second.end_offset as usize..];
        let mut reader = RecordReader::at(chunked(rest, 3), Separator::Semicolon, second.end_offset, second.row);
        let mut resumed = Vec::new();
        while let Some(record) = reader.next_record().await.expect("reads") {
            resumed.push(record);
        }
        assert_eq!(resumed, records[2..].to_vec());
        assert_eq!(reader.offset(), file.len() as u64);
    }

    #[tokio::test]
    async fn ragged_rows_and_bad_utf8_come_through_for_the_caller_to_judge() {
        let records = read_all(b"a,b\n1\n2,3,4\n\xff,x\n", Separator::Comma, 4096).await;
        assert_eq!(records[1].cells.len(), 1);
        assert_eq!(records[2].cells.len(), 3);
        assert!(records[3].invalid_utf8);
        assert!(!records[2].invalid_utf8);
    }

    #[tokio::test]
    async fn a_record_over_the_limit_fails_the_read() {
        let mut file = b"a\n\"".to_vec();
        file.extend(std::iter::repeat_n(b'x', MAX_RECORD_BYTES + 10));
        let mut reader = RecordReader::new(chunked(&file, 64 * 1024), Separator::Comma);
        assert!(reader.next_record().await.expect("header").is_some());
        assert!(matches!(reader.next_record().await, Err(ReadError::RecordTooLong(2))));
    }
}
